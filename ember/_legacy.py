"""PyTorch's legacy names, still found in older programs: ``Variable``, ``FloatTensor`` & co.

Before PyTorch 0.4 a tensor's type was named after its dtype and device (``torch.FloatTensor``,
``torch.cuda.LongTensor``) and autograd needed tensors wrapped in ``Variable``.  Today both are
names that behave like the tensors they describe, and so they are here:

- ``Variable(data, requires_grad=False, volatile=False)`` returns ``data`` detached (sharing its
  memory), requiring grad if asked; every tensor is an instance of ``Variable``.
- ``FloatTensor(2, 3)`` makes an (uninitialised, here zero) tensor of that shape,
  ``FloatTensor([1, 2])`` one from data, ``FloatTensor()`` an empty one;
  ``isinstance(x, FloatTensor)`` is true when ``x`` is float32 on the CPU (a metaclass
  ``__instancecheck__``: the type is a description, no tensor is built from it);
  ``x.type()`` gives the name (``'torch.FloatTensor'``: programs compare that string) and
  ``x.type(FloatTensor)`` / ``x.type('torch.FloatTensor')`` convert.
"""

import operator
import warnings

# NOTE: _tensor.Tensor is read at call time: ember.autograd imports this file while _tensor loads
from . import _device, _tensor
from . import _dtype as D

# ---------------------------------------------------------------------------- the name table
# dtype name -> legacy type name (torch has no ComplexFloatTensor type object, but x.type()
# names complex tensors so, and x.type('torch.ComplexFloatTensor') converts)
NAMES = {
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "float16": "HalfTensor",
    "bfloat16": "BFloat16Tensor",
    "uint8": "ByteTensor",
    "int8": "CharTensor",
    "int16": "ShortTensor",
    "int32": "IntTensor",
    "int64": "LongTensor",
    "bool": "BoolTensor",
    "complex64": "ComplexFloatTensor",
    "complex128": "ComplexDoubleTensor",
}
# the C++ names torch's TensorOptions error prints for each dtype
_C_NAMES = {
    "float32": "float",
    "float64": "double",
    "float16": "c10::Half",
    "bfloat16": "c10::BFloat16",
    "uint8": "unsigned char",
    "int8": "signed char",
    "int16": "short int",
    "int32": "int",
    "int64": "long int",
    "bool": "bool",
    "complex64": "c10::complex<float>",
    "complex128": "c10::complex<double>",
}
# the device prefix in a type name: torch.FloatTensor, torch.cuda.FloatTensor, torch.meta....
_PREFIX = {"cpu": "torch.", "cuda": "torch.cuda.", "meta": "torch.meta."}


def type_name(t):
    """``t.type()``: torch's legacy name of a tensor's dtype and device."""
    return _PREFIX[t.device.type] + NAMES[t.dtype.name]


# ---------------------------------------------------------------------------- Variable


class _VariableMeta(type):
    """Makes ``isinstance(x, Variable)`` true for every tensor, as in torch."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, _tensor.Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(data, requires_grad=False, volatile=False)``: since PyTorch 0.4, ``data``
    itself, detached (sharing its memory and version counter), requiring grad if asked.
    ``volatile`` has no effect (use ``ember.no_grad()``) and warns when set."""

    def __new__(cls, data=None, requires_grad=False, volatile=False):
        # NOTE: torch reads both flags as integers: None or a float tensor is a TypeError
        requires_grad = operator.index(requires_grad)
        volatile = operator.index(volatile)
        if data is None:
            data = _tensor.Tensor()
        if not isinstance(data, _tensor.Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {_type_name(data)}")
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` "
                          "instead.", UserWarning, stacklevel=2)
        if volatile and requires_grad:
            raise ValueError("Variable can't be volatile and require_grad at the same time!")
        out = data.detach()
        if requires_grad:
            if data.dtype.category < D.FLOAT:
                raise RuntimeError("Only Tensors of floating point and complex dtype can "
                                   "require gradients")
            out.requires_grad_(True)
        return out


def _type_name(obj):
    cls = type(obj)
    return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__}"


# ---------------------------------------------------------------------------- FloatTensor & co.


class _TensorType(type):
    """The metaclass of ``FloatTensor`` & co. (torch's ``tensortype``): each type object knows
    a dtype and a device type; calling it builds a tensor, ``isinstance`` compares the two."""

    def __instancecheck__(cls, obj):
        return (isinstance(obj, _tensor.Tensor) and obj.dtype is cls.dtype
                and obj.device.type == cls._device_type)

    def __call__(cls, *args, device=None):
        return legacy_new(args, cls.dtype, cls._device_type, device, cls.__name__)

    @property
    def is_cuda(cls):
        return cls._device_type == "cuda"

    @property
    def is_sparse(cls):
        return False

    @property
    def layout(cls):
        return "strided"


def _make_type(dtype, device_type, module):
    name = NAMES[dtype.name]
    return _TensorType(name, (), {"dtype": dtype, "_device_type": device_type,
                                  "__module__": module,
                                  "__doc__": f"{dtype} tensors on {device_type}: "
                                             f"{name}(2, 3), {name}([1, 2]), "
                                             f"isinstance(x, {name})."})


_LEGACY = ("float32", "float64", "float16", "bfloat16", "uint8", "int8", "int16", "int32",
           "int64", "bool")
CPU_TYPES = {NAMES[d]: _make_type(getattr(D, d), "cpu", "ember") for d in _LEGACY}
CUDA_TYPES = {NAMES[d]: _make_type(getattr(D, d), "cuda", "ember.cuda") for d in _LEGACY}

FloatTensor = CPU_TYPES["FloatTensor"]
DoubleTensor = CPU_TYPES["DoubleTensor"]
HalfTensor = CPU_TYPES["HalfTensor"]
BFloat16Tensor = CPU_TYPES["BFloat16Tensor"]
ByteTensor = CPU_TYPES["ByteTensor"]
CharTensor = CPU_TYPES["CharTensor"]
ShortTensor = CPU_TYPES["ShortTensor"]
IntTensor = CPU_TYPES["IntTensor"]
LongTensor = CPU_TYPES["LongTensor"]
BoolTensor = CPU_TYPES["BoolTensor"]


def legacy_new(args, dtype, device_type, device, type_name):
    """``FloatTensor(...)``: no arguments give an empty tensor, integers (or a Size) a tensor
    of that shape (zeros in ember; torch leaves the memory uninitialised), a sequence or NumPy
    array a copy converted to ``dtype``, a tensor of that dtype itself (an alias).
    ``ember.Tensor(...)`` is ``dtype=None``: the default dtype, and a tensor of any dtype."""
    from .ops.creation import _is_int, _is_sequence, empty, tensor

    any_tensor = dtype is None
    if any_tensor:
        dtype = D.get_default_dtype()
    if device_type == "cuda":
        if not _device.cuda_available():
            raise TypeError(
                f"type torch.cuda.{type_name} not available. Torch not compiled with CUDA "
                "enabled.\n  ember: CUDA tensors need a GPU and CuPy; "
                "ember.cuda.is_available() is False on this machine. Use the CPU type "
                f"(ember.{type_name}) or ember.tensor(data, device='cpu').")
    if device is not None:
        device = _device.device(device)
        if device.type != device_type:
            raise RuntimeError(f"legacy constructor expects device type: {device_type} but "
                               f"device type: {device.type} was passed")
    else:
        device = device_type
    if not args:
        return empty(0, dtype=dtype, device=device)
    if len(args) == 1:
        data = args[0]
        if isinstance(data, _tensor.Tensor):
            if not any_tensor and (data.dtype is not dtype or data.device.type != device_type):
                raise TypeError(f"expected {_options(dtype, device_type)} (got "
                                f"{_options(data.dtype, data.device.type)})")
            return data[...]  # an alias, as torch (AliasBackward0 when data requires grad)
        if isinstance(data, _tensor.Size):
            return empty(data, dtype=dtype, device=device)
        if isinstance(data, (str, bytes)):
            raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
        if _is_sequence(data):
            return tensor(data, dtype=dtype, device=device)
        if not _is_int(data):
            raise TypeError(f"new(): data must be a sequence (got {_type_name(data)})")
    if not _is_int(args[0]):  # data (or a Size) and something more
        got = ", ".join(_type_name(a) for a in args).replace("ember._tensor.", "torch.")
        raise TypeError(f"new() received an invalid combination of arguments - got ({got}), "
                        "but expected one of:\n * (*size)\n * (sequence data)\n * (Tensor other)")
    for pos, s in enumerate(args, 1):
        if not _is_int(s):
            raise TypeError(
                f"new(): argument 'size' failed to unpack the object at pos {pos} with error "
                f'"type must be tuple of ints,but got {type(s).__name__}"')
    return empty(*args, dtype=dtype, device=device)


def _options(dtype, device_type):
    """torch's TensorOptions text, as its legacy constructors print it in their errors."""
    return (f"TensorOptions(dtype={_C_NAMES[dtype.name]}, device={device_type}, "
            "layout=Strided, requires_grad=false (default), pinned_memory=false (default), "
            "memory_format=(nullopt))")


# ---------------------------------------------------------------------------- Tensor.type


def convert_type(t, dtype):
    """``t.type(dtype)``: a legacy type object or name moves to its device and dtype;
    ``ember.Tensor`` (or ``'torch.Tensor'``) means the default dtype on the CPU; a dtype casts."""
    if isinstance(dtype, D.dtype):
        return t.to(dtype)
    if isinstance(dtype, str):
        dtype = _type_from_name(dtype)
    elif not isinstance(dtype, type):
        raise TypeError("dtype must be a type, str, or dtype object")
    if dtype is _tensor.Tensor:
        return t.to("cpu", D.get_default_dtype())
    if not isinstance(dtype, _TensorType):
        raise ValueError(f"invalid type: '{dtype.__name__}'")
    return t.to(dtype._device_type, dtype.dtype)


def _type_from_name(name):
    """'torch.FloatTensor', 'torch.cuda.LongTensor' (or ember's spelling) -> the type object."""
    module, _, short = name.rpartition(".")
    if module in ("torch", "ember") and short == "Tensor":
        return _tensor.Tensor
    if module in ("torch", "ember") and short in NAMES.values():
        found = CPU_TYPES.get(short)
        if found is None:  # complex: no type object, a stand-in with the dtype
            dtype = getattr(D, next(d for d, n in NAMES.items() if n == short))
            found = _make_type(dtype, "cpu", "ember")
        return found
    if module in ("torch.cuda", "ember.cuda") and short in CUDA_TYPES:
        return CUDA_TYPES[short]
    raise ValueError(f"invalid type: '{name}'")
