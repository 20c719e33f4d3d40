"""Copies that repeat or reorder elements: repeat, tile, repeat_interleave, flip (fliplr,
flipud), roll.  Each gradient sums (or reorders) the incoming gradient back.
"""

import operator

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.function import Node
from ._numpy_names import numpy_axis
from .shape import _dims_list, _is_int, _size_args, flatten, reshape, wrap_dim

__all__ = ["repeat_interleave", "tile", "flip", "fliplr", "flipud", "roll"]


class Repeat(Node):
    """y = x tiled ``reps[i]`` times along dim i (x first gets leading size-1 dims)

    grad_x = grad seen as (r_0, s_0, r_1, s_1, ...) summed over the r's
    """

    def __init__(self, reps):
        self.reps = reps

    def forward(self, x):
        lead = len(self.reps) - x.ndim
        return self.xp.tile(x.reshape((1,) * lead + x.shape), self.reps)

    def backward(self, grad):
        shape = self.input_shape(0)
        padded = (1,) * (len(self.reps) - len(shape)) + tuple(shape)
        split = []
        for r, s in zip(self.reps, padded):
            split += [r, s]
        summed = grad.reshape(split).sum(tuple(range(0, len(split), 2)))
        return summed.reshape(shape)


def repeat(input, *sizes):
    """Tile the tensor ``sizes[i]`` times along dim i. Same as Tensor.repeat."""
    reps = _size_args(sizes)
    shape = input._data.shape
    if len(reps) < len(shape):
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    if any(r < 0 for r in reps):
        padded = (1,) * (len(reps) - len(shape)) + shape
        out = [r * s for r, s in zip(reps, padded)]
        bad = next((o for o in out if o < 0), min(reps))  # torch names the first negative size
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: {out}")
    return Repeat(reps).apply(input)


def tile(input, dims):
    """repeat, with ``dims`` padded by leading 1s when shorter than the tensor's dims."""
    dims = _size_args((dims,)) if not _is_int(dims) else (operator.index(dims),)
    n = input._data.ndim
    if len(dims) < n:
        dims = (1,) * (n - len(dims)) + dims
    return repeat(input, dims)


def _tile_method(input, *dims):
    return tile(input, _size_args(dims))


class RepeatInterleave(Node):
    """y = each x[i] along ``dim`` repeated counts[i] times    grad_x[i] = sum of its copies"""

    def __init__(self, counts, dim):
        self.counts = counts  # a tuple of non-negative ints
        self.dim = dim

    def forward(self, x):
        return self.xp.repeat(x, self.counts, axis=self.dim)

    def backward(self, grad):
        return SegmentSum(self.counts, self.dim).apply(grad)


class SegmentSum(Node):
    """y[i] = sum of the counts[i] consecutive slices of x along ``dim``
    grad_x = grad repeated counts[i] times (repeat_interleave)"""

    def __init__(self, counts, dim):
        self.counts = counts
        self.dim = dim

    def forward(self, x):
        xp = self.xp
        shape = list(x.shape)
        shape[self.dim] = len(self.counts)
        out = xp.zeros(shape, dtype=x.dtype)
        owner = xp.repeat(xp.arange(len(self.counts)), self.counts)
        index = (slice(None),) * self.dim + (owner,)
        xp.add.at(out, index, x)
        return out

    def backward(self, grad):
        return RepeatInterleave(self.counts, self.dim).apply(grad)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None, axis=None):
    """Repeat each element (or slice along ``dim``) ``repeats`` times (an int or one count per
    element). With only a tensor of counts, the indices repeated. Same as
    torch.repeat_interleave."""
    if axis is not None:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("repeat_interleave", dim, axis)
    if repeats is None:  # repeat_interleave(counts) -> arange(len(counts)) repeated
        counts = _counts_of(input)
        from .creation import arange

        idx = arange(len(counts), device=input.device)
        return _check_counted_size(RepeatInterleave(counts, 0).apply(idx), 0, output_size)
    if dim is None:
        input = flatten(input)
        dim = 0
    d = wrap_dim(dim, input._data.ndim)
    if isinstance(repeats, Tensor) and repeats._data.size != 1:
        counts = _counts_of(repeats)
        n = input._data.shape[d] if input._data.ndim else 1
        if len(counts) != n:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {len(counts)} and input.size({d}) = {n}")
        if input._data.ndim == 0:
            input = reshape(input, (1,))
        return _check_counted_size(RepeatInterleave(counts, d).apply(input), d, output_size)
    r = int(repeats.item()) if isinstance(repeats, Tensor) else operator.index(repeats)
    if r < 0:
        raise RuntimeError("Repeats must be non-negative")
    if input._data.ndim == 0:
        input = reshape(input, (1,))
    # each slice along d gets a new size-r dim next to it, then the two dims merge
    shape = input._data.shape
    wide = shape[:d + 1] + (r,) + shape[d + 1:]
    merged = shape[:d] + (shape[d] * r,) + shape[d + 1:]
    if output_size is not None and output_size != merged[d]:
        raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {merged[d]} but "
                           f"got {output_size}")
    out = reshape(input.unsqueeze(d + 1).expand(wide), merged)
    return out.clone() if out._base is not None else out  # always a copy, as in torch


def _check_counted_size(result, dim, output_size):
    """``output_size`` is torch's promise of the result's length along ``dim`` (it saves a
    device sync there); a wrong promise is an error, as in torch."""
    if output_size is not None and output_size != result.shape[dim]:
        raise RuntimeError("allocated size does not match required size")
    return result


def _counts_of(repeats):
    if repeats._data.ndim > 1:
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    if repeats.dtype.category != D.INT:
        raise NotImplementedError(f'"repeat_interleave_cpu" not implemented for '
                                  f"'{repeats.dtype._short}'")
    counts = tuple(repeats._host().reshape(-1).tolist())
    if any(c < 0 for c in counts):
        raise RuntimeError("repeats can not be negative")
    return counts


class Flip(Node):
    """y = x reversed along ``dims`` (a copy)          grad_x = grad reversed back"""

    def __init__(self, dims):
        self.dims = dims

    def forward(self, x):
        if not self.dims:
            return x.copy()
        return self.xp.flip(x, axis=self.dims).copy()

    def backward(self, grad):
        return Flip(self.dims).apply(grad)


def flip(input, *args, dims=None):
    """Reverse the order of elements along ``dims``. Same as torch.flip."""
    dims = _size_args(args if dims is None else (dims,))
    return Flip(_dims_list(dims, input._data.ndim)).apply(input)


def fliplr(input):
    """Flip dim 1 (left/right). Same as torch.fliplr."""
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return Flip((1,)).apply(input)


def flipud(input):
    """Flip dim 0 (up/down). Same as torch.flipud."""
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return Flip((0,)).apply(input)


class Roll(Node):
    """y[i + shift] = x[i] along each dim, wrapping around     grad_x = grad rolled back

    With ``dims`` None the tensor is rolled as if flattened.
    """

    def __init__(self, shifts, dims):
        self.shifts = shifts
        self.dims = dims

    def forward(self, x):
        return self.xp.roll(x, self.shifts, axis=self.dims)

    def backward(self, grad):
        back = tuple(-s for s in self.shifts) if self.dims is not None else -self.shifts
        return Roll(back, self.dims).apply(grad)


def roll(input, shifts, dims=None):
    """Shift elements along ``dims`` (flattened when None), wrapping around. Same as
    torch.roll."""
    shifts = (operator.index(shifts),) if _is_int(shifts) else _size_args((shifts,))
    if dims is None:
        if len(shifts) == 0:
            raise RuntimeError("`shifts` required")
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                               "dims:0")
        return Roll(shifts[0], None).apply(input)
    dims = (operator.index(dims),) if _is_int(dims) else _size_args((dims,))
    if len(shifts) == 0:
        raise RuntimeError("`shifts` required")
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    dims = tuple(wrap_dim(d, input._data.ndim) for d in dims)
    if input._data.ndim == 0:
        return Roll(0, None).apply(input)
    return Roll(shifts, dims).apply(input)


METHODS = {
    "repeat": repeat, "tile": _tile_method, "repeat_interleave": repeat_interleave,
    "flip": flip, "fliplr": fliplr, "flipud": flipud, "roll": roll,
}
