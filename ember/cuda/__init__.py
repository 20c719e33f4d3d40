"""ember.cuda: whether a GPU backend (CuPy) is there, and the device bookkeeping torch.cuda has.

Without CuPy and a GPU, ``is_available()`` is False and creating a CUDA tensor raises a clear
error that says what to install.
"""

from .. import _device
from .._legacy import CUDA_TYPES as _CUDA_TYPES

# the legacy type names: ember.cuda.FloatTensor(2, 3) (with a GPU), isinstance(x, LongTensor)
FloatTensor = _CUDA_TYPES["FloatTensor"]
DoubleTensor = _CUDA_TYPES["DoubleTensor"]
HalfTensor = _CUDA_TYPES["HalfTensor"]
BFloat16Tensor = _CUDA_TYPES["BFloat16Tensor"]
ByteTensor = _CUDA_TYPES["ByteTensor"]
CharTensor = _CUDA_TYPES["CharTensor"]
ShortTensor = _CUDA_TYPES["ShortTensor"]
IntTensor = _CUDA_TYPES["IntTensor"]
LongTensor = _CUDA_TYPES["LongTensor"]
BoolTensor = _CUDA_TYPES["BoolTensor"]


def is_available():
    """True when CUDA tensors can be made (CuPy installed and a GPU visible)."""
    return _device.cuda_available()


def device_count():
    """The number of GPUs CuPy sees (0 without CUDA)."""
    if not is_available():
        return 0
    if _device._fake_cuda:
        return 1
    import cupy

    return cupy.cuda.runtime.getDeviceCount()


_current = [0]


def current_device():
    _device.xp_for(_device.device("cuda", 0))  # the friendly error when there is no CUDA
    return _current[0]


def set_device(device):
    index = device if isinstance(device, int) else _device.device(device).index or 0
    _current[0] = index
    if not _device._fake_cuda and is_available():
        import cupy

        cupy.cuda.Device(index).use()


def synchronize(device=None):
    """Wait for all GPU work to finish (nothing to wait for without CUDA)."""
    if is_available() and not _device._fake_cuda:
        import cupy

        cupy.cuda.Device().synchronize()


def get_device_name(device=None):
    if _device._fake_cuda:
        return "ember fake CUDA device (NumPy)"
    import cupy

    return cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()


def memory_allocated(device=None):
    """Bytes held by tensors on the GPU (CuPy's default memory pool)."""
    if not is_available() or _device._fake_cuda:
        return 0
    import cupy

    return cupy.get_default_memory_pool().used_bytes()


def max_memory_allocated(device=None):
    return memory_allocated(device)


def memory_reserved(device=None):
    if not is_available() or _device._fake_cuda:
        return 0
    import cupy

    return cupy.get_default_memory_pool().total_bytes()


def empty_cache():
    if is_available() and not _device._fake_cuda:
        import cupy

        cupy.get_default_memory_pool().free_all_blocks()


def manual_seed(seed):
    """Seed the generator CUDA tensors draw from (ember.manual_seed seeds it too).

    CUDA draws are reproducible run to run but are not torch's CUDA numbers: ember runs its
    CPU generator's algorithm for them on the host and copies the values to the GPU."""
    from .._random import cuda_generator

    cuda_generator.manual_seed(seed)


def manual_seed_all(seed):
    manual_seed(seed)


from . import amp  # noqa: E402 - torch.cuda.amp (deprecated spellings of ember.amp)


def __getattr__(name):
    """Only called for a name this module lacks: torch's name and ember.check in the error."""
    from .._missing import missing_name

    raise missing_name(__name__, name)
