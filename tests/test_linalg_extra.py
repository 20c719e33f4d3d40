"""Linear algebra beyond the op table: errors of singular matrices (LinAlgError), gauges of
singular vectors and eigenvectors, result names, edge cases of det / norms / cdist, the
ember.linalg namespace and the legacy torch.* names."""

import numpy as np
import pytest
import torch

import ember

from conftest import assert_same, pair


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# ---------------------------------------------------------------------------- singular inputs

@pytest.mark.parametrize("make", [
    lambda lib: lib.linalg.inv(lib.zeros(2, 2)),
    lambda lib: lib.linalg.inv(lib.tensor([[1.0, 2.0], [2.0, 4.0]])),
    lambda lib: lib.inverse(lib.stack([lib.eye(3), lib.zeros(3, 3)])) if hasattr(lib, "stack")
    else lib.linalg.inv(lib.tensor(np.stack([np.eye(3), np.zeros((3, 3))]))),
    lambda lib: lib.linalg.cholesky(-lib.eye(2)),
    lambda lib: lib.linalg.cholesky(lib.tensor([[1.0, 2.0], [2.0, 1.0]])),
    lambda lib: lib.linalg.solve(lib.zeros(2, 2), lib.ones(2)),
])
def test_linalg_error(make):
    with pytest.raises(torch.linalg.LinAlgError) as t_err:
        make(torch)
    with pytest.raises(ember.linalg.LinAlgError) as e_err:
        make(ember)
    assert isinstance(e_err.value, RuntimeError)
    # torch's first line, word for word (ember adds nothing to these)
    assert str(e_err.value).splitlines()[0] == str(t_err.value).splitlines()[0].replace(
        "torch.linalg.solve", "linalg.solve")


def test_det_singular_gradient_is_zero_like_torch():
    for m in ([[1.0, 2.0], [2.0, 4.0]], [[0.0, 1.0], [0.0, 0.0]], np.zeros((3, 3))):
        e, t = pair(np.array(m, dtype=np.float64), requires_grad=True)
        ember.linalg.det(e).backward()
        torch.linalg.det(t).backward()
        assert_same(e.grad, t.grad)


def test_det_batch_with_one_singular_matrix():
    a = np.stack([_rand(3, 3), np.ones((3, 3))])
    e, t = pair(a, requires_grad=True)
    ember.linalg.det(e).sum().backward()
    torch.linalg.det(t).sum().backward()
    assert_same(e.grad, t.grad, atol=1e-12)


def test_slogdet_negative_and_logdet_nan():
    a = np.array([[0.0, 2.0], [3.0, 1.0]])  # det = -6
    e, t = pair(a)
    es, el = ember.linalg.slogdet(e)
    ts, tl = torch.linalg.slogdet(t)
    assert_same(es, ts)
    assert_same(el, tl)
    assert np.isnan(ember.logdet(e).item()) and np.isnan(torch.logdet(t).item())
    assert ember.logdet(ember.zeros(2, 2, dtype=ember.float64)).item() == -np.inf


# ---------------------------------------------------------------------------- results and gauges

def test_result_names():
    a = ember.tensor(_rand(4, 3))
    u, s, vh = ember.linalg.svd(a)
    assert ember.linalg.svd(a).S is not None and ember.linalg.svd(a).Vh.shape == (3, 3)
    assert tuple(u.shape) == (4, 4) and tuple(s.shape) == (3,) and tuple(vh.shape) == (3, 3)
    q, r = ember.linalg.qr(a)
    assert ember.linalg.qr(a).Q.shape == q.shape and ember.linalg.qr(a).R.shape == r.shape
    sym = ember.tensor(_rand(3, 3) + _rand(3, 3).T)
    res = ember.linalg.eigh(sym)
    assert res.eigenvalues.shape == (3,) and res.eigenvectors.shape == (3, 3)
    sl = ember.linalg.slogdet(sym)
    assert sl.sign.shape == () and sl.logabsdet.shape == ()


@pytest.mark.parametrize("shape,full", [((5, 3), False), ((5, 3), True), ((2, 3, 4), False),
                                        ((3, 3), True)])
def test_svd_vectors_equal_up_to_sign(shape, full):
    a = _rand(*shape)
    eu, es, evh = ember.linalg.svd(ember.tensor(a), full_matrices=full)
    tu, ts, tvh = torch.linalg.svd(torch.tensor(a), full_matrices=full)
    assert_same(es, ts)
    k = es.shape[-1]
    # sign of each singular vector pair: align ember's U columns with torch's
    sign = np.sign(np.sum(eu.numpy()[..., :k] * tu.numpy()[..., :k], axis=-2, keepdims=True))
    np.testing.assert_allclose(eu.numpy()[..., :k] * sign, tu.numpy()[..., :k], atol=1e-10)
    np.testing.assert_allclose(evh.numpy()[..., :k, :] * np.swapaxes(sign, -1, -2),
                               tvh.numpy()[..., :k, :], atol=1e-10)
    # orthonormal columns, including the extra ones of full_matrices
    u = eu.numpy()
    eye = np.broadcast_to(np.eye(u.shape[-1]), u.shape[:-2] + (u.shape[-1],) * 2)
    np.testing.assert_allclose(np.swapaxes(u, -1, -2) @ u, eye, atol=1e-12)


def test_eigh_vectors_equal_up_to_sign():
    a = _rand(2, 4, 4)
    a = a + np.swapaxes(a, -1, -2)
    ew, eq = ember.linalg.eigh(ember.tensor(a))
    tw, tq = torch.linalg.eigh(torch.tensor(a))
    assert_same(ew, tw)
    sign = np.sign(np.sum(eq.numpy() * tq.numpy(), axis=-2, keepdims=True))
    np.testing.assert_allclose(eq.numpy() * sign, tq.numpy(), atol=1e-10)


def test_eigh_upper_reads_the_upper_triangle():
    a = np.triu(_rand(3, 3)) + np.triu(_rand(3, 3), 1).T * 0 + 5 * np.tril(np.ones((3, 3)), -1)
    e = ember.linalg.eigvalsh(ember.tensor(a), UPLO="U")
    t = torch.linalg.eigvalsh(torch.tensor(a), UPLO="U")
    assert_same(e, t)


def test_qr_mode_r_and_non_differentiable_modes():
    a = _rand(4, 2)
    eq, er = ember.linalg.qr(ember.tensor(a), mode="r")
    tq, tr = torch.linalg.qr(torch.tensor(a), mode="r")
    assert tuple(eq.shape) == tuple(tq.shape) == (0,)
    assert_same(er.abs(), tr.abs())
    for lib in (torch, ember):
        x = lib.tensor(a, requires_grad=True)
        with pytest.raises(RuntimeError):
            lib.linalg.qr(x, mode="r")[1].sum().backward()
        x = lib.tensor(a, requires_grad=True)
        with pytest.raises(RuntimeError):
            lib.linalg.qr(x, mode="complete")[0].sum().backward()


def test_svd_double_backward_of_singular_values():
    a = _rand(3, 3)
    e, t = pair(a, requires_grad=True)
    (ge,) = ember.autograd.grad(ember.linalg.svdvals(e).pow(2).sum(), e, create_graph=True)
    (gt,) = torch.autograd.grad(torch.linalg.svdvals(t).pow(2).sum(), t, create_graph=True)
    assert_same(ge, gt)  # = 2 A
    (gge,) = ember.autograd.grad((ge * ge).sum(), e)
    (ggt,) = torch.autograd.grad((gt * gt).sum(), t)
    assert_same(gge, ggt)


# ---------------------------------------------------------------------------- products

def test_matmul_integer_and_bool():
    a = np.arange(6).reshape(2, 3)
    e, t = pair(a)
    assert_same(e @ e.T, t @ t.T)
    assert_same(ember.mv(e, e[0]), torch.mv(t, t[0]))
    with pytest.raises(NotImplementedError):
        torch.ones(2, 2, dtype=torch.bool) @ torch.ones(2, 2, dtype=torch.bool)
    with pytest.raises(NotImplementedError):
        ember.ones(2, 2, dtype=ember.bool) @ ember.ones(2, 2, dtype=ember.bool)


def test_grad_fn_names():
    a = ember.ones(2, 3, requires_grad=True)
    b = ember.ones(3, 2, requires_grad=True)
    assert ember.mm(a, b).grad_fn.name() == "MmBackward0"
    assert ember.einsum("ij,jk", a, b).grad_fn.name() == "EinsumBackward0"
    assert ember.linalg.det(a @ b).grad_fn.name() == "LinalgDetBackward0"


@pytest.mark.filterwarnings("ignore:Using torch.cross without specifying the dim")
def test_cross_default_dim_is_first_of_size_3():
    a, b = _rand(2, 3, 3), _rand(2, 3, 3, seed=1)
    assert_same(ember.cross(ember.tensor(a), ember.tensor(b)),
                torch.cross(torch.tensor(a), torch.tensor(b)))


@pytest.mark.parametrize("equation,shapes", [
    ("i,i->", [(4,)]), ("ij->ji", [(2, 3)]), ("...", [(2, 3)]), ("ab,ab->", [(2, 3), (2, 3)]),
    ("ijk,ikl->ijl", [(2, 3, 4), (2, 4, 5)]), ("ii->", [(3, 3)]), ("iji->j", [(2, 3, 2)]),
    ("a...b,b...->a...", [(2, 3, 4), (4, 3)]), ("i,j,k->ijk", [(2,), (3,), (4,)]),
])
def test_einsum_equations(equation, shapes):
    rng = np.random.default_rng(7)
    n_terms = equation.split("->")[0].count(",") + 1
    arrays = [rng.standard_normal(s) for s in shapes]
    if len(arrays) < n_terms:
        arrays = arrays * n_terms
    e_in = [ember.tensor(a, requires_grad=True) for a in arrays]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    e_out, t_out = ember.einsum(equation, *e_in), torch.einsum(equation, *t_in)
    assert_same(e_out, t_out)
    w = rng.standard_normal(tuple(t_out.shape))
    e_g = ember.autograd.grad((e_out * ember.tensor(w)).sum(), e_in)
    t_g = torch.autograd.grad((t_out * torch.tensor(w)).sum(), t_in)
    for eg, tg in zip(e_g, t_g):
        assert_same(eg, tg)


# ---------------------------------------------------------------------------- norms, cdist

def test_inf_norm_ties_share_the_gradient():
    e, t = pair([1.0, -3.0, 3.0, 2.0], requires_grad=True)
    ember.linalg.vector_norm(e, float("inf")).backward()
    torch.linalg.vector_norm(t, float("inf")).backward()
    assert_same(e.grad, t.grad)


@pytest.mark.parametrize("p", [2, 1, 3, 0.5])
def test_norm_of_zero_vector_has_zero_gradient(p):
    e, t = pair(np.zeros(3), requires_grad=True)
    ember.linalg.vector_norm(e, p).backward()
    torch.linalg.vector_norm(t, p).backward()
    assert_same(e.grad, t.grad)


def test_vector_norm_dtype_argument():
    e, t = pair(_rand(3).astype(np.float32))
    assert_same(ember.linalg.vector_norm(e, dtype=ember.float64),
                torch.linalg.vector_norm(t, dtype=torch.float64))
    for lib, x in ((torch, t), (ember, e)):
        with pytest.raises(RuntimeError):
            lib.linalg.vector_norm(x.double(), dtype=lib.float32)


def test_cdist_large_inputs_match_torch_matmul_path_in_float32():
    # torch computes p=2 as |a|^2 + |b|^2 - 2 a.b for more than 25 rows; ember directly
    a = _rand(30, 8).astype(np.float32)
    b = _rand(40, 8, seed=1).astype(np.float32)
    e1, t1 = pair(a, requires_grad=True)
    e2, t2 = pair(b, requires_grad=True)
    e_out, t_out = ember.cdist(e1, e2), torch.cdist(t1, t2)
    assert_same(e_out, t_out, rtol=1e-5, atol=1e-5)
    e_out.sum().backward()
    t_out.sum().backward()
    assert_same(e1.grad, t1.grad, rtol=1e-4, atol=1e-4)
    assert_same(e2.grad, t2.grad, rtol=1e-4, atol=1e-4)


def test_cdist_zero_distance_gradient():
    e, t = pair(np.ones((2, 3)), requires_grad=True)
    ember.cdist(e, e).sum().backward()
    torch.cdist(t, t).sum().backward()
    assert_same(e.grad, t.grad)


# ---------------------------------------------------------------------------- rank, pinv, misc

def test_matrix_rank_tolerances():
    a = np.diag([3.0, 1.0, 1e-3, 0.0])
    e, t = pair(a)
    for kwargs in ({}, {"atol": 0.01}, {"rtol": 0.1}, {"atol": 0.5, "rtol": 0.1},
                   {"hermitian": True}, {"hermitian": True, "atol": 0.01}):
        assert_same(ember.linalg.matrix_rank(e, **kwargs), torch.linalg.matrix_rank(t, **kwargs))


def test_pinv_of_rank_deficient_matrix():
    a = _rand(4, 2) @ _rand(2, 3, seed=1)
    e, t = pair(a)
    assert_same(ember.linalg.pinv(e), torch.linalg.pinv(t), atol=1e-10)
    assert_same(ember.pinverse(e), torch.pinverse(t), atol=1e-10)


@pytest.mark.filterwarnings("ignore:torch.qr is deprecated")
def test_namespace_and_legacy_names():
    a = _rand(3, 3) + 3 * np.eye(3)
    spd = a @ a.T
    e, t = pair(spd)
    assert_same(e.inverse(), t.inverse())
    assert_same(e.det(), t.det())
    assert_same(ember.linalg.inv_ex(e)[0], torch.linalg.inv_ex(t)[0])
    assert_same(ember.linalg.inv_ex(e)[1], torch.linalg.inv_ex(t)[1])
    assert_same(ember.linalg.cholesky_ex(e)[0], torch.linalg.cholesky_ex(t)[0])
    assert_same(ember.linalg.vecdot(e, e), torch.linalg.vecdot(t, t))
    assert_same(ember.linalg.multi_dot([e, e, e]), torch.linalg.multi_dot([t, t, t]))
    assert_same(ember.linalg.matmul(e, e), torch.linalg.matmul(t, t))
    assert_same(ember.matrix_power(e, 0), torch.matrix_power(t, 0))
    with pytest.warns(UserWarning):
        tl = torch.cholesky(t)
    assert_same(ember.cholesky(e), tl)
    eu, es, ev = ember.svd(e, compute_uv=False)
    tu, ts, tv = torch.svd(t, compute_uv=False)
    for x, y in ((eu, tu), (es, ts), (ev, tv)):
        assert_same(x, y)
    eq, er = ember.qr(e)
    tq, tr = torch.qr(t)
    assert_same(eq @ er, tq @ tr)
    assert issubclass(ember.linalg.LinAlgError, RuntimeError)


def test_ops_stay_on_the_device_of_their_inputs(fake_cuda):
    a = ember.tensor(_rand(3, 3) + 3 * np.eye(3), requires_grad=True)
    x = a.detach().to("cuda").requires_grad_()
    outs = [ember.linalg.inv(x), ember.linalg.det(x), ember.linalg.svd(x)[1],
            ember.linalg.eigh(x + x.mT)[0], ember.linalg.qr(x)[1], ember.linalg.norm(x),
            ember.einsum("ij,jk", x, x), ember.cdist(x, x), ember.linalg.pinv(x),
            ember.linalg.cholesky(x @ x.mT)]
    for out in outs:
        assert out.device.type == "cuda"
    total = sum(out.sum() for out in outs)
    total.backward()
    assert x.grad.device.type == "cuda"
    assert ember.linalg.matrix_rank(x).device.type == "cuda"


@pytest.mark.parametrize("transposed", [False, True])
def test_matmul_of_a_batch_by_a_matrix_is_folded_as_torch(transposed):
    """(..., n, k) @ (k, m) runs as one (... * n, k) @ (k, m) product, as torch folds it: the
    same values and gradients, and torch's graph (UnsafeViewBackward0 over MmBackward0; the
    result is not a view)."""
    rng = np.random.default_rng(3)
    a = rng.normal(size=(3, 2, 5, 4))
    b = rng.normal(size=(4, 6))
    g = rng.normal(size=(3, 2, 5, 6))
    out = []
    for lib in (ember, torch):
        at, bt = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        x = at.transpose(0, 1) if transposed else at  # a copy is needed to fold: still folded
        y = x @ bt
        y.backward(lib.tensor(g).transpose(0, 1) if transposed else lib.tensor(g))
        mm = y.grad_fn.next_functions[0][0]
        out.append((y, at.grad, bt.grad, y.grad_fn.name(), mm.name(), y._base is None))
    for e, t in zip(out[0][:3], out[1][:3]):
        assert_same(e, t)
    assert out[0][3:] == out[1][3:] == ("UnsafeViewBackward0", "MmBackward0", True)
