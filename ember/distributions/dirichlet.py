"""Dirichlet(concentration): distributions on the probability simplex.  Draws are normalised
gamma draws from _gamma_sampling, equal to torch's for the same seed."""

import ember

from . import constraints
from ._gamma_sampling import dirichlet
from .exp_family import ExponentialFamily
from .utils import _EMPTY

__all__ = ["Dirichlet"]


class Dirichlet(ExponentialFamily):
    """Distribution on the probability simplex with density proportional to
    prod_i x_i^(c_i - 1)."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Dirichlet, _instance)
        batch_shape = ember.Size(batch_shape)
        new.concentration = self.concentration.expand(batch_shape + self.event_shape)
        super(Dirichlet, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=_EMPTY):
        # independent Gamma(c_i, 1) draws normalised to sum to one (torch's draws)
        shape = self._extended_shape(sample_shape)
        return dirichlet(self.concentration.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        c = self.concentration
        return (ember.xlogy(c - 1.0, value).sum(-1) + ember.lgamma(c.sum(-1))
                - ember.lgamma(c).sum(-1))

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, True)

    @property
    def mode(self):
        # (c - 1) / sum(c - 1); where every c < 1 the density peaks at a vertex: the largest c
        concm1 = (self.concentration - 1).clamp(min=0.0)
        mode = concm1 / concm1.sum(-1, True)
        vertex = (concm1.argmax(-1, keepdim=True)
                  == ember.arange(concm1.shape[-1], device=concm1.device)).to(mode.dtype)
        all_below_one = (self.concentration < 1).all(-1, keepdim=True)
        return ember.where(all_below_one, vertex, mode)

    @property
    def variance(self):
        con0 = self.concentration.sum(-1, True)
        return self.concentration * (con0 - self.concentration) / (con0.pow(2) * (con0 + 1))

    def entropy(self):
        c = self.concentration
        k = c.size(-1)
        a0 = c.sum(-1)
        return (ember.lgamma(c).sum(-1) - ember.lgamma(a0) - (k - a0) * ember.digamma(a0)
                - ((c - 1.0) * ember.digamma(c)).sum(-1))
