"""Padding primitives: constant padding (negative pads crop) and the index maps of the
reflect / replicate / circular modes.

Constant padding is one node whose gradient is constant padding again with the pads negated
(what was added is cut off, what was cut off comes back as zeros).  The other modes read every
output position from one input position per padded dim: the maps below give that position,
and ``index_select`` does the reading (its gradient adds the values back: index_add).
"""

import math

from ..autograd.function import Node

__all__ = []


class ConstantPad(Node):
    """y = x placed inside a tensor filled with ``value``, with pads[d] = (before, after) on
    each of the last len(pads) dims; a negative pad removes that many entries instead.
    grad_x = ConstantPad(-pads, 0)(grad): the inside of the gradient, zeros where x was cut."""

    _name = "ConstantPadNdBackward0"

    def __init__(self, pads, value=0):
        self.pads = tuple(pads)
        self.value = value

    def forward(self, x):
        lead = x.ndim - len(self.pads)
        shape = x.shape[:lead] + tuple(s + a + b for s, (a, b) in
                                       zip(x.shape[lead:], self.pads))
        value = self.value
        if x.dtype.kind in "iu" and not isinstance(value, bool):
            value = math.trunc(value)  # torch truncates a float fill for integer tensors
        y = self.xp.full(shape, value, dtype=x.dtype)
        source = [slice(None)] * lead
        target = [slice(None)] * lead
        for size, (before, after) in zip(x.shape[lead:], self.pads):
            source.append(slice(max(-before, 0), size - max(-after, 0)))
            target.append(slice(max(before, 0), max(before, 0) + size - max(-before, 0)
                                - max(-after, 0)))
        y[tuple(target)] = x[tuple(source)]
        return y

    def backward(self, grad):
        return ConstantPad([(-a, -b) for a, b in self.pads], 0).apply(grad)


def reflect_index(size, before, after):
    """Input position of each output position for 'reflect' (mirror without repeating the
    edge: ... 2 1 | 0 1 2 3 | 2 1 ...); needs before, after < size."""
    last = size - 1
    return [last - abs(last - abs(j - before)) for j in range(size + before + after)]


def replicate_index(size, before, after):
    """'replicate': the edge value repeats (0 0 | 0 1 2 3 | 3 3)."""
    return [min(max(j - before, 0), size - 1) for j in range(size + before + after)]


def circular_index(size, before, after):
    """'circular': the values wrap around (2 3 | 0 1 2 3 | 0 1).  As torch, negative pads
    first crop the input and the positive pads then wrap around what is left."""
    start = max(-before, 0)
    kept = size - start - max(-after, 0)
    return [start + (j - max(before, 0)) % kept for j in range(size + before + after)]
