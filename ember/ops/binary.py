"""Element-wise ops of two tensors (or a tensor and a Python number), with broadcasting.

Every op here goes through ``operands``: both sides become tensors of PyTorch's result dtype
(``_dtype.result_type``), so NumPy's own promotion never decides a dtype.  Broadcasting is
NumPy's; the engine sums gradients back to each input's shape.
"""

from .. import _dtype as D
from .._errors import broadcast_error
from .._tensor import Tensor
from ..autograd.function import Node

__all__ = [
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "pow",
    "floor_divide", "remainder", "fmod", "eq", "ne", "lt", "le", "gt", "ge", "greater",
    "greater_equal", "less", "less_equal", "not_equal", "bitwise_and", "bitwise_or",
    "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift", "logical_and", "logical_or",
    "logical_xor",
]


# ---------------------------------------------------------------------------- promotion

def operands(a, b):
    """``a`` and ``b`` as tensors of their common (PyTorch) dtype."""
    a_is_tensor = isinstance(a, Tensor)
    b_is_tensor = isinstance(b, Tensor)
    if a_is_tensor and b_is_tensor:
        if a.dtype is b.dtype:
            return a, b
        dt = D.result_type(a, b)
        return _cast(a, dt), _cast(b, dt)
    if a_is_tensor:
        dt = _with_scalar(a, b)
        return _cast(a, dt), scalar_tensor(b, dt, a.device)
    if b_is_tensor:
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
    return D.result_type(t, scalar)


def _cast(t, dt):
    return t if t.dtype is dt else t.to(dt)


def scalar_tensor(value, dt, device):
    """A Python number as a 0-dim tensor (no grad) of dtype ``dt`` on ``device``."""
    if isinstance(value, Tensor):
        return _cast(value, dt)
    from .. import _device

    xp = _device.xp_for(device)
    return Tensor._make(xp.asarray(value, dtype=D.to_numpy_dtype(dt)), device)


def _apply(node, a, b):
    """Run a binary node; NumPy's broadcast ValueError becomes torch's RuntimeError."""
    try:
        return node.apply(a, b)
    except ValueError:
        if a._data.shape != b._data.shape:
            raise broadcast_error(a._data.shape, b._data.shape, type(node).__name__.lower()) \
                from None
        raise


def _conj(t):
    return t.conj() if t.dtype.category == D.COMPLEX else t


def _to_float(a, b):
    """int / int true-divides: both go to the default float dtype first."""
    if a.dtype.category < D.FLOAT:
        dt = D.get_default_dtype()
        return _cast(a, dt), _cast(b, dt)
    return a, b


# ---------------------------------------------------------------------------- arithmetic

class Add(Node):
    """y = a + b          dy/da = 1, dy/db = 1"""

    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        return grad, grad


class Sub(Node):
    """y = a - b          dy/da = 1, dy/db = -1"""

    def forward(self, a, b):
        return a - b

    def backward(self, grad):
        return grad, -grad if self.needs_input_grad[1] else None


class Mul(Node):
    """y = a * b          dy/da = b, dy/db = a"""

    def forward(self, a, b):
        self.save(a, b)
        return a * b

    def backward(self, grad):
        a, b = self.saved
        grad_a = grad * _conj(b) if self.needs_input_grad[0] else None
        grad_b = grad * _conj(a) if self.needs_input_grad[1] else None
        return grad_a, grad_b


class Div(Node):
    """y = a / b          dy/da = 1 / b, dy/db = -a / b^2"""

    def forward(self, a, b):
        self.save(a, b)
        return a / b

    def backward(self, grad):
        a, b = self.saved
        grad_a = grad / _conj(b) if self.needs_input_grad[0] else None
        grad_b = -grad * _conj(a) / _conj(b * b) if self.needs_input_grad[1] else None
        return grad_a, grad_b


def add(input, other, *, alpha=1, out=None):
    """input + alpha * other, broadcasting. Same as torch.add."""
    a, b = operands(input, other)
    if alpha != 1:
        b = mul(b, alpha)
    return _out(_apply(Add(), a, b), out)


def sub(input, other, *, alpha=1, out=None):
    """input - alpha * other. Same as torch.sub."""
    a, b = operands(input, other)
    if a.dtype is D.bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if alpha != 1:
        b = mul(b, alpha)
    return _out(_apply(Sub(), a, b), out)


subtract = sub


def mul(input, other, *, out=None):
    """input * other, element-wise. Same as torch.mul."""
    a, b = operands(input, other)
    return _out(_apply(Mul(), a, b), out)


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    """input / other; ``rounding_mode`` None (true division), 'trunc' or 'floor'."""
    a, b = operands(input, other)
    if rounding_mode is None:
        a, b = _to_float(a, b)
        return _out(_apply(Div(), a, b), out)
    if rounding_mode == "floor":
        return _out(floor_divide(a, b), out)
    if rounding_mode == "trunc":
        if a.dtype.category < D.FLOAT:
            return _out(_apply(TruncDivide(), a, b), out)
        return _out(div(a, b).trunc(), out)
    raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                       f"found '{rounding_mode}'")


divide = div
true_divide = div


class TruncDivide(Node):
    """integer a / b rounded toward zero (no gradient: integer output)"""

    differentiable = False

    def forward(self, a, b):
        _check_int_zero(self.xp, a, b)
        q = self.xp.abs(a) // self.xp.abs(b)
        return self.xp.where((a < 0) != (b < 0), -q, q).astype(a.dtype)


class FloorDivide(Node):
    """y = floor(a / b)          dy/da = dy/db = 0"""

    def forward(self, a, b):
        _check_int_zero(self.xp, a, b)
        return self.xp.floor_divide(a, b)

    def backward(self, grad):
        return grad * 0, grad * 0


def floor_divide(input, other, *, out=None):
    """floor(input / other). Same as torch.floor_divide."""
    a, b = operands(input, other)
    return _out(_apply(FloorDivide(), a, b), out)


class Remainder(Node):
    """y = a - floor(a / b) * b (sign of b)          dy/da = 1, dy/db = -floor(a / b)"""

    def forward(self, a, b):
        _check_int_zero(self.xp, a, b)
        self.save(a, b)
        return self.xp.remainder(a, b)

    def backward(self, grad):
        a, b = self.saved
        return grad, -grad * floor_divide(a, b) if self.needs_input_grad[1] else None


def remainder(input, other, *, out=None):
    """Python's modulus (result has the sign of ``other``). Same as torch.remainder."""
    a, b = operands(input, other)
    return _out(_apply(Remainder(), a, b), out)


class Fmod(Node):
    """y = a - trunc(a / b) * b (sign of a)          dy/da = 1, dy/db = -trunc(a / b)"""

    def forward(self, a, b):
        _check_int_zero(self.xp, a, b)
        self.save(a, b)
        return self.xp.fmod(a, b)

    def backward(self, grad):
        a, b = self.saved
        return grad, -grad * div(a, b, rounding_mode="trunc") if self.needs_input_grad[1] \
            else None


def fmod(input, other, *, out=None):
    """C's fmod (result has the sign of ``input``). Same as torch.fmod."""
    a, b = operands(input, other)
    return _out(_apply(Fmod(), a, b), out)


def _check_int_zero(xp, a, b):
    if a.dtype.kind in "iub" and b.dtype.kind in "iub" and bool((b == 0).any()):
        raise RuntimeError("ZeroDivisionError")


class Pow(Node):
    """y = a ** b          dy/da = b * a^(b-1), dy/db = y * log(a)"""

    def forward(self, a, b):
        if a.dtype.kind in "iu" and b.dtype.kind in "iu" and bool((b < 0).any()):
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        y = self.xp.power(a, b)
        self.save(a, b, y)
        return y

    def backward(self, grad):
        a, b, y = self.saved
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            # NOTE: torch defines d(a^0)/da = 0 even at a = 0
            grad_a = grad * _conj(b * pow(a, b - 1)).masked_fill(b == 0, 0)
        if self.needs_input_grad[1]:
            # NOTE: torch takes 0 * log(0) as 0 where a = 0 and b >= 0
            grad_b = grad * _conj(y * a.log()).masked_fill((a == 0) & (b >= 0), 0)
        return grad_a, grad_b


def pow(input, exponent, *, out=None):
    """input ** exponent, element-wise. Same as torch.pow."""
    a, b = operands(input, exponent)
    node = Pow()
    if not isinstance(exponent, Tensor):
        node._name = "PowBackward0"
    elif not isinstance(input, Tensor):
        node._name = "PowBackward2"
    else:
        node._name = "PowBackward1"
    return _out(_apply(node, a, b), out)


# ---------------------------------------------------------------------------- comparisons, logic

class Elementwise(Node):
    """y = f(a, b) for a NumPy function without a gradient (comparisons, logic, bits)."""

    differentiable = False

    def __init__(self, name):
        self.fn = name

    def forward(self, a, b):
        return getattr(self.xp, self.fn)(a, b)


def _compare(name, input, other, out):
    a, b = operands(input, other)
    return write_out(_apply(Elementwise(name), a, b), out)


def eq(input, other, *, out=None):
    """input == other, element-wise (bool). Same as torch.eq."""
    return _compare("equal", input, other, out)


def ne(input, other, *, out=None):
    """input != other (bool). Same as torch.ne."""
    return _compare("not_equal", input, other, out)


def lt(input, other, *, out=None):
    """input < other (bool). Same as torch.lt."""
    return _compare("less", input, other, out)


def le(input, other, *, out=None):
    """input <= other (bool). Same as torch.le."""
    return _compare("less_equal", input, other, out)


def gt(input, other, *, out=None):
    """input > other (bool). Same as torch.gt."""
    return _compare("greater", input, other, out)


def ge(input, other, *, out=None):
    """input >= other (bool). Same as torch.ge."""
    return _compare("greater_equal", input, other, out)


greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _bitwise(name, input, other, out):
    a, b = operands(input, other)
    if a.dtype.category > D.INT:
        raise RuntimeError(f'"{name}_cpu" not implemented for \'{a.dtype._short}\'')
    return write_out(_apply(Elementwise(name), a, b), out)


def bitwise_and(input, other, *, out=None):
    """input & other for integer and bool tensors."""
    return _bitwise("bitwise_and", input, other, out)


def bitwise_or(input, other, *, out=None):
    """input | other for integer and bool tensors."""
    return _bitwise("bitwise_or", input, other, out)


def bitwise_xor(input, other, *, out=None):
    """input ^ other for integer and bool tensors."""
    return _bitwise("bitwise_xor", input, other, out)


def bitwise_left_shift(input, other, *, out=None):
    return _bitwise("left_shift", input, other, out)


def bitwise_right_shift(input, other, *, out=None):
    return _bitwise("right_shift", input, other, out)


def _logical(name, input, other, out):
    a, b = operands(input, other)
    result = _apply(Elementwise(name), a.to(D.bool), b.to(D.bool))
    if out is not None and out.dtype is not D.bool:
        result = result.to(out.dtype)
    return write_out(result, out)


def logical_and(input, other, *, out=None):
    """Element-wise AND of the truth values (bool)."""
    return _logical("logical_and", input, other, out)


def logical_or(input, other, *, out=None):
    """Element-wise OR of the truth values (bool)."""
    return _logical("logical_or", input, other, out)


def logical_xor(input, other, *, out=None):
    """Element-wise XOR of the truth values (bool)."""
    return _logical("logical_xor", input, other, out)


def write_out(result, out):
    """Write into ``out=`` when given (resized as torch does), else return the result."""
    if out is None:
        return result
    if out.shape != result.shape:
        out._data = result._data.astype(out._data.dtype)
        out._vc.value += 1
    else:
        out.copy_(result.detach())
    return out


_out = write_out


# Tensor methods (installed by ember/_methods.py)
METHODS = {
    "pow": pow, "floor_divide": floor_divide, "remainder": remainder, "fmod": fmod,
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge, "greater": gt,
    "greater_equal": ge, "less": lt, "less_equal": le, "not_equal": ne,
    "bitwise_and": bitwise_and, "bitwise_or": bitwise_or, "bitwise_xor": bitwise_xor,
    "logical_and": logical_and, "logical_or": logical_or, "logical_xor": logical_xor,
}
INPLACE = {
    "pow_": pow, "floor_divide_": floor_divide, "remainder_": remainder, "fmod_": fmod,
    "eq_": eq, "ne_": ne, "lt_": lt, "le_": le, "gt_": gt, "ge_": ge,
    "bitwise_and_": bitwise_and, "bitwise_or_": bitwise_or, "bitwise_xor_": bitwise_xor,
    "logical_and_": logical_and, "logical_or_": logical_or, "logical_xor_": logical_xor,
}
