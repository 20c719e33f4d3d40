"""``torch.embedding_bag(weight, indices, offsets, ...)``: ATen's spelling of
nn.functional.embedding_bag, with ATen's argument order, ``mode`` as an integer (0 sum,
1 mean, 2 max) and its four results: the bags' values (nn.functional's) and three tensors
of bookkeeping, filled as torch 2.13's CPU kernel fills them:

- offset2bag: the bag of each index (left empty in sum mode for float32/float16/bfloat16
  weights without padding_idx: torch's fast kernel for those does not fill it);
- bag_size: how many non-padding indices each bag has (zeros in sum mode: one per bag, or
  with that fast kernel one per offset);
- max_indices: in max mode, per bag and feature the weight row that gave the maximum (the
  first on ties, 0 for an empty bag); in mean mode a copy of bag_size; zeros in sum mode.
"""

import numpy as np

from ... import _dtype as D
from ...ops.creation import tensor
from .. import functional as F

__all__ = ["embedding_bag"]

_MODES = {0: "sum", 1: "mean", 2: "max"}


def embedding_bag(weight, indices, offsets, scale_grad_by_freq=False, mode=0, sparse=False,
                  per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """(output, offset2bag, bag_size, max_indices); see the module docstring."""
    if mode not in _MODES:
        raise ValueError(f"embedding_bag: mode must be 0 (sum), 1 (mean) or 2 (max), got {mode}")
    output = F.embedding_bag(indices, weight, offsets, scale_grad_by_freq=scale_grad_by_freq,
                             mode=_MODES[mode], sparse=sparse,
                             per_sample_weights=per_sample_weights,
                             include_last_offset=include_last_offset, padding_idx=padding_idx)
    flat = np.asarray(indices.detach()._host()).reshape(-1)
    starts = np.asarray(offsets.detach()._host()).reshape(-1)
    bags = output.shape[0]
    # the bag of position k: the last bag whose start is at or before k
    bag_of = np.searchsorted(starts[:bags], np.arange(flat.size), side="right") - 1
    kept = flat != padding_idx if padding_idx is not None else np.ones(flat.size, bool)
    sizes = np.bincount(bag_of[kept], minlength=bags).astype(np.int64)
    if mode == 0:
        fast = padding_idx is None and weight.dtype in (D.float32, D.float16, D.bfloat16)
        offset2bag = np.zeros(0, np.int64) if fast else bag_of
        zeros = np.zeros(starts.size if fast else bags, np.int64)
        return output, *_int64(weight, offset2bag, zeros, zeros)
    if mode == 1:
        return output, *_int64(weight, bag_of, sizes, sizes)
    rows = np.asarray(weight.detach()._host())
    best = np.zeros((bags, rows.shape[1]), np.int64)
    for b in range(bags):
        members = flat[(bag_of == b) & kept]
        if members.size:
            best[b] = members[np.argmax(rows[members], axis=0)]  # argmax: the first on ties
    return output, *_int64(weight, bag_of, sizes, best)


def _int64(weight, *arrays):
    return [tensor(np.asarray(a, dtype=np.int64), device=weight.device) for a in arrays]
