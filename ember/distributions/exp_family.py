"""ExponentialFamily: the base class of the exponential-family distributions (Normal,
Bernoulli, Categorical's relatives, Exponential, Poisson, Gamma, Beta, Dirichlet ...).  ember
computes each family's entropy in closed form, so the class only marks membership."""

from .distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """Distributions whose density is h(x) exp(<t(x), theta> - F(theta))."""
