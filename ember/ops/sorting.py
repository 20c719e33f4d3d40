"""Sorting and searching: sort, argsort, msort, topk, kthvalue, unique, unique_consecutive,
searchsorted, bucketize.

The positions (indices) are computed on the backend and never require grad; the values are
then picked out of the input with ``gather``, so their gradient is gather's:
``grad_x = zeros.scatter_add(dim, indices, grad)``.
"""

from .. import _device, return_types
from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.function import Node
from ._numpy_names import numpy_axis, numpy_names
from .binary import write_out
from .scatter import Gather
from .shape import wrap_dim

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "unique", "unique_consecutive",
           "searchsorted", "bucketize"]


def _argsort(xp, data, dim, descending):
    """Stable sort positions along ``dim``; equal values keep their order also when descending.

    NaN sorts as the largest value (last ascending, first descending), as in torch.
    """
    if not descending:
        return xp.argsort(data, axis=dim, kind="stable")
    # sort the reversed values ascending and reverse the result: equal values stay in order
    n = data.shape[dim]
    order = xp.argsort(xp.flip(data, axis=dim), axis=dim, kind="stable")
    return xp.flip(n - 1 - order, axis=dim)


def _pick(input, dim, indices, name):
    """The values of ``input`` at ``indices`` along ``dim`` (differentiable, named like torch)."""
    values = Gather(dim, indices).apply(input)
    if values.grad_fn is not None:
        values.grad_fn._name = name
    return values


def _first(indices, dim, k):
    return indices[(slice(None),) * dim + (slice(0, k),)]


def sort(input, dim=-1, descending=False, stable=False, *, out=None, axis=None):
    """(values, indices) of ``input`` sorted along ``dim``; ``indices`` say where each value
    came from.  Equal values keep their order (ember's sort is always stable)."""
    if axis is not None:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("sort", dim, axis, -1)
    if input.ndim == 0:
        wrap_dim(dim, 0)
        result = return_types.sort((input.clone(), input.new_zeros((), dtype=D.int64)))
    else:
        dim = wrap_dim(dim, input.ndim)
        xp = _device.xp_for(input.device)
        indices = _argsort(xp, input._data, dim, descending)
        values = _pick(input, dim, indices, "SortBackward0")
        result = return_types.sort((values, Tensor._make(indices, input.device)))
    return write_out(result, out, "sort", same_dtype=True)


def argsort(input, dim=-1, descending=False, stable=False, *, axis=None):
    """The indices that sort ``input`` along ``dim``. Same as torch.argsort."""
    if axis is not None:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("argsort", dim, axis, -1)
    if input.ndim == 0:
        wrap_dim(dim, 0)
        return input.new_zeros((), dtype=D.int64)
    dim = wrap_dim(dim, input.ndim)
    xp = _device.xp_for(input.device)
    return Tensor._make(_argsort(xp, input._data, dim, descending), input.device)


def msort(input):
    """``input`` sorted along its first dim. Same as torch.msort."""
    return sort(input, dim=0).values


def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None, axis=None):
    """(values, indices) of the ``k`` largest (or smallest) elements along ``dim``."""
    if axis is not None:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("topk", dim, axis, -1)
    n = input.shape[wrap_dim(dim, input.ndim)] if input.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if input.ndim == 0:
        result = return_types.topk(tuple(sort(input)))
    else:
        dim = wrap_dim(dim, input.ndim)
        xp = _device.xp_for(input.device)
        indices = _first(_argsort(xp, input._data, dim, largest), dim, k)
        values = _pick(input, dim, indices, "TopkBackward0")
        result = return_types.topk((values, Tensor._make(indices, input.device)))
    return write_out(result, out, "topk", same_dtype=True)


def kthvalue(input, k, dim=-1, keepdim=False, *, out=None, axis=None, keepdims=None):
    """(values, indices) of the k-th smallest element (k counts from 1) along ``dim``."""
    if axis is not None or keepdims is not None:  # NumPy's names (ops/_numpy_names.py)
        dim, keepdim = numpy_names("kthvalue", dim, keepdim, axis, keepdims, -1)
    n = input.shape[wrap_dim(dim, input.ndim)] if input.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension "
                           f"{wrap_dim(dim, input.ndim)}")
    if input.ndim == 0:
        return write_out(return_types.kthvalue(tuple(sort(input))), out, "kthvalue",
                         same_dtype=True)
    dim = wrap_dim(dim, input.ndim)
    xp = _device.xp_for(input.device)
    order = _argsort(xp, input._data, dim, False)
    indices = order[(slice(None),) * dim + (slice(k - 1, k),)]
    values = _pick(input, dim, indices, "KthvalueBackward0")
    indices = Tensor._make(indices, input.device)
    if not keepdim:
        values, indices = values.squeeze(dim), indices.squeeze(dim)
    return write_out(return_types.kthvalue((values, indices)), out, "kthvalue", same_dtype=True)


# ---------------------------------------------------------------------------- unique

class _NoDerivative(Node):
    """Values picked by a non-differentiable op (unique): backward raises, as in torch."""

    def __init__(self, result, name):
        self.result = result
        self._name = name

    def forward(self, x):
        return self.result

    def backward(self, grad):
        op = "_unique2" if self._name == "Unique2Backward0" else "unique_dim"
        raise NotImplementedError(f"the derivative for '{op}' is not implemented.")


def _unique_result(input, values, inverse, counts, return_inverse, return_counts, name):
    dev = input.device
    values = _NoDerivative(values, name).apply(input)
    if not (return_inverse or return_counts):
        return values
    out = [values]
    if return_inverse:
        out.append(Tensor._make(inverse.astype("int64"), dev))
    if return_counts:
        out.append(Tensor._make(counts.astype("int64"), dev))
    return tuple(out)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements of ``input`` (or distinct slices along ``dim``), in ascending order;
    optionally where each element went (inverse) and how often each occurs (counts).

    NOTE: the result is sorted also when ``sorted=False`` (as torch does on the CPU).
    """
    xp = _device.xp_for(input.device)
    data = input._data
    if dim is None:
        values, inverse, counts = xp.unique(data.reshape(-1), return_inverse=True,
                                            return_counts=True)
        inverse = inverse.reshape(data.shape)
        name = "Unique2Backward0"
    else:
        dim = wrap_dim(dim, data.ndim)
        values, inverse, counts = xp.unique(data, return_inverse=True, return_counts=True,
                                            axis=dim)
        inverse = inverse.reshape(-1)
        name = "UniqueDimBackward0"
    return _unique_result(input, values, inverse, counts, return_inverse, return_counts, name)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapse each run of equal consecutive elements (or slices along ``dim``) into one."""
    xp = _device.xp_for(input.device)
    data = input._data
    if dim is None:
        rows = data.reshape(-1, 1)
        axis = 0
        name = "Unique2Backward0"
    else:
        axis = wrap_dim(dim, data.ndim)
        rows = xp.moveaxis(data, axis, 0).reshape(data.shape[axis], -1)
        name = "UniqueConsecutiveBackward0"
    n = rows.shape[0]
    starts = xp.ones(n, dtype=bool)
    if n > 1:
        starts[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    first = xp.nonzero(starts)[0]
    inverse = xp.cumsum(starts) - 1
    counts = xp.diff(xp.concatenate([first, xp.asarray([n])]))
    if dim is None:
        values = data.reshape(-1)[first]
        inverse = inverse.reshape(data.shape)
    else:
        values = xp.take(data, first, axis=axis)
    return _unique_result(input, values, inverse, counts, return_inverse, return_counts, name)


# ---------------------------------------------------------------------------- searchsorted

def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None, out=None):
    """For each value of ``input``, the index where it would be inserted into the last dim of
    ``sorted_sequence`` to keep it sorted (after equal values with ``right=True``)."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, "
                               "got side of left while right was True")
        right = side == "right"
    if out is not None and out.dtype is not (D.int32 if out_int32 else D.int64):
        raise RuntimeError(
            "torch.searchsorted(): output tensor's dtype is wrong, it can only be Int(int32) or "
            "Long(int64) depending on whether out_int32 flag is True, but we got output "
            f"tensor's dtype {out.dtype._short} and out_int32 flag is {out_int32}")
    xp = _device.xp_for(sorted_sequence.device)
    seq = sorted_sequence._data
    scalar = not isinstance(input, Tensor)
    values = xp.asarray(input) if scalar else input._data
    if sorter is not None:
        seq = xp.take_along_axis(seq, sorter._data, axis=-1)
    if seq.ndim == 1:
        result = xp.searchsorted(seq, values, side="right" if right else "left")
    elif not scalar and seq.shape[:-1] == values.shape[:-1]:
        # count, per row, the boundaries below each value
        below = seq[..., None, :] <= values[..., :, None] if right else \
            seq[..., None, :] < values[..., :, None]
        result = below.sum(axis=-1)
    else:
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
            "dimensions of boundaries tensor and input value tensor must match, but we got "
            f"boundaries tensor {list(seq.shape)} and input value tensor "
            f"{list(values.shape)}")
    dtype = "int32" if out_int32 else "int64"
    result = Tensor._make(xp.asarray(result).astype(dtype), sorted_sequence.device)
    return write_out(result, out, "searchsorted")


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    """The bucket of each value: i with boundaries[i-1] < x <= boundaries[i] (``right=False``)
    or boundaries[i-1] <= x < boundaries[i] (``right=True``)."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)


# Tensor methods (installed by ember/_methods.py through ops/indexing.py)
METHODS = {
    "sort": sort, "argsort": argsort, "msort": msort, "topk": topk, "kthvalue": kthvalue,
    "unique": unique, "unique_consecutive": unique_consecutive,
}
INPLACE = {}
