"""Draws for Poisson and Binomial by searching the cdf (inversion with one uniform per draw).

ember has no poisson/binomial kernel, and torch's are their own C++ samplers, so seeded draws are
not torch's numbers.  The search takes about (largest draw) vectorised steps, fine for the rates
and counts of ordinary programs (it slows down linearly for rates in the many thousands)."""

import ember

__all__ = []


def inverse_cdf_search(u, log_pmf, upper=None):
    """The smallest k >= 0 with cdf(k) >= u, for every entry (log_pmf(k) takes a float64
    tensor of candidate counts); stops at ``upper`` when given."""
    k = ember.zeros_like(u)
    cdf = ember.exp(log_pmf(k))
    while True:
        below = u > cdf
        if upper is not None:
            below = below & (k < upper)
        if not bool(below.any()):
            return k
        k = k + below.to(k.dtype)
        # entries already found are held at their k; their cdf no longer matters
        cdf = ember.where(below, cdf + ember.exp(log_pmf(k)), cdf)
