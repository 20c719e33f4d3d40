"""The parametrization forms of weight_norm, spectral_norm and orthogonal, as
torch.nn.utils.parametrizations (built on nn.utils.parametrize; the hook-based
nn.utils.weight_norm / spectral_norm live in weight_norm.py).

weight_norm:   w = g * v / ||v||   (original0 = g, original1 = v; norm over every dim but dim)
spectral_norm: w = w / sigma       (sigma = u . (W v), u and v refined by power iteration
                                    in training mode, kept as buffers _u and _v)
orthogonal:    w = base @ Q(original), Q orthogonal: exp(A) or the Cayley map of the skew
               matrix A = tril(X) - tril(X)^H, or a product of Householder reflections.
"""

import math
from enum import Enum, auto

import numpy as np

from ... import _dtype
from ..._random import randn
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...linalg import solve
from ...ops.creation import eye, zeros_like
from ...ops.join import cat
from .. import functional as F
from ..modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from ..modules.module import Module
from . import parametrize

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


# ------------------------------------------------------------------------------ weight_norm

def _norm_except_dim(v, dim):
    """||v||_2 over every dim but ``dim`` (size 1 there); dim -1 means over the whole tensor
    (a 0-dim result), as torch.norm_except_dim."""
    if dim == -1:
        return v.norm()
    dim = dim % v.ndim
    others = tuple(d for d in range(v.ndim) if d != dim)
    return v.pow(2).sum(others, keepdim=True).sqrt() if others else v.abs()


class _WeightNorm(Module):
    """weight = g * v / ||v|| from (g, v) = (original0, original1)."""

    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return weight_v * (weight_g / _norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight):
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """Reparametrise ``module.<name>`` as g * v / ||v||: a magnitude
    ``parametrizations.<name>.original0`` (g) and a direction ``original1`` (v), both learnt.

    Args: module, name (default 'weight'), dim (default 0: one magnitude per output channel;
    None: one for the whole tensor).

    NOTE: torch also renames old checkpoints' ``<name>_g``/``<name>_v`` keys when loading;
    ember's load_state_dict has no per-module pre-hooks, so rename them by hand.
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


# ------------------------------------------------------------------------------ spectral_norm

class _SpectralNorm(Module):
    """weight / sigma, sigma the largest singular value of the weight viewed as a matrix
    (dim ``dim`` as rows), estimated by power iteration; 1-D weights are normalised instead."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, "
                             f"{ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            u = weight_mat.new_empty(h).normal_(0, 1)  # drawn in torch's order: u, then v
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)  # a good first estimate

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat, n_power_iterations):
        """u = normalize(W v), v = normalize(W^H u), written into the buffers."""
        with no_grad():
            for _ in range(n_power_iterations):
                self._u.copy_(F.normalize(weight_mat.mv(self._v), dim=0, eps=self.eps))
                self._v.copy_(F.normalize(weight_mat.mH.mv(self._u), dim=0, eps=self.eps))

    def forward(self, weight):
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()  # constants for backward
        sigma = u.vdot(weight_mat.mv(v))
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Reparametrise ``module.<name>`` as weight / sigma (its spectral norm, by power
    iteration: ``n_power_iterations`` steps per training-mode read).

    Args: module, name (default 'weight'), n_power_iterations (default 1), eps (default
    1e-12), dim (default None: 1 for transposed convolutions, else 0).
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        transposed = (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)
        dim = 1 if isinstance(module, transposed) else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


# ------------------------------------------------------------------------------ orthogonal

def _matrix_exp(a):
    """exp(a) of a (batch of) square matrices, by scaling and squaring: exp(a) =
    exp(a / 2^s)^(2^s), with ||a / 2^s||_1 <= 1/2 and exp of that by its Taylor series to
    degree 18 (error below 0.5^19 / 19! ~ 1e-23). Composed of ember ops, so it has gradients."""
    norm = float(np.abs(a.detach()._host()).sum(axis=-2).max()) if a.numel() else 0.0
    squarings = max(0, math.ceil(math.log2(norm / 0.5))) if norm > 0 else 0
    b = a / 2.0**squarings
    n = a.shape[-1]
    identity = eye(n, dtype=a.dtype, device=a.device)
    result = identity
    for j in range(18, 0, -1):  # Horner: I + b/1 (I + b/2 (I + ... (I + b/18)))
        result = identity + (b @ result) / j
    for _ in range(squarings):
        result = result @ result
    return result


def _householder_product(a, tau):
    """The first k columns of H_1 H_2 ... H_k, H_i = I - tau_i v_i v_i^H, v_i = column i of
    a below the diagonal with a 1 on it (as torch.linalg.householder_product)."""
    n, k = a.shape[-2], a.shape[-1]
    vectors = a.tril(-1) + eye(n, k, dtype=a.dtype, device=a.device)
    q = eye(n, dtype=a.dtype, device=a.device).expand(*a.shape[:-2], n, n)
    for i in range(k):
        v = vectors[..., :, i:i + 1]
        q = q - (q @ v) @ (v.mH * tau[..., i:i + 1].unsqueeze(-1))
    return q[..., :k]


def _make_orthogonal(a):
    """The Q of a = QR with diag(R) >= 0 (the one Q torch's geqrf-based version gives)."""
    q, r = np.linalg.qr(a._host())
    signs = np.sign(np.diagonal(r, axis1=-2, axis2=-1))
    signs = np.where(signs == 0, 1, signs)
    return Tensor._make(np.ascontiguousarray(q * signs[..., None, :]), a.device)


def _is_orthogonal(q):
    n, k = q.shape[-2], q.shape[-1]
    identity = eye(k, dtype=q.dtype, device=q.device)
    eps = 10.0 * n * _dtype.finfo(q.dtype).eps
    return bool((q.mH @ q).allclose(identity, atol=eps))


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    """An orthogonal matrix (orthonormal columns, or rows when wide) from an unconstrained one;
    with ``use_trivialization`` the result is ``base @ Q``, base an orthogonal buffer set by
    right_inverse (the original then holds the point that maps to the identity)."""

    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex "
                             "tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if n != k:  # pad to square with zero columns
                X = cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mH  # skew-symmetric (skew-Hermitian)
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = _matrix_exp(A)
            else:  # Cayley: (I - A/2)^-1 (I + A/2)
                identity = eye(n, dtype=A.dtype, device=A.device)
                Q = solve(identity - 0.5 * A, identity + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _householder_product(A, tau)
            # the signs of the diagonal choose each reflection's direction
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if hasattr(self, "base"):
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q):
        with no_grad():
            return self._right_inverse(Q)

    def _right_inverse(self, Q):
        if Q.shape != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                             f"Got a tensor of shape {Q.shape}.")
        Q_init = Q
        n, k = Q.shape[-2], Q.shape[-1]
        transpose = n < k
        if transpose:
            Q = Q.mT
            n, k = k, n
        if not hasattr(self, "base"):
            if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                raise NotImplementedError("It is not possible to assign to the matrix "
                                          "exponential or the Cayley parametrizations when "
                                          "use_trivialization=False.")
            # LAPACK's geqrf (NumPy's qr 'raw' mode gives it transposed): the reflectors
            # below the diagonal, the diagonal replaced by the signs that rebuild Q
            raw, tau = np.linalg.qr(Q._host(), mode="raw")
            A = np.ascontiguousarray(np.swapaxes(raw, -1, -2))
            diagonal = np.sign(np.diagonal(A, axis1=-2, axis2=-1))
            diagonal = np.where(tau == 0.0, -diagonal, diagonal)
            idx = np.arange(k)
            A[..., idx, idx] = diagonal
            A = Tensor._make(A.astype(Q._host().dtype), Q.device)
            return A.mT if transpose else A
        if n == k:
            Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
        else:  # complete the columns with random ones, then orthogonalise
            N = randn(*(tuple(Q.shape[:-2]) + (n, n - k)), dtype=Q.dtype, device=Q.device)
            Q = _make_orthogonal(cat([Q, N], dim=-1))
        self.base = Q
        neg_identity = zeros_like(Q_init)
        neg_identity.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
        return neg_identity


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Make ``module.<name>`` (a matrix or batch of matrices) orthogonal: orthonormal columns
    when tall, rows when wide.

    Args:
        module, name (default 'weight')
        orthogonal_map: 'matrix_exp', 'cayley' or 'householder' (default: 'matrix_exp' for
            square or complex matrices, else 'householder')
        use_trivialization (keyword-only, default True): keep an orthogonal ``base`` buffer
            and parametrize base @ Q (the initial weight is the original one orthogonalised
            by QR)
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError("Expected a matrix or batch of matrices. "
                         f"Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        square = weight.shape[-2] == weight.shape[-1]
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", '
                         f'"householder". Got: {orthogonal_map}')
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
