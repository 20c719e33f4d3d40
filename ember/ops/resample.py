"""Resampling along one dim: the primitive behind interpolate (linear, bilinear, bicubic,
trilinear, area, nearest) and uneven adaptive average pools.

Every one of those modes is separable: along each resized dim, output sample i is a fixed
weighted sum of a few input samples (its *taps*: 2 for linear, 4 for cubic, a window for area),

    y[..., i, ...] = sum_t w[i, t] x[..., idx[i, t], ...]       grad_x = the transposed sum

and a 2-D (3-D) resize is that applied to each dim in turn.  Forward loops over the few taps
(one gather and one multiply-add each), so a NaN or inf stays in its neighbourhood as in torch.
The gradient is the same kind of op with the transposed taps (each input sample collects the
outputs that read it), so double backward works.  The builders below compute the taps of each
mode from torch's rule for where output sample i falls in the input.

Adaptive max pooling shares area's windows (output i of a dim of length L covers
[floor(i L / out), ceil((i + 1) L / out))) but is not linear: ``AdaptiveMaxIndices`` finds
each window's maximum and ``pooling.PoolGather`` takes it.
"""

import math

import numpy as np

from ..autograd.function import Node, NoGradNode
from .pooling import _lowest, _torch_argmax

__all__ = []


class ResampleAxis(Node):
    """y[..., i, ...] = sum_t weight[i, t] x[..., index[i, t], ...]   along dim ``axis``
    grad_x = the same sum with the transposed taps (``transpose_taps``)"""

    def __init__(self, axis, index, weight, in_size, name=None):
        self.axis = axis
        self.index = index  # NumPy int64 (out, taps)
        self.weight = weight  # NumPy float64 (out, taps)
        self.in_size = in_size
        self._name = name

    def forward(self, x):
        xp = self.xp
        # NOTE: 16-bit floats are mixed in float32 (as torch's opmath), then rounded back
        wide = x.astype(xp.float32) if x.dtype.itemsize < 4 else x
        shape = [1] * x.ndim
        shape[self.axis] = self.index.shape[0]
        y = None
        for t in range(self.index.shape[1]):
            w = xp.asarray(self.weight[:, t], dtype=wide.dtype).reshape(shape)
            v = xp.take(wide, xp.asarray(self.index[:, t]), axis=self.axis) * w
            if y is None:
                y = v
            else:
                y += v
        return y.astype(x.dtype, copy=False)

    def backward(self, grad):
        index, weight = transpose_taps(self.index, self.weight, self.in_size)
        return ResampleAxis(self.axis, index, weight, self.index.shape[0]).apply(grad)


class PickAxis(Node):
    """y = x at ``index`` along ``axis`` (nearest-neighbour resizing; any dtype)
    grad_x = each grad sample added to the input it was picked from (transposed taps)"""

    def __init__(self, axis, index, in_size, name=None):
        self.axis = axis
        self.index = index  # NumPy int64 (out,)
        self.in_size = in_size
        self._name = name

    def forward(self, x):
        return self.xp.take(x, self.xp.asarray(self.index), axis=self.axis)

    def backward(self, grad):
        out = len(self.index)
        index, weight = transpose_taps(self.index[:, None], np.ones((out, 1)), self.in_size)
        return ResampleAxis(self.axis, index, weight, out).apply(grad)


def resample_axis(input, dim, taps, name=None):
    """Resample dim ``dim`` of input with ``taps`` = (index, weight), both (out, taps)."""
    index, weight = taps
    return ResampleAxis(dim, index, weight, input.shape[dim], name).apply(input)


def transpose_taps(index, weight, in_size):
    """The taps of the transposed map: for each input j, the outputs i that read j and their
    weights (padded with weight 0 to the same count)."""
    dense = np.zeros((index.shape[0], in_size))
    np.add.at(dense, (np.arange(index.shape[0])[:, None], index), weight)
    return taps_of(dense.T)


def taps_of(matrix):
    """(index, weight) of the nonzero entries of each row of a dense (out, in) matrix; short
    rows repeat their first column with weight 0."""
    rows, cols = np.nonzero(matrix)
    count = np.bincount(rows, minlength=matrix.shape[0])
    width = max(int(count.max()) if count.size else 0, 1)
    starts = np.concatenate([[0], np.cumsum(count)[:-1]])
    slot = np.arange(rows.size) - starts[rows]
    index = np.zeros((matrix.shape[0], width), dtype=np.int64)
    first = np.zeros(matrix.shape[0], dtype=np.int64)
    first[rows[slot == 0]] = cols[slot == 0]
    index[:] = first[:, None]
    weight = np.zeros((matrix.shape[0], width))
    index[rows, slot] = cols
    weight[rows, slot] = matrix[rows, cols]
    return index, weight


def source_scale(in_size, out_size, align_corners, scale_factor):
    """How far apart, in input samples, consecutive output samples are (torch's rule)."""
    if align_corners:
        return (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    if scale_factor is not None and scale_factor > 0:
        return 1.0 / scale_factor
    return in_size / out_size


def source_positions(in_size, out_size, align_corners, scale_factor, cubic=False):
    """Where each output sample sits in input coordinates (float64 array).

    align_corners: i * scale (the corner samples coincide);  otherwise the pixel centres line
    up: (i + 0.5) * scale - 0.5, clamped at 0 for linear modes (not for cubic).
    """
    scale = source_scale(in_size, out_size, align_corners, scale_factor)
    i = np.arange(out_size, dtype=np.float64)
    if align_corners:
        return i * scale
    src = (i + 0.5) * scale - 0.5
    return src if cubic else np.maximum(src, 0.0)


def nearest_indices(in_size, out_size, scale_factor, exact):
    """Input sample each output copies: floor(i * scale), or floor((i + 0.5) * scale) for
    'nearest-exact', clipped to the last sample."""
    scale = source_scale(in_size, out_size, False, scale_factor)
    i = np.arange(out_size, dtype=np.float64)
    # NOTE: torch computes the source index in float32
    src = np.floor(np.float32(i + 0.5 if exact else i) * np.float32(scale))
    return np.minimum(src.astype(np.int64), in_size - 1)


def linear_taps(in_size, out_size, align_corners, scale_factor):
    """Taps (out, 2): output i = (1 - t) x[i0] + t x[i0 + 1], with i0 = floor(src), t the
    fraction of src past i0 (the right neighbour clipped to the last sample)."""
    src = source_positions(in_size, out_size, align_corners, scale_factor)
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    i1 = np.minimum(i0 + 1, in_size - 1)
    t = src - i0
    return np.stack([i0, i1], 1), np.stack([1.0 - t, t], 1)


def cubic_taps(in_size, out_size, align_corners, scale_factor, a=-0.75):
    """Taps (out, 4) of Keys' cubic convolution (a = -0.75, as torch): output i mixes
    x[i0 - 1 .. i0 + 2] (clipped to the edges) with weights, for t = src - i0,

        w(d) = (a + 2)|d|^3 - (a + 3)|d|^2 + 1          for |d| <= 1
        w(d) = a|d|^3 - 5a|d|^2 + 8a|d| - 4a            for 1 < |d| < 2
    """
    src = source_positions(in_size, out_size, align_corners, scale_factor, cubic=True)
    i0 = np.floor(src).astype(np.int64)
    t = src - i0
    index, weight = [], []
    for k in (-1, 0, 1, 2):
        d = np.abs(t - k)
        near = ((a + 2) * d - (a + 3)) * d * d + 1
        far = ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
        index.append(np.clip(i0 + k, 0, in_size - 1))
        weight.append(np.where(d <= 1, near, far))
    return np.stack(index, 1), np.stack(weight, 1)


def area_taps(in_size, out_size):
    """Taps (out, window): output i averages inputs floor(i L / out) .. ceil((i + 1) L / out) - 1
    (the windows of adaptive average pooling)."""
    index = adaptive_table(np, in_size, out_size)
    i = np.arange(out_size)
    length = -((-(i + 1) * in_size) // out_size) - (i * in_size) // out_size
    real = np.arange(index.shape[1])[None, :] < length[:, None]  # not a repeated last sample
    return index, np.where(real, 1.0 / length[:, None], 0.0)


def output_length(in_size, scale_factor):
    """floor(in_size * scale_factor), as torch (in double precision)."""
    return int(math.floor(float(in_size) * float(scale_factor)))


# ---------------------------------------------------------------------------- adaptive max

class AdaptiveMaxIndices(NoGradNode):
    """Flat positions of the maxima of adaptive windows: output i of a dim of length L covers
    [floor(i L / out), ceil((i + 1) L / out)).  Integer output: no gradient."""


    def __init__(self, out):
        self.out = tuple(out)

    def forward(self, x):
        xp = self.xp
        n = len(self.out)
        size = x.shape[x.ndim - n:]
        # per dim: the positions each output reads, (out, kmax), the last one repeated
        tables = [adaptive_table(xp, size[d], self.out[d]) for d in range(n)]
        # flat position of each (output, window slot) pair, shape (*out, kmax_0, kmax_1, ...)
        flat = 0
        for d, table in enumerate(tables):
            shape = [1] * (2 * n)
            shape[d] = table.shape[0]
            shape[n + d] = table.shape[1]
            flat = flat * size[d] + table.reshape(shape)
        lead = x.shape[:x.ndim - n]
        flat = flat.reshape(self.out + (-1,))
        rows = x.reshape(lead + (-1,))
        best = xp.full(lead + self.out, _lowest(xp, x.dtype), dtype=x.dtype)
        arg = xp.zeros(best.shape, dtype=xp.int64)
        taps = ((j, rows[..., flat[..., j]]) for j in range(flat.shape[-1]))
        arg = _torch_argmax(xp, taps, best, arg)
        chosen = xp.take_along_axis(xp.broadcast_to(flat, lead + flat.shape), arg[..., None], -1)
        return chosen[..., 0].astype(xp.int64, copy=False)


def adaptive_table(xp, size, out):
    """(out, kmax) positions read by each adaptive window along one dim (last one repeated)."""
    i = xp.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)
    kmax = max(int((end - start).max()), 1) if out else 1
    table = start[:, None] + xp.arange(kmax)[None, :]
    return xp.minimum(table, (end - 1)[:, None])


class FractionalMaxIndices(NoGradNode):
    """Flat positions of the maxima of fractional max pooling's windows (Graham, 2014).

    Along a dim of size L pooled to ``out`` windows of size k, with u in [0, 1) drawn per
    (sample, channel): alpha = (L - k) / (out - 1), window i starts at
    int((i + u) alpha) - int(u alpha) for i < out - 1, and the last at L - k. The arithmetic is
    done in the input's dtype (as torch does, so the same u gives torch's windows); the max
    follows torch's rule (the first largest, or the last NaN). Integer output: no gradient.

    ``samples``: array (lead..., n) of u, one column per pooled dim, in torch's column order.
    """

    def __init__(self, kernel, out, samples, columns):
        self.kernel = tuple(kernel)
        self.out = tuple(out)
        self.samples = samples
        self.columns = columns  # which column of samples each pooled dim reads

    def forward(self, x):
        xp = self.xp
        n = len(self.out)
        size = x.shape[x.ndim - n:]
        lead = x.shape[:x.ndim - n]
        # starts[d]: (lead..., out_d) window starts along pooled dim d
        starts = [self._starts(xp, self.samples[..., c], size[d], self.out[d], self.kernel[d])
                  for d, c in enumerate(self.columns)]
        # the flat position of every window's first element, (lead..., *out)
        first = 0
        for d in range(n):
            shape = lead + (1,) * d + (self.out[d],) + (1,) * (n - d - 1)
            first = first * size[d] + starts[d].reshape(shape)
        first = xp.broadcast_to(first, lead + self.out)
        rows = x.reshape(math.prod(lead), -1)
        best = xp.full(lead + self.out, _lowest(xp, x.dtype), dtype=x.dtype)
        arg = first.copy()

        def taps():
            for offset in np.ndindex(*self.kernel):
                shift = 0
                for d in range(n):
                    shift = shift * size[d] + offset[d]
                position = first + shift
                values = xp.take_along_axis(rows, position.reshape(rows.shape[0], -1), axis=1)
                yield position, values.reshape(position.shape)

        return _torch_argmax(xp, taps(), best, arg).astype(xp.int64, copy=False)

    @staticmethod
    def _starts(xp, u, size, out, k):
        """(lead..., out) window starts along one dim, from u of shape (lead...)."""
        dtype = u.dtype if u.dtype.kind == "f" and u.dtype.itemsize >= 4 else np.dtype("float32")
        u = u.astype(dtype)
        starts = xp.empty(u.shape + (out,), dtype=xp.int64)
        if out > 1:
            alpha = dtype.type(size - k) / dtype.type(out - 1)
            i = xp.arange(out - 1).astype(dtype)
            shifted = ((i + u[..., None]) * alpha).astype(xp.int64)
            starts[..., :-1] = shifted - (u * alpha).astype(xp.int64)[..., None]
        if out > 0:
            starts[..., -1] = size - k
        return starts
