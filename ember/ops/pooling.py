"""Pooling primitives: max and average pooling over the last 1, 2 or 3 dims, max unpooling,
and the gather/scatter pair that carries a max pool's gradient.

A pool slides a window of ``kernel`` samples (``dilation`` apart) by ``stride`` over an input
padded with ``padding`` on both sides.  Rather than looping over output positions, every op
here loops over the few *kernel offsets* (4 for a 2x2 window): for one offset, the samples that
offset reads for all output positions at once form a strided slice of the padded input.

    out[o] = reduce over offsets k of  xpad[o * stride + k * dilation]

``MaxPool`` returns the maxima and, for every output, the flat position (over the input's
pooled dims, as torch's ``indices``) of its maximum; its gradient puts ``grad`` back at those
positions (``PoolScatter``).  Taking (``PoolGather``) and putting back are each other's
gradient, so double backward works.  ``AvgPool`` and ``AvgPoolBackward`` are likewise each
other's gradient.  Adaptive pools (windows of varying size) live in ``resample.py``.
"""

import itertools
import math

import numpy as np

from .. import _dtype as D
from .. import _kernels
from ..autograd.function import Node, NoGradNode
from .reduction import summed

__all__ = []


class Window:
    """The geometry of a pool over the last ``len(kernel)`` dims of an input.

    Output size per dim: floor((L + 2p - d (k - 1) - 1) / s) + 1, or ceil(...) in ceil_mode,
    where the last window must still start inside the input or the left padding.
    """

    def __init__(self, size, kernel, stride, padding, dilation=None, ceil_mode=False):
        n = len(kernel)
        self.size = tuple(size)
        self.kernel = tuple(kernel)
        self.stride = tuple(stride)
        self.padding = tuple(padding)
        self.dilation = tuple(dilation) if dilation is not None else (1,) * n
        self.out = tuple(_out_size(*a, ceil_mode) for a in zip(
            self.size, self.kernel, self.stride, self.padding, self.dilation))
        # the padded input must reach the last sample of the last window
        self.padded = tuple(
            max(p + size, (o - 1) * s + d * (k - 1) + 1)
            for size, k, s, p, d, o in zip(self.size, self.kernel, self.stride, self.padding,
                                            self.dilation, self.out))

    def offsets(self):
        """Every kernel offset (k_0, k_1, ...), in row-major order."""
        return itertools.product(*[range(k) for k in self.kernel])

    def tap(self, xpad, offset):
        """The samples that kernel ``offset`` reads for every output position (a view)."""
        index = [Ellipsis]
        for k, s, d, o in zip(offset, self.stride, self.dilation, self.out):
            index.append(slice(k * d, k * d + (o - 1) * s + 1, s))
        return xpad[tuple(index)]

    def pad(self, xp, x, value):
        """x inside an array of the padded size filled with ``value`` (x itself if no padding)."""
        if self.padded == self.size:
            return x
        lead = x.shape[:x.ndim - len(self.size)]
        out = xp.full(lead + self.padded, value, dtype=x.dtype)
        inner = [Ellipsis] + [slice(p, p + n) for p, n in zip(self.padding, self.size)]
        out[tuple(inner)] = x
        return out

    def crop(self, xpad):
        """The input's region of a padded array."""
        if self.padded == self.size:
            return xpad
        inner = [Ellipsis] + [slice(p, p + n) for p, n in zip(self.padding, self.size)]
        return xpad[tuple(inner)]

    def is_global(self):
        """True when one window covers the whole (unpadded) input."""
        return self.out == (1,) * len(self.size) and self.kernel == self.size \
            and self.padded == self.size

    def axis_positions(self, xp, d):
        """Start of every window along dim d, shaped to broadcast over the output dims."""
        n = len(self.size)
        shape = [1] * n
        shape[d] = self.out[d]
        starts = xp.arange(self.out[d]) * self.stride[d] - self.padding[d]
        return starts.reshape(shape)


def _out_size(size, kernel, stride, padding, dilation, ceil_mode):
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if ceil_mode:
        out = -(-span // stride) + 1
        if (out - 1) * stride >= size + padding:  # the last window would start in the padding
            out -= 1
        return out
    return span // stride + 1


def _lowest(xp, dtype):
    """The value padding holds in max pools: -inf, or the integer type's minimum."""
    if dtype.kind == "b":
        return False
    if dtype.kind in "iu":
        return xp.iinfo(dtype).min
    return -math.inf  # floats, bfloat16 included (NumPy kind 'V')


# ---------------------------------------------------------------------------- max pooling

def _torch_argmax(xp, taps, best, arg):
    """Run torch's rule over candidate taps: a tap wins if it is greater, or if it is NaN.

    ``best``/``arg`` hold the starting value and winner; returns the final winners.
    """
    floating = best.dtype.kind not in "iub"
    for k, v in taps:
        better = v > best
        if floating:
            better |= v != v  # NaN propagates: the last NaN of the window wins, as in torch
        best = xp.where(better, v, best)
        arg = xp.where(better, k, arg)
    return arg


def _holds_negative_zero(xp, a):
    """Whether float array ``a`` holds a -0.0: one compare of its bit patterns (unsigned
    integers of its width) with the sign bit's."""
    bits = a.view(xp.dtype(f"u{a.dtype.itemsize}"))
    return bool((bits == bits.dtype.type(1 << (8 * a.dtype.itemsize - 1))).any())


def _window_max(xp, window, xpad):
    """max over every window (NaN propagates): one elementwise maximum per kernel offset.  A
    window whose maximum is zero gets its first zero's sign, as torch's rule (the first
    maximum wins) gives: maximum(-0.0, 0.0) may return either."""
    y = None
    for offset in window.offsets():
        v = window.tap(xpad, offset)
        y = v.copy() if y is None else xp.maximum(y, v)
    if y.dtype.kind in "iub" or not _holds_negative_zero(xp, xpad):
        return y
    zero = y == 0
    if bool(zero.any()):
        first = None
        for offset in reversed(list(window.offsets())):  # backwards: the first zero stays
            v = window.tap(xpad, offset)[zero]
            first = v if first is None else xp.where(v == 0, v, first)
        y[zero] = first
    return y


def _winners(xp, window, xpad, y):
    """The kernel offset (row-major number) at which each window reaches its maximum y.

    Ties go to the first offset and NaN to the last NaN, as torch's rule (greater, or NaN).
    """
    offsets = list(window.offsets())
    small = xp.int8 if len(offsets) < 128 else xp.int32
    arg = xp.zeros(y.shape, dtype=small)
    for k in range(len(offsets) - 1, -1, -1):  # backwards, so the first equal offset wins
        # NOTE: arg + (k - arg) * hit rather than where(hit, k, arg): branch-free, and where()
        # over a random mask is several times slower
        hit = window.tap(xpad, offsets[k]) == y
        arg += (small(k) - arg) * hit
    floating = y.dtype.kind not in "iub"
    if floating and bool((y != y).any()):
        for k, offset in enumerate(offsets):
            v = window.tap(xpad, offset)
            arg = xp.where(v != v, small(k), arg)
    lowest = _lowest(xp, y.dtype)
    if window.padded != window.size and bool((y == lowest).any()):
        # a window of only the lowest value: equality would pick the padding; torch picks
        # the window's first sample inside the input
        first = 0
        for d in range(len(window.size)):
            starts = window.axis_positions(xp, d)
            k_first = -(-xp.maximum(-starts, 0) // window.dilation[d])
            first = first * window.kernel[d] + k_first
        start = xp.broadcast_to(xp.asarray(first, dtype=small), y.shape)
        best = xp.full(y.shape, lowest, dtype=y.dtype)
        arg = _torch_argmax(xp, enumerate(window.tap(xpad, o) for o in offsets), best, start)
    return arg


def _flat_positions(xp, window, arg):
    """Kernel offset number per window -> flat position over the input's pooled dims:
    sum_d (o_d s_d - p_d + k_d d_d) prod(L_{d+1..})."""
    n = len(window.size)
    base = 0
    for d in range(n):
        base = base * window.size[d] + window.axis_positions(xp, d)
    delta = []
    for offset in window.offsets():
        step = 0
        for d in range(n):
            step = step * window.size[d] + offset[d] * window.dilation[d]
        delta.append(step)
    return base + xp.take(xp.asarray(delta, dtype=xp.int64), arg)


def _two_by_two_windows(window, x):
    """2x2 windows, stride 2, no padding or dilation, every window inside the input: the
    case of _kernels.max_pool_2x2."""
    return (window.kernel == (2, 2) and window.stride == (2, 2) and window.dilation == (1, 1)
            and window.padded == window.size
            and window.out == (window.size[0] // 2, window.size[1] // 2) and x.size > 0)


def _max_pool_2x2(x, window):
    """The maxima of 2x2 windows and their flat positions by one loop (torch's rule) on a
    float32/float64 array, or on bfloat16's bit patterns (each sample widened in a
    register)."""
    planes = x.reshape((-1,) + window.size)
    y = np.empty((planes.shape[0],) + window.out, dtype=x.dtype)
    index = np.empty(y.shape, dtype=np.int64)
    if x.dtype.kind == "f":
        _kernels.max_pool_2x2(planes, y, index)
    else:
        _kernels.max_pool_2x2_bfloat16(planes.view(np.uint16), y.view(np.uint16), index)
    shape = x.shape[:x.ndim - 2] + window.out
    return y.reshape(shape), index.reshape(shape)


class MaxPool(Node):
    """y[o] = max over window o;  indices[o] = the flat position (over the pooled dims of the
    input, as torch's) of that maximum.
    grad_x = grad added back at indices (``PoolScatter``); the indices get no gradient."""

    materialize_grads = False  # the int64 indices never carry a gradient

    def __init__(self, window, name):
        self.window = window
        self._name = name

    def forward(self, x):
        xp = self.xp
        w = self.window
        floats = _kernels.takes(x, float64=True) and _two_by_two_windows(w, x)
        if floats or self.computes_bfloat16(x):  # one loop, torch's rule (_kernels.py)
            y, self.index = _max_pool_2x2(x, w)
            self.valid = None
            return y, self.index
        xpad = w.pad(xp, x, _lowest(xp, x.dtype))
        y = _window_max(xp, w, xpad)
        self.index = _flat_positions(xp, w, _winners(xp, w, xpad, y))
        self.valid = None
        if w.padded != w.size:
            # NOTE: a window of padding only (dilation can skip the whole input) gives -inf and,
            # as torch, a position outside the input, which gets no gradient
            valid = (self.index >= 0) & (self.index < math.prod(w.size))
            self.valid = None if bool(valid.all()) else valid
        return y, self.index

    def computes_bfloat16(self, x):
        """The 2x2 windows on a bfloat16 array the loops take (see Node)."""
        return _kernels.takes_bfloat16(x) and _two_by_two_windows(self.window, x)

    def backward(self, grad, grad_indices=None):
        shape = self.input_shape(0)
        w = self.window
        # windows that share no sample cannot pick one twice: plain assignment suffices
        unique = all(s >= d * (k - 1) + 1 for s, d, k in zip(w.stride, w.dilation, w.kernel))
        return PoolScatter(self.index, len(w.size), shape, self.valid, unique).apply(grad)


class MaxPoolValues(NoGradNode):
    """y[o] = max over window o (NaN propagates): a max pool whose gradient and indices
    nobody needs (the fast path of inference)."""


    def __init__(self, window):
        self.window = window

    def forward(self, x):
        xp = self.xp
        if _kernels.takes(x, float64=True) and _two_by_two_windows(self.window, x):
            return _max_pool_2x2(x, self.window)[0]  # (the loop: faster than NumPy's passes)
        xpad = self.window.pad(xp, x, _lowest(xp, x.dtype))
        return _window_max(xp, self.window, xpad)


class PoolGather(Node):
    """y[..., o] = x[..., idx[..., o]]  with idx a flat position over the last ``n`` dims of x
    grad_x = grad added back at idx (``PoolScatter``)"""

    def __init__(self, index, n, name=None, valid=None, unique=False):
        self.index = index
        self.n = n
        self._name = name
        self.valid = valid  # None, or where idx is a real position (elsewhere y = 0)
        self.unique = unique  # no position appears twice in idx

    def forward(self, x):
        xp = self.xp
        idx = self.index if self.valid is None else xp.where(self.valid, self.index, 0)
        lead = idx.shape[:idx.ndim - self.n]
        rows = math.prod(lead)
        flat = x.reshape(rows, -1)
        y = xp.take_along_axis(flat, idx.reshape(rows, -1), axis=1).reshape(idx.shape)
        return y if self.valid is None else xp.where(self.valid, y, 0).astype(y.dtype)

    def backward(self, grad):
        shape = self.input_shape(0)
        return PoolScatter(self.index, self.n, shape, self.valid, self.unique).apply(grad)


class PoolScatter(Node):
    """y = zeros of ``shape``;  y[..., idx[..., o]] += g[..., o]     grad_g = grad at idx

    Positions that cannot repeat (``unique``: windows that share no sample) are assigned in
    one vectorised write; otherwise one ``bincount`` over row-offset positions adds all values
    at once, repeated positions included (overlapping windows can pick one input twice)."""

    def __init__(self, index, n, shape, valid=None, unique=False):
        self.index = index
        self.n = n
        self.shape = tuple(shape)
        self.valid = valid  # None, or where idx is a real position (elsewhere g is dropped)
        self.unique = unique
        # its result is made of g's values and zeros, no sums (read by autocast's WIDEN)
        self.moves_values = unique and valid is None

    def computes_bfloat16(self, g):
        """True when the values only move and the loop takes g (see Node)."""
        return self.moves_values and _kernels.takes_bfloat16(g)

    def forward(self, g):
        xp = self.xp
        idx = self.index
        if self.valid is not None:
            idx = xp.where(self.valid, idx, 0)
            g = xp.where(self.valid, g, 0).astype(g.dtype)
        rows = math.prod(idx.shape[:idx.ndim - self.n])
        length = math.prod(self.shape[len(self.shape) - self.n:])
        if self.unique and self.valid is None and _kernels.takes(g, float64=True):
            y = np.empty((rows, length), dtype=g.dtype)  # one loop (ember/_kernels.py)
            _kernels.place_rows(g.reshape(rows, -1), idx.reshape(rows, -1), y, g.dtype.type(-0.0))
            return y.reshape(self.shape)
        if self.computes_bfloat16(g):  # the same loop on the bit patterns
            y = np.empty((rows, length), dtype=g.dtype)
            _kernels.place_rows(g.reshape(rows, -1).view(np.uint16), idx.reshape(rows, -1),
                                y.view(np.uint16), np.uint16(0x8000))
            return y.reshape(self.shape)
        if self.unique and self.valid is None:
            y = xp.zeros((rows, length), dtype=g.dtype)
            # + 0: a -0.0 becomes +0.0, as torch's sum into zeros makes it
            y[xp.arange(rows)[:, None], idx.reshape(rows, -1)] = g.reshape(rows, -1) + 0
            return y.reshape(self.shape)
        where = idx.reshape(rows, -1) + (xp.arange(rows) * length)[:, None]
        if g.dtype.kind == "c":
            real = xp.bincount(where.ravel(), g.real.ravel(), rows * length)
            imag = xp.bincount(where.ravel(), g.imag.ravel(), rows * length)
            y = real + 1j * imag
        else:
            y = xp.bincount(where.ravel(), g.ravel(), rows * length)
        return y.astype(g.dtype, copy=False).reshape(self.shape)

    def backward(self, grad):
        return PoolGather(self.index, self.n, None, self.valid, self.unique).apply(grad)


# ---------------------------------------------------------------------------- average pooling

def _divisor(xp, window, count_include_pad, divisor_override):
    """How many samples each window averages (broadcasts over the output dims).

    count_include_pad: the window clipped to the padded input (L + p on each side);
    otherwise: the window clipped to the input itself.
    """
    if divisor_override:
        return divisor_override
    total = 1
    for d, (size, k, p) in enumerate(zip(window.size, window.kernel, window.padding)):
        start = window.axis_positions(xp, d)
        end = xp.minimum(start + k, size + p)
        if count_include_pad:
            count = end - start
        else:
            count = xp.minimum(end, size) - xp.maximum(start, 0)
        total = total * count
    return total


class AvgPool(Node):
    """y[o] = (sum of the window's samples, zero padding included) / divisor[o]
    grad_x = each grad[o] / divisor[o] added back to the window's samples (``AvgPoolBackward``)
    """

    def __init__(self, window, count_include_pad, divisor_override, name):
        self.window = window
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override
        self._name = name

    def forward(self, x):
        xp = self.xp
        w = self.window
        # 16-bit floats are added up and divided in float32 and rounded once, as in torch
        acc = D.accumulator_dtype(x.dtype)
        if w.is_global():
            total = summed(xp, x, tuple(range(x.ndim - len(w.size), x.ndim)), True, acc)
        else:
            xpad = w.pad(xp, x, 0)
            total = None
            for offset in w.offsets():
                v = w.tap(xpad, offset)
                if total is None:
                    total = v.astype(acc)  # a copy, as it is added to
                else:
                    total += v
        div = _divisor(xp, w, self.count_include_pad, self.divisor_override)
        if x.dtype.kind in "iub":
            return xp.trunc(total / div).astype(x.dtype)  # C integer division, as torch
        # NOTE: the divisor in total's dtype: a count such as 4097 has no bfloat16 value
        return (total / xp.asarray(div, dtype=total.dtype)).astype(x.dtype, copy=False)

    def backward(self, grad):
        shape = self.input_shape(0)
        return AvgPoolBackward(self, shape).apply(grad)


class AvgPoolBackward(Node):
    """y = zeros of the input's shape, with g[o] / divisor[o] added to every sample of window o
    grad_g = the average pool of grad (``AvgPool``)"""

    def __init__(self, pool, shape):
        self.pool = pool
        self.shape = tuple(shape)

    def forward(self, g):
        xp = self.xp
        p = self.pool
        w = p.window
        dtype = g.dtype
        # 16-bit floats: the shares divided and added up in float32 (a sample of overlapping
        # windows gets one from each), rounded back once at the end
        acc = D.accumulator_dtype(dtype)
        if acc is not dtype:
            g = g.astype(acc)
        g = g / xp.asarray(_divisor(xp, w, p.count_include_pad, p.divisor_override), g.dtype)
        lead = self.shape[:len(self.shape) - len(w.size)]
        if w.is_global():  # every sample gets the same share
            return xp.broadcast_to(g, self.shape).astype(dtype)  # a copy, rounded back once
        ypad = xp.zeros(lead + w.padded, dtype=g.dtype)
        overlap = any(s < k for s, k in zip(w.stride, w.kernel))
        for offset in w.offsets():
            if overlap:
                w.tap(ypad, offset)[...] += g
            else:  # each sample belongs to one window at most
                w.tap(ypad, offset)[...] = g
        y = w.crop(ypad)
        return xp.ascontiguousarray(y) if acc is dtype else y.astype(dtype)  # rounded once

    def backward(self, grad):
        p = self.pool
        return AvgPool(p.window, p.count_include_pad, p.divisor_override, None).apply(grad)


# ---------------------------------------------------------------------------- unpooling

class MaxUnpool(Node):
    """y = zeros with spatial size ``out``;  y[..., idx[..., i]] = x[..., i]  (flat positions)
    grad_x = grad taken at idx (``PoolGather``)"""

    def __init__(self, index, out, name):
        self.index = index
        self.out = tuple(out)
        self._name = name

    def forward(self, x):
        xp = self.xp
        idx = self.index
        n = len(self.out)
        lead = x.shape[:x.ndim - n]
        rows = math.prod(lead)
        length = math.prod(self.out)
        flat_idx = idx.reshape(rows, -1)
        if flat_idx.size and (int(flat_idx.min()) < 0 or int(flat_idx.max()) >= length):
            bad = int(flat_idx[(flat_idx < 0) | (flat_idx >= length)][0])  # the first one
            raise RuntimeError(
                f"Found an invalid max index: {bad} (output volumes are of size "
                f"{'x'.join(str(o) for o in self.out)})\n  ember: the indices must come from the "
                "max pool whose output is being unpooled, with the same kernel, stride and "
                "padding")
        y = xp.zeros((rows, length), dtype=x.dtype)
        y[xp.arange(rows)[:, None], flat_idx] = x.reshape(rows, -1)
        return y.reshape(lead + self.out)

    def backward(self, grad):
        return PoolGather(self.index, len(self.out)).apply(grad)
