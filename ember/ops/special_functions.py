"""torch.special's functions that ember had under no name before, each with its derivative
beside it: erfcx, ndtr, ndtri, log_ndtr, entr, xlog1py, i0e, i1, i1e, zeta, gammainc,
gammaincc.  (ember/special.py gathers them with the aliases of existing ops.)

The values are computed in float64 (ops/_special.py, _gamma.py) and rounded once to the
tensor's dtype; integer and bool inputs compute in the default float dtype, as in torch.
Like torch, zeta and gammainc/gammaincc have a derivative in their second argument only: the
first one's raises NotImplementedError when it is needed.
"""

import math

import numpy as np

from ..autograd.function import Node
from . import _gamma, _special
from . import nn as _nn
from . import reduction as _reduction
from . import unary as _unary
from .binary import need_tensor
from .binary import write_out as _out
from .binary_math import _float_operands, where
from .floating import _in_float64, exp, float_input, log
from .special_math import I1, _no_complex, lgamma, mvlgamma

__all__ = ["erfcx", "ndtr", "ndtri", "log_ndtr", "entr", "xlog1py", "i0e", "i1", "i1e", "zeta",
           "gammainc", "gammaincc"]

_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def _real_input(input, kernel):
    _no_complex(input, kernel)
    return float_input(input)


# ---------------------------------------------------------------------------- erfcx, normal law

class Erfcx(Node):
    """y = exp(x^2) erfc(x)          dy/dx = 2 x y - 2/sqrt(pi)"""

    def forward(self, x):
        self.save(x)
        return _in_float64(self.xp, _special.erfcx, x)

    def backward(self, grad):
        (x,) = self.saved
        return grad * (2 * x * erfcx(x) - 2 / math.sqrt(math.pi))


def erfcx(input, *, out=None):
    """The scaled complementary error function exp(input^2) erfc(input). Same as
    torch.special.erfcx."""
    return _out(Erfcx().apply(_real_input(input, "erfcx_cpu")), out, "erfcx")


def _normal_density(x):
    """phi(x) = exp(-x^2/2) / sqrt(2 pi), as a differentiable ember expression."""
    return exp(x * x * -0.5) * _INV_SQRT_2PI


class Ndtr(Node):
    """y = Phi(x) = P(N(0, 1) <= x)          dy/dx = phi(x) = exp(-x^2/2) / sqrt(2 pi)"""

    def forward(self, x):
        self.save(x)
        return _in_float64(self.xp, _special.ndtr, x)

    def backward(self, grad):
        (x,) = self.saved
        return grad * _normal_density(x)


def ndtr(input, *, out=None):
    """The standard normal distribution function. Same as torch.special.ndtr (more exact in
    the lower tail: torch's (1 + erf(x/sqrt 2)) / 2 is 0 below x ~ -8.3)."""
    return _out(Ndtr().apply(_real_input(input, "erf_vml_cpu")), out, "ndtr")


class Ndtri(Node):
    """y = Phi^-1(p)          dy/dp = 1 / phi(y) = sqrt(2 pi) exp(y^2/2)"""

    def forward(self, p):
        y = _in_float64(self.xp, _special.ndtri, p)
        self.save(y)
        return y

    def backward(self, grad):
        (y,) = self.saved
        return grad * exp(y * y * 0.5) * math.sqrt(2 * math.pi)


def ndtri(input, *, out=None):
    """The inverse of ndtr (-inf at 0, +inf at 1, NaN outside [0, 1]). Same as
    torch.special.ndtri."""
    return _out(Ndtri().apply(_real_input(input, "ndtri_cpu")), out, "ndtri")


class LogNdtr(Node):
    """y = log Phi(x)          dy/dx = phi(x) / Phi(x)
    = sqrt(2/pi) / erfcx(-x/sqrt 2) for x < 0 (neither factor underflows there)"""

    def forward(self, x):
        self.save(x)
        return _in_float64(self.xp, _special.log_ndtr, x)

    def backward(self, grad):
        (x,) = self.saved
        negative = x < 0
        lower = math.sqrt(2 / math.pi) / erfcx(x.masked_fill(~negative, 0) / -math.sqrt(2))
        x_up = x.masked_fill(negative, 0)
        upper = _normal_density(x_up) / ndtr(x_up)
        return grad * where(negative, lower, upper)


def log_ndtr(input, *, out=None):
    """log ndtr(input), accurate in the far lower tail. Same as torch.special.log_ndtr."""
    return _out(LogNdtr().apply(_real_input(input, "log_ndtr_cpu")), out, "log_ndtr")


# ---------------------------------------------------------------------------- entr, xlog1py

def _entr(xp, x):
    with _quiet():
        y = -x * xp.log(xp.where(x > 0, x, 1))
    y = xp.where(x == 0, 0, y)
    return xp.where(x < 0, -math.inf, y)


class Entr(Node):
    """y = -x log x (0 at x = 0, -inf for x < 0)          dy/dx = -(log x + 1)"""

    def forward(self, x):
        self.save(x)
        return _in_float64(self.xp, _entr, x)

    def backward(self, grad):
        (x,) = self.saved
        return grad * -(log(x) + 1)


def _quiet():
    return np.errstate(all="ignore")


def entr(input, *, out=None):
    """The elementwise entropy term -input log(input). Same as torch.special.entr."""
    return _out(Entr().apply(_real_input(input, "entr_cpu")), out, "entr")


class Xlog1py(Node):
    """y = x log(1 + z), 0 where x = 0 (unless z is NaN)
    dy/dx = log1p(z) (0 where x = 0 and z <= -1), dy/dz = x / (1 + z)"""

    def forward(self, x, z):
        xp = self.xp
        self.save(x, z)
        with _quiet():
            y = x * xp.log1p(z)
        return xp.where((x == 0) & (z == z), 0, y).astype(y.dtype, copy=False)

    def backward(self, grad):
        x, z = self.saved
        grad_x = grad_z = None
        if self.needs_input_grad[0]:
            grad_x = where((x == 0) & (z <= -1), 0, xlog1py(grad, z))
        if self.needs_input_grad[1]:
            grad_z = grad * x / (z + 1)
        return grad_x, grad_z


def xlog1py(input, other, *, out=None):
    """input * log1p(other), taken as 0 where input is 0. Same as torch.special.xlog1py."""
    a, b = _float_operands("xlog1py", input, other)
    return _out(Xlog1py().apply(a, b), out, "xlog1py")


# ---------------------------------------------------------------------------- Bessel I, scaled

def _i0e(xp, x):
    """exp(-|x|) I0(x): the product below |x| = 700 (I0 overflows past ~713), Hankel's
    asymptotic series above (see _i_scaled_asymptotic)."""
    with _quiet():
        ax = xp.abs(x)
        near = xp.minimum(ax, 700.0)
        product = xp.i0(near) * xp.exp(-near)
        return xp.where(ax < 700, product, _i_scaled_asymptotic(xp, xp.maximum(ax, 700.0), 0))


def _i1e(xp, x):
    """exp(-|x|) I1(x) (odd), as _i0e."""
    with _quiet():
        ax = xp.abs(x)
        near = xp.minimum(ax, 700.0)
        product = _gamma.i1(xp, near) * xp.exp(-near)
        value = xp.where(ax < 700, product, _i_scaled_asymptotic(xp, xp.maximum(ax, 700.0), 1))
        return xp.where(x < 0, -value, value)


def _i_scaled_asymptotic(xp, x, order):
    """e^-x I_v(x) ~ 1/sqrt(2 pi x) sum_k (-1)^k a_k / x^k for large x, with
    a_k = (4v^2 - 1)(4v^2 - 9) ... (4v^2 - (2k-1)^2) / (k! 8^k); 0 at x = inf.
    At x >= 700 a dozen terms reach float64."""
    mu = 4 * order * order
    total = xp.ones_like(x)
    term = xp.ones_like(x)
    for k in range(1, 16):
        term = term * -(mu - (2 * k - 1) ** 2) / (k * 8 * x)
        total = total + term
    return total / xp.sqrt(2 * math.pi * x)


class I0e(Node):
    """y = exp(-|x|) I0(x)          dy/dx = i1e(x) - sign(x) y"""

    def forward(self, x):
        self.save(x)
        return _in_float64(self.xp, _i0e, x)

    def backward(self, grad):
        (x,) = self.saved
        return grad * (i1e(x) - x.sign() * i0e(x))


def i0e(input, *, out=None):
    """The exponentially scaled Bessel function exp(-|input|) I0(input). Same as
    torch.special.i0e."""
    return _out(I0e().apply(_real_input(input, "i0e_cpu")), out, "i0e")


def i1(input, *, out=None):
    """The modified Bessel function of the first kind, order 1 (i0's derivative). Same as
    torch.special.i1."""
    return _out(I1().apply(_real_input(input, "i1_cpu")), out, "i1")


class I1e(Node):
    """y = exp(-|x|) I1(x)          dy/dx = i0e(x) - y (sign(x) + 1/x), 1/2 at x = 0"""

    def forward(self, x):
        self.save(x)
        return _in_float64(self.xp, _i1e, x)

    def backward(self, grad):
        (x,) = self.saved
        zero = x == 0
        safe = x.masked_fill(zero, 1)
        slope = i0e(x) - i1e(x) * (x.sign() + 1 / safe)
        return grad * slope.masked_fill(zero, 0.5)


def i1e(input, *, out=None):
    """The exponentially scaled Bessel function exp(-|input|) I1(input). Same as
    torch.special.i1e."""
    return _out(I1e().apply(_real_input(input, "i1e_cpu")), out, "i1e")


# ---------------------------------------------------------------------------- zeta, gammainc

def _binary_float64(xp, fn, a, b, *args):
    dtype = a.dtype
    return fn(xp, a.astype("float64"), b.astype("float64"), *args).astype(dtype, copy=False)


class Zeta(Node):
    """y = zeta(s, q) = sum_k (q + k)^-s          dy/dq = -s zeta(s + 1, q); no dy/ds"""

    def forward(self, s, q):
        self.save(s, q)
        return _binary_float64(self.xp, _special.zeta, s, q)

    def backward(self, grad):
        s, q = self.saved
        if self.needs_input_grad[0]:
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        return None, grad * -s * zeta(s + 1, q)


def zeta(input, other, *, out=None):
    """Hurwitz's zeta function sum_(k >= 0) (other + k)^-input. Same as torch.special.zeta."""
    a, b = _float_operands("zeta", input, other)
    return _out(Zeta().apply(a, b), out, "zeta")


class Gammainc(Node):
    """y = P(a, x) (or Q(a, x) = 1 - P when ``upper``)
    dy/dx = +-x^(a-1) e^-x / Gamma(a); no dy/da"""

    def __init__(self, upper):
        self.upper = upper

    def forward(self, a, x):
        self.save(a, x)
        return _binary_float64(self.xp, _special.gammainc, a, x, self.upper)

    def backward(self, grad):
        a, x = self.saved
        if self.needs_input_grad[0]:
            name = "igammac" if self.upper else "igamma"
            raise NotImplementedError(f"the derivative for '{name}: input' is not implemented.")
        density = exp((a - 1) * log(x) - x - lgamma(a))
        return None, grad * (-density if self.upper else density)


def _tensors_only(name, input, other):
    """torch's gammainc/gammaincc take no Python numbers (unlike zeta and xlog1py)."""
    need_tensor(name, input, arg="input", position=1)
    need_tensor(name, other, arg="other", position=2)


def gammainc(input, other, *, out=None):
    """The regularized lower incomplete gamma function P(input, other). Same as
    torch.special.gammainc."""
    _tensors_only("special_gammainc", input, other)
    a, x = _float_operands("igamma", input, other, integers=False)
    return _out(Gammainc(False).apply(a, x), out, "gammainc")


def gammaincc(input, other, *, out=None):
    """The regularized upper incomplete gamma function Q(input, other) = 1 - P. Same as
    torch.special.gammaincc."""
    _tensors_only("special_gammaincc", input, other)
    a, x = _float_operands("igammac", input, other, integers=False)
    return _out(Gammainc(True).apply(a, x), out, "gammaincc")



# ---------------------------------------------------------------------------- torch.special's
# spellings of existing ops whose signatures differ from the top-level ones

def multigammaln(input, p, *, out=None):
    """The multivariate log-gamma function (ember.mvlgamma). Same as
    torch.special.multigammaln."""
    return mvlgamma(input, p, out=out)


def softmax(input, dim, *, dtype=None):
    """exp(input) / sum(exp(input)) along ``dim`` (ember.softmax). Same as
    torch.special.softmax."""
    return _nn.softmax(input, dim, dtype)


def log_softmax(input, dim, *, dtype=None):
    """log(softmax(input)) along ``dim`` (ember.log_softmax). Same as
    torch.special.log_softmax."""
    return _nn.log_softmax(input, dim, dtype)


def logsumexp(input, dim, keepdim=False, *, out=None):
    """log(sum(exp(input))) over ``dim`` (ember.logsumexp). Same as torch.special.logsumexp."""
    return _out(_reduction.logsumexp(input, dim, keepdim), out, "logsumexp")


def round(input, *, decimals=None, out=None):
    """Round half to even, to ``decimals`` places (ember.round). Same as
    torch.special.round."""
    return _unary.round(input, decimals=decimals, out=out)
