"""nn.functional, cosine_similarity, pairwise_distance, pdist.

Each is composed from ember ops (vector_norm, sums, indexing), so autograd gives the gradients.
"""

from ... import _dtype as D
from ..._device import xp_for
from ..._tensor import Tensor
from ...ops._numpy_names import numpy_axis
from ...ops.norms import vector_norm as _vector_norm

__all__ = ["cosine_similarity", "pairwise_distance", "pdist"]


def _floating(x):
    """Integer and bool inputs are measured in the default float dtype, as torch."""
    if x.dtype.category < D.FLOAT:
        return x.to(D.get_default_dtype())
    return x


def _clamped_norm(x, dim, eps):
    """||x|| along dim (kept), at least eps.  NOTE: as torch, the clamp is applied outside
    autograd: its value is max(||x||, eps) but its gradient is that of ||x||."""
    norm = _vector_norm(x, 2, dim, True)
    return norm + (norm.clamp(min=eps) - norm).detach()


def cosine_similarity(x1, x2, dim=1, eps=1e-8, *, axis=None):
    """cos(x1, x2) = sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)) along ``dim``,
    computed as the sum of the two normalised vectors' product (x1 and x2 broadcast).

    Shape: (*, D, *) and a broadcastable shape -> the broadcast shape without ``dim``.
    """
    if axis is not None:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("cosine_similarity", dim, axis, 1)
    common = D.promote_types(x1.dtype, x2.dtype)
    if common.category < D.FLOAT:
        raise RuntimeError("expected common dtype to be floating point, yet common dtype is "
                           f"{common._short}")
    x1, x2 = x1.to(common), x2.to(common)
    if x1.shape != x2.shape:
        x1, x2 = x1.broadcast_to(_common(x1, x2)), x2.broadcast_to(_common(x1, x2))
    unit1 = x1 / _clamped_norm(x1, dim, eps)
    unit2 = x2 / _clamped_norm(x2, dim, eps)
    return (unit1 * unit2).sum(dim)


def _common(x1, x2):
    from ...ops.shape import broadcast_shapes

    return broadcast_shapes(x1.shape, x2.shape)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p along the last dimension (eps keeps the gradient finite where
    x1 == x2).  Shape: (N, D) or (D,) and a broadcastable shape -> (N) or ()."""
    x1, x2 = _floating(x1), _floating(x2)
    ndim = max(x1.ndim, x2.ndim)
    diff = x1 - x2 + eps
    if ndim == 0:
        return diff.abs()
    return _vector_norm(diff, p, -1, keepdim)


def pdist(input, p=2):
    """The p-norm distance between every pair of rows i < j of ``input`` (N, M), in the order
    (0,1), (0,2), ..., (1,2), ...: output shape N (N - 1) / 2.
    Gradient: that of ||x_i - x_j||_p, sent to both rows with opposite signs."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    first, second = xp_for(input.device).triu_indices(input.shape[0], 1)
    first = Tensor._make(first.astype("int64"), input.device)
    second = Tensor._make(second.astype("int64"), input.device)
    return _vector_norm(input[first] - input[second], p, 1)
