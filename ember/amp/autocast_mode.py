"""autocast: torch's context manager and decorator; ember runs every op in its own dtype."""

import functools
import warnings

from .. import _device

__all__ = ["autocast", "is_autocast_available", "is_autocast_enabled"]

_GAP = ("ember does not do mixed precision yet: autocast(enabled=True) would run ops in "
        "float16/bfloat16, and ember runs every op in its inputs' dtype; pass enabled=False "
        "(the results then are float32, as torch's without autocast)")


def is_autocast_available(device_type):
    """Whether autocast knows ``device_type`` (torch: cpu and cuda among others)."""
    _device.device(device_type)  # torch's error for an unknown device type
    return device_type in ("cpu", "cuda")


def is_autocast_enabled(device_type=None):
    """Always False: ember never turns autocast on."""
    if device_type is not None:
        _device.device(device_type)
    return False


class autocast:
    """``with ember.autocast(device_type, dtype=None, enabled=True, cache_enabled=None):`` or
    ``@ember.autocast(...)``: the region's ops would run in ``dtype``.

    Disabled (``enabled=False``, or 'cuda' without a GPU, as torch), it changes nothing.
    Enabled, it raises NotImplementedError: ember has no mixed precision yet."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        _device.device(device_type)  # torch's RuntimeError for an unknown device type
        self.device = device_type
        self.fast_dtype = dtype
        self._cache_enabled = cache_enabled
        if enabled and device_type == "cuda" and not _device.cuda_available():
            # NOTE: a CPU-only torch does exactly this (warns, then runs disabled)
            warnings.warn("CUDA is not available. Disabling autocast.", stacklevel=2)
            enabled = False
        if enabled:
            raise NotImplementedError(_GAP)
        self._enabled = False

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def decorated(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return decorated
