"""LKJCholesky(dim, concentration): the LKJ distribution over Cholesky factors of
correlation matrices (Lewandowski, Kurowicka and Joe, 2009)."""

import math

import ember

from . import constraints
from .beta import Beta
from .distribution import Distribution
from .utils import _EMPTY, broadcast_all

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    """Lower-triangular L with unit rows such that L L^T is a correlation matrix with density
    proportional to det(L L^T)^(concentration - 1); concentration 1 is uniform over
    correlation matrices.  In terms of L's diagonal: prod_{i>=2} L_ii^(2(c - 1) + dim - i).

    Draws use the onion method: row i of L is sqrt(y_i) times a random unit direction in its
    first i entries (normal draws, normalised), y_i ~ Beta(i/2, c + (dim - 2)/2 - i/2) for
    i >= 1, and the diagonal entry is what keeps the row at unit length."""

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. "
                             f"Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        marginal = self.concentration + 0.5 * (self.dim - 2)
        # Beta parameters of rows 0 .. dim-1 (row 0 is a placeholder: its y is unused)
        offset = ember.arange(self.dim - 1, dtype=self.concentration.dtype,
                              device=self.concentration.device)
        offset = ember.cat([offset.new_zeros((1,)), offset])
        self._beta = Beta(offset + 0.5, marginal.unsqueeze(-1) - 0.5 * offset)
        super().__init__(self.concentration.size(), ember.Size((dim, dim)), validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = ember.Size(batch_shape)
        new.dim = self.dim
        new.concentration = self.concentration.expand(batch_shape)
        new._beta = self._beta.expand(batch_shape + (self.dim,))
        super(LKJCholesky, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape=_EMPTY):
        with ember.no_grad():
            y = self._beta.sample(sample_shape).unsqueeze(-1)
            u = ember.randn(self._extended_shape(sample_shape), dtype=y.dtype,
                            device=y.device).tril(-1)
            # unit directions; row 0 has no strictly-lower entries (0 / 0): set to 0
            direction = u / u.norm(dim=-1, keepdim=True)
            first_row = ember.arange(self.dim, device=y.device).view(-1, 1) == 0
            direction = ember.where(first_row, 0.0, direction)
            w = ember.sqrt(y) * direction
            tiny = ember.finfo(w.dtype).tiny
            diagonal = ember.clamp(1 - ember.sum(w ** 2, dim=-1), min=tiny).sqrt()
            return w + ember.diag_embed(diagonal)

    def log_prob(self, value):
        """sum_{i=2..dim} (2(c - 1) + dim - i) log L_ii - log Z, with the log normaliser
        log Z = (dim - 1)/2 log pi + mvlgamma(a - 1/2, dim - 1) - (dim - 1) lgamma(a) and
        a = c + (dim - 1)/2."""
        if self._validate_args:
            self._validate_sample(value)
        diagonal = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = ember.arange(2, self.dim + 1, device=self.concentration.device)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized = ember.sum(order * diagonal.log(), dim=-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        denominator = ember.lgamma(alpha) * dm1
        numerator = ember.mvlgamma(alpha - 0.5, dm1)
        pi_constant = 0.5 * dm1 * math.log(math.pi)
        return unnormalized - (pi_constant + numerator - denominator)
