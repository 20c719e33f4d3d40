"""ember.distributions: probability distributions with torch.distributions' names.

Each family is one file built from ember ops, so rsample gradients come from ember's autograd
and seeded draws use the same random calls (normal, rand, bernoulli, multinomial ...) in the same
order as torch, giving the same numbers."""

from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .independent import Independent
from .kl import kl_divergence, register_kl
from .normal import Normal
from .uniform import Uniform

__all__ = ["Bernoulli", "Categorical", "Distribution", "ExponentialFamily", "Independent",
           "Normal", "Uniform", "constraints", "kl_divergence", "register_kl"]
