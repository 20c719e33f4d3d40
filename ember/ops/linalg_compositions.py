"""Linear algebra written with other ember ops: linalg.cond, tensorinv, tensorsolve, vander
(and torch.vander).  Autograd differentiates them through the ops they are made of.
``ember.linalg`` re-exports these under torch.linalg's names.
"""

import math

from .. import _dtype as D
from .decompositions import svdvals
from .inverse import Inv, _check_matrix, _constant, _finish, _xp, inv_ex, solve
from .norms import matrix_norm

__all__ = []  # public through ops/linalg.py (torch.*) and ember/linalg.py (torch.linalg.*)

_COND_NORMS = (None, 2, -2, 1, -1, math.inf, -math.inf, "fro", "nuc")


# ---------------------------------------------------------------------------- cond

def cond(A, p=None, *, out=None):
    """The condition number |A|_p |A^-1|_p.  p = None or 2: s_max / s_min (any m x n A);
    p = -2: s_min / s_max; p = 'nuc': (sum s)(sum 1/s); p = 1, -1, inf, -inf, 'fro': the
    matrix norms of A and of A^-1 (square A; inf where A is singular). Always real. Same as
    torch.linalg.cond."""
    if p not in _COND_NORMS:
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    if p in (None, 2, -2):
        if A.ndim < 2:
            raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
        _check_matrix(A, "linalg.svd", square=False)
        if A.numel() == 0:
            return _finish(_constant(A, _xp(A).zeros(tuple(A.shape[:-2]),
                                                      dtype=A._data.real.dtype)), out)
        s = svdvals(A)
        largest, smallest = s[..., 0], s[..., -1]
        result = smallest / largest if p == -2 else largest / smallest
        return _finish(result, out)
    op = f"linalg.cond(ord={p})"
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    _check_matrix(A, "linalg.inv")  # the dtype, named as torch names it
    if A.numel() == 0:
        return _finish(_constant(A, _xp(A).zeros(tuple(A.shape[:-2]),
                                                  dtype=A._data.real.dtype)), out)
    if p == "nuc":
        # |A|_* |A^-1|_* = (sum s) (sum 1 / s) from the singular values, as torch computes it
        # (a singular A: inf, or NaN when A = 0)
        s = svdvals(A)
        return _finish(s.sum(-1) * (1 / s).sum(-1), out)
    inverse, info = inv_ex(A)
    # a singular A has no inverse: its condition number is infinite (torch's convention); its
    # inf / NaN "inverse" is zeroed first, so that the norms stay finite
    singular = info > 0
    inverse = inverse.masked_fill(singular.unsqueeze(-1).unsqueeze(-1), 0)
    result = matrix_norm(A, p) * matrix_norm(inverse, p)
    return _finish(result.masked_fill(singular, math.inf), out)


# ---------------------------------------------------------------------------- tensorinv, solve

def tensorinv(A, ind=2, *, out=None):
    """The tensor B with tensordot(A, B, ind) = I: A's first ``ind`` dims and its other dims
    are flattened into the rows and columns of a square matrix, which is inverted, and the
    result has shape A.shape[ind:] + A.shape[:ind]. Same as torch.linalg.tensorinv."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows = math.prod(A.shape[:ind])
    cols = math.prod(A.shape[ind:])
    if rows != cols:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows}")
    matrix = A.reshape(rows, cols)
    _check_matrix(matrix, "linalg.inv")
    result = Inv(op="inv").apply(matrix)
    return _finish(result.reshape(tuple(A.shape[ind:]) + tuple(A.shape[:ind])), out)


def tensorsolve(A, B, dims=None, *, out=None):
    """X with tensordot(A, X, X.ndim) = B.  ``dims``: dims of A moved to the end first.  A's
    first B.ndim dims are flattened into rows, the rest into columns (the shape of X), and
    the square system is solved. Same as torch.linalg.tensorsolve."""
    if dims is not None:
        dims = [d % A.ndim for d in dims]
        kept = [d for d in range(A.ndim) if d not in dims]
        A = A.permute(*kept, *dims)
    x_shape = tuple(A.shape[B.ndim:])
    rows = math.prod(A.shape[:B.ndim])
    cols = math.prod(x_shape)
    if rows != cols:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[other.ndim:]"
                           f") == prod(self.shape[:other.ndim]), but got {cols} != {rows}")
    x = solve(A.reshape(rows, cols), B.reshape(rows))
    return _finish(x.reshape(x_shape), out)


# ---------------------------------------------------------------------------- vander

def _powers(x, n):
    """[x^0, x^1, ..., x^(n-1)] stacked on a new last dim, each power the previous one
    times x (so that integer powers are exact and the gradient is the product rule's)."""
    from .join import stack

    powers = [_constant(x, _xp(x).ones_like(x._data))]
    for _ in range(n - 1):
        powers.append(powers[-1] * x)
    return stack(powers, -1)


def linalg_vander(x, *, N=None):
    """The Vandermonde matrix of x (*, n): column j is x^j, j = 0 .. N - 1 (N = n by
    default); integer x gives int64. Same as torch.linalg.vander (increasing powers)."""
    if x.dtype in (D.bool, D.float16, D.bfloat16):
        raise RuntimeError("linalg.vander supports floating point, complex, and integer "
                           f"tensors, but got {x.dtype._short}")
    if x.dtype.category < D.FLOAT:
        x = x.to(D.int64)
    n = x.shape[-1] if x.ndim else 1
    N = n if N is None else N
    if N <= 1:
        raise RuntimeError("N must be greater than 1.")
    return _powers(x, N)


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of a 1-D x with N columns (len(x) by default): decreasing
    powers x^(N-1) .. x^0, or increasing ones.  Integer and bool x give int64. Same as
    torch.vander."""
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    N = x.shape[0] if N is None else N
    if N < 0:
        raise RuntimeError("N must be non-negative.")
    if x.dtype.category < D.FLOAT:
        x = x.to(D.int64)
    if N == 0:
        return _constant(x, _xp(x).zeros((x.shape[0], 0), dtype=x._data.dtype))
    result = _powers(x, N)
    return result if increasing else result.flip(-1)
