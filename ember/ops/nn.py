"""Fused neural-network primitives: softmax and log_softmax along one dim, the MSE loss, the
negative log-likelihood loss, the exact GELU.

They are single nodes rather than compositions of exp/sum/div because subtracting the maximum
first keeps exp from overflowing, and because their gradients have short closed forms.  The
MSE loss is one node (torch's MseLossBackward0) because training loops run it every step; the
exact GELU is one node because as five ops (x * 0.5 * (1 + erf(x / sqrt 2))) it made ten
passes over the activations and their gradients, and its erf is computed once, in forward.
"""

import math

import numpy as np

from .. import _dtype as D
from .. import _kernels
from ..autograd.function import Node
from . import _erf
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


def _last_dim_rows(dim, *arrays):
    """True when the softmax kernels take these arrays: the op runs along the last dim of
    non-empty C-contiguous float32 NumPy arrays (_kernels.takes)."""
    a = arrays[0]
    return dim is not None and dim == a.ndim - 1 and a.size > 0 and _kernels.takes(*arrays)


class Softmax(Node):
    """y_i = exp(x_i) / sum_j exp(x_j)   (along dim)
    grad_x = y * (grad - sum(grad * y))"""

    def __init__(self, dim, ndim):
        self.dim = dim if ndim else None  # a 0-dim tensor is its own softmax group

    def forward(self, x):
        if _last_dim_rows(self.dim, x):  # one fused loop (ember/_kernels.py)
            y = x.copy()
            _kernels.softmax_rows(_kernels.rows(y), x.max(axis=-1).reshape(-1), False)
            self.save(y)
            return y
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
    grad_x = grad - exp(y) * sum(grad): LogSoftmaxGrad, one node (a classifier's loss runs it
    at every step; as four ops it made four tensors the size of the logits)."""

    def __init__(self, dim, ndim):
        self.dim = dim if ndim else None  # a 0-dim tensor is its own softmax group

    def forward(self, x):
        xp = self.xp
        if _last_dim_rows(self.dim, x):  # one fused loop (ember/_kernels.py)
            y = np.empty_like(x)
            rows = _kernels.rows(x)
            _kernels.log_softmax_rows(rows, rows.max(axis=1), _kernels.rows(y))
            self.save(y)
            return y
        z = _shifted(x, self.dim)
        log_total = xp.log(xp.exp(z).sum(axis=self.dim, keepdims=True))
        if z is x:  # (an empty x comes back as it is: not to be written into)
            z = z - log_total
        else:
            z -= log_total  # in place: z is this op's own array
        y = z.astype(x.dtype, copy=False)
        self.save(y)
        return y

    def backward(self, grad):
        (y,) = self.saved
        return LogSoftmaxGrad(self.dim).apply(grad, y)


class LogSoftmaxGrad(Node):
    """log_softmax's gradient as an op of (grad, y): g = grad - p * S, p = exp(y) (the softmax),
    S = sum(grad) along dim.  16-bit floats compute in float32 (the engine rounds the
    gradient back once).  Its own gradient (double backward), for incoming gg:
    grad_grad = gg - sum(gg * p),  grad_y = -gg * p * S."""

    _name = "LogSoftmaxBackwardDataBackward0"

    def __init__(self, dim):
        self.dim = dim

    def forward(self, grad, y):
        xp = self.xp
        self.save(grad, y)
        if y.dtype.itemsize == 2:
            y, grad = y.astype("float32"), grad.astype("float32")
        grad = _kernels.contiguous(grad)
        if _last_dim_rows(self.dim, y, grad):  # one fused loop (ember/_kernels.py)
            g = np.empty_like(y)
            _kernels.log_softmax_grad_rows(_kernels.rows(grad), _kernels.rows(y),
                                           _kernels.rows(g))
            return g
        total = xp.add.reduce(grad, axis=self.dim, keepdims=True)
        g = xp.exp(y, out=xp.empty(y.shape, dtype=y.dtype))  # (an array even for 0 dims)
        g *= total
        return xp.subtract(grad, g, out=g)

    def backward(self, gg):
        grad, y = self.saved
        if y.dtype.itemsize == 2:
            y, grad = y.float(), grad.float()
        p = y.exp()
        need_grad, need_y = self.needs_input_grad
        grad_grad = gg - (gg * p).sum(self.dim, keepdim=True) if need_grad else None
        grad_y = -(gg * p * grad.sum(self.dim, keepdim=True)) if need_y else None
        return grad_grad, grad_y


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
        if x._dtype.category == D.COMPLEX:
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


class _Picks:
    """Where each sample's negative log-likelihood reads its input, and with what weight.

    For input x (N, C, *rest) (class dim 1; (C,) for one sample) and class indices t (N, *rest),
    sample i reads the entry x[n, t_i, *r] at flat position ``index[i]`` of x, with weight
    w_i = weight[t_i] (1 without a weight), or 0 when t_i == ignore_index.  ``total`` is sum w_i,
    the divisor of the 'mean' reduction.  Weights and sums are in float32 for 16-bit inputs
    (torch's accumulation type), rounded once at the end."""

    def __init__(self, xp, shape, dtype, target, weight, ignore_index):
        classes = shape[1] if len(shape) >= 2 else shape[0]
        t = target.reshape(-1).astype("int64", copy=False)
        valid = t != ignore_index
        self.valid = None if valid.all() else valid  # None: every sample counts
        safe = t if self.valid is None else xp.where(valid, t, 0)
        if t.size and (safe.min() < 0 or safe.max() >= classes):
            bad = (safe < 0) | (safe >= classes)
            raise IndexError(f"Target {int(t[bad][0])} is out of bounds.")
        if len(shape) >= 2:  # sample i is (n, r): flat position (n * C + t_i) * R + r
            rest = math.prod(shape[2:])
            i = xp.arange(t.size)
            self.index = i * classes + safe if rest == 1 else (
                (i // rest * classes + safe) * rest + i % rest)
        else:
            self.index = safe
        self.acc = D.accumulator_dtype(np.dtype(dtype))
        if weight is None:
            self.w = valid.astype(self.acc)
        else:
            self.w = weight[safe].astype(self.acc)
            if self.valid is not None:
                self.w = xp.where(valid, self.w, 0).astype(self.acc)
        self.total = xp.add.reduce(self.w, axis=None)
        self.shape, self.target_shape = tuple(shape), target.shape


class NllLoss(Node):
    """loss_i = -w_i * x[i, t_i]: the negative log-likelihood of each sample's class t_i (0 for
    an ignored target), then their sum ('sum'), their sum over the total weight ('mean'), or
    the losses themselves ('none'); x holds log-probabilities (see _Picks for w_i).
    grad_x = NllLossGrad(grad): -w_i * grad (over the total weight for 'mean') at each read
    position, 0 elsewhere.  The two are each other's adjoint, so each one's gradient is the
    other: double backward works.  One node (torch's NllLossBackward0) because every classifier
    runs it at every step; as a dozen small ops it cost several times its maths."""

    _name = "NllLossBackward0"

    def __init__(self, target, weight, ignore_index, reduction, picks=None):
        self.target, self.weight, self.ignore_index = target, weight, ignore_index
        self.reduction, self.picks = reduction, picks

    def forward(self, x):
        if self.picks is None:
            self.picks = _Picks(self.xp, x.shape, x.dtype, self.target, self.weight,
                                self.ignore_index)
        picks = self.picks
        loss = self.xp.take(x, picks.index).astype(picks.acc, copy=False) * -picks.w
        if picks.valid is not None:  # ignored samples give 0, whatever their input
            loss = self.xp.where(picks.valid, loss, 0).astype(picks.acc, copy=False)
        if self.reduction == "none":
            return loss.reshape(picks.target_shape).astype(x.dtype, copy=False)
        total = self.xp.add.reduce(loss, axis=None)
        if self.reduction == "mean":
            total = total / picks.total  # no counted sample: 0 / 0 = nan, as torch
        return total.astype(x.dtype)

    def backward(self, grad):
        return NllLossGrad(self.picks, self.reduction).apply(grad)


class NllLossGrad(Node):
    """The gradient of NllLoss: g[position of sample i] = w_i * -grad_i (grad_i: the loss's
    gradient for 'none', its one value otherwise, over the total weight for 'mean'), 0
    elsewhere.  Its own gradient is NllLoss of the incoming gradient."""

    _name = "NllLossBackwardBackward0"

    def __init__(self, picks, reduction):
        self.picks, self.reduction = picks, reduction

    def forward(self, grad):
        xp, picks = self.xp, self.picks
        g = grad.astype(picks.acc, copy=False)
        if self.reduction == "none":
            g = g.reshape(-1)
        elif self.reduction == "mean":
            g = g / picks.total
        values = picks.w * -g
        if picks.valid is not None:
            values = xp.where(picks.valid, values, 0)
        out = xp.zeros(math.prod(picks.shape), dtype=grad.dtype)
        out[picks.index] = values
        return out.reshape(picks.shape)

    def backward(self, grad):
        return NllLoss(None, None, None, self.reduction, self.picks).apply(grad)


_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


class Gelu(Node):
    """y = x * Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2, the standard normal CDF
    dy/dx = Phi(x) + x * phi(x), phi(x) = exp(-x^2 / 2) / sqrt(2 pi): that product with the
    incoming gradient is GeluGrad, a node of its own (so double backward works)."""

    _name = "GeluBackward0"

    def forward(self, x):
        self.save(x)
        # computed as torch rounds it: in x's precision (16-bit floats in float32), erf rounded
        # once to it (ember's erf works in float64); 1 + erf loses the far negative tail's
        # digits exactly as torch's does
        dt = np.float64 if x.dtype.itemsize == 8 else np.float32
        xw = x.astype(dt, copy=False)
        if _kernels.takes(xw):  # float32: one fused loop, the same maths (ember/_kernels.py)
            y, self.cdf = np.empty_like(xw), np.empty_like(xw)
            _kernels.gelu(xw.reshape(-1), y.reshape(-1), self.cdf.reshape(-1))
            return y.astype(x.dtype, copy=False)
        z = xw * dt(math.sqrt(0.5))
        if dt is np.float32:
            erf = _erf.erf_float32(self.xp, z)  # in float32 arithmetic, to its rounding
        else:
            erf = _erf.erf(self.xp, z)
        # Phi(x) is kept for backward: it depends on x alone, whose version backward checks
        erf += 1  # (in place: erf is a new array; the same values as 0.5 * (1 + erf))
        erf *= 0.5
        self.cdf = erf
        return (xw * self.cdf).astype(x.dtype, copy=False)

    def backward(self, grad):
        (x,) = self.saved
        return GeluGrad(self.cdf).apply(grad, x)


class GeluGrad(Node):
    """y = g * (Phi(x) + x * phi(x))   (GELU's gradient; Phi(x) given by Gelu's forward)
    dy/dg = Phi(x) + x * phi(x)  (GeluGrad again),   dy/dx = g * phi(x) * (2 - x^2)"""

    _name = "GeluBackwardBackward0"

    def __init__(self, cdf):
        self.cdf = cdf

    def forward(self, g, x):
        self.save(g, x)
        dt = self.cdf.dtype  # x's precision, float32 for 16-bit floats (as torch)
        x = x.astype(dt, copy=False)
        g = _kernels.contiguous(g)
        if g.shape == x.shape and _kernels.takes(g, x, self.cdf):  # float32: one fused loop
            y = np.empty_like(x)  # (ember/_kernels.py)
            _kernels.gelu_grad(g.reshape(-1), x.reshape(-1), self.cdf.reshape(-1), y.reshape(-1))
            return y
        # g * (Phi + x * phi), phi = exp(-0.5 * x * x) / sqrt(2 pi): each step in place on
        # one new array (the same operations in the same order as written out)
        y = self.xp.multiply(x, dt.type(-0.5), out=self.xp.empty(x.shape, dtype=dt))
        y *= x
        self.xp.exp(y, out=y)
        y *= dt.type(_INV_SQRT_2PI)
        y *= x
        y += self.cdf
        y *= g
        return y.astype(g.dtype, copy=False)

    def backward(self, grad):
        g, x = self.saved
        need_g, need_x = self.needs_input_grad
        grad_g = GeluGrad(self.cdf).apply(grad, x) if need_g else None
        grad_x = None
        if need_x:
            pdf = (x * x * -0.5).exp() * _INV_SQRT_2PI
            grad_x = grad * g * pdf * (2 - x * x)
        return grad_g, grad_x


def gelu_exact(input):
    """x * Phi(x) with the exact normal CDF (nn.functional.gelu's default)."""
    if input.dtype.category != D.FLOAT:
        raise NotImplementedError(f"\"GeluKernelImpl\" not implemented for '{input.dtype._short}'")
    return Gelu().apply(input)


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
