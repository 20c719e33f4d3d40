"""The LDL factorization of symmetric (Hermitian) matrices: linalg.ldl_factor (ldl_factor_ex)
and linalg.ldl_solve, with LAPACK's sytrf / hetrf conventions (lower triangle), written here
in NumPy as NumPy's LAPACK wrappers have no sytrf.

P A P^T = L D L^T (L^H when hermitian), found by the Bunch-Kaufman pivoting strategy: D is
block diagonal with 1 x 1 and 2 x 2 blocks, L unit lower-triangular.  The result is stored
as LAPACK stores it: D on the diagonal (and the subdiagonal of each 2 x 2 block) and L's
columns below it in one matrix LD; ``pivots`` (int32, 1-based) say what was swapped at each
step: pivots[k] = p > 0: a 1 x 1 block, rows and columns k and p - 1 were swapped;
pivots[k] = pivots[k + 1] = -p < 0: a 2 x 2 block, k + 1 and p - 1 were swapped.  As in
LAPACK, a swap acts on the part of the matrix not yet factorized only (the columns of L found
so far are not permuted), so ldl_solve applies the swaps one at a time.  Neither has a
gradient in torch, nor here.
"""

import math

import numpy as np

from .. import _dtype as D
from .. import return_types
from ..autograd.function import Node
from .inverse import _batch_prefix, _finish

__all__ = []  # public through ember/linalg.py (torch.linalg.*)

# Bunch and Kaufman's threshold: it bounds the growth of the entries in each step
_ALPHA = (1 + math.sqrt(17)) / 8


def _host(x):
    """The values as a NumPy array: the pivoting loops run on the CPU (a GPU array is copied
    here, and the results go back to its device)."""
    return x.get() if hasattr(x, "get") else np.asarray(x)


def _size(x):
    """How LAPACK measures entries when choosing pivots: |re| + |im| for complex numbers."""
    if np.iscomplexobj(x):
        return np.abs(x.real) + np.abs(x.imag)
    return np.abs(x)


def _swap(work, i, j):
    """Swap rows i and j, and columns i and j, of a symmetric (Hermitian) matrix."""
    work[[i, j], :] = work[[j, i], :]
    work[:, [i, j]] = work[:, [j, i]]


def _bunch_kaufman(a, hermitian):
    """LD, pivots and info for one matrix (sytf2's lower algorithm, step by step).

    ``work`` holds the part not yet factorized as a full symmetric (Hermitian) matrix, built
    from A's lower triangle.  Each step picks the pivot block:
      - the diagonal entry a_kk when it is large enough next to its column
        (|a_kk| >= alpha * colmax), or large next to the row of the column's largest entry;
      - else the largest entry's own diagonal a_rr (swap r with k, 1 x 1 block),
      - else the 2 x 2 block of k and r (swap r with k + 1).
    Then the block D_k, the columns L_k = C D_k^-1 below it, and the rest loses C D_k^-1 C^T.
    A zero column cannot be pivoted: info is set (the first such step, 1-based) and the
    factorization goes on with the next column."""
    n = a.shape[-1]
    low = np.tril(a)
    upper = np.conj(low.T) if hermitian else low.T
    work = low + np.triu(upper, 1)
    if hermitian:
        work[np.diag_indices(n)] = work.diagonal().real
    ld = np.zeros_like(a)
    pivots = np.zeros(n, dtype=np.int32)
    info = 0

    def diagonal_size(i):  # a Hermitian matrix's diagonal is real
        return abs(work[i, i].real) if hermitian else _size(work[i, i])

    k = 0
    while k < n:
        step, swap_with = 1, k
        diag = diagonal_size(k)
        column = _size(work[k + 1:, k])
        largest = k + 1 + int(np.argmax(column)) if column.size else k
        colmax = column.max() if column.size else 0.0
        if max(diag, colmax) == 0 or math.isnan(diag):
            info = info or k + 1
            ld[k:, k] = work[k:, k]
            pivots[k] = k + 1
            k += 1
            continue
        if not diag >= _ALPHA * colmax:  # (written so that a NaN goes on, as in LAPACK)
            # the largest off-diagonal entry in the row / column of ``largest``
            row = np.concatenate([_size(work[largest, k:largest]),
                                  _size(work[largest + 1:, largest])])
            rowmax = row.max()
            if diag >= _ALPHA * colmax * (colmax / rowmax):
                pass  # a_kk is large enough after all
            elif diagonal_size(largest) >= _ALPHA * rowmax:
                swap_with = largest
            else:
                swap_with, step = largest, 2
        moved = k + step - 1  # the row that is swapped with swap_with
        if swap_with != moved:
            rest = work[k:, k:]  # a view: swapping in it swaps in work
            _swap(rest, moved - k, swap_with - k)
        block = work[k:k + step, k:k + step].copy()
        below = work[k + step:, k:k + step].copy()
        below_t = np.conj(below.T) if hermitian else below.T
        if step == 1:  # as LAPACK rounds it: the reciprocal of the pivot, then products
            reciprocal = 1 / block[0, 0]
            columns = reciprocal * below
            update = below @ (reciprocal * below_t)
        else:
            columns = below @ np.linalg.inv(block)
            update = columns @ below_t
        # the rest stays exactly symmetric (Hermitian): its lower triangle, mirrored
        rest = np.tril(work[k + step:, k + step:] - update)
        rest_t = np.conj(rest.T) if hermitian else rest.T
        work[k + step:, k + step:] = rest + np.triu(rest_t, 1)
        if hermitian:
            work[np.diag_indices(n)] = work.diagonal().real
        ld[k:k + step, k:k + step] = np.tril(block)
        ld[k + step:, k:k + step] = columns
        if step == 1:
            pivots[k] = swap_with + 1
        else:
            pivots[k] = pivots[k + 1] = -(swap_with + 1)
        k += step
    return ld, pivots, info


class LDLFactor(Node):
    """P A P^T = L D L^T (Bunch-Kaufman).  torch has no derivative for it."""

    _name = "LinalgLdlFactorExBackward0"

    def __init__(self, hermitian):
        self.hermitian = hermitian

    def forward(self, a):
        batch, n = a.shape[:-2], a.shape[-1]
        flat = _host(a).reshape((-1, n, n))
        ld = np.zeros_like(flat)
        pivots = np.zeros(flat.shape[:2], dtype=np.int32)
        info = np.zeros(flat.shape[0], dtype=np.int32)
        for b in range(flat.shape[0]):
            ld[b], pivots[b], info[b] = _bunch_kaufman(flat[b], self.hermitian)
        xp = self.xp
        return (xp.asarray(ld.reshape(a.shape)), xp.asarray(pivots.reshape(batch + (n,))),
                xp.asarray(info.reshape(batch)))

    def backward(self, *grads):
        raise RuntimeError("derivative for aten::linalg_ldl_factor_ex is not implemented")


def _check_ldl_input(A, op):
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if A.dtype.category < D.FLOAT:
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got "
                           f"{A.dtype._short}")
    if A.dtype in (D.float16, D.bfloat16):
        raise NotImplementedError('"ldl_factor_kernel_cpu" not implemented for '
                                  f"'{A.dtype._short}'")


def ldl_factor_ex(A, *, hermitian=False, check_errors=False, out=None):
    """(LD, pivots, info) of P A P^T = L D L^T for a symmetric (hermitian=True: Hermitian)
    matrix, read from its lower triangle, in LAPACK's storage (see the module docstring); info
    is 0, or the first step whose D block was exactly zero (D singular). Same as
    torch.linalg.ldl_factor_ex."""
    _check_ldl_input(A, "torch.linalg.ldl_factor_ex")
    ld, pivots, info = LDLFactor(hermitian).apply(A)
    if check_errors:
        _raise_singular(info, A, "torch.linalg.ldl_factor_ex")
    result = return_types.linalg_ldl_factor_ex((ld, pivots, info))
    return _finish(result, out, "linalg.ldl_factor_ex", same_dtype=True)


def _raise_singular(info, A, op):
    # NOTE: torch 2.13 reports this case as an internal assert ("Unknown error code"); the
    # class (RuntimeError) is the same, the message says what happened
    for b, step in enumerate(info._data.reshape(-1).tolist()):
        if step > 0:
            raise RuntimeError(f"{op}: {_batch_prefix(b, A.ndim)}The factorization could not "
                               f"be completed because D[{step},{step}] is zero: the input "
                               "matrix is singular.")


def ldl_factor(A, *, hermitian=False, out=None):
    """(LD, pivots): P A P^T = L D L^T for a symmetric (Hermitian) matrix, in LAPACK's
    storage; a singular D raises. Same as torch.linalg.ldl_factor."""
    _check_ldl_input(A, "torch.linalg.ldl_factor_ex")
    ld, pivots, info = LDLFactor(hermitian).apply(A)
    _raise_singular(info, A, "torch.linalg.ldl_factor")
    return _finish(return_types.linalg_ldl_factor((ld, pivots)), out, "linalg.ldl_factor",
                   same_dtype=True)


# ---------------------------------------------------------------------------- ldl_solve

def _sytrs(ld, pivots, b, hermitian):
    """X with A X = B from one matrix's (LD, pivots), as LAPACK's sytrs: the swaps and the
    columns of L are applied in the order the factorization made them, then D's blocks are
    solved, then L^T (L^H) and the swaps in reverse order."""
    n = ld.shape[-1]
    x = b.copy()

    def conj(v):
        return np.conj(v) if hermitian else v

    k = 0  # solve L D y = P b, block by block
    while k < n:
        step = 1 if pivots[k] > 0 else 2
        other = abs(int(pivots[k])) - 1
        moved = k + step - 1
        x[[moved, other]] = x[[other, moved]]
        x[k + step:] -= ld[k + step:, k:k + step] @ x[k:k + step]
        block = np.tril(ld[k:k + step, k:k + step])
        block = block + np.triu(conj(block.T), 1)
        if hermitian:
            block[np.diag_indices(step)] = block.diagonal().real
        x[k:k + step] = np.linalg.solve(block, x[k:k + step])
        k += step
    k = n - 1  # then L^T x = y, from the last block back
    while k >= 0:
        step = 1 if pivots[k] > 0 else 2
        first = k - step + 1
        x[first:k + 1] -= conj(ld[k + 1:, first:k + 1]).T @ x[k + 1:]
        other = abs(int(pivots[k])) - 1
        x[[k, other]] = x[[other, k]]
        k -= step
    return x


class LDLSolve(Node):
    """X = A^-1 B from ldl_factor's (LD, pivots).  torch has no derivative for it."""

    def __init__(self, pivots, hermitian):
        self.pivots = pivots
        self.hermitian = hermitian

    def forward(self, ld, b):
        ld, b = _host(ld), _host(b)
        batch = np.broadcast_shapes(ld.shape[:-2], b.shape[:-2], self.pivots.shape[:-1])
        n = ld.shape[-1]
        ld_b = np.broadcast_to(ld, batch + ld.shape[-2:]).reshape((-1, n, n))
        piv_b = np.broadcast_to(self.pivots, batch + (n,)).reshape((-1, n))
        b_b = np.broadcast_to(b, batch + b.shape[-2:]).reshape((-1,) + b.shape[-2:])
        x = np.empty_like(b_b)
        for i in range(x.shape[0]):
            x[i] = _sytrs(ld_b[i], piv_b[i], b_b[i], self.hermitian)
        return self.xp.asarray(x.reshape(batch + b.shape[-2:]))

    def backward(self, *grads):
        raise RuntimeError("derivative for aten::linalg_ldl_solve is not implemented")


def ldl_solve(LD, pivots, B, *, hermitian=False, out=None):
    """X with A X = B from ldl_factor's (LD, pivots) of A. Same as torch.linalg.ldl_solve."""
    op = "torch.linalg.ldl_solve"
    _check_ldl_input(LD, op)
    if B.ndim < 2:
        raise IndexError(f"Dimension out of range (expected to be in range of [-{B.ndim or 1}, "
                         f"{(B.ndim or 1) - 1}], but got -2)")
    if tuple(pivots.shape) != tuple(LD.shape[:-1]):
        raise RuntimeError(f"{op}: Expected LD.shape[:-1] and pivots.shape to be the same, but "
                           f"got pivots with shape {list(pivots.shape)} instead")
    if pivots.dtype.category >= D.FLOAT or pivots.dtype is D.bool:
        raise RuntimeError(f"{op}: Expected pivots to be integers. Got {pivots.dtype._short}")
    if B.dtype is not LD.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{B.dtype._short} and A of type {LD.dtype._short} instead.")
    n = LD.shape[-1]
    if B.shape[-2] != n:
        raise RuntimeError(f"Incompatible matrix sizes for {op}: each A matrix is {n} by {n} "
                           f"but each b matrix is {B.shape[-2]} by {B.shape[-1]}")
    x = LDLSolve(_host(pivots._data).astype(np.int64), hermitian).apply(LD, B)
    return _finish(x, out)
