"""The error function family on backend arrays (NumPy has none, and SciPy is no dependency).

    erf(x)    = 2/sqrt(pi) * integral from 0 to x of exp(-t^2) dt
    erfc(x)   = 1 - erf(x)
    erfinv(y) = the x with erf(x) = y

Two formulas cover the real line, each where it converges fast (both reach float64 precision):

    |x| < 1.5   Taylor series   erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    |x| >= 1.5  Laplace's continued fraction
                erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + (2/2)/(x + (3/2)/(x + ...))))

erfinv starts from Winitzki's closed-form guess (relative error below 2e-3) and polishes it with
Halley's method; near |y| = 1 it solves erfc(x) = 1 - |y| instead (1 - |y| is exact there,
erf(x) - |y| would lose the digits).

Everything is computed in float64; the ops cast the result to the tensor's dtype.  How many
terms each formula takes depends on the precision the result needs: a float64 result gets the
full 1e-17, a float32 (or 16-bit) result 1e-10, far below float32's rounding step of 6e-8, with
19 series terms instead of 28 and a fraction of depth 40 instead of 90 (twice as fast).
"""

import math

import numpy as np

_SPLIT = 1.5  # series below, continued fraction above
_SERIES = [2 / math.sqrt(math.pi) * (-1) ** n / (math.factorial(n) * (2 * n + 1))
           for n in range(28)]  # the last term at |x| = 1.5 is below 1e-17 of the sum
_FRACTION_DEPTH = 90  # enough for 1e-16 at x = 1.5 (it converges faster for larger x)
# (series terms, fraction depth) for a result of at most single precision: 1e-10 at x = 1.5
# (erfc(1.5) = 0.034 to 1e-10 relative: depth 40)
_SINGLE = (19, 40)
_WINITZKI_A = 0.147


def exp_minus_square(xp, x):
    """exp(-x^2) for x >= 0 without the rounding error of x^2, which exp would magnify ~x^2
    times: split x = s + (x - s) with s short enough that s^2 is exact."""
    x = xp.minimum(x, 30.0)  # exp(-900) is 0 already; also keeps inf out of inf - inf
    s = xp.trunc(x * 4096) / 4096
    return xp.exp(-s * s) * xp.exp(-(x - s) * (x + s))


def _erf_series(xp, x, single=False):
    """erf(x) for |x| < 1.5: the Taylor series, by Horner's rule in x^2."""
    series = _SERIES[:_SINGLE[0]] if single else _SERIES
    t = x * x
    total = xp.full_like(x, series[-1])
    for c in reversed(series[:-1]):
        total *= t  # in place: this loop is most of erf's time on big arrays
        total += c
    return x * total


def _erfc_fraction(xp, x, single=False):
    """erfc(x) for x >= 1.5 (or NaN): Laplace's continued fraction, evaluated from its tail."""
    x = xp.minimum(x, 30.0)  # erfc(30) underflows to 0; inf would give inf/inf
    k = laplace_denominator(xp, x, _SINGLE[1] if single else _FRACTION_DEPTH)
    return exp_minus_square(xp, x) / (math.sqrt(math.pi) * k)


def laplace_denominator(xp, x, depth=_FRACTION_DEPTH):
    """k = x + (1/2)/(x + (2/2)/(x + ...)) to the given depth, for x >= 1.5, so that
    erfc(x) = exp(-x^2) / (sqrt(pi) k)  (also used alone by erfcx = exp(x^2) erfc(x))."""
    k = x.copy()
    for n in range(depth, 0, -1):
        xp.divide(n / 2, k, out=k)  # k = x + (n/2) / k, in place
        k += x
    return k


# NOTE: NumPy runs the ~20 passes of a series over a big array from memory; a chunk of this
# many float64s (and its temporaries) stays in the CPU's cache: erf of 1M values twice as fast
_CHUNK = 32768


def _in_chunks(fn, xp, x, *args, chunk=_CHUNK):
    """fn(xp, x, *args) computed one cache-sized chunk of x at a time (on NumPy arrays)."""
    if xp is not np or x.size <= chunk:
        return fn(xp, x, *args)
    flat = x.reshape(-1)
    out = np.empty_like(flat)
    for start in range(0, flat.size, chunk):
        out[start:start + chunk] = fn(xp, flat[start:start + chunk], *args)
    return out.reshape(x.shape)


# NOTE: GELU's normal CDF in float32 needs erf only to float32's absolute rounding, and the
# series and fraction above (float64, many passes) were a fifth of a Transformer step.  There
# erf(a) = 1 - exp(-a^2) P(a) / Q(a) for 0 <= a <= 4, with P / Q fitted to exp(a^2) erfc(a)
# (relative error 1.1e-8: scripts/fit_erfc_float32.py makes these numbers), all in float32:
# about 25 passes that NumPy runs with SIMD.  Above 4, erfc(a) < 1.6e-8 and 1 - erfc rounds
# to 1 in float32.
_ERFCX_P = (0.9999999890117566, 0.8663501686864584, 0.36431225448695675, 0.0615932438071944,
            1.1685406515269718e-05)
_ERFCX_Q = (1.0, 1.9947282786165312, 1.6151385555356472, 0.6415052227243583,
            0.1096087881279743)


def erf_float32(xp, z):
    """erf of a float32 array, computed in float32, to an absolute error below 2.4e-7 (two
    rounding units of 1): for 1 + erf, as in GELU's Phi, not for erf of tiny arguments, whose
    relative error this does not bound (ember.erf itself uses the float64 functions above).
    NOTE: in chunks of 65536 (the passes' temporaries stay in cache): twice as fast."""
    return _in_chunks(_erf_float32, xp, z, chunk=65536)


def _erf_float32(xp, z):
    a = xp.minimum(xp.abs(z), np.float32(4))
    numerator = xp.full_like(a, _ERFCX_P[-1])
    for c in _ERFCX_P[-2::-1]:
        numerator *= a
        numerator += np.float32(c)
    denominator = xp.full_like(a, _ERFCX_Q[-1])
    for c in _ERFCX_Q[-2::-1]:
        denominator *= a
        denominator += np.float32(c)
    a *= a
    xp.negative(a, out=a)
    erfc = xp.exp(a, out=a)
    erfc *= numerator
    erfc /= denominator
    return xp.copysign(np.float32(1) - erfc, z)


def erf(xp, x, single=False):
    """erf of a float64 array (to 1e-10 only, when ``single``: for a float32 result)."""
    return _in_chunks(_erf, xp, x, single)


def erfc(xp, x, single=False):
    """erfc of a float64 array (to 1e-10 relative only, when ``single``)."""
    return _in_chunks(_erfc, xp, x, single)


def erfinv(xp, y, single=False):
    """erfinv of a float64 array: +-inf at +-1, NaN outside [-1, 1]."""
    return _in_chunks(_erfinv, xp, y, single)


def _erf(xp, x, single):
    out = xp.empty_like(x)
    small = xp.abs(x) < _SPLIT
    out[small] = _erf_series(xp, x[small], single)
    large = ~small
    x_large = x[large]
    out[large] = xp.copysign(1 - _erfc_fraction(xp, xp.abs(x_large), single), x_large)
    return out


def _erfc(xp, x, single):
    out = xp.empty_like(x)
    small = xp.abs(x) < _SPLIT
    out[small] = 1 - _erf_series(xp, x[small], single)
    large = ~small
    x_large = x[large]
    tail = _erfc_fraction(xp, xp.abs(x_large), single)
    out[large] = xp.where(x_large < 0, 2 - tail, tail)
    return out


def _erfinv(xp, y, single):
    a = xp.abs(y)
    out = xp.where(a == 1, math.inf, math.nan)
    inside = a < 1
    out[inside] = _erfinv_positive(xp, a[inside], single)
    return xp.copysign(out, y)


def _erfinv_positive(xp, a, single):
    """erfinv(a) for 0 <= a < 1."""
    # Winitzki's guess: x^2 = sqrt(b^2 - w/A) - b,  w = ln(1 - a^2),  b = 2/(pi A) + w/2
    w = xp.log((1 - a) * (1 + a))
    b = 2 / (math.pi * _WINITZKI_A) + w / 2
    x = xp.sqrt(xp.sqrt(b * b - w / _WINITZKI_A) - b)
    # Halley's method on r(x) = erf(x) - a, with r' = 2/sqrt(pi) exp(-x^2) and r'' = -2x r':
    # x <- x - r / (r' + x r).  Each step triples the correct digits: 3 steps from 2e-3.
    near_one = a > 0.5
    far = ~near_one
    for _ in range(3):
        r = xp.empty_like(x)
        r[far] = _erf(xp, x[far], single) - a[far]
        r[near_one] = (1 - a[near_one]) - _erfc(xp, x[near_one], single)
        slope = 2 / math.sqrt(math.pi) * exp_minus_square(xp, x)
        x = x - r / (slope + x * r)
    return x
