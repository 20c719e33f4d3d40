"""Fast conversions between float32 and bfloat16 arrays, by bit arithmetic.

bfloat16 is the top half of a float32: the same sign and 8-bit exponent, 7 of the 23 fraction
bits.  NumPy knows it only through ml_dtypes, whose casts run one element at a time; the
conversions here are a few whole-array integer passes over the bit patterns instead.  ember's
casts (``_dtype.cast``) and autocast (which converts every product's inputs and result) use them.
"""

import sys

import numpy as np

from . import _dtype as D
from . import _kernels


def round_to_bfloat16(a):
    """float32 array -> bfloat16 array, rounded to nearest, ties to even (IEEE's rounding).

    bfloat16 is the top 16 bits of a float32.  Adding 0x7FFF plus the lowest kept bit to the
    32-bit pattern, then dropping the low 16 bits, rounds to nearest even: the carry moves into
    the kept bits exactly when the dropped part is above half, or exactly half with an odd
    kept part.  The carry may run into the exponent (that is correct: 1.99999 -> 2.0, the
    largest floats -> inf) but it must not turn a NaN into inf: NaNs are set apart.
    (With Numba, one loop does the same: _kernels.round_to_bfloat16.)"""
    if _kernels.ENABLED and type(a) is np.ndarray and a.flags.c_contiguous:
        out = np.empty(a.size, np.uint16)
        _kernels.round_to_bfloat16(a.view(np.uint32).ravel(), out)
        return out.view(D.bfloat16.np).reshape(a.shape)
    bits = a.view(np.uint32)
    rounded = bits >> 16
    rounded &= 1
    rounded += 0x7FFF
    rounded += bits
    rounded >>= 16
    out = rounded.astype(np.uint16)
    # NOTE: a NaN anywhere makes the maximum NaN: one pass and no mask for the common case
    if a.size and np.isnan(a.max()):  # keep the sign, make it a quiet NaN
        nan = np.isnan(a)
        out = np.where(nan, (bits >> 16).astype(np.uint16) | np.uint16(0x0040), out)
    return out.view(D.bfloat16.np)


def round_in_float32(a, out=None):
    """float32 array -> float32 array of the bfloat16 values it rounds to (as round_to_bfloat16:
    nearest, ties to even, NaNs quiet), into ``out`` if given (``a`` itself is allowed).
    Autocast keeps its casts this way (see bfloat16_view): the float32 copy is what its
    products compute on."""
    if out is None:
        out = np.empty(a.shape, np.float32)
    if (_kernels.ENABLED and type(a) is np.ndarray and a.flags.c_contiguous
            and out.flags.c_contiguous):
        if out is a:
            _kernels.round_to_bfloat16_in_place(a.view(np.uint32).reshape(-1))
        else:
            _kernels.round_to_bfloat16_in_float32(a.view(np.uint32).reshape(-1),
                                                  out.view(np.uint32).reshape(-1))
    else:
        out[...] = widen_bfloat16(round_to_bfloat16(a))
    return out


# the 16-bit word of a float32 pattern that holds its top half (sign, exponent, 7 fraction bits)
_TOP_HALF = 1 if sys.byteorder == "little" else 0


def bfloat16_view(wide):
    """A C-contiguous float32 array that holds bfloat16 values (round_in_float32's), seen as
    the bfloat16 array of those values: the top half of each pattern, a view of the same
    memory (every other 16-bit word), so no second array is written."""
    if wide.ndim == 0:
        return bfloat16_view(wide.reshape(1)).reshape(())
    return wide.view(np.uint16)[..., _TOP_HALF::2].view(D.bfloat16.np)


def float32_base(a):
    """The float32 array that bfloat16 array ``a`` is the bfloat16_view of, or None: then its
    values widen for free (a weight's gradient from MKL, see ops/linalg.py)."""
    wide = a.base
    if (type(wide) is not np.ndarray or wide.dtype != np.float32 or wide.shape != a.shape
            or wide.strides != a.strides or not wide.flags.c_contiguous):
        return None
    if a.__array_interface__["data"][0] != wide.__array_interface__["data"][0] + 2 * _TOP_HALF:
        return None
    return wide


def widen_bfloat16(a):
    """bfloat16 array -> float32 array of the same values: the 16 bits become the top half of
    the float32 pattern (one pass; ml_dtypes' astype takes ~1.6x as long; with Numba one
    loop, half the time again: _kernels.widen_bfloat16)."""
    if _kernels.ENABLED and type(a) is np.ndarray and a.flags.c_contiguous:
        bits = np.empty(a.size, np.uint32)
        _kernels.widen_bfloat16(a.view(np.uint16).ravel(), bits)
        return bits.view(np.float32).reshape(a.shape)
    bits = np.empty(a.shape, np.uint32)
    np.left_shift(a.view(np.uint16), 16, out=bits, dtype=np.uint32)
    return bits.view(np.float32)


def truncate_to_bfloat16(a):
    """float32 array whose values are all bfloat16 values -> bfloat16: the top 16 bits of each
    pattern (NaNs and infinities included), no rounding needed."""
    out = np.empty(a.shape, np.uint16)
    # (one loop, half the time: _kernels.truncate_to_bfloat16)
    if _kernels.ENABLED and type(a) is np.ndarray and a.flags.c_contiguous:
        _kernels.truncate_to_bfloat16(a.reshape(-1).view(np.uint32), out.reshape(-1))
        return out.view(D.bfloat16.np)
    np.right_shift(a.view(np.uint32), 16, out=out, casting="unsafe")
    return out.view(D.bfloat16.np)
