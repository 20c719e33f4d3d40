"""NaN and infinity: the bool tests (isnan, isinf, isfinite, isposinf, isneginf, signbit)
and nan_to_num, which replaces them."""

import math

from .. import _dtype as D
from ..autograd.function import Node, NoGradNode
from .binary import write_out as _out

__all__ = ["nan_to_num", "isnan", "isinf", "isfinite", "isposinf", "isneginf", "signbit"]


class NanToNum(Node):
    """y = x with NaN, +inf, -inf replaced by numbers
    dy/dx = 1 where x is finite, else 0"""

    def __init__(self, nan, posinf, neginf):
        self.values = (nan, posinf, neginf)

    def forward(self, x):
        self.save(x)
        if x.dtype.kind == "c":
            return self._replace(x.real) + 1j * self._replace(x.imag)
        return self._replace(x)

    def _replace(self, x):
        xp = self.xp
        nan, posinf, neginf = self.values
        big = _largest(D.from_numpy_dtype(x.dtype))
        y = xp.where(xp.isnan(x), nan, x)
        y = xp.where(x == math.inf, big if posinf is None else posinf, y)
        y = xp.where(x == -math.inf, -big if neginf is None else neginf, y)
        return y.astype(x.dtype, copy=False)

    def backward(self, grad):
        (x,) = self.saved
        return grad * x.isfinite()  # NOTE: a product, as torch: an inf grad at NaN gives NaN


def _largest(dtype):
    """The largest finite value of a floating dtype."""
    if dtype is D.bfloat16:
        return float.fromhex("0x1.fep127")
    return D.finfo(dtype).max


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    """Replace NaN by ``nan``, +-inf by ``posinf``/``neginf`` (default: the dtype's largest
    finite values). Same as torch.nan_to_num."""
    if input.dtype.category <= D.INT:
        return _out(input.clone(), out)
    return _out(NanToNum(nan, posinf, neginf).apply(input), out)


class Test(NoGradNode):
    """y = a bool test of each element (isnan, signbit, ...); no gradient"""


    def __init__(self, fn):
        self.fn = fn

    def forward(self, x):
        return getattr(self.xp, self.fn)(x)


class Constant(NoGradNode):
    """y = the same bool everywhere (isnan of an integer tensor, ...); no gradient"""


    def __init__(self, value):
        self.value = value

    def forward(self, x):
        return self.xp.full(x.shape, self.value)


def _test(input, fn, if_not_float):
    if input.dtype.category < D.FLOAT:
        return Constant(if_not_float).apply(input)
    return Test(fn).apply(input)


def isnan(input):
    """True where input is NaN. Same as torch.isnan."""
    return _test(input, "isnan", False)


def isinf(input):
    """True where input is +-inf. Same as torch.isinf."""
    return _test(input, "isinf", False)


def isfinite(input):
    """True where input is neither NaN nor +-inf. Same as torch.isfinite."""
    return _test(input, "isfinite", True)


def isposinf(input, *, out=None):
    """True where input is +inf. Same as torch.isposinf."""
    if input.dtype.category == D.COMPLEX:
        raise RuntimeError("isposinf does not support complex inputs.")
    return _out(_test(input, "isposinf", False), out)


def isneginf(input, *, out=None):
    """True where input is -inf. Same as torch.isneginf."""
    if input.dtype.category == D.COMPLEX:
        raise RuntimeError("isneginf does not support complex inputs.")
    return _out(_test(input, "isneginf", False), out)


def signbit(input, *, out=None):
    """True where the sign bit is set (also -0.0 and -NaN). Same as torch.signbit."""
    if input.dtype.category == D.COMPLEX:
        raise NotImplementedError("signbit is not implemented for complex tensors.")
    if input.dtype.category == D.BOOL or input.dtype is D.uint8:
        return _out(Constant(False).apply(input), out)
    return _out(Test("signbit").apply(input), out)


# Tensor methods (installed by ember/_methods.py)
METHODS = {
    "nan_to_num": nan_to_num, "isnan": isnan, "isinf": isinf, "isfinite": isfinite,
    "isposinf": isposinf, "isneginf": isneginf, "signbit": signbit,
}
INPLACE = {"nan_to_num_": nan_to_num}
