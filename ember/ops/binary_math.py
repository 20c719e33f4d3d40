"""Element-wise maths of two tensors beyond arithmetic, each with its derivative beside it:
minimum/maximum (and the NaN-ignoring fmin/fmax), atan2, hypot, logaddexp(2), copysign, xlogy,
lerp, and where.  Promotion and ``out=`` come from ``binary.py``.
"""

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.function import Node
from .binary import (
    need_tensor,
    not_implemented,
    operands,
    quiet,
    scalar_tensor,
    to_float,
    write_out,
)

__all__ = [
    "minimum", "maximum", "fmin", "fmax", "atan2", "arctan2", "hypot", "logaddexp",
    "logaddexp2", "copysign", "xlogy", "lerp", "where",
]


# ---------------------------------------------------------------------------- min / max

class Maximum(Node):
    """y = max(a, b), NaN if either is NaN
    dy/da = 1 where a > b, 1/2 where a = b, 0 where a < b (NaNs pass the gradient to both)"""

    def forward(self, a, b):
        self.save(a, b)
        return self.xp.maximum(a, b)

    def backward(self, grad):
        a, b = self.saved
        return _split(grad, a, b, a < b, a > b, self.needs_input_grad)


class Minimum(Node):
    """y = min(a, b), NaN if either is NaN
    dy/da = 1 where a < b, 1/2 where a = b, 0 where a > b (NaNs pass the gradient to both)"""

    def forward(self, a, b):
        self.save(a, b)
        return self.xp.minimum(a, b)

    def backward(self, grad):
        a, b = self.saved
        return _split(grad, a, b, a > b, a < b, self.needs_input_grad)


def _split(grad, a, b, a_loses, b_loses, needs):
    # NOTE: a tie sends half the gradient to each input, as torch does
    shared = where(a == b, grad / 2, grad)
    grad_a = where(a_loses, 0, shared) if needs[0] else None
    grad_b = where(b_loses, 0, shared) if needs[1] else None
    return grad_a, grad_b


class Fmax(Node):
    """y = max(a, b) ignoring a NaN          dy/da = 1 where a >= b or b is NaN, else 0"""

    def forward(self, a, b):
        self.save(a, b)
        return self.xp.fmax(a, b)

    def backward(self, grad):
        a, b = self.saved
        # NOTE: a tie sends the whole gradient to a, as torch does
        a_wins = (a >= b) | (b != b)
        return _route(grad, a_wins, self.needs_input_grad)


class Fmin(Node):
    """y = min(a, b) ignoring a NaN          dy/da = 1 where a <= b or b is NaN, else 0"""

    def forward(self, a, b):
        self.save(a, b)
        return self.xp.fmin(a, b)

    def backward(self, grad):
        a, b = self.saved
        a_wins = (a <= b) | (b != b)
        return _route(grad, a_wins, self.needs_input_grad)


def _route(grad, a_wins, needs):
    grad_a = where(a_wins, grad, 0) if needs[0] else None
    grad_b = where(a_wins, 0, grad) if needs[1] else None
    return grad_a, grad_b


def _extremum(node, name, input, other, out):
    need_tensor(name, other)
    a, b = operands(input, other)
    if a.dtype.category == D.COMPLEX:
        raise RuntimeError(f"{name} not implemented for complex tensors.")
    return write_out(node.apply(a, b), out, name)


def maximum(input, other, *, out=None):
    """Element-wise max(input, other), propagating NaN. Same as torch.maximum."""
    return _extremum(Maximum(), "maximum", input, other, out)


def minimum(input, other, *, out=None):
    """Element-wise min(input, other), propagating NaN. Same as torch.minimum."""
    return _extremum(Minimum(), "minimum", input, other, out)


def fmax(input, other, *, out=None):
    """Element-wise max(input, other), taking the number where one side is NaN."""
    return _extremum(Fmax(), "fmax", input, other, out)


def fmin(input, other, *, out=None):
    """Element-wise min(input, other), taking the number where one side is NaN."""
    return _extremum(Fmin(), "fmin", input, other, out)


# ---------------------------------------------------------------------------- float functions

def _float_operands(name, input, other, integers=True):
    """Promoted operands of a floating-point function: integers compute in the default float
    dtype (or have no kernel when ``integers`` is False); complex has no kernel."""
    a, b = operands(input, other)
    category = a.dtype.category
    if category == D.COMPLEX or (category < D.FLOAT and not integers):
        raise not_implemented(name, a.dtype)
    return to_float(a, b)


class Atan2(Node):
    """y = atan2(a, b)          dy/da = b / (a^2 + b^2), dy/db = -a / (a^2 + b^2)"""

    def forward(self, a, b):
        self.save(a, b)
        return self.xp.arctan2(a, b)

    def backward(self, grad):
        a, b = self.saved
        scale = grad / (a * a + b * b)
        return scale * b, scale * -a


def atan2(input, other, *, out=None):
    """The angle of the point (other, input), in (-pi, pi]. Same as torch.atan2."""
    need_tensor("atan2", other)
    a, b = _float_operands("atan2", input, other)
    return write_out(Atan2().apply(a, b), out, "atan2")


arctan2 = atan2


class Hypot(Node):
    """y = sqrt(a^2 + b^2)          dy/da = a / y, dy/db = b / y"""

    @quiet
    def forward(self, a, b):
        y = self.xp.hypot(a, b)
        self.save(a, b, y)
        return y

    def backward(self, grad):
        a, b, y = self.saved
        scale = grad / y
        return scale * a, scale * b


def hypot(input, other, *, out=None):
    """sqrt(input^2 + other^2) without overflow. Same as torch.hypot."""
    need_tensor("hypot", other)
    a, b = _float_operands("hypot", input, other, integers=False)
    return write_out(Hypot().apply(a, b), out, "hypot")


class LogAddExp(Node):
    """y = log(e^a + e^b)          dy/da = 1 / (1 + e^(b-a)), dy/db = 1 / (1 + e^(a-b))"""

    @quiet
    def forward(self, a, b):
        self.save(a, b)
        return self.xp.logaddexp(a, b)

    def backward(self, grad):
        a, b = self.saved
        return grad / (1 + (b - a).exp()), grad / (1 + (a - b).exp())


class LogAddExp2(Node):
    """y = log2(2^a + 2^b)          dy/da = 1 / (1 + 2^(b-a)), dy/db = 1 / (1 + 2^(a-b))"""

    @quiet
    def forward(self, a, b):
        self.save(a, b)
        return self.xp.logaddexp2(a, b)

    def backward(self, grad):
        a, b = self.saved
        return grad / (1 + 2 ** (b - a)), grad / (1 + 2 ** (a - b))


def logaddexp(input, other, *, out=None):
    """log(exp(input) + exp(other)), computed without overflow. Same as torch.logaddexp."""
    need_tensor("logaddexp", other)
    a, b = _float_operands("logaddexp", input, other, integers=False)
    return write_out(LogAddExp().apply(a, b), out, "logaddexp")


def logaddexp2(input, other, *, out=None):
    """log2(2**input + 2**other). Same as torch.logaddexp2."""
    need_tensor("logaddexp2", other)
    a, b = _float_operands("logaddexp2", input, other, integers=False)
    return write_out(LogAddExp2().apply(a, b), out, "logaddexp2")


class Copysign(Node):
    """y = |a| with the sign of b          dy/da = y / a (0 where a = 0), dy/db = 0"""

    def forward(self, a, b):
        y = self.xp.copysign(a, b)
        self.save(a, y)
        return y

    def backward(self, grad):
        a, y = self.saved
        grad_a = grad * where(a == 0, 0, y / a) if self.needs_input_grad[0] else None
        return grad_a, grad * 0 if self.needs_input_grad[1] else None


def copysign(input, other, *, out=None):
    """The magnitude of input with the sign of other (integers give floats)."""
    a, b = _float_operands("copysign", input, other)
    return write_out(Copysign().apply(a, b), out, "copysign")


class Xlogy(Node):
    """y = x * log(z), 0 where x = 0 (unless z is NaN)
    dy/dx = log(z) (0 where x = 0 and z <= 0), dy/dz = x / z"""

    @quiet
    def forward(self, x, z):
        xp = self.xp
        self.save(x, z)
        y = x * xp.log(z)
        return xp.where((x == 0) & (z == z), 0, y).astype(y.dtype, copy=False)

    def backward(self, grad):
        x, z = self.saved
        grad_x = grad_z = None
        if self.needs_input_grad[0]:
            grad_x = where((x == 0) & (z <= 0), 0, xlogy(grad, z))
        if self.needs_input_grad[1]:
            grad_z = grad * x / z
        return grad_x, grad_z


def xlogy(input, other, *, out=None):
    """input * log(other), taken as 0 where input is 0. Same as torch.xlogy."""
    a, b = _float_operands("xlogy", input, other)
    return write_out(Xlogy().apply(a, b), out, "xlogy")


# ---------------------------------------------------------------------------- lerp

class Lerp(Node):
    """y = start + w * (end - start)
    dy/dstart = 1 - w, dy/dend = w, dy/dw = end - start"""

    def forward(self, start, end, weight):
        self.save(start, end, weight)
        # NOTE: from the nearer end, so that w = 1 gives end exactly (as torch computes it)
        diff = end - start
        y = self.xp.where(self.xp.abs(weight) < 0.5, start + weight * diff,
                          end - diff * (1 - weight))
        return y.astype(start.dtype, copy=False)

    def backward(self, grad):
        start, end, weight = self.saved
        needs = self.needs_input_grad
        return (grad * (1 - weight) if needs[0] else None,
                grad * weight if needs[1] else None,
                grad * (end - start) if needs[2] else None)


def lerp(input, end, weight, *, out=None):
    """input + weight * (end - input); ``weight`` a number or a tensor. Same as torch.lerp.

    No promotion: ``end`` (and a tensor ``weight``) must have input's dtype.
    """
    need_tensor("lerp", end, arg="end")
    for name, t in (("end", end), ("weight", weight)):
        if isinstance(t, Tensor) and t.dtype is not input.dtype:
            raise RuntimeError(f"expected dtype {input.dtype._short.lower()} for `{name}` but "
                               f"got dtype {t.dtype._short.lower()}")
    if input.dtype.category < D.FLOAT:
        raise NotImplementedError(f'"lerp_kernel_scalar" not implemented for '
                                  f"'{input.dtype._short}'")
    if not isinstance(weight, Tensor):
        weight = scalar_tensor(weight, input.dtype, input.device)
    result = Lerp().apply(input, end, weight)
    return write_out(result, out, "lerp")


# ---------------------------------------------------------------------------- where

class Where(Node):
    """y = a where condition else b          grad_a = grad where condition, grad_b = the rest"""

    def __init__(self, condition):
        self.condition = condition  # a bool array, not differentiated

    def forward(self, a, b):
        return self.xp.where(self.condition, a, b)

    def _broadcast_shapes(self, shapes):
        return [self.condition.shape, *shapes]  # torch names the condition first

    def backward(self, grad):
        cond = Tensor._make(self.condition, grad.device)
        grad_a = where(cond, grad, 0) if self.needs_input_grad[0] else None
        grad_b = where(cond, 0, grad) if self.needs_input_grad[1] else None
        return grad_a, grad_b


def where(condition, input=None, other=None, *, out=None):
    """``input`` where ``condition`` else ``other``, broadcasting all three; either value may
    be a Python number.  ``where(condition)`` alone is ``nonzero(condition, as_tuple=True)``."""
    if input is None and other is None:
        return _nonzero_tuple(condition)
    if condition.dtype is not D.bool:
        if condition.dtype is not D.uint8:  # torch still takes uint8 masks (deprecated)
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a "
                               f"tensor with dtype {condition.dtype._short}")
        condition = condition.to(D.bool)
    if isinstance(input, Tensor) or isinstance(other, Tensor):
        a, b = operands(input, other)
    else:
        dt = D.result_type(input, other)
        a = scalar_tensor(input, dt, condition.device)
        b = scalar_tensor(other, dt, condition.device)
    result = Where(condition._data).apply(a, b)
    return write_out(result, out, "where")


def _nonzero_tuple(condition):
    try:
        from .indexing import nonzero
    except ImportError:  # pragma: no cover - an ember without nonzero
        return tuple(Tensor._make(i.astype("int64"), condition.device)
                     for i in condition._data.nonzero())
    return nonzero(condition, as_tuple=True)


def _tensor_where(self, condition, y):
    """``self.where(condition, y)`` is ``where(condition, self, y)``."""
    return where(condition, self, y)


# Tensor methods (installed by ember/_methods.py)
METHODS = {
    "minimum": minimum, "maximum": maximum, "fmin": fmin, "fmax": fmax, "atan2": atan2,
    "arctan2": atan2, "hypot": hypot, "logaddexp": logaddexp, "logaddexp2": logaddexp2,
    "copysign": copysign, "xlogy": xlogy, "lerp": lerp, "where": _tensor_where,
}
INPLACE = {
    "atan2_": atan2, "arctan2_": atan2, "hypot_": hypot, "copysign_": copysign,
    "xlogy_": xlogy, "lerp_": lerp,
}
