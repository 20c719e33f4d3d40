"""Running sums and products along a dim: cumsum, cumprod, and the exclusive products that the
gradients of prod and cumprod need where the input has zeros.
"""

from .. import _device
from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.function import Node
from ..autograd.grad_mode import state as _grad_state
from ._numpy_names import REQUIRED, numpy_axis
from .extrema import TakeAlong
from .reduction import Prod, _accumulate_dtype, sum
from .shape import wrap_dim

__all__ = ["cumsum", "cumprod"]


class Cumsum(Node):
    """y_i = sum_{j <= i} x_j along dim (sum_{j >= i} with reverse)
    grad_x = the cumulative sum of grad in the other direction"""

    def __init__(self, dim, dtype=None, reverse=False):
        self.dim = dim
        self.dtype = dtype
        self.reverse = reverse

    def forward(self, x):
        xp = self.xp
        d = self.dim
        dtype = x.dtype if self.dtype is None else self.dtype
        acc = D.accumulator_dtype(dtype)  # float32 for 16-bit floats, rounded back below
        if self.reverse:
            y = xp.flip(xp.cumsum(xp.flip(x, d), axis=d, dtype=acc), d)
            return xp.ascontiguousarray(y if acc is dtype else y.astype(dtype))
        y = xp.cumsum(x, axis=d, dtype=acc)
        return y if acc is dtype else y.astype(dtype)

    def backward(self, grad):
        return Cumsum(self.dim, None, not self.reverse).apply(grad)


def cumsum(input, dim=REQUIRED, *, dtype=None, axis=None):
    """Running sum along ``dim``. Same as torch.cumsum."""
    if axis is not None or dim is REQUIRED:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("cumsum", dim, axis, REQUIRED)
    dt = D.to_numpy_dtype(_accumulate_dtype(input, dtype, "cumsum"))
    if input.dim() == 0:
        wrap_dim(dim, 0)
        return Cumsum(0, dt).apply(input.reshape(1)).reshape(())
    return Cumsum(wrap_dim(dim, input.dim()), dt).apply(input)


class Cumprod(Node):
    """y_i = prod_{j <= i} x_j along dim
    grad_x_k = sum_{i >= k} grad_i prod_{j <= i, j != k} x_j
             = (reverse cumsum of grad * y)_k / x_k          where x has no zeros"""

    def __init__(self, dim, dtype=None):
        self.dim = dim
        self.dtype = dtype

    def forward(self, x):
        dtype = x.dtype if self.dtype is None else self.dtype
        acc = D.accumulator_dtype(dtype)  # float32 for 16-bit floats, rounded back below
        y = self.xp.cumprod(x, axis=self.dim, dtype=acc)
        if acc is not dtype:
            y = y.astype(dtype)
        self.save(x, y)
        return y

    def backward(self, grad):
        x, y = self.saved
        zero = x == 0
        if not zero.any():
            return Cumsum(self.dim, reverse=True).apply(grad * y) / x
        if _grad_state.enabled:  # create_graph: a formula that can be differentiated again
            return _cumprod_grad_pairwise(grad, x, self.dim)
        return self.backward_with_zeros(grad, x, y, zero)

    def backward_with_zeros(self, grad, x, y, zero):
        """With z the first zero of a slice: positions k < z take the formula above; position z
        takes (prod_{j<z} x_j) * sum_{i>=z} grad_i prod_{z<j<=i} x_j; positions after z take 0.
        (Exact for the gradient; its own derivative is not, hence the pairwise form.)"""
        dim = self.dim
        seen = Cumsum(dim, D.int64.np).apply(zero)  # zeros up to and including each position
        before = seen == 0
        first = zero & (seen == 1)
        after = ~before & ~first
        x_before = x.masked_fill(~before, 1)
        grad_before = (Cumsum(dim, reverse=True).apply(grad * y) / x_before).masked_fill(~before, 0)
        x_after = x.masked_fill(~after, 1)
        tail = sum((grad * Cumprod(dim).apply(x_after)).masked_fill(before, 0), dim, keepdim=True)
        head = Prod((dim,), True, None).apply(x_before)
        return grad_before + head * tail * first


def _cumprod_grad_pairwise(grad, x, dim):
    """grad_k = (prod_{j<k} x_j) * sum_{i>=k} grad_i prod_{k<j<=i} x_j, with every (k, i) pair
    of the dim laid out in an n x n block (n^2 memory; used only for double backward)."""
    x = x.transpose(dim, -1)
    grad = grad.transpose(dim, -1)
    n = x.shape[-1]
    xp = _device.xp_for(x.device)
    k = xp.arange(n)[:, None]
    i = xp.arange(n)[None, :]
    X = x.unsqueeze(-2).expand(*x.shape[:-1], n, n)  # X[..., k, i] = x_i
    right = Cumprod(X.dim() - 1).apply(X.masked_fill(_mask(i <= k, x), 1))
    pairs = (right * grad.unsqueeze(-2)).masked_fill(_mask(i < k, x), 0)
    left = Prod((X.dim() - 1,), False, None).apply(X.masked_fill(_mask(i >= k, x), 1))
    return (left * sum(pairs, -1)).transpose(dim, -1)


def _mask(array, like):
    return Tensor._make(array, like.device)


def cumprod(input, dim=REQUIRED, *, dtype=None, axis=None):
    """Running product along ``dim``. Same as torch.cumprod."""
    if axis is not None or dim is REQUIRED:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("cumprod", dim, axis, REQUIRED)
    dt = D.to_numpy_dtype(_accumulate_dtype(input, dtype, "cumprod"))
    if input.dim() == 0:
        wrap_dim(dim, 0)
        return Cumprod(0, dt).apply(input.reshape(1)).reshape(())
    return Cumprod(wrap_dim(dim, input.dim()), dt).apply(input)


# ---------------------------------------------------------------------------- exclusive products

def _along(x, dim, positions):
    """x at ``positions`` (a list of indices) along the last dim ``dim``, differentiably."""
    xp = _device.xp_for(x.device)
    index = xp.broadcast_to(xp.asarray(positions), x.shape).copy()
    return TakeAlong(index, dim, True, None).apply(x)


def exclusive_cumprod(x, reverse=False):
    """prod_{j < i} x_j along the last dim (prod_{j > i} x_j with reverse); 1 at the edge."""
    n = x.shape[-1]
    dim = x.dim() - 1
    if reverse:
        flip = list(range(n - 1, -1, -1))
        return _along(exclusive_cumprod(_along(x, dim, flip)), dim, flip)
    shifted = _along(x, dim, [0] + list(range(n - 1)))  # x_{i-1} at i
    xp = _device.xp_for(x.device)
    edge = _mask(xp.arange(n) == 0, x)
    return Cumprod(dim).apply(shifted.masked_fill(edge, 1))


def product_of_others(x, dims):
    """prod_{j != i} x_j over ``dims`` for every element i: exact where x has zeros, and
    differentiable (the gradient of prod)."""
    if not dims:
        return x * 0 + 1
    keep = [d for d in range(x.dim()) if d not in dims]
    order = keep + list(dims)
    moved = x.permute(*order)
    flat = moved.reshape(tuple(moved.shape[:len(keep)]) + (-1,))
    others = exclusive_cumprod(flat) * exclusive_cumprod(flat, reverse=True)
    inverse = sorted(range(len(order)), key=order.__getitem__)
    return others.reshape(moved.shape).permute(*inverse)


# Tensor methods (installed by ember/_methods.py through reduction.METHODS)
METHODS = {"cumsum": cumsum, "cumprod": cumprod}
INPLACE = {"cumsum_": cumsum, "cumprod_": cumprod}
