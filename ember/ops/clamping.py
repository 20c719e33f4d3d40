"""Clamping: clamp/clip (bounds as numbers or tensors) and relu, with their gradients.

The gradients pass where the input is inside the bounds, the bounds included, as in torch.
"""

import numpy as np

from .. import _dtype as D
from .. import _kernels, _parallel
from .._tensor import Tensor
from ..autograd.function import Node
from .binary import write_out as _out

__all__ = ["clamp", "clip", "clamp_min", "clamp_max", "relu"]


class Clamp(Node):
    """y = min(max(x, lo), hi), lo and hi numbers (either may be None)

    dy/dx = 1 where lo <= x <= hi, else 0   (NOTE: 1 at the bounds, as torch)"""

    _name = "ClampBackward1"

    def __init__(self, lo, hi):
        self.lo = lo
        self.hi = hi

    def forward(self, x):
        self.save(x)
        # NOTE: x as the second argument: NumPy returns it on ties, so clamp keeps -0.0 as torch
        y = x
        if self.lo is not None:
            y = self.xp.maximum(self.lo, y)
        if self.hi is not None:
            y = self.xp.minimum(self.hi, y)
        return y

    def backward(self, grad):
        (x,) = self.saved
        if self.lo is None:
            return grad.masked_fill(~(x <= self.hi), 0)
        if self.hi is None:
            return grad.masked_fill(~(x >= self.lo), 0)
        return grad.masked_fill(~((x >= self.lo) & (x <= self.hi)), 0)


class ClampTensor(Node):
    """y = min(max(x, lo), hi), lo and hi tensors (broadcast; one may be absent)

    grad_x  = grad where lo <= x <= hi
    grad_lo = grad where x < lo and lo < hi
    grad_hi = grad where x > hi or lo > hi   (when lo > hi the result is hi)"""

    _name = "ClampBackward0"

    def __init__(self, has_lo, has_hi):
        self.has_lo = has_lo
        self.has_hi = has_hi

    def forward(self, x, *bounds):
        self.save(x, *bounds)
        y = x
        if self.has_lo:
            y = self.xp.maximum(bounds[0], y)
        if self.has_hi:
            y = self.xp.minimum(bounds[-1], y)
        return y

    def backward(self, grad):
        x, *bounds = self.saved
        lo = bounds[0] if self.has_lo else None
        hi = bounds[-1] if self.has_hi else None
        if hi is None:
            return grad.masked_fill(~(x >= lo), 0), grad.masked_fill(~(x < lo), 0)
        if lo is None:
            return grad.masked_fill(~(x <= hi), 0), grad.masked_fill(~(x > hi), 0)
        grad_x = grad.masked_fill(~((x >= lo) & (x <= hi)), 0)
        grad_lo = grad.masked_fill(~((x < lo) & (lo < hi)), 0)
        grad_hi = grad.masked_fill(~((x > hi) | (lo > hi)), 0)
        return grad_x, grad_lo, grad_hi


def clamp(input, min=None, max=None, *, out=None):  # noqa: A002 - torch's names
    """Limit values to [min, max] (numbers or tensors; max wins where min > max).

    Same as torch.clamp."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if input.dtype.category == D.COMPLEX:
        raise NotImplementedError("clamp is not supported for complex types")
    lo_t, hi_t = isinstance(min, Tensor), isinstance(max, Tensor)
    if (lo_t or hi_t) and min is not None and max is not None and lo_t != hi_t:
        # a number with a tensor: torch takes a 0-dim tensor as a number, refuses others
        t = min if lo_t else max
        if t.ndim != 0:
            raise TypeError("clamp() received an invalid combination of arguments - got "
                            "(Tensor, Tensor, Number) or (Tensor, Number, Tensor), but expected "
                            "min and max both Tensors or both Numbers")
        min, max = (min.item() if lo_t else min), (max.item() if hi_t else max)
        lo_t = hi_t = False
    bounds = [b for b in (min, max) if b is not None]
    dtype = D.result_type(input, *bounds)
    if dtype is D.bool:
        raise NotImplementedError("\"clamp_min_scalar_cpu\" not implemented for 'Bool'")
    x = input.to(dtype)
    if lo_t or hi_t:
        tensors = [b.to(dtype) for b in bounds]
        result = ClampTensor(min is not None, max is not None).apply(x, *tensors)
    else:
        result = Clamp(_bound(min, dtype), _bound(max, dtype)).apply(x)
    return _out(result, out)


clip = clamp


def _bound(value, dtype):
    """A number as a bound of ``dtype``: integers wrap around as in torch (uint8: -1 is 255)."""
    if value is None:
        return None
    if dtype.category == D.INT:
        info = D.iinfo(dtype)
        low = -info.max if not dtype.is_signed else info.min
        if not low <= value <= info.max:
            raise RuntimeError(f"value cannot be converted to type {dtype.name} without overflow")
        if not dtype.is_signed:
            return D.to_numpy_dtype(dtype).type(int(value) % 2 ** info.bits)
        return int(value)
    return float(value)


def clamp_min(input, min):  # noqa: A002
    """max(input, min). Same as torch.clamp_min."""
    return clamp(input, min=min)


def clamp_max(input, max):  # noqa: A002
    """min(input, max). Same as torch.clamp_max."""
    return clamp(input, max=max)


class Relu(Node):
    """y = max(x, 0)          dy/dx = 1 where x > 0, else 0   (NOTE: relu'(0) = 0 as in torch)"""

    _name = "ReluBackward0"

    def computes_bfloat16(self, x):
        return _kernels.takes_bfloat16(x)

    def forward(self, x):
        xp = self.xp
        y = xp.empty_like(x)
        if _kernels.takes(x, float64=True):  # one loop (ember/_kernels.py)
            _flat_loop(_kernels.relu, x, y)
        elif self.computes_bfloat16(x):  # one loop on the bit patterns
            _kernels.relu_bfloat16(_kernels.bits(x), _kernels.bits(y))
        elif x.size >= _parallel.BIG and x.ndim and xp is np:  # big: two halves, two threads
            _parallel.halves(x.shape[0], lambda lo, hi: _relu_into(xp, x[lo:hi], y[lo:hi]))
        else:
            _relu_into(xp, x, y)
        self.save(y)
        return y

    def backward(self, grad):
        (y,) = self.saved
        return ReluGrad().apply(grad, y)


def _flat_loop(loop, *arrays):
    """``loop`` (ember/_kernels.py) over the flat C-contiguous arrays, in two halves on two
    threads when they are big."""
    flat = [a.reshape(-1) for a in arrays]
    _parallel.halves(flat[0].size, lambda lo, hi: loop(*[a[lo:hi] for a in flat]),
                     flat[0].size >= _parallel.BIG)


def _relu_into(xp, x, y):
    """y = max(x, 0) written into y.
    NOTE: maximum is one branch-free pass (where() over a random sign mask is ~15x slower); it
    keeps NaN but turns -0.0 into 0.0, so zeros are copied back from x."""
    xp.maximum(x, 0, out=y)
    zero = x == 0
    if zero.any():
        y[zero] = x[zero]


class ReluGrad(Node):
    """relu's gradient as an op of (grad, y): g = 0 where y <= 0, else grad
    dg/dgrad = the same mask, dg/dy = 0

    An op of its own (not a masked_fill) so that y takes part in the graph of the gradient:
    double backward through relu then gives zeros for x, as torch does, rather than nothing."""

    _name = "ThresholdBackwardBackward0"

    def computes_bfloat16(self, grad, y):
        return grad.shape == y.shape and _kernels.takes_bfloat16(grad, y)

    def forward(self, grad, y):
        xp = self.xp
        self.save(y)
        out = xp.empty(grad.shape, dtype=grad.dtype)
        if grad.shape == y.shape and _kernels.takes(grad, y, float64=True):  # one loop
            _flat_loop(_kernels.relu_grad, grad, y, out)
            return out
        if self.computes_bfloat16(grad, y):  # one loop on the bit patterns
            _kernels.relu_grad_bfloat16(*[_kernels.bits(a) for a in (grad, y, out)])
            return out
        if grad.size >= _parallel.BIG and grad.ndim and xp is np:  # big: two halves, two threads
            _parallel.halves(grad.shape[0], lambda lo, hi: _relu_grad_into(
                xp, grad[lo:hi], y[lo:hi], out[lo:hi]))
        else:
            _relu_grad_into(xp, grad, y, out)
        return out

    def backward(self, grad):
        (y,) = self.saved
        return grad.masked_fill(y <= 0, 0), grad.new_zeros(grad.shape)


def _relu_grad_into(xp, grad, y, out):
    """out = grad where y > 0 (or y is NaN), else +0.0 (torch's threshold_backward)."""
    keep = ~(y <= 0)  # NaN y keeps its grad, as torch
    if xp.isfinite(grad).all():
        xp.multiply(grad, keep, out=out)  # branch-free (where() is ~5x slower) ...
        out += 0.0  # ... but a negative grad times 0 is -0.0: -0.0 + 0.0 is +0.0
    else:  # inf/NaN grads where y <= 0 must give 0, not NaN
        out[...] = xp.where(keep, grad, 0)


def relu(input):
    """max(input, 0). Same as torch.relu."""
    if input.dtype is D.bool:
        raise RuntimeError("Boolean inputs not supported for relu")
    if input.dtype.category == D.COMPLEX:
        raise NotImplementedError("clamp is not supported for complex types")
    return Relu().apply(input)


# Tensor methods (installed by ember/_methods.py)
_FUNCTIONS = {
    "clamp": clamp, "clip": clamp, "clamp_min": clamp_min, "clamp_max": clamp_max, "relu": relu,
}
METHODS = dict(_FUNCTIONS)
INPLACE = {name + "_": fn for name, fn in _FUNCTIONS.items()}
