"""ember: a deep learning framework in readable Python that runs PyTorch programs.

    import ember as torch

This module is the public, torch-like namespace: it only imports and re-exports.
"""

import warnings as _warnings

from . import _dtype
from ._device import device
from ._dtype import (bfloat16, bool, cdouble, cfloat, complex64, complex128, double, dtype,
                     finfo, float, float16, float32, float64, get_default_dtype, half, iinfo,
                     int, int8, int16, int32, int64, long, promote_types, result_type,
                     set_default_dtype, short, uint8)
from ._printing import set_printoptions
from ._tensor import Size, Tensor
from ._methods import install as _install_methods
from . import autograd
from .autograd import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .ops.binary import *  # noqa: F403
from .ops.creation import *  # noqa: F403
from .ops.indexing import *  # noqa: F403
from .ops.linalg import *  # noqa: F403
from .ops.nn import *  # noqa: F403
from . import linalg
from .ops.reduction import *  # noqa: F403
from .ops.shape import *  # noqa: F403
from .ops.unary import *  # noqa: F403

_install_methods()

# NOTE: torch computes log(0) = -inf or 0/0 = nan silently; NumPy warns. The filter only
# covers warnings raised from ember's own modules, so the user's NumPy code still warns.
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"ember(\.|$)")

__version__ = "0.1.0"

strided = "strided"  # the only layout ember has


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.is_floating_point()


def is_complex(input):
    return input.is_complex()


def numel(input):
    return input.numel()


def can_cast(from_, to):
    return _dtype.can_cast(from_, to)


from ._random import *  # noqa: E402,F403
from . import random  # noqa: E402
from . import cuda, nn, optim  # noqa: E402
from . import utils  # noqa: E402
from . import serialization  # noqa: E402
from .serialization import load, save  # noqa: E402
from ._threads import get_num_threads, set_num_threads  # noqa: E402
# nn.functional ops that torch also offers at the top level (same signatures)
from .nn.functional import (  # noqa: E402
    adaptive_avg_pool1d,
    adaptive_max_pool1d,
    avg_pool1d,
    channel_shuffle,
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
    cosine_similarity,
    max_pool1d,
    max_pool2d,
    max_pool3d,
    pairwise_distance,
    pdist,
    pixel_shuffle,
    pixel_unshuffle,
)
# torch.func, torch.compile / torch.compiler and torch.jit (ember runs them eagerly)
from . import compiler, func, jit  # noqa: E402
from .compiler import compile  # noqa: E402
