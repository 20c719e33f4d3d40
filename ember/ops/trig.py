"""Trigonometric and hyperbolic functions of one tensor, each with its derivative beside it.

Bool and integer inputs compute in the default float dtype; complex gradients are
grad * conj(f'(x)) (see ops/floating.py).
"""

from ..autograd.function import Node
from .binary import write_out as _out
from .floating import _conj, float_input

__all__ = ["sin", "cos", "tan", "asin", "acos", "atan", "arcsin", "arccos", "arctan", "sinh",
           "cosh", "tanh", "asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh"]


class Sin(Node):
    """y = sin(x)          dy/dx = cos(x)"""

    def forward(self, x):
        self.save(x)
        return self.xp.sin(x)

    def backward(self, grad):
        (x,) = self.saved
        return grad * _conj(x.cos())


def sin(input, *, out=None):
    """Sine. Same as torch.sin."""
    return _out(Sin().apply(float_input(input)), out)


class Cos(Node):
    """y = cos(x)          dy/dx = -sin(x)"""

    def forward(self, x):
        self.save(x)
        return self.xp.cos(x)

    def backward(self, grad):
        (x,) = self.saved
        return grad * _conj(-x.sin())


def cos(input, *, out=None):
    """Cosine. Same as torch.cos."""
    return _out(Cos().apply(float_input(input)), out)


class Tan(Node):
    """y = tan(x)          dy/dx = 1 + y^2"""

    def forward(self, x):
        y = self.xp.tan(x)
        self.save(y)
        return y

    def backward(self, grad):
        (y,) = self.saved
        return grad * _conj(1 + y * y)


def tan(input, *, out=None):
    """Tangent. Same as torch.tan."""
    return _out(Tan().apply(float_input(input)), out)


class Asin(Node):
    """y = asin(x)          dy/dx = 1 / sqrt(1 - x^2)"""

    def forward(self, x):
        self.save(x)
        return self.xp.arcsin(x)

    def backward(self, grad):
        (x,) = self.saved
        return grad * _conj((1 - x * x).rsqrt())


def asin(input, *, out=None):
    """Inverse sine. Same as torch.asin."""
    return _out(Asin().apply(float_input(input)), out)


class Acos(Node):
    """y = acos(x)          dy/dx = -1 / sqrt(1 - x^2)"""

    def forward(self, x):
        self.save(x)
        return self.xp.arccos(x)

    def backward(self, grad):
        (x,) = self.saved
        return grad * _conj(-(1 - x * x).rsqrt())


def acos(input, *, out=None):
    """Inverse cosine. Same as torch.acos."""
    return _out(Acos().apply(float_input(input)), out)


class Atan(Node):
    """y = atan(x)          dy/dx = 1 / (1 + x^2)"""

    def forward(self, x):
        self.save(x)
        return self.xp.arctan(x)

    def backward(self, grad):
        (x,) = self.saved
        return grad / _conj(1 + x * x)


def atan(input, *, out=None):
    """Inverse tangent. Same as torch.atan."""
    return _out(Atan().apply(float_input(input)), out)


arcsin, arccos, arctan = asin, acos, atan


# ---------------------------------------------------------------------------- hyperbolic

class Sinh(Node):
    """y = sinh(x)          dy/dx = cosh(x)"""

    def forward(self, x):
        self.save(x)
        return self.xp.sinh(x)

    def backward(self, grad):
        (x,) = self.saved
        return grad * _conj(x.cosh())


def sinh(input, *, out=None):
    """Hyperbolic sine. Same as torch.sinh."""
    return _out(Sinh().apply(float_input(input)), out)


class Cosh(Node):
    """y = cosh(x)          dy/dx = sinh(x)"""

    def forward(self, x):
        self.save(x)
        return self.xp.cosh(x)

    def backward(self, grad):
        (x,) = self.saved
        return grad * _conj(x.sinh())


def cosh(input, *, out=None):
    """Hyperbolic cosine. Same as torch.cosh."""
    return _out(Cosh().apply(float_input(input)), out)


class Tanh(Node):
    """y = tanh(x)          dy/dx = 1 - y^2"""

    def forward(self, x):
        y = self.xp.tanh(x)
        self.save(y)
        return y

    def backward(self, grad):
        (y,) = self.saved
        return grad * _conj(1 - y * y)


def tanh(input, *, out=None):
    """Hyperbolic tangent. Same as torch.tanh."""
    return _out(Tanh().apply(float_input(input)), out)


class Asinh(Node):
    """y = asinh(x)          dy/dx = 1 / sqrt(x^2 + 1)"""

    def forward(self, x):
        self.save(x)
        return self.xp.arcsinh(x)

    def backward(self, grad):
        (x,) = self.saved
        return grad * _conj((x * x + 1).rsqrt())


def asinh(input, *, out=None):
    """Inverse hyperbolic sine. Same as torch.asinh."""
    return _out(Asinh().apply(float_input(input)), out)


class Acosh(Node):
    """y = acosh(x)          dy/dx = 1 / sqrt(x^2 - 1)   (x >= 1)"""

    def forward(self, x):
        self.save(x)
        return self.xp.arccosh(x)

    def backward(self, grad):
        (x,) = self.saved
        return grad * _conj((x * x - 1).rsqrt())


def acosh(input, *, out=None):
    """Inverse hyperbolic cosine. Same as torch.acosh."""
    return _out(Acosh().apply(float_input(input)), out)


class Atanh(Node):
    """y = atanh(x)          dy/dx = 1 / (1 - x^2)   (|x| < 1)"""

    def forward(self, x):
        self.save(x)
        return self.xp.arctanh(x)

    def backward(self, grad):
        (x,) = self.saved
        return grad / _conj(1 - x * x)


def atanh(input, *, out=None):
    """Inverse hyperbolic tangent. Same as torch.atanh."""
    return _out(Atanh().apply(float_input(input)), out)


arcsinh, arccosh, arctanh = asinh, acosh, atanh


# Tensor methods (installed by ember/_methods.py)
_FUNCTIONS = {
    "sin": sin, "cos": cos, "tan": tan, "asin": asin, "acos": acos, "atan": atan,
    "arcsin": asin, "arccos": acos, "arctan": atan, "sinh": sinh, "cosh": cosh, "tanh": tanh,
    "asinh": asinh, "acosh": acosh, "atanh": atanh, "arcsinh": asinh, "arccosh": acosh,
    "arctanh": atanh,
}
METHODS = dict(_FUNCTIONS)
INPLACE = {name + "_": fn for name, fn in _FUNCTIONS.items()}
