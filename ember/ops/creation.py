"""Making tensors: tensor, as_tensor, asarray, from_numpy, from_dlpack, zeros, ones, full, empty,
arange, range, linspace, logspace, eye, scalar_tensor and the ``*_like`` variants, with torch's
dtype inference, keywords (``dtype``, ``device``, ``requires_grad``) and errors.
"""

import builtins
import collections.abc
import math
import operator
import warnings

import numpy as np

from .. import _device
from .. import _dtype as D
from .._errors import allocation_error
from .._tensor import Tensor
from .binary import factory_out, write_out

__all__ = [
    "tensor",
    "as_tensor",
    "asarray",
    "from_numpy",
    "from_dlpack",
    "zeros",
    "ones",
    "full",
    "empty",
    "arange",
    "linspace",
    "logspace",
    "eye",
    "zeros_like",
    "ones_like",
    "full_like",
    "empty_like",
    "scalar_tensor",
    "range",
]

_PYTHON_NUMBERS = {bool: D.BOOL, int: D.INT, float: D.FLOAT, complex: D.COMPLEX}


def _finish(array, dtype, device, requires_grad):
    """Place a NumPy array on ``device`` as a tensor of ``dtype``."""
    dev = _device.canonical(device)
    if dtype is not None and array.dtype != dtype.np:
        with np.errstate(over="ignore", invalid="ignore"):  # out-of-range floats become inf
            array = D.cast(array, dtype)
    if dev.type != "cpu":
        from .convert import move_array

        array = move_array(array, dev)
    t = Tensor._make(array, dev)
    if requires_grad:
        _check_requires_grad(t.dtype)
        t._requires_grad = True
    return t


def _check_requires_grad(dtype):
    if dtype.category < D.FLOAT:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")


def _type_name(obj):
    cls = type(obj)
    return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__}"


# ---------------------------------------------------------------------------- tensor(data)
# Nested Python data becomes a tensor in three steps:
#   1. the shape, read by following the first element of each level;
#   2. the values, flattened while every level is checked to have the length of step 1;
#   3. the dtype, from every value (bool < int64 < default float < default complex; NumPy
#      scalars, arrays and tensors bring their own dtype and are promoted with the rest).
# torch finds the dtype before the values; ember reads it from the flat values' types (one
# pass over a list, not three) and walks the data for the dtype only when a value is not a
# plain Python number, or when flattening fails (so that torch's dtype error comes first).


def _is_sequence(obj):
    if isinstance(obj, (list, tuple, builtins.range, np.ndarray)):
        return True
    return isinstance(obj, collections.abc.Sequence) and not isinstance(obj, (str, bytes))


def _data_shape(data):
    shape = []
    while _is_sequence(data) or isinstance(data, str):
        if isinstance(data, str):  # a string is a sequence of strings, without end
            raise ValueError("too many dimensions 'str'")
        n = len(data)
        shape.append(n)
        if n == 0:
            break
        data = data[0]
    return tuple(shape)


def _category_dtype(category):
    return {
        D.BOOL: D.bool,
        D.INT: D.int64,
        D.FLOAT: D.get_default_dtype(),
        D.COMPLEX: D.default_complex_dtype(),
    }[category]


def _data_dtype(data):
    """torch's dtype for ``data``: every value takes part."""
    if isinstance(data, Tensor):
        return data.dtype
    if isinstance(data, (np.ndarray, np.generic)):
        return D.from_numpy_dtype(data.dtype)
    category = _PYTHON_NUMBERS.get(type(data))
    if category is not None:
        return _category_dtype(category)
    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    if not _is_sequence(data):
        raise RuntimeError(f"Could not infer dtype of {type(data).__name__}")
    if len(data) == 0:
        return D.get_default_dtype()
    kinds = set(map(type, data))
    if kinds <= _PYTHON_NUMBERS.keys():  # fast path: a row of plain Python numbers
        return _category_dtype(max(_PYTHON_NUMBERS[k] for k in kinds))
    result = None
    for item in data:
        dtype = _data_dtype(item)
        result = dtype if result is None else D.promote_types(result, dtype)
    return result


def _flatten(data, shape, dim, out):
    """Append the values of ``data`` (at depth ``dim``) to ``out``, checking its lengths."""
    if dim == len(shape):
        out.append(data)
        return
    if not _is_sequence(data):
        raise TypeError("not a sequence")
    if len(data) != shape[dim]:
        raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {len(data)})")
    if dim == len(shape) - 1:
        out.extend(data)
    else:
        for item in data:
            _flatten(item, shape, dim + 1, out)


def _leaf_number(x, dtype):
    """One value that is not a plain Python number (a NumPy scalar, a one-element tensor...)
    as a Python number for a tensor of ``dtype``, with torch's errors."""
    if dtype.category == D.INT:
        if isinstance(x, float):  # also numpy.float64
            return float(x)
        return operator.index(x)  # TypeError for lists, complex, numpy.float32 ...
    if dtype.category == D.BOOL:
        return bool(x)
    if dtype.category == D.COMPLEX:
        return complex(x)
    if isinstance(x, (complex, np.complexfloating)) or (isinstance(x, Tensor) and x.is_complex()):
        raise TypeError("must be real number, not complex")
    if not hasattr(x, "__float__"):
        raise TypeError(f"must be real number, not {type(x).__name__}")
    return float(x)


def _numbers_to_array(values, kinds, shape, dtype):
    """A flat list of Python numbers (of the types ``kinds``) as an array of ``shape`` and
    ``dtype`` (checked casts)."""
    if dtype.category == D.INT and complex in kinds:
        raise TypeError("'complex' object cannot be interpreted as an integer")
    if dtype.category == D.FLOAT and complex in kinds:
        raise TypeError("must be real number, not complex")
    if dtype.category in (D.BOOL, D.COMPLEX):
        return np.array(values, dtype=dtype.np).reshape(shape)
    if dtype.category == D.FLOAT:
        if dtype.itemsize >= 4:  # float32/64: NumPy rounds each Python float once, as torch
            try:
                return np.array(values, dtype=dtype.np).reshape(shape)
            except FloatingPointError:  # np.seterr(over="raise") and a value beyond float32
                pass
        with np.errstate(over="ignore"):  # out-of-range values become inf, as in torch
            return D.cast(np.array(values, dtype=np.float64).reshape(shape), dtype)
    # integer dtypes: whole values must fit; fractional ones are truncated
    if float in kinds:
        array = np.array(values, dtype=np.float64)
        low, high = _int_bounds(dtype, fractional=True)
        if (
            not np.all(np.isfinite(array))
            or array.size
            and (array.min() < low or array.max() > high)
        ):
            raise RuntimeError(f"value cannot be converted to type {dtype.name} without overflow")
        return np.trunc(array).astype(dtype.np).reshape(shape)
    if values and (min(values) < -(2**63) or max(values) >= 2**63):
        raise ValueError("Overflow when unpacking long long")
    low, high = _int_bounds(dtype)
    array = np.array(values, dtype=np.int64)
    if array.size and (array.min() < low or array.max() > high):
        raise RuntimeError(f"value cannot be converted to type {dtype.name} without overflow")
    return array.astype(dtype.np).reshape(shape)


def _int_bounds(dtype, fractional=False):
    """The values torch accepts for an integer dtype (negative ints wrap into unsigned types)."""
    info = np.iinfo(dtype.np)
    if dtype.is_signed:
        return int(info.min), int(info.max)
    return (0 if fractional else -int(info.max)), int(info.max)


def _numpy_array(array):
    """Checks that ``tensor`` and ``from_numpy`` make on a NumPy array: native byte order,
    a supported dtype, no negative strides."""
    if array.dtype.byteorder == ">":
        raise ValueError(
            "given numpy array has byte order different from the native byte "
            "order. Conversion between byte orders is currently not supported."
        )
    D.from_numpy_dtype(array.dtype)  # TypeError for dtypes ember has no tensor of
    if any(s < 0 for s in array.strides):
        raise ValueError(
            "At least one stride in the given numpy array is negative, and tensors "
            "with negative strides are not currently supported. (You can probably "
            "work around this by making a copy of your array  with array.copy().) "
        )
    return array


def _data_to_array(data, dtype):
    """``data`` (anything ``tensor`` accepts) as a new NumPy array; its inferred dtype."""
    if isinstance(data, Tensor):
        return np.array(data.detach()._host()), data.dtype
    if isinstance(data, np.ndarray):
        return np.array(_numpy_array(data)), D.from_numpy_dtype(data.dtype)
    if isinstance(data, np.generic):
        return np.array(data), D.from_numpy_dtype(data.dtype)
    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    shape = _data_shape(data)
    values = []
    if 0 not in shape:
        try:
            _flatten(data, shape, 0, values)
        except (TypeError, ValueError):
            if dtype is None:
                _data_dtype(data)  # torch infers the dtype first: its error comes first
            raise
    kinds = set(map(type, values))
    plain = kinds <= _PYTHON_NUMBERS.keys()
    inferred = None
    if dtype is None:
        if plain and values:  # only Python numbers: their kinds decide (a quick path)
            inferred = _category_dtype(max(_PYTHON_NUMBERS[k] for k in kinds))
        else:
            inferred = _data_dtype(data)
    target = dtype or inferred
    if not plain:
        values = [v if type(v) in _PYTHON_NUMBERS else _leaf_number(v, target) for v in values]
        kinds = set(map(type, values))
    return _numbers_to_array(values, kinds, shape, target), inferred


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays or tensors).

    Python bools give bool, ints int64, floats the default dtype (float32), complex numbers the
    default complex dtype; NumPy arrays and scalars keep their dtype.

    >>> tensor([[1, 2], [3, 4]])
    tensor([[1, 2],
            [3, 4]])
    >>> tensor([1, 2.5])
    tensor([1.0000, 2.5000])
    """
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use "
            "sourceTensor.detach().clone() or "
            "sourceTensor.detach().clone().requires_grad_(True), rather than "
            "ember.tensor(sourceTensor).",
            UserWarning,
            stacklevel=2,
        )
    dtype = D.check_dtype(dtype, "tensor")
    array, inferred = _data_to_array(data, dtype)
    if requires_grad:
        _check_requires_grad(dtype or inferred)
    return _finish(array, dtype or inferred, device, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with a NumPy array or tensor when it can."""
    dtype = D.check_dtype(dtype, "as_tensor")
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device)
    if isinstance(data, np.ndarray) and _device.canonical(device).type == "cpu":
        t = from_numpy(data)
        return t if dtype is None else t.to(dtype)
    return tensor(data, dtype=dtype, device=device)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """``obj`` as a tensor, sharing memory unless ``copy=True`` or a conversion needs a copy."""
    if copy and isinstance(obj, Tensor):
        t = obj.detach().clone().to(dtype=dtype, device=device)
    elif copy:
        t = tensor(obj, dtype=dtype, device=device)
    else:
        t = as_tensor(obj, dtype, device)
    if requires_grad:
        t = t.detach().requires_grad_(True) if t is obj else t.requires_grad_(True)
    return t


def from_numpy(ndarray):
    """A tensor that shares memory with ``ndarray`` and keeps its dtype (float64 stays float64).

    Layers are float32: convert float64 data with ``.float()`` before feeding a model.
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    return Tensor._make(_numpy_array(ndarray), _device.CPU)


def from_dlpack(ext_tensor):
    """A tensor sharing memory with any object that implements ``__dlpack__`` (a NumPy array,
    a CuPy array, a torch tensor, another ember tensor)."""
    device_type, index = ext_tensor.__dlpack_device__()
    if device_type == 1:  # kDLCPU
        return Tensor._make(np.from_dlpack(ext_tensor), _device.CPU)
    if device_type == 2:  # kDLCUDA
        dev = _device.canonical(_device.device("cuda", index))
        return Tensor._make(_device.xp_for(dev).from_dlpack(ext_tensor), dev)
    raise RuntimeError(f"from_dlpack: unsupported device type {device_type}")


# ---------------------------------------------------------------------------- filled tensors


def _shape(size, fn="zeros"):
    """The shape from ``zeros(2, 3)``, ``zeros((2, 3))`` or ``zeros(Size([2, 3]))``."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    elif len(size) == 1 and not _is_int(size[0]):
        raise TypeError(
            f"{fn}(): argument 'size' (position 1) must be tuple of ints, not "
            f"{type(size[0]).__name__}"
        )
    shape = []
    for pos, s in enumerate(size, 1):
        if not _is_int(s):
            raise TypeError(
                f"{fn}(): argument 'size' failed to unpack the object at pos {pos} "
                f'with error "type must be tuple of ints,but got '
                f'{type(s).__name__}"'
            )
        s = operator.index(s)
        if s < 0:
            if fn == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {s}: "
                f"{[operator.index(x) for x in size]}"
            )
        shape.append(s)
    return tuple(shape)


def _is_int(x):
    if isinstance(x, Tensor):
        return x.numel() == 1 and x.dtype.category == D.INT
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _filled(shape, value, dtype, device, requires_grad):
    dev = _device.canonical(device)
    xp = _device.xp_for(dev)
    if isinstance(value, complex) and dtype.category != D.COMPLEX:
        value = bool(value) if dtype is D.bool else value.real  # checked: imag is 0
    # cast through an array: floats truncate, negative ints wrap into unsigned types
    np_dtype = D.to_numpy_dtype(dtype)
    value = np.asarray(value).astype(np_dtype)
    try:
        if dev.type == "meta":  # shape and dtype only: one element seen everywhere
            array = _device.meta_array(shape, np_dtype)
        else:
            array = xp.full(shape, value, dtype=np_dtype)
    except (MemoryError, ValueError) as e:  # sizes too large: torch's words, not NumPy's
        raise allocation_error(e, shape, np_dtype.itemsize) from None
    t = Tensor._make(array, dev)
    if requires_grad:
        _check_requires_grad(dtype)
        t._requires_grad = True
    return t


def zeros(
    *size,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
    **kwargs,
):
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``. Same as torch.zeros."""
    shape = _shape(_size_argument(size, kwargs, "zeros"), "zeros")
    dtype, device = factory_out(dtype, device, out, "zeros")
    result = _filled(shape, 0, dtype or D.get_default_dtype(), device, requires_grad)
    return write_out(result, out, "zeros")


def ones(
    *size,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
    **kwargs,
):
    """A tensor of ones. Same as torch.ones."""
    shape = _shape(_size_argument(size, kwargs, "ones"), "ones")
    dtype, device = factory_out(dtype, device, out, "ones")
    result = _filled(shape, 1, dtype or D.get_default_dtype(), device, requires_grad)
    return write_out(result, out, "ones")


def empty(
    *size,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
    memory_format=None,
    **kwargs,
):
    """A tensor of the given size (ember fills it with zeros; torch leaves memory as it was)."""
    shape = _shape(_size_argument(size, kwargs, "empty"), "empty")
    dtype, device = factory_out(dtype, device, out, "empty")
    result = _filled(shape, 0, dtype or D.get_default_dtype(), device, requires_grad)
    return write_out(result, out, "empty")


def _size_argument(size, kwargs, fn):
    """``size`` given by position, or as the keyword ``size=`` (torch accepts both)."""
    if "size" in kwargs:
        if size:
            raise TypeError(f"{fn}() got multiple values for argument 'size'")
        size = (kwargs.pop("size"),)
    if kwargs:
        raise TypeError(f"{fn}() got an unexpected keyword argument '{next(iter(kwargs))}'")
    return size


# the C++ type names torch's overflow errors use
_C_TYPE_NAMES = {
    "uint8": "uint8_t",
    "int8": "int8_t",
    "int16": "int16_t",
    "int32": "int",
    "int64": "int64_t",
    "float16": "c10::Half",
    "bfloat16": "c10::BFloat16",
    "float32": "float",
    "float64": "double",
    "complex64": "c10::complex<float>",
    "complex128": "c10::complex<double>",
}


def _check_fill_value(value, dtype):
    """torch's check that one value fits ``dtype`` (as in ``full`` and ``scalar_tensor``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value >= 2**64:
            raise OverflowError("int too big to convert")
        if value < -(2**63):
            raise OverflowError("can't convert negative int to unsigned")
    if dtype is D.bool:
        return
    fits = True
    if dtype.category == D.INT:
        if isinstance(value, complex):
            value = value.real if value.imag == 0 else math.nan
        low, high = _int_bounds(dtype, fractional=isinstance(value, float))
        fits = math.isfinite(value) and low <= value <= high
    elif dtype.category == D.FLOAT:
        if isinstance(value, complex):
            fits, value = value.imag == 0, value.real
        largest = float(np.finfo(np.float32 if dtype is D.bfloat16 else dtype.np).max)
        fits = fits and not (math.isfinite(value) and abs(value) > largest)
    elif dtype is D.complex64:
        largest = float(np.finfo(np.float32).max)
        fits = not any(
            math.isfinite(p) and abs(p) > largest
            for p in (complex(value).real, complex(value).imag)
        )
    if not fits:
        raise RuntimeError(
            f"value cannot be converted to type {_C_TYPE_NAMES[dtype.name]} without overflow"
        )


def _fill_number(value, fn):
    """A fill value as a Python number (a one-element tensor or NumPy scalar gives its item)."""
    if isinstance(value, Tensor) and value.numel() == 1 or isinstance(value, np.generic):
        return value.item()
    if type(value) not in _PYTHON_NUMBERS:
        raise TypeError(
            f"{fn}(): argument 'fill_value' (position 2) must be Number, not {type(value).__name__}"
        )
    return value


def full(
    size,
    fill_value,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
):
    """A tensor filled with ``fill_value``; its dtype follows the value (bool, int64, float).

    >>> full((2,), 7)
    tensor([7, 7])
    """
    if not isinstance(size, (tuple, list)):
        raise TypeError(
            f"full(): argument 'size' (position 1) must be tuple of ints, not {type(size).__name__}"
        )
    value = _fill_number(fill_value, "full")
    dtype, device = factory_out(dtype, device, out, "full")
    dtype = dtype or D.scalar_dtype(value)  # a tensor's value counts as a Python number
    _check_fill_value(value, dtype)
    result = _filled(_shape((size,), "full"), value, dtype, device, requires_grad)
    return write_out(result, out, "full")


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    """A 0-dim tensor holding ``s`` (of the default dtype unless ``dtype`` is given)."""
    value = _fill_number(s, "scalar_tensor")
    dtype = D.check_dtype(dtype, "scalar_tensor") or D.get_default_dtype()
    _check_fill_value(value, dtype)
    return _filled((), value, dtype, device, requires_grad)


def _like(input, value, dtype, device, requires_grad, fn, memory_format=None):
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )
    dtype = D.check_dtype(dtype, fn) or input.dtype
    _check_fill_value(value, dtype)
    if memory_format is not None:  # channels_last: the same values, other strides
        from .. import _memory_format as M

        t = _filled(tuple(input.shape), value, dtype, device or input.device, False)
        t = Tensor._make(M.laid_out(t._data, M.check(memory_format, fn)), t.device)
        return t.requires_grad_(requires_grad) if requires_grad else t
    return _filled(tuple(input.shape), value, dtype, device or input.device, requires_grad)


def zeros_like(
    input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None
):
    """Zeros of ``input``'s shape, dtype and device."""
    return _like(input, 0, dtype, device, requires_grad, "zeros_like", memory_format)


def ones_like(
    input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None
):
    """Ones of ``input``'s shape, dtype and device."""
    return _like(input, 1, dtype, device, requires_grad, "ones_like", memory_format)


def empty_like(
    input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None
):
    """A tensor of ``input``'s shape, dtype and device (ember fills it with zeros)."""
    return _like(input, 0, dtype, device, requires_grad, "empty_like", memory_format)


def full_like(
    input,
    fill_value,
    *,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    memory_format=None,
):
    """``fill_value`` in ``input``'s shape, dtype and device (the value does not change the
    dtype)."""
    value = _fill_number(fill_value, "full_like")
    return _like(input, value, dtype, device, requires_grad, "full_like", memory_format)


# ---------------------------------------------------------------------------- ranges


def _number(x):
    return x.item() if isinstance(x, (Tensor, np.generic)) else x


def arange(
    start=0,
    end=None,
    step=1,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
):
    """Values from ``start`` up to (not including) ``end`` by ``step``. Same as torch.arange.

    The dtype is int64 when all arguments are integers, else the default float dtype.

    >>> arange(0, 1, 0.25)
    tensor([0.0000, 0.2500, 0.5000, 0.7500])
    """
    if end is None:
        start, end = 0, start
    start, end, step = _number(start), _number(end), _number(step)
    if any(isinstance(v, complex) for v in (start, end, step)):
        raise RuntimeError("value cannot be converted to type double without overflow")
    dtype, device = factory_out(dtype, device, out, "arange")
    if dtype is None:
        whole = all(isinstance(v, int) for v in (start, end, step))  # bools count as ints
        dtype = D.int64 if whole else D.get_default_dtype()
    if dtype.category in (D.BOOL, D.COMPLEX):
        raise NotImplementedError(f"\"arange_cpu\" not implemented for '{dtype._short}'")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is D.int64:
        # NOTE: for int64 torch truncates start, end and step before counting, so
        # arange(0, 5.5, dtype=int64) has 5 values (other integer dtypes count with 5.5: 6)
        start, end, step = int(start), int(end), int(step)
        if step == 0:
            raise ValueError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = math.ceil((end - start) / step)
    if dtype.category == D.INT:
        values = int(start) + np.arange(n, dtype=np.int64) * int(step)
    else:  # counted and computed in double precision, then rounded to the dtype
        values = start + np.arange(n, dtype=np.float64) * step
    return write_out(_finish(values, dtype, device, requires_grad), out, "arange")


def range(
    start,
    end,
    step=1,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,  # noqa: A001
    requires_grad=False,
):
    """Deprecated in torch: like ``arange`` but including ``end``; always floating point."""
    warnings.warn(
        "ember.range is deprecated and will be removed in a future release because its "
        "behavior is inconsistent with Python's range builtin. Instead, use "
        "ember.arange, which produces values in [start, end).",
        UserWarning,
        stacklevel=2,
    )
    start, end, step = _number(start), _number(end), _number(step)
    dtype, device = factory_out(dtype, device, out, "range")
    n = math.floor((end - start) / step) + 1
    values = start + np.arange(max(n, 0), dtype=np.float64) * step
    result = _finish(values, dtype or D.get_default_dtype(), device, requires_grad)
    return write_out(result, out, "range")


def _steps(steps, fn):
    if not _is_int(steps):
        raise TypeError(f"{fn}(): argument 'steps' must be int, not {type(steps).__name__}")
    steps = operator.index(steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return steps


def _endpoint(x, name, fn):
    if isinstance(x, Tensor) and x.dim() != 0:
        raise RuntimeError(
            f"{fn} only supports 0-dimensional start and end tensors, but got "
            f"{name} with {x.dim()} dimension(s)."
        )
    return _number(x)


# the precision each value is computed in: torch's product and sum are fused (one rounding) for
# 32- and 64-bit types; 16-bit floats round after every operation
_WIDER = {
    np.dtype(np.float32): np.dtype(np.float64),
    np.dtype(np.float64): np.dtype(np.longdouble),
    np.dtype(np.complex64): np.dtype(np.complex128),
    np.dtype(np.complex128): np.dtype(np.clongdouble),
}


def _even_steps(start, end, steps, np_dtype):
    """``steps`` values from start to end, rounded to ``np_dtype``.

    NOTE: as torch does, the first half counts up from ``start`` and the second half down from
    ``end``, so both ends come out exact.
    """
    start, end = np_dtype.type(start), np_dtype.type(end)
    if steps == 1:
        return np.array([start], dtype=np_dtype)
    step = (end - start) / np_dtype.type(steps - 1)  # rounded to the dtype
    wide = _WIDER.get(np_dtype, np_dtype)
    up = np.arange(steps).astype(wide)
    down = np.arange(steps - 1, -1, -1).astype(wide)
    values = np.where(
        np.arange(steps) < steps // 2,
        wide.type(start) + wide.type(step) * up,
        wide.type(end) - wide.type(step) * down,
    )
    return values.astype(np_dtype)


def linspace(
    start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False
):
    """``steps`` evenly spaced values from ``start`` to ``end``, both included.

    >>> linspace(0, 1, 5)
    tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    """
    start, end = _endpoint(start, "start", "linspace"), _endpoint(end, "end", "linspace")
    steps = _steps(steps, "linspace")
    dtype, device = factory_out(dtype, device, out, "linspace")
    if dtype is None:
        complex_ends = isinstance(start, complex) or isinstance(end, complex)
        dtype = D.default_complex_dtype() if complex_ends else D.get_default_dtype()
    if dtype is D.bool:
        raise NotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
    if requires_grad:
        _check_requires_grad(dtype)
    if dtype.category == D.INT:
        # the ends are truncated to integers, the values between computed in double
        values = np.trunc(_even_steps(int(start), int(end), steps, np.dtype(np.float64)))
    else:
        values = _even_steps(start, end, steps, D.to_numpy_dtype(dtype))
    return write_out(_finish(values, dtype, device, requires_grad), out, "linspace")


def logspace(
    start,
    end,
    steps,
    base=10.0,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
):
    """``base ** linspace(start, end, steps)``, computed in double precision.

    >>> logspace(0, 2, 3)
    tensor([  1.,  10., 100.])
    """
    start, end = _endpoint(start, "start", "logspace"), _endpoint(end, "end", "logspace")
    steps = _steps(steps, "logspace")
    dtype, device = factory_out(dtype, device, out, "logspace")
    dtype = dtype or D.get_default_dtype()
    if requires_grad:
        _check_requires_grad(dtype)
    wide = np.dtype(np.complex128 if dtype.category == D.COMPLEX else np.float64)
    values = np.power(base, _even_steps(start, end, steps, wide))
    if dtype.category == D.INT:
        values = np.trunc(values)
    return write_out(_finish(values, dtype, device, requires_grad), out, "logspace")


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """The ``n`` x ``m`` identity matrix (``m`` defaults to ``n``)."""
    for name, value in (("n", n), ("m", m)):
        if value is None:
            continue
        if not _is_int(value):
            position = 1 if name == "n" else 2
            raise TypeError(
                f"eye(): argument '{name}' (position {position}) must be int, not "
                f"{type(value).__name__}"
            )
        if operator.index(value) < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {value}")
    n = operator.index(n)
    m = n if m is None else operator.index(m)
    dtype, device = factory_out(dtype, device, out, "eye")
    result = _finish(np.eye(n, m), dtype or D.get_default_dtype(), device, requires_grad)
    return write_out(result, out, "eye")
