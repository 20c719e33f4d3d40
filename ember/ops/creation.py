"""Making tensors: tensor, as_tensor, from_numpy, zeros, ones, full, empty, arange, linspace,
logspace, eye and the ``*_like`` variants, with torch's dtype inference and keywords
(``dtype``, ``device``, ``requires_grad``).
"""

import numbers

import numpy as np

from .. import _device
from .. import _dtype as D
from .._tensor import Size, Tensor

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "full", "empty",
           "arange", "linspace", "logspace", "eye", "zeros_like", "ones_like", "full_like",
           "empty_like", "scalar_tensor", "range"]

_range = range


def _finish(array, dtype, device, requires_grad):
    """Place a NumPy array on ``device`` as a tensor of ``dtype``."""
    dev = _device.canonical(device)
    if dtype is not None:
        array = array.astype(D.to_numpy_dtype(dtype), copy=False)
    if dev.type != "cpu":
        from .convert import move_array

        array = move_array(array, dev)
    t = Tensor._make(array, dev)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer_dtype(data, array):
    """torch's dtype for data given as Python values: bool, int64, default float/complex."""
    kind = array.dtype.kind
    if kind == "b":
        return D.bool
    if kind in "iu":
        return D.int64
    if kind == "f":
        return D.get_default_dtype()
    if kind == "c":
        return D.default_complex_dtype()
    raise TypeError(f"new(): invalid data type '{type(_first_leaf(data)).__name__}'")


def _first_leaf(data):
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    return data


def _to_array(data):
    """Nested lists/tuples of numbers or tensors as one NumPy array; its torch dtype."""
    if isinstance(data, Tensor):
        return np.array(data._host()), data.dtype
    if isinstance(data, np.ndarray):
        return np.array(data), D.from_numpy_dtype(data.dtype)
    if isinstance(data, np.generic):
        return np.array(data), D.from_numpy_dtype(data.dtype)
    if isinstance(data, (list, tuple)) and _contains_tensor(data):
        parts = [_to_array(d) for d in data]
        dtype = parts[0][1]
        for _, d in parts[1:]:
            dtype = D.promote_types(dtype, d)
        return np.array([p for p, _ in parts]), dtype
    if isinstance(data, (str, bytes)) or data is None:
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    try:
        array = np.array(data)
    except ValueError as e:
        raise ValueError(f"expected sequence of equal length lists: {e}") from None
    if array.dtype == object:
        leaf = _first_leaf(data)
        if isinstance(leaf, numbers.Number):
            raise ValueError("expected sequence of length "
                             f"{len(data[0]) if hasattr(data[0], '__len__') else 1} at dim 1")
        raise TypeError(f"new(): invalid data type '{type(leaf).__name__}'")
    return array, _infer_dtype(data, array)


def _contains_tensor(data):
    for d in data:
        if isinstance(d, Tensor):
            return True
        if isinstance(d, (list, tuple)) and _contains_tensor(d):
            return True
    return False


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays or tensors).

    Python ints give int64, floats the default dtype (float32), NumPy arrays keep their dtype.
    """
    array, inferred = _to_array(data)
    if requires_grad and (dtype or inferred).category < D.FLOAT:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")
    return _finish(array, dtype or inferred, device, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with a NumPy array or tensor when it can."""
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device)
    if isinstance(data, np.ndarray) and (device is None or _device.canonical(device).type ==
                                         "cpu"):
        t = from_numpy(data)
        return t if dtype is None else t.to(dtype)
    return tensor(data, dtype=dtype, device=device)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    t = tensor(obj, dtype=dtype, device=device) if copy else as_tensor(obj, dtype, device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_numpy(ndarray):
    """A tensor that shares memory with ``ndarray`` and keeps its dtype (float64 stays float64).

    Layers are float32: convert float64 data with ``.float()`` before feeding a model.
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    D.from_numpy_dtype(ndarray.dtype)  # raises torch's TypeError for unsupported dtypes
    if ndarray.dtype.byteorder == ">":
        raise ValueError("given numpy array has byte order different from the native byte "
                         "order. Conversion between byte orders is currently not supported.")
    if any(s < 0 for s in ndarray.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors "
                         "with negative strides are not currently supported. (You can probably "
                         "work around this by making a copy of your array  with array.copy().) ")
    return Tensor._make(ndarray, _device.CPU)


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = size[0]
    shape = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.item()
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"zeros(): argument 'size' must be tuple of ints, but found element "
                            f"of type {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
        shape.append(int(s))
    return tuple(shape)


def _filled(size, value, dtype, device, requires_grad):
    dtype = dtype or D.get_default_dtype()
    xp = _device.xp_for(_device.canonical(device))
    dev = _device.canonical(device)
    t = Tensor._make(xp.full(_shape(size), value, dtype=D.to_numpy_dtype(dtype)), dev)
    if requires_grad:
        t.requires_grad_(True)
    return t


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False):
    """A tensor of zeros. Same as torch.zeros."""
    return _filled(size, 0, dtype, device, requires_grad)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    """A tensor of ones. Same as torch.ones."""
    return _filled(size, 1, dtype, device, requires_grad)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None):
    """An uninitialised tensor (ember fills it with zeros). Same as torch.empty."""
    return _filled(size, 0, dtype, device, requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False):
    """A tensor filled with ``fill_value``; its dtype follows the value as in torch."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        dtype = D.scalar_dtype(fill_value)
    return _filled(tuple(size) if isinstance(size, (tuple, list)) else (size,), fill_value,
                   dtype, device, requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    return _filled((), s, dtype, device, requires_grad)


def _like(input, value, dtype, device, requires_grad):
    return _filled(input.shape, value, dtype or input.dtype, device or input.device,
                   requires_grad)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    return _like(input, 0, dtype, device, requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    return _like(input, 1, dtype, device, requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    return _like(input, 0, dtype, device, requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _like(input, fill_value, dtype, device, requires_grad)


def _number(x):
    return x.item() if isinstance(x, Tensor) else x


def arange(start, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    """Values from ``start`` up to (not including) ``end`` by ``step``. Same as torch.arange.

    The dtype is int64 when all arguments are integers, else the default float dtype.
    """
    if end is None:
        start, end = 0, start
    start, end, step = _number(start), _number(end), _number(step)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = D.int64 if is_int else D.get_default_dtype()
    # NOTE: torch computes the length in double precision, then start + i * step
    n = int(np.ceil((end - start) / step))
    values = start + np.arange(n, dtype=np.float64 if dtype.category >= D.FLOAT else np.int64) \
        * step
    return _finish(values, dtype, device, requires_grad)


def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):  # noqa: A001
    """Deprecated in torch: like arange but including ``end``."""
    if end is None:
        start, end = 0, start
    n = int(np.floor((end - start) / step)) + 1
    values = start + np.arange(n, dtype=np.float64) * step
    return _finish(values, dtype or D.get_default_dtype(), device, requires_grad)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    start, end = _number(start), _number(end)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = dtype or D.get_default_dtype()
    # NOTE: torch fills the first half from start and the second half from end
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    i = np.arange(steps, dtype=np.float64)
    half = steps // 2
    values = np.where(i < half, start + step * i, end - step * (steps - 1 - i))
    if dtype.category < D.FLOAT:
        values = np.trunc(values)
    return _finish(values, dtype, device, requires_grad)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    """``base ** linspace(start, end, steps)``."""
    exponents = linspace(start, end, steps, dtype=D.float64)._data
    dtype = dtype or D.get_default_dtype()
    return _finish(np.power(base, exponents), dtype, device, requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """The identity matrix (``n`` x ``m``)."""
    return _finish(np.eye(n, n if m is None else m), dtype or D.get_default_dtype(), device,
                   requires_grad)


def _legacy_new(args, device):
    """``ember.Tensor(...)``: sizes make an uninitialised float tensor, data a float copy."""
    if not args:
        return zeros(0, device=device)
    if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
        data = args[0]
        if isinstance(data, Size):
            return zeros(data, device=device)
        return tensor(data, dtype=D.get_default_dtype(), device=device)
    return zeros(*args, device=device)
