"""torch.special's orthogonal polynomials p_n(x): Chebyshev T, U, V, W (and their shifted forms
on [0, 1]), Hermite H and He, Laguerre L, Legendre P.

``n`` is a tensor or a number (broadcast with x, truncated to an integer; p_n = 0 for n < 0).
Each is computed in float64 by its three-term recurrence in n,

    p_(k+1)(x) = a_k(x) p_k(x) - b_k p_(k-1)(x),

one array pass per degree up to the largest n, and rounded once to the result dtype (the
promotion of x and n, integers giving the default float).  Chebyshev polynomials inside
(-1, 1) take their closed trigonometric forms for n > 8 instead (x = cos t):
T_n = cos(n t), U_n = sin((n+1) t) / sin t, V_n = cos((n+1/2) t) / cos(t/2),
W_n = sin((n+1/2) t) / sin(t/2), which cost the same for every n and are stable.

As in torch, none of them has a derivative: the results carry no gradient.
"""

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from .binary import operands
from .binary import write_out as _out

__all__ = [
    "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
    "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w", "hermite_polynomial_h",
    "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p",
]

_TRIG_ABOVE = 8  # Chebyshev: the recurrence up to this degree, the trigonometric forms above


def _recurrence(x, n, first, step):
    """p_n(x) for float64 arrays x and n (integers >= 0 as floats): p_0 = 1, p_1 = first(x),
    p_(k+1) = step(k, p_k, p_(k-1)).  Stops early once every value left is inf or NaN."""
    result = np.where(n == 0, 1.0, 0.0)
    if not (n >= 1).any():
        return result
    previous, current = np.ones_like(x), first(x)
    result = np.where(n == 1, current, result)
    top = int(n.max())
    for k in range(1, top):
        previous, current = current, step(k, current, previous)
        result = np.where(n == k + 1, current, result)
        if not np.isfinite(current[n > k + 1]).any():
            result = np.where(n > k + 1, current, result)  # inf / NaN from here on
            break
    return result


def _chebyshev(x, n, first, trig):
    """Chebyshev T, U, V or W: the recurrence 2x p_k - p_(k-1) from p_1 = first(x), or the
    trigonometric form trig(n, t) inside (-1, 1) above degree 8."""
    inside = (np.abs(x) < 1) & (n > _TRIG_ABOVE)
    n_rec = np.where(inside, 0.0, n)
    result = _recurrence(x, n_rec, first, lambda k, p, q: 2 * x * p - q)
    if inside.any():
        t = np.arccos(np.where(inside, x, 0.0))
        result = np.where(inside, trig(n, t), result)
    return result


def _t(x, n):
    return _chebyshev(x, n, lambda x: x, lambda n, t: np.cos(n * t))


def _u(x, n):
    return _chebyshev(x, n, lambda x: 2 * x, lambda n, t: np.sin((n + 1) * t) / np.sin(t))


def _v(x, n):
    return _chebyshev(x, n, lambda x: 2 * x - 1,
                      lambda n, t: np.cos((n + 0.5) * t) / np.cos(t / 2))


def _w(x, n):
    return _chebyshev(x, n, lambda x: 2 * x + 1,
                      lambda n, t: np.sin((n + 0.5) * t) / np.sin(t / 2))


def _hermite_h(x, n):
    """Physicists' Hermite: H_(k+1) = 2x H_k - 2k H_(k-1), H_1 = 2x."""
    return _recurrence(x, n, lambda x: 2 * x, lambda k, p, q: 2 * x * p - 2 * k * q)


def _hermite_he(x, n):
    """Probabilists' Hermite: He_(k+1) = x He_k - k He_(k-1), He_1 = x."""
    return _recurrence(x, n, lambda x: x, lambda k, p, q: x * p - k * q)


def _laguerre(x, n):
    """Laguerre: (k+1) L_(k+1) = (2k+1-x) L_k - k L_(k-1), L_1 = 1 - x."""
    return _recurrence(x, n, lambda x: 1 - x,
                       lambda k, p, q: ((2 * k + 1 - x) * p - k * q) / (k + 1))


def _legendre(x, n):
    """Legendre: (k+1) P_(k+1) = (2k+1) x P_k - k P_(k-1), P_1 = x."""
    return _recurrence(x, n, lambda x: x,
                       lambda k, p, q: ((2 * k + 1) * x * p - k * q) / (k + 1))


def _polynomial(name, fn, input, n, out, shifted=False):
    """The shared work: promote x and n, compute fn in float64 on the broadcast arrays (x
    mapped to 2x - 1 for the shifted forms), round once, wrap without a gradient."""
    x, degree = operands(input, n)
    if x.dtype.category == D.COMPLEX:
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{x.dtype._short}'")
    dtype = x.dtype if x.dtype.category == D.FLOAT else D.get_default_dtype()
    xs = x._data.astype(np.float64)
    ns = degree._data.astype(np.float64)
    xs, ns = np.broadcast_arrays(xs, ns)
    ns = np.where(np.isnan(ns), -1.0, np.trunc(ns))
    ns = np.where(ns < 0, -1.0, ns)  # p_n = 0 for n < 0
    if shifted:
        xs = 2 * xs - 1
    with np.errstate(all="ignore"):
        values = np.where(ns < 0, 0.0, fn(xs, ns))
    result = Tensor._make(values.astype(D.to_numpy_dtype(dtype)), x.device)
    return _out(result, out, name)


def chebyshev_polynomial_t(input, n, *, out=None):
    """Chebyshev polynomial of the first kind T_n(input). Same as torch.special's."""
    return _polynomial("chebyshev_polynomial_t", _t, input, n, out)


def chebyshev_polynomial_u(input, n, *, out=None):
    """Chebyshev polynomial of the second kind U_n(input). Same as torch.special's."""
    return _polynomial("chebyshev_polynomial_u", _u, input, n, out)


def chebyshev_polynomial_v(input, n, *, out=None):
    """Chebyshev polynomial of the third kind V_n(input). Same as torch.special's."""
    return _polynomial("chebyshev_polynomial_v", _v, input, n, out)


def chebyshev_polynomial_w(input, n, *, out=None):
    """Chebyshev polynomial of the fourth kind W_n(input). Same as torch.special's."""
    return _polynomial("chebyshev_polynomial_w", _w, input, n, out)


def shifted_chebyshev_polynomial_t(input, n, *, out=None):
    """T_n(2 input - 1), Chebyshev T moved to [0, 1]. Same as torch.special's."""
    return _polynomial("shifted_chebyshev_polynomial_t", _t, input, n, out, shifted=True)


def shifted_chebyshev_polynomial_u(input, n, *, out=None):
    """U_n(2 input - 1). Same as torch.special's."""
    return _polynomial("shifted_chebyshev_polynomial_u", _u, input, n, out, shifted=True)


def shifted_chebyshev_polynomial_v(input, n, *, out=None):
    """V_n(2 input - 1). Same as torch.special's."""
    return _polynomial("shifted_chebyshev_polynomial_v", _v, input, n, out, shifted=True)


def shifted_chebyshev_polynomial_w(input, n, *, out=None):
    """W_n(2 input - 1). Same as torch.special's."""
    return _polynomial("shifted_chebyshev_polynomial_w", _w, input, n, out, shifted=True)


def hermite_polynomial_h(input, n, *, out=None):
    """The physicists' Hermite polynomial H_n(input). Same as torch.special's."""
    return _polynomial("hermite_polynomial_h", _hermite_h, input, n, out)


def hermite_polynomial_he(input, n, *, out=None):
    """The probabilists' Hermite polynomial He_n(input). Same as torch.special's."""
    return _polynomial("hermite_polynomial_he", _hermite_he, input, n, out)


def laguerre_polynomial_l(input, n, *, out=None):
    """The Laguerre polynomial L_n(input). Same as torch.special's."""
    return _polynomial("laguerre_polynomial_l", _laguerre, input, n, out)


def legendre_polynomial_p(input, n, *, out=None):
    """The Legendre polynomial P_n(input). Same as torch.special's."""
    return _polynomial("legendre_polynomial_p", _legendre, input, n, out)
