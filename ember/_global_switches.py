"""torch's process-wide switches and build facts that programs read or set in their first lines:
anomaly mode (set_anomaly_enabled), inter-op threads, warn-always, the legacy
set_default_tensor_type, and the ``has_*`` build flags.

The build flags are ember's own truthful answers (ember's maths runs in NumPy):
    has_lapack   True: numpy.linalg calls LAPACK (ember's linalg uses it)
    has_spectral True: numpy.fft computes ember's FFTs
    has_mkl      True only when NumPy's BLAS is Intel MKL
    has_openmp   False: ember starts no OpenMP threads of its own
"""

import os
import warnings

import numpy as np

from . import _dtype as D
from ._setup import set_default_device
from .autograd import anomaly_mode as _anomaly

__all__ = ["set_anomaly_enabled", "is_anomaly_enabled", "is_anomaly_check_nan_enabled",
           "get_num_interop_threads", "set_num_interop_threads", "set_warn_always",
           "is_warn_always_enabled", "set_default_tensor_type", "has_lapack", "has_mkl",
           "has_openmp", "has_spectral"]

is_anomaly_enabled = _anomaly.is_anomaly_enabled
is_anomaly_check_nan_enabled = _anomaly.is_anomaly_check_nan_enabled


def set_anomaly_enabled(enabled, check_nan=True):
    """Turn anomaly mode on or off for the whole process (what detect_anomaly does for a
    block). Same as torch.set_anomaly_enabled."""
    _anomaly.state.enabled = bool(enabled)
    _anomaly.state.check_nan = bool(check_nan)


# ---------------------------------------------------------------------------- inter-op threads
# torch runs independent ops on a pool of inter-op threads; ember runs ops one after another, so
# the number is only remembered (and given back), with torch's checks.
_interop = {"threads": os.cpu_count() or 1, "set": False}


def get_num_interop_threads():
    return _interop["threads"]


def set_num_interop_threads(nthreads):
    """Same checks as torch.set_num_interop_threads (positive, and only once); ember has no
    inter-op pool, so it changes no speed."""
    if nthreads < 1:
        raise RuntimeError("set_num_interop_threads expects a positive integer")
    if _interop["set"]:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work "
                           "has started or set_num_interop_threads called")
    _interop["threads"], _interop["set"] = int(nthreads), True


# ---------------------------------------------------------------------------- warn always
_warn_always = [False]


def set_warn_always(b):
    """torch: repeat its warn-once warnings every time. ember's warnings go through Python's
    ``warnings`` module, whose filters already decide that; the flag is kept and read back."""
    _warn_always[0] = bool(b)


def is_warn_always_enabled():
    return _warn_always[0]


# ---------------------------------------------------------------------------- legacy default type

def set_default_tensor_type(t, /):
    """The legacy way to set the default float dtype (and device): ``FloatTensor``,
    ``DoubleTensor``, ``cuda.FloatTensor`` or their names as strings. Deprecated in torch,
    which warns; prefer set_default_dtype and set_default_device."""
    from . import _legacy

    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "torch.set_default_dtype() and torch.set_default_device() as alternatives.",
                  UserWarning, stacklevel=2)
    if isinstance(t, str):
        prefix, _, name = t.rpartition(".")
        device_type = {"torch": "cpu", "torch.cuda": "cuda"}.get(prefix)
        dtype_name = {v: k for k, v in _legacy.NAMES.items()}.get(name)
        if device_type is None or dtype_name is None:
            raise AttributeError(f"module '{prefix or 'torch'}' has no attribute '{name}'")
        dtype = getattr(D, dtype_name)
    else:
        dtype, device_type = getattr(t, "dtype", None), getattr(t, "_device_type", None)
        if dtype is None:
            raise TypeError(f"invalid type: '{t}'")
    if dtype.category != D.FLOAT:
        raise TypeError("only floating-point types are supported as the default type")
    D.set_default_dtype(dtype)
    set_default_device(device_type)


# ---------------------------------------------------------------------------- build facts

def _blas_name():
    try:
        return np.__config__.CONFIG["Build Dependencies"]["blas"]["name"]
    except (AttributeError, KeyError, TypeError):
        return ""


has_lapack = True
has_spectral = True
has_mkl = "mkl" in _blas_name().lower()
has_openmp = False
