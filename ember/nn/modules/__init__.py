"""The layers of ember.nn, one file per family."""

# Families whose files list their layers in __all__.
from . import (  # noqa: E402
    attention,
    batchnorm,
    conv,
    distance,
    instancenorm,
    normalization,
    padding,
    pooling,
    rnn,
    sparse,
    transformer,
    upsampling,
)
from .activation import (
    CELU,
    ELU,
    GELU,
    SELU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Softsign,
    Tanh,
    Threshold,
)
from .attention import *  # noqa: E402, F403
from .batchnorm import *  # noqa: E402, F403
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .conv import *  # noqa: E402, F403
from .distance import *  # noqa: E402, F403
from .dropout import AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d
from .flatten import Flatten, Unflatten
from .instancenorm import *  # noqa: E402, F403
from .linear import Identity, Linear
from .loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CosineEmbeddingLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
    SoftMarginLoss,
)
from .module import Module
from .normalization import *  # noqa: E402, F403
from .padding import *  # noqa: E402, F403
from .pooling import *  # noqa: E402, F403
from .rnn import *  # noqa: E402, F403
from .sparse import *  # noqa: E402, F403
from .transformer import *  # noqa: E402, F403
from .upsampling import *  # noqa: E402, F403

__all__ = [
    "Module", "Linear", "Identity",
    # containers
    "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
    "Flatten", "Unflatten",
    # activations
    "ReLU", "LeakyReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish", "Softplus", "Softsign",
    "Tanh", "Sigmoid", "Hardtanh", "ReLU6", "Hardsigmoid", "Hardswish", "LogSigmoid", "Softmax",
    "LogSoftmax", "Softmin", "Threshold", "PReLU",
    # dropout
    "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
    # losses
    "MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
    "HuberLoss", "SmoothL1Loss", "KLDivLoss", "SoftMarginLoss", "CosineEmbeddingLoss",
]
for _family in (attention, batchnorm, conv, distance, instancenorm, normalization, padding, pooling,
                rnn, sparse, transformer, upsampling):
    __all__ += _family.__all__

