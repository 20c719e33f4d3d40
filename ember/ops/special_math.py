"""Special functions of one tensor, each with its derivative beside it: the gamma family
(lgamma, digamma, polygamma, mvlgamma), the Bessel function i0, sinc, degree/radian
conversion, and frexp.

The gamma family and the Bessel functions are computed in float64 by ``_gamma.py`` (NumPy has
no gamma function) and rounded once to the tensor's dtype.  Integer and bool inputs compute in
the default float dtype, as in torch.  Each derivative is the next function of the family:

    lgamma' = digamma,  digamma' = polygamma(1, .),  polygamma(n, .)' = polygamma(n + 1, .),
    i0' = i1,  i1' = i0 - i1 / x
"""

import math

from .. import _dtype as D
from .. import return_types
from .._device import xp_for
from .._tensor import Tensor
from ..autograd.function import Node
from . import _gamma
from .binary import write_out as _out
from .floating import _conj, _in_float64, float_input

__all__ = ["lgamma", "digamma", "polygamma", "mvlgamma", "i0", "sinc", "deg2rad", "rad2deg",
           "frexp"]


def _no_complex(x, kernel):
    """torch's NotImplementedError for the functions that have no complex kernel."""
    if x.dtype.category == D.COMPLEX:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{x.dtype._short}'")


# ---------------------------------------------------------------------------- gamma family

class Lgamma(Node):
    """y = log |Gamma(x)|          dy/dx = digamma(x)"""

    def forward(self, x):
        self.save(x)
        return _in_float64(self.xp, _gamma.lgamma, x)

    def backward(self, grad):
        (x,) = self.saved
        return grad * digamma(x)


def lgamma(input, *, out=None):
    """log |Gamma(input)| (+inf at 0 and the negative integers). Same as torch.lgamma."""
    _no_complex(input, "lgamma_vml_cpu")
    return _out(Lgamma().apply(float_input(input)), out, "lgamma")


class Digamma(Node):
    """y = psi(x) = d/dx log Gamma(x)          dy/dx = polygamma(1, x)"""

    def forward(self, x):
        self.save(x)
        return _in_float64(self.xp, _gamma.digamma, x)

    def backward(self, grad):
        (x,) = self.saved
        return grad * polygamma(1, x)


def digamma(input, *, out=None):
    """The logarithmic derivative of the gamma function (-inf at +0, +inf at -0, NaN at the
    negative integers). Same as torch.digamma."""
    _no_complex(input, "digamma")
    return _out(Digamma().apply(float_input(input)), out, "digamma")


class Polygamma(Node):
    """y = psi^(n)(x), the n-th derivative of digamma (n >= 1)
    dy/dx = psi^(n+1)(x)"""

    def __init__(self, n):
        self.n = n

    def forward(self, x):
        self.save(x)
        n = self.n
        return _in_float64(self.xp, lambda xp, a: _gamma.polygamma(xp, n, a), x)

    def backward(self, grad):
        (x,) = self.saved
        return grad * polygamma(self.n + 1, x)


def polygamma(n, input, *, out=None):
    """The n-th derivative of digamma (n = 0 is digamma itself). Same as torch.polygamma."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    if n == 0:
        return digamma(input, out=out)
    _no_complex(input, "trigamma" if n == 1 else "polygamma")
    return _out(Polygamma(n).apply(float_input(input)), out, "polygamma")


def _polygamma_method(self, n):
    """x.polygamma(n) is polygamma(n, x): the tensor comes second in the function."""
    return polygamma(n, self)


def mvlgamma(input, p, *, out=None):
    """The multivariate log-gamma function of dimension p:
    log Gamma_p(x) = p (p - 1) / 4 log(pi) + sum_(j=0..p-1) lgamma(x - j / 2).
    It is defined for x > (p - 1) / 2; like torch 2.13 (whose documentation says it raises),
    ember does not check, and computes the formula elsewhere too. Same as torch.mvlgamma."""
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    if input.dtype is D.bool:
        raise RuntimeError("The input tensor may not be a boolean tensor.")
    _no_complex(input, "mvlgamma")
    x = float_input(input)
    # the p arguments x, x - 1/2, ..., x - (p-1)/2 side by side in a new last dim
    halves = xp_for(x.device).arange(p, dtype=x._data.dtype) / 2
    terms = lgamma(x.unsqueeze(-1) - Tensor._make(halves, x.device))
    return _out(terms.sum(-1) + p * (p - 1) / 4 * math.log(math.pi), out, "mvlgamma")


def _mvlgamma_method(self, p):
    return mvlgamma(self, p)


# ---------------------------------------------------------------------------- Bessel I0

class I0(Node):
    """y = I0(x), the modified Bessel function of order 0          dy/dx = I1(x)"""

    def forward(self, x):
        self.save(x)
        return _in_float64(self.xp, _gamma.i0, x)

    def backward(self, grad):
        (x,) = self.saved
        return grad * I1().apply(x)


class I1(Node):
    """y = I1(x), the modified Bessel function of order 1 (private: i0's derivative)
    dy/dx = I0(x) - I1(x) / x   (1/2 at x = 0)"""

    def forward(self, x):
        self.save(x)
        return _in_float64(self.xp, _gamma.i1, x)

    def backward(self, grad):
        (x,) = self.saved
        zero = x == 0
        safe = x.masked_fill(zero, 1)  # keeps 0/0 out of this and of its own gradient
        slope = (i0(x) - I1().apply(x) / safe).masked_fill(zero, 0.5)
        return grad * slope


def i0(input, *, out=None):
    """The modified Bessel function of the first kind, order 0. Same as torch.i0."""
    _no_complex(input, "i0_vml_cpu")
    return _out(I0().apply(float_input(input)), out, "i0")


# ---------------------------------------------------------------------------- sinc

class Sinc(Node):
    """y = sin(pi x) / (pi x), 1 at x = 0
    dy/dx = (pi x cos(pi x) - sin(pi x)) / (pi x^2), 0 at x = 0"""

    def forward(self, x):
        xp = self.xp
        self.save(x)
        dtype = x.dtype
        if dtype.itemsize == 2 and dtype.kind != "c":  # float16/bfloat16: in float32, as torch
            x = x.astype("float32")
        px = math.pi * x
        y = xp.sin(px) / xp.where(x == 0, 1, px)
        y = xp.where(x == 0, 1, y)
        return y.astype(dtype, copy=False)

    def backward(self, grad):
        (x,) = self.saved
        zero = x == 0
        px = x * math.pi
        slope = (px * px.cos() - px.sin()) / (px * x).masked_fill(zero, 1)
        return grad * _conj(slope.masked_fill(zero, 0))


def sinc(input, *, out=None):
    """The normalized sinc function sin(pi x) / (pi x). Same as torch.sinc."""
    return _out(Sinc().apply(float_input(input)), out, "sinc")


# ---------------------------------------------------------------------------- angles

class Scale(Node):
    """y = c x for a constant c (deg2rad: c = pi/180, rad2deg: c = 180/pi)          dy/dx = c

    16-bit floats multiply in float32 and round once, as torch (c itself is not rounded)."""

    def __init__(self, factor, name):
        self.factor = factor
        self._name = name

    def forward(self, x):
        if x.dtype.itemsize == 2:
            return (x.astype("float32") * self.factor).astype(x.dtype)
        return x * self.factor

    def backward(self, grad):
        return grad * self.factor


def _angle(input, factor, name, out):
    if input.dtype.category == D.COMPLEX:
        raise RuntimeError(f"{name} is not supported for complex tensors.")
    node = Scale(factor, "Deg2RadBackward0" if name == "deg2rad" else "Rad2DegBackward0")
    return _out(node.apply(float_input(input)), out, name)


def deg2rad(input, *, out=None):
    """Degrees to radians: input * pi / 180. Same as torch.deg2rad."""
    return _angle(input, math.pi / 180, "deg2rad", out)


def rad2deg(input, *, out=None):
    """Radians to degrees: input * 180 / pi. Same as torch.rad2deg."""
    return _angle(input, 180 / math.pi, "rad2deg", out)


# ---------------------------------------------------------------------------- frexp

class Mantissa(Node):
    """m = x / 2^e with the exponent e fixed (given)          dm/dx = 2^-e"""

    _name = "FrexpBackward0"

    def __init__(self, exponent):
        self.exponent = exponent  # the int32 array of exponents

    def forward(self, x):
        return self.xp.ldexp(x, -self.exponent).astype(x.dtype, copy=False)

    def backward(self, grad):
        scale = Tensor._make(self.xp.ldexp(1.0, -self.exponent), self.device)
        return grad * scale


def frexp(input, *, out=None):
    """(mantissa, exponent) with input = mantissa * 2^exponent, 0.5 <= |mantissa| < 1 (0, inf
    and NaN keep their value with exponent 0); the exponent is int32. Same as torch.frexp."""
    if input.dtype.category != D.FLOAT:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    xp = xp_for(input.device)
    data = input._data
    if data.dtype.itemsize == 2:  # NumPy's frexp has no bfloat16 loop; float32 holds both
        data = data.astype("float32")
    _, exponent = xp.frexp(data)
    exponent = exponent.astype("int32", copy=False)
    mantissa = Mantissa(exponent).apply(input)
    result = return_types.frexp((mantissa, Tensor._make(exponent, input.device)))
    if out is not None:
        _check_frexp_out(input, out)
    return _out(result, out, "frexp", same_dtype=True)


def _check_frexp_out(input, out):
    if isinstance(out, (tuple, list)) and len(out) == 2 and isinstance(out[1], Tensor) \
            and out[1].dtype is not D.int32:
        raise RuntimeError(f"torch.frexp() expects exponent to have int dtype but got "
                           f"{out[1].dtype._short}")


# Tensor methods (installed by ember/_methods.py)
_FUNCTIONS = {
    "lgamma": lgamma, "digamma": digamma, "polygamma": _polygamma_method,
    "mvlgamma": _mvlgamma_method, "i0": i0, "sinc": sinc, "deg2rad": deg2rad,
    "rad2deg": rad2deg,
}
METHODS = {**_FUNCTIONS, "frexp": frexp}
INPLACE = {name + "_": fn for name, fn in _FUNCTIONS.items()}
