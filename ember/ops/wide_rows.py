"""Small 2-D convolutions (stride 1, few output channels: LeNet's) by "wide rows", an image at
a time in a compiled loop.

Lay the zero-padded input (Hp x Wp) and the output (Ho x Wo) on one width, Wp: output position
(r, j) is the flat position p = r * Wp + j, and the kernel offset (kh, kw) reads the input at
flat position p + kh * Wp + kw.  For each offset, the values an image's positions read are then
one contiguous run of the padded plane, L = (Ho - 1) * Wp + Wo values long.  The Wp - Wo extra
positions after each output row ("wide" columns) read values that wrap to the next row: their
outputs are dropped, and wherever a gradient is laid out wide it is zero there.

So an image's im2col columns are C * KH * KW runs of L values (LeNet's second convolution:
150 runs of 136 values, against conv.im2col's 1500 runs of 10), and the three ops are conv.py's
products with Wp / Wo more columns, an image (the weight gradient: two) at a time:

    forward          y       = w (O, C*K) @ cols (C*K, L)        extra columns dropped
    input gradient   cols    = w^T (C*K, O) @ grad_wide (O, L)   added back (col2im)
    weight gradient  w^T     = sum over the images of cols @ grad_wide^T

Each op is one loop in _kernels.py (conv_wide, conv_wide_input_grad, conv_wide_weight_grad)
that makes an image's columns, multiplies them with BLAS (NumPy's own, called through
``_kernels.numpy_gemm``'s address; where that is not found, ``np.dot`` compiled by Numba:
SciPy's BLAS; on the calling thread either way) and lays out the result while all of it is in
the core's cache: no columns pass through main memory and no Python runs per image.  A first
layer's few taps (FEW_TAPS) take loops without columns or BLAS.

NOTE (measured, LeNet-5 at batch 64, one thread): the second convolution's forward 0.87 ->
~0.47 ms (im2col's 1500 short runs per image cost more than the product), its input gradient
0.8 -> ~0.5, the first's forward 0.42 -> ~0.33 and weight gradient 0.71 -> ~0.42 (against the
loops without columns they replace); the second's weight gradient 0.37 -> ~0.7, but its
forward no longer makes conv.im2col's columns (0.3 ms) to keep for it.  Made by NumPy calls a
chunk of images at a time instead, the second's forward took ~0.6 ms: each call's Python cost
more than the loops.  (docs/architecture.md, "Wide rows for LeNet's convolutions".)
NOTE (threads): the images go in two halves on two of Numba's threads when two cores are
free and BLAS's own threads are not spinning (``_kernels.in_halves``).  Those threads (GNU
OpenMP's) start a loop in ~3-12 us where ember's helper thread took ~130 us on the AMD EPYC
VMs (a sleeping thread's wake-up, then Python's lock); they spin ~9 ms after it, and
meanwhile the products run on one BLAS thread (``_threads.pool_spinning``), so in a LeNet
step BLAS's threads never wake: its step 0.92-1.01 -> 0.69-0.80x torch's.  (Both pools
spinning at once shared the second core: 16-40 ms a step against 7-9.)

NOTE (inf and NaN): the extra columns meet real input values (the next row's), so a gradient
laid wide multiplies them by 0: an inf there would give NaN where torch has a finite value.
The weight gradient therefore needs a finite input and the input gradient a finite weight;
``weight_grad`` and ``input_grad`` return None otherwise and conv.py computes the op its own
way.  The forward only drops what the extra columns compute.
"""

import numpy as np

from .. import _kernels, _parallel, _threads

__all__ = []

# convolutions with at most this many output channels go by wide rows
# NOTE: with ResNet-18's 64-512 the products are most of the time, and Wp / Wo more columns
# (6-50% on its maps) would cost more than im2col's copies: conv.py and winograd.py keep those
MAX_CHANNELS = 32
# and whose one image's columns take at most this many bytes
# NOTE: measured (forward and both gradients, one thread) against im2col: 1.2-1.8x as fast for
# columns of 0.1-1.4 MB an image (LeNet's, CIFAR-sized nets'), 1.2x at 7.8 MB (112 x 112, 3
# channels, 7 x 7), 1.15x at 15 MB (160 x 160), even at 7 MB (64 x 64, 16 channels, 5 x 5),
# 0.94x at 29 MB (224 x 224, 7 x 7): one image's columns no longer stay in any cache
MAX_IMAGE_BYTES = 16 << 20
# below this many multiply-adds the images all run on the calling thread
SPLIT_WORK = 1e6
# images whose weight-gradient products are one product (their columns side by side)
# NOTE: a product of one image's columns (LeNet's second: 16 x 150 x 136) runs at ~65 billion
# multiply-adds a second in cache, as big ones do, so the forward and the input gradient take
# one image at a time (two or more were no faster); the weight gradient's (150 x 136 x 16,
# summed along the 136) ran at ~40 per image, better with two images a product (more did not
# help)
GROUP_WEIGHT = 2
# convolutions with at most this many taps (C * KH * KW: a first layer's, on 1-3 channels) take
# loops without columns or BLAS for their forward and weight gradient (conv_few_taps,
# conv_few_taps_weight_grad)
# NOTE: BLAS packs its operands for each product, which for so short a sum costs more than the
# sums: LeNet's first convolution (25 taps, 6 x 25 x 892 an image) 18-21 us an image by SciPy's
# OpenBLAS on an AMD EPYC, 5-6.5 by the loop; its weight gradient's (6 x 892 x 25) 20 against 4.5
# (the second's 150 taps: 16 x 150 x 136 about even, so BLAS keeps those)
FEW_TAPS = 32


def takes(geo, in_channels, out_channels, *arrays):
    """True for a 2-D convolution with stride 1, no dilation, one group, at most MAX_CHANNELS
    output channels and an image's columns in at most MAX_IMAGE_BYTES, on C-contiguous
    float32/float64 NumPy arrays the compiled loops take (``_kernels.takes_with_blas``: Numba
    and SciPy installed), none of them empty."""
    if not (len(geo.kernel) == 2 and geo.stride == (1, 1) and geo.dilation == (1, 1)
            and geo.groups == 1 and out_channels <= MAX_CHANNELS
            and all(a.size for a in arrays) and _kernels.takes_with_blas(*arrays)):
        return False
    length = (geo.out_size[0] - 1) * geo.padded_size[1] + geo.out_size[1]
    rows = in_channels * geo.kernel[0] * geo.kernel[1]
    return rows * length * arrays[0].itemsize <= MAX_IMAGE_BYTES


def _in_halves(name, n, args, multiply_adds):
    """The loop ``name`` of _kernels.py for the halves of the images, [0, n // 2) and
    [n // 2, n) (``_kernels.in_halves``): on two of Numba's threads when the work is big enough
    and two cores are free, else one after the other here; BLAS on the calling thread alone
    either way.  (Always the same two halves: a weight gradient, summed per half, has the
    same bits whatever the load.)"""
    _threads.fit_to_load(spins=False)  # (which also finds BLAS)
    if not _threads.one_blas_thread.available():  # (no threadpoolctl: BLAS's threads unknown)
        _kernels.in_halves(name, n, args, split=False)
        return
    wanted = n > 1 and multiply_adds >= SPLIT_WORK and _parallel.cores_free()
    split = wanted and not _threads.blas_spinning()
    with _threads.one_blas_thread:
        _kernels.in_halves(name, n, args, split)
    if wanted and not split:
        _threads.pool_used()  # (the products keep off BLAS's threads, so the next one splits)


def conv(x, w, b, geo):
    """conv.Conv.forward by wide rows (_kernels.conv_wide), the bias added as each output row
    is laid out."""
    n, out_channels = x.shape[0], w.shape[0]
    bias = np.zeros(0, dtype=x.dtype) if b is None else b
    y = np.empty((n, out_channels) + geo.out_size, dtype=x.dtype)
    pad = geo.lo + (geo.padded_size[1],)  # top, left, Wp
    if w[0].size <= FEW_TAPS:
        _in_halves("conv_few_taps", n, (x, w, bias, y) + pad, y.size * w[0].size)
    else:
        gemm = _kernels.numpy_gemm(x.dtype)
        _in_halves("conv_wide", n, (x, w, bias, y) + pad + (gemm,), y.size * w[0].size)
    return y


def weight_grad(x, grad, geo):
    """conv.ConvWeight.forward by wide rows (_kernels.conv_wide_weight_grad): each half's sum,
    then their sum; None when x holds an inf or NaN (see the module's note)."""
    if not np.isfinite(x.sum()):  # (a finite sum that overflows only costs the other way)
        return None
    n, channels = x.shape[:2]
    out_channels = grad.shape[1]
    rows = channels * geo.kernel[0] * geo.kernel[1]
    halves_t = np.empty((2, rows, out_channels), dtype=x.dtype)
    pad = geo.lo + (geo.padded_size[1],)  # top, left, Wp
    args = (x, grad, halves_t) + pad + geo.kernel
    if rows <= FEW_TAPS:
        _in_halves("conv_few_taps_weight_grad", n, args, grad.size * rows)
    else:
        gemm = _kernels.numpy_gemm(x.dtype)
        _in_halves("conv_wide_weight_grad", n, args + (GROUP_WEIGHT, gemm), grad.size * rows)
    w_t = halves_t[0] + halves_t[1]  # (a half of no images holds +0.0)
    return np.ascontiguousarray(w_t.T).reshape((out_channels, channels) + geo.kernel)


def input_grad(grad, w, geo):
    """conv.ConvTranspose.forward by wide rows (_kernels.conv_wide_input_grad); None when the
    weight holds an inf or NaN (see the module's note)."""
    if not np.isfinite(w).all():
        return None
    n = grad.shape[0]
    x = np.empty((n, w.shape[1]) + geo.in_size, dtype=grad.dtype)
    pad = geo.lo + (geo.padded_size[1],)  # top, left, Wp
    args = (grad, w, x) + pad + (_kernels.numpy_gemm(grad.dtype),)
    _in_halves("conv_wide_input_grad", n, args, grad.size * w[0].size)
    return x
