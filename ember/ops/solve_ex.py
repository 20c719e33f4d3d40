"""linalg.solve_ex: linalg.solve that reports a singular matrix in ``info`` instead of
raising (unless ``check_errors``), as torch.linalg.solve_ex."""

import numpy as np

from .. import return_types
from .inverse import LinAlgError, _batch_prefix, _check_matrix, _finish, solve
from .lu import lu_factor_ex, lu_solve

__all__ = ["solve_ex"]

return_types.linalg_solve_ex = return_types._return_type("linalg_solve_ex", ("result", "info"))


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """(X, info) with A X = B (left=False: X A = B).  info (int32, one per matrix) is 0, or
    the 1-based step of A's LU factorization whose pivot was zero: A is singular and X holds
    what the LU gives (inf/NaN).  ``check_errors=True`` raises torch's LinAlgError instead."""
    _check_matrix(A, "linalg.solve_ex")
    LU, pivots, info = lu_factor_ex(A)
    bad = info._data.reshape(-1)
    if check_errors:
        for b, step in enumerate(bad.tolist()):
            if step > 0:
                raise LinAlgError(f"torch.linalg.solve_ex: {_batch_prefix(b, A.ndim)}The solver "
                                  "failed because the input matrix is singular.")
    if not bad.any():
        result = solve(A, B, left=left)  # the differentiable path for regular matrices
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and
                                     tuple(B.shape) == tuple(A.shape[:-1]))
            rhs = B.unsqueeze(-1) if vector else B
            result = lu_solve(LU, pivots, rhs, left=left)
            result = result.squeeze(-1) if vector else result
    found = return_types.linalg_solve_ex((result, info))
    return _finish(found, out, "linalg.solve_ex", same_dtype=True)
