"""Binomial(total_count, probs | logits).  Draws: ember._random_binomial (torch's numbers)."""

import ember
from ember._random import _generator
from ember._random_binomial import sample_binomial

from . import constraints
from .distribution import Distribution
from .utils import _EMPTY, broadcast_all, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Binomial"]


class Binomial(Distribution):
    """The number of successes in total_count independent trials of success probability
    probs (or sigmoid(logits))."""

    arg_constraints = {"total_count": constraints.nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            self.total_count, self.probs = broadcast_all(total_count, probs)
            self.total_count = self.total_count.type_as(self.probs)
        else:
            self.total_count, self.logits = broadcast_all(total_count, logits)
            self.total_count = self.total_count.type_as(self.logits)
        self._param = self.probs if probs is not None else self.logits
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Binomial, _instance)
        batch_shape = ember.Size(batch_shape)
        new.total_count = self.total_count.expand(batch_shape)
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(batch_shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(batch_shape)
            new._param = new.logits
        super(Binomial, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        return self._param.size()

    def sample(self, sample_shape=_EMPTY):
        shape = self._extended_shape(sample_shape)
        with ember.no_grad():
            counts = self.total_count.expand(shape)
            probs = self.probs.expand(shape)
            if probs.dtype not in (ember.float32, ember.float64):
                raise NotImplementedError(
                    f"\"binomial_cpu\" not implemented for '{probs.dtype._short}'")
            k = sample_binomial(counts.detach()._host(), probs.detach()._host(),
                                _generator(None, probs))
            return ember.tensor(k, dtype=probs.dtype, device=probs.device)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return _binomial_log_pmf(self.total_count, self.logits, value)

    def entropy(self):
        total_count = int(self.total_count.max())
        if not bool(self.total_count.min() == total_count):
            raise NotImplementedError("Inhomogeneous total count not supported by `entropy`.")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(ember.exp(log_prob) * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        total_count = int(self.total_count.max())
        if not bool(self.total_count.min() == total_count):
            raise NotImplementedError(
                "Inhomogeneous total count not supported by `enumerate_support`.")
        values = ember.arange(1 + total_count, dtype=self._param.dtype,
                              device=self._param.device)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + self._batch_shape)
        return values


def _binomial_log_pmf(n, logits, k):
    """log C(n, k) + k logit - n log(1 + e^logit), with log(1 + e^x) written so no exp
    overflows: max(x, 0) + log1p(e^-|x|)."""
    log_binomial = ember.lgamma(n + 1) - ember.lgamma(k + 1) - ember.lgamma(n - k + 1)
    # max(x, 0) as the mean of clamp(min=0) and x - clamp(max=0): the same value, and at x = 0
    # the gradient 1/2 that torch's formula has
    positive_part = (logits.clamp(min=0) + logits - logits.clamp(max=0)) / 2
    log_normalizer = n * positive_part + n * ember.log1p(ember.exp(-logits.abs()))
    return k * logits - log_normalizer + log_binomial
