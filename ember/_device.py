"""Devices and the array module ("backend") each one computes with.

``cpu`` computes with NumPy, ``cuda`` with CuPy.  Ops never import numpy for their maths: they
use the ``xp`` module of their inputs' device, so one forward serves both backends.

``meta`` tensors have shapes and dtypes but no values: they hold ``meta_array``s (one element
seen at every index) and compute their shapes with NumPy.

Tests without a GPU can switch on a stand-in ``cuda`` backed by NumPy
(``ember._device.enable_fake_cuda()``) to exercise moves and the mismatch error.
"""

import numpy as np


class device:
    """``ember.device('cpu')``, ``ember.device('cuda:0')``, ``ember.device('cuda', 1)``."""

    __slots__ = ("type", "index")

    def __new__(cls, type, index=None):  # noqa: A002 - torch's argument name
        if isinstance(type, device):
            return type
        if isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments: {type!r}")
        if ":" in type:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was "
                                   f"passed explicitly: {type}")
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in ("cpu", "cuda", "meta"):
            raise RuntimeError(
                "Expected one of cpu, cuda, meta device type at start of device string: " + type)
        key = (type, index)
        cached = _interned.get(key)
        if cached is None:
            cached = object.__new__(cls)
            object.__setattr__(cached, "type", type)
            object.__setattr__(cached, "index", index)
            _interned[key] = cached
        return cached

    def __setattr__(self, name, value):
        raise AttributeError("ember.device is immutable")

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


_interned = {}

CPU = device("cpu")
default_device = CPU  # where factories put tensors made without device= (set_default_device)

# array module per device type; 'cuda' is filled in lazily (CuPy import is slow and optional)
# 'meta' tensors have shapes and dtypes but no values: NumPy computes their shapes (see meta_array)
_backends = {"cpu": np, "meta": np}


def canonical(dev):
    """The device a tensor actually lives on: ``'cuda'`` becomes ``cuda:<current>``; None is
    the default device (``ember.set_default_device``)."""
    if dev is None:
        if default_device is CPU:
            return CPU
        dev = default_device
    dev = device(dev)
    if dev.type == "cuda" and dev.index is None:
        return device("cuda", 0)
    if dev.type == "cuda":
        xp_for(dev)  # raise the friendly error now if there is no CUDA backend
    return dev


def xp_for(dev):
    """The array module (numpy or cupy) that computes for ``dev``."""
    xp = _backends.get(dev.type)
    if xp is None:
        xp = _load_backend(dev.type)
    return xp


def _load_backend(kind):
    if kind == "cuda":
        try:
            import cupy
            if cupy.cuda.runtime.getDeviceCount() > 0:
                _backends["cuda"] = cupy
                return cupy
        except Exception:  # noqa: BLE001 - any failure means: no usable CUDA here
            pass
        raise RuntimeError(
            "Torch not compiled with CUDA enabled\n"
            "  ember: CUDA tensors need a GPU and CuPy (pip install 'ember[cuda]'); "
            "ember.cuda.is_available() is False on this machine. Use device='cpu'.")
    raise RuntimeError(f"device type '{kind}' has no ember backend")


def enable_fake_cuda():
    """Test helper: back ``cuda`` devices with NumPy so device logic runs on any machine."""
    _backends["cuda"] = np
    global _fake_cuda
    _fake_cuda = True


def disable_fake_cuda():
    global _fake_cuda
    if _fake_cuda:
        _backends.pop("cuda", None)
    _fake_cuda = False


_fake_cuda = False


def cuda_available():
    if _fake_cuda:
        return True
    try:
        xp_for(device("cuda", 0))
        return True
    except RuntimeError:
        return False


def meta_array(shape, np_dtype):
    """The array a ``meta`` tensor holds: one zero seen at every index (all strides 0), so a
    meta tensor of any size costs one element.  Ops on meta tensors run NumPy on these arrays,
    which gives results of the right shape and dtype; ``Node.apply`` turns each result back
    into such an array (``to_meta``).  Writable, so in-place ops run as on any tensor (every
    write lands on the one element, whose value means nothing)."""
    return np.lib.stride_tricks.as_strided(np.zeros(1, dtype=np_dtype), shape=tuple(shape),
                                           strides=(0,) * len(shape))


def to_meta(out):
    """An op's output (an array or a tuple of them) as meta arrays; views of meta arrays
    (every stride 0 already) stay as they are."""
    if type(out) is tuple:
        return tuple([to_meta(o) for o in out])
    if not hasattr(out, "strides"):  # not an array (an op's extra output such as a count)
        return out
    if out.ndim == 0 or not any(out.strides):
        return out if isinstance(out, np.ndarray) else np.asarray(out)
    return meta_array(out.shape, out.dtype)


def array_module_of(arr):
    """numpy or cupy, from an array object."""
    return np if isinstance(arr, np.ndarray) else _backends["cuda"]
