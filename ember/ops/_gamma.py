"""The gamma function family and the modified Bessel functions I0, I1, on backend arrays
(NumPy has none of the gamma family, and SciPy is no dependency).

    lgamma(x)         = log |Gamma(x)|
    digamma(x)        = psi(x) = d/dx lgamma(x)
    polygamma(n, x)   = psi^(n)(x), the n-th derivative of digamma
                      = (-1)^(n+1) n! zeta(n+1, x)   for n >= 1 (zeta: Hurwitz's zeta function)
    i0(x), i1(x)      = modified Bessel functions of the first kind, orders 0 and 1

The method is the same for the three gamma functions: move x up by the recurrence
Gamma(x + 1) = x Gamma(x) until it is large, where an asymptotic series (Stirling's, or the
Euler-Maclaurin tail of the zeta sum) is accurate to float64 in a few terms; negative x is
mapped to 1 - x by the reflection formula Gamma(x) Gamma(1 - x) = pi / sin(pi x) (polygamma
sums its series directly down to x = -40, and reflects only below).

Poles follow torch: lgamma is +inf at 0 and the negative integers; digamma is -inf at +0, +inf
at -0 and NaN at the negative integers; polygamma(n >= 1) is (-1)^(n+1) inf at 0 and the
negative integers.

Everything is computed in float64; the ops cast the result to the tensor's dtype.
"""

import math
from fractions import Fraction

import numpy as np


def _bernoulli(count):
    """B_0 .. B_(count-1) as exact fractions, from sum_(k<=m) C(m+1, k) B_k = 0 (m >= 1)."""
    b = [Fraction(1)]
    for m in range(1, count):
        b.append(-sum(math.comb(m + 1, k) * b[k] for k in range(m)) / (m + 1))
    return b


_B = _bernoulli(24)  # B_2k for k <= 11

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_LARGE = 10.0  # lgamma and digamma use their asymptotic series from here up
# Stirling: lgamma(x) = (x - 1/2) log x - x + log sqrt(2 pi) + sum_k B_2k / (2k (2k-1) x^(2k-1));
# at x >= 10 the ninth term is below 1e-17 of the result.
_STIRLING = [float(_B[2 * k] / (2 * k * (2 * k - 1))) for k in range(1, 10)]
# digamma(x) = log x - 1/(2x) - sum_k B_2k / (2k x^2k)
_DIGAMMA = [float(_B[2 * k] / (2 * k)) for k in range(1, 10)]


def _series(xp, coefficients, t):
    """sum_k coefficients[k] t^(k+1), by Horner's rule."""
    total = xp.zeros_like(t)
    for c in reversed(coefficients):
        total = (total + c) * t
    return total


def _shift_up(xp, x, limit):
    """(z, steps): z = x + k, the first such value >= ``limit`` (x where it already is or is
    NaN), and a boolean mask per step k saying whether that element took it."""
    z = x.copy()
    steps = []
    while True:
        low = z < limit
        if not low.any():
            return z, steps
        steps.append(low)
        z = z + low


def _reduce_half(xp, x):
    """r = x - round(x), exact, in [-1/2, 1/2]: sin(pi x) = +-sin(pi r), tan(pi x) = tan(pi r)."""
    return x - xp.round(x)


def _log_sin_pi_abs(xp, x):
    """log |sin(pi x)|, with pi x never rounded at large x (-inf at the integers, exactly).

    For tiny r = x - round(x), sin(pi r) = pi r (1 - (pi r)^2/6 ...): log(pi) + log|r| keeps the
    digits that pi r would lose as a subnormal."""
    r = _reduce_half(xp, x)
    tiny = xp.abs(r) < 1e-8
    safe = xp.where(tiny, 1.0, r)
    return xp.where(tiny, math.log(math.pi) + xp.log(xp.abs(r)),
                    xp.log(xp.abs(xp.sin(math.pi * safe))))


def _lgamma_positive(xp, x):
    """lgamma for x >= 1/2 (or inf/NaN): shift x up to 10, then Stirling's series.

    lgamma(x) = lgamma(x + k) - log(x (x + 1) ... (x + k - 1)): a difference of two numbers
    ~ 13 in size, whose absolute error (a few 1e-15) would be large relative to lgamma near its
    zeros x = 1, 2; ``lgamma`` takes 1/2 <= x < 5/2 from ``_lgamma_near_zeros`` instead."""
    z, steps = _shift_up(xp, x, _LARGE)
    product = xp.ones_like(x)
    w = x.copy()
    for low in steps:
        product = xp.where(low, product * w, product)
        w = w + low
    zs = xp.where(xp.isfinite(z), z, 1.0)  # inf/NaN: keep them out of the series
    # the series is in 1/z^(2k-1) = z (1/z^2)^k
    series = _series(xp, _STIRLING, 1 / (zs * zs)) * zs
    stirling = (zs - 0.5) * xp.log(zs) - zs + _LOG_SQRT_2PI + series
    stirling = xp.where(xp.isfinite(z), stirling, z)
    return stirling - xp.log(product)


_EULER_GAMMA = 0.5772156649015329
_NEAR_ZEROS_TERMS = 30  # |z| <= 1/2: term k is below 0.25^k / k


def _zeta_minus_one(k):
    """zeta(k) - 1 = zeta(k, 2) as a Python float (k >= 2)."""
    return float(_hurwitz_zeta(np, k, np.array(2.0)))


def _lgamma_near_zeros(xp, x):
    """lgamma for 1/2 <= x < 5/2, accurate relative to the result at its zeros x = 1, 2.

    lgamma(2 + z) = (1 - euler_gamma) z + sum_(k >= 2) (-1)^k (zeta(k) - 1) z^k / k, and
    lgamma(1 + z) = lgamma(2 + z) - log(1 + z); z = x - 2 or x - 1 is in [-1/2, 1/2]."""
    below = x < 1.5
    z = xp.where(below, x - 1, x - 2)
    total = xp.zeros_like(z)
    for k in range(_NEAR_ZEROS_TERMS, 1, -1):
        total = (total + (-1) ** k * _ZETA_MINUS_ONE[k] / k) * z
    total = (total + (1 - _EULER_GAMMA)) * z
    return xp.where(below, total - xp.log1p(z), total)


def lgamma(xp, x):
    """log |Gamma(x)| of a float64 array.

    1/2 <= x < 5/2 (around the zeros) uses a Taylor series; x < 1/2 uses the reflection
    lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x)."""
    with np.errstate(all="ignore"):
        negative = x < 0.5
        positive = xp.where(negative, 1 - x, x)
        result = _lgamma_positive(xp, positive)
        near = (positive >= 0.5) & (positive < 2.5)
        result = xp.where(near, _lgamma_near_zeros(xp, positive), result)
        # log(pi) - log|sin|, not log(pi / |sin|): pi / sin(pi x) overflows for subnormal x
        reflected = math.log(math.pi) - _log_sin_pi_abs(xp, x) - result
        result = xp.where(negative, reflected, result)
        # -inf: reflection would give inf - inf; torch says +inf, as at every pole
        return xp.where(x == -math.inf, math.inf, result)


def _digamma_positive(xp, x):
    """digamma for x >= 0 (+-0 give -+inf as 1/x does): shift up to 10, then the series.

    digamma(x) = digamma(x + k) - (1/x + 1/(x + 1) + ... + 1/(x + k - 1))."""
    z, steps = _shift_up(xp, x, _LARGE)
    total = xp.zeros_like(x)
    w = x.copy()
    for low in steps:
        total = total + xp.where(low, 1 / w, 0.0)
        w = w + low
    zs = xp.where(xp.isfinite(z), z, 1.0)
    t = 1 / (zs * zs)
    series = xp.log(zs) - 0.5 / zs - _series(xp, _DIGAMMA, t)
    series = xp.where(xp.isfinite(z), series, z)
    return series - total


def digamma(xp, x):
    """psi(x) of a float64 array.

    x < 0 uses the reflection digamma(x) = digamma(1 - x) - pi / tan(pi x); the negative
    integers (and -inf) are NaN, as in torch.  -0 is not < 0: 1/(-0) makes it +inf, as torch."""
    with np.errstate(all="ignore"):
        negative = x < 0
        result = _digamma_positive(xp, xp.where(negative, 1 - x, x))
        reflected = result - math.pi / xp.tan(math.pi * _reduce_half(xp, x))
        reflected = xp.where(x == xp.floor(x), math.nan, reflected)
        return xp.where(negative, reflected, result)


def _zeta_tail_coefficients(s, count=10):
    """d_j of Euler-Maclaurin's tail:
    zeta(s, a) = a^(1-s) (1/(s-1) + 1/(2a) + sum_j d_j a^-2j),
    d_j = B_2j / (2j)! * s (s+1) ... (s+2j-2)."""
    coefficients = []
    rising = Fraction(s)  # s (s+1) ... (s+2j-2)
    for j in range(1, count + 1):
        coefficients.append(float(_B[2 * j] / math.factorial(2 * j) * rising))
        rising *= (s + 2 * j - 1) * (s + 2 * j)
    return coefficients


def _hurwitz_zeta(xp, s, x):
    """zeta(s, x) = sum_(k >= 0) (x + k)^-s for an integer s >= 2 (x not a pole): the first
    terms summed until x + k >= 12 + s, the rest by Euler-Maclaurin (terms shrink like
    ((s + 2j) / (2 pi a))^2, so ten of them reach float64)."""
    z, steps = _shift_up(xp, x, 12.0 + s)
    total = xp.zeros_like(x)
    w = x.copy()
    for low in steps:
        total = total + xp.where(low, w ** -s, 0.0)
        w = w + low
    a = xp.where(xp.isfinite(z), z, 1.0)
    t = 1 / (a * a)
    tail = 1 / (s - 1) + 0.5 / a + _series(xp, _zeta_tail_coefficients(s), t)
    tail = tail * a ** (1 - s)  # not a^-s times a: a^-s underflows first
    tail = xp.where(xp.isfinite(z), tail, xp.where(z == math.inf, 0.0, math.nan))
    return total + tail


def _to_float(value):
    """An exact number (int, Fraction) as a float, +-inf past float64's range (n! for n > 170,
    as torch's exp(lgamma(n + 1)))."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _cot_derivative_polynomial(n):
    """Coefficients (lowest first) of C_n with d^n/dx^n cot(pi x) = pi^n C_n(cot(pi x)):
    C_0(c) = c and C_(k+1)(c) = -(1 + c^2) C_k'(c), since d/dx cot(pi x) = -pi (1 + cot^2)."""
    poly = [0, 1]
    for _ in range(n):
        derivative = [i * poly[i] for i in range(1, len(poly))]
        poly = [0] * (len(derivative) + 2)
        for i, c in enumerate(derivative):
            poly[i] -= c
            poly[i + 2] -= c
    return poly


_REFLECT_BELOW = -40.0  # polygamma sums the series directly above this, reflects below


def polygamma(xp, n, x):
    """psi^(n)(x) of a float64 array, n >= 1.

    x >= -40: (-1)^(n+1) n! zeta(n+1, x), whose first terms (x + k)^-(n+1) are summed
    directly, negative x too.  x < -40 (where that would take too many terms): the n-th
    derivative of the reflection formula digamma(x) = digamma(1 - x) - pi cot(pi x), that is
    psi^(n)(x) = (-1)^n psi^(n)(1 - x) - pi^(n+1) C_n(cot(pi x)).
    Near the zeros of psi^(n) at negative x (even n) both lose digits to cancellation: the
    error there is absolute, ~1e-16 n! / d^(n+1), d the distance to the nearest pole (torch's
    direct sum too: at half-integers with n ~ 30 neither has a correct digit)."""
    sign = (-1) ** (n + 1)
    with np.errstate(all="ignore"):
        reflect = x < _REFLECT_BELOW
        direct = xp.where(reflect, 1 - x, x)
        result = sign * _to_float(math.factorial(n)) * _hurwitz_zeta(xp, n + 1, direct)
        cot = 1 / xp.tan(math.pi * _reduce_half(xp, x))
        poly = xp.zeros_like(x)
        for c in reversed(_cot_derivative_polynomial(n)):
            poly = poly * cot + _to_float(c)
        reflected = (-1) ** n * result - _to_float(Fraction(math.pi) ** (n + 1)) * poly
        result = xp.where(reflect, reflected, result)
        # the poles (0, -0, the negative integers) and -inf; torch's trigamma gives NaN at -inf
        pole = (x <= 0) & (x == xp.floor(x))
        result = xp.where(pole, sign * math.inf, result)
        if n == 1:
            result = xp.where(x == -math.inf, math.nan, result)
        else:
            result = xp.where(x == math.inf, math.nan, result)  # torch's zeta(s, inf) is NaN
        return result


_ZETA_MINUS_ONE = {k: _zeta_minus_one(k) for k in range(2, _NEAR_ZEROS_TERMS + 1)}


# ---------------------------------------------------------------------------- Bessel I0, I1

_I1_SPLIT = 30.0  # power series below, asymptotic expansion above
_I1_SERIES_TERMS = 70  # (x/2)^(2k+1) / (k! (k+1)!) at x = 30, k = 70 is below 1e-17 of the sum
# I1(x) ~ e^x / sqrt(2 pi x) * sum_k (-1)^k a_k / x^k,  a_k = prod_(i<=k) (4 - (2i-1)^2) / (k! 8^k)
_I1_ASYMPTOTIC = []
_a = 1.0
for _k in range(1, 25):
    _a *= (4 - (2 * _k - 1) ** 2) / (_k * 8)
    _I1_ASYMPTOTIC.append((-1) ** _k * _a)


def i0(xp, x):
    """I0 of a float64 array: NumPy's i0 (it agrees with torch's to ~5e-16); NaN at +-inf, as
    torch."""
    with np.errstate(all="ignore"):
        return xp.i0(x)


def i1(xp, x):
    """I1 of a float64 array (odd: I1(-x) = -I1(x)).

    |x| < 30: the power series sum_k (x/2)^(2k+1) / (k! (k+1)!), all terms positive;
    |x| >= 30: the asymptotic expansion, whose terms shrink until k ~ 2x."""
    with np.errstate(all="ignore"):
        ax = xp.abs(x)
        small = xp.minimum(ax, _I1_SPLIT)
        half = small / 2
        term = half.copy()
        total = term.copy()
        t = half * half
        for k in range(1, _I1_SERIES_TERMS):
            term = term * t / (k * (k + 1))
            total = total + term
        large = xp.maximum(ax, _I1_SPLIT)
        inv = 1 / large
        expansion = xp.ones_like(x)
        power = xp.ones_like(x)
        for a in _I1_ASYMPTOTIC:
            power = power * inv
            expansion = expansion + a * power
        # e^x / sqrt(x) in two halves so that e^x does not overflow before x ~ 1420 (NaN at inf)
        half_exp = xp.exp(large / 2)
        asymptotic = half_exp * (half_exp / xp.sqrt(2 * math.pi * large)) * expansion
        asymptotic = xp.where(large == math.inf, math.nan, asymptotic)
        value = xp.where(ax < _I1_SPLIT, total, asymptotic)
        return xp.where(x < 0, -value, value)
