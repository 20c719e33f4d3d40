"""Floating-point functions of one tensor: exp/log, roots, sigmoid/logit, the error function.

Each is y = f(x) with its derivative beside it.  Bool and integer inputs compute in the default
float dtype, as in torch (``float_input``).  For complex inputs the gradient is
grad * conj(f'(x)), PyTorch's convention, hence the ``_conj`` in each backward.
"""

import math

from .. import _dtype as D
from ..autograd.function import Node
from . import _erf
from .binary import write_out as _out

__all__ = ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "sigmoid",
           "logit", "erf", "erfc", "erfinv"]


def float_input(x):
    """Integer and bool tensors compute floating functions in the default float dtype."""
    if x.dtype.category < D.FLOAT:
        return x.to(D.get_default_dtype())
    return x


def _conj(t):
    return t.conj() if t.dtype.category == D.COMPLEX else t


def _real_only(x, name):
    if x.dtype.category == D.COMPLEX:
        raise NotImplementedError(f'"{name}_vml_cpu" not implemented for \'{x.dtype._short}\'')


# ---------------------------------------------------------------------------- exp and log

class Exp(Node):
    """y = e^x          dy/dx = y"""

    def forward(self, x):
        y = self.xp.exp(x)
        self.save(y)
        return y

    def backward(self, grad):
        (y,) = self.saved
        return grad * _conj(y)


def exp(input, *, out=None):
    """e ** input. Same as torch.exp."""
    return _out(Exp().apply(float_input(input)), out)


class Exp2(Node):
    """y = 2^x          dy/dx = y ln 2"""

    def forward(self, x):
        y = self.xp.exp2(x)
        self.save(y)
        return y

    def backward(self, grad):
        (y,) = self.saved
        return grad * _conj(y * math.log(2))


def exp2(input, *, out=None):
    """2 ** input. Same as torch.exp2."""
    return _out(Exp2().apply(float_input(input)), out)


class Expm1(Node):
    """y = e^x - 1 (exact for small x)          dy/dx = y + 1"""

    def forward(self, x):
        y = self.xp.expm1(x)
        self.save(y)
        return y

    def backward(self, grad):
        (y,) = self.saved
        return grad * _conj(y + 1)


def expm1(input, *, out=None):
    """exp(input) - 1, accurate near 0. Same as torch.expm1."""
    return _out(Expm1().apply(float_input(input)), out)


class Log(Node):
    """y = ln(x)          dy/dx = 1 / x"""

    def forward(self, x):
        self.save(x)
        return self.xp.log(x)

    def backward(self, grad):
        (x,) = self.saved
        return grad / _conj(x)


def log(input, *, out=None):
    """Natural logarithm. Same as torch.log."""
    return _out(Log().apply(float_input(input)), out)


class Log2(Node):
    """y = log2(x)          dy/dx = 1 / (x ln 2)"""

    def forward(self, x):
        self.save(x)
        return self.xp.log2(x)

    def backward(self, grad):
        (x,) = self.saved
        return grad / _conj(x * math.log(2))


def log2(input, *, out=None):
    """Base-2 logarithm. Same as torch.log2."""
    return _out(Log2().apply(float_input(input)), out)


class Log10(Node):
    """y = log10(x)          dy/dx = 1 / (x ln 10)"""

    def forward(self, x):
        self.save(x)
        return self.xp.log10(x)

    def backward(self, grad):
        (x,) = self.saved
        return grad / _conj(x * math.log(10))


def log10(input, *, out=None):
    """Base-10 logarithm. Same as torch.log10."""
    return _out(Log10().apply(float_input(input)), out)


class Log1p(Node):
    """y = ln(1 + x) (exact for small x)          dy/dx = 1 / (1 + x)"""

    _name = "Log1PBackward0"

    def forward(self, x):
        self.save(x)
        return self.xp.log1p(x)

    def backward(self, grad):
        (x,) = self.saved
        return grad / _conj(x + 1)


def log1p(input, *, out=None):
    """log(1 + input), accurate near 0. Same as torch.log1p."""
    return _out(Log1p().apply(float_input(input)), out)


# ---------------------------------------------------------------------------- roots

class Sqrt(Node):
    """y = sqrt(x)          dy/dx = 1 / (2 y)   (inf at x = 0)"""

    def forward(self, x):
        y = self.xp.sqrt(x)
        self.save(y)
        return y

    def backward(self, grad):
        (y,) = self.saved
        return grad / (2 * _conj(y))


def sqrt(input, *, out=None):
    """Square root. Same as torch.sqrt."""
    return _out(Sqrt().apply(float_input(input)), out)


class Rsqrt(Node):
    """y = 1 / sqrt(x)          dy/dx = -y^3 / 2"""

    def forward(self, x):
        y = 1 / self.xp.sqrt(x)
        self.save(y)
        return y

    def backward(self, grad):
        (y,) = self.saved
        return grad * _conj(y * y * y * -0.5)


def rsqrt(input, *, out=None):
    """1 / sqrt(input). Same as torch.rsqrt."""
    return _out(Rsqrt().apply(float_input(input)), out)
# ---------------------------------------------------------------------------- sigmoid, logit

class Sigmoid(Node):
    """y = 1 / (1 + e^-x)          dy/dx = y (1 - y)"""

    def forward(self, x):
        xp = self.xp
        if x.dtype.kind == "c":
            y = 1 / (1 + xp.exp(-x))
        else:
            # NOTE: split by sign so that exp never overflows
            z = xp.exp(-xp.abs(x))
            y = xp.where(x >= 0, 1 / (1 + z), z / (1 + z)).astype(x.dtype, copy=False)
        self.save(y)
        return y

    def backward(self, grad):
        (y,) = self.saved
        return grad * _conj(y * (1 - y))


def sigmoid(input, *, out=None):
    """Logistic sigmoid. Same as torch.sigmoid."""
    return _out(Sigmoid().apply(float_input(input)), out)


class Logit(Node):
    """y = ln(z / (1 - z)), z = x clamped to [eps, 1 - eps] when eps is given

    dy/dx = 1 / (x (1 - x)); with eps it is 0 outside [eps, 1 - eps], without eps it is NaN
    outside [0, 1] (as in torch)."""

    def __init__(self, eps):
        self.eps = eps

    def forward(self, x):
        self.save(x)
        if self.eps is not None:
            x = self.xp.clip(x, self.eps, 1 - self.eps)
        return self.xp.log(x / (1 - x))

    def backward(self, grad):
        (x,) = self.saved
        dx = grad / (x * (1 - x))
        if self.eps is None:
            return dx.masked_fill((x < 0) | (x > 1), math.nan)
        return dx.masked_fill((x < self.eps) | (x > 1 - self.eps), 0)


def logit(input, eps=None, *, out=None):
    """The inverse of sigmoid: log(p / (1 - p)); eps clamps p first. Same as torch.logit."""
    if input.dtype.category == D.COMPLEX:
        raise NotImplementedError(f"\"logit_cpu\" not implemented for '{input.dtype._short}'")
    if eps is not None and eps < 0:
        eps = None  # torch ignores a negative eps
    return _out(Logit(eps).apply(float_input(input)), out)


# ---------------------------------------------------------------------------- error function

def _in_float64(xp, fn, x, *args):
    """Run a float64 array function (ember/ops/_erf.py, _gamma.py) and cast back to x's
    dtype."""
    return fn(xp, x.astype("float64"), *args).astype(x.dtype, copy=False)


def _single(x):
    """True for results of float32 or less: the erf family then stops at the precision
    they need."""
    return x.dtype.itemsize <= 4


class Erf(Node):
    """y = erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt          dy/dx = 2/sqrt(pi) e^(-x^2)"""

    def forward(self, x):
        self.save(x)
        return _in_float64(self.xp, _erf.erf, x, _single(x))

    def backward(self, grad):
        (x,) = self.saved
        return grad * ((x * x).neg().exp() * (2 / math.sqrt(math.pi)))


def erf(input, *, out=None):
    """The error function. Same as torch.erf."""
    _real_only(input, "erf")
    return _out(Erf().apply(float_input(input)), out)


class Erfc(Node):
    """y = erfc(x) = 1 - erf(x)          dy/dx = -2/sqrt(pi) e^(-x^2)"""

    def forward(self, x):
        self.save(x)
        return _in_float64(self.xp, _erf.erfc, x, _single(x))

    def backward(self, grad):
        (x,) = self.saved
        return grad * ((x * x).neg().exp() * (-2 / math.sqrt(math.pi)))


def erfc(input, *, out=None):
    """The complementary error function 1 - erf(input). Same as torch.erfc."""
    _real_only(input, "erfc")
    return _out(Erfc().apply(float_input(input)), out)


class Erfinv(Node):
    """y = erfinv(x), the y with erf(y) = x          dy/dx = sqrt(pi)/2 e^(y^2)"""

    def forward(self, x):
        y = _in_float64(self.xp, _erf.erfinv, x, _single(x))
        self.save(y)
        return y

    def backward(self, grad):
        (y,) = self.saved
        return grad * ((y * y).exp() * (math.sqrt(math.pi) / 2))


def erfinv(input, *, out=None):
    """The inverse error function (+-inf at +-1, NaN outside). Same as torch.erfinv."""
    _real_only(input, "erfinv")
    return _out(Erfinv().apply(float_input(input)), out)


# Tensor methods (installed by ember/_methods.py)
_FUNCTIONS = {
    "exp": exp, "exp2": exp2, "expm1": expm1, "log": log, "log2": log2, "log10": log10,
    "log1p": log1p, "sqrt": sqrt, "rsqrt": rsqrt, "sigmoid": sigmoid, "logit": logit,
    "erf": erf, "erfc": erfc, "erfinv": erfinv,
}
METHODS = dict(_FUNCTIONS)
INPLACE = {name + "_": fn for name, fn in _FUNCTIONS.items()}
