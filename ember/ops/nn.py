"""Fused neural-network primitives: softmax and log_softmax along one dim.

They are single nodes rather than compositions of exp/sum/div because subtracting the maximum
first keeps exp from overflowing, and because their gradients have short closed forms.
"""

from .. import _dtype as D
from ..autograd.function import Node
from .shape import wrap_dim

__all__ = ["softmax", "log_softmax"]


def _shifted(x, axis):
    """x - max(x) along axis (so that exp(.) <= 1), computed in float32 for 16-bit floats."""
    if x.dtype.itemsize < 4:
        x = x.astype("float32")
    if x.size == 0:
        return x
    return x - x.max(axis=axis, keepdims=True)


class Softmax(Node):
    """y_i = exp(x_i) / sum_j exp(x_j)   (along dim)
    grad_x = y * (grad - sum(grad * y))"""

    def __init__(self, dim, ndim):
        self.dim = dim if ndim else None  # a 0-dim tensor is its own softmax group

    def forward(self, x):
        e = self.xp.exp(_shifted(x, self.dim))
        y = (e / e.sum(axis=self.dim, keepdims=True)).astype(x.dtype, copy=False)
        self.save(y)
        return y

    def backward(self, grad):
        (y,) = self.saved
        return y * (grad - (grad * y).sum(self.dim, keepdim=True))


class LogSoftmax(Node):
    """y_i = x_i - log(sum_j exp(x_j))   (along dim)
    grad_x = grad - exp(y) * sum(grad)"""

    def __init__(self, dim, ndim):
        self.dim = dim if ndim else None  # a 0-dim tensor is its own softmax group

    def forward(self, x):
        xp = self.xp
        z = _shifted(x, self.dim)
        y = (z - xp.log(xp.exp(z).sum(axis=self.dim, keepdims=True))).astype(x.dtype, copy=False)
        self.save(y)
        return y

    def backward(self, grad):
        (y,) = self.saved
        return grad - y.exp() * grad.sum(self.dim, keepdim=True)


def _prepare(input, dim, dtype, name):
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.category < D.FLOAT:
        raise NotImplementedError(f"\"{name}_lastdim_kernel_impl\" not implemented for "
                           f"'{input.dtype._short}'")
    return input, wrap_dim(dim, input.ndim)


def softmax(input, dim, dtype=None):
    """exp(input) / sum(exp(input)) along ``dim``, in ``dtype`` if given. Same as torch.softmax."""
    input, dim = _prepare(input, dim, dtype, "softmax")
    return Softmax(dim, input.ndim).apply(input)


def log_softmax(input, dim, dtype=None):
    """log(softmax(input)) along ``dim``, computed stably. Same as torch.log_softmax."""
    input, dim = _prepare(input, dim, dtype, "log_softmax")
    return LogSoftmax(dim, input.ndim).apply(input)


# Tensor methods (installed by ember/_methods.py)
METHODS = {"softmax": softmax, "log_softmax": log_softmax}
