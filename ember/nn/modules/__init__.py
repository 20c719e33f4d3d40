"""The layers of ember.nn, one file per family."""

# Families whose files list their layers in __all__.
from . import (  # noqa: E402
    adaptive,
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
    GLU,
    SELU,
    Hardshrink,
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
    RReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softmax2d,
    Softmin,
    Softplus,
    Softshrink,
    Softsign,
    Tanh,
    Tanhshrink,
    Threshold,
)
from .adaptive import *  # noqa: E402, F403
from .attention import *  # noqa: E402, F403
from .batchnorm import *  # noqa: E402, F403
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .conv import *  # noqa: E402, F403
from .distance import *  # noqa: E402, F403
from .dropout import (
    AlphaDropout,
    Dropout,
    Dropout1d,
    Dropout2d,
    Dropout3d,
    FeatureAlphaDropout,
)
from .flatten import Flatten, Unflatten
from .instancenorm import *  # noqa: E402, F403
from .linear import Bilinear, Identity, LazyLinear, Linear
from .loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CosineEmbeddingLoss,
    CrossEntropyLoss,
    CTCLoss,
    GaussianNLLLoss,
    HingeEmbeddingLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MSELoss,
    MultiLabelMarginLoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    NLLLoss,
    NLLLoss2d,
    PoissonNLLLoss,
    SmoothL1Loss,
    SoftMarginLoss,
    TripletMarginLoss,
    TripletMarginWithDistanceLoss,
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
    "Module", "Linear", "Identity", "Bilinear", "LazyLinear",
    # containers
    "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
    "Flatten", "Unflatten",
    # activations
    "ReLU", "LeakyReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish", "Softplus", "Softsign",
    "Tanh", "Sigmoid", "Hardtanh", "ReLU6", "Hardsigmoid", "Hardswish", "LogSigmoid", "Softmax",
    "LogSoftmax", "Softmin", "Threshold", "PReLU", "GLU", "Tanhshrink", "Softshrink", "Hardshrink",
    "RReLU", "Softmax2d",
    # dropout
    "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout",
    # losses
    "MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
    "HuberLoss", "SmoothL1Loss", "KLDivLoss", "SoftMarginLoss", "CosineEmbeddingLoss",
    "PoissonNLLLoss", "GaussianNLLLoss", "MarginRankingLoss", "HingeEmbeddingLoss",
    "TripletMarginLoss", "TripletMarginWithDistanceLoss", "MultiMarginLoss",
    "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss", "CTCLoss", "NLLLoss2d",
]
for _family in (attention, batchnorm, conv, distance, instancenorm, normalization, padding, pooling,
                rnn, sparse, transformer, upsampling):
    __all__ += _family.__all__
__all__ += adaptive.__all__
from . import legacy_container  # noqa: E402 - issue 20's tail
from .legacy_container import Container  # noqa: E402

__all__ += legacy_container.__all__
