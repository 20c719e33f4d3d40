"""Arithmetic of two tensors (or a tensor and a Python number), with broadcasting.

Every binary op goes through ``operands``: both sides become tensors of PyTorch's result dtype
(``_dtype.result_type``), so NumPy's own promotion never decides a dtype.  Broadcasting is
NumPy's; the engine sums gradients back to each input's shape.

This file holds the promotion helpers, ``out=``, and the arithmetic (+ - * / // % **).  The
other two-input ops live beside it and are re-exported from here: ``binary_math.py`` (minimum,
maximum, atan2, hypot, logaddexp, copysign, xlogy, lerp, where) and ``comparison.py``
(eq/lt/..., logical and bitwise ops, isclose, allclose, equal).
"""

import warnings

import numpy as np

from .. import _device, _parallel
from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.function import Node
from ..autograd.grad_mode import state as _grad_state

__all__ = [
    "add", "sub", "subtract", "rsub", "mul", "multiply", "div", "divide", "true_divide", "pow",
    "floor_divide", "remainder", "fmod",
]

# NOTE: torch computes inf and nan silently where NumPy warns (x / 0, 0 * inf, inf - inf).  Ops
# whose inputs often hit those points run their forward under ``quiet`` (np.errstate).  It costs
# ~0.8 µs a call, 40% of a tiny add, so + - * instead rely on a warnings filter for this module
# alone: free until a warning is raised, and it only ever matches NumPy's floating-point
# RuntimeWarnings from the lines of this file.
quiet = np.errstate(all="ignore")
warnings.filterwarnings("ignore", category=RuntimeWarning, module=__name__)


# ---------------------------------------------------------------------------- promotion

def operands(a, b):
    """``a`` and ``b`` as tensors of their common (PyTorch) dtype."""
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            if a._dtype is b._dtype:
                return a, b  # the fast path: nothing to promote
            dt = D.result_type(a, b)
            return _cast(a, dt), _cast(b, dt)
        dt = _with_scalar(a, b)
        return _cast(a, dt), scalar_tensor(b, dt, a.device)
    if isinstance(b, Tensor):
        dt = _with_scalar(b, a)
        return scalar_tensor(a, dt, b.device), _cast(b, dt)
    raise TypeError(f"expected at least one Tensor, got {type(a).__name__} and "
                    f"{type(b).__name__}")


def _with_scalar(t, scalar):
    """Result dtype of tensor ``t`` with a Python number (fast path: the tensor's own dtype)."""
    kind = type(scalar)
    category = t.dtype.category
    if (kind is float and category >= D.FLOAT) or (kind is int and category >= D.INT):
        return t.dtype
    if isinstance(scalar, np.ndarray):  # a NumPy array takes part as the tensor it would be
        scalar = Tensor._make(scalar, t.device)
    return D.result_type(t, scalar)


def _cast(t, dt):
    return t if t.dtype is dt else t.to(dt)


def scalar_tensor(value, dt, device):
    """A Python number as a 0-dim tensor (no grad) of dtype ``dt`` on ``device``."""
    if isinstance(value, Tensor):
        return _cast(value, dt)
    return Tensor._make(scalar_array(value, dt, device), device)


def scalar_array(value, dt, device):
    """A Python number as a 0-dim backend array of dtype ``dt`` for ``device``."""
    xp = np if device is _device.CPU else _device.xp_for(device)
    np_dtype = D.to_numpy_dtype(dt)
    try:
        array = xp.asarray(value, dtype=np_dtype)
    except OverflowError:
        array = xp.asarray(_wrap_int(value, dt), dtype=np_dtype)
    except TypeError:  # e.g. a complex number for a real dtype
        raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow") \
            from None
    return array


def _wrap_int(value, dt):
    """An int that does not fit ``dt`` wraps around (int8 + 200 is int8 - 56), as in torch."""
    if not -2 ** 63 <= value < 2 ** 64:
        raise OverflowError("int too big to convert")
    bits = dt.itemsize * 8
    value %= 2 ** bits
    if dt.is_signed and value >= 2 ** (bits - 1):
        value -= 2 ** bits
    return value


def need_tensor(name, value, position=2, arg="other"):
    """torch's TypeError for ops whose second argument must be a tensor (no Python number)."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor, not "
                        f"{type(value).__name__}")


def not_implemented(op, dt):
    """torch's error for a dtype an op has no kernel for (NotImplementedError)."""
    return NotImplementedError(f'"{op}_cpu" not implemented for \'{dt._short}\'')


def _conj(t):
    return t.conj() if t._dtype.category == D.COMPLEX else t


def to_float(a, b):
    """Both as the default float dtype when they are integer or bool (true division, atan2)."""
    if a.dtype.category < D.FLOAT:
        dt = D.get_default_dtype()
        return _cast(a, dt), _cast(b, dt)
    return a, b


_to_float = to_float


# torch's C++ names of the dtypes, used in its out= dtype errors
_TYPE_META_NAMES = {
    "bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short int",
    "int32": "int", "int64": "long int", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
    "float32": "float", "float64": "double", "complex64": "c10::complex<float>",
    "complex128": "c10::complex<double>",
}


def write_out(result, out, name=None, same_dtype=False):
    """Write into ``out=`` when given (resized as torch does) and return ``out``, else return
    the result.

    A named tuple result (sort, topk, qr, ...) takes a tuple of tensors as ``out``, one per
    field, each written the same way; the named tuple of those tensors is returned.  Most ops
    cast into ``out``'s dtype when the cast is safe; ops whose torch kernel insists on the
    result's own dtype (sorting, triangles, decompositions) pass ``same_dtype=True``.
    """
    if out is None:
        return result
    if isinstance(result, tuple):
        if not isinstance(out, (tuple, list)) or len(out) != len(result):
            raise TypeError(f"{name or 'op'}(): argument 'out' must be tuple of "
                            f"{len(result)} Tensors")
        written = [write_out(r, o, name, same_dtype) for r, o in zip(result, out)]
        # collections.namedtuple results are built field by field (``_make``), ember's
        # return_types from one sequence
        make = getattr(type(result), "_make", type(result))
        return make(written)
    if not isinstance(out, Tensor):
        raise TypeError(f"{name or 'op'}(): argument 'out' must be Tensor, not "
                        f"{type(out).__name__}")
    if result._requires_grad and _grad_state.enabled:
        raise RuntimeError(f"{name or 'op'}(): functions with out=... arguments don't support "
                           "automatic differentiation, but one of the arguments requires grad.")
    if out.device != result.device:
        raise RuntimeError(f"Expected out tensor to have device {result.device}, but got "
                           f"{out.device} instead\n  hint: create out= on the inputs' device, "
                           f"e.g. ember.empty(..., device={str(result.device)!r}).")
    if same_dtype and result.dtype is not out.dtype:
        raise RuntimeError(f"Expected out tensor to have dtype "
                           f"{_TYPE_META_NAMES.get(result.dtype.name, result.dtype.name)}, but got "
                           f"{_TYPE_META_NAMES.get(out.dtype.name, out.dtype.name)} instead")
    if result.dtype is not out.dtype and not D.can_cast(result.dtype, out.dtype):
        raise RuntimeError(f"result type {result.dtype._short} can't be cast to the desired "
                           f"output type {out.dtype._short}")
    if out._data.shape != result._data.shape:
        out._data = result._data.astype(out._data.dtype)
    else:
        out._data[...] = result._data
    out._counter().value += 1
    return out


def factory_out(dtype, device, out, name=None):
    """The dtype and device a factory (zeros, arange, rand, ...) makes when given ``out=``:
    ``out``'s own, which an explicit ``dtype`` must equal, as in torch."""
    dtype = D.check_dtype(dtype, name)
    if out is None:
        return dtype, device
    if not isinstance(out, Tensor):
        raise TypeError(f"{name or 'op'}(): argument 'out' must be Tensor, not "
                        f"{type(out).__name__}")
    if dtype is not None and dtype is not out.dtype:
        raise RuntimeError(f"dtype {dtype._short} does not match dtype of out parameter "
                           f"({out.dtype._short})")
    return out.dtype, device if device is not None else out.device


_out = write_out
_BIG = _parallel.BIG  # elements: from here on, + - * may run on two threads (_parallel.py)


# ---------------------------------------------------------------------------- + - * /

class Add(Node):
    """y = a + b          dy/da = 1, dy/db = 1"""

    def forward(self, a, b):
        if a.size >= _BIG and self.xp is np:  # a big result: on two threads
            return _parallel.ufunc(np.add, a, b)
        return a + b

    def backward(self, grad):
        return grad, grad


class AddAlpha(Node):
    """y = a + alpha * b   (add(..., alpha=))          dy/da = 1, dy/db = alpha"""

    _name = "AddBackward0"

    def __init__(self, alpha):
        self.alpha = alpha  # a 0-dim array of b's dtype

    def forward(self, a, b):
        return a + self.alpha * b

    def backward(self, grad):
        alpha = Tensor._make(self.alpha, self.device)
        return grad, grad * _conj(alpha) if self.needs_input_grad[1] else None


class Sub(Node):
    """y = a - b          dy/da = 1, dy/db = -1"""

    def forward(self, a, b):
        if a.size >= _BIG and self.xp is np:  # a big result: on two threads
            return _parallel.ufunc(np.subtract, a, b)
        return a - b

    def backward(self, grad):
        return grad, -grad if self.needs_input_grad[1] else None


class SubAlpha(Node):
    """y = a - alpha * b   (sub(..., alpha=))          dy/da = 1, dy/db = -alpha"""

    _name = "SubBackward0"

    def __init__(self, alpha):
        self.alpha = alpha  # a 0-dim array of b's dtype

    def forward(self, a, b):
        return a - self.alpha * b

    def backward(self, grad):
        if not self.needs_input_grad[1]:
            return grad, None
        alpha = Tensor._make(-self.alpha, self.device)
        return grad, grad * _conj(alpha)


class Mul(Node):
    """y = a * b          dy/da = b, dy/db = a"""

    saves_inputs = True  # backward reads the inputs (saved)

    def forward(self, a, b):
        if a.size >= _BIG and self.xp is np:  # a big result: on two threads
            return _parallel.ufunc(np.multiply, a, b)
        return a * b

    def backward(self, grad):
        a, b = self.saved
        grad_a = grad * _conj(b) if self.needs_input_grad[0] else None
        grad_b = grad * _conj(a) if self.needs_input_grad[1] else None
        return grad_a, grad_b


class Div(Node):
    """y = a / b          dy/da = 1 / b, dy/db = -a / b^2"""

    saves_inputs = True  # backward reads the inputs (saved)

    @quiet
    def forward(self, a, b):
        return a / b

    def backward(self, grad):
        a, b = self.saved
        grad_a = grad / _conj(b) if self.needs_input_grad[0] else None
        grad_b = -grad * _conj(a) / _conj(b * b) if self.needs_input_grad[1] else None
        return grad_a, grad_b


def add(input, other, *, alpha=1, out=None):
    """input + alpha * other, broadcasting. Same as torch.add."""
    a, b = operands(input, other)
    node = Add() if alpha == 1 and alpha is not True else AddAlpha(_alpha(b, alpha))
    result = node.apply(a, b)
    return result if out is None else write_out(result, out, "add")


def sub(input, other, *, alpha=1, out=None):
    """input - alpha * other. Same as torch.sub."""
    a, b = operands(input, other)
    if a is not input or b is not other or a.dtype is D.bool:  # promoted: check for bools
        _check_no_bool(input, other)
    node = Sub() if alpha == 1 and alpha is not True else SubAlpha(_alpha(b, alpha))
    result = node.apply(a, b)
    return result if out is None else write_out(result, out, "sub")


subtract = sub


def rsub(input, other, *, alpha=1):
    """other - alpha * input. Same as torch.rsub."""
    return sub(other, input, alpha=alpha)


def _check_no_bool(input, other):
    bools = [x.dtype is D.bool if isinstance(x, Tensor) else type(x) is bool or
             isinstance(x, np.bool_) for x in (input, other)]
    if all(bools):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if any(bools):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")


def _alpha(b, alpha):
    """The ``alpha`` of add and sub, checked, as a 0-dim array of b's dtype."""
    category = b.dtype.category
    if isinstance(alpha, (bool, np.bool_)) and category != D.BOOL:
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if isinstance(alpha, (float, np.floating)) and category < D.FLOAT:
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")
    if isinstance(alpha, (complex, np.complexfloating)) and category != D.COMPLEX:
        raise RuntimeError("For non-complex input tensors, argument alpha must not be a complex "
                           "number.")
    return scalar_array(alpha, b.dtype, b.device)


def mul(input, other, *, out=None):
    """input * other, element-wise. Same as torch.mul."""
    a, b = operands(input, other)
    result = Mul().apply(a, b)
    return result if out is None else write_out(result, out, "mul")


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    """input / other; ``rounding_mode`` None (true division), 'trunc' or 'floor'.

    Integer true division gives the default float dtype; integer division by zero with a
    rounding mode raises, as in torch (floats give inf or nan).
    """
    a, b = operands(input, other)
    if rounding_mode is None:
        a, b = to_float(a, b)
        result = Div().apply(a, b)
    elif rounding_mode == "floor":
        result = DivFloor(_checked("div_floor", a)).apply(a, b)
    elif rounding_mode == "trunc":
        result = DivTrunc(_checked("div_trunc", a)).apply(a, b)
    else:
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    return result if out is None else write_out(result, out, "div")


divide = div
true_divide = div


# ---------------------------------------------------------------------------- // % fmod

def _checked(op, t):
    """Integer division ops have no bool or complex kernel; ints check for division by 0."""
    category = t.dtype.category
    if category == D.BOOL or category == D.COMPLEX:
        raise not_implemented(op, t.dtype)
    return category == D.INT


def _check_zero(b):
    if not b.all():
        raise RuntimeError("ZeroDivisionError")


class DivFloor(Node):
    """y = floor(a / b)          dy/da = dy/db = 0"""

    def __init__(self, integer, grad_defined=True):
        self.integer = integer
        self.grad_defined = grad_defined

    @quiet
    def forward(self, a, b):
        if self.integer:
            _check_zero(b)
        return self.xp.floor_divide(a, b)

    def backward(self, grad):
        if not self.grad_defined:
            raise RuntimeError("the derivative for 'floor_divide' is not implemented.")
        return grad * 0, grad * 0


class DivTrunc(Node):
    """y = trunc(a / b)          dy/da = dy/db = 0"""

    def __init__(self, integer):
        self.integer = integer

    @quiet
    def forward(self, a, b):
        xp = self.xp
        if not self.integer:
            return xp.trunc(a / b)
        _check_zero(b)
        q = xp.floor_divide(a, b)
        # floor went one below the truncated quotient where the signs differ and b does not
        # divide a exactly
        return q + ((q < 0) & (q * b != a)).astype(q.dtype)

    def backward(self, grad):
        return grad * 0, grad * 0


def floor_divide(input, other, *, out=None):
    """floor(input / other). Same as torch.floor_divide (which has no gradient)."""
    a, b = operands(input, other)
    node = DivFloor(_checked("div_floor", a), grad_defined=False)
    return write_out(node.apply(a, b), out, "floor_divide")


class Remainder(Node):
    """y = a - floor(a / b) * b (sign of b)          dy/da = 1, dy/db = -floor(a / b)"""

    def __init__(self, integer):
        self.integer = integer

    @quiet
    def forward(self, a, b):
        if self.integer:
            _check_zero(b)
        self.save(a, b)
        return self.xp.remainder(a, b)

    def backward(self, grad):
        if not self.needs_input_grad[1]:
            return grad, None
        a, b = self.saved
        return grad, -grad * div(a, b, rounding_mode="floor")


def remainder(input, other, *, out=None):
    """Python's modulus (result has the sign of ``other``). Same as torch.remainder."""
    a, b = operands(input, other)
    node = Remainder(_checked("remainder", a))
    return write_out(node.apply(a, b), out, "remainder")


class Fmod(Node):
    """y = a - trunc(a / b) * b (sign of a)          dy/da = 1, dy/db = -trunc(a / b)"""

    def __init__(self, integer):
        self.integer = integer

    @quiet
    def forward(self, a, b):
        if self.integer:
            _check_zero(b)
        self.save(a, b)
        return self.xp.fmod(a, b)

    def backward(self, grad):
        if not self.needs_input_grad[1]:
            return grad, None
        a, b = self.saved
        return grad, -grad * div(a, b, rounding_mode="trunc")


def fmod(input, other, *, out=None):
    """C's fmod (result has the sign of ``input``). Same as torch.fmod."""
    a, b = operands(input, other)
    node = Fmod(_checked("fmod", a))
    return write_out(node.apply(a, b), out, "fmod")


# ---------------------------------------------------------------------------- pow

class PowScalar(Node):
    """y = a ** e (e a Python number)          dy/da = e * a^(e-1)   (0 when e = 0)"""

    _name = "PowBackward0"

    def __init__(self, exponent):
        self.exponent = exponent

    @quiet
    def forward(self, a):
        self.save(a)
        try:
            return self.xp.power(a, self.exponent)
        except OverflowError:  # the exponent does not fit the integer dtype
            raise RuntimeError(f"value cannot be converted to type {a.dtype} without "
                               "overflow") from None

    def backward(self, grad):
        (a,) = self.saved
        e = self.exponent
        if e == 0:
            return grad * 0  # NOTE: d(a^0)/da = 0 even at a = 0, as in torch
        return grad * _conj(e * pow(a, e - 1))


class Pow(Node):
    """y = a ** b          dy/da = b * a^(b-1), dy/db = y * log(a)"""

    @quiet
    def forward(self, a, b):
        xp = self.xp
        if a.dtype.kind in "iu" and b.dtype.kind in "iu" and (b < 0).any():
            y = _int_pow_negative(xp, a, b)
        else:
            y = xp.power(a, b)
        self.save(a, b, y)
        return y

    def backward(self, grad):
        a, b, y = self.saved
        grad_a = grad_b = None
        # the masked points take a harmless a = 1, so that no 0 * inf is ever computed
        if self.needs_input_grad[0]:
            # NOTE: torch takes d(a^0)/da = 0 even at a = 0
            zero = b == 0
            safe_a = _where(zero, 1, a)
            grad_a = _where(zero, 0, grad * _conj(b * pow(safe_a, b - 1)))
        if self.needs_input_grad[1]:
            # NOTE: torch takes 0 * log(0) as 0 where a = 0 and b >= 0
            zero = (a == 0) & (b >= 0)
            grad_b = _where(zero, 0, grad * _conj(y * _where(zero, 1, a).log()))
        return grad_a, grad_b


def _int_pow_negative(xp, a, b):
    """Integer a ** b where some b < 0: 1 and -1 keep a magnitude of 1, the rest go to 0."""
    y = xp.power(a, xp.maximum(b, 0))
    odd = (b & 1).astype(bool)
    small = xp.where(a == 1, 1, xp.where(a == -1, xp.where(odd, -1, 1), 0)).astype(a.dtype)
    return xp.where(b < 0, small, y)


def _where(cond, a, b):
    from .binary_math import where

    return where(cond, a, b)


def pow(input, exponent, *, out=None):
    """input ** exponent, element-wise. Same as torch.pow (all three overloads)."""
    if not isinstance(exponent, Tensor) and isinstance(input, Tensor):
        dt = _with_scalar(input, exponent)
        # NOTE: only a Python int exponent is refused; a negative exponent tensor gives 0s
        if dt.category < D.FLOAT and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if dt is D.bool:
            raise NotImplementedError('"pow" not implemented for \'Bool\'')
        a = _cast(input, dt)
        if isinstance(exponent, np.generic):
            exponent = exponent.item()
        return write_out(PowScalar(exponent).apply(a), out, "pow")
    a, b = operands(input, exponent)
    if a.dtype is D.bool:
        raise NotImplementedError('"pow" not implemented for \'Bool\'')
    node = Pow()
    node._name = "PowBackward1" if isinstance(input, Tensor) else "PowBackward2"
    return write_out(node.apply(a, b), out, "pow")


# ---------------------------------------------------------------------------- the other ops

from . import binary_math as _math  # noqa: E402
from . import comparison as _comparison  # noqa: E402
from .binary_math import *  # noqa: E402, F403
from .comparison import *  # noqa: E402, F403

__all__ = __all__ + _math.__all__ + _comparison.__all__


# Tensor methods (installed by ember/_methods.py)
METHODS = {
    "pow": pow, "floor_divide": floor_divide, "remainder": remainder, "fmod": fmod,
    **_math.METHODS, **_comparison.METHODS,
}
INPLACE = {
    "pow_": pow, "floor_divide_": floor_divide, "remainder_": remainder, "fmod_": fmod,
    **_math.INPLACE, **_comparison.INPLACE,
}
