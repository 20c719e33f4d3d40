"""Convolution primitives: convolution, its two gradients, and unfold/fold (im2col/col2im).

One trilinear form ties the convolution ops together.  For input x (N, C, *in_size), weight
w (O, C/groups, *kernel) and an output-shaped y (N, O, *out_size):

    T(x, w, y) = sum  y[n, o, p] * w[o, c, k] * x_padded[n, g*C/groups + c, p*stride + k*dilation]

(p runs over output positions, k over kernel offsets, o over the out channels of group g).
Its three partial derivatives are the three primitives of this file, and each one's gradient
is made of the other two, so backward is written with these ops and double backward works:

    Conv(x, w)           = dT/dy   the convolution itself (plus an optional bias)
    ConvTranspose(y, w)  = dT/dx   the gradient of a convolution w.r.t. its input; with the
                                   weight read as (in, out/groups, *kernel) it is also the
                                   transposed convolution that users call
    ConvWeight(x, y)     = dT/dw   the gradient of a convolution w.r.t. its weight

All three use im2col: a strided view (``as_strided``) of the zero-padded input holds, for every
output position, the window the kernel sees; copying it gives ``cols`` (groups, C/groups *
prod(kernel), N * out positions) and the convolution becomes one matmul per group.  col2im (the
opposite, used by ConvTranspose) adds the columns back, one kernel offset at a time.
Special cases go by loops (_kernels.py, named where they are chosen), float32 3x3
convolutions with stride 1 and 24 or more channels (ResNet's) by Winograd's F(2x2, 3x3) in
winograd.py (2.25x fewer multiplications), and 2-D stride-1 convolutions with few output
channels (LeNet's) by "wide rows" in wide_rows.py, one image at a time: all three ops each.
"""

import math

import numpy as _np

from .. import _kernels
from .._parallel import contiguous, copy_into, halves, is_big, matmul, scratch
from ..autograd.function import Node
from ..autograd.grad_mode import state as _grad_state
from . import wide_rows, winograd

__all__ = []


class Geometry:
    """How a convolution slides: kernel, stride, dilation, zero padding on each side (lo, hi),
    groups, and the spatial sizes of its input and output (tuples, one entry per dim)."""

    __slots__ = ("kernel", "stride", "dilation", "lo", "hi", "groups", "in_size", "out_size")

    def __init__(self, kernel, stride, dilation, lo, hi, groups, in_size, out_size=None):
        self.kernel = tuple(kernel)
        self.stride = tuple(stride)
        self.dilation = tuple(dilation)
        self.lo = tuple(lo)
        self.hi = tuple(hi)
        self.groups = groups
        self.in_size = tuple(in_size)
        if out_size is None:
            out_size = conv_output_size(in_size, kernel, stride, dilation, lo, hi)
        self.out_size = tuple(out_size)

    @property
    def padded_size(self):
        return tuple(i + a + b for i, a, b in zip(self.in_size, self.lo, self.hi))


def conv_output_size(in_size, kernel, stride, dilation, lo, hi):
    """floor((in + lo + hi - dilation * (kernel - 1) - 1) / stride) + 1 per spatial dim."""
    return tuple((i + a + b - d * (k - 1) - 1) // s + 1
                 for i, k, s, d, a, b in zip(in_size, kernel, stride, dilation, lo, hi))


# ---------------------------------------------------------------------------- im2col / col2im
#
# NOTE: the columns are laid out group-major, (groups, Cg * K, N * P): then each product of
# the weight and the columns is one large matrix product per group, batch included (a
# per-sample layout would need N small products, and for the weight gradient a sum of N
# weight-sized partial results).

def _padded(xp, x, geo):
    """x (N, C, *in_size) with geo.lo zeros before and geo.hi zeros after each spatial dim."""
    if not any(geo.lo) and not any(geo.hi):
        return x
    out = xp.zeros(x.shape[:2] + geo.padded_size, dtype=x.dtype)
    inside = out[(slice(None), slice(None)) + _inside(geo)]
    if xp is _np:
        copy_into(inside, x)  # two threads when it pays (ember/_parallel.py)
    else:
        inside[...] = x
    return out


def _inside(geo):
    """The slices of a padded array that hold the unpadded input."""
    return tuple(slice(a, a + i) for a, i in zip(geo.lo, geo.in_size))


def im2col(xp, x, geo, scratch=True):
    """cols[g, (c, k), (n, p)] = x_padded[n, g*Cg + c, p*stride + k*dilation]
    as a contiguous array (groups, Cg * prod(kernel), N * prod(out_size)).
    NOTE: on the CPU the array is the thread's scratch buffer (see _scratch): use it at once
    (``scratch=False``: a new array, to keep)."""
    xpad = _padded(xp, x, geo)
    n, channels = x.shape[:2]
    groups = geo.groups
    cg = channels // groups
    s_n, s_c = xpad.strides[:2]
    s_spatial = xpad.strides[2:]
    shape = (groups, cg) + geo.kernel + (n,) + geo.out_size
    strides = ((s_c * cg, s_c) + tuple(s * d for s, d in zip(s_spatial, geo.dilation)) + (s_n,)
               + tuple(s * st for s, st in zip(s_spatial, geo.stride)))
    windows = xp.lib.stride_tricks.as_strided(xpad, shape, strides)
    cols = _scratch(xp, shape, x.dtype) if scratch else xp.empty(shape, dtype=x.dtype)
    if _stride_one_2d(geo) and _kernels.takes(xpad, float64=True):  # rows: one loop
        rows = cols.reshape(shape[1:])
        halves(channels, lambda lo, hi: _kernels.im2col_rows(xpad, rows, lo, hi), is_big(cols))
    elif xp is _np:  # the copy in two halves of the channels, on two threads when it pays
        axis = 1 if cg > 1 else 1 + len(geo.kernel)  # one channel (LeNet's first): the batch

        def copy(lo, hi):
            part = (slice(None),) * axis + (slice(lo, hi),)
            cols[part] = windows[part]

        halves(shape[axis], copy, is_big(cols))
    else:
        cols[...] = windows
    return cols.reshape(groups, cg * math.prod(geo.kernel), n * math.prod(geo.out_size))


def _scratch(xp, shape, dtype):
    """An uninitialised array for columns that live only inside one forward: on the CPU the
    thread's reused buffer (``_parallel.scratch``: fresh arrays this size cost a page fault
    per page, as much as the copy itself); CuPy has its own memory pool."""
    if xp is not _np:
        return xp.empty(shape, dtype=dtype)
    return scratch(shape, dtype)


def col2im(xp, cols, geo, channels, n):
    """The adjoint of im2col: every column entry is added back to the input position it was
    read from (one kernel offset at a time), then the padding is cut off.
    cols (groups, Cg * prod(kernel), N * P) -> x (N, channels, *in_size)."""
    cols = cols.reshape((channels,) + geo.kernel + (n,) + geo.out_size)
    # NOTE: summed channel-major, (C, N, *padded), the layout of cols; transposed once at the end
    xpad = xp.zeros((channels, n) + geo.padded_size, dtype=cols.dtype)

    def add_back(lo, hi):  # the channels lo .. hi-1
        for offset in _offsets(geo.kernel):
            # the positions this kernel offset reads: offset*dilation + p*stride for each p
            target = tuple(slice(k * d, k * d + s * (o - 1) + 1, s)
                           for k, d, s, o in zip(offset, geo.dilation, geo.stride, geo.out_size))
            xpad[(slice(lo, hi), slice(None)) + target] += cols[(slice(lo, hi),) + offset]

    if _rows_2d(geo) and _kernels.takes(cols, float64=True):  # rows: one loop
        halves(channels, lambda lo, hi: _kernels.col2im_rows(cols, xpad, lo, hi, *geo.stride),
               is_big(cols))
    elif xp is _np:
        halves(channels, add_back, is_big(cols))  # two threads when it pays (_parallel.py)
    else:
        add_back(0, channels)
    return _contiguous(xp, xpad[(slice(None), slice(None)) + _inside(geo)].swapaxes(0, 1))


# a batch is convolved a few images at a time when the weight has fewer rows (output channels
# per group) than FEW_ROWS and its columns would not stay in the core's cache but this many
# bytes of them (four images or more) would
CHUNK_BYTES = 512 * 1024
FEW_ROWS = 16


def _batch_chunks(xp, x, geo, rows):
    """[(lo, hi), ...]: the batch in runs of images whose columns fit in CHUNK_BYTES, or None
    to take the whole batch at once (always, for a weight of ``rows`` >= FEW_ROWS rows).

    NOTE (cache blocking): a product whose weight has few rows reads each column entry a few
    times only, so with the columns in main memory it runs at memory speed: LeNet's first
    convolution (6 rows; 5 MB of columns for 64 images, made then read once) took ~1.0 ms
    forward and as long for its weight gradient.  Eight images at a time, the columns are
    still in cache when the product reads them: ~0.4 ms each.  With more rows the product
    hides memory, and chunks would only cost: ResNet-18's first convolution (64 rows, 3.5 MB
    of columns) in chunks made its step 1.28x as long (small products on BLAS's threads, which
    then spin and keep ember's two-thread passes off, see _parallel.py)."""
    if xp is not _np or rows >= FEW_ROWS:
        return None
    n, channels = x.shape[:2]
    per_image = (channels * math.prod(geo.kernel) * math.prod(geo.out_size)
                 * x.dtype.itemsize)
    images = CHUNK_BYTES // max(per_image, 1)
    if images < 4 or images >= n:
        return None
    return [(lo, min(n, lo + images)) for lo in range(0, n, images)]


def _transposed(w_t):
    """w_t (groups, K, O) as (groups, O, K): C-contiguous by _kernels.transpose_rows where it
    takes the array (the weight's gradient then reaches the engine and the optimizer laid out
    as the weight: ResNet-18's last ones, 9.4 MB, took 7 ms to copy from the transposed view),
    else the transposed view."""
    if not _kernels.takes(w_t, float64=True):
        return w_t.transpose(0, 2, 1)
    out = _np.empty((w_t.shape[0], w_t.shape[2], w_t.shape[1]), dtype=w_t.dtype)
    for g in range(w_t.shape[0]):
        halves(w_t.shape[1], lambda lo, hi, g=g: _kernels.transpose_rows(w_t[g], out[g], lo, hi),
               is_big(out))
    return out


def _rows_2d(geo):
    """A 2-D convolution with no dilation and one group: col2im adds each image's plane row by
    row (_kernels.col2im_rows), any stride.
    NOTE: im2col keeps NumPy's strided copy for strides above 1 (its row loop made ResNet-18's
    step 1.07x as long: the strided gathers); col2im's loop is 1.6-2.1x as fast there."""
    return len(geo.kernel) == 2 and geo.dilation == (1, 1) and geo.groups == 1


def _stride_one_2d(geo):
    """A 2-D convolution with stride 1, no dilation and one group: where each output row's
    window rows are contiguous runs of the input's (_kernels.im2col_rows)."""
    return _rows_2d(geo) and geo.stride == (1, 1)


# a convolution keeps its input's columns for the weight's gradient (instead of making them
# again in backward) when they take at most this many bytes and the graph is recorded
# NOTE: LeNet's second convolution's columns are 3.8 MB, half a millisecond to make.  With
# Winograd (winograd.py) ResNet-18's im2col convolutions are its first and its three stride-2
# ones (columns of 3.5, 19, 9.4 and 4.7 MB: ~33 MB held from forward to backward at batch
# 32): keeping them saved ~9 ms of ~0.65 s a step (A/B 0.96-0.99, four runs); its other
# convolutions' columns (37-75 MB at batch 32) would be too much memory to hold
KEEP_COLUMNS = 20 << 20


def _keeps_columns(xp, x, geo):
    """True when Conv.forward keeps the columns it makes (KEEP_COLUMNS; CPU, grad mode on)."""
    if xp is not _np or not _grad_state.enabled:
        return False
    size = x.shape[0] * x.shape[1] * math.prod(geo.kernel) * math.prod(geo.out_size)
    return size * x.dtype.itemsize <= KEEP_COLUMNS


def _matmul(xp, a, b, out=None):
    """a @ b, on ember's two threads when big (ember/_parallel.py), else on BLAS's."""
    if xp is _np:
        return matmul(a, b, out=out)
    return xp.matmul(a, b, out=out)


def _contiguous(xp, a):
    """ascontiguousarray, on two threads for a big NumPy array (ember/_parallel.py)."""
    return contiguous(a) if xp is _np else xp.ascontiguousarray(a)


def _offsets(kernel):
    """Every kernel offset (k1, k2, ...), last dim fastest."""
    offsets = [()]
    for size in kernel:
        offsets = [o + (k,) for o in offsets for k in range(size)]
    return offsets


def _grouped_weight(w, groups):
    """w (O, Cg, *kernel) as (groups, O / groups, Cg * prod(kernel)) for the matmul."""
    return w.reshape(groups, w.shape[0] // groups, math.prod(w.shape[1:]))


def _group_major(xp, y, groups):
    """y (N, O, *spatial) as (groups, O / groups, N * P), the layout of cols."""
    n, channels = y.shape[:2]
    positions = math.prod(y.shape[2:])
    y = y.reshape(n, groups, channels // groups, positions).transpose(1, 2, 0, 3)
    return _contiguous(xp, y).reshape(groups, channels // groups, n * positions)


def _batch_major(xp, y, n, spatial):
    """The opposite of _group_major: (groups, O / groups, N * P) -> (N, O, *spatial)."""
    groups, per_group = y.shape[:2]
    y = y.reshape(groups * per_group, n, math.prod(spatial)).swapaxes(0, 1)
    return _contiguous(xp, y).reshape((n, groups * per_group) + tuple(spatial))


# ---------------------------------------------------------------------------- the three ops

class Conv(Node):
    """y[n, o, p] = b[o] + sum_{c, k} w[o, c, k] * x_padded[n, g*Cg + c, p*stride + k*dilation]
    (o in group g).  Gradients, from the trilinear form T(x, w, y) of this file:
    grad_x = ConvTranspose(grad, w), grad_w = ConvWeight(x, grad), grad_b = sum of grad over
    the batch and spatial dims."""

    backward_rounds_once = True  # one convolution per input; the bias: one sum

    _name = "ConvolutionBackward0"
    cols = None  # x's columns, when forward keeps them for the weight's gradient

    def __init__(self, geo):
        self.geo = geo

    def forward(self, x, w, b=None):
        geo = self.geo
        self.save(x, w)
        y = None
        if winograd.takes(geo, w.shape[1], w.shape[0], x, w):  # 3x3, stride 1 (winograd.py)
            y = winograd.conv(x, winograd.filter_transform(w), geo.lo, geo.out_size)
        elif wide_rows.takes(geo, w.shape[1], w.shape[0], x, w, *(() if b is None else (b,))):
            return wide_rows.conv(x, w, b, geo)  # (the bias added in the same pass)
        if y is None:  # (or Winograd's result held an inf or NaN)
            y = self._tap_by_tap(x, w)
        if b is not None:
            y += b.reshape((-1,) + (1,) * len(geo.out_size))
        return y.astype(x.dtype, copy=False)  # NumPy hands a bfloat16 product back as float32

    def _tap_by_tap(self, x, w):
        """The convolution as the formula above sums it, every tap's product: by a loop for a
        few taps, else by im2col and one product (or a few, for a few images at a time)."""
        xp, geo = self.xp, self.geo
        weight = _grouped_weight(w, geo.groups)
        chunks = _batch_chunks(xp, x, geo, w.shape[0] // geo.groups)
        if chunks is None:
            keep = _keeps_columns(xp, x, geo)
            cols = im2col(xp, x, geo, scratch=not keep)
            if keep:
                self.cols = cols  # for the weight's gradient (KEEP_COLUMNS)
            y = _matmul(xp, weight, cols)  # (groups, O / groups, N * P)
            return _batch_major(xp, y, x.shape[0], geo.out_size)
        # a few images at a time, their columns in cache (see _batch_chunks)
        y = xp.empty((x.shape[0], w.shape[0]) + geo.out_size, dtype=x.dtype)
        for lo, hi in chunks:
            part = _matmul(xp, weight, im2col(xp, x[lo:hi], geo))
            y[lo:hi] = part.reshape((w.shape[0], hi - lo) + geo.out_size).swapaxes(0, 1)
        return y

    def backward(self, grad):
        x, w = self.saved
        needs = self.needs_input_grad
        grad_x = ConvTranspose(self.geo).apply(grad, w) if needs[0] else None
        grad_w = ConvWeight(self.geo, w.shape, self.cols).apply(x, grad) if needs[1] else None
        if len(needs) == 2:
            return grad_x, grad_w
        grad_b = grad.sum([0] + list(range(2, grad.ndim))) if needs[2] else None
        return grad_x, grad_w, grad_b


class ConvTranspose(Node):
    """x[n, g*Cg + c, q] = sum over (o, k, p) with q = p*stride + k*dilation - lo of
    w[o, c, k] * y[n, o, p]   (+ b[g*Cg + c]):  every input value spreads through the kernel.
    It is dT/dx, the input gradient of Conv, and torch's transposed convolution.
    Gradients: grad_y = Conv(grad, w), grad_w = ConvWeight(grad, y), grad_b = sum of grad."""

    backward_rounds_once = True  # one convolution per input; the bias: one sum

    _name = "ConvolutionBackward0"

    def __init__(self, geo):
        self.geo = geo

    def forward(self, y, w, b=None):
        geo = self.geo
        self.save(y, w)
        x = None
        if winograd.takes(geo, w.shape[1], w.shape[0], y, w):  # 3x3, stride 1 (winograd.py)
            # a convolution of y by the kernel turned 180 degrees, padded by 2 - pad
            pad = tuple(2 - lo for lo in geo.lo)
            x = winograd.conv(y, winograd.filter_transform(w, flip=True), pad, geo.in_size)
        elif wide_rows.takes(geo, w.shape[1], w.shape[0], y, w):  # few channels (wide_rows.py)
            x = wide_rows.input_grad(y, w, geo)
        if x is None:  # (or the weight held an inf or NaN)
            x = self._columns(y, w)
        if b is not None:
            x += b.reshape((-1,) + (1,) * len(geo.in_size))
        return x

    def _columns(self, y, w):
        xp, geo = self.xp, self.geo
        groups = geo.groups
        y_cols = _group_major(xp, y, groups)  # (groups, O / groups, N * P)
        w_t = _grouped_weight(w, groups).transpose(0, 2, 1)
        cols = _scratch(xp, w_t.shape[:2] + y_cols.shape[2:], y.dtype)
        _matmul(xp, w_t, y_cols, out=cols)
        return col2im(xp, cols, geo, w.shape[1] * groups, y.shape[0])

    def backward(self, grad):
        y, w = self.saved
        needs = self.needs_input_grad
        grad_y = Conv(self.geo).apply(grad, w) if needs[0] else None
        grad_w = ConvWeight(self.geo, w.shape).apply(grad, y) if needs[1] else None
        if len(needs) == 2:
            return grad_y, grad_w
        grad_b = grad.sum([0] + list(range(2, grad.ndim))) if needs[2] else None
        return grad_y, grad_w, grad_b


class ConvWeight(Node):
    """w[o, c, k] = sum_{n, p} y[n, o, p] * x_padded[n, g*Cg + c, p*stride + k*dilation]
    (dT/dw: the weight gradient of Conv, a correlation of the input with the output grad).
    Gradients: grad_x = ConvTranspose(y, grad), grad_y = Conv(x, grad)."""

    def __init__(self, geo, weight_shape, cols=None):
        self.geo = geo
        self.weight_shape = tuple(weight_shape)
        self.cols = cols  # x's columns, kept by the convolution's forward (or None)

    def forward(self, x, y):
        xp, geo = self.xp, self.geo
        self.save(x, y)
        if winograd.takes(geo, x.shape[1], y.shape[1], x, y):  # 3x3, stride 1 (winograd.py)
            w = winograd.weight_grad(x, y, geo.lo)
            if w is not None:  # (None: it held an inf or NaN)
                return w
        if wide_rows.takes(geo, x.shape[1], y.shape[1], x, y):  # few channels (wide_rows.py)
            w = wide_rows.weight_grad(x, y, geo)
            if w is not None:  # (None: x held an inf or NaN)
                return w
        # NOTE: w = y_cols @ cols^T, computed as (cols @ y_cols^T)^T: the same products, but
        # OpenBLAS splits the long N * P sum far better with the weight's Cg * K rows first
        # (ResNet-18's first stage: 66 against 82 ms on one thread, 73 against 276 ms on two)
        w_t = None  # (groups, Cg * K, O / groups)
        rows = self.weight_shape[0] // geo.groups
        chunks = _batch_chunks(xp, x, geo, rows) or [(0, x.shape[0])]
        for lo, hi in chunks:
            if self.cols is not None and len(chunks) == 1:
                cols = self.cols  # made by the forward from the same x
            else:
                cols = im2col(xp, x[lo:hi], geo)  # (groups, Cg * K, images * P)
            y_cols = _group_major(xp, y[lo:hi], geo.groups)  # (groups, O / groups, images * P)
            part = _matmul(xp, cols, y_cols.transpose(0, 2, 1))
            if w_t is None:
                w_t = part
            else:  # the chunks' sums added in batch order: the same bits whatever the load
                w_t += part
        w = _transposed(w_t)
        return w.reshape(self.weight_shape).astype(x.dtype, copy=False)  # bfloat16: see Conv

    def backward(self, grad):
        x, y = self.saved
        needs = self.needs_input_grad
        grad_x = ConvTranspose(self.geo).apply(y, grad) if needs[0] else None
        grad_y = Conv(self.geo).apply(x, grad) if needs[1] else None
        return grad_x, grad_y


# ---------------------------------------------------------------------------- unfold / fold

class Unfold(Node):
    """cols[n, (c, k), p] = x_padded[n, c, p*stride + k*dilation]   (im2col, torch's unfold)
    grad_x = Fold(grad): every column entry's gradient goes back to where it was read."""

    _name = "Im2ColBackward0"

    def __init__(self, geo):
        self.geo = geo

    def forward(self, x):
        cols = im2col(self.xp, x, self.geo)  # (1, C * K, N * P), in the scratch buffer
        cols = cols.reshape(cols.shape[1], x.shape[0], math.prod(self.geo.out_size))
        cols = cols.swapaxes(0, 1)
        return cols.copy(order="C")  # NOTE: always a copy: the scratch buffer is reused

    def backward(self, grad):
        return Fold(self.geo).apply(grad)


class Fold(Node):
    """x[n, c, q] = sum of cols[n, (c, k), p] over the (k, p) with p*stride + k*dilation - lo = q
    (col2im, torch's fold: overlapping blocks are summed).   grad_cols = Unfold(grad)."""

    _name = "Col2ImBackward0"

    def __init__(self, geo):
        self.geo = geo

    def forward(self, cols):
        n, rows, blocks = cols.shape
        cols = self.xp.ascontiguousarray(cols.swapaxes(0, 1)).reshape(1, rows, n * blocks)
        return col2im(self.xp, cols, self.geo, rows // math.prod(self.geo.kernel), n)

    def backward(self, grad):
        return Unfold(self.geo).apply(grad)
