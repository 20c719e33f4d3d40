"""ember.distributions: probability distributions with torch.distributions' names.

Each family is one file built from ember ops, so rsample gradients come from ember's autograd
and seeded draws use the same random calls (normal, rand, bernoulli, multinomial ...) in the same
order as torch, giving the same numbers."""

from . import constraints, transforms
from .bernoulli import Bernoulli
from .beta import Beta
from .binomial import Binomial
from .categorical import Categorical
from .cauchy import Cauchy
from .dirichlet import Dirichlet
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .exponential import Exponential
from .gamma import Gamma
from .independent import Independent
from .kl import kl_divergence, register_kl
from .laplace import Laplace
from .log_normal import LogNormal
from .mixture_same_family import MixtureSameFamily
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .poisson import Poisson
from .relaxed_categorical import RelaxedOneHotCategorical
from .transformed_distribution import TransformedDistribution
from .transforms import (
                         AffineTransform,
                         ComposeTransform,
                         ExpTransform,
                         SigmoidTransform,
                         TanhTransform,
                         Transform,
)
from .uniform import Uniform

__all__ = ["AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy",
           "ComposeTransform", "Dirichlet", "Distribution", "ExpTransform", "Exponential",
           "ExponentialFamily", "Gamma", "Independent", "Laplace", "LogNormal",
           "MixtureSameFamily", "MultivariateNormal", "Normal", "OneHotCategorical", "Poisson",
           "RelaxedOneHotCategorical", "SigmoidTransform", "TanhTransform", "Transform",
           "TransformedDistribution", "Uniform", "kl_divergence", "register_kl"]
