"""Inverses and determinants: inv, det, slogdet, logdet, solve, matrix_power; and what all
of linear algebra shares: ``LinAlgError``, shape checks, constant masks, and ``_MultiOutput``
(the base of nodes whose backward needs several of their outputs).

Forward calls the backend's LAPACK (``xp.linalg``); backward is written with ember ops, so
second derivatives work.  ``ember.linalg`` re-exports these under torch.linalg's names.
"""

import collections
import math

import numpy as np
from numpy.linalg import LinAlgError as _BackendLinAlgError  # cupy raises it too

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.function import _FREED, Node
from ..autograd.grad_mode import state as _grad_state
from . import unchecked_lapack

__all__ = []  # public through ops/linalg.py (torch.*) and ember/linalg.py (torch.linalg.*)


class LinAlgError(RuntimeError):
    """A matrix that the factorization cannot handle (singular, not positive-definite).
    Same as torch.linalg.LinAlgError (a RuntimeError)."""


SlogdetResult = collections.namedtuple("slogdet", ["sign", "logabsdet"])
InvExResult = collections.namedtuple("linalg_inv_ex", ["inverse", "info"])


# ---------------------------------------------------------------------------- helpers

def _check_matrix(A, op, square=True):
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if A.dtype.category < D.FLOAT:
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got "
                           f"{A.dtype._short}")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")


def _xp(t):
    from .. import _device

    return _device.xp_for(t.device)


def _constant(t, array):
    """A backend array as a tensor (no grad) on ``t``'s device."""
    return Tensor._make(array, t.device)


def _eye(n, like):
    return _constant(like, _xp(like).eye(n, dtype=like._data.dtype))


def _mask(n, like, k=0, diag=1.0):
    """The lower-triangular mask below diagonal ``k`` (entries on the diagonal = ``diag``)."""
    xp = _xp(like)
    m = xp.tril(xp.ones((n, n), dtype=like._data.dtype), k)
    if k == 0 and diag != 1:
        m = m - (1 - diag) * xp.eye(n, dtype=m.dtype)
    return _constant(like, m)


def _diag(v):
    """A batch of diagonal matrices from a batch of vectors (diag_embed)."""
    return v.unsqueeze(-1) * _eye(v.shape[-1], v)


def _batch_prefix(index, ndim):
    return f"(Batch element {index}): " if ndim > 2 else ""


def _first_zero_pivot(m, xp):
    """1-based index of the first zero pivot in LU with partial pivoting (LAPACK reports it),
    or None."""
    u = m.astype(xp.float64 if m.dtype.kind == "f" else xp.complex128, copy=True)
    for k in range(u.shape[-1]):
        p = k + int(xp.argmax(xp.abs(u[k:, k])))
        if u[p, k] == 0:
            return k + 1
        u[[k, p]] = u[[p, k]]
        u[k + 1:] -= xp.outer(u[k + 1:, k] / u[k, k], u[k])
    return None


def _batches(a):
    return a.reshape((-1,) + a.shape[-2:])


class _MultiOutput(Node):
    """A node whose backward needs several of its own outputs.  They come back from
    ``outputs()`` as tensors of this node's graph, so that double backward differentiates
    through them as well.  Outputs no gradient reached arrive as None."""

    materialize_grads = False
    _outs = None

    def keep(self, *outputs):
        self._outs = outputs

    def outputs(self):
        _ = self.saved  # raises torch's error when backward already ran and freed the graph
        grad_mode = _grad_state.enabled
        return [Tensor._make(o, self.device, grad_mode, self if grad_mode else None, nr)
                for nr, o in enumerate(self._outs)]

    def _release(self):
        super()._release()
        if self._saved is _FREED:
            self._outs = None


# ---------------------------------------------------------------------------- inverse, det

class Inv(Node):
    """Y = A^-1          grad_A = -Y^H grad Y^H

    ``check=False`` (inv_ex): a singular matrix does not raise; Y is what LU gives (inf/NaN)
    and ``self.info`` the first zero pivot per matrix (0 when invertible).
    """

    _name = "LinalgInvExBackward0"
    info = None

    def __init__(self, check=True, op="linalg.inv"):
        self.check = check
        self.op = op

    def forward(self, a):
        try:
            y = self.xp.linalg.inv(a)
        except _BackendLinAlgError:
            if self.check:
                raise LinAlgError(_inv_message(a, self.xp, self.op)) from None
            lu, perm, self.info = unchecked_lapack.lu_factor(a, self.xp)
            eye = self.xp.broadcast_to(self.xp.eye(a.shape[-1], dtype=a.dtype), a.shape)
            y = unchecked_lapack.lu_solve(lu, perm, eye.copy(), self.xp)
        self.save(y)
        return y

    def backward(self, grad):
        (y,) = self.saved
        yh = y.mH
        return -(yh @ grad @ yh)


def _inv_message(a, xp, op="linalg.inv"):
    for b, m in enumerate(_batches(a)):
        pivot = _first_zero_pivot(m, xp)
        if pivot is not None:
            return (f"{op}: {_batch_prefix(b, a.ndim)}The diagonal element {pivot} is "
                    "zero, the inversion could not be completed because the input matrix is "
                    "singular.")
    return f"{op}: The input matrix is singular."


def inv(A, *, out=None):
    """The inverse matrix A^-1 (batched). Same as torch.linalg.inv; a singular matrix raises
    LinAlgError."""
    _check_matrix(A, "linalg.inv")
    return _finish(Inv().apply(A), out)


def inv_ex(A, *, check_errors=False, out=None):
    """(A^-1, info): info is 0 for an invertible matrix, else the 1-based index of the first
    zero pivot of its LU, and the inverse then holds inf/NaN, without raising (unless
    ``check_errors``). Same as torch.linalg.inv_ex."""
    _check_matrix(A, "linalg.inv_ex")
    node = Inv(check=check_errors, op="linalg.inv_ex")
    inverse = node.apply(A)
    info = node.info
    if info is None:
        info = _xp(A).zeros(tuple(A.shape[:-2]), dtype=np.int32)
    return InvExResult(_finish(inverse, out), _constant(A, info))


def _finish(result, out, name=None, same_dtype=False):
    if out is None:
        return result
    from .binary import write_out

    return write_out(result, out, name, same_dtype)


class Det(Node):
    """d = det(A)          grad_A = grad * d * A^-H   (the cofactor matrix)
    NOTE: where det(A) is exactly 0 the gradient is 0, as torch gives."""

    _name = "LinalgDetBackward0"

    def forward(self, a):
        d = self.xp.linalg.det(a)
        self.save(a, d)
        return d

    def backward(self, grad):
        a, d = self.saved
        n = a.shape[-1]
        # swap exactly singular matrices for I, so A^-1 exists; their d = 0 zeroes the result
        singular = (d == 0).to(a.dtype).unsqueeze(-1).unsqueeze(-1)
        safe = a + singular * (_eye(n, a) - a)
        scale = (grad * _conj(d)).unsqueeze(-1).unsqueeze(-1)
        return scale * inv(safe).mH


def _conj(t):
    return t.conj() if t.is_complex() else t


def det(A, *, out=None):
    """Determinant of a square matrix (batched). Same as torch.linalg.det."""
    _check_matrix(A, "linalg.det")
    return _finish(Det().apply(A), out)


class Slogdet(_MultiOutput):
    """sign, log|det(A)|          grad_A = grad_logabsdet * A^-H   (sign has no gradient)"""

    _name = "LinalgSlogdetBackward0"

    def forward(self, a):
        sign, logabsdet = self.xp.linalg.slogdet(a)
        self.save(a)
        self.singular = bool(self.xp.isneginf(logabsdet).any())
        return sign, logabsdet.astype(a.real.dtype)

    def backward(self, grad_sign, grad_logabsdet):
        if grad_logabsdet is None:
            return None
        (a,) = self.saved
        g = grad_logabsdet.unsqueeze(-1).unsqueeze(-1)
        if self.singular:
            return _singular_slogdet_grad(a, g)
        return g * inv(a).mH


def _singular_slogdet_grad(a, g):
    """grad_A = solve(A^H, g I) as torch computes it, by LU without the singularity check: a
    zero pivot gives inf, and inf * 0 NaN, where torch gives them (not differentiable again)."""
    xp = _xp(a)
    ah = xp.conj(xp.swapaxes(a._data, -1, -2))
    lu, perm, _ = unchecked_lapack.lu_factor(ah, xp)
    rhs = g._data * xp.eye(ah.shape[-1], dtype=ah.dtype)
    rhs = xp.broadcast_to(rhs, ah.shape).astype(ah.dtype)
    return _constant(a, unchecked_lapack.lu_solve(lu, perm, rhs, xp))


def slogdet(A, *, out=None):
    """(sign(det A), log|det A|), stable where det itself would under/overflow. Same as
    torch.linalg.slogdet."""
    _check_matrix(A, "linalg.slogdet")
    return _finish(SlogdetResult(*Slogdet().apply(A)), out, "linalg.slogdet", same_dtype=True)


def logdet(input):
    """log(det A): NaN for a negative determinant, -inf for a singular matrix. Same as
    torch.logdet."""
    _check_matrix(input, "linalg.slogdet")
    sign, logabsdet = Slogdet().apply(input)
    return logabsdet.masked_fill(sign.detach() < 0, math.nan)  # det = 0 is already -inf


# ---------------------------------------------------------------------------- solve

class Solve(Node):
    """X = A^-1 B          grad_B = A^-H grad,  grad_A = -grad_B X^H"""

    _name = "LinalgSolveExBackward0"

    def forward(self, a, b):
        xp, a_in = self.xp, a
        if a.shape[:-2] != b.shape[:-2]:  # CuPy's solve does not broadcast batch dims
            batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
            a = xp.broadcast_to(a, batch + a.shape[-2:])
            b = xp.broadcast_to(b, batch + b.shape[-2:])
        try:
            x = xp.linalg.solve(a, b)
        except _BackendLinAlgError:
            raise LinAlgError("linalg.solve: The solver failed because the input matrix is "
                              "singular.") from None
        self.save(a_in, x)
        return x

    def _broadcast_shapes(self, shapes):
        a, b = shapes
        return [b[:-2], a[:-2]]  # only the batch dims broadcast; torch names B's first

    def backward(self, grad):
        a, x = self.saved
        grad_b = Solve().apply(a.mH, grad)
        grad_a = -(grad_b @ x.mH) if self.needs_input_grad[0] else None
        return grad_a, grad_b


def solve(A, B, *, left=True, out=None):
    """X with A X = B (left=False: X A = B); B may be a (batch of) vector(s). Same as
    torch.linalg.solve."""
    _check_matrix(A, "linalg.solve")
    if A.dtype is not B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A "
                           f"of type {A.dtype._short} and B of type {B.dtype._short} instead")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    if vector:
        B = B.unsqueeze(-1)
    if not left:  # X A = B  <=>  A^T X^T = B^T
        A, B = A.mT, B.mT
    n = A.shape[-1]
    if B.shape[-2] != n:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({A.shape[-2]}x{n} and "
                           f"{B.shape[-2]}x{B.shape[-1]})")
    x = Solve().apply(A, B)
    if not left:
        x = x.mT
    return _finish(x.squeeze(-1) if vector else x, out)


# ---------------------------------------------------------------------------- power

def matrix_power(input, n, *, out=None):
    """A^n by repeated squaring (n < 0 inverts first; n = 0 is the identity). Same as
    torch.linalg.matrix_power."""
    _check_matrix(input, "linalg.matrix_power")
    if n == 0:
        return _finish(input * 0 + _eye(input.shape[-1], input), out)
    base = inv(input) if n < 0 else input
    n = abs(n)
    result = None
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return _finish(result, out)
