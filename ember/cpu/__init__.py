"""ember.cpu: torch.cpu's namespace: the device-module calls for the CPU (what
``get_device_module('cpu')`` returns: there is one CPU device, always available, and nothing to
synchronize) and the deprecated ``amp`` spellings."""

from . import amp  # noqa: F401 - torch.cpu.amp (deprecated spellings of ember.amp)

__all__ = ["current_device", "device_count", "is_available", "set_device", "synchronize"]


def is_available():
    return True


def device_count():
    return 1


def current_device():
    return "cpu"


def set_device(device):
    """The CPU is the only CPU device: nothing to select."""
    del device


def synchronize(device=None):
    """CPU work is done when the call returns: nothing to wait for."""
    del device
