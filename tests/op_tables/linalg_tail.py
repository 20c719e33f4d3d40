"""Op table entries for the rest of torch.linalg (ember/ops/lu.py, eig.py, least_squares.py,
linalg_compositions.py): LU, triangular solves, eig, matrix_exp, lstsq, householder_product,
cond, tensorinv, tensorsolve, vander.

Inputs are made well conditioned by their generators (gradients of factorizations divide by
pivots, eigenvalue gaps and singular values).  LU inputs are row-permuted diagonally dominant
matrices, so partial pivoting has rows to swap while every pivot stays large.  eig is
compared through what LAPACK fixes: the eigenvalues (same order in both libraries, as both
call geev) and |V| (each eigenvector is defined up to a sign or phase).
"""

import numpy as np

from opinfo import OpInfo

INF = float("inf")
# torch raises when differentiating these: ember's gradient is checked by gradcheck alone
_NO_TORCH_GRAD = {"grad": False, "gradgrad": False}
_NO_GRAD = {"grad": False, "gradgrad": False, "gradcheck": False}
# forward values and result dtypes for complex inputs too (their gradients: test_linalg_tail)
_WITH_COMPLEX = ("float32", "float64", "complex64", "complex128")


def _pivoted(shape, extra=()):
    """Sample: rows of (random + k I) shuffled (k = the smaller side), and random inputs of
    the shapes in ``extra``."""
    def make(rng, dtype):
        m, n = shape[-2:]
        a = rng.uniform(-1, 1, size=shape) + min(m, n) * np.eye(m, n)
        a = a[..., rng.permutation(m), :]
        return [a.astype(dtype)] + [rng.uniform(-1, 1, size=s).astype(dtype) for s in extra]
    return make


def _triangular(shape, extra):
    """Sample: random + n I (its triangles are well-conditioned triangular matrices), and the
    right sides."""
    def make(rng, dtype):
        n = shape[-1]
        a = rng.uniform(-1, 1, size=shape) + n * np.eye(n)
        return [a.astype(dtype)] + [rng.uniform(-1, 1, size=s).astype(dtype) for s in extra]
    return make


def _with_eigenvalues(values, batch=(), rotation=None):
    """Sample: S diag(values) S^-1 with S = I + small random (well-conditioned);
    ``rotation`` = (a, b) adds a 2 x 2 block [[a, b], [-b, a]] (eigenvalues a +- ib)."""
    def make(rng, dtype):
        mats = []
        for _ in range(int(np.prod(batch))):
            d = np.diag(values).astype(float)
            if rotation is not None:
                a, b = rotation
                block = np.array([[a, b], [-b, a]])
                d = np.block([[d, np.zeros((len(values), 2))],
                              [np.zeros((2, len(values))), block]])
            n = d.shape[0]
            s = np.eye(n) + 0.3 * rng.uniform(-1, 1, size=(n, n))
            mats.append(s @ d @ np.linalg.inv(s))
        return [np.stack(mats).reshape(tuple(batch) + mats[0].shape).astype(dtype)]
    return make


def _scaled(shape, scale):
    """Sample: random uniform(-1, 1) times ``scale`` (matrix_exp squares large inputs)."""
    def make(rng, dtype):
        return [(scale * rng.uniform(-1, 1, size=shape)).astype(dtype)]
    return make


def _full_rank(shape, extra):
    """Sample: a tall or wide matrix with singular values in [1, 2], and right sides."""
    def make(rng, dtype):
        m, n = shape[-2:]
        k = min(m, n)
        mats = []
        for _ in range(int(np.prod(shape[:-2]))):
            u, _ = np.linalg.qr(rng.standard_normal((m, k)))
            v, _ = np.linalg.qr(rng.standard_normal((n, k)))
            mats.append((u * np.linspace(2, 1, k)) @ v.T)
        a = np.stack(mats).reshape(shape)
        return [a.astype(dtype)] + [rng.uniform(-1, 1, size=s).astype(dtype) for s in extra]
    return make


def _small_diagonal(shape, extra=()):
    """Sample: random with its diagonal shrunk 100 times (made symmetric by the op's lambda):
    Bunch-Kaufman then picks 2 x 2 pivot blocks and swaps."""
    def make(rng, dtype):
        a = rng.uniform(-1, 1, size=shape)
        a = a - 0.99 * a * np.eye(shape[-1])
        return [a.astype(dtype)] + [rng.uniform(-1, 1, size=s).astype(dtype) for s in extra]
    return make


def _eig_invariants(lib, a):
    w, v = lib.linalg.eig(a)
    return w.real, w.imag, v.abs()


def _lu_solve(lib, a, b, **options):
    lu, pivots = lib.linalg.lu_factor(a)
    return lib.linalg.lu_solve(lu, pivots, b, **options)


OPS = [
    # ------------------------------------------------------------------ triangular solves
    OpInfo("solve_triangular_upper",
           lambda lib, a, b: lib.linalg.solve_triangular(a, b, upper=True),
           dtypes=_WITH_COMPLEX,
           samples=[_triangular((3, 3), [(3, 2)]), _triangular((2, 4, 4), [(2, 4, 3)]),
                    _triangular((2, 1, 3, 3), [(4, 3, 2)])],
           errors=[lambda lib: lib.linalg.solve_triangular(lib.ones(3, 3), lib.ones(3),
                                                           upper=True),
                   lambda lib: lib.linalg.solve_triangular(lib.ones(3, 3), lib.ones(4, 2),
                                                           upper=True),
                   lambda lib: lib.linalg.solve_triangular(lib.ones(3, 4), lib.ones(3, 2),
                                                           upper=True),
                   lambda lib: lib.linalg.solve_triangular(
                       lib.ones(3, 3, dtype=lib.int64), lib.ones(3, 2, dtype=lib.int64),
                       upper=True)]),
    OpInfo("solve_triangular_lower_unit",
           lambda lib, a, b: lib.linalg.solve_triangular(a, b, upper=False, unitriangular=True),
           samples=[_triangular((4, 4), [(4, 2)])]),
    OpInfo("solve_triangular_right",
           lambda lib, a, b: lib.linalg.solve_triangular(a, b, upper=False, left=False),
           samples=[_triangular((3, 3), [(2, 3)]), _triangular((2, 3, 3), [(2, 4, 3)])],
           errors=[lambda lib: lib.linalg.solve_triangular(lib.ones(3, 3), lib.ones(3, 2),
                                                           upper=True, left=False)]),
    OpInfo("triangular_solve_legacy",
           lambda lib, b, a: lib.triangular_solve(b, a, upper=False, transpose=True),
           samples=[lambda rng, dtype: _triangular((3, 3), [(3, 2)])(rng, dtype)[::-1]]),
    # ------------------------------------------------------------------ LU
    OpInfo("lu_factor", lambda lib, a: lib.linalg.lu_factor(a),
           dtypes=_WITH_COMPLEX,
           samples=[_pivoted((4, 4)), _pivoted((2, 3, 3)), _pivoted((3, 5)), _pivoted((5, 3))],
           errors=[lambda lib: lib.linalg.lu_factor(lib.zeros(3, 3)),
                   lambda lib: lib.linalg.lu_factor(lib.ones(3)),
                   lambda lib: lib.linalg.lu_factor(lib.ones(3, 3, dtype=lib.int64)),
                   lambda lib: lib.linalg.lu_factor(lib.eye(3), pivot=False),
                   lambda lib: lib.linalg.lu_factor(lib.stack([lib.eye(2), lib.zeros(2, 2)]))]),
    OpInfo("lu_factor_ex", lambda lib, a: lib.linalg.lu_factor_ex(a),
           samples=[_pivoted((2, 4, 4)), _pivoted((2, 5))],
           errors=[lambda lib: lib.linalg.lu_factor_ex(lib.zeros(2, 2), check_errors=True)]),
    OpInfo("linalg_lu", lambda lib, a: lib.linalg.lu(a),
           dtypes=_WITH_COMPLEX,
           samples=[_pivoted((4, 4)), _pivoted((2, 3, 5)), _pivoted((5, 3))]),
    OpInfo("lu_legacy", lambda lib, a: lib.lu(a), samples=[_pivoted((3, 3))]),
    OpInfo("lu_unpack", lambda lib, a: lib.lu_unpack(*lib.linalg.lu_factor(a)),
           samples=[_pivoted((4, 4)), _pivoted((2, 4, 3))]),
    OpInfo("lu_solve", _lu_solve,
           dtypes=_WITH_COMPLEX,
           samples=[_pivoted((3, 3), [(3, 2)]), _pivoted((2, 4, 4), [(3, 1, 4, 2)])],
           errors=[lambda lib: _lu_solve(lib, lib.eye(3), lib.ones(4, 2)),
                   lambda lib: _lu_solve(lib, lib.eye(3), lib.ones(3)),
                   lambda lib: _lu_solve(lib, lib.eye(3), lib.ones(3, 1, dtype=lib.float64)),
                   lambda lib: lib.linalg.lu_solve(lib.eye(3), lib.ones(3, dtype=lib.int64),
                                                   lib.ones(3, 1)),
                   lambda lib: lib.linalg.lu_solve(lib.eye(3), lib.ones(2, dtype=lib.int32),
                                                   lib.ones(3, 1))]),
    OpInfo("lu_solve_adjoint", lambda lib, a, b: _lu_solve(lib, a, b, adjoint=True),
           samples=[_pivoted((3, 3), [(3, 2)])]),
    OpInfo("lu_solve_right", lambda lib, a, b: _lu_solve(lib, a, b, left=False),
           samples=[_pivoted((3, 3), [(2, 3)])]),
    OpInfo("lu_solve_right_adjoint",
           lambda lib, a, b: _lu_solve(lib, a, b, left=False, adjoint=True),
           samples=[_pivoted((2, 3, 3), [(2, 4, 3)])]),
    OpInfo("lu_solve_legacy",
           lambda lib, a, b: lib.lu_solve(b, *lib.linalg.lu_factor(a)),
           samples=[_pivoted((3, 3), [(3, 2)])]),
    # ------------------------------------------------------------------ LDL (no gradient in torch)
    OpInfo("ldl_factor", lambda lib, a: lib.linalg.ldl_factor(a + a.mT),
           dtypes=_WITH_COMPLEX,
           samples=[(4, 4), (2, 3, 5, 5), _small_diagonal((2, 6, 6)), _small_diagonal((7, 7))],
           **_NO_GRAD,
           errors=[lambda lib: lib.linalg.ldl_factor(lib.ones(3)),
                   lambda lib: lib.linalg.ldl_factor(lib.ones(3, 4)),
                   lambda lib: lib.linalg.ldl_factor(lib.ones(3, 3, dtype=lib.int64)),
                   lambda lib: lib.linalg.ldl_factor(lib.ones(3, 3, dtype=lib.float16))]),
    OpInfo("ldl_factor_ex", lambda lib, a: lib.linalg.ldl_factor_ex(a + a.mT),
           samples=[_small_diagonal((5, 5)), np.zeros((3, 3)),
                    np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [3.0, 6.0, 9.0]])],
           **_NO_GRAD),
    OpInfo("ldl_solve", lambda lib, a, b: lib.linalg.ldl_solve(
               *lib.linalg.ldl_factor(a + a.mT), b),
           samples=[_small_diagonal((5, 5), [(5, 2)]), _small_diagonal((2, 4, 4), [(2, 4, 3)])],
           **_NO_GRAD,
           errors=[lambda lib: lib.linalg.ldl_solve(*lib.linalg.ldl_factor(lib.eye(3)),
                                                    lib.ones(4, 2)),
                   lambda lib: lib.linalg.ldl_solve(*lib.linalg.ldl_factor(lib.eye(3)),
                                                    lib.ones(3)),
                   lambda lib: lib.linalg.ldl_solve(*lib.linalg.ldl_factor(lib.eye(3)),
                                                    lib.ones(3, 2, dtype=lib.float64)),
                   lambda lib: lib.linalg.ldl_solve(lib.eye(3), lib.ones(2, dtype=lib.int32),
                                                    lib.ones(3, 2))]),
    # ------------------------------------------------------------------ eig, matrix_exp
    OpInfo("linalg_eig", _eig_invariants,
           samples=[_with_eigenvalues([-2.0, -0.5, 1.0, 2.5]),
                    _with_eigenvalues([0.5, 2.0], rotation=(1.0, 1.5)),
                    _with_eigenvalues([-1.0, 1.5, 3.0], batch=(2,))],
           errors=[lambda lib: lib.linalg.eig(lib.ones(2, 3)),
                   lambda lib: lib.linalg.eig(lib.ones(3)),
                   lambda lib: lib.linalg.eig(lib.ones(2, 2, dtype=lib.int64)),
                   lambda lib: lib.linalg.eig(lib.tensor([[1.0, float("nan")], [0.0, 1.0]]))]),
    OpInfo("linalg_eigvals", lambda lib, a: lib.linalg.eigvals(a).real,
           dtypes=_WITH_COMPLEX,
           samples=[_with_eigenvalues([-2.0, 1.0, 3.0])],
           errors=[lambda lib: lib.linalg.eigvals(lib.ones(3))]),
    OpInfo("matrix_exp", lambda lib, a: lib.linalg.matrix_exp(a),
           dtypes=_WITH_COMPLEX,
           samples=[(3, 3), (2, 4, 4), _scaled((3, 3), 5.0), (1, 1),
                    _scaled((2, 2, 2), np.array([[[0.1]], [[8.0]]]))],
           errors=[lambda lib: lib.linalg.matrix_exp(lib.ones(3, 4)),
                   lambda lib: lib.linalg.matrix_exp(lib.ones(3)),
                   lambda lib: lib.linalg.matrix_exp(lib.ones(2, 2, dtype=lib.int64))]),
    OpInfo("matrix_exp_method", lambda lib, a: a.matrix_exp(), samples=[(3, 3)]),
    # ------------------------------------------------------------------ least squares
    OpInfo("lstsq", lambda lib, a, b: lib.linalg.lstsq(a, b).solution,
           samples=[_full_rank((5, 3), [(5, 2)]), _full_rank((3, 5), [(3, 2)]),
                    _full_rank((2, 4, 3), [(2, 4)]), _full_rank((2, 1, 4, 3), [(1, 3, 4, 2)])],
           errors=[lambda lib: lib.linalg.lstsq(lib.ones(3), lib.ones(3)),
                   lambda lib: lib.linalg.lstsq(lib.ones(4, 3), lib.ones(5, 2)),
                   lambda lib: lib.linalg.lstsq(lib.ones(4, 3), lib.ones(4, 2, dtype=lib.float64)),
                   lambda lib: lib.linalg.lstsq(lib.ones(4, 3), lib.ones(4, 2), driver="bad"),
                   lambda lib: lib.linalg.lstsq(lib.ones(4, 3, dtype=lib.int64),
                                                lib.ones(4, 2, dtype=lib.int64)),
                   lambda lib: lib.linalg.lstsq(lib.ones(4, 3), lib.ones(1, 1, 4, 2))]),
    # NOTE: singular_values (the last field) have no gradient in torch: see test_linalg_tail
    OpInfo("lstsq_gelsd", lambda lib, a, b: lib.linalg.lstsq(a, b, driver="gelsd")[:3],
           samples=[_full_rank((5, 3), [(5, 2)]), _full_rank((2, 5, 3), [(2, 5, 1)])]),
    OpInfo("lstsq_gels", lambda lib, a, b: lib.linalg.lstsq(a, b, driver="gels")[:3],
           samples=[_full_rank((5, 3), [(5, 2)])]),
    OpInfo("lstsq_gelss_wide", lambda lib, a, b: lib.linalg.lstsq(a, b, driver="gelss")[:3],
           samples=[_full_rank((3, 5), [(3, 2)])]),
    OpInfo("householder_product", lambda lib, a, t: lib.linalg.householder_product(a, t),
           dtypes=_WITH_COMPLEX,
           samples=[((4, 3), (2,)), ((2, 5, 3), (2, 3)), ((3, 3), (3,))], domain=(-1, 1),
           errors=[lambda lib: lib.linalg.householder_product(lib.ones(3, 4), lib.ones(2)),
                   lambda lib: lib.linalg.householder_product(lib.ones(4, 3), lib.ones(4)),
                   lambda lib: lib.linalg.householder_product(lib.ones(4, 3), lib.ones(2, 2))]),
    OpInfo("orgqr", lambda lib, a, t: lib.orgqr(a, t), samples=[((4, 3), (3,))],
           domain=(-1, 1)),
    # ------------------------------------------------------------------ compositions
    OpInfo("cond", lambda lib, a: lib.linalg.cond(a),
           samples=[_full_rank((3, 3), []), _full_rank((2, 4, 3), [])],
           errors=[lambda lib: lib.linalg.cond(lib.ones(3)),
                   lambda lib: lib.linalg.cond(lib.ones(3, 3), "bad"),
                   lambda lib: lib.linalg.cond(lib.ones(3, 4), 1),
                   lambda lib: lib.linalg.cond(lib.ones(3, 3, dtype=lib.int64))]),
    # NOTE: torch's cond for these norms cannot backward (its masked_fill_ modifies the
    # inverse its graph saved): ember's gradient is checked by gradcheck alone
    OpInfo("cond_fro", lambda lib, a: lib.linalg.cond(a, "fro"),
           samples=[_full_rank((3, 3), []), _full_rank((2, 3, 3), [])], **_NO_TORCH_GRAD,
           errors=[lambda lib: lib.linalg.cond(lib.ones(3), "fro"),
                   lambda lib: lib.linalg.cond(lib.ones(3, 3, dtype=lib.int64), "fro"),
                   lambda lib: lib.linalg.cond(lib.ones(3, 4), "nuc")]),
    OpInfo("cond_inf", lambda lib, a: lib.linalg.cond(a, INF), samples=[_full_rank((3, 3), [])],
           **_NO_TORCH_GRAD),
    OpInfo("cond_nuc", lambda lib, a: lib.linalg.cond(a, "nuc"), samples=[_full_rank((3, 3), [])]),
    OpInfo("cond_m2", lambda lib, a: lib.linalg.cond(a, -2), samples=[_full_rank((3, 4), [])]),
    OpInfo("tensorinv", lambda lib, a: lib.linalg.tensorinv(a, ind=1),
           samples=[_pivoted((6, 6))],
           errors=[lambda lib: lib.linalg.tensorinv(lib.ones(2, 3, 6), ind=0),
                   lambda lib: lib.linalg.tensorinv(lib.ones(4, 6, 2, 3), ind=1)]),
    OpInfo("tensorinv_reshaped", lambda lib, a: lib.linalg.tensorinv(a.reshape(2, 3, 6)),
           samples=[_pivoted((6, 6))]),
    OpInfo("tensorsolve", lambda lib, a, b: lib.linalg.tensorsolve(a.reshape(2, 3, 6), b),
           samples=[_pivoted((6, 6), [(2, 3)])],
           errors=[lambda lib: lib.linalg.tensorsolve(lib.ones(2, 3, 5), lib.ones(2, 3))]),
    OpInfo("tensorsolve_dims",
           lambda lib, a, b: lib.linalg.tensorsolve(a.reshape(6, 2, 3), b, dims=(0,)),
           samples=[_pivoted((6, 6), [(2, 3)])]),
    OpInfo("linalg_vander", lambda lib, x: lib.linalg.vander(x), samples=[(4,), (2, 3)],
           errors=[lambda lib: lib.linalg.vander(lib.tensor([True, False])),
                   lambda lib: lib.linalg.vander(lib.ones(3), N=1)]),
    OpInfo("linalg_vander_N", lambda lib, x: lib.linalg.vander(x, N=5), samples=[(2, 3)]),
    OpInfo("linalg_vander_int", lambda lib, x: lib.linalg.vander(x), samples=[(4,)],
           dtypes=("int64", "int32", "uint8"), domain=(0, 5), grad=False, gradcheck=False,
           gradgrad=False),
    # NOTE: torch.vander cannot backward (an in-place op on a saved tensor): gradcheck only
    OpInfo("vander", lambda lib, x: lib.vander(x), samples=[(4,)], **_NO_TORCH_GRAD,
           errors=[lambda lib: lib.vander(lib.ones(2, 2)),
                   lambda lib: lib.vander(lib.ones(2), N=-1)]),
    OpInfo("vander_increasing", lambda lib, x: lib.vander(x, N=3, increasing=True),
           samples=[(4,)], **_NO_TORCH_GRAD),
    OpInfo("vander_int", lambda lib, x: lib.vander(x, N=4), samples=[(3,)],
           dtypes=("int64", "int8"), domain=(-3, 3), grad=False, gradcheck=False,
           gradgrad=False),
]
