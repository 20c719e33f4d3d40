"""ember: a deep learning framework in readable Python that runs PyTorch programs.

    import ember as torch

This module is the public, torch-like namespace: it only imports and re-exports.
"""

import warnings as _warnings

from . import _malloc

_malloc.tune()  # the C allocator set for many large short-lived arrays (see _malloc.py)

from . import _dtype  # noqa: E402
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
from . import fft
from . import special  # torch.special (issue 20)
from .ops.stft import istft, stft
from .ops.reduction import *  # noqa: F403
from .ops.shape import *  # noqa: F403
from .ops.unary import *  # noqa: F403
from .ops.statistics import *  # noqa: F403
from .ops.strided import *  # noqa: F403
from .ops.structure import *  # noqa: F403
from .ops.windows import *  # noqa: F403
# special functions, more element-wise and along-a-dim ops, module-level in-place functions
from .ops.special_math import *  # noqa: F403
from .ops.pointwise import *  # noqa: F403
from .ops.along_dim import *  # noqa: F403
from .ops.inplace import *  # noqa: F403

_install_methods()

# NOTE: torch computes log(0) = -inf or 0/0 = nan silently; NumPy warns. The filter only
# covers warnings raised from ember's own modules, so the user's NumPy code still warns.
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"ember(\.|$)")

__version__ = "0.1.0"

from ._layout import layout, strided  # noqa: E402 - the only layout ember has


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
# the legacy type names (FloatTensor(2, 3), isinstance(x, LongTensor), x.type(DoubleTensor))
from ._legacy import (  # noqa: E402
    BFloat16Tensor,
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)
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
from .nn.functional import celu_, rrelu_, selu_, threshold_  # noqa: E402 - torch has them too
from .nn._functional.module_level import *  # noqa: E402,F403 - torch.dropout(input, p, train), ...
from .ops.embedding import embedding_renorm_  # noqa: E402


# NOTE: namespaces most programs never touch are imported on first use (each a few tens of
# milliseconds of ``import ember``, which every process of a distributed run pays)
_ON_FIRST_USE = ("distributions", "onnx")


def __getattr__(name):
    """Only called for a name ember has not bound (normal lookups never come here): a namespace
    imported on first use, else say the name is missing, with the torch name, and point to the
    checker that lists every such name of a script."""
    if name in _ON_FIRST_USE:
        import importlib

        return importlib.import_module("." + name, __name__)
    from ._missing import missing_name

    raise missing_name(__name__, name)

# the setup surface scripts touch in their first lines (issue 21)
from math import e, inf, nan, pi  # noqa: E402
from ._memory_format import (  # noqa: E402
    channels_last,
    channels_last_3d,
    contiguous_format,
    memory_format,
    preserve_format,
)
from ._setup import *  # noqa: E402,F403
from . import accelerator, amp, backends, distributed, testing  # noqa: E402
from .amp import autocast  # noqa: E402
from .amp.autocast_mode import is_autocast_enabled  # noqa: E402
# mixed precision (issue 18): torch's top-level autocast state functions, torch.cpu.amp
from . import cpu  # noqa: E402
from .amp import GradScaler  # noqa: E402
from .amp.autocast_mode import (  # noqa: E402
    autocast_decrement_nesting,
    autocast_increment_nesting,
    clear_autocast_cache,
    get_autocast_cpu_dtype,
    get_autocast_dtype,
    get_autocast_gpu_dtype,
    get_autocast_ipu_dtype,
    get_autocast_xla_dtype,
    is_autocast_cache_enabled,
    is_autocast_cpu_enabled,
    is_autocast_ipu_enabled,
    is_autocast_xla_enabled,
    set_autocast_cache_enabled,
    set_autocast_cpu_dtype,
    set_autocast_cpu_enabled,
    set_autocast_dtype,
    set_autocast_enabled,
    set_autocast_gpu_dtype,
    set_autocast_ipu_dtype,
    set_autocast_ipu_enabled,
    set_autocast_xla_dtype,
    set_autocast_xla_enabled,
)
# torch.func, torch.compile / torch.compiler and torch.jit (ember runs them eagerly)
from . import compiler, func, jit  # noqa: E402
from .compiler import compile  # noqa: E402
# torch.distributions (issue 20) and ember.onnx: imported on first use (__getattr__ above)
# the top-level tail of issue 20: complex views, small predicates/compositions, *_copy variants
from .ops.complex_views import *  # noqa: E402,F403
from .ops.toplevel_tail import *  # noqa: E402,F403
from .nn._functional.aten_spellings import *  # noqa: E402,F403 - torch.layer_norm(...), ATen's order
from ._global_switches import *  # noqa: E402,F403 - set_anomaly_enabled, has_lapack, ...
from .ops.finite_differences import gradient  # noqa: E402
from .func import vmap  # noqa: E402 - torch.vmap is torch.func.vmap
from ._random_poisson import poisson  # noqa: E402
from ._random_binomial import binomial  # noqa: E402 - torch.binomial (issue 20, samplers)
# issue 20's tail of small names (ember/ops/misc_tail.py and neighbours)
from .ops.misc_tail import *  # noqa: E402,F403 - igamma, index_reduce, nonzero_static, cond, ...
from ._device_module import get_device_module  # noqa: E402
from . import storage  # noqa: E402 - torch.storage: TypedStorage, UntypedStorage, FloatStorage...
from .storage import *  # noqa: E402,F403
from .nn._functional.aten_cells import *  # noqa: E402,F403 - torch.lstm_cell(...), ATen's order
# the dtypes with torch 2.13's limited support (wider unsigned integers, 8-bit floats)
from ._dtype import (  # noqa: E402
    float8_e4m3fn,
    float8_e4m3fnuz,
    float8_e5m2,
    float8_e5m2fnuz,
    float8_e8m0fnu,
    uint16,
    uint32,
    uint64,
)
from .nn._functional.aten_embedding_bag import embedding_bag  # noqa: E402 - ATen's spelling

# autocast's policy table onto the ops (issue 18): last, once every op is defined
amp._install_policy()
