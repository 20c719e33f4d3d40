"""Gamma(concentration, rate).  Draws come from _gamma_sampling (torch's numbers for the same
seed; see there)."""


import ember

from . import constraints
from ._gamma_sampling import gamma_cdf, standard_gamma
from .exp_family import ExponentialFamily
from .utils import _EMPTY, broadcast_parameters

__all__ = ["Gamma"]


class Gamma(ExponentialFamily):
    """Density rate^c x^(c-1) e^(-rate x) / Gamma(c) on x >= 0 (c = concentration)."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, concentration, rate, validate_args=None):
        (self.concentration, self.rate), batch_shape = broadcast_parameters(concentration, rate)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_parameters(Gamma, batch_shape, _instance, "concentration", "rate")

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=_EMPTY):
        # standard gamma draws divided by the rate; the smallest positive normal replaces an
        # underflowed 0 so that log_prob stays finite
        shape = self._extended_shape(sample_shape)
        value = standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        tiny = ember.finfo(value.dtype).tiny
        return ember.where(value.detach() < tiny, value + (tiny - value.detach()), value)

    def log_prob(self, value):
        """c log rate + (c - 1) log x - rate x - lgamma(c)."""
        value = ember.as_tensor(value, dtype=self.rate.dtype, device=self.rate.device)
        if self._validate_args:
            self._validate_sample(value)
        return (ember.xlogy(self.concentration, self.rate)
                + ember.xlogy(self.concentration - 1, value)
                - self.rate * value - ember.lgamma(self.concentration))

    def cdf(self, value):
        """P(concentration, rate * value), the regularised lower incomplete gamma."""
        if self._validate_args:
            self._validate_sample(value)
        return gamma_cdf(self.concentration, self.rate * value)

    def entropy(self):
        c = self.concentration
        return c - ember.log(self.rate) + ember.lgamma(c) + (1.0 - c) * ember.digamma(c)
