"""Process-wide settings that PyTorch scripts set in their first lines.

``set_float32_matmul_precision`` and ``use_deterministic_algorithms`` are recorded and read
back as torch does; they change no result in ember, whose NumPy kernels always compute float32
products in full float32 and always give the same result for the same input (there is no TF32
and no nondeterministic atomic-add kernel to switch off).  ``set_default_device`` is real: the
factories (``zeros``, ``randn``, ``tensor``, ``arange``, ...) make their tensors there when no
``device=`` is given.
"""

import warnings

from . import _device

__all__ = ["set_float32_matmul_precision", "get_float32_matmul_precision",
           "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_default_device",
           "get_default_device"]

_PRECISIONS = ("highest", "high", "medium")
_state = {"precision": "highest", "deterministic": False, "warn_only": False}


def set_float32_matmul_precision(precision):
    """Record the float32 matmul precision ('highest', 'high' or 'medium'), as torch.

    ember's products are always computed in float32 ('highest'); the setting is kept so that
    ``get_float32_matmul_precision`` and ``backends.cuda.matmul.allow_tf32`` answer as torch."""
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got "
                           f"{type(precision).__name__}")
    if precision not in _PRECISIONS:
        # torch warns and keeps the old value
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
                      f"setFloat32MatmulPrecision call has no effect.", stacklevel=2)
        return
    _state["precision"] = precision


def get_float32_matmul_precision():
    """The value last set by ``set_float32_matmul_precision`` ('highest' at start)."""
    return _state["precision"]


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Record whether only deterministic algorithms may run, as torch.

    Every ember kernel is deterministic already (NumPy/CuPy give the same result for the same
    input, ember adds no atomics), so no op needs to raise or warn."""
    for name, value in (("mode", mode), ("warn_only", warn_only)):
        if not isinstance(value, bool):
            position = " (position 1)" if name == "mode" else ""
            raise TypeError(f"_set_deterministic_algorithms(): argument '{name}'{position} must "
                            f"be bool, not {type(value).__name__}")
    _state["deterministic"] = mode
    _state["warn_only"] = warn_only  # kept even when mode is False, as torch


def are_deterministic_algorithms_enabled():
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled():
    return _state["warn_only"]


def set_default_device(device):
    """The device where factories put tensors made without ``device=`` (None: back to cpu).

    NOTE: the device is checked when a tensor is made (as torch: setting 'cuda' on a machine
    without CUDA succeeds, the next ``zeros`` raises)."""
    _device.default_device = _device.CPU if device is None else _device.device(device)


def get_default_device():
    """The device factories use without ``device=``: cpu unless ``set_default_device`` changed
    it (a 'cuda' default is reported with its index, as torch)."""
    return _device.canonical(None)
