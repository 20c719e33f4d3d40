"""The arithmetic behind ember's random ops, rounded the way torch's CPU kernels round it.

Random values must match torch's to the last bit, so the rounding of every step matters:

- float64 results call the C library's log/log1p/exp/tan one value at a time (``libm``), since
  NumPy's vectorised versions can differ in the last bit;
- fused multiply-adds (one rounding for ``a * b + c``) are emulated where torch's kernels use them
  (``fma``; for float32 inputs the float64 product is exact, so one cast rounds once);
- float32 Box-Muller uses the single-precision Cephes polynomials for log, sin and cos
  (``log_f32``, ``sincos_f32``), evaluated with fused multiply-adds, as torch's vectorised
  normal fill does.
"""

import math

import numpy as np

f32 = np.float32
f64 = np.float64


def libm(fn, x):
    """``fn`` (a ``math`` function) of each element, as a float64 array of x's shape."""
    return np.fromiter(map(fn, x.ravel().tolist()), dtype=f64, count=x.size).reshape(x.shape)


def fma(a, b, c):
    """a * b + c with one rounding (float64), as a fused multiply-add gives it.

    The product's rounding error is recovered exactly by splitting (Dekker), the sum's by
    Knuth's two-sum, and both are added back before the final rounding.
    """
    a, b, c = np.asarray(a, f64), np.asarray(b, f64), np.asarray(c, f64)
    split = 134217729.0  # 2**27 + 1
    p = a * b
    ta, tb = split * a, split * b
    ah, bh = ta - (ta - a), tb - (tb - b)
    al, bl = a - ah, b - bh
    err = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    bv = s - p
    tail = (p - (s - bv)) + (c - bv)
    with np.errstate(invalid="ignore"):
        out = s + (tail + err)
    return np.where(np.isfinite(p) & np.isfinite(s), out, p + c)


def fma32(a, b, c):
    """a * b + c for float32 values with one rounding (the float64 product of two float32
    values is exact)."""
    return (np.asarray(a, f64) * np.asarray(b, f64) + np.asarray(c, f64)).astype(f32)


def _horner32(x, coefficients):
    y = np.full_like(x, f32(coefficients[0]))
    for c in coefficients[1:]:
        y = fma32(y, x, f32(c))
    return y


_LOG_P = (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
          1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1,
          3.3333331174e-1)


def log_f32(x):
    """Natural log of positive normal float32 values (Cephes' logf).

    x = m * 2**e with m in [sqrt(1/2), sqrt(2)); log x = log m + e log 2, where
    log(1 + t) = t - t^2/2 + t^3 P(t) and log 2 is split in two parts to keep the bits.
    """
    x = np.asarray(x, f32)
    bits = x.view(np.int32)
    e = ((bits >> 23) - 0x7F).astype(f32) + f32(1)
    m = ((bits & ~0x7F800000) | 0x3F000000).view(f32)  # mantissa in [0.5, 1)
    small = m < f32(0.707106781186547524)
    t = (m - f32(1)) + np.where(small, m, f32(0))  # m < sqrt(1/2): use 2m, one less exponent
    e = e - small.astype(f32)
    z = t * t
    y = _horner32(t, _LOG_P) * t
    y = fma32(y, z, e * f32(-2.12194440e-4))
    y = fma32(z, f32(-0.5), y)
    return fma32(e, f32(0.693359375), t + y)


def sincos_f32(x):
    """(sin x, cos x) of non-negative float32 values (Cephes' sinf/cosf).

    x is reduced by the nearest even multiple j of pi/4 (pi/4 in three parts, so the reduction
    keeps the bits); on [-pi/4, pi/4] sin and cos are short polynomials, swapped and signed by j.
    """
    x = np.asarray(x, f32)
    j = (x * f32(1.27323954473516)).astype(np.int32)  # 4 / pi
    j = (j + 1) & ~1
    y = j.astype(f32)
    x = fma32(y, f32(-0.78515625), x)
    x = fma32(y, f32(-2.4187564849853515625e-4), x)
    x = fma32(y, f32(-3.77489497744594108e-8), x)
    z = x * x
    cos = _horner32(z, (2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2)) * z
    cos = fma32(cos, z, -(z * f32(0.5))) + f32(1)
    sin = _horner32(z, (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1)) * z
    sin = fma32(sin, x, x)
    swap = (j & 2) != 0
    sin, cos = np.where(swap, cos, sin), np.where(swap, sin, cos)
    sin = np.where((j & 4) != 0, -sin, sin)
    cos = np.where(((j - 2) & 4) == 0, -cos, cos)
    return sin, cos


def box_muller16(u, double, mean, std):
    """Box-Muller on rows of 16 uniforms: u1 = 1 - u[:8] and u2 = u[8:] give the radius
    r = sqrt(-2 log u1) and the angle 2*pi*u2; the row becomes (r cos, r sin) * std + mean.

    ``double``: in float64 (C library functions); else in float32 (Cephes, fused steps).
    """
    if double:
        r = np.sqrt(-2.0 * libm(math.log, 1.0 - u[:, :8]))
        theta = 2.0 * math.pi * u[:, 8:]
        z = np.concatenate([r * np.cos(theta), r * np.sin(theta)], axis=1)
        return fma(z, std, mean)
    u = u.astype(f32)
    r = np.sqrt(f32(-2) * log_f32(f32(1) - u[:, :8]))
    sin, cos = sincos_f32(f32(2 * math.pi) * u[:, 8:])
    z = np.concatenate([r * cos, r * sin], axis=1)
    return fma32(z, f32(std), f32(mean))
