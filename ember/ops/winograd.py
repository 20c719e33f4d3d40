"""Winograd's F(2x2, 3x3): a 3x3 stride-1 convolution with 2.25x fewer multiplications.

Convolving by im2col (conv.py) costs 9 multiply-adds per output value and input channel.
Winograd's minimal filtering computes a 2 x 2 tile of outputs from the 4 x 4 tile d of the
input under it and the 3 x 3 kernel g with 16 products instead of 36:

    Y = A^T [ (G g G^T) * (B^T d B) ] A          (* element by element)

        B^T = [[1,  0, -1,  0],      G = [[1,    0,   0  ],      A^T = [[1, 1,  1,  0],
               [0,  1,  1,  0],           [1/2,  1/2, 1/2],             [0, 1, -1, -1]]
               [0, -1,  1,  0],           [1/2, -1/2, 1/2],
               [0,  1,  0, -1]]           [0,    0,   1  ]]

Summed over input channels, the 16 element-wise products of each tile become 16 matrix
products, one per position (a, b) of the 4 x 4 transformed tile:

    U[ab] = (G g G^T)[a, b]     (out channels, in channels)     the filter transform
    V[ab] = (B^T d B)[a, b]     (in channels, tiles)            the input transform
    M[ab] = U[ab] @ V[ab]       (out channels, tiles)           16 products (BLAS)
    y     = A^T M A per tile                                    the output transform

So a convolution is 16 * (4 / 9) / 4 = 4/9 of im2col's multiply-adds, and the transformed
input is 4x the input where im2col's columns are 9x.  Its two gradients are the same shape:

- the input's gradient of a stride-1 convolution is a convolution of the output's gradient
  with the kernel flipped and its channels swapped, padded by 2 - pad: ``conv`` again;
- the weight's gradient is the transpose of the chain above: the output's gradient tile by
  tile through A (``dM = A dY A^T``), then dU[ab] = dM[ab] @ V[ab]^T and dg = G^T dU G.

The transforms are loops (``_kernels.winograd_input``, ``winograd_output``,
``winograd_grad_output``); ``takes`` says where this file is used: float32, the loops there,
3 x 3 kernels with stride 1, no dilation, one group, padding at most 2 and at least
MIN_CHANNELS channels on both sides (with fewer, the 16 small products cost more than
im2col's one).  float64 keeps im2col's exact order of sums.

NOTE (rounding): the transforms add and subtract a few values (and halve, exactly), so the
result differs from im2col's by a few float32 rounding units of the products' magnitudes, as
two orders of the same sum do; the tests bound the difference by the sums' magnitudes.
NOTE (inf and NaN): a transform mixes a whole tile, so one inf in the input gives inf - inf =
NaN in outputs that never read it.  Each function returns None when any value of its result
is not finite, and the caller then computes the same op by im2col, which gives torch's
infs and NaNs; a finite result never met one.
"""

import numpy as np

from .. import _kernels
from .._parallel import halves, is_big, matmul, scratch

__all__ = []

# the fewest input and output channels a convolution needs for these products to pay
# NOTE: a 3x3 convolution's forward and both gradients (batch 32, 32 x 32, on both threads)
# took 11.8 ms against im2col's 10.9 with 16 channels, 17.4 against 20.7 with 24, 43 against
# 67 with 64; ResNet-18's stages 1.2-1.5x faster
MIN_CHANNELS = 24
FILTER_SPLIT_FLOPS = 1e6


def takes(geo, in_channels, out_channels, *arrays):
    """True when this file computes the convolution of ``geo`` on these NumPy arrays (float32,
    the loops there; any layout: the functions make their inputs contiguous)."""
    return (geo.kernel == (3, 3) and geo.stride == (1, 1) and geo.dilation == (1, 1)
            and geo.groups == 1 and max(geo.lo + geo.hi) <= 2
            and min(in_channels, out_channels) >= MIN_CHANNELS and arrays[0].size > 0
            and _kernels.ENABLED
            and all(type(a) is np.ndarray and a.dtype == np.float32 for a in arrays))


# G (4 x 3) on both sides of a 3 x 3 kernel g at once: (G g G^T)[a, b] = sum over r, c of
# G[a, r] G[b, c] g[r, c], one row (a, b) of this 16 x 9 matrix for each transformed value
G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])
G_BOTH = np.kron(G, G).astype(np.float32)


def filter_transform(w, flip=False):
    """U = G g G^T for every kernel g = w[o, i] of w (O, I, 3, 3): (16, O, I), one matrix
    product.  ``flip``: of each g turned by 180 degrees (its 9 taps in reverse order), as a
    (16, I, O) view: the kernel of the input's gradient."""
    taps = G_BOTH[:, ::-1] if flip else G_BOTH
    u = _filter_product(taps, w.reshape(-1, 9).T).reshape(16, w.shape[0], w.shape[1])
    return u.transpose(0, 2, 1) if flip else u


def _filter_product(a, b):
    """a @ b for the filter transforms: a few MB through 9 x 16 matrices, bound by memory, so
    split over ember's two threads (one BLAS thread each) from 1 MFLOP on.
    NOTE: on BLAS's own threads, its idle thread then spun for ~0.1 s on the second core, and
    the split products and transforms that followed ran at half speed: ResNet-18's step took
    1.3 s instead of ~0.7 (see _threads.blas_spinning)."""
    return matmul(a, b, split_flops=FILTER_SPLIT_FLOPS)


def _tiles(out_size):
    """How many 2 x 2 output tiles cover the output, down and across."""
    return (out_size[0] + 1) // 2, (out_size[1] + 1) // 2


def _input_transform(x, pad, tiles):
    """V (16, I, N * tiles) of x (N, I, H, W), zero-padded by ``pad`` before each dim; in this
    thread's scratch memory."""
    n, channels = x.shape[:2]
    v = scratch((16, channels, n * tiles[0] * tiles[1]), x.dtype, "winograd input")
    halves(channels, lambda lo, hi: _kernels.winograd_input(x, v, *pad, *tiles, lo, hi),
           is_big(v))
    return v


def conv(x, u, pad, out_size):
    """The correlation of x (N, I, H, W), zero-padded by ``pad`` = (top, left), with the
    kernel whose transform is u (16, O, I): y (N, O, *out_size), or None when a value of y is
    not finite."""
    tiles = _tiles(out_size)
    v = _input_transform(np.ascontiguousarray(x), pad, tiles)
    m = scratch((16, u.shape[1], v.shape[2]), x.dtype, "winograd product")
    matmul(u, v, out=m)
    y = np.empty((x.shape[0], u.shape[1]) + tuple(out_size), dtype=x.dtype)
    nonfinite = np.zeros(u.shape[1], dtype=x.dtype)
    halves(u.shape[1],
           lambda lo, hi: _kernels.winograd_output(m, y, *tiles, lo, hi, nonfinite), is_big(m))
    return None if nonfinite.any() else y


def weight_grad(x, grad, pad):
    """The weight's gradient of the convolution of x (N, I, H, W), zero-padded by ``pad``,
    whose output's gradient is ``grad`` (N, O, Ho, Wo): (O, I, 3, 3), or None when a value of
    it is not finite."""
    tiles = _tiles(grad.shape[2:])
    x, grad = np.ascontiguousarray(x), np.ascontiguousarray(grad)  # (a sum's is a broadcast)
    v = _input_transform(x, pad, tiles)
    out_channels = grad.shape[1]
    dm = scratch((16, out_channels, v.shape[2]), x.dtype, "winograd product")
    halves(out_channels,
           lambda lo, hi: _kernels.winograd_grad_output(grad, dm, *tiles, lo, hi), is_big(dm))
    du = matmul(dm, v.transpose(0, 2, 1))  # (16, O, I)
    # dg = G^T dU G for every (o, i): the filter transform's 16 x 9 matrix, transposed
    w = _filter_product(du.reshape(16, -1).T, G_BOTH)
    w = w.reshape(out_channels, x.shape[1], 3, 3)
    return w if np.isfinite(w).all() else None
