"""Fused neural-network primitives: softmax and log_softmax along one dim, the MSE loss.

They are single nodes rather than compositions of exp/sum/div because subtracting the maximum
first keeps exp from overflowing, and because their gradients have short closed forms.  The
MSE loss is one node (torch's MseLossBackward0) because training loops run it every step.
"""

from .. import _dtype as D
from ..autograd.function import Node
from ._numpy_names import REQUIRED, numpy_axis
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
        if y.dtype.itemsize == 2:  # 16-bit floats: the products and their sum in float32; the
            y, grad = y.float(), grad.float()  # engine rounds the gradient back once
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
        if y.dtype.itemsize == 2:  # 16-bit floats: exp(y) times the sum in float32, then the
            y, grad = y.float(), grad.float()  # engine rounds the gradient back once
        return grad - y.exp() * grad.sum(self.dim, keepdim=True)


class MseLoss(Node):
    """y = (x - target)^2, then its mean, its sum, or as it is ('none')
    grad_x = 2 (x - target) grad, divided by the element count for 'mean';  grad_target = -grad_x
    """

    saves_inputs = True  # backward reads the inputs (saved)

    def __init__(self, reduction):
        self.reduction = reduction

    def forward(self, x, target):
        diff = x - target
        loss = diff * diff
        self.count = loss.size
        if self.reduction == "none":
            return loss
        # NOTE: the ufunc, not ndarray.sum/mean (slow Python wrappers on tiny arrays); 16-bit
        # floats are summed in float32 and rounded once (the rule of reduction.summed)
        wide = "float32" if loss.dtype.itemsize == 2 else None
        total = self.xp.add.reduce(loss, axis=None, dtype=wide)
        if self.reduction == "sum":
            return total if wide is None else total.astype(loss.dtype)
        return (total / self.count).astype(loss.dtype)  # an empty input gives nan (0 / 0)

    def backward(self, grad):
        x, target = self.saved
        scale = 2 / self.count if self.reduction == "mean" else 2
        if x.dtype.category == D.COMPLEX:
            grad_x = (x - target).conj() * (grad * scale)
        else:  # one node instead of three ops: this runs at every training step
            grad_x = MseLossGrad(scale).apply(x, target, grad)
        return grad_x, -grad_x if self.needs_input_grad[1] else None


class MseLossGrad(Node):
    """The gradient of MseLoss for real inputs: y = scale * (x - target) * grad
    grad_x = scale * grad * grad_y,  grad_target = -grad_x,
    grad_grad = scale * (x - target) * grad_y      (this backward is the loss's double backward)"""

    saves_inputs = True  # backward reads the inputs (saved)

    _name = "MseLossBackward0"

    def __init__(self, scale):
        self.scale = scale

    def forward(self, x, target, grad):
        return (x - target) * (grad * self.scale)

    def backward(self, grad_y):
        x, target, grad = self.saved
        need_x, need_target, need_grad = self.needs_input_grad
        grad_x = grad_y * (grad * self.scale) if need_x or need_target else None
        grad_target = -grad_x if need_target else None
        grad_grad = (x - target) * grad_y * self.scale if need_grad else None
        return grad_x if need_x else None, grad_target, grad_grad


def _prepare(input, dim, dtype, name):
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.category < D.FLOAT:
        raise NotImplementedError(f"\"{name}_lastdim_kernel_impl\" not implemented for "
                           f"'{input.dtype._short}'")
    return input, wrap_dim(dim, input.ndim)


def softmax(input, dim=REQUIRED, dtype=None, *, axis=None):
    """exp(input) / sum(exp(input)) along ``dim``, in ``dtype`` if given. Same as torch.softmax."""
    if axis is not None or dim is REQUIRED:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("softmax", dim, axis, REQUIRED)
    input, dim = _prepare(input, dim, dtype, "softmax")
    return Softmax(dim, input.ndim).apply(input)


def log_softmax(input, dim=REQUIRED, dtype=None, *, axis=None):
    """log(softmax(input)) along ``dim``, computed stably. Same as torch.log_softmax."""
    if axis is not None or dim is REQUIRED:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("log_softmax", dim, axis, REQUIRED)
    input, dim = _prepare(input, dim, dtype, "log_softmax")
    return LogSoftmax(dim, input.ndim).apply(input)


# Tensor methods (installed by ember/_methods.py)
METHODS = {"softmax": softmax, "log_softmax": log_softmax}
