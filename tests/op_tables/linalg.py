"""Op table entries for products, norms and factorizations (ember/ops/linalg.py,
decompositions.py, norms.py, and the ember.linalg namespace).

Factorizations get inputs with known, well separated singular values / eigenvalues (their
gradients divide by the gaps), and are compared through gauge-invariant functions: LAPACK may
flip the sign of any singular vector or eigenvector, so U S Vh, S, |U|, Q R, |Q| are compared
rather than U or Q themselves.
"""

import numpy as np

from opinfo import OpInfo

INF = float("inf")


def _orthogonal(rng, n):
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def _with_values(values, m=None, n=None, batch=()):
    """Sample: a matrix m x n (batched) with the given singular values (or, for m = None, a
    symmetric matrix with the given eigenvalues)."""
    def make(rng, dtype):
        mats = []
        for _ in range(int(np.prod(batch))):
            k = len(values)
            if m is None:
                q = _orthogonal(rng, k)
                mats.append((q * np.asarray(values)) @ q.T)
            else:
                u = _orthogonal(rng, m)[:, :k]
                v = _orthogonal(rng, n)[:, :k]
                mats.append((u * np.asarray(values)) @ v.T)
        shape = tuple(batch) + mats[0].shape
        return [np.stack(mats).reshape(shape).astype(dtype)]
    return make


def _well_conditioned(shape, extra=()):
    """Sample: a random matrix plus n*I (invertible, modest condition number), and more
    random inputs of the shapes in ``extra``."""
    def make(rng, dtype):
        n = shape[-1]
        a = rng.uniform(-1, 1, size=shape) + n * np.eye(n)
        return [a.astype(dtype)] + [rng.uniform(-1, 1, size=s).astype(dtype) for s in extra]
    return make


def _usv(lib, u, s, vh):
    return u * s.unsqueeze(-2) @ vh


def _svd_invariants(lib, a, full_matrices=False):
    u, s, vh = lib.linalg.svd(a, full_matrices=full_matrices)
    k = s.shape[-1]
    return _usv(lib, u[..., :k], s, vh[..., :k, :]), s, u[..., :k].abs(), vh[..., :k, :].abs()


def _eigh_invariants(lib, a, uplo="L"):
    # eigh reads one triangle; a + a^T makes finite differences see a symmetric input
    w, q = lib.linalg.eigh(a + a.mT, UPLO=uplo)
    return w, q * w.unsqueeze(-2) @ q.mT, q.abs()


def _qr_invariants(lib, a, mode="reduced"):
    q, r = lib.linalg.qr(a, mode=mode)
    return q @ r, q.abs(), r.abs()


def _spd(lib, a):
    """a a^T + n I: symmetric positive-definite whatever a is."""
    n = a.shape[-1]
    return a @ a.mT + n * lib.eye(n, dtype=a.dtype, device=a.device)


OPS = [
    # ------------------------------------------------------------------ products
    OpInfo("mm", lambda lib, a, b: lib.mm(a, b), samples=[((3, 4), (4, 2))],
           errors=[lambda lib: lib.mm(lib.ones(3), lib.ones(3, 2)),
                   lambda lib: lib.mm(lib.ones(2, 3), lib.ones(2, 3))]),
    OpInfo("matmul_broadcast", lambda lib, a, b: a @ b,
           samples=[((2, 1, 3, 4), (3, 4, 5)), ((4,), (2, 4, 3)), ((2, 3, 4), (4,)),
                    ((1, 2, 3), (5, 3, 2))],
           errors=[lambda lib: lib.ones(2, 2, 3) @ lib.ones(3, 3, 4),
                   lambda lib: lib.matmul(lib.ones(()), lib.ones(3)),
                   lambda lib: lib.ones(3) @ lib.ones(4),
                   lambda lib: lib.ones(2, 3) @ lib.ones(2, 3, dtype=lib.float64)]),
    OpInfo("matmul_int", lambda lib, a, b: a @ b, samples=[((2, 3), (3, 4)), ((3,), (3,))],
           dtypes=("int64", "int32"), domain=(-5, 5), grad=False, gradcheck=False,
           gradgrad=False, noncontiguous=False),
    OpInfo("bmm", lambda lib, a, b: lib.bmm(a, b), samples=[((2, 3, 4), (2, 4, 5))],
           errors=[lambda lib: lib.bmm(lib.ones(2, 3), lib.ones(2, 3, 3)),
                   lambda lib: lib.bmm(lib.ones(2, 2, 3), lib.ones(3, 3, 3))]),
    OpInfo("mv", lambda lib, a, b: lib.mv(a, b), samples=[((3, 4), (4,))],
           errors=[lambda lib: lib.mv(lib.ones(2, 3), lib.ones(2)),
                   lambda lib: lib.mv(lib.ones(2, 3), lib.ones(3, 1))]),
    OpInfo("dot", lambda lib, a, b: lib.dot(a, b), samples=[((5,), (5,))],
           errors=[lambda lib: lib.dot(lib.ones(2), lib.ones(3)),
                   lambda lib: lib.dot(lib.ones(2, 2), lib.ones(2)),
                   lambda lib: lib.dot(lib.ones(2), lib.ones(2, dtype=lib.float64))]),
    OpInfo("vdot", lambda lib, a, b: a.vdot(b), samples=[((5,), (5,))]),
    OpInfo("inner", lambda lib, a, b: lib.inner(a, b),
           samples=[((2, 3), (4, 3)), ((3,), (3,)), ((2, 3), ())],
           errors=[lambda lib: lib.inner(lib.ones(2, 3), lib.ones(2, 4))]),
    OpInfo("outer", lambda lib, a, b: lib.outer(a, b), samples=[((3,), (4,))]),
    OpInfo("ger", lambda lib, a, b: a.ger(b), samples=[((2,), (3,))]),
    OpInfo("addmm_beta0", lambda lib, c, a, b: lib.addmm(c, a, b, beta=0, alpha=0.5),
           samples=[((2, 4), (2, 3), (3, 4))]),
    OpInfo("addmv", lambda lib, c, a, b: lib.addmv(c, a, b, beta=0.5, alpha=2),
           samples=[((3,), (3, 4), (4,)), ((), (3, 4), (4,))],
           errors=[lambda lib: lib.addmv(lib.ones(2), lib.ones(2, 3), lib.ones(2))]),
    OpInfo("addbmm", lambda lib, c, a, b: lib.addbmm(c, a, b, beta=0.5, alpha=2),
           samples=[((3, 5), (2, 3, 4), (2, 4, 5))]),
    OpInfo("baddbmm", lambda lib, c, a, b: c.baddbmm(a, b, beta=1.5, alpha=-1),
           samples=[((2, 3, 5), (2, 3, 4), (2, 4, 5)), ((5,), (2, 3, 4), (2, 4, 5))]),
    OpInfo("chain_matmul", lambda lib, a, b, c: lib.linalg.multi_dot([a, b, c]),
           samples=[((2, 3), (3, 4), (4, 2)), ((3,), (3, 4), (4,))]),
    # ------------------------------------------------------------------ einsum & co
    OpInfo("einsum_matmul", lambda lib, a, b: lib.einsum("ij,jk->ik", a, b),
           samples=[((3, 4), (4, 2))],
           errors=[lambda lib: lib.einsum("ij,jk", lib.ones(2, 3), lib.ones(2, 3)),
                   lambda lib: lib.einsum("ij,jk->ik", lib.ones(2, 3)),
                   lambda lib: lib.einsum("ijk,jk->ik", lib.ones(2, 3), lib.ones(3, 2)),
                   lambda lib: lib.einsum("ij->k", lib.ones(2, 3))]),
    OpInfo("einsum_implicit", lambda lib, a, b: lib.einsum("bj,aj", a, b),
           samples=[((3, 4), (2, 4))]),
    OpInfo("einsum_ellipsis", lambda lib, a, b: lib.einsum("...ij,...jk->...ik", a, b),
           samples=[((2, 1, 3, 4), (5, 4, 2)), ((3, 4), (2, 4, 2))]),
    OpInfo("einsum_ellipsis_implicit", lambda lib, a: lib.einsum("i...->...", a),
           samples=[(3, 2, 4)]),
    OpInfo("einsum_trace", lambda lib, a: lib.einsum("ii", a), samples=[(3, 3)]),
    OpInfo("einsum_diag", lambda lib, a: lib.einsum("bii->bi", a), samples=[(2, 3, 3)]),
    OpInfo("einsum_diag_contract", lambda lib, a, b: lib.einsum("iij,jk->ik", a, b),
           samples=[((3, 3, 2), (2, 4))]),
    OpInfo("einsum_sum", lambda lib, a, b: lib.einsum("ijk,l->j", a, b),
           samples=[((2, 3, 4), (2,))]),
    OpInfo("einsum_three", lambda lib, a, b, c: lib.einsum("bn,anm,bm->ba", a, b, c),
           samples=[((2, 3), (4, 3, 5), (2, 5))]),
    OpInfo("einsum_list", lambda lib, a, b: lib.einsum("i,j->ij", [a, b]),
           samples=[((3,), (4,))]),
    OpInfo("einsum_sublist", lambda lib, a, b: lib.einsum(a, [0, 1], b, [1, 2], [0, 2]),
           samples=[((3, 4), (4, 2))]),
    OpInfo("tensordot", lambda lib, a, b: lib.tensordot(a, b, dims=2),
           samples=[((2, 3, 4), (3, 4, 5))],
           errors=[lambda lib: lib.tensordot(lib.ones(2, 3), lib.ones(2, 3), dims=1)]),
    OpInfo("tensordot_lists", lambda lib, a, b: lib.tensordot(a, b, dims=([1, 0], [0, 1])),
           samples=[((3, 4, 5), (4, 3, 2))]),
    OpInfo("tensordot_outer", lambda lib, a, b: lib.tensordot(a, b, dims=0),
           samples=[((2, 3), (4,))]),
    OpInfo("kron", lambda lib, a, b: lib.kron(a, b), samples=[((2, 3), (4, 2)), ((3,), (2, 2))]),
    OpInfo("linalg_cross", lambda lib, a, b: lib.linalg.cross(a, b),
           samples=[((4, 3), (4, 3)), ((1, 3), (4, 3))],
           errors=[lambda lib: lib.linalg.cross(lib.ones(2), lib.ones(2)),
                   lambda lib: lib.linalg.cross(lib.ones(3), lib.ones(3, dtype=lib.float64))]),
    OpInfo("cross_dim", lambda lib, a, b: lib.cross(a, b, dim=0), samples=[((3, 4), (3, 4))]),
    # ------------------------------------------------------------------ norms and distances
    # NOTE: torch's cdist backward has no derivative of its own, so no double backward
    OpInfo("cdist", lambda lib, a, b: lib.cdist(a, b),
           samples=[((4, 3), (5, 3)), ((2, 4, 3), (1, 5, 3))], gradgrad=False,
           errors=[lambda lib: lib.cdist(lib.ones(3), lib.ones(3)),
                   lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(2, 4))]),
    OpInfo("cdist_p1", lambda lib, a, b: lib.cdist(a, b, p=1), samples=[((4, 3), (5, 3))],
           gradgrad=False),
    OpInfo("cdist_p3", lambda lib, a, b: lib.cdist(a, b, p=3), samples=[((4, 3), (5, 3))],
           gradgrad=False),
    OpInfo("cdist_pinf", lambda lib, a, b: lib.cdist(a, b, p=INF), samples=[((4, 3), (5, 3))],
           gradgrad=False),
    OpInfo("vector_norm", lambda lib, a: lib.linalg.vector_norm(a),
           samples=[(2, 3, 4), ()],
           errors=[lambda lib: lib.linalg.vector_norm(lib.ones(3, dtype=lib.int64))]),
    OpInfo("vector_norm_dims", lambda lib, a: lib.linalg.vector_norm(a, 2, dim=(0, 2),
                                                                     keepdim=True),
           samples=[(2, 3, 4)]),
    OpInfo("vector_norm_p1", lambda lib, a: lib.linalg.vector_norm(a, 1, dim=-1),
           samples=[(2, 3)]),
    OpInfo("vector_norm_p3", lambda lib, a: lib.linalg.vector_norm(a, 3, dim=0),
           samples=[(4, 3)]),
    OpInfo("vector_norm_p05", lambda lib, a: lib.linalg.vector_norm(a, 0.5, dim=1),
           samples=[(2, 4)], domain=(0.2, 2)),
    OpInfo("vector_norm_inf", lambda lib, a: lib.linalg.vector_norm(a, INF, dim=1),
           samples=[(3, 4)]),
    OpInfo("vector_norm_ninf", lambda lib, a: lib.linalg.vector_norm(a, -INF), samples=[(3, 4)]),
    OpInfo("vector_norm_p0", lambda lib, a: lib.linalg.vector_norm(a, 0, dim=1),
           samples=[(3, 4)]),
    OpInfo("matrix_norm_fro", lambda lib, a: lib.linalg.matrix_norm(a), samples=[(2, 3, 4)],
           errors=[lambda lib: lib.linalg.matrix_norm(lib.ones(3)),
                   lambda lib: lib.linalg.matrix_norm(lib.ones(3, 3), ord=3)]),
    OpInfo("matrix_norm_nuc", lambda lib, a: lib.linalg.matrix_norm(a, "nuc"),
           samples=[_with_values([3.0, 2.0, 1.0], 4, 3)]),
    OpInfo("matrix_norm_2", lambda lib, a: lib.linalg.matrix_norm(a, 2, keepdim=True),
           samples=[_with_values([3.0, 2.0, 1.0], 3, 4, batch=(2,))]),
    OpInfo("matrix_norm_m2", lambda lib, a: lib.linalg.matrix_norm(a, -2),
           samples=[_with_values([3.0, 2.0, 1.0], 3, 3)]),
    OpInfo("matrix_norm_1", lambda lib, a: lib.linalg.matrix_norm(a, 1), samples=[(2, 3, 4)]),
    OpInfo("matrix_norm_m1", lambda lib, a: lib.linalg.matrix_norm(a, -1), samples=[(3, 4)]),
    OpInfo("matrix_norm_inf", lambda lib, a: lib.linalg.matrix_norm(a, INF, dim=(0, 2)),
           samples=[(3, 2, 4)]),
    OpInfo("matrix_norm_ninf", lambda lib, a: lib.linalg.matrix_norm(a, -INF), samples=[(3, 4)]),
    OpInfo("linalg_norm", lambda lib, a: lib.linalg.norm(a), samples=[(2, 3, 4)],
           errors=[lambda lib: lib.linalg.norm(lib.ones(2, 2, 2), ord=2)]),
    OpInfo("linalg_norm_dim", lambda lib, a: lib.linalg.norm(a, 3, dim=1), samples=[(2, 3, 4)]),
    OpInfo("linalg_norm_matrix", lambda lib, a: lib.linalg.norm(a, "fro", dim=(0, 1)),
           samples=[(2, 3, 4)]),
    OpInfo("linalg_norm_2d", lambda lib, a: lib.linalg.norm(a, INF), samples=[(3, 4)]),
    # ------------------------------------------------------------------ inverse, det, solve
    OpInfo("linalg_inv", lambda lib, a: lib.linalg.inv(a),
           samples=[_well_conditioned((3, 3)), _well_conditioned((2, 4, 4))],
           errors=[lambda lib: lib.linalg.inv(lib.ones(2, 3)),
                   lambda lib: lib.linalg.inv(lib.ones(3)),
                   lambda lib: lib.linalg.inv(lib.ones(2, 2, dtype=lib.int64))]),
    OpInfo("inverse", lambda lib, a: a.inverse(), samples=[_well_conditioned((3, 3))]),
    OpInfo("linalg_det", lambda lib, a: lib.linalg.det(a), samples=[(3, 3), (2, 4, 4), (1, 1)],
           errors=[lambda lib: lib.linalg.det(lib.ones(3)),
                   lambda lib: lib.det(lib.ones(2, 3))]),
    OpInfo("linalg_slogdet", lambda lib, a: lib.linalg.slogdet(a), samples=[(3, 3), (2, 4, 4)]),
    OpInfo("logdet", lambda lib, a: lib.logdet(_spd(lib, a)), samples=[(3, 3)]),
    OpInfo("linalg_solve", lambda lib, a, b: lib.linalg.solve(a, b),
           samples=[_well_conditioned((3, 3), [(3, 2)]), _well_conditioned((3, 3), [(3,)]),
                    _well_conditioned((2, 3, 3), [(2, 3)]),
                    _well_conditioned((2, 3, 3), [(4, 1, 3, 2)])],
           errors=[lambda lib: lib.linalg.solve(lib.ones(2, 3), lib.ones(2)),
                   lambda lib: lib.linalg.solve(lib.eye(3), lib.ones(2, 1)),
                   lambda lib: lib.linalg.solve(lib.eye(2), lib.ones(2, dtype=lib.float64))]),
    OpInfo("linalg_solve_right", lambda lib, a, b: lib.linalg.solve(a, b, left=False),
           samples=[_well_conditioned((3, 3), [(4, 3)])]),
    # ------------------------------------------------------------------ factorizations
    OpInfo("linalg_cholesky", lambda lib, a: lib.linalg.cholesky(_spd(lib, a)),
           samples=[(3, 3), (2, 4, 4)],
           errors=[lambda lib: lib.linalg.cholesky(lib.ones(2, 3))]),
    OpInfo("linalg_cholesky_upper", lambda lib, a: lib.linalg.cholesky(_spd(lib, a), upper=True),
           samples=[(3, 3)]),
    OpInfo("linalg_qr", lambda lib, a: _qr_invariants(lib, a),
           samples=[_with_values([3.0, 2.0, 1.0], 5, 3), _with_values([3.0, 2.0], 4, 2, (2,)),
                    _with_values([2.0, 1.0, 0.5], 3, 3)],
           errors=[lambda lib: lib.linalg.qr(lib.ones(3), mode="reduced"),
                   lambda lib: lib.linalg.qr(lib.ones(3, 3), mode="bad")]),
    OpInfo("linalg_qr_wide", lambda lib, a: _qr_invariants(lib, a),
           samples=[_with_values([3.0, 2.0, 1.0], 3, 5)]),
    OpInfo("linalg_qr_complete", lambda lib, a: _qr_invariants(lib, a, "complete"),
           samples=[_with_values([3.0, 2.0], 2, 4)]),
    OpInfo("linalg_qr_r", lambda lib, a: lib.linalg.qr(a, mode="r")[1].abs(),
           samples=[_with_values([3.0, 2.0], 4, 2)], grad=False, gradcheck=False,
           gradgrad=False),
    OpInfo("linalg_svd", lambda lib, a: _svd_invariants(lib, a),
           samples=[_with_values([3.0, 2.0, 1.0], 5, 3), _with_values([3.0, 2.0], 2, 4, (2,)),
                    _with_values([3.0, 2.0, 1.0], 3, 3)]),
    OpInfo("linalg_svd_full", lambda lib, a: _svd_invariants(lib, a, True),
           samples=[_with_values([3.0, 2.0, 1.0], 3, 3), _with_values([3.0, 2.0], 4, 2)]),
    OpInfo("linalg_svdvals", lambda lib, a: lib.linalg.svdvals(a),
           samples=[_with_values([3.0, 2.0, 1.0], 4, 3, (2,))]),
    OpInfo("svd_legacy", lambda lib, a: (lambda u, s, v: (s, _usv(lib, u, s, v.mT)))(*lib.svd(a)),
           samples=[_with_values([3.0, 2.0, 1.0], 4, 3)]),
    OpInfo("linalg_eigh", lambda lib, a: _eigh_invariants(lib, a),
           samples=[_with_values([-2.0, -0.5, 1.0, 2.5]),
                    _with_values([-1.0, 0.5, 2.0], batch=(2,))],
           errors=[lambda lib: lib.linalg.eigh(lib.ones(2, 3))]),
    OpInfo("linalg_eigh_upper", lambda lib, a: _eigh_invariants(lib, a, "U"),
           samples=[_with_values([-2.0, -0.5, 1.0, 2.5])]),
    OpInfo("linalg_eigvalsh", lambda lib, a: lib.linalg.eigvalsh(a + a.mT),
           samples=[_with_values([-1.0, 0.5, 2.0], batch=(2,))]),
    OpInfo("linalg_pinv", lambda lib, a: lib.linalg.pinv(a),
           samples=[_with_values([3.0, 2.0, 1.0], 5, 3), _with_values([2.0, 1.0], 2, 3, (2,))]),
    OpInfo("linalg_pinv_hermitian", lambda lib, a: lib.linalg.pinv(a + a.mT, hermitian=True),
           samples=[_with_values([-2.0, -0.5, 1.0, 2.5])]),
    OpInfo("linalg_matrix_rank", lambda lib, a: lib.linalg.matrix_rank(a),
           samples=[_with_values([3.0, 2.0, 0.0], 4, 3), _with_values([1.0, 1e-3], 3, 3, (2,))],
           grad=False, gradcheck=False, gradgrad=False),
    OpInfo("linalg_matrix_power", lambda lib, a: lib.linalg.matrix_power(a, 3),
           samples=[(3, 3), (2, 2, 2)]),
    OpInfo("matrix_power_negative", lambda lib, a: a.matrix_power(-2),
           samples=[_well_conditioned((3, 3))]),
]
