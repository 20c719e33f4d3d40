"""torch.special's functions of the normal distribution, the incomplete gamma functions and
Hurwitz's zeta function, on float64 backend arrays (NumPy has none of them, SciPy is no
dependency).  The ops in special_functions.py cast the results to the tensor's dtype.

    erfcx(x)        = exp(x^2) erfc(x)                 (the scaled complementary error function)
    ndtr(x)         = P(N(0, 1) <= x) = erfc(-x / sqrt 2) / 2
    log_ndtr(x)     = log ndtr(x), accurate far in the lower tail
    ndtri(p)        = the x with ndtr(x) = p
    gammainc(a, x)  = P(a, x) = integral_0^x t^(a-1) e^-t dt / Gamma(a)    (regularized, lower)
    gammaincc(a, x) = Q(a, x) = 1 - P(a, x)                                 (upper)
    zeta(s, q)      = sum_(k >= 0) (q + k)^-s                               (Hurwitz)
"""

import math

import numpy as np

from . import _erf, _gamma

_SQRT2 = math.sqrt(2.0)
_LOG_HALF = math.log(0.5)


# ---------------------------------------------------------------------------- erfcx

def exp_square(xp, x):
    """exp(x^2) without the rounding error of x^2 (which exp would magnify ~x^2 times):
    x = s + (x - s) with s short enough that s^2 is exact (as _erf.exp_minus_square)."""
    s = xp.trunc(x * 4096) / 4096
    finite = xp.isfinite(x)
    rest = xp.where(finite, (x - s) * (x + s), 0.0)  # inf - inf would be NaN
    return xp.exp(s * s) * xp.exp(rest)


def erfcx(xp, x):
    """exp(x^2) erfc(x).  x >= 1.5: 1 / (sqrt(pi) k) with Laplace's continued fraction k
    (erfc's own formula without its exp(-x^2) factor, so no underflow: ~1/(sqrt(pi) x) for
    large x, 0 at +inf).  x < 1.5: the product itself; it overflows to inf below x ~ -26.6."""
    with np.errstate(all="ignore"):
        large = x >= 1.5
        x_large = xp.where(large, x, 1.5)
        k = _erf.laplace_denominator(xp, x_large)
        tail = 1 / (math.sqrt(math.pi) * k)
        x_small = xp.where(large, 0.0, x)
        small = _erf.erfc(xp, x_small) * exp_square(xp, x_small)
        return xp.where(large, tail, small)


# ---------------------------------------------------------------------------- the normal law

def _upper_tail(xp, x):
    """Phi(-x) = 1 - Phi(x) for x >= 0, as exp(-x^2/2) erfcx(x/sqrt 2) / 2: the exp factor is
    taken from x itself (x = s + r with s^2 exact), not from the rounded x/sqrt 2, whose error
    erfc would magnify ~x^2 times; erfcx is smooth and does not magnify it."""
    x = xp.minimum(x, 40.0)  # Phi(-40) underflows to 0 already; keeps inf out of inf - inf
    s = xp.trunc(x * 4096) / 4096
    half_square = xp.exp(-0.5 * s * s) * xp.exp(-0.5 * (x - s) * (x + s))
    return 0.5 * half_square * erfcx(xp, x / _SQRT2)


def ndtr(xp, x):
    """Phi(x): the tail Phi(-|x|) computed directly (exact to the last digits even far out),
    1 minus it above 0.  (torch computes (1 + erf(x/sqrt 2)) / 2, which is 0 below x ~ -8.3.)"""
    with np.errstate(all="ignore"):
        tail = _upper_tail(xp, xp.abs(x))
        return xp.where(x < 0, tail, 1 - tail)


def log_ndtr(xp, x):
    """log Phi(x).  x > -1: log1p(-Phi(-x)) (Phi near 1 there).  x <= -1: with z = -x/sqrt 2,
    Phi(x) = erfc(z) / 2 = exp(-z^2) erfcx(z) / 2, so log Phi(x) = -x^2/2 + log erfcx(z) + log 1/2,
    which neither underflows nor loses digits however negative x is."""
    with np.errstate(all="ignore"):
        upper = x > -1
        x_up = xp.where(upper, x, 0.0)
        up = xp.log1p(-_upper_tail(xp, xp.maximum(x_up, 0.0)))
        up = xp.where(x_up < 0, xp.log(ndtr(xp, x_up)), up)
        x_low = xp.where(upper, -1.0, x)
        low = -0.5 * x_low * x_low + xp.log(erfcx(xp, -x_low / _SQRT2)) + _LOG_HALF
        return xp.where(upper, up, low)


def ndtri(xp, p):
    """The inverse of Phi.  By symmetry ndtri(p) = -ndtri(1 - p), and 1 - p is exact for
    p >= 1/2, so only q = min(p, 1 - p) <= 1/2 is solved, for x <= 0: Newton's method on
    f(x) = log Phi(x) - log q, with f'(x) = phi(x) / Phi(x) = sqrt(2/pi) / erfcx(-x/sqrt 2).
    log Phi is concave, so from a start left of the root every step lands left of it again and
    the steps converge from below; the start -sqrt(-2 log q) is left of it (Phi(x) < phi(x)/|x|
    in the tail), and 0 at q = 1/2."""
    with np.errstate(all="ignore"):
        upper = p > 0.5
        q = xp.where(upper, 1 - p, p)
        inside = (q > 0) & (q <= 0.5)
        q_in = xp.where(inside, q, 0.25)
        log_q = xp.log(q_in)
        x = -xp.sqrt(-2 * log_q)
        for _ in range(60):
            slope = math.sqrt(2 / math.pi) / erfcx(xp, -x / _SQRT2)
            step = (log_ndtr(xp, x) - log_q) / slope
            x = x - step
            if not (xp.abs(step) > 1e-15 * xp.maximum(xp.abs(x), 1e-300)).any():
                break
        x = xp.where(q_in == 0.5, 0.0, x)
        x = xp.where(q == 0, -math.inf, xp.where(inside, x, math.nan))
        return xp.where(upper, -x, x)


# ---------------------------------------------------------------------------- incomplete gamma

_MAX_TERMS = 5000  # series terms / fraction steps; both converge within ~sqrt(a) + 50 here


def _prefactor(xp, a, x):
    """x^a e^-x / Gamma(a), computed as one exp of logs so that none of the three overflows."""
    return xp.exp(a * xp.log(x) - x - _gamma.lgamma(xp, a))


def _lower_series(xp, a, x):
    """P(a, x) = x^a e^-x / Gamma(a + 1) * sum_n x^n / ((a + 1) ... (a + n)), for x < a + 1
    (the terms then shrink by x / (a + n) < 1 from the start)."""
    term = xp.ones_like(x)
    total = xp.ones_like(x)
    for n in range(1, _MAX_TERMS):
        term = term * x / (a + n)
        total = total + term
        if not (term > 1e-17 * total).any():
            break
    return _prefactor(xp, a, x) * total / a


def _upper_fraction(xp, a, x):
    """Q(a, x) = x^a e^-x / Gamma(a) / (x + 1 - a - 1 (1 - a) / (x + 3 - a - 2 (2 - a) /
    (x + 5 - a - ...))), Legendre's continued fraction, for x >= a + 1, evaluated forwards by
    the modified Lentz method (each step multiplies the value by a factor c d -> 1)."""
    tiny = 1e-300
    b = x + 1 - a
    c = xp.full_like(x, 1 / tiny)
    d = 1 / b
    value = d.copy()
    done = xp.zeros(x.shape, dtype=bool)
    for n in range(1, _MAX_TERMS):
        an = -n * (n - a)
        b = b + 2
        d = an * d + b
        d = xp.where(xp.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = xp.where(xp.abs(c) < tiny, tiny, c)
        d = 1 / d
        factor = c * d
        # elements already converged keep their value: more factors ~1 would only add
        # rounding errors while the slowest element converges
        value = xp.where(done, value, value * factor)
        done = done | (xp.abs(factor - 1) <= 1e-16)
        if done.all():
            break
    return _prefactor(xp, a, x) * value


def gammainc(xp, a, x, upper=False):
    """P(a, x) (``upper`` False) or Q(a, x), for broadcast float64 arrays a, x.

    The series where x < a + 1, the continued fraction elsewhere, the other one by 1 - it.
    torch's edges, each overriding the ones after it: NaN for a < 0 or x < 0; a = 0: P = 1
    for x > 0, else NaN; x = 0: P = 0; a = inf: P = 0 (NaN for x = inf); x = inf: P = 1;
    otherwise NaN inputs give NaN."""
    a, x = xp.broadcast_arrays(a, x)
    with np.errstate(all="ignore"):
        regular = (a > 0) & (x > 0) & xp.isfinite(a) & xp.isfinite(x)
        a_in = xp.where(regular, a, 1.0)
        x_in = xp.where(regular, x, 1.0)
        series = x_in < a_in + 1
        p = xp.empty_like(a_in)
        q = xp.empty_like(a_in)
        if series.any():
            p[series] = _lower_series(xp, a_in[series], x_in[series])
            q[series] = 1 - p[series]
        fraction = ~series
        if fraction.any():
            q[fraction] = _upper_fraction(xp, a_in[fraction], x_in[fraction])
            p[fraction] = 1 - q[fraction]
        result = q if upper else p
        # the edges, as values of P, in torch's order (the later rules win)
        edge_p = xp.full_like(a_in, math.nan)
        edge_p = xp.where(x == math.inf, 1.0, edge_p)
        edge_p = xp.where(a == math.inf, xp.where(x == math.inf, math.nan, 0.0), edge_p)
        edge_p = xp.where(x == 0, 0.0, edge_p)
        edge_p = xp.where(a == 0, xp.where(x > 0, 1.0, math.nan), edge_p)
        edge_p = xp.where((a < 0) | (x < 0), math.nan, edge_p)
        edge = 1 - edge_p if upper else edge_p
        return xp.where(regular, result, edge)


# ---------------------------------------------------------------------------- Hurwitz zeta

_TAIL_TERMS = 10  # Euler-Maclaurin correction terms
_TAIL_COEFFICIENTS = [float(_gamma._B[2 * j]) / math.factorial(2 * j)
                      for j in range(1, _TAIL_TERMS + 1)]


def zeta(xp, s, q):
    """zeta(s, q) = sum_(k >= 0) (q + k)^-s, for broadcast float64 arrays.

    q > -64: _zeta_positive.  q < -64 (s an integer, else the powers are not real): with
    m = -floor(q) and f = q + m in (0, 1), the m terms of negative base are
    sum_(j=1..m) (f - j)^-s = (-1)^s (zeta(s, 1 - f) - zeta(s, m + 1 - f)), so
        zeta(s, q) = zeta(s, f) + (-1)^s (zeta(s, 1 - f) - zeta(s, m + 1 - f)),
    three sums of positive arguments however negative q is.
    torch's edges: s = 1 is +inf (any q); s < 1 is NaN; q a pole (0, -1, -2, ..., -inf) is
    +inf; q < 0 with s not an integer is NaN; s = inf is +inf for q < 1, 1 at q = 1, NaN above;
    q = +inf is NaN.
    (polygamma's _gamma._hurwitz_zeta is the same sum for integer s, with exact coefficients.)
    """
    s, q = xp.broadcast_arrays(s, q)
    with np.errstate(all="ignore"):
        pole = (q <= 0) & (q == xp.floor(q))
        regular = (s > 1) & xp.isfinite(s) & xp.isfinite(q) & ~pole
        regular &= ~((q < 0) & (s != xp.floor(s)))
        s_in = xp.where(regular, s, 2.0)
        q_in = xp.where(regular, q, 1.0)
        negative = q_in < -64  # above, the direct sum of _zeta_positive takes < 100 steps
        m = xp.where(negative, -xp.floor(q_in), 0.0)
        f = q_in + m  # exact: q and floor(q) share their exponent's range
        result = _zeta_positive(xp, s_in, xp.where(negative, f, q_in))
        if negative.any():
            f1 = xp.where(negative, 1 - f, 1.0)
            sign = xp.where(xp.fmod(s_in, 2) == 0, 1.0, -1.0)
            near = _zeta_positive(xp, s_in, f1)
            far = _zeta_positive(xp, s_in, f1 + m)
            result = xp.where(negative, result + sign * (near - far), result)
        edge = xp.where(pole & ~(s <= 1), math.inf, math.nan)  # NaN s too, as torch
        edge = xp.where((s == math.inf) & (q < 1), math.inf, edge)
        edge = xp.where((s == math.inf) & (q == 1), 1.0, edge)  # 1^-inf, the rest 0
        edge = xp.where(s == 1, math.inf, edge)  # whatever q is, as torch
        return xp.where(regular, result, edge)


def _zeta_positive(xp, s, q):
    """zeta(s, q) for s > 1, q finite (s an integer where q < 0).  The first terms are
    summed directly until a = q + k >= 12 + s/2 (capped at 72), the rest by the
    Euler-Maclaurin formula
        sum_(k >= 0) (a + k)^-s = a^(1-s) / (s - 1) + a^-s / 2
                                  + sum_j B_2j / (2j)! s (s+1) ... (s+2j-2) a^(-s-2j+1),
    whose terms shrink like ((s + 2j) / (2 pi a))^2 from there."""
    limit = 12 + xp.minimum(s, 120) / 2
    a, steps = _gamma._shift_up(xp, q, limit)
    total = xp.zeros_like(a)
    w = q.copy()
    for low in steps:
        total = total + xp.where(low, w ** -s, 0.0)
        w = w + low
    tail = a ** (1 - s) / (s - 1) + 0.5 * a ** -s
    rising = s.copy()  # s (s+1) ... (s+2j-2)
    power = a ** (-s - 1)  # a^(-s-2j+1)
    inverse_square = 1 / (a * a)
    for j, c in enumerate(_TAIL_COEFFICIENTS, start=1):
        tail = tail + c * rising * power
        rising = rising * (s + 2 * j - 1) * (s + 2 * j)
        power = power * inverse_square
    return total + tail
