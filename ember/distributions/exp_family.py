"""ExponentialFamily: the base class of the exponential-family distributions (Normal,
Bernoulli, Categorical's relatives, Exponential, Poisson, Gamma, Beta, Dirichlet ...).  Most
families compute their entropy in closed form; a family that gives its natural parameters and
log normaliser (ContinuousBernoulli, Wishart) also gets the generic entropy below and the
Bregman-divergence KL of kl.py."""

import ember

from .distribution import Distribution
from .utils import _sum_rightmost

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """Distributions whose density is h(x) exp(<t(x), theta> - F(theta))."""

    @property
    def _natural_params(self):
        """The natural parameters eta (a tuple of tensors)."""
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        """A(eta), the log normaliser as a function of the natural parameters."""
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        """E[log h(x)], the expected log carrier measure."""
        raise NotImplementedError

    def entropy(self):
        """H = A(eta) - <eta, grad A(eta)> - E[log h(x)], grad A by autograd."""
        result = -self._mean_carrier_measure
        params = [eta.detach().requires_grad_() for eta in self._natural_params]
        log_norm = self._log_normalizer(*params)
        gradients = ember.autograd.grad(log_norm.sum(), params, create_graph=True)
        result = result + log_norm
        for eta, g in zip(params, gradients):
            result = result - _sum_rightmost(eta * g, len(self.event_shape))
        return result
