"""The torch.linalg namespace: ``ember.linalg.norm(x)``, ``ember.linalg.inv(A)``, ...

Re-exports (and a few one-line compositions); the ops live in ops/linalg.py (products),
ops/inverse.py (inv, det, solve), ops/decompositions.py (factorizations) and ops/norms.py.
"""

from .ops.binary import write_out as _write_out
from .ops.decompositions import cholesky_ex, eigh, eigvalsh, matrix_rank, pinv, qr, svd, svdvals
from .ops.decompositions import cholesky_linalg as cholesky
from .ops.inverse import LinAlgError, det, inv, inv_ex, matrix_power, slogdet, solve
from .ops.linalg import linalg_cross as cross
from .ops.linalg import matmul
from .ops.norms import matrix_norm, norm, vector_norm

__all__ = ["LinAlgError", "cholesky", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv",
           "inv_ex", "cholesky_ex", "matmul", "matrix_norm", "matrix_power", "matrix_rank",
           "multi_dot", "norm", "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "vecdot",
           "vector_norm"]


# the rest of torch.linalg (ops/lu.py, ldl.py, eig.py, least_squares.py,
# linalg_compositions.py)
from .ops.eig import eig, eigvals, matrix_exp  # noqa: E402
from .ops.ldl import ldl_factor, ldl_factor_ex, ldl_solve  # noqa: E402
from .ops.least_squares import householder_product, lstsq  # noqa: E402
from .ops.linalg_compositions import cond, tensorinv, tensorsolve  # noqa: E402
from .ops.linalg_compositions import linalg_vander as vander  # noqa: E402
from .ops.lu import lu, lu_factor, lu_factor_ex, lu_solve, solve_triangular  # noqa: E402

__all__ += ["cond", "eig", "eigvals", "householder_product", "ldl_factor", "ldl_factor_ex",
            "ldl_solve", "lstsq", "lu", "lu_factor",
            "lu_factor_ex", "lu_solve", "matrix_exp", "solve_triangular", "tensorinv",
            "tensorsolve", "vander"]


def vecdot(x, y, *, dim=-1, out=None):
    """sum_i conj(x_i) y_i along ``dim`` (batch dims broadcast). Same as torch.linalg.vecdot."""
    x = x.conj() if x.is_complex() else x
    return _write_out((x * y).sum(dim), out, "linalg.vecdot", same_dtype=True)


def multi_dot(tensors, *, out=None):
    """A @ B @ C ... in one call; a 1-D first (last) operand is a row (column) vector.
    Same as torch.linalg.multi_dot."""
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    result = tensors[0]
    for t in tensors[1:]:
        result = matmul(result, t)
    return _write_out(result, out, "multi_dot", same_dtype=True)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The diagonals of a batch of matrices. Same as torch.linalg.diagonal."""
    return A.diagonal(offset=offset, dim1=dim1, dim2=dim2)


from .ops.solve_ex import solve_ex  # noqa: E402 - issue 20's tail

__all__ += ["solve_ex"]
