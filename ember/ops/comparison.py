"""Comparisons, logical and bitwise ops of two tensors (no gradients: the results are bool or
integer), and the closeness tests isclose, allclose and equal.

Comparisons promote both sides first (``binary.operands``), so ``int8 < 1000`` compares as
torch does; logical ops take the truth value of any dtype.
"""

from .. import _dtype as D
from ..autograd.function import NoGradNode
from .binary import need_tensor, not_implemented, operands, quiet, write_out

__all__ = [
    "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
    "not_equal", "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or",
    "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift", "isclose", "allclose", "equal",
]


class Elementwise(NoGradNode):
    """y = f(a, b) for a NumPy function without a gradient (comparisons, logic, bits)."""


    def __init__(self, name):
        self.fn = name

    def forward(self, a, b):
        return getattr(self.xp, self.fn)(a, b)


# ---------------------------------------------------------------------------- comparisons

def _compare(name, short, input, other, out):
    a, b = operands(input, other)
    if short is not None and a.dtype.category == D.COMPLEX:  # complex numbers have no order
        raise not_implemented(short, a.dtype)
    return write_out(Elementwise(name).apply(a, b), out)


def eq(input, other, *, out=None):
    """input == other, element-wise (bool). Same as torch.eq."""
    return _compare("equal", None, input, other, out)


def ne(input, other, *, out=None):
    """input != other (bool). Same as torch.ne."""
    return _compare("not_equal", None, input, other, out)


def lt(input, other, *, out=None):
    """input < other (bool). Same as torch.lt."""
    return _compare("less", "lt", input, other, out)


def le(input, other, *, out=None):
    """input <= other (bool). Same as torch.le."""
    return _compare("less_equal", "le", input, other, out)


def gt(input, other, *, out=None):
    """input > other (bool). Same as torch.gt."""
    return _compare("greater", "gt", input, other, out)


def ge(input, other, *, out=None):
    """input >= other (bool). Same as torch.ge."""
    return _compare("greater_equal", "ge", input, other, out)


greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


# ---------------------------------------------------------------------------- logic

def _logical(name, input, other, out):
    """Truth values of any dtypes, combined (bool; ``out=`` may be of another dtype)."""
    need_tensor(name, input, 1, "input")
    need_tensor(name, other)
    return write_out(Elementwise(name).apply(input, other), out)


def logical_and(input, other, *, out=None):
    """Element-wise AND of the truth values (bool)."""
    return _logical("logical_and", input, other, out)


def logical_or(input, other, *, out=None):
    """Element-wise OR of the truth values (bool)."""
    return _logical("logical_or", input, other, out)


def logical_xor(input, other, *, out=None):
    """Element-wise XOR of the truth values (bool)."""
    return _logical("logical_xor", input, other, out)


# ---------------------------------------------------------------------------- bits

def _bitwise(name, short, input, other, out, bools=True):
    a, b = operands(input, other)
    category = a.dtype.category
    if category > D.INT or (category == D.BOOL and not bools):
        raise not_implemented(short, a.dtype)
    return write_out(Elementwise(name).apply(a, b), out)


def bitwise_and(input, other, *, out=None):
    """input & other for integer and bool tensors."""
    return _bitwise("bitwise_and", "bitwise_and", input, other, out)


def bitwise_or(input, other, *, out=None):
    """input | other for integer and bool tensors."""
    return _bitwise("bitwise_or", "bitwise_or", input, other, out)


def bitwise_xor(input, other, *, out=None):
    """input ^ other for integer and bool tensors."""
    return _bitwise("bitwise_xor", "bitwise_xor", input, other, out)


def bitwise_left_shift(input, other, *, out=None):
    """input << other for integer tensors (shifting by the width or more gives 0)."""
    return _bitwise("left_shift", "lshift", input, other, out, bools=False)


def bitwise_right_shift(input, other, *, out=None):
    """input >> other for integer tensors (arithmetic: the sign fills in)."""
    return _bitwise("right_shift", "rshift", input, other, out, bools=False)


# ---------------------------------------------------------------------------- closeness

class IsClose(NoGradNode):
    """y = |a - b| <= atol + rtol * |b| (or a == b; NaNs equal when equal_nan)"""


    def __init__(self, rtol, atol, equal_nan):
        self.rtol = rtol
        self.atol = atol
        self.equal_nan = equal_nan

    @quiet
    def forward(self, a, b):
        xp = self.xp
        close = a == b
        if self.equal_nan and a.dtype.kind in "fc":
            close |= (a != a) & (b != b)
        if a.dtype.kind in "iub":  # measure the difference without wrapping around
            a, b = a.astype(xp.float64), b.astype(xp.float64)
        diff = xp.abs(a - b)
        close |= xp.isfinite(diff) & (diff <= self.atol + self.rtol * xp.abs(b))
        return close


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input - other| <= atol + rtol * |other|, element-wise (bool). Same as torch.isclose."""
    need_tensor("isclose", other)
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{input.dtype._short} did not match {other.dtype._short}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    return IsClose(rtol, atol, equal_nan).apply(input, other)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when every element is close (see isclose). Same as torch.allclose."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input, other):
    """True when both have the same shape and the same values. Same as torch.equal."""
    need_tensor("equal", other)
    if input._data.shape != other._data.shape:
        return False
    a, b = operands(input, other)
    return bool((a._data == b._data).all())


# Tensor methods (installed by ember/_methods.py)
METHODS = {
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge, "greater": gt,
    "greater_equal": ge, "less": lt, "less_equal": le, "not_equal": ne,
    "bitwise_and": bitwise_and, "bitwise_or": bitwise_or, "bitwise_xor": bitwise_xor,
    "bitwise_left_shift": bitwise_left_shift, "bitwise_right_shift": bitwise_right_shift,
    "logical_and": logical_and, "logical_or": logical_or, "logical_xor": logical_xor,
    "isclose": isclose, "allclose": allclose, "equal": equal,
    "__rlshift__": lambda self, other: bitwise_left_shift(other, self),
    "__rrshift__": lambda self, other: bitwise_right_shift(other, self),
}
INPLACE = {
    "eq_": eq, "ne_": ne, "lt_": lt, "le_": le, "gt_": gt, "ge_": ge, "greater_": gt,
    "greater_equal_": ge, "less_": lt, "less_equal_": le, "not_equal_": ne,
    "bitwise_and_": bitwise_and, "bitwise_or_": bitwise_or, "bitwise_xor_": bitwise_xor,
    "bitwise_left_shift_": bitwise_left_shift, "bitwise_right_shift_": bitwise_right_shift,
    "__ilshift__": bitwise_left_shift, "__irshift__": bitwise_right_shift,
    "logical_and_": logical_and, "logical_or_": logical_or, "logical_xor_": logical_xor,
}
