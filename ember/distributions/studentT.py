"""StudentT(df, loc, scale)."""

import math

import ember

from . import constraints
from .chi2 import Chi2
from .distribution import Distribution
from .utils import _EMPTY, _standard_normal, broadcast_all

__all__ = ["StudentT"]


class StudentT(Distribution):
    """Student's t with ``df`` degrees of freedom, shifted by loc and scaled by scale.  Drawn
    as loc + scale Z / sqrt(V / df) with Z ~ N(0, 1) (drawn first, torch's normal_ stream) and
    V ~ Chi2(df) (torch's gamma draws, so the draws are torch's numbers)."""

    arg_constraints = {"df": constraints.positive, "loc": constraints.real,
                       "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df)
        super().__init__(self.df.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(StudentT, _instance)
        batch_shape = ember.Size(batch_shape)
        new.df = self.df.expand(batch_shape)
        new.loc = self.loc.expand(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        new._chi2 = self._chi2.expand(batch_shape)
        super(StudentT, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        # loc for df > 1, undefined (NaN) otherwise
        return ember.where(self.df <= 1, math.nan, self.loc)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        # scale^2 df / (df - 2) for df > 2; infinite for 1 < df <= 2; NaN for df <= 1
        df = self.df
        finite = self.scale.pow(2) * df / ember.where(df > 2, df - 2, 1.0)
        result = ember.where(df > 2, finite, math.inf)
        return ember.where(df <= 1, math.nan, result)

    def rsample(self, sample_shape=_EMPTY):
        shape = self._extended_shape(sample_shape)
        z = _standard_normal(shape, dtype=self.df.dtype, device=self.df.device)
        v = self._chi2.rsample(sample_shape)
        return self.loc + self.scale * (z * ember.rsqrt(v / self.df))

    def log_prob(self, value):
        """-(df + 1)/2 log(1 + y^2 / df) - log Z, y = (x - loc) / scale, with
        log Z = log scale + (log df + log pi)/2 + lgamma(df/2) - lgamma((df + 1)/2)."""
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        log_z = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi)
                 + ember.lgamma(0.5 * self.df) - ember.lgamma(0.5 * (self.df + 1.0)))
        return -0.5 * (self.df + 1.0) * ember.log1p(y ** 2.0 / self.df) - log_z

    def entropy(self):
        df = self.df
        log_beta = ember.lgamma(0.5 * df) + math.lgamma(0.5) - ember.lgamma(0.5 * (df + 1))
        return (self.scale.log()
                + 0.5 * (df + 1) * (ember.digamma(0.5 * (df + 1)) - ember.digamma(0.5 * df))
                + 0.5 * df.log() + log_beta)
