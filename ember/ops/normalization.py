"""The fused normalisation primitive behind layer_norm, batch_norm, instance_norm and group_norm.

Every one of these layers does the same thing over a different set of axes:

    mean = mean(x)                 over the normalised axes (n values per group)
    var  = mean((x - mean)^2)      (biased: divided by n, not n - 1)
    rstd = 1 / sqrt(var + eps)
    xhat = (x - mean) * rstd
    y    = xhat * weight + bias    (weight and bias broadcast along the other axes; optional)

``Normalize`` computes this in a few passes over the arrays and has the closed-form gradient,
so a training step records one node instead of the ten that mean, sub, pow, add, sqrt, div, mul,
add would.  LayerNorm normalises the trailing axes, BatchNorm every axis but the channels (dim 1),
InstanceNorm the spatial axes; GroupNorm reshapes to (N, groups, -1) and normalises the last.
"""

import string

import numpy as np

from .. import _kernels, _parallel
from .._tensor import Tensor
from ..autograd.function import Node
from ..autograd.grad_mode import state as _grad_state

__all__ = []


def _group_sum(xp, a, b, axes):
    """sum(a * b) over ``axes`` (sum(a) when b is None), keeping the reduced dims as size 1.

    NOTE: einsum, because it adds up several strided axes in one pass without the product's
    temporary; ufunc.reduce over axes (0, 2, 3) of an NCHW array is several times slower.
    (einsum without ``optimize``: the planner costs more than it saves for these.)"""
    letters = string.ascii_letters[:a.ndim]
    kept = "".join(c for i, c in enumerate(letters) if i not in axes)
    if b is None:
        total = xp.einsum(f"{letters}->{kept}", a)
    else:
        total = xp.einsum(f"{letters},{letters}->{kept}", a, b)
    return total.reshape([1 if i in axes else s for i, s in enumerate(a.shape)])


class Normalize(Node):
    """y = (x - mean(x)) / sqrt(var(x) + eps) * weight + bias, the statistics over ``axes``.

    Gradient, with xc = x - mean, means over ``axes``:
        grad_x      = rstd * (g - mean(g) - xhat * mean(g * xhat)),     g = grad * weight
                    = (g - mean(g)) * rstd - xc * rstd^3 * mean(g * xc)
        grad_weight = sum(grad * xhat)   over the axes the weight is broadcast along
        grad_bias   = sum(grad)          over the same axes
    When the weight is one value per group (BatchNorm, InstanceNorm: per channel) it factors
    out of the means, so g = grad and rstd * weight takes rstd's place in front: the same
    formula with one full-size multiply fewer.

    Args (to the constructor; ``apply`` takes x, then weight and bias when present):
        axes: the axes the statistics are taken over (a tuple of non-negative ints)
        eps: added to the variance before the square root
        param_view: the shape weight and bias take to broadcast against x
        param_axes: the axes of x that weight and bias are broadcast along
        has_weight, has_bias: which of the two are given to ``apply``
        name: torch's grad_fn name (NativeLayerNormBackward0, NativeBatchNormBackward0, ...)

    After forward, ``self.mean`` and ``self.var`` hold the batch statistics (arrays, keepdims,
    biased variance); batch_norm reads them to update its running averages.
    """

    def __init__(self, axes, eps, param_view=None, param_axes=(), has_weight=False,
                 has_bias=False, name=None):
        self.axes = axes
        self.eps = eps
        self.param_view = param_view
        self.param_axes = param_axes
        self.has_weight = has_weight
        self.has_bias = has_bias
        self.per_group = set(axes) <= set(param_axes)  # weight constant within each group
        self._name = name

    def forward(self, x, *params):
        if self._rows_kernel(x, *params):
            return self._layer_norm_rows(x, *params)
        if self._channels_kernel(x, *params):
            return self._batch_norm_channels(x, *params)
        xp = self.xp
        wide = x.astype("float32") if x.dtype.itemsize < 4 else x  # 16-bit floats sum in float32
        n = _count(x.shape, self.axes)
        mean = _group_sum(xp, wide, None, self.axes) / n
        spread = self._spread_shape(x.shape)
        centred = wide - _spread(mean, spread, xp)
        var = _group_sum(xp, centred, centred, self.axes) / n
        rstd = 1 / xp.sqrt(var + self.eps)
        self.mean, self.var = mean, var
        weight = params[0] if self.has_weight else None
        if weight is not None and self.per_group:
            y = centred * _spread(rstd * weight.reshape(self.param_view), spread, xp)
        else:
            y = centred * rstd
            if weight is not None:
                y *= weight.reshape(self.param_view)
        if self.has_bias:
            y += _spread(params[-1].reshape(self.param_view), spread, xp)
        # mean and rstd stay in float32 for 16-bit floats (as torch saves them): backward
        # starts from the unrounded statistics
        if weight is not None:
            self.save(x, mean, rstd, weight)
        else:
            self.save(x, mean, rstd)
        return y.astype(x.dtype, copy=False)

    def backward(self, grad):
        x, mean, rstd, *weight = self.saved
        if not _grad_state.enabled:  # (create_graph records ember ops below)
            arrays = [x._data, _kernels.contiguous(grad._data)] + [w._data for w in weight]
            if self._rows_kernel(*arrays):
                return self._layer_norm_grad_rows(arrays[1], x, mean, rstd, weight[0])
            if self._channels_kernel(*arrays):
                return self._batch_norm_grad_channels(arrays[1], x, mean, rstd, weight)
        if x.dtype.itemsize == 2:  # 16-bit floats: every sum and product below in float32;
            # the engine rounds each gradient back to its input's dtype once
            x, grad = x.float(), grad.float()
            weight = [w.float() for w in weight]
        weight = weight[0].reshape(self.param_view) if weight else None
        if _grad_state.enabled:  # create_graph: mean and rstd as functions of x, so that
            # the second derivative sees how they change with x
            mean = x.mean(self.axes, keepdim=True)
            rstd = (x.var(self.axes, unbiased=False, keepdim=True) + self.eps).rsqrt()
        spread = self._spread_shape(x.shape)
        xc = x - _spread(mean, spread)
        g, scale = grad, rstd
        if weight is not None:
            if self.per_group:
                scale = rstd * weight
            else:
                g = grad * weight
        n = _count(x.shape, self.axes)
        sum_g = self._sum(g, None, self.axes)
        sum_gxc = self._sum(g, xc, self.axes)
        grad_x = None
        if self.needs_input_grad[0]:
            coef = scale * rstd * rstd * sum_gxc / n
            grad_x = ((g - _spread(sum_g / n, spread)) * _spread(scale, spread)
                      - xc * _spread(coef, spread))
        grads = [grad_x]
        # weight and bias: sums over param_axes; per-group ones start from the group sums
        rest = tuple(a for a in self.param_axes if a not in self.axes)
        if self.has_weight and self.needs_input_grad[1]:
            if self.per_group:
                grads.append(self._to_param(self._sum(sum_gxc * rstd, None, rest)))
            else:
                grads.append(self._to_param(self._sum(grad, xc * rstd, self.param_axes)))
        elif self.has_weight:
            grads.append(None)
        if self.has_bias and self.needs_input_grad[-1]:
            if self.per_group:
                grads.append(self._to_param(self._sum(sum_g, None, rest)))
            else:
                grads.append(self._to_param(self._sum(grad, None, self.param_axes)))
        elif self.has_bias:
            grads.append(None)
        return tuple(grads) if len(grads) > 1 else grad_x

    def _rows_kernel(self, x, *arrays):
        """True for layer norm with a weight and a bias on float32 NumPy arrays: the rows of
        the normalised trailing dims go through ember/_kernels.py's fused loops (the same maths
        as forward and backward above, one pass each instead of about ten)."""
        leading = x.ndim - len(self.axes)
        return (self.has_weight and self.has_bias and x.size > 0
                and self.axes == tuple(range(leading, x.ndim))
                and self.param_axes == tuple(range(leading)) and _kernels.takes(x, *arrays))

    def _layer_norm_rows(self, x, weight, bias):
        n = _count(x.shape, self.axes)
        x2 = x.reshape(-1, n)
        y = np.empty_like(x2)
        mean, var, rstd = (np.empty(x2.shape[0], dtype=x.dtype) for _ in range(3))
        _kernels.layer_norm_rows(x2, weight.reshape(-1), bias.reshape(-1), np.float32(self.eps),
                                 y, mean, var, rstd)
        stats = x.shape[:x.ndim - len(self.axes)] + (1,) * len(self.axes)
        self.mean, self.var = mean.reshape(stats), var.reshape(stats)
        self.save(x, self.mean, rstd.reshape(stats), weight)
        return y.reshape(x.shape)

    def _layer_norm_grad_rows(self, grad, x, mean, rstd, weight):
        """(grad an array; x, mean, rstd and weight the saved tensors)"""
        n = _count(x.shape, self.axes)
        x2 = x._data.reshape(-1, n)
        grad_x = np.empty_like(x2)
        grad_weight, grad_bias = np.empty(n, dtype=x2.dtype), np.empty(n, dtype=x2.dtype)
        _kernels.layer_norm_grad_rows(grad.reshape(-1, n), x2, mean._data.reshape(-1),
                                      rstd._data.reshape(-1), weight._data.reshape(-1), grad_x,
                                      grad_weight, grad_bias)
        grads = (grad_x.reshape(x.shape), grad_weight.reshape(weight.shape),
                 grad_bias.reshape(weight.shape))
        return tuple(Tensor._make(g, x.device) if need else None
                     for g, need in zip(grads, self.needs_input_grad))

    def _channels_kernel(self, x, *arrays):
        """True for batch norm (statistics over every dim but the channels, dim 1) on float32
        or float64 NumPy arrays: ember/_kernels.py's per-channel loops (two halves of the
        channels on two threads), a pass or two over x instead of about ten."""
        return (x.ndim >= 2 and x.size > 0 and self.per_group
                and self.axes == (0,) + tuple(range(2, x.ndim))
                and _kernels.takes(x, *arrays, float64=True))

    def _batch_norm_channels(self, x, *params):
        n, channels = x.shape[:2]
        x3 = x.reshape(n, channels, -1)
        weight = params[0].reshape(-1) if self.has_weight else np.ones(channels, x.dtype)
        bias = params[-1].reshape(-1) if self.has_bias else np.zeros(channels, x.dtype)
        y = np.empty_like(x3)
        mean, var, rstd = (np.empty(channels, dtype=x.dtype) for _ in range(3))

        def part(lo, hi):
            _kernels.batch_norm_channels(x3, weight, bias, self.eps, y, mean, var, rstd, lo, hi)

        _parallel.halves(channels, part, _parallel.is_big(x))
        stats = (1, channels) + (1,) * (x.ndim - 2)
        self.mean, self.var = mean.reshape(stats), var.reshape(stats)
        self.save(x, self.mean, rstd.reshape(stats), *params[:1] if self.has_weight else ())
        return y.reshape(x.shape)

    def _batch_norm_grad_channels(self, grad, x, mean, rstd, weight):
        """(grad an array; x, mean, rstd and the weight, if any, the saved tensors)"""
        n, channels = x.shape[:2]
        x3, grad3 = x._data.reshape(n, channels, -1), grad.reshape(n, channels, -1)
        w = weight[0]._data.reshape(-1) if weight else np.ones(channels, x3.dtype)
        grad_x = np.empty_like(x3)
        grad_weight, grad_bias = (np.empty(channels, dtype=x3.dtype) for _ in range(2))

        def part(lo, hi):
            _kernels.batch_norm_grad_channels(grad3, x3, mean._data.reshape(-1),
                                              rstd._data.reshape(-1), w, grad_x, grad_weight,
                                              grad_bias, lo, hi)

        _parallel.halves(channels, part, _parallel.is_big(x3))
        grads = [grad_x.reshape(x.shape)]
        if self.has_weight:
            grads.append(grad_weight)
        if self.has_bias:
            grads.append(grad_bias)
        return tuple(Tensor._make(g, x.device) if need else None
                     for g, need in zip(grads, self.needs_input_grad))

    def _spread_shape(self, shape):
        """(1, C, H, W) for batch norm of an (N, C, H, W) input with H * W > 1, else None."""
        if self.axes[0] != 0 or len(shape) < 3 or self.axes != (0, *range(2, len(shape))):
            return None
        return (1, *shape[1:]) if _count(shape, self.axes[1:]) > 1 else None

    def _sum(self, a, b, axes):
        """sum(a * b) (sum(a) when b is None) over ``axes``, kept as size-1 dims.  With ember
        ops while the gradient's own graph is recorded (create_graph), else one einsum pass
        over the arrays (no temporary for the product)."""
        if not axes:
            return a if b is None else a * b
        if _grad_state.enabled:
            return (a if b is None else a * b).sum(axes, keepdim=True)
        b = None if b is None else b._data
        return Tensor._make(_group_sum(self.xp, a._data, b, axes), a.device)

    def _to_param(self, values):
        """``values`` (size 1 along the summed axes) in the shape of weight and bias."""
        return values.reshape(self.input_shape(-1))


def _spread(v, shape, xp=None):
    """A per-channel value (1, C, 1, 1) written out to ``shape`` (1, C, H, W), contiguous;
    ``v`` itself when shape is None.  An array when ``xp`` is given, else a Tensor.

    NOTE: NumPy runs x (N, C, H, W) op (1, C, 1, 1) as N * C short inner loops of H * W
    elements; against (1, C, H, W) it runs N long ones, up to 3x faster on ResNet's 8x8 and
    4x4 maps.  Writing the value out costs one copy the size of a single sample."""
    if shape is None:
        return v
    if xp is not None:
        return xp.ascontiguousarray(xp.broadcast_to(v, shape))
    return v.expand(shape).contiguous()


def _count(shape, axes):
    n = 1
    for a in axes:
        n *= shape[a]
    return n
