"""torch.special's Bessel functions that have no derivative in torch (the results carry no
gradient, as there): modified_bessel_i0/i1, spherical_bessel_j0, J0/J1/Y0/Y1, K0/K1 and
the Airy function Ai.

Each is computed in float64 and rounded once to the result dtype (integers give the default
float).  modified_bessel_i0/i1 are the values of ember.i0 and ember.special.i1 (the same
numerics, _gamma.i0/i1), without their gradients.
"""

import decimal
import functools
import math

import numpy as np

from .. import _dtype as D
from .._random_math import fma
from .._tensor import Tensor
from . import _gamma
from .binary import write_out as _out

__all__ = ["modified_bessel_i0", "modified_bessel_i1", "spherical_bessel_j0", "bessel_j0",
           "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_k0", "modified_bessel_k1",
           "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "airy_ai"]

_EULER_GAMMA = 0.5772156649015329
_ASYMPTOTIC_FROM = 25.0  # Miller's recurrence below, Hankel's expansion above
_MILLER_START = 70  # even; far enough above x < 25 that the start's error has died out
_TINY = 1e-5  # below, two terms of the power series are exact to float64


def _hankel(x, order):
    """J_v and Y_v (v = 0, 1) for x >= 25 by Hankel's asymptotic expansion
        J_v = sqrt(2 / (pi x)) (P cos c - Q sin c),  Y_v = sqrt(2 / (pi x)) (P sin c + Q cos c),
    c = x - (v/2 + 1/4) pi, P = sum_k (-1)^k a_2k / x^2k, Q = sum_k (-1)^k a_(2k+1) / x^(2k+1),
    a_k = (4v^2 - 1)(4v^2 - 9) ... (4v^2 - (2k-1)^2) / (k! 8^k).  At x >= 25 the terms fall
    below 1e-17 long before they would start to grow.  cos c and sin c come from cos x and
    sin x (exact for any x) rather than from the rounded x - (v/2 + 1/4) pi."""
    mu = 4 * order * order
    p = np.ones_like(x)
    q = np.zeros_like(x)
    term = np.ones_like(x)
    for k in range(1, 30):
        term = term * (mu - (2 * k - 1) ** 2) / (k * 8 * x)
        if k % 2 == 1:
            q = q + (-1) ** (k // 2) * term
        else:
            p = p + (-1) ** (k // 2) * term
    cos_x, sin_x = np.cos(x), np.sin(x)
    half = math.sqrt(0.5)
    if order == 0:  # c = x - pi/4
        cos_c, sin_c = (cos_x + sin_x) * half, (sin_x - cos_x) * half
    else:  # c = x - 3 pi/4
        cos_c, sin_c = (sin_x - cos_x) * half, -(sin_x + cos_x) * half
    scale = np.sqrt(2 / (math.pi * x))
    return scale * (p * cos_c - q * sin_c), scale * (p * sin_c + q * cos_c)


def _miller(x):
    """J0, J1, Y0 and Y1 for 0 < x < 25 by Miller's backward recurrence: f_(k-1) = (2k/x) f_k -
    f_(k+1) from f_71 = 0, f_70 = 1e-30 gives numbers proportional to J_k(x) (the recurrence is
    stable downwards), scaled by the sum J0 + 2 (J2 + J4 + ...) = 1.  Then
        Y0 = 2/pi (log(x/2) + gamma) J0 - 4/pi sum_(k>=1) (-1)^k J_2k / k,
    and Y1 = -Y0' (with J0' = -J1, J_2k' = (J_(2k-1) - J_(2k+1)) / 2):
        Y1 = 2/pi ((log(x/2) + gamma) J1 - J0 / x + sum_(k>=1) (-1)^k (J_(2k-1) - J_(2k+1)) / k).
    The running values are scaled down whenever they pass 1e200 (for small x they grow by
    2k/x per step)."""
    above = np.zeros_like(x)
    f = np.full_like(x, 1e-30)
    even_sum = np.zeros_like(x)  # f_2 + f_4 + ...
    y_sum = np.zeros_like(x)  # sum (-1)^k f_2k / k
    y1_sum = np.zeros_like(x)  # sum (-1)^k (f_(2k-1) - f_(2k+1)) / k
    for k in range(_MILLER_START, 0, -1):
        if k % 2 == 0:
            even_sum = even_sum + f
            y_sum = y_sum + (-1) ** (k // 2) * f / (k // 2)
        else:  # f_k is J_(2j-1) for j = (k+1)/2 and J_(2j+1) for j = (k-1)/2
            j = (k + 1) // 2
            weight = (-1) ** j / j - ((-1) ** (j - 1) / (j - 1) if j > 1 else 0.0)
            y1_sum = y1_sum + weight * f
        below = (2 * k / x) * f - above
        above, f = f, below  # now f = f_(k-1)
        big = np.abs(f) > 1e200
        if big.any():
            shrink = np.where(big, 1e-200, 1.0)
            f, above, even_sum = f * shrink, above * shrink, even_sum * shrink
            y_sum, y1_sum = y_sum * shrink, y1_sum * shrink
    f1 = above
    norm = f + 2 * even_sum
    j0, j1 = f / norm, f1 / norm
    log_term = np.log(x / 2) + _EULER_GAMMA
    y0 = 2 / math.pi * log_term * j0 - 4 / math.pi * y_sum / norm
    y1 = 2 / math.pi * (log_term * j1 - j0 / x + y1_sum / norm)
    return j0, j1, y0, y1


def _bessel(x):
    """(J0, J1, Y0, Y1) of a float64 array: the power series below 1e-5, Miller's
    recurrence below 25, Hankel's expansion above; J0 is even, J1 odd, Y0 and Y1 are -inf at 0
    and NaN below it; all four are NaN at +-inf, as torch (the limit is 0)."""
    ax = np.abs(x)
    finite = np.isfinite(ax)
    small = ax < _TINY
    far = (ax >= _ASYMPTOTIC_FROM) & finite
    middle = ~small & ~far & finite
    j0, j1, y0, y1 = (np.empty_like(ax) for _ in range(4))
    # power series: J0 = 1 - x^2/4, J1 = x/2 (1 - x^2/8), Y0 = 2/pi ((log(x/2) + gamma) J0 + x^2/4),
    # Y1 = -2/(pi x) + x/pi (log(x/2) + gamma) - x/(2 pi)
    t = ax[small]
    log_term = np.log(t / 2) + _EULER_GAMMA
    j0[small] = 1 - t * t / 4
    j1[small] = t / 2 * (1 - t * t / 8)
    y0[small] = 2 / math.pi * (log_term * j0[small] + t * t / 4)
    y1[small] = np.where(t == 0, -math.inf,
                         -2 / (math.pi * t) + t / math.pi * log_term - t / (2 * math.pi))
    if middle.any():
        j0[middle], j1[middle], y0[middle], y1[middle] = _miller(ax[middle])
    if far.any():
        j0[far], y0[far] = _hankel(ax[far], 0)
        j1[far], y1[far] = _hankel(ax[far], 1)
    for values in (j0, j1, y0, y1):
        values[~finite] = math.nan  # torch's value at +-inf; NaN stays NaN
    j1 = np.where(x < 0, -j1, j1)
    y0 = np.where(x < 0, math.nan, y0)
    y1 = np.where(x < 0, math.nan, y1)
    return j0, j1, y0, y1


def _no_gradient(name, fn, input, out):
    """fn(float64 array) for a real tensor, rounded once, wrapped without a gradient."""
    if input.dtype.category == D.COMPLEX:
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{input.dtype._short}'")
    dtype = input.dtype if input.dtype.category == D.FLOAT else D.get_default_dtype()
    with np.errstate(all="ignore"):
        values = fn(input._data.astype(np.float64))
    result = Tensor._make(np.asarray(values).astype(D.to_numpy_dtype(dtype)), input.device)
    return _out(result, out, name)


def _spherical_j0(x):
    """j0(x) = sin(x) / x: 1 at 0, 0 at +-inf (sin(x) is exact to its last digits for small x,
    so no series is needed there)."""
    safe = np.where((x == 0) | np.isinf(x), 1.0, x)
    value = np.sin(safe) / safe
    value = np.where(x == 0, 1.0, value)
    return np.where(np.isinf(x), 0.0, value)


def modified_bessel_i0(input, *, out=None):
    """The modified Bessel function of the first kind I0(input). Same as torch.special's (NaN
    at +-inf, as there)."""
    return _out_i("modified_bessel_i0", _gamma.i0, input, out)


def modified_bessel_i1(input, *, out=None):
    """The modified Bessel function of the first kind I1(input). Same as torch.special's."""
    return _out_i("modified_bessel_i1", _gamma.i1, input, out)


def _out_i(name, fn, input, out):
    return _no_gradient(name, lambda x: fn(np, x), input, out)


def spherical_bessel_j0(input, *, out=None):
    """The spherical Bessel function of the first kind j0(input) = sin(input) / input. Same as
    torch.special's."""
    return _no_gradient("spherical_bessel_j0", _spherical_j0, input, out)


def bessel_j0(input, *, out=None):
    """The Bessel function of the first kind J0(input). Same as torch.special's."""
    return _no_gradient("bessel_j0", lambda x: _bessel(x)[0], input, out)


def bessel_j1(input, *, out=None):
    """The Bessel function of the first kind J1(input). Same as torch.special's."""
    return _no_gradient("bessel_j1", lambda x: _bessel(x)[1], input, out)


def bessel_y0(input, *, out=None):
    """The Bessel function of the second kind Y0(input) (-inf at 0, NaN below). Same as
    torch.special's."""
    return _no_gradient("bessel_y0", lambda x: _bessel(x)[2], input, out)


def bessel_y1(input, *, out=None):
    """The Bessel function of the second kind Y1(input) (-inf at 0, NaN below). Same as
    torch.special's."""
    return _no_gradient("bessel_y1", lambda x: _bessel(x)[3], input, out)


# ---------------------------------------------------------------------------- K0, K1

_K_SERIES_BELOW = 2.0  # power series below, the integral up to 25, Hankel's expansion above
_K_STEP = 0.1  # trapezoid step in t
_K_POINTS = 80  # t up to 8: x (cosh t - 1) > 2900 at x >= 2, e^-2900 is 0


def _k_series(x):
    """K0, K1 for 0 < x <= 2 from the power series of I0, I1 and their log terms:
        K0 = -log(x/2) I0 + sum_k psi(k+1) (x^2/4)^k / (k!)^2,
        K1 = 1/x + log(x/2) I1 - x/4 sum_k (psi(k+1) + psi(k+2)) (x^2/4)^k / (k! (k+1)!),
    with psi(k+1) = -gamma + 1 + 1/2 + ... + 1/k.  30 terms reach float64 at x = 2."""
    q = x * x / 4
    log_half = np.log(x / 2)
    i0 = np.zeros_like(x)
    i1 = np.zeros_like(x)
    sum0 = np.zeros_like(x)
    sum1 = np.zeros_like(x)
    term0 = np.ones_like(x)  # (x^2/4)^k / (k!)^2
    term1 = np.ones_like(x)  # (x^2/4)^k / (k! (k+1)!)
    psi = -_EULER_GAMMA  # psi(k+1)
    for k in range(30):
        i0 = i0 + term0
        i1 = i1 + term1
        sum0 = sum0 + psi * term0
        psi_next = psi + 1 / (k + 1)
        sum1 = sum1 + (psi + psi_next) * term1
        psi = psi_next
        term0 = term0 * q / ((k + 1) * (k + 1))
        term1 = term1 * q / ((k + 1) * (k + 2))
    k0 = -log_half * i0 + sum0
    k1 = 1 / x + log_half * (x / 2) * i1 - x / 4 * sum1
    return k0, k1


def _k_scaled_integral(x):
    """e^x K0, e^x K1 for 2 < x < 25 from K_v(x) = integral_0^inf e^(-x cosh t) cosh(v t) dt,
    i.e. e^x K_v(x) = integral_0^inf e^(-2x sinh^2(t/2)) cosh(v t) dt, by the trapezoid rule:
    the integrand is analytic and decays like a double exponential, so the rule converges
    geometrically in 1/step (error ~ exp(-pi^2 / step) at this step)."""
    k0 = np.zeros_like(x)
    k1 = np.zeros_like(x)
    for i in range(_K_POINTS + 1):
        t = i * _K_STEP
        weight = 0.5 if i == 0 else 1.0
        value = weight * np.exp(-2 * x * math.sinh(t / 2) ** 2)
        k0 = k0 + value
        k1 = k1 + value * math.cosh(t)
    return k0 * _K_STEP, k1 * _K_STEP


def _k_scaled_asymptotic(x, order):
    """e^x K_v(x) ~ sqrt(pi / (2x)) sum_k a_k / x^k (a_k as in _hankel, all signs +)
    for x >= 25 (0 at x = inf)."""
    mu = 4 * order * order
    total = np.ones_like(x)
    term = np.ones_like(x)
    for k in range(1, 30):
        term = term * (mu - (2 * k - 1) ** 2) / (k * 8 * x)
        total = total + term
    return np.sqrt(math.pi / (2 * x)) * total


def _k_scaled(x):
    """(e^x K0(x), e^x K1(x)) for a float64 array: +inf at 0, NaN below 0, 0 at +inf."""
    small = (x > 0) & (x <= _K_SERIES_BELOW)
    middle = (x > _K_SERIES_BELOW) & (x < _ASYMPTOTIC_FROM)
    far = x >= _ASYMPTOTIC_FROM
    k0 = np.full_like(x, math.nan)
    k1 = np.full_like(x, math.nan)
    if small.any():
        xs = x[small]
        k0[small], k1[small] = _k_series(xs)
        k0[small] *= np.exp(xs)
        k1[small] *= np.exp(xs)
    if middle.any():
        k0[middle], k1[middle] = _k_scaled_integral(x[middle])
    if far.any():
        k0[far] = _k_scaled_asymptotic(x[far], 0)
        k1[far] = _k_scaled_asymptotic(x[far], 1)
    k0[x == 0] = k1[x == 0] = math.inf
    k0[x == math.inf] = k1[x == math.inf] = 0.0
    return k0, k1


def _k_unscaled(x, which):
    """K0 or K1: the series directly below 2 (no e^x e^-x round trip), e^-x times the scaled
    value above."""
    scaled = _k_scaled(x)[which]
    with np.errstate(all="ignore"):
        direct = _k_series(np.where((x > 0) & (x <= _K_SERIES_BELOW), x, 1.0))[which]
        value = np.where((x > 0) & (x <= _K_SERIES_BELOW), direct, scaled * np.exp(-x))
    return np.where(x == math.inf, 0.0, value)


def modified_bessel_k0(input, *, out=None):
    """The modified Bessel function of the second kind K0(input) (+inf at 0, NaN below). Same
    as torch.special's."""
    return _no_gradient("modified_bessel_k0", lambda x: _k_unscaled(x, 0), input, out)


def modified_bessel_k1(input, *, out=None):
    """The modified Bessel function of the second kind K1(input) (+inf at 0, NaN below). Same
    as torch.special's."""
    return _no_gradient("modified_bessel_k1", lambda x: _k_unscaled(x, 1), input, out)


def scaled_modified_bessel_k0(input, *, out=None):
    """e^input K0(input). Same as torch.special's."""
    return _no_gradient("scaled_modified_bessel_k0", lambda x: _k_scaled(x)[0], input, out)


def scaled_modified_bessel_k1(input, *, out=None):
    """e^input K1(input). Same as torch.special's."""
    return _no_gradient("scaled_modified_bessel_k1", lambda x: _k_scaled(x)[1], input, out)


# ---------------------------------------------------------------------------- Airy Ai

# torch's cut-offs, found by bisection, per result dtype: (0 above, NaN at and below).
# Ai is 0 above 103.892 in float64 (Ai is ~2.2e-308 there, float64's least normal) and above
# 25.770897 in float32 (Ai ~1.7e-39, a float32 subnormal).  NaN comes where torch's 2 |x|^(3/2)
# overflows the dtype, |x| >= (max / 2)^(2/3); the values just above are amplitude-bounded
# numbers whose phase float64 can't hold anyway.
_AIRY_CUT_OFFS = {D.float64: (103.892, -2.0065826040452475e205),
                  D.float32: (25.770897, -3.070480150734533e25)}  # a float32 value
_AIRY_OSCILLATING_BELOW = -10.0  # the asymptotic expansion below, Taylor series up to 1.5
_AIRY_INTEGRAL_FROM = 1.5  # K_(1/3) by the trapezoid rule from here
_AIRY_NODES = range(-10, 2)  # the Taylor series' centres: -10, -9, ..., 1 (|x - node| <= 1/2)
_AIRY_STEPS = 80  # trapezoid steps for the K_(1/3) integral
# Gamma(1/3) to 40 digits (a mathematical constant; Gamma(2/3) = 2 pi / (sqrt(3) Gamma(1/3)))
_GAMMA_THIRD = "2.678938534707747633655692940974677644129"
_PI = "3.141592653589793238462643383279502884197"


def _airy_zeta(ax):
    """z = (2/3) ax^(3/2) for ax >= 0 as an unevaluated sum z_high + z_low, good to ~1e-30
    relative: Ai's phase (x < 0) and its exponent e^(-z) (x > 0) need z to far better than
    float64's rounding of it (ulp(z) = 2.3e-13 at x = -200, where z = 1886).  Each step's
    rounding error is recovered exactly with a fused multiply-add:
        s = sqrt(ax) + (ax - s^2) / 2s,  p = ax s (+ its rounding error),  z = 2p/3 (+ its).
    The correction is skipped above ax = 1e100 (where the splitting inside fma would overflow
    and z's phase is long lost in float64 anyway)."""
    small = np.where(ax < 1e100, ax, 1.0)
    s = np.sqrt(small)
    s_low = fma(-s, s, small) / (2 * s)
    p = small * s
    p_low = fma(small, s, -p) + small * s_low
    z = 2 * p / 3
    z_low = (fma(-3.0, z, 2 * p) + 2 * p_low) / 3
    large = ax >= 1e100
    return np.where(large, 2 * ax * np.sqrt(ax) / 3, z), np.where(large, 0.0, z_low)


@functools.cache
def _airy_node_values():
    """Ai and Ai' at the nodes -10, ..., 1, to float64's last digit, from the Maclaurin series
        Ai(x) = Ai(0) f(x) + Ai'(0) g(x),  f = sum_k a_k,  g = sum_k b_k,
        a_0 = 1, a_k = a_(k-1) x^3 / ((3k-1) 3k),  b_0 = x, b_k = b_(k-1) x^3 / (3k (3k+1)),
        Ai(0) = 3^(-2/3) / Gamma(2/3),  Ai'(0) = -3^(-1/3) / Gamma(1/3),
    summed in 50-digit decimal arithmetic from 40-digit constants: at x = -10 the terms reach
    ~1e9 and cancel down to ~0.4, so float64 would lose 10 digits; here ~30 digits remain.
    Computed once, at the first call (a few milliseconds)."""
    with decimal.localcontext() as context:
        context.prec = 50
        gamma_third, pi = decimal.Decimal(_GAMMA_THIRD), decimal.Decimal(_PI)
        three = decimal.Decimal(3)
        cube_root_3 = three ** (decimal.Decimal(1) / 3)
        gamma_two_thirds = 2 * pi / (three.sqrt() * gamma_third)
        ai0 = 1 / (cube_root_3 * cube_root_3 * gamma_two_thirds)
        ai1 = -1 / (cube_root_3 * gamma_third)
        values, slopes = [], []
        for node in _AIRY_NODES:
            x = decimal.Decimal(node)
            x3 = x * x * x
            f, df, g, dg = decimal.Decimal(1), decimal.Decimal(0), x, decimal.Decimal(1)
            a, b = decimal.Decimal(1), x
            for k in range(1, 80):  # at |x| = 10 the terms fall below 1e-40 by k ~ 60
                # the derivatives' terms: a_k' = a_(k-1) x^2 / (3k-1), b_k' = b_(k-1) x^2 / 3k
                df, dg = df + a * x * x / (3 * k - 1), dg + b * x * x / (3 * k)
                a = a * x3 / ((3 * k - 1) * (3 * k))
                b = b * x3 / ((3 * k) * (3 * k + 1))
                f, g = f + a, g + b
            values.append(float(ai0 * f + ai1 * g))
            slopes.append(float(ai0 * df + ai1 * dg))
    return np.array(values), np.array(slopes)


def _airy_taylor(x):
    """Ai for -10 <= x < 1.5 by the Taylor series about the nearest integer node c (|h| <= 1/2,
    h = x - c): Ai'' = x Ai makes the coefficients of Ai(c + h) = sum_n t_n h^n satisfy
        t_(n+2) = (c t_n + t_(n-1)) / ((n+2)(n+1)),  t_0 = Ai(c), t_1 = Ai'(c).
    The terms shrink like (sqrt(10)/2)^n / n!, so 40 of them leave nothing above 1e-25.
    Against mpmath the result is within 4 ulp (of the amplitude below -1) on [-10, 1.5)."""
    values, slopes = _airy_node_values()
    index = np.clip(np.rint(x), _AIRY_NODES[0], _AIRY_NODES[-1]).astype(np.int64) - _AIRY_NODES[0]
    c = index + _AIRY_NODES[0]
    h = x - c
    # t_(n-1), t_n, t_(n+1), starting at n = 0
    before, previous, current = np.zeros_like(x), values[index], slopes[index]
    total = previous + current * h
    power = h.copy()
    for n in range(40):  # adds t_(n+2) h^(n+2)
        before, previous, current = previous, current, (c * previous + before) / ((n + 2) * (n + 1))
        power = power * h
        total = total + current * power
    return total


def _airy_integral(x):
    """Ai for 1.5 <= x <= 103.892 (float64's cut-off) from Ai(x) = sqrt(x/3) / pi K_(1/3)(z),
    z = (2/3) x^(3/2), and
        K_(1/3)(z) = e^(-z) integral_0^inf e^(-2z sinh^2(t/2)) cosh(t/3) dt
    by the trapezoid rule, which converges geometrically for this analytic, doubly exponentially
    decaying integrand.  The rule runs 80 equal steps from 0 to T, where z (cosh T - 1) = 750
    and the integrand is below e^-750: then the step is under 0.1 (error ~ e^(-pi^2 / step))
    and under 0.5 / sqrt(z), which resolves the peak of width ~1/sqrt(z) at large z (error ~
    e^(-2 pi^2 / (z step^2)) < e^-70).  z is carried to ~1e-30 (_airy_zeta), since e^(-z)
    turns z's absolute error into relative error (ulp(z) = 1.1e-13 at z = 706).  Against mpmath
    (30 digits, at the float64 inputs) the result is within 4 ulp on [1.5, 103.892]."""
    z, z_low = _airy_zeta(x)
    step = np.arccosh(1 + 750 / z) / _AIRY_STEPS
    total = 0.5 * np.ones_like(x)  # the t = 0 node, weight 1/2
    for i in range(1, _AIRY_STEPS + 1):
        t = i * step
        # cosh t - 1 = 2 sinh^2(t/2), without cancelling at small t (t < 0.02 at large z)
        total = total + np.exp(-2 * z * np.sinh(t / 2) ** 2) * np.cosh(t / 3)
    exp_z = np.exp(-z) * (1 - z_low)  # e^(-z - z_low); z_low < 1e-13
    return np.sqrt(x / 3) / math.pi * exp_z * (total * step)


def _airy_oscillating(x):
    """Ai for x < -10 by the asymptotic expansion (z = (2/3) |x|^(3/2)):
        Ai(x) = |x|^(-1/4) / sqrt(pi) (sin(z + pi/4) P - cos(z + pi/4) Q),
        P = sum_k (-1)^k u_2k / z^2k,  Q = sum_k (-1)^k u_(2k+1) / z^(2k+1),
        u_0 = 1, u_k = u_(k-1) (6k-5)(6k-3)(6k-1) / (216 k (2k-1)).
    At z >= 21 (x <= -10) the terms fall to ~1e-18 before they start to grow (the least term
    is ~e^(-2z)); the sum stops at 20 terms.  sin(z + pi/4) = (sin z + cos z) / sqrt 2 avoids
    rounding z + pi/4, and z is carried to ~1e-30 (_airy_zeta): float64's z alone would be
    off by up to ulp(1886)/2 = 1.1e-13 at x = -200.  Against mpmath (30 digits, at the float64
    inputs) the result is within 3 ulp of the amplitude |x|^(-1/4) / sqrt(pi) down to -200,
    and stays so far beyond (checked to -1e12; torch's own z is float64's, so its phase is
    lost once ulp(z) nears 1, past x ~ -1e10)."""
    ax = -x
    z, z_low = _airy_zeta(ax)
    p, q = np.ones_like(x), np.zeros_like(x)
    u, power = 1.0, np.ones_like(x)
    for k in range(1, 20):
        u = u * (6 * k - 5) * (6 * k - 3) * (6 * k - 1) / (216 * k * (2 * k - 1))
        power = power / z
        sign = -1.0 if (k // 2) % 2 else 1.0
        if k % 2:
            q = q + sign * u * power
        else:
            p = p + sign * u * power
    # sin and cos of z + z_low by the addition formulas (z_low is up to ulp(z)/2: 1.1e-13 at
    # x = -200, but 0.5 once z passes 2^53, at x ~ -4e10)
    sin_low, cos_low = np.sin(z_low), np.cos(z_low)
    sin_z = np.sin(z) * cos_low + np.cos(z) * sin_low
    cos_z = np.cos(z) * cos_low - np.sin(z) * sin_low
    sin_phase, cos_phase = (sin_z + cos_z) * math.sqrt(0.5), (cos_z - sin_z) * math.sqrt(0.5)
    return ax ** -0.25 / math.sqrt(math.pi) * (sin_phase * p - cos_phase * q)


def _airy_ai(x, zero_above, nan_from):
    """Ai of a float64 array: NaN at +-inf and NaN (as torch; the limits are 0), 0 above
    zero_above and NaN at and below nan_from (torch's cut-offs for the result dtype), and
    otherwise one of the three forms above."""
    result = np.full_like(x, math.nan)
    oscillating = (x < _AIRY_OSCILLATING_BELOW) & (x > nan_from)
    taylor = (x >= _AIRY_OSCILLATING_BELOW) & (x < _AIRY_INTEGRAL_FROM)
    integral = (x >= _AIRY_INTEGRAL_FROM) & (x <= zero_above)
    result[(x > zero_above) & (x < math.inf)] = 0.0
    if oscillating.any():
        result[oscillating] = _airy_oscillating(x[oscillating])
    if taylor.any():
        result[taylor] = _airy_taylor(x[taylor])
    if integral.any():
        result[integral] = _airy_integral(x[integral])
    return result


def airy_ai(input, *, out=None):
    """The Airy function Ai(input), the solution of y'' = input y that decays as input -> +inf.
    Same as torch.special's: no gradient, float16/bfloat16 and complex inputs are refused,
    integers give the default float."""
    if input.dtype in (D.float16, D.bfloat16):
        raise NotImplementedError(f"\"airy_ai_cpu\" not implemented for '{input.dtype._short}'")
    result_dtype = input.dtype if input.dtype.category == D.FLOAT else D.get_default_dtype()
    zero_above, nan_from = _AIRY_CUT_OFFS[D.float32 if result_dtype is D.float32 else D.float64]
    return _no_gradient("airy_ai", lambda x: _airy_ai(x, zero_above, nan_from), input, out)
