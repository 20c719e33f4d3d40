"""General (non-symmetric) eigenvalues and the matrix exponential: linalg.eig, eigvals and
matrix_exp (also torch.matrix_exp).

eig calls the backend's LAPACK (``xp.linalg.eig``: geev, as torch does, so the eigenvectors
come with LAPACK's normalisation: unit length, largest component real).  matrix_exp is
scaling and squaring with a Pade approximant, written here.  Backward is written with ember
ops, so second derivatives work.  ``ember.linalg`` re-exports these under torch.linalg's names.
"""

import math

import numpy as np

from .. import _dtype as D
from .. import return_types
from ..autograd.function import Node
from ..autograd.grad_mode import state as _grad_state
from .decompositions import _check_phase_invariant
from .inverse import _check_matrix, _constant, _diag, _eye, _finish, _MultiOutput, _xp, solve

__all__ = []  # public through ops/linalg.py (torch.*) and ember/linalg.py (torch.linalg.*)


# ---------------------------------------------------------------------------- eig

def _check_eig(A, op):
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if A.dtype.category < D.FLOAT:
        raise RuntimeError(f"Unknown Complex ScalarType for {A.dtype._short}")
    if A.dtype in (D.float16, D.bfloat16):
        raise NotImplementedError(f'"linalg_eig_out_cpu" not implemented for '
                                  f"'{A.dtype._short}'")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")


class Eig(_MultiOutput):
    """A V = V diag(L): complex eigenvalues L and unit eigenvectors V (columns).

    Differentiating A V = V L with C = V^-1 dA V and Omega = V^-1 dV gives
        dL = diag(C),   Omega_ij = C_ij / (L_j - L_i)  (i != j),
    and Omega's diagonal is fixed by keeping each |v_i| = 1: Re(v_i^H dv_i) = 0 (its imaginary
    part is the free phase of v_i: a loss must not depend on it, as for svd).  Writing the
    loss's change through C and moving the diagonal term onto the off-diagonal entries:
        M = V^H gV - (V^H V) diag(Re diag(V^H gV)),
        gC = diag(gL) + M / conj(L_j - L_i) off the diagonal,
        grad_A = V^-H gC V^H      (its real part for a real A).
    Defined when the eigenvalues are distinct."""

    _name = "LinalgEigBackward0"

    def forward(self, a):
        xp = self.xp
        if not bool(xp.isfinite(a).all()):
            raise RuntimeError("torch.linalg.eig: input tensor should not contain infs or NaNs.")
        complex_dtype = np.result_type(a.dtype, np.complex64)
        w, v = xp.linalg.eig(a)  # real arrays when every eigenvalue of a real A is real
        w, v = w.astype(complex_dtype), v.astype(complex_dtype)
        self.keep(w, v)
        self.real_input = a.dtype.kind != "c"
        return w, v

    def backward(self, grad_w, grad_v):
        if grad_w is None and grad_v is None:
            return None
        w, v = self.outputs()
        vh = v.mH
        n = w.shape[-1]
        g = 0 if grad_w is None else _diag(grad_w)
        if grad_v is not None:
            vh_gv = vh @ grad_v
            _check_phase_invariant(vh_gv, "linalg_eig_backward", "eigenvectors",
                                   "depends on this quantity, so it is ill-defined.")
            m = vh_gv - (vh @ v) * vh_gv.diagonal(0, -2, -1).real.unsqueeze(-2)
            eye = _eye(n, w)
            gaps = (w.unsqueeze(-2) - w.unsqueeze(-1)).conj() + eye
            g = g + m * (1 - eye) / gaps
        grad_a = solve(vh, g @ vh)
        return grad_a.real if self.real_input else grad_a


def eig(A, *, out=None):
    """(eigenvalues, eigenvectors) of a square matrix, always complex (complex64 for float32
    A): A V = V diag(L), each eigenvector of unit length.  The order and the phases are
    LAPACK's, so compare V diag(L) V^-1, L, or |V|. Same as torch.linalg.eig."""
    _check_eig(A, "linalg.eig")
    result = return_types.linalg_eig(Eig().apply(A))
    return _finish(result, out, "linalg.eig", same_dtype=True)


def eigvals(A, *, out=None):
    """The eigenvalues of a square matrix, complex, in LAPACK's order. Same as
    torch.linalg.eigvals."""
    _check_eig(A, "linalg.eigvals")
    if A.requires_grad and _grad_state.enabled:
        return _finish(Eig().apply(A)[0], out, "linalg.eigvals", same_dtype=True)
    # without a gradient, no eigenvectors: LAPACK's Schur form without Schur vectors, as torch
    xp = _xp(A)
    if not bool(xp.isfinite(A._data).all()):
        # NOTE: torch 2.13 returns NaNs here, or crashes inside LAPACK; ember refuses clearly
        raise RuntimeError("torch.linalg.eigvals: input tensor should not contain infs or NaNs.")
    w = xp.linalg.eigvals(A._data).astype(np.result_type(A._data.dtype, np.complex64))
    return _finish(_constant(A, w), out, "linalg.eigvals", same_dtype=True)


# ---------------------------------------------------------------------------- matrix_exp

# Pade degree 13: exp(X) ~ q(X)^-1 p(X) with p(X) = sum_j b_j X^j, q(X) = p(-X), and
# b_j = (26 - j)! 13! / (26! j! (13 - j)!).  For |X|_1 <= THETA_13 it is exact to double
# precision (Higham, "The scaling and squaring method for the matrix exponential revisited",
# 2005); a larger A is first divided by 2^s to get there, and the result squared s times.
_DEGREE = 13
_PADE = [math.factorial(2 * _DEGREE - j) * math.factorial(_DEGREE)
         / (math.factorial(2 * _DEGREE) * math.factorial(j) * math.factorial(_DEGREE - j))
         for j in range(_DEGREE + 1)]
_THETA_13 = 5.371920351148152


def _expm(a, xp):
    """exp(A) of a batch of square matrices by scaling and squaring (in double precision)."""
    wide = a.astype(np.result_type(a.dtype, np.float64))
    n = a.shape[-1]
    # s per matrix: the smallest s >= 0 with |A / 2^s|_1 <= theta_13
    norm_1 = xp.abs(wide).sum(-2).max(-1) if n else xp.zeros(a.shape[:-2])
    with np.errstate(divide="ignore"):
        s = xp.ceil(xp.log2(norm_1 / _THETA_13))
    s = xp.where(xp.isfinite(s) & (s > 0), s, 0).astype(xp.int64)
    x = wide / (2.0 ** s)[..., None, None]
    eye = xp.broadcast_to(xp.eye(n, dtype=wide.dtype), wide.shape)
    even = _PADE[0] * eye  # the even powers of p (q has the same, with the odd ones negated)
    odd = xp.zeros_like(wide)
    power = eye
    for j in range(1, _DEGREE + 1):
        power = power @ x
        if j % 2:
            odd = odd + _PADE[j] * power
        else:
            even = even + _PADE[j] * power
    result = xp.linalg.solve(even - odd, even + odd) if n else wide.copy()
    for k in range(int(s.max()) if s.size else 0):  # undo the scaling: exp(A) = exp(A/2^s)^(2^s)
        squared = result @ result
        result = xp.where((s > k)[..., None, None], squared, result)
    return result.astype(a.dtype)


class MatrixExp(Node):
    """Y = exp(A) = sum_k A^k / k!
    The derivative in direction E is the top-right block of exp([[A, E], [0, A]]) (the
    Frechet derivative; differentiate the series of the block matrix), and the adjoint of
    E -> L(A, E) is G -> L(A^H, G), so
        grad_A = top-right block of exp([[A^H, G], [0, A^H]])."""

    _name = "LinalgMatrixExpBackward0"

    def forward(self, a):
        self.save(a)
        return _expm(a, self.xp)

    def backward(self, grad):
        from .join import cat

        (a,) = self.saved
        n = a.shape[-1]
        ah = a.mH
        zero = ah * 0
        block = cat([cat([ah, grad], -1), cat([zero, ah], -1)], -2)
        return MatrixExp().apply(block)[..., :n, n:]


def matrix_exp(A):
    """exp(A) = I + A + A^2/2! + ... of a square matrix (batched), by scaling and squaring
    with a degree-13 Pade approximant. Same as torch.linalg.matrix_exp and torch.matrix_exp."""
    _check_matrix(A, "linalg.matrix_exp")
    return MatrixExp().apply(A)


def removed_eig(*args, **kwargs):
    """torch.eig (and Tensor.eig) were removed in torch 1.9: calling them raises torch's
    error, which names the replacement."""
    raise RuntimeError("This function was deprecated since version 1.9 and is now removed. "
                       "`torch.linalg.eig` returns complex tensors of dtype `cfloat` or "
                       "`cdouble` rather than real tensors mimicking complex tensors.\n\n"
                       "L, _ = torch.eig(A) should be replaced with:\n"
                       "L_complex = torch.linalg.eigvals(A)\n\nand\n\n"
                       "L, V = torch.eig(A, eigenvectors=True) should be replaced with:\n"
                       "L_complex, V_complex = torch.linalg.eig(A)")
