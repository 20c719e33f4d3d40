"""nn.functional, embedding, embedding_bag, one_hot.

``embedding`` is one node (ember/ops/embedding.py: a row lookup whose gradient is a scatter-add).
``embedding_bag`` pads the bags into a (bags, longest bag) grid of indices, looks the rows up
with ``embedding`` and reduces each bag with a mask, so autograd gives its gradient.
"""

import numpy as _np

from ... import _dtype as D
from ..._device import xp_for
from ..._errors import device_mismatch
from ..._tensor import Tensor
from ...autograd.grad_mode import state as _grad_state
from ...ops.binary_math import where as _where
from ...ops.creation import arange as _arange
from ...ops.embedding import embedding_lookup, embedding_renorm_

__all__ = ["embedding", "embedding_bag", "one_hot"]


def _index_array(input, op):
    """The backend array of an int64/int32 index tensor (torch's error for other dtypes)."""
    if input.dtype not in (D.int64, D.int32):
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got torch.{input.dtype._short}Tensor instead (while checking "
            f"arguments for {op})\n"
            "  ember: indices must be integers; convert them with .long() (token ids or class "
            "numbers stored as floats are a common cause)")
    return input._data


def _check_range(indices, num_weights, bag=False):
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= num_weights):
        flat = indices.reshape(-1)
        where = int(((flat < 0) | (flat >= num_weights)).argmax())
        bad = int(flat[where])
        if bag:
            first, error = (f"Index {where} of input takes value {bad} which is not in the valid "
                            f"range [0, {num_weights})"), RuntimeError
        else:
            first, error = "index out of range in self", IndexError
        raise error(
            f"{first}\n"
            f"  ember: the embedding has num_embeddings={num_weights} rows (indices 0 to "
            f"{num_weights - 1}) but an index is {bad}; make num_embeddings larger than "
            "the largest index (e.g. the vocabulary size)")


def _padding_index(padding_idx, num_weights):
    """padding_idx as a row number in [0, num_weights) (a negative one counts from the end)."""
    if padding_idx is None:
        return None
    if padding_idx > 0:
        assert padding_idx < num_weights, "Padding_idx must be within num_embeddings"
    elif padding_idx < 0:
        assert padding_idx >= -num_weights, "Padding_idx must be within num_embeddings"
        padding_idx = num_weights + padding_idx
    return padding_idx


def _check_sparse(sparse, weight):
    if sparse and weight.requires_grad and _grad_state.enabled:
        raise NotImplementedError(
            "sparse=True is not supported by ember: it has no sparse gradient tensors. Use "
            "sparse=False (the gradient is then a dense tensor shaped like the weight, which "
            "every ember optimizer accepts)")


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """y[..., :] = weight[input[...], :]: the rows of ``weight`` picked by integer indices.

    Gradient: grad_weight[v] = sum of the grad rows at the positions where input == v, divided
    by the count of v when ``scale_grad_by_freq``; the ``padding_idx`` row gets no gradient.
    ``max_norm`` first rescales (in place, as torch) the looked-up rows whose ``norm_type``-norm
    exceeds it to that norm.

    Shape: input (*) int64/int32, weight (num_embeddings, embedding_dim) -> (*, embedding_dim).
    """
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    if input.device is not weight.device:
        raise device_mismatch(weight.device, input.device, "embedding")
    indices = _index_array(input, "embedding")
    num_weights = weight.shape[0]
    padding_idx = _padding_index(padding_idx, num_weights)
    _check_range(indices, num_weights)
    _check_sparse(sparse, weight)
    if max_norm is not None:
        embedding_renorm_(weight, indices, max_norm, norm_type)
    return embedding_lookup(indices, weight, padding_idx, scale_grad_by_freq)


def _bag_bounds(xp, input, offsets, include_last_offset):
    """(flat indices, start and end position of each bag) for 1-D input + offsets or 2-D."""
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a mini-batch "
                "of fixed length sequences. However, found offsets of type "
                f"<class '{type(offsets).__module__.split('.')[0]}.{type(offsets).__name__}'>")
        bags, length = input.shape
        starts = xp.arange(bags) * length
        return input._data.reshape(-1), starts, starts + length
    if input.ndim != 1:
        raise ValueError(
            f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    if offsets.ndim != 1:
        raise ValueError("offsets has to be a 1D Tensor")
    bounds = xp.asarray(offsets._host().astype(_np.int64))
    if bounds.size and int(bounds[0]) != 0:
        raise RuntimeError(
            "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
            f"from position 0. However, got {int(bounds[0])}")
    if include_last_offset:
        return input._data, bounds[:-1], bounds[1:]
    ends = xp.concatenate([bounds[1:], xp.asarray([input.shape[0]], dtype=bounds.dtype)])
    return input._data, bounds, ends


def _check_bag_args(mode, scale_grad_by_freq, sparse, per_sample_weights, input):
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    if per_sample_weights is None:
        return
    if mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub.")
    if per_sample_weights.shape != input.shape:
        raise ValueError(
            f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, "
            f"then it must have the same shape as the input ({input.shape})")


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
                  scale_grad_by_freq=False, mode="mean", sparse=False, per_sample_weights=None,
                  include_last_offset=False, padding_idx=None):
    """The sum, mean or max of the embedding rows in each bag, without forming the lookups of
    the whole input one by one.

    Bags: each row of a 2-D input, or the slices input[offsets[b]:offsets[b+1]] of a 1-D input
    (the last bag runs to the end, unless ``include_last_offset``: then offsets has one more
    entry, the end).  mode 'sum': sum_i w_i weight[input_i] (w = per_sample_weights, or 1);
    'mean': the sum over the count; 'max': the element-wise maximum.  Indices equal to
    ``padding_idx`` are left out (not counted in the mean); an empty bag gives zeros.
    Gradient: through the lookup (a scatter-add) and the masked reduction.

    Shape: input (B, L) or (N,) with offsets (B,) -> (B, embedding_dim).
    """
    _check_bag_args(mode, scale_grad_by_freq, sparse, per_sample_weights, input)
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    if input.device is not weight.device:
        raise device_mismatch(weight.device, input.device, "embedding_bag")
    xp = xp_for(weight.device)
    _index_array(input, "embedding_bag")
    flat, starts, ends = _bag_bounds(xp, input, offsets, include_last_offset)
    num_weights = weight.shape[0]
    padding_idx = _padding_index(padding_idx, num_weights)
    _check_range(flat, num_weights, bag=True)
    _check_sparse(sparse, weight)
    if max_norm is not None:
        embedding_renorm_(weight, flat, max_norm, norm_type)
    # the bags as a (bags, longest) grid of positions into ``flat``; ``valid`` masks the rest
    lengths = ends - starts
    longest = int(lengths.max()) if lengths.size else 0
    steps = xp.arange(longest)
    valid = steps[None, :] < lengths[:, None]
    positions = xp.where(valid, starts[:, None] + steps[None, :], 0)
    grid = flat[positions] if flat.size else xp.zeros(positions.shape, dtype=flat.dtype)
    if padding_idx is not None:
        valid &= grid != padding_idx
    grid = xp.where(valid, grid, 0)
    # (bags, longest, dim); filler and padding positions get no gradient and are not counted
    rows = embedding_lookup(grid, weight, None, scale_grad_by_freq, ignore=~valid)
    mask = Tensor._make(valid[:, :, None].astype(weight._data.dtype), weight.device)
    counts = mask.sum(1)  # (bags, 1)
    if mode == "max":
        best = _where(mask > 0, rows, float("-inf")).amax(1) if longest else rows.sum(1)
        return _where(counts > 0, best, 0)
    if per_sample_weights is not None:
        sample = per_sample_weights.reshape(-1)[Tensor._make(positions, weight.device)]
        mask = mask * sample.unsqueeze(-1)
    total = (rows * mask).sum(1)
    if mode == "sum":
        return total
    return total / counts.clamp(min=1)


def one_hot(tensor, num_classes=-1):
    """out[..., c] = 1 where tensor[...] == c, else 0 (int64).  ``num_classes=-1`` uses
    tensor.max() + 1.  Shape: (*) int64 -> (*, num_classes).  Not differentiable."""
    if tensor.dtype is not D.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    values = tensor._data
    if num_classes == -1:
        if values.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(values.max()) + 1
    if values.size:
        if int(values.min()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if int(values.max()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    classes = _arange(num_classes, device=tensor.device)
    return (tensor.unsqueeze(-1) == classes).long()
