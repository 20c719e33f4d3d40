"""Element-wise ops of one tensor: y = f(x), each with its derivative beside it.

Here: sign and magnitude (neg, abs, sign, sgn, square, reciprocal), rounding (floor, ceil,
round, trunc, frac), logic (logical_not, bitwise_not) and complex parts (real, imag, angle,
conj).  The rest of the family lives beside it, one topic per file, and is re-exported from
here (``ember.ops.unary`` is the family's one import):

    floating.py   exp, log, sqrt, sigmoid, logit, erf, ...   (integers compute in float)
    trig.py       sin, cos, tan, their inverses, and the hyperbolic functions
    clamping.py   clamp/clip, relu
    nonfinite.py  isnan, isinf, isfinite, isposinf, isneginf, signbit, nan_to_num
"""

import builtins
import math

from .. import _dtype as D
from ..autograd.function import Node, NoGradNode, ViewNode
from . import clamping, floating, nonfinite, trig
from .binary import pow as _pow
from .binary import write_out as _out
from .clamping import *  # noqa: F403
from .floating import *  # noqa: F403
from .floating import _conj, float_input  # noqa: F401 - float_input is used by other families
from .nonfinite import *  # noqa: F403
from .trig import *  # noqa: F403

__all__ = [
    "neg", "negative", "positive", "abs", "absolute", "sign", "sgn", "square", "reciprocal",
    "floor", "ceil", "round", "trunc", "fix", "frac", "logical_not", "real", "imag", "angle",
    "conj", "conj_physical", "bitwise_not",
] + floating.__all__ + trig.__all__ + clamping.__all__ + nonfinite.__all__


def _not_for(x, op, dtypes):
    """torch's NotImplementedError for an op's kernel that lacks a dtype category."""
    if x.dtype.category in dtypes:
        raise NotImplementedError(f"\"{op}\" not implemented for '{x.dtype._short}'")


# ---------------------------------------------------------------------------- sign, magnitude

class Neg(Node):
    """y = -x          dy/dx = -1"""

    def forward(self, x):
        return -x

    def backward(self, grad):
        return -grad


def neg(input, *, out=None):
    """-input. Same as torch.neg."""
    if input.dtype is D.bool:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or "
                           "`logical_not()` operator instead.")
    return _out(Neg().apply(input), out)


negative = neg


def positive(input):
    """+input (the tensor itself). Same as torch.positive."""
    if input.dtype is D.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


class Abs(Node):
    """y = |x|          dy/dx = sign(x)   (NOTE: 0 at x = 0, as torch; sgn(x) for complex x)"""

    def forward(self, x):
        self.save(x)
        return self.xp.abs(x)

    def backward(self, grad):
        (x,) = self.saved
        return grad * x.sgn()


def abs(input, *, out=None):
    """|input| (a real tensor for complex input). Same as torch.abs."""
    _not_for(input, "abs_cpu", (D.BOOL,))
    return _out(Abs().apply(input), out)


absolute = abs


class Sign(Node):
    """y = sign(x) in {-1, 0, 1} (0 for NaN, as torch)          dy/dx = 0"""

    def forward(self, x):
        if x.dtype.kind in "iub":
            return self.xp.sign(x)
        # NOTE: (x > 0) - (x < 0) as torch: 0 for NaN and +0 for -0 (NumPy's sign keeps both)
        return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)

    def backward(self, grad):
        return grad * 0


def sign(input, *, out=None):
    """-1, 0 or 1 per element. Same as torch.sign."""
    if input.dtype.category == D.COMPLEX:
        raise NotImplementedError("Unlike NumPy, torch.sign is not intended to support complex "
                                  "numbers. Please use torch.sgn instead.")
    if input.dtype is D.bool:
        return _out(input.clone(), out)
    return _out(Sign().apply(input), out)


class Sgn(Node):
    """y = z / |z| (0 at z = 0)
    grad_z = (grad - y^2 conj(grad)) / (2 |z|), 0 at z = 0"""

    def forward(self, z):
        xp = self.xp
        r = xp.abs(z)
        y = xp.where(r == 0, 0, z / xp.where(r == 0, 1, r)).astype(z.dtype, copy=False)
        self.save(z, y)
        return y

    def backward(self, grad):
        z, y = self.saved
        dz = (grad - y * y * grad.conj()) / (2 * z.abs())
        return dz.masked_fill(z == 0, 0)


def sgn(input, *, out=None):
    """z / |z| for complex tensors, sign for real ones. Same as torch.sgn."""
    if input.dtype.category != D.COMPLEX:
        out_t = sign(input)
        if out_t.grad_fn is not None:
            out_t.grad_fn._name = "SgnBackward0"
        return _out(out_t, out)
    return _out(Sgn().apply(input), out)


def square(input, *, out=None):
    """input * input (bool gives int64, as torch's pow(input, 2)). Same as torch.square."""
    return _out(_pow(input, 2), out)


class Reciprocal(Node):
    """y = 1 / x          dy/dx = -y^2"""

    def forward(self, x):
        y = 1 / x
        self.save(y)
        return y

    def backward(self, grad):
        (y,) = self.saved
        return grad * _conj(-(y * y))


def reciprocal(input, *, out=None):
    """1 / input (a float tensor for integer input). Same as torch.reciprocal."""
    return _out(Reciprocal().apply(float_input(input)), out)


# ---------------------------------------------------------------------------- rounding

class Rounding(Node):
    """y = floor(x), ceil(x), trunc(x) or rint(x) (ties to even)          dy/dx = 0"""

    def __init__(self, fn, name):
        self.fn = fn
        self._name = name

    def forward(self, x):
        if x.dtype.kind in "iu":
            return x.copy()  # integers are already whole
        return getattr(self.xp, self.fn)(x)

    def backward(self, grad):
        return grad * 0


def _rounding(input, fn, name, out):
    _not_for(input, f"{name.lower()}_vml_cpu", (D.BOOL,))
    if input.dtype.category == D.COMPLEX and name != "Round":
        raise NotImplementedError(f"{name.lower()} is not supported for complex inputs")
    _not_for(input, "round_vml_cpu", (D.COMPLEX,))
    return _out(Rounding(fn, name + "Backward0").apply(input), out)


def floor(input, *, out=None):
    """Largest whole number <= input. Same as torch.floor."""
    return _rounding(input, "floor", "Floor", out)


def ceil(input, *, out=None):
    """Smallest whole number >= input. Same as torch.ceil."""
    return _rounding(input, "ceil", "Ceil", out)


def trunc(input, *, out=None):
    """Round toward zero. Same as torch.trunc."""
    return _rounding(input, "trunc", "Trunc", out)


fix = trunc


class RoundDecimals(Node):
    """y = rint(x * 10^d) / 10^d (d >= 0) or rint(x / 10^-d) * 10^-d (d < 0)          dy/dx = 0"""

    _name = "RoundBackward1"

    def __init__(self, decimals):
        self.decimals = decimals

    def forward(self, x):
        xp = self.xp
        scale = xp.asarray(10.0 ** builtins.abs(self.decimals), dtype=x.dtype)
        if self.decimals < 0:
            return xp.rint(x / scale) * scale
        return xp.rint(x * scale) / scale

    def backward(self, grad):
        return grad * 0


def round(input, *, decimals=None, out=None):
    """Round half to even, to ``decimals`` places (may be negative). Same as torch.round."""
    if decimals is None:
        return _rounding(input, "rint", "Round", out)
    _not_for(input, "round_cpu", (D.BOOL, D.INT, D.COMPLEX))
    return _out(RoundDecimals(decimals).apply(input), out)


class Frac(Node):
    """y = x - trunc(x)          dy/dx = 1"""

    def forward(self, x):
        return x - self.xp.trunc(x)

    def backward(self, grad):
        return grad


def frac(input, *, out=None):
    """The fractional part, with the sign of input. Same as torch.frac."""
    _not_for(input, "frac_cpu", (D.BOOL, D.INT, D.COMPLEX))
    return _out(Frac().apply(input), out)
# ---------------------------------------------------------------------------- complex parts

class Real(ViewNode):
    """y = Re(z) (a view)          grad_z = grad + 0j"""

    _name = "SelectBackward0"

    def forward(self, z):
        self.view_fn = real
        return z.real

    def backward(self, grad):
        return grad.to(self._input_meta[0][1])


class Imag(ViewNode):
    """y = Im(z) (a view)          grad_z = grad * 1j"""

    _name = "SelectBackward0"

    def forward(self, z):
        self.view_fn = imag
        return z.imag

    def backward(self, grad):
        return grad * 1j


def real(input):
    """The real part (a view; the tensor itself when it is real). Same as torch.real."""
    if input.dtype.category != D.COMPLEX:
        return input
    return Real().apply(input)


def imag(input):
    """The imaginary part (a view) of a complex tensor. Same as torch.imag."""
    if input.dtype.category != D.COMPLEX:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return Imag().apply(input)


class Angle(Node):
    """y = atan2(Im z, Re z); for real x: pi where x < 0, else 0 (NaN stays NaN)
    grad_z = grad * i z / |z|^2 (0 at z = 0); 0 for real x"""

    def forward(self, x):
        self.save(x)
        xp = self.xp
        if x.dtype.kind == "c":
            return xp.angle(x)
        y = xp.where(x < 0, math.pi, 0.0)
        return xp.where(xp.isnan(x), x, y).astype(x.dtype, copy=False)

    def backward(self, grad):
        (x,) = self.saved
        if not x.is_complex():
            return grad * 0
        dz = grad * (x * 1j) / (x * x.conj()).real
        return dz.masked_fill(x == 0, 0)


def angle(input, *, out=None):
    """The argument of complex numbers (pi or 0 for real ones). Same as torch.angle."""
    return _out(Angle().apply(float_input(input)), out)


class Conj(Node):
    """y = conj(x)          grad_x = conj(grad)"""

    def forward(self, x):
        return self.xp.conj(x)

    def backward(self, grad):
        return grad.conj()


def conj(input):
    """Complex conjugate (the tensor itself for real dtypes). Same as torch.conj."""
    if input.dtype.category != D.COMPLEX:
        return input
    return Conj().apply(input)


def conj_physical(input):
    """The complex conjugate, computed into new memory (ember's conj always is), the tensor
    itself for real dtypes. Same as torch.conj_physical."""
    if input.dtype.category != D.COMPLEX:
        return input
    node = Conj()
    node._name = "ConjPhysicalBackward0"
    return node.apply(input)


class LogicalNot(NoGradNode):
    """y = (x == 0) as bool; no gradient"""


    def forward(self, x):
        return self.xp.logical_not(x)


def logical_not(input, *, out=None):
    """True where input is zero (False). Same as torch.logical_not."""
    result = LogicalNot().apply(input)
    if out is not None and out.dtype is not D.bool:
        result = result.to(out.dtype)
    return _out(result, out)


class BitwiseNot(NoGradNode):
    """y = ~x (integers and bools; no gradient)"""


    def forward(self, x):
        return self.xp.invert(x)


def bitwise_not(input, *, out=None):
    """~input for integer and bool tensors. Same as torch.bitwise_not."""
    if input.dtype.category > D.INT:
        raise RuntimeError(f'"bitwise_not_cpu" not implemented for '
                           f"'{input.dtype._short}'")
    return _out(BitwiseNot().apply(input), out)


# Tensor methods (installed by ember/_methods.py), with those of the files re-exported here
_FUNCTIONS = {
    "neg": neg, "negative": neg, "abs": abs, "absolute": abs, "sign": sign, "sgn": sgn,
    "square": square, "reciprocal": reciprocal, "floor": floor, "ceil": ceil, "round": round,
    "trunc": trunc, "fix": trunc, "frac": frac, "logical_not": logical_not,
    "bitwise_not": bitwise_not,
}
METHODS = {
    **_FUNCTIONS, "positive": positive, "angle": angle, "conj": conj,
    "conj_physical": conj_physical,
    **floating.METHODS, **trig.METHODS, **clamping.METHODS, **nonfinite.METHODS,
}
INPLACE = {
    **{name + "_": fn for name, fn in _FUNCTIONS.items()}, "conj_physical_": conj_physical,
    **floating.INPLACE, **trig.INPLACE, **clamping.INPLACE, **nonfinite.INPLACE,
}
