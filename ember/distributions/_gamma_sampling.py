"""Standard gamma draws with a reparameterisation gradient.

Draws: Marsaglia and Tsang's squeeze method (2000).  For alpha >= 1, with d = alpha - 1/3 and
c = 1 / sqrt(9 d), propose v = (1 + c z)^3 for z ~ N(0, 1) and accept d v when
log u < z^2 / 2 + d - d v + d log v (u ~ U(0, 1)).  For alpha < 1 a Gamma(alpha + 1) draw is
multiplied by u^(1 / alpha).  The normals and uniforms come from ember's generator, so draws are
reproducible under manual_seed, but they are not torch's numbers: torch's _standard_gamma is its
own C++ kernel with its own use of the stream.

Gradient (implicit reparameterisation): a draw is x = F^{-1}(u; alpha) for the gamma cdf F, so
dx/dalpha = -(dF/dalpha) / f(x; alpha).  F(alpha, x) is the regularised lower incomplete gamma
function P(alpha, x), evaluated here in float64 by its power series (x < alpha + 1) or by the
continued fraction of 1 - P (otherwise); dF/dalpha is its central difference in alpha.
"""

import numpy as np

import ember
from ember.autograd.function import Node
from ember.ops import _gamma

_SERIES_TERMS = 600      # enough for alpha up to a few thousand (terms fall like exp(-n^2/2a))
_FRACTION_TERMS = 300


def _regularized_gamma_p(a, x):
    """P(a, x) = (1 / Gamma(a)) * integral_0^x t^(a-1) e^-t dt, element-wise (float64)."""
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    log_prefactor = a * np.log(np.maximum(x, 1e-300)) - x
    # power series: P = x^a e^-x / Gamma(a + 1) * sum_n x^n / ((a + 1) ... (a + n))
    term = np.ones_like(a)
    total = np.ones_like(a)
    for n in range(1, _SERIES_TERMS):
        term = term * x / (a + n)
        total = total + term
    series = np.exp(log_prefactor - _gamma.lgamma(np, a + 1)) * total
    # continued fraction for Q = 1 - P (modified Lentz), converges fast for x > a + 1
    tiny = 1e-300
    b = x + 1 - a
    c = np.full_like(a, 1 / tiny)
    d = 1 / np.where(b == 0, tiny, b)
    h = d
    for i in range(1, _FRACTION_TERMS):
        an = -i * (i - a)
        b = b + 2
        d = an * d + b
        d = 1 / np.where(d == 0, tiny, d)
        c = b + an / np.where(c == 0, tiny, c)
        h = h * d * c
    q = np.exp(log_prefactor - _gamma.lgamma(np, a)) * h
    return np.where(x < a + 1, series, 1 - q)


def _dsample_dalpha(alpha, x):
    """dx/dalpha at fixed cdf value: -(dP/dalpha) / density (float64 arrays)."""
    alpha = np.asarray(alpha, np.float64)
    x = np.maximum(np.asarray(x, np.float64), 1e-300)
    h = 1e-5 * np.maximum(alpha, 1e-2)
    dp = (_regularized_gamma_p(alpha + h, x) - _regularized_gamma_p(alpha - h, x)) / (2 * h)
    log_density = (alpha - 1) * np.log(x) - x - _gamma.lgamma(np, alpha)
    return -dp / np.exp(log_density)


class _GammaReparam(Node):
    """y = the given standard-gamma draw, as a function of alpha: dy/dalpha is the implicit
    reparameterisation gradient above."""

    def forward(self, alpha, sample):
        self.save(alpha, sample)
        return sample.copy()

    def backward(self, grad):
        alpha, sample = self.saved
        slope = _dsample_dalpha(alpha.detach().numpy(), sample.detach().numpy())
        return grad * ember.tensor(slope, dtype=grad.dtype), None


def _draw(alpha):
    """Marsaglia-Tsang draws for a float tensor alpha (no gradient)."""
    with ember.no_grad():
        a = alpha.detach().to(ember.float64)
        small = a < 1
        d = ember.where(small, a + 1, a) - 1.0 / 3.0
        c = 1.0 / ember.sqrt(9.0 * d)
        result = ember.zeros_like(a)
        pending = ember.ones_like(a, dtype=ember.bool)
        while bool(pending.any()):
            z = ember.randn(a.shape, dtype=ember.float64)
            u = ember.rand(a.shape, dtype=ember.float64)
            v = (1 + c * z) ** 3
            v_safe = ember.where(v > 0, v, ember.ones_like(v))
            accept = pending & (v > 0) & (
                ember.log(u) < 0.5 * z * z + d - d * v_safe + d * ember.log(v_safe))
            result = ember.where(accept, d * v, result)
            pending = pending & ~accept
        if bool(small.any()):
            u = ember.rand(a.shape, dtype=ember.float64)
            result = ember.where(small, result * u ** (1.0 / a), result)
        return result.to(alpha.dtype)


def standard_gamma(alpha):
    """Gamma(alpha, 1) draws of alpha's shape, differentiable in alpha."""
    sample = _draw(alpha)
    if alpha.requires_grad:
        return _GammaReparam().apply(alpha, sample)
    return sample


class _RegularizedGammaP(Node):
    """y = P(a, x), the gamma cdf.  dy/dx = x^(a-1) e^-x / Gamma(a) (the density);
    dy/da by the central difference used above (torch has no derivative in a)."""

    def forward(self, a, x):
        self.save(a, x)
        y = _regularized_gamma_p(a, x)
        return y.astype(np.result_type(a.dtype, x.dtype), copy=False)

    def backward(self, grad):
        a, x = self.saved
        a64 = a.detach().numpy().astype(np.float64)
        x64 = np.maximum(x.detach().numpy().astype(np.float64), 1e-300)
        density = np.exp((a64 - 1) * np.log(x64) - x64 - _gamma.lgamma(np, a64))
        h = 1e-5 * np.maximum(a64, 1e-2)
        da = (_regularized_gamma_p(a64 + h, x64) - _regularized_gamma_p(a64 - h, x64)) / (2 * h)
        return (grad * ember.tensor(da, dtype=grad.dtype),
                grad * ember.tensor(density, dtype=grad.dtype))


def gamma_cdf(a, x):
    """The regularised lower incomplete gamma P(a, x) of two broadcast float tensors."""
    a, x = ember.broadcast_tensors(a, x)
    return _RegularizedGammaP().apply(a, x)
