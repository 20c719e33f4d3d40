"""Standard gamma (and Dirichlet) draws with a reparameterisation gradient.

Draws: Marsaglia and Tsang's squeeze method (2000), with torch's CPU kernel's use of the random
stream, so that seeded draws equal torch._standard_gamma's bit for bit.  For alpha >= 1, with
d = alpha - 1/3 and c = 1 / sqrt(9 d), propose v = (1 + c z)^3 for z ~ N(0, 1) (redrawn while
1 + c z <= 0) and accept d v when u = 1 - U falls below 1 - 0.0331 z^4 or log u < z^2 / 2 +
d (1 - v + log v).  For alpha < 1 a Gamma(alpha + 1) draw is multiplied by (1 - U)^(1 / alpha),
that uniform drawn before the loop.  The elements go in memory order, each drawing until
accepted, so the sampler is a per-element Python loop (see ember/_random_sequential.py).

Gradient (implicit reparameterisation): a draw is x = F^{-1}(u; alpha) for the gamma cdf F, so
dx/dalpha = -(dF/dalpha) / f(x; alpha).  F(alpha, x) is the regularised lower incomplete gamma
function P(alpha, x), evaluated here in float64 by its power series (x < alpha + 1) or by the
continued fraction of 1 - P (otherwise); dF/dalpha is its central difference in alpha.
"""

import math

import numpy as np

import ember
from ember._random import _generator
from ember._random_sequential import SequentialDraws
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


_ONE_THIRD = float(np.float32(1.0) / np.float32(3.0))  # torch's constant is 1/3 in float32
_SQUEEZE = float(np.float32(0.0331))  # likewise 0.0331


def _gamma_one(scale, d, c, draws):
    """One Marsaglia-Tsang draw (float64) for d = alpha - 1/3, c = 1 / sqrt(9 d): propose
    v = (1 + c x)^3 for a normal x (again while 1 + c x <= 0), accept d v when the uniform
    u = 1 - U falls under the cheap squeeze 1 - 0.0331 x^4 or else under the exact bound
    log u < x^2 / 2 + d (1 - v + log v).  NOTE: a NaN d is accepted by the squeeze (as torch)."""
    while True:
        x = draws.normal()
        y = 1.0 + c * x
        while y <= 0:
            x = draws.normal()
            y = 1.0 + c * x
        v = y * y * y
        u = 1 - draws.uniform()
        xx = x * x
        if u < 1.0 - _SQUEEZE * xx * xx:
            return scale * d * v
        if math.log(u) < 0.5 * xx + d * (1.0 - v + math.log(v)):
            return scale * d * v


def sample_standard_gamma(alpha_np, gen):
    """Gamma(alpha, 1) draws for a float32/float64 NumPy array, equal to torch's CPU kernel for
    the same generator state: the elements in memory order, each drawing from the generator
    until accepted (so this is a Python loop; see _random_sequential).  alpha < 1 is boosted:
    a Gamma(alpha + 1) draw times U^(1 / alpha), that uniform drawn first.  Results below the
    dtype's smallest normal (0 for alpha = 0, NaN for a NaN alpha) become that smallest normal."""
    dtype = alpha_np.dtype
    alpha = np.ascontiguousarray(alpha_np).ravel()
    one = dtype.type(1)
    with np.errstate(all="ignore"):
        # these few steps round in the input's dtype, as the kernel computes them in it
        small = alpha < one
        inv_alpha = (one / alpha).astype(np.float64)
        boosted = np.where(small, alpha + one, alpha)
        d = (boosted - dtype.type(_ONE_THIRD)).astype(np.float64)
        c = 1.0 / np.sqrt(9.0 * d)
    tiny = float(np.finfo(dtype).tiny)
    draws = SequentialDraws(gen, expected=3 * alpha.size + 16)
    out = np.empty(alpha.size, dtype=dtype)
    for i, (a, is_small, inv, d_i, c_i) in enumerate(zip(
            alpha.tolist(), small.tolist(), inv_alpha.tolist(), d.tolist(), c.tolist())):
        if a == 0:
            out[i] = tiny
            continue
        scale = math.pow(1 - draws.uniform(), inv) if is_small else 1.0
        sample = float(dtype.type(_gamma_one(scale, d_i, c_i, draws)))
        out[i] = sample if tiny < sample else tiny  # NaN -> tiny, as the kernel's max
    draws.finish()
    return out.reshape(alpha_np.shape)


def _draw(alpha):
    """torch's standard-gamma draws for a float tensor alpha (no gradient)."""
    if alpha.dtype not in (ember.float32, ember.float64):
        raise NotImplementedError(f"\"gamma_cpu\" not implemented for '{alpha.dtype._short}'")
    gen = _generator(None, alpha)
    sample = sample_standard_gamma(alpha.detach()._host(), gen)
    return ember.tensor(sample, dtype=alpha.dtype, device=alpha.device)


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


def _row_sum(x):
    """Sums along the last axis (keepdims) added in the order torch's CPU sum adds a short row,
    so that the normalised draws round as torch's: four running sums take elements 0-3, 4-7,
    ... in turn, the leftover (fewer than four) elements are summed on their own and added to
    the first, and the four are added first to last.  NOTE: checked equal to torch's for rows
    of up to 19 elements; longer rows are summed in another order not reproduced here, so
    float64 Dirichlet draws with more than 19 categories may differ from torch's in the last bit."""
    n = x.shape[-1]
    whole = n - n % 4
    sums = [np.zeros(x.shape[:-1]) for _ in range(4)]
    for j in range(whole):
        sums[j % 4] = sums[j % 4] + x[..., j]
    if whole < n:
        rest = x[..., whole]
        for j in range(whole + 1, n):
            rest = rest + x[..., j]
        sums[0] = sums[0] + rest
    total = sums[0]
    for partial in sums[1:]:
        total = total + partial
    return total[..., None]


def sample_dirichlet(alpha_np, gen):
    """torch's Dirichlet draws for a float32/float64 array (last axis = the simplex): float64
    gamma draws of the concentrations (as float64), each at least the smallest float64 normal,
    divided by their sum and kept in [smallest normal, the largest value below 1] of the
    input's dtype.  Returns (draws, the float64 gamma draws)."""
    gammas = sample_standard_gamma(np.asarray(alpha_np, np.float64), gen)
    total = _row_sum(gammas)
    dtype = alpha_np.dtype
    value = (gammas / total).astype(dtype)
    top = np.nextafter(dtype.type(1), dtype.type(0))
    return np.minimum(top, np.maximum(np.finfo(dtype).tiny, value)), gammas


class _DirichletReparam(Node):
    """y = g / sum(g) for the given gamma draws g, as a function of alpha: dy/dalpha through
    dg/dalpha, the implicit gamma gradient above (the draws' values are torch's)."""

    def __init__(self, gammas):
        self.gammas = gammas

    def forward(self, alpha, value):
        self.save(alpha)
        return value.copy()

    def backward(self, grad):
        (alpha,) = self.saved
        g = self.gammas
        total = g.sum(-1, keepdims=True)
        y = ember.tensor(g / total, dtype=grad.dtype)
        # d/dg_j of sum_i grad_i g_i / S = (grad_j - sum_i grad_i y_i) / S
        grad_g = (grad - (grad * y).sum(-1, keepdim=True)) / ember.tensor(total, dtype=grad.dtype)
        slope = _dsample_dalpha(alpha.detach().numpy(), g)
        return grad_g * ember.tensor(slope, dtype=grad.dtype), None


def dirichlet(alpha):
    """torch._sample_dirichlet's draws for a float tensor alpha, differentiable in alpha."""
    if alpha.dtype not in (ember.float32, ember.float64):
        raise NotImplementedError(f"\"dirichlet\" not implemented for '{alpha.dtype._short}'")
    value, gammas = sample_dirichlet(alpha.detach()._host(), _generator(None, alpha))
    value = ember.tensor(value, dtype=alpha.dtype, device=alpha.device)
    if alpha.requires_grad:
        return _DirichletReparam(gammas).apply(alpha, value)
    return value
