"""LU and Cholesky factorizations that never raise, as LAPACK's do (getrf/getrs, potrf).

The backend's ``linalg.inv``/``cholesky``/``solve`` raise on a singular or non-positive-definite
matrix; torch's ``inv_ex``, ``cholesky_ex`` and the gradient of ``slogdet`` at a singular matrix
do not: they return what the factorization computed, with IEEE infinities and NaNs, and an
``info`` code (the 1-based position of the first zero / non-positive pivot, 0 when none).
These plain loops over the matrix size (vectorised over the batch) give the same, and run only
where the backend refused.
"""


def _pivot_size(x, xp):
    # NOTE: LAPACK chooses complex pivots by |re| + |im|, not by the modulus
    if x.dtype.kind == "c":
        return xp.abs(x.real) + xp.abs(x.imag)
    return xp.abs(x)


def lu_factor(a, xp):
    """LU with partial pivoting of a batch (..., n, n): P A = L U.

    Returns (lu, perm, info): L (unit diagonal, below it) and U in one array, ``perm`` such
    that row i of P A is row perm[i] of A, and info (first zero pivot, 1-based; 0 if none).
    A zero pivot leaves its column unscaled and the elimination goes on, as in getrf.
    """
    lu = a.copy()
    n = a.shape[-1]
    batch = a.shape[:-2]
    rows = xp.arange(n)
    perm = xp.broadcast_to(rows, batch + (n,)).copy()
    info = xp.zeros(batch, dtype=xp.int32)
    flat_lu = lu.reshape((-1, n, n))
    flat_perm = perm.reshape((-1, n))
    which = xp.arange(flat_lu.shape[0])
    for k in range(n):
        p = k + xp.argmax(_pivot_size(flat_lu[:, k:, k], xp), axis=-1)
        row_k, row_p = flat_lu[which, k].copy(), flat_lu[which, p].copy()
        flat_lu[which, k], flat_lu[which, p] = row_p, row_k
        perm_k, perm_p = flat_perm[which, k].copy(), flat_perm[which, p].copy()
        flat_perm[which, k], flat_perm[which, p] = perm_p, perm_k
        pivot = flat_lu[:, k, k]
        zero = pivot == 0
        info_flat = info.reshape(-1)
        info_flat[...] = xp.where(zero & (info_flat == 0), k + 1, info_flat)
        column = flat_lu[:, k + 1:, k]
        safe = xp.where(zero, 1, pivot)
        flat_lu[:, k + 1:, k] = xp.where(zero[:, None], column, column / safe[:, None])
        flat_lu[:, k + 1:, k + 1:] -= flat_lu[:, k + 1:, k, None] * flat_lu[:, k, None, k + 1:]
    return lu, perm, info


def lu_solve(lu, perm, b, xp):
    """X with A X = B from ``lu_factor``'s output: L y = P b forward, U x = y backward.

    Each unknown is (its right side minus the dot product with the ones already found)
    divided by the pivot, so a zero pivot gives inf, and inf * 0 gives NaN, as getrs does.
    """
    n = lu.shape[-1]
    y = xp.take_along_axis(b, perm[..., :, None], axis=-2)
    for i in range(1, n):
        y[..., i, :] -= xp.einsum("...k,...kj->...j", lu[..., i, :i], y[..., :i, :])
    for i in range(n - 1, -1, -1):
        if i < n - 1:
            y[..., i, :] -= xp.einsum("...k,...kj->...j", lu[..., i, i + 1:], y[..., i + 1:, :])
        y[..., i, :] /= lu[..., i, i, None]
    return y


def cholesky(a, xp):
    """Lower L with A = L L^H, stopping where a pivot is not positive (potrf's semantics).

    Returns (L, info).  Column by column (left-looking): d = A_jj - |L_j,:j|^2; when d > 0,
    L_jj = sqrt(d) and L_ij = (A_ij - L_i,:j . conj(L_j,:j)) / L_jj below it.  At the first
    d <= 0 (or NaN) that matrix stops: d is stored on the diagonal, the columns from there on
    keep A's lower triangle, and info = j + 1.
    """
    low = xp.tril(a)
    n = a.shape[-1]
    batch = a.shape[:-2]
    info = xp.zeros(batch, dtype=xp.int32)
    active = xp.ones(batch, dtype=bool)
    for j in range(n):
        row = low[..., j, :j]
        d = (low[..., j, j] - (row * row.conj()).sum(-1)).real
        ok = active & (d > 0)
        info = xp.where(active & ~ok, j + 1, info)
        root = xp.sqrt(xp.where(ok, d, 1))
        below = low[..., j + 1:, j] - xp.einsum("...ik,...k->...i", low[..., j + 1:, :j],
                                                 row.conj())
        low[..., j, j] = xp.where(ok, root, xp.where(active, d, low[..., j, j].real))
        low[..., j + 1:, j] = xp.where(ok[..., None], below / root[..., None],
                                       low[..., j + 1:, j])
        active = ok
    return low, info
