"""GeneralizedPareto(loc, scale, concentration): the limit law of threshold exceedances."""

import math
import numbers

import ember

from . import constraints
from .distribution import Distribution
from .utils import _EMPTY, broadcast_all

__all__ = ["GeneralizedPareto"]


class GeneralizedPareto(Distribution):
    """With z = (x - loc) / scale and xi = concentration: survival function
    (1 + xi z)^(-1/xi) (e^-z when xi = 0), on x >= loc, and below loc - scale / xi when
    xi < 0.  Drawn by inverting the cdf at u = rand (torch's stream)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive,
                       "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args=None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        if all(isinstance(v, numbers.Number) for v in (loc, scale, concentration)):
            batch_shape = ember.Size()
        else:
            batch_shape = self.loc.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_parameters(GeneralizedPareto, batch_shape, _instance, "loc",
                                       "scale", "concentration")

    def _z(self, x):
        return (x - self.loc) / self.scale

    def _split_zero(self):
        """(xi == 0 within isclose's tolerance, xi with those entries replaced by 1)."""
        eq_zero = ember.isclose(self.concentration, ember.zeros_like(self.concentration))
        safe = ember.where(eq_zero, ember.ones_like(self.concentration), self.concentration)
        return eq_zero, safe

    def rsample(self, sample_shape=_EMPTY):
        shape = self._extended_shape(sample_shape)
        u = ember.rand(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.icdf(u)

    def log_prob(self, value):
        """-log scale - (1 + 1/xi) log(1 + xi z), or -log scale - z for xi = 0."""
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        eq_zero, safe = self._split_zero()
        y = 1 / safe + ember.ones_like(z)
        nonzero = ember.where(y == 0, y, y * ember.log1p(safe * z))
        return -self.scale.log() - ember.where(eq_zero, z, nonzero)

    def log_survival_function(self, value):
        """log P(X > x) = -log(1 + xi z) / xi, or -z for xi = 0."""
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        eq_zero, safe = self._split_zero()
        return ember.where(eq_zero, -z, -ember.log1p(safe * z) / safe)

    def log_cdf(self, value):
        return ember.log1p(-ember.exp(self.log_survival_function(value)))

    def cdf(self, value):
        return ember.exp(self.log_cdf(value))

    def icdf(self, value):
        """loc + scale ((1 - u)^-xi - 1) / xi, or loc - scale log(1 - u) for xi = 0."""
        eq_zero, safe = self._split_zero()
        log_1mu = ember.log1p(-value)
        nonzero = self.loc + self.scale / safe * ember.expm1(-safe * log_1mu)
        zero = self.loc - self.scale * log_1mu
        return ember.where(eq_zero, zero, nonzero)

    @property
    def mean(self):
        # loc + scale / (1 - xi) for xi < 1, NaN otherwise
        valid = self.concentration < 1
        safe = ember.where(valid, self.concentration, 0.5)
        return ember.where(valid, self.loc + self.scale / (1 - safe), math.nan)

    @property
    def variance(self):
        # scale^2 / ((1 - xi)^2 (1 - 2 xi)) for xi < 1/2, NaN otherwise
        valid = self.concentration < 0.5
        safe = ember.where(valid, self.concentration, 0.25)
        result = self.scale ** 2 / ((1 - safe) ** 2 * (1 - 2 * safe))
        return ember.where(valid, result, math.nan)

    def entropy(self):
        return ember.broadcast_to(ember.log(self.scale) + self.concentration + 1,
                                  self._batch_shape)

    @property
    def mode(self):
        return self.loc

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        lower = self.loc
        upper = ember.where(self.concentration < 0, lower - self.scale / self.concentration,
                            math.inf)
        return constraints.interval(lower, upper)
