"""ember.accelerator: torch.accelerator, the device-agnostic questions a script asks first.

ember's one accelerator is CUDA through CuPy (``ember.cuda``).  Without CuPy and a GPU the
answers are those of a CPU-only torch: ``is_available()`` False, ``current_accelerator()``
None, ``device_count()`` 0, and the index functions raise torch's RuntimeError.
"""

from . import _device, cuda

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "set_device_index", "current_device_idx", "set_device_idx", "synchronize",
           "device_index"]


def is_available():
    """True when a CUDA GPU can be used (CuPy installed and a GPU visible)."""
    return cuda.is_available()


def current_accelerator(check_available=False):
    """``device('cuda')`` when ember has a GPU backend, else None (as a CPU-only torch).
    ``check_available`` is accepted for torch's signature: ember's answer is None exactly
    when no accelerator is available, so both readings agree."""
    if check_available and not is_available():
        return None
    return _device.device("cuda") if is_available() else None


def device_count():
    """The number of GPUs (0 without one)."""
    return cuda.device_count()


def _need_accelerator():
    if not is_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")


def current_device_index():
    """The index of the current GPU; torch's RuntimeError without one."""
    _need_accelerator()
    return cuda.current_device()


def set_device_index(device, /):
    """Make ``device`` (an index, 'cuda:1' or a device) the current GPU."""
    _need_accelerator()
    if device is None:
        return
    if isinstance(device, int):
        index = device
    else:
        index = _device.device(device).index or 0
    cuda.set_device(index)


current_device_idx = current_device_index  # torch's older names
set_device_idx = set_device_index


def synchronize(device=None):
    """Wait for the GPU's queued work (nothing to wait for without one)."""
    _need_accelerator()
    cuda.synchronize(device)


class device_index:
    """``with ember.accelerator.device_index(i):`` the GPU ``i`` is current inside."""

    def __init__(self, device, /):
        self.index = device
        self.previous = None

    def __enter__(self):
        if self.index is not None:
            self.previous = current_device_index()
            set_device_index(self.index)

    def __exit__(self, *exc):
        if self.previous is not None:
            set_device_index(self.previous)
        return False
