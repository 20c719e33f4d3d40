"""torch.poisson: one Poisson(rate) draw per element of a tensor of rates.

Each element, in memory order, takes float64 uniforms one after another from the generator
(torch's CPU kernel draws so, which makes ember's draws torch's for the same seed):

- rate < 10: Knuth's method: multiply uniforms until the product falls to exp(-rate) or
  below; the draw is how many multiplications stayed above it;
- rate >= 10: Hoermann's transformed rejection with squeeze (PTRS, "The transformed rejection
  method for generating Poisson random variables", 1993), with the paper's constants; it
  needs about 1.1 pairs of uniforms per draw whatever the rate.

The draws are not differentiable in the rate: the gradient is zero, as torch's.
"""

import math

import numpy as np

from . import _dtype as D
from ._random import _generator
from .autograd.function import Node

__all__ = ["poisson"]


def _knuth(rate, uniform):
    limit = math.exp(-rate)
    count, product = 0, uniform()
    while product > limit:
        count += 1
        product *= uniform()
    return count


def _ptrs(rate, uniform):
    root, log_rate = math.sqrt(rate), math.log(rate)
    b = 0.931 + 2.53 * root
    a = -0.059 + 0.02483 * b
    log_inv_alpha = math.log(1.1239 + 1.1328 / (b - 3.4))
    v_r = 0.9277 - 3.6224 / (b - 2)
    while True:
        u = uniform() - 0.5
        v = uniform()
        us = 0.5 - abs(u)
        k = math.floor((2 * a / us + b) * u + rate + 0.43)
        if us >= 0.07 and v <= v_r:  # the squeeze: accepted without the density
            return k
        if k < 0 or (us < 0.013 and v > us):
            continue
        # accept when v under the hat lies below the Poisson probability of k
        if (math.log(v) + log_inv_alpha - math.log(a / (us * us) + b)
                <= -rate + k * log_rate - math.lgamma(k + 1)):
            return k


def _draw(rate, uniform):
    if rate == 0:
        return 0
    return _knuth(rate, uniform) if rate < 10 else _ptrs(rate, uniform)


class _Poisson(Node):
    """Draws made before the graph; d(draw)/d(rate) = 0 (as torch)."""

    _name = "PoissonBackward0"

    def __init__(self, draws):
        self.draws = draws

    def forward(self, rates):
        return self.draws

    def backward(self, grad):
        return grad * 0


def poisson(input, generator=None):
    """A Poisson(rate) draw for each rate in ``input`` (a float tensor), in its dtype. Same as
    torch.poisson."""
    if input.dtype.category != D.FLOAT:
        raise NotImplementedError(f"\"poisson_cpu\" not implemented for '{input.dtype._short}'")
    rates = np.ascontiguousarray(input._host()).astype(np.float64)
    if (rates < 0).any() or np.isnan(rates).any():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    gen = _generator(generator, input)

    def uniform():
        return float(gen._uniform(1, D.float64)[0])

    draws = np.array([_draw(rate, uniform) for rate in rates.ravel().tolist()], dtype=np.float64)
    draws = draws.reshape(rates.shape).astype(input.dtype.np)
    from .ops.convert import move_array

    return _Poisson(move_array(draws, input.device)).apply(input)
