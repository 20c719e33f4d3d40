"""The torch.special namespace: ``ember.special.ndtr(x)``, ``ember.special.zeta(s, q)``, ...

Re-exports only.  Most names are ember's existing ops under scipy.special's names (expit is
sigmoid, psi and digamma, gammaln is lgamma, multigammaln is mvlgamma); the functions ember had
under no name before live in ops/special_functions.py.
"""

from .ops.bessel import (
    airy_ai,
    bessel_j0,
    bessel_j1,
    bessel_y0,
    bessel_y1,
    modified_bessel_i0,
    modified_bessel_i1,
    modified_bessel_k0,
    modified_bessel_k1,
    scaled_modified_bessel_k0,
    scaled_modified_bessel_k1,
    spherical_bessel_j0,
)
from .ops.binary_math import xlogy
from .ops.floating import erf, erfc, erfinv, exp2, expm1, log1p, logit
from .ops.floating import sigmoid as expit
from .ops.orthogonal_polynomials import (
    chebyshev_polynomial_t,
    chebyshev_polynomial_u,
    chebyshev_polynomial_v,
    chebyshev_polynomial_w,
    hermite_polynomial_h,
    hermite_polynomial_he,
    laguerre_polynomial_l,
    legendre_polynomial_p,
    shifted_chebyshev_polynomial_t,
    shifted_chebyshev_polynomial_u,
    shifted_chebyshev_polynomial_v,
    shifted_chebyshev_polynomial_w,
)
from .ops.special_functions import (
    entr,
    erfcx,
    gammainc,
    gammaincc,
    i0e,
    i1,
    i1e,
    log_ndtr,
    log_softmax,
    logsumexp,
    multigammaln,
    ndtr,
    ndtri,
    round,
    softmax,
    xlog1py,
    zeta,
)
from .ops.special_math import digamma, i0, polygamma, sinc
from .ops.special_math import digamma as psi
from .ops.special_math import lgamma as gammaln

__all__ = [
    "digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammainc",
    "gammaincc", "gammaln", "i0", "i0e", "i1", "i1e", "log1p", "log_ndtr", "log_softmax", "logit",
    "logsumexp", "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round", "sinc", "softmax",
    "xlog1py", "xlogy", "zeta",
    # Bessel functions without a derivative (ops/bessel.py)
    "modified_bessel_i0", "modified_bessel_i1", "spherical_bessel_j0", "bessel_j0", "bessel_j1",
    "bessel_y0", "bessel_y1", "modified_bessel_k0", "modified_bessel_k1",
    "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
    "airy_ai",  # Airy's Ai, also without a derivative (ops/bessel.py)
    # orthogonal polynomials (ops/orthogonal_polynomials.py)
    "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
    "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w", "hermite_polynomial_h",
    "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p",
]
