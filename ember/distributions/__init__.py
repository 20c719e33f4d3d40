"""ember.distributions: probability distributions with torch.distributions' names.

Each family is one file built from ember ops, so rsample gradients come from ember's autograd
and seeded draws use the same random calls (normal, rand, bernoulli, multinomial ...) in the same
order as torch, giving the same numbers."""

from . import constraints, transforms
from .bernoulli import Bernoulli
from .categorical import Categorical
from .discrete import Binomial, Poisson
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .exponential import Exponential, Laplace
from .gamma import Beta, Dirichlet, Gamma
from .independent import Independent
from .kl import kl_divergence, register_kl
from .mixture_same_family import MixtureSameFamily
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .relaxed_categorical import ExpRelaxedCategorical, RelaxedOneHotCategorical
from .transformed_distribution import LogNormal, TransformedDistribution
from .transforms import (
                         AffineTransform,
                         ComposeTransform,
                         ExpTransform,
                         SigmoidTransform,
                         TanhTransform,
                         Transform,
)
from .uniform import Uniform

__all__ = ["AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical", "ComposeTransform",
           "Dirichlet", "Distribution", "ExpRelaxedCategorical", "ExpTransform", "Exponential",
           "ExponentialFamily", "Gamma", "Independent", "Laplace", "LogNormal",
           "MixtureSameFamily", "MultivariateNormal", "Normal", "OneHotCategorical", "Poisson",
           "RelaxedOneHotCategorical", "SigmoidTransform", "TanhTransform", "Transform",
           "TransformedDistribution", "Uniform", "constraints", "kl_divergence",
           "register_kl", "transforms"]
