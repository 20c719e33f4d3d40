"""Element-wise ops of one tensor: y = f(x), each with its derivative beside it.

Integer inputs of floating-point functions (exp, sin, sqrt, ...) compute in the default float
dtype, as in torch (``float_input``).
"""

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.function import Node

__all__ = ["neg", "negative", "abs", "absolute", "exp", "log", "tanh", "sigmoid", "relu",
           "sqrt", "sign", "conj", "bitwise_not", "trunc", "positive"]


def float_input(x):
    """Integer and bool tensors compute floating functions in the default float dtype."""
    if x.dtype.category < D.FLOAT:
        return x.to(D.get_default_dtype())
    return x


class Neg(Node):
    """y = -x          dy/dx = -1"""

    def forward(self, x):
        if x.dtype.kind == "b":
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or "
                               "`logical_not()` operator instead.")
        return -x

    def backward(self, grad):
        return -grad


def neg(input):
    """-input. Same as torch.neg."""
    return Neg().apply(input)


negative = neg


def positive(input):
    return input


class Abs(Node):
    """y = |x|          dy/dx = sign(x)   (NOTE: 0 at x = 0, as torch)"""

    def forward(self, x):
        self.save(x)
        return self.xp.abs(x)

    def backward(self, grad):
        (x,) = self.saved
        return grad * x.sgn() if x.is_complex() else grad * x.sign()


def abs(input):
    """|input|. Same as torch.abs."""
    if input.dtype is D.bool:
        raise RuntimeError('"abs_cpu" not implemented for \'Bool\'')
    return Abs().apply(input)


absolute = abs


class Exp(Node):
    """y = e^x          dy/dx = y"""

    def forward(self, x):
        y = self.xp.exp(x)
        self.save(y)
        return y

    def backward(self, grad):
        (y,) = self.saved
        return grad * y.conj() if y.is_complex() else grad * y


def exp(input):
    """e ** input. Same as torch.exp."""
    return Exp().apply(float_input(input))


class Log(Node):
    """y = ln(x)          dy/dx = 1 / x"""

    def forward(self, x):
        self.save(x)
        return self.xp.log(x)

    def backward(self, grad):
        (x,) = self.saved
        return grad / x.conj() if x.is_complex() else grad / x


def log(input):
    """Natural logarithm. Same as torch.log."""
    return Log().apply(float_input(input))


class Tanh(Node):
    """y = tanh(x)          dy/dx = 1 - y^2"""

    def forward(self, x):
        y = self.xp.tanh(x)
        self.save(y)
        return y

    def backward(self, grad):
        (y,) = self.saved
        return grad * (1 - y * y).conj() if y.is_complex() else grad * (1 - y * y)


def tanh(input):
    """Hyperbolic tangent. Same as torch.tanh."""
    return Tanh().apply(float_input(input))


class Sigmoid(Node):
    """y = 1 / (1 + e^-x)          dy/dx = y (1 - y)"""

    def forward(self, x):
        xp = self.xp
        # NOTE: split by sign so that exp never overflows
        z = xp.exp(-xp.abs(x))
        y = xp.where(x >= 0, 1 / (1 + z), z / (1 + z)).astype(x.dtype, copy=False)
        self.save(y)
        return y

    def backward(self, grad):
        (y,) = self.saved
        return grad * (y * (1 - y))


def sigmoid(input):
    """Logistic sigmoid. Same as torch.sigmoid."""
    return Sigmoid().apply(float_input(input))


class Relu(Node):
    """y = max(x, 0)          dy/dx = 1 where x > 0, else 0   (NOTE: relu'(0) = 0 as in torch)"""

    _name = "ReluBackward0"

    def forward(self, x):
        y = self.xp.maximum(x, 0).astype(x.dtype, copy=False)
        self.save(y)
        return y

    def backward(self, grad):
        (y,) = self.saved
        return grad * (y > 0)


def relu(input):
    """max(input, 0). Same as torch.relu."""
    if input.dtype is D.bool:
        raise RuntimeError('"clamp_min_scalar_cpu" not implemented for \'Bool\'')
    return Relu().apply(input)


class Sqrt(Node):
    """y = sqrt(x)          dy/dx = 1 / (2 y)"""

    def forward(self, x):
        y = self.xp.sqrt(x)
        self.save(y)
        return y

    def backward(self, grad):
        (y,) = self.saved
        return grad / (2 * y.conj())


def sqrt(input):
    """Square root. Same as torch.sqrt."""
    return Sqrt().apply(float_input(input))


class Sign(Node):
    """y = sign(x)          dy/dx = 0"""

    def forward(self, x):
        return self.xp.sign(x)

    def backward(self, grad):
        return grad * 0


def sign(input):
    """-1, 0 or 1 per element. Same as torch.sign."""
    if input.dtype is D.bool:
        return input.clone()
    return Sign().apply(input)


class Trunc(Node):
    """y = trunc(x)          dy/dx = 0"""

    def forward(self, x):
        return self.xp.trunc(x) if x.dtype.kind in "fc" else x.copy()

    def backward(self, grad):
        return grad * 0


def trunc(input):
    """Round toward zero. Same as torch.trunc."""
    return Trunc().apply(input)


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


class BitwiseNot(Node):
    """y = ~x (integers and bools; no gradient)"""

    differentiable = False

    def forward(self, x):
        if x.dtype.kind not in "iub":
            raise TypeError(f"bitwise_not is only supported for integer and boolean tensors, "
                            f"got {D._FROM_NP[x.dtype]}")
        return self.xp.invert(x)


def bitwise_not(input):
    """~input for integer and bool tensors. Same as torch.bitwise_not."""
    if input.dtype.category > D.INT:
        raise RuntimeError(f'"bitwise_not_cpu" not implemented for '
                           f"'{input.dtype._short}'")
    return BitwiseNot().apply(input)


def _check_tensor(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")


# Tensor methods (installed by ember/_methods.py)
METHODS = {
    "neg": neg, "negative": neg, "abs": abs, "absolute": abs, "exp": exp, "log": log,
    "tanh": tanh, "sigmoid": sigmoid, "relu": relu, "sqrt": sqrt, "sign": sign,
    "trunc": trunc, "conj": conj, "bitwise_not": bitwise_not, "positive": positive,
}
INPLACE = {
    "neg_": neg, "negative_": neg, "abs_": abs, "absolute_": abs, "exp_": exp, "log_": log,
    "tanh_": tanh, "sigmoid_": sigmoid, "relu_": relu, "sqrt_": sqrt, "sign_": sign,
    "trunc_": trunc, "bitwise_not_": bitwise_not,
}
