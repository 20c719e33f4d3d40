"""Triangular solves and the LU factorization: solve_triangular, lu_factor (lu_factor_ex),
lu, lu_solve, and the older torch.* names lu, lu_unpack, lu_solve, triangular_solve.

NumPy's LAPACK wrappers have no triangular solve and no getrf, so both are written here as
plain loops over the matrix size, vectorised over the batch: back substitution, and Gaussian
elimination with partial pivoting.  Pivots are LAPACK's, counting rows from 1: at step i,
row i was swapped with row pivots[i - 1], and P is those swaps, made in order.
``ember.linalg`` re-exports these under torch.linalg's names.
"""

import warnings

import numpy as np

from .. import _dtype as D
from .. import return_types
from ..autograd.function import Node
from .inverse import _batch_prefix, _constant, _finish, _MultiOutput, _xp
from .unchecked_lapack import _pivot_size

__all__ = []  # public through ops/linalg.py (torch.*) and ember/linalg.py (torch.linalg.*)


# ---------------------------------------------------------------------------- checks

def _check_float(dtype, kernel):
    """torch's LU and triangular kernels exist for float32/64 and complex64/128 only."""
    if dtype.category < D.FLOAT or dtype in (D.float16, D.bfloat16):
        raise NotImplementedError(f'"{kernel}_cpu" not implemented for \'{dtype._short}\'')


def _check_square(A, op, name="A"):
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor {name} must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{op}: {name} must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")


# ---------------------------------------------------------------------------- solve_triangular

def _back_substitution(a, b, upper, unitriangular, xp):
    """X with A X = B for triangular A (batched; A and B already share their batch dims).

    Row by row from the end (upper) or the start (lower): x_i = (b_i - A_i,j x_j summed over
    the rows j already solved) / A_ii.  Only A's triangle is read; a zero A_ii gives inf, and
    inf * 0 NaN, as LAPACK's trtrs does (nothing is checked)."""
    n = a.shape[-1]
    x = b.copy()
    rows = range(n - 1, -1, -1) if upper else range(n)
    for i in rows:
        done = slice(i + 1, n) if upper else slice(0, i)
        x[..., i, :] -= xp.einsum("...k,...kj->...j", a[..., i, done], x[..., done, :])
        if not unitriangular:
            x[..., i, :] /= a[..., i, i, None]
    return x


class SolveTriangular(Node):
    """X = A^-1 B for triangular A (only its upper / lower triangle is read).
    grad_B = A^-H grad     (A^H is triangular the other way round)
    grad_A = -grad_B X^H, kept on A's triangle (strictly, when the diagonal is taken as 1):
    the other entries of A do not take part."""

    _name = "LinalgSolveTriangularBackward0"

    def __init__(self, upper, unitriangular):
        self.upper = upper
        self.unitriangular = unitriangular

    def _broadcast_shapes(self, shapes):
        a, b = shapes
        return [a[:-2], b[:-2]]

    def forward(self, a, b):
        xp = self.xp
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a_b = xp.broadcast_to(a, batch + a.shape[-2:])
        b_b = xp.broadcast_to(b, batch + b.shape[-2:]).astype(
            np.result_type(a.dtype, b.dtype))
        x = _back_substitution(a_b, b_b, self.upper, self.unitriangular, xp)
        self.save(a, x)
        return x

    def backward(self, grad):
        a, x = self.saved
        grad_b = SolveTriangular(not self.upper, self.unitriangular).apply(a.mH, grad)
        grad_a = None
        if self.needs_input_grad[0]:
            g = -(grad_b @ x.mH)
            k = 1 if self.unitriangular else 0
            grad_a = g.triu(k) if self.upper else g.tril(-k)
            if grad_a.is_complex() and not a.is_complex():  # a real A met a complex B
                grad_a = grad_a.real
        return grad_a, grad_b


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    """X with A X = B (left=False: X A = B) for a triangular A: only its upper (upper=True) or
    lower triangle is read, and its diagonal taken as ones when ``unitriangular``.  Batch dims
    broadcast; nothing checks for a zero on the diagonal (the result is then inf/NaN). Same as
    torch.linalg.solve_triangular."""
    op = "linalg.solve_triangular"
    _check_square(A, op)
    if B.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor B must have at least 2 dimensions.")
    _check_float(D.promote_types(A.dtype, B.dtype), "triangular_solve")
    rows = B.shape[-2] if left else B.shape[-1]
    if rows != A.shape[-1]:
        raise RuntimeError(f"{op}: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({A.shape[-2]}x{A.shape[-1]} and "
                           f"{B.shape[-2]}x{B.shape[-1]})")
    if left:
        x = SolveTriangular(upper, unitriangular).apply(A, B)
    else:  # X A = B  <=>  A^T X^T = B^T, and A^T is triangular the other way round
        x = SolveTriangular(not upper, unitriangular).apply(A.mT, B.mT).mT
    return _finish(x, out)


def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    """(X, A) with A X = input (transpose: A^T X = input). Same as torch.triangular_solve (the
    older name of linalg.solve_triangular; note the order of the arguments)."""
    warnings.warn("ember.triangular_solve is deprecated in favor of ember.linalg.solve_triangular "
                  "and will be removed in a future release.\nember.linalg.solve_triangular has "
                  "its arguments reversed and does not return a copy of one of the inputs.\n"
                  "X = ember.triangular_solve(B, A).solution\nshould be replaced with\n"
                  "X = ember.linalg.solve_triangular(A, B).", UserWarning, stacklevel=2)
    if transpose:
        A_used, upper_used = A.mT, not upper
    else:
        A_used, upper_used = A, upper
    x = solve_triangular(A_used, input, upper=upper_used, unitriangular=unitriangular)
    result = return_types.triangular_solve((x, A.clone()))
    return _finish(result, out, "triangular_solve", same_dtype=True)


# ---------------------------------------------------------------------------- LU

def _getrf(a, xp):
    """P A = L U by Gaussian elimination with partial pivoting, for a batch (..., m, n).

    Returns (lu, pivots, info) as LAPACK's getrf: L (unit diagonal, not stored) below the
    diagonal and U on and above it in one m x n array; pivots (..., min(m, n)) int32, 1-based
    (row i was swapped with row pivots[i] at step i); info the 1-based step of the first zero
    pivot (0 if none).  At each step the pivot is the entry of largest size in the column
    (for complex numbers LAPACK measures |re| + |im|); a zero pivot leaves its column as it
    is and the elimination goes on."""
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    count = int(np.prod(batch, dtype=np.int64))
    lu = a.reshape((count, m, n)).copy()
    pivots = xp.zeros((count, k), dtype=xp.int32)
    info = xp.zeros((count,), dtype=xp.int32)
    which = xp.arange(count)
    for j in range(k):
        p = j + xp.argmax(_pivot_size(lu[:, j:, j], xp), axis=-1)
        pivots[:, j] = p + 1
        row_j, row_p = lu[which, j].copy(), lu[which, p].copy()
        lu[which, j], lu[which, p] = row_p, row_j
        pivot = lu[:, j, j]
        zero = pivot == 0
        info[...] = xp.where(zero & (info == 0), j + 1, info)
        lu[:, j + 1:, j] /= xp.where(zero, 1, pivot)[:, None]
        # the rest of the matrix loses row j's multiple: the Schur complement
        lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j, None] * lu[:, j, None, j + 1:]
    return (lu.reshape(batch + (m, n)), pivots.reshape(batch + (k,)),
            info.reshape(batch))


def _permutation(pivots, m, xp):
    """perm with (P^T A)[i] = A[perm[i]], from LAPACK's pivots (the swaps done in order)."""
    batch = pivots.shape[:-1]
    perm = xp.broadcast_to(xp.arange(m), batch + (m,)).copy()
    flat = perm.reshape((-1, m))
    flat_pivots = pivots.reshape((-1, pivots.shape[-1])).astype(xp.int64) - 1
    which = xp.arange(flat.shape[0])
    for j in range(pivots.shape[-1]):
        p = flat_pivots[:, j]
        row_j, row_p = flat[which, j].copy(), flat[which, p].copy()
        flat[which, j], flat[which, p] = row_p, row_j
    return perm


def _permutation_matrix(pivots, m, like, xp):
    """The matrix P of A = P L U: column i holds a one in row perm[i]."""
    perm = _permutation(pivots, m, xp)
    p = xp.arange(m)[:, None] == perm[..., None, :]
    return _constant(like, p.astype(like._data.dtype))


class LUFactor(_MultiOutput):
    """P A = L U (partial pivoting), L and U in one matrix; pivots and info have no gradient.

    The gradient comes from differentiating A = P L U.  Square A: L^-1 P^T dA U^-1 =
    L^-1 dL + dU U^-1, a strictly lower plus an upper triangular matrix, so dL and dU are read
    off the two triangles, and their adjoint is
        grad_A = P L^-H (tril_-1(L^H gL) + triu(gU U^H)) U^-H.
    Wide A (m < n), U = [U1 | U2]: U2 = L^-1 P^T A2 also moves with L, which adds
    -L^-H gU2 U2^H to gL, and A2's own gradient is P L^-H gU2.  Tall A (m > n), L = [L1; L2]:
    L2 = A2' U^-1 also moves with U, which adds -L2^H gL2 U^-H to gU, and A2' (the last rows
    of P^T A) gets gL2 U^-H."""

    _name = "LinalgLuFactorExBackward0"

    def __init__(self, name=None):
        if name is not None:
            self._name = name

    def forward(self, a):
        lu, pivots, info = _getrf(a, self.xp)
        self.keep(lu, pivots)
        return lu, pivots, info

    def backward(self, grad_lu, grad_pivots, grad_info):
        if grad_lu is None:
            return None
        lu, pivots = self.outputs()
        m, n = lu.shape[-2:]
        k = min(m, n)
        p = _permutation_matrix(pivots._data, m, lu, self.xp)
        low = lu[..., :, :k].tril(-1) + _eye_mk(m, k, lu)
        up = lu[..., :k, :].triu()
        g_low = grad_lu[..., :, :k].tril(-1)
        g_up = grad_lu[..., :k, :].triu()
        if m == n:
            return p @ _lu_square_grad(low, up, g_low, g_up)
        if m < n:
            up1, up2 = up[..., :m], up[..., m:]
            g_up1, g_up2 = g_up[..., :m], g_up[..., m:]
            lh_g_up2 = _solve_lh(low, g_up2)
            g_low = g_low - (lh_g_up2 @ up2.mH).tril(-1)
            g_a1 = _lu_square_grad(low, up1, g_low, g_up1)
            return p @ _cat(g_a1, lh_g_up2, -1)
        low1, low2 = low[..., :n, :], low[..., n:, :]
        g_low1, g_low2 = g_low[..., :n, :], g_low[..., n:, :]
        g_low2_uh = _solve_uh_right(up, g_low2)
        g_up = g_up - (low2.mH @ g_low2_uh).triu()
        g_a1 = _lu_square_grad(low1, up, g_low1, g_up)
        return p @ _cat(g_a1, g_low2_uh, -2)


def _eye_mk(m, k, like):
    return _constant(like, _xp(like).eye(m, k, dtype=like._data.dtype))


def _cat(a, b, dim):
    from .join import cat

    return cat([a, b], dim)


def _solve_lh(low, x):
    """L^-H X for unit lower-triangular L (L^H is unit upper-triangular)."""
    return SolveTriangular(True, True).apply(low.mH, x)


def _solve_uh_right(up, x):
    """X U^-H for upper-triangular U: (U^-1 X^H)^H."""
    return SolveTriangular(True, False).apply(up, x.mH).mH


def _lu_square_grad(low, up, g_low, g_up):
    """L^-H (tril_-1(L^H gL) + triu(gU U^H)) U^-H: the gradient of P^T A for square L U."""
    phi = (low.mH @ g_low).tril(-1) + (g_up @ up.mH).triu()
    return _solve_uh_right(up, _solve_lh(low, phi))


def _lu_factor_ex(A, pivot, op="torch.lu_factor"):
    if A.ndim < 2:
        raise RuntimeError(f"{op}: Expected tensor with 2 or more dimensions. Got size: "
                           f"{list(A.shape)} instead")
    _check_float(A.dtype, "lu")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    return LUFactor().apply(A)


def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    """(LU, pivots, info): P A = L U with L (unit diagonal) and U stored in one matrix LU,
    LAPACK's int32 pivots (1-based row swaps) and info (0, or the first step whose pivot was
    zero: U is then singular).  A may be rectangular and batched. Same as
    torch.linalg.lu_factor_ex."""
    lu, pivots, info = _lu_factor_ex(A, pivot)
    if check_errors:
        _raise_singular(info, A, "torch.linalg.lu_factor_ex")
    result = return_types.linalg_lu_factor_ex((lu, pivots, info))
    return _finish(result, out, "linalg.lu_factor_ex", same_dtype=True)


def _raise_singular(info, A, op):
    info = info._data.reshape(-1)
    for b, step in enumerate(info.tolist()):
        if step > 0:
            raise RuntimeError(f"{op}: {_batch_prefix(b, A.ndim)}U[{step},{step}] is zero and "
                               "using it on lu_solve would result in a division by zero. If you "
                               "still want to perform the factorization, consider calling "
                               "linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")


def lu_factor(A, *, pivot=True, out=None):
    """(LU, pivots): P A = L U with partial pivoting, L and U in one matrix, pivots LAPACK's
    (int32, 1-based row swaps).  A zero pivot (singular U) raises, as lu_solve would divide
    by it. Same as torch.linalg.lu_factor."""
    lu, pivots, info = _lu_factor_ex(A, pivot)
    _raise_singular(info, A, "torch.linalg.lu_factor")
    return _finish(return_types.linalg_lu_factor((lu, pivots)), out, "linalg.lu_factor",
                   same_dtype=True)


def _unpack(lu, pivots, like):
    """P, L (m x k, unit lower) and U (k x n, upper) from a compact LU."""
    m, n = lu.shape[-2:]
    k = min(m, n)
    p = _permutation_matrix(pivots._data, m, like, _xp(like))
    low = lu[..., :, :k].tril(-1) + _eye_mk(m, k, lu)
    up = lu[..., :k, :].triu()
    return p, low, up


def lu(A, *, pivot=True, out=None):
    """(P, L, U) with A = P L U: P a permutation, L unit lower-triangular (m x k), U upper
    triangular (k x n), k = min(m, n).  A singular A does not raise. Same as torch.linalg.lu."""
    lu_, pivots, _ = _lu_factor_ex(A, pivot, "linalg.lu")
    return _finish(return_types.linalg_lu(_unpack(lu_, pivots, A)), out, "linalg.lu",
                   same_dtype=True)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    """(P, L, U) from lu_factor's (LU, pivots); a part not asked for is an empty tensor. Same
    as torch.lu_unpack."""
    if LU_pivots.dtype is not D.int32:
        raise RuntimeError("lu_unpack: LU_pivots is expected to be a contiguous tensor of "
                           "torch.int32 dtype.\nNote: this function is intended to be used "
                           "with the output produced by torch.linalg.lu_factor")
    p, low, up = _unpack(LU_data, LU_pivots, LU_data)
    empty = _constant(LU_data, _xp(LU_data).zeros((0,), dtype=LU_data._data.dtype))
    result = return_types.lu_unpack((p if unpack_pivots else empty,
                                     low if unpack_data else empty,
                                     up if unpack_data else empty))
    return _finish(result, out, "lu_unpack", same_dtype=True)


def legacy_lu(A, pivot=True, get_infos=False, out=None):
    """(LU, pivots) or, with get_infos, (LU, pivots, infos). Same as torch.lu (the older name of
    linalg.lu_factor_ex); unlike linalg.lu_factor, a singular A does not raise, as in torch."""
    warnings.warn("ember.lu is deprecated in favor of ember.linalg.lu_factor / "
                  "ember.linalg.lu_factor_ex and will be removed in a future release.\n"
                  "LU, pivots = ember.lu(A, compute_pivots)\nshould be replaced with\n"
                  "LU, pivots = ember.linalg.lu_factor(A, compute_pivots)\nand\n"
                  "LU, pivots, info = ember.lu(A, compute_pivots, get_infos=True)\n"
                  "should be replaced with\n"
                  "LU, pivots, info = ember.linalg.lu_factor_ex(A, compute_pivots)",
                  UserWarning, stacklevel=2)
    lu_, pivots, info = _lu_factor_ex(A, pivot)
    result = (lu_, pivots, info) if get_infos else (lu_, pivots)
    return _finish(result, out, "lu", same_dtype=True)


# ---------------------------------------------------------------------------- lu_solve

def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    """X with A X = B from lu_factor's (LU, pivots) of A; ``adjoint``: A^H X = B; left=False:
    X A = B (or X A^H = B).  Batch dims broadcast. Same as torch.linalg.lu_solve.

    With A = P L U:  X = U^-1 L^-1 P^T B,  and for the adjoint  X = P L^-H U^-H B;  the right
    side cases are these for X^H (X A = B  <=>  A^H X^H = B^H)."""
    op = "linalg.lu_solve"
    _check_square(LU, f"torch.{op}", "A")
    if B.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor B must have at least 2 dimensions.")
    if LU.dtype is not B.dtype:
        raise RuntimeError(f"{op}: Expected LU and B to have the same dtype, but found LU of "
                           f"type {LU.dtype._short} and B of type {B.dtype._short} instead")
    if pivots.dtype is not D.int32:
        raise RuntimeError(f"{op}: pivots should be a Tensor of scalar type torch.int32")
    n = LU.shape[-1]
    if pivots.shape[-1] != n:
        raise RuntimeError(f"{op}: Number of pivots per batch should be same as the dimension "
                           "of the matrix")
    rows = B.shape[-2] if left else B.shape[-1]
    if rows != n:
        raise RuntimeError(f"{op}: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and "
                           f"{B.shape[-2]}x{B.shape[-1]})")
    _check_float(LU.dtype, "lu_solve")
    if not left:
        return _finish(_lu_solve_left(LU, pivots, B.mH, not adjoint).mH, out)
    return _finish(_lu_solve_left(LU, pivots, B, adjoint), out)


def _lu_solve_left(LU, pivots, B, adjoint):
    p, low, up = _unpack(LU, pivots, LU)
    if adjoint:  # A^H = U^H L^H P^T
        y = SolveTriangular(False, False).apply(up.mH, B)
        y = SolveTriangular(True, True).apply(low.mH, y)
        return p @ y
    y = SolveTriangular(False, True).apply(low, p.mT @ B)
    return SolveTriangular(True, False).apply(up, y)


def legacy_lu_solve(input, LU_data, LU_pivots, *, out=None):
    """X with A X = input from torch.lu's (LU_data, LU_pivots). Same as torch.lu_solve (the
    older name of linalg.lu_solve; note the order of the arguments)."""
    warnings.warn("ember.lu_solve is deprecated in favor of ember.linalg.lu_solve and will be "
                  "removed in a future release.\nNote that ember.linalg.lu_solve has its "
                  "arguments reversed.\nX = ember.lu_solve(B, LU, pivots)\nshould be replaced "
                  "with\nX = ember.linalg.lu_solve(LU, pivots, B)", UserWarning, stacklevel=2)
    return lu_solve(LU_data, LU_pivots, input, out=out)
