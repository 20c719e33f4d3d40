"""Embedding lookup: rows of a weight matrix picked by integer indices, and its gradient.

A lookup is one node (torch's EmbeddingBackward0) because its gradient is a scatter-add of the
gradient rows into a weight-shaped zeros: a plain ``weight[indices]`` would do the same, but the
lookup also owns the padding row (no gradient) and ``scale_grad_by_freq``.
"""

import numpy as np

from .. import _kernels
from .._device import xp_for
from ..autograd.function import Node

__all__ = ["embedding_lookup", "embedding_renorm_"]


class Embedding(Node):
    """y[..., :] = weight[indices[...], :]

    grad_weight[v] = sum of grad[p] over the positions p where indices[p] == v, each row
    divided by the number of times v occurs when scale_grad_by_freq; the padding_idx row (and
    any ``ignore``d position) gets no gradient.
    """

    def __init__(self, indices, padding_idx, scale_grad_by_freq, ignore=None):
        self.indices = indices  # a backend integer array (any shape)
        self.padding_idx = padding_idx
        self.scale_grad_by_freq = scale_grad_by_freq
        self.ignore = ignore  # positions that get no gradient and are not counted (or None)

    def forward(self, weight):
        return self.xp.take(weight, self.indices, axis=0)

    def backward(self, grad):
        num_weights = self.input_shape(0)[0]
        node = EmbeddingDenseBackward(self.indices, num_weights, self.padding_idx,
                                      self.scale_grad_by_freq, self.ignore)
        return node.apply(grad)


def _row_scale(xp, flat, num_weights, padding_idx, scale_grad_by_freq, ignore, dtype):
    """The factor each gradient row is multiplied by before the scatter-add: 0 for padding
    rows and ignored positions, 1 / count(index) with scale_grad_by_freq (ignored positions
    not counted), else 1.  None when it is all ones."""
    if padding_idx is None and not scale_grad_by_freq and ignore is None:
        return None
    keep = xp.ones(flat.shape, dtype=bool) if ignore is None else ~ignore.reshape(-1)
    if padding_idx is not None:
        keep &= flat != padding_idx
    scale = keep.astype(dtype)
    if scale_grad_by_freq:
        counts = xp.bincount(flat, weights=keep.astype("float64"), minlength=num_weights)
        scale = scale / xp.maximum(counts[flat], 1).astype(dtype)
    return scale


class EmbeddingDenseBackward(Node):
    """The scatter-add of embedding's backward, itself differentiable (double backward):

    y = zeros(num_weights, D);  y[indices[p]] += scale[p] * grad[p]   for every position p
    grad_grad[p] = scale[p] * gg[indices[p]]   (a lookup again)
    """

    def __init__(self, indices, num_weights, padding_idx, scale_grad_by_freq, ignore=None):
        self.indices = indices
        self.num_weights = num_weights
        self.padding_idx = padding_idx
        self.scale_grad_by_freq = scale_grad_by_freq
        self.ignore = ignore

    def forward(self, grad):
        xp = self.xp
        dim = grad.shape[-1]
        flat = self.indices.reshape(-1)
        rows = grad.reshape(-1, dim)
        scale = _row_scale(xp, flat, self.num_weights, self.padding_idx,
                           self.scale_grad_by_freq, self.ignore, grad.dtype)
        if scale is not None:
            rows = rows * scale[:, None]
        out = xp.zeros((self.num_weights, dim), dtype=grad.dtype)
        rows = _kernels.contiguous(rows)
        if _kernels.takes(rows) and type(flat) is np.ndarray:  # a loop: ember/_kernels.py
            _kernels.add_rows(out, flat, rows)
            return out
        # NOTE: ufunc.at is unbuffered, so repeated indices accumulate (fast in NumPy >= 2)
        xp.add.at(out, flat, rows)
        return out

    def backward(self, gg):
        picked = Embedding(self.indices, None, False).apply(gg)
        scale = _row_scale(self.xp, self.indices.reshape(-1), self.num_weights,
                           self.padding_idx, self.scale_grad_by_freq, self.ignore,
                           picked._data.dtype)
        if scale is None:
            return picked
        return picked * gg.new_tensor(scale.reshape(self.indices.shape + (1,)))


def embedding_lookup(indices, weight, padding_idx=None, scale_grad_by_freq=False, ignore=None):
    """weight[indices] as one node; ``indices`` is a backend integer array (checked);
    ``ignore``, a boolean array shaped like it, marks filler positions (no gradient, not
    counted by scale_grad_by_freq)."""
    return Embedding(indices, padding_idx, scale_grad_by_freq, ignore).apply(weight)


def embedding_renorm_(weight, indices, max_norm, norm_type):
    """Rescale, in place and outside autograd, the rows of ``weight`` named in ``indices``
    whose norm exceeds ``max_norm``:  row <- row * max_norm / (norm + 1e-7)."""
    xp = xp_for(weight.device)
    rows = xp.unique(indices.reshape(-1))
    data = weight._data
    picked = data[rows]
    if norm_type == float("inf"):
        norms = xp.abs(picked).max(axis=1)
    else:
        norms = (xp.abs(picked) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    too_long = norms > max_norm
    if too_long.any():
        scale = (max_norm / (norms[too_long] + 1e-7)).astype(data.dtype)
        data[rows[too_long]] = picked[too_long] * scale[:, None]
        weight._counter().value += 1
    return weight
