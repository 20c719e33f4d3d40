"""Known gaps of the core, closed and checked against torch: in-place ops on expanded tensors,
NumPy values in setitem, slogdet of singular matrices, inv_ex/cholesky_ex info, complex
gradients of the decompositions, and a stale view used as the root of backward."""

import warnings

import numpy as np
import pytest
import torch

import ember

from conftest import assert_same

# ---------------------------------------------------------------------------- 1. expanded writes


def _expanded(lib):
    return lib.arange(3.0).expand(2, 3)


def _mask(lib):
    return lib.tensor([[True, False, False], [False, False, False]])


def _setitem(index_fn, value_fn):
    def run(lib, x):
        x[index_fn(lib)] = value_fn(lib)
        return x
    return run


# (name, fn(lib, x)) in-place writes into x = arange(3.).expand(2, 3)
EXPANDED_WRITES = [
    ("add_", lambda lib, x: x.add_(1)),
    ("iadd", lambda lib, x: x.__iadd__(1)),
    ("mul_", lambda lib, x: x.mul_(2)),
    ("div_floor", lambda lib, x: x.div_(2, rounding_mode="floor")),
    ("exp_", lambda lib, x: x.exp_()),
    ("clamp_", lambda lib, x: x.clamp_(min=1)),
    ("relu_", lambda lib, x: x.relu_()),
    ("lerp_", lambda lib, x: x.lerp_(lib.ones(3), 0.5)),
    ("copy_", lambda lib, x: x.copy_(lib.ones(2, 3))),
    ("copy_bcast", lambda lib, x: x.copy_(lib.ones(3))),
    ("uniform_", lambda lib, x: x.uniform_()),
    ("normal_", lambda lib, x: x.normal_()),
    ("bernoulli_", lambda lib, x: x.bernoulli_(0.5)),
    ("scatter_", lambda lib, x: x.scatter_(1, lib.tensor([[0], [1]]), 2.0)),
    ("scatter_add_", lambda lib, x: x.scatter_add_(1, lib.tensor([[0], [1]]), lib.ones(2, 1))),
    ("index_add_", lambda lib, x: x.index_add_(1, lib.tensor([0]), lib.ones(2, 1))),
    ("index_copy_", lambda lib, x: x.index_copy_(1, lib.tensor([0]), lib.ones(2, 1))),
    ("masked_scatter_", lambda lib, x: x.masked_scatter_(_mask(lib), lib.ones(6))),
    ("transposed_add_", lambda lib, x: x.t().add_(1)),
    ("column_expand", lambda lib, x: lib.zeros(3, 1).expand(3, 4).sub_(1)),
    ("set_all", _setitem(lambda lib: ..., lambda lib: 1.0)),
    ("set_all_tensor", _setitem(lambda lib: ..., lambda lib: lib.ones(2, 3))),
    ("set_column", _setitem(lambda lib: (slice(None), 0), lambda lib: 1.0)),
    ("set_true", _setitem(lambda lib: True, lambda lib: 1.0)),
    # torch allows these (the written region does not overlap itself, or a deprecated op)
    ("fill_", lambda lib, x: x.fill_(5)),
    ("zero_", lambda lib, x: x.zero_()),
    ("row_add_", lambda lib, x: x[0].add_(1)),
    ("size1_expand", lambda lib, x: lib.zeros(3).expand(1, 3).mul_(2)),
    ("empty_expand", lambda lib, x: lib.zeros(3).expand(0, 3).mul_(2)),
    ("tril_", lambda lib, x: lib.ones(3).expand(3, 3).tril_()),
    ("masked_fill_", lambda lib, x: x.masked_fill_(_mask(lib), 7.0)),
    ("index_fill_", lambda lib, x: x.index_fill_(1, lib.tensor([2]), 7.0)),
    ("index_put_", lambda lib, x: x.index_put_((lib.tensor([1]),), lib.tensor(7.0))),
    ("index_put_acc", lambda lib, x: x.index_put_((lib.tensor([1]),), lib.tensor(7.0), True)),
    ("set_row", _setitem(lambda lib: 0, lambda lib: 9.0)),
    ("set_row_tensor", _setitem(lambda lib: 1, lambda lib: lib.ones(3))),
    ("set_element", _setitem(lambda lib: (0, 1), lambda lib: 9.0)),
    ("set_mask", _setitem(_mask, lambda lib: 9.0)),
    ("set_index", _setitem(lambda lib: lib.tensor([1]), lambda lib: lib.ones(3) * 4)),
]


def _outcome(lib, fn, x):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn(lib, x)
        except Exception as e:  # noqa: BLE001 - the class is what is compared
            return type(e), str(e).splitlines()[0], [], None
    messages = [str(w.message).split(" (Triggered")[0] for w in caught]
    return None, None, messages, out


@pytest.mark.parametrize("name,fn", EXPANDED_WRITES, ids=[c[0] for c in EXPANDED_WRITES])
def test_inplace_on_expanded_tensor(name, fn):
    te, tmsg, twarn, tout = _outcome(torch, fn, _expanded(torch))
    ee, emsg, ewarn, eout = _outcome(ember, fn, _expanded(ember))
    assert ee is te, f"ember raised {ee} ({emsg}), torch {te} ({tmsg})"
    if te is not None:
        assert emsg == tmsg
        return
    assert ewarn == twarn
    if tout is not None and name not in ("uniform_", "normal_", "bernoulli_"):
        assert_same(eout, tout)


@pytest.mark.parametrize("grad_case", ["add_", "set_all", "set_row"])
def test_expanded_write_with_graph(grad_case):
    """A non-leaf expand under autograd: the same error, or the same values and gradient."""
    fns = dict(EXPANDED_WRITES)
    results = []
    for lib in (torch, ember):
        leaf = lib.arange(3.0, requires_grad=True)
        x = (leaf * 1).expand(2, 3)
        try:
            fns[grad_case](lib, x)
        except RuntimeError as e:
            results.append(str(e).splitlines()[0])
            continue
        (x * lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
        results.append((x, leaf.grad))
    if isinstance(results[0], str):
        assert results[1] == results[0]
    else:
        assert_same(results[1][0], results[0][0])
        assert_same(results[1][1], results[0][1])


def test_expand_stays_a_view_with_torchs_strides():
    base = ember.arange(3.0)
    x = base.expand(2, 3)
    assert x.stride() == torch.arange(3.0).expand(2, 3).stride()
    x[1] = ember.tensor([4.0, 5.0, 6.0])  # one row is the whole memory
    assert base.tolist() == [4.0, 5.0, 6.0]


# ---------------------------------------------------------------------------- 2. NumPy values

SETITEM_VALUES = [
    ("array", lambda: np.array([1.0, 2.0, 3.0]), None),
    ("array_f32", lambda: np.array([1.0, 2.0, 3.0], dtype=np.float32), None),
    ("array_0d", lambda: np.array(5.0), None),
    ("array_bool", lambda: np.array([True, False, True]), None),
    ("list", lambda: [1.0, 2.0, 3.0], None),
    ("tuple", lambda: (1.0, 2.0, 3.0), None),
    ("str", lambda: "a", None),
    ("none", lambda: None, None),
    ("np_float32", lambda: np.float32(2.0), None),
    ("np_bool", lambda: np.bool_(True), None),
    ("np_float64", lambda: np.float64(2.5), None),
    ("np_int64", lambda: np.int64(3), None),
    ("int_dst", lambda: np.array([1, 2, 3]), "int64"),
    ("mask_index", lambda: np.array([1.0, 2.0]), "mask"),
    ("tensor_index", lambda: np.ones(3), "index"),
]


@pytest.mark.parametrize("name,value_fn,kind", SETITEM_VALUES,
                         ids=[c[0] for c in SETITEM_VALUES])
@pytest.mark.parametrize("requires_grad", [False, True])
def test_setitem_with_numpy_value(name, value_fn, kind, requires_grad):
    outcomes = []
    for lib in (torch, ember):
        dtype = lib.int64 if kind == "int64" else lib.float32
        x = lib.zeros(2, 3, dtype=dtype)
        if requires_grad and kind != "int64":
            x = lib.zeros(2, 3, requires_grad=True).clone()
        index = {"mask": lib.tensor([True, False]), "index": lib.tensor([1])}.get(kind, 0)
        try:
            x[index] = value_fn()
            outcomes.append(x)
        except Exception as e:  # noqa: BLE001 - the class and text are compared
            outcomes.append((type(e), str(e).splitlines()[0].replace("torch.", "ember.")))
    t, e = outcomes
    if isinstance(t, tuple):
        assert e == t
    else:
        assert_same(e, t)


# ---------------------------------------------------------------------------- 3. slogdet, singular

# singular matrices whose LU has exact zero pivots (torch's gradient is then exact inf/NaN;
# where roundoff leaves a tiny pivot, torch gives huge finite numbers instead: not compared)
SINGULAR = [
    [[1.0, 2.0], [2.0, 4.0]],
    [[0.0, 0.0], [0.0, 0.0]],
    [[0.0, 1.0], [0.0, 0.0]],
    [[1.0, 0.0], [0.0, 0.0]],
    [[0.0, 0.0, 0.0], [1.0, 1.0, 0.0], [2.0, 2.0, 0.0]],
    [[-4.0, -2.0, -4.0], [-4.0, -2.0, -4.0], [-4.0, -2.0, -4.0]],
]


@pytest.mark.parametrize("matrix", SINGULAR, ids=[str(i) for i in range(len(SINGULAR))])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_slogdet_gradient_at_singular_matrix(matrix, dtype):
    results = []
    for lib in (torch, ember):
        a = lib.tensor(matrix, dtype=getattr(lib, dtype), requires_grad=True)
        sign, logabsdet = lib.linalg.slogdet(a)
        (2 * logabsdet).backward()
        results.append((logabsdet, a.grad))
    (t_log, t_grad), (e_log, e_grad) = results
    assert_same(e_log, t_log)
    assert_same(e_grad, t_grad)


def test_slogdet_gradient_batch_with_one_singular_matrix():
    m = np.array([SINGULAR[0], [[2.0, 1.0], [1.0, 3.0]]])
    grads = []
    for lib in (torch, ember):
        a = lib.tensor(m, requires_grad=True)
        lib.linalg.slogdet(a).logabsdet.sum().backward()
        grads.append(a.grad)
    assert_same(grads[1], grads[0])


# ------------------------------------------------------------------------ 4. inv_ex, cholesky_ex

INV_EX_CASES = [
    [[1.0, 2.0], [3.0, 4.0]],
    SINGULAR[0],
    SINGULAR[1],
    [SINGULAR[0], [[2.0, 1.0], [1.0, 3.0]], SINGULAR[2]],
    SINGULAR[5],
]


@pytest.mark.parametrize("matrix", INV_EX_CASES, ids=[str(i) for i in range(len(INV_EX_CASES))])
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
def test_inv_ex_reports_instead_of_raising(matrix, dtype):
    t = torch.tensor(matrix, dtype=getattr(torch, dtype))
    e = ember.tensor(matrix, dtype=getattr(ember, dtype))
    t_inv, t_info = torch.linalg.inv_ex(t)
    e_inv, e_info = ember.linalg.inv_ex(e)
    assert_same(e_info, t_info)
    assert_same(e_inv, t_inv)
    assert ember.linalg.inv_ex(e).info.dtype is ember.int32
    if int(t_info.max()) > 0:
        with pytest.raises(torch.linalg.LinAlgError) as t_err:
            torch.linalg.inv_ex(t, check_errors=True)
        with pytest.raises(ember.linalg.LinAlgError) as e_err:
            ember.linalg.inv_ex(e, check_errors=True)
        assert str(e_err.value) == str(t_err.value)


def _symmetric_cases():
    rng = np.random.default_rng(3)
    cases = [[[1.0, 2.0], [2.0, 1.0]], [[-1.0, 2.0], [2.0, 1.0]], [[4.0, 2.0], [2.0, 3.0]],
             [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, -1.0]]]
    for n in (3, 4):
        for shift in (-2.0, 0.5, 6.0):
            m = rng.normal(size=(n, n))
            cases.append((m + m.T + shift * np.eye(n)).tolist())
    cases.append([cases[0], cases[2]])
    return cases


CHOLESKY_CASES = _symmetric_cases()


@pytest.mark.parametrize("matrix", CHOLESKY_CASES, ids=[str(i) for i in range(len(CHOLESKY_CASES))])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_ex_reports_instead_of_raising(matrix, upper):
    t = torch.tensor(matrix, dtype=torch.float64)
    e = ember.tensor(matrix, dtype=ember.float64)
    t_low, t_info = torch.linalg.cholesky_ex(t, upper=upper)
    e_low, e_info = ember.linalg.cholesky_ex(e, upper=upper)
    assert_same(e_info, t_info)
    assert_same(e_low, t_low)
    if int(t_info.max()) > 0:
        with pytest.raises(torch.linalg.LinAlgError) as t_err:
            torch.linalg.cholesky_ex(t, check_errors=True)
        with pytest.raises(ember.linalg.LinAlgError) as e_err:
            ember.linalg.cholesky_ex(e, check_errors=True)
        assert str(e_err.value) == str(t_err.value)


def test_cholesky_ex_complex_hermitian_not_positive_definite():
    m = np.array([[1.0, 2j], [-2j, 1.0]])
    t_low, t_info = torch.linalg.cholesky_ex(torch.tensor(m))
    e_low, e_info = ember.linalg.cholesky_ex(ember.tensor(m))
    assert_same(e_info, t_info)
    assert_same(e_low, t_low)


def test_ex_variants_keep_gradients_for_good_inputs():
    m = np.array([[4.0, 1.0], [1.0, 3.0]])
    grads = []
    for lib in (torch, ember):
        a = lib.tensor(m, requires_grad=True)
        inverse, _ = lib.linalg.inv_ex(a)
        low, _ = lib.linalg.cholesky_ex(a)
        (inverse.sum() + (low * low).sum()).backward()
        grads.append(a.grad)
    assert_same(grads[1], grads[0])


# ---------------------------------------------------------------------------- 5. complex gradients


def _complex_input(shape, dtype, hermitian=False):
    rng = np.random.default_rng(sum(shape) + 7 * len(shape))
    a = rng.normal(size=shape) + 1j * rng.normal(size=shape)
    if hermitian:
        a = a + np.swapaxes(a, -1, -2).conj()
    return a.astype(dtype)


def _weights(lib, rows, cols, complex_=False):
    rng = np.random.default_rng(rows * 10 + cols)
    w = rng.normal(size=(rows, cols))
    if complex_:
        w = w + 1j * rng.normal(size=(rows, cols))
    return lib.tensor(w)


def _svd_abs_u(lib, x):
    u, s, vh = lib.linalg.svd(x, full_matrices=False)
    return (u.abs() ** 2 * _weights(lib, *u.shape[-2:]).to(u.real.dtype)).sum()


def _svd_abs_vh(lib, x):
    u, s, vh = lib.linalg.svd(x, full_matrices=False)
    return (vh.abs() ** 2 * _weights(lib, *vh.shape[-2:]).to(vh.real.dtype)).sum()


def _svd_u_vh(lib, x):
    u, s, vh = lib.linalg.svd(x, full_matrices=False)
    r = u @ vh  # the phases cancel
    return (r * _weights(lib, *r.shape[-2:], True).to(r.dtype)).real.sum()


def _svd_usv(lib, x):
    u, s, vh = lib.linalg.svd(x, full_matrices=False)
    r = (u * s.to(u.dtype).unsqueeze(-2)) @ vh
    return (r * _weights(lib, *r.shape[-2:], True).to(r.dtype)).real.sum() + s.sum()


def _eigh_abs_q(lib, x):
    w, q = lib.linalg.eigh(x)
    return (q.abs() ** 2 * _weights(lib, *q.shape[-2:]).to(q.real.dtype)).sum() + w[..., 0].sum()


def _eigh_qlq(lib, x):
    w, q = lib.linalg.eigh(x)
    r = (q * (w ** 2).to(q.dtype).unsqueeze(-2)) @ q.mH
    return (r * _weights(lib, *r.shape[-2:], True).to(r.dtype)).real.sum()


def _eigh_values(lib, x):
    w, q = lib.linalg.eigh(x)
    return (w * lib.arange(1.0, 1.0 + w.shape[-1], dtype=w.dtype)).sum()


def _qr_q(lib, x):
    q, r = lib.linalg.qr(x)
    return (q * _weights(lib, *q.shape[-2:], True).to(q.dtype)).real.sum()


def _qr_r(lib, x):
    q, r = lib.linalg.qr(x)
    return (r * _weights(lib, *r.shape[-2:], True).to(r.dtype)).real.sum()


def _qr_abs_q(lib, x):
    q, r = lib.linalg.qr(x)
    return (q.abs() ** 2 * _weights(lib, *q.shape[-2:]).to(q.real.dtype)).sum()


COMPLEX_GRADS = [
    ("svd_abs_u", _svd_abs_u, False), ("svd_abs_vh", _svd_abs_vh, False),
    ("svd_u_vh", _svd_u_vh, False), ("svd_usv", _svd_usv, False),
    ("eigh_abs_q", _eigh_abs_q, True), ("eigh_qlq", _eigh_qlq, True),
    ("eigh_values", _eigh_values, True),
    ("qr_q", _qr_q, False), ("qr_r", _qr_r, False), ("qr_abs_q", _qr_abs_q, False),
]


@pytest.mark.parametrize("name,loss,hermitian", COMPLEX_GRADS, ids=[c[0] for c in COMPLEX_GRADS])
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 4, 3)], ids=str)
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_complex_decomposition_gradients(name, loss, hermitian, shape, dtype):
    if hermitian:
        shape = shape[:-1] + (shape[-2],)
    a = _complex_input(shape, dtype, hermitian)
    grads = []
    for lib in (torch, ember):
        x = lib.tensor(a, requires_grad=True)
        loss(lib, x).backward()
        grads.append(x.grad)
    tol = 1e-3 if dtype == "complex64" else 1e-9
    assert_same(grads[1], grads[0], rtol=tol, atol=tol)


def test_complex_decomposition_real_inputs_unchanged():
    a = np.random.default_rng(1).normal(size=(4, 3))
    for loss in (_svd_abs_u, _svd_abs_vh, _qr_abs_q):
        grads = []
        for lib in (torch, ember):
            x = lib.tensor(a, requires_grad=True)
            loss(lib, x).backward()
            grads.append(x.grad)
        assert_same(grads[1], grads[0])


@pytest.mark.parametrize("op", ["svd", "eigh"])
def test_phase_dependent_loss_raises_torchs_error(op):
    messages = []
    for lib in (torch, ember):
        x = lib.tensor(_complex_input((3, 3), "complex128", op == "eigh"), requires_grad=True)
        vectors = lib.linalg.svd(x)[0] if op == "svd" else lib.linalg.eigh(x)[1]
        with pytest.raises(RuntimeError) as err:
            vectors.real.sum().backward()
        messages.append(str(err.value).splitlines()[0])
    assert messages[1] == messages[0]


# ---------------------------------------------------------------------------- 6. stale views


def _changed_view(lib, index=slice(0, 2)):
    """(leaf, base, view): ``base`` changed in place after ``view`` of it was made."""
    leaf = lib.arange(4.0, requires_grad=True)
    base = leaf * 1
    view = base[index]
    base.mul_(3)
    return leaf, base, view


STALE_ROOTS = [
    ("backward", lambda lib, leaf, v: v.backward(lib.ones(2))),
    ("weighted", lambda lib, leaf, v: v.backward(lib.tensor([1.0, 2.0]))),
    ("grad", lambda lib, leaf, v: setattr(leaf, "grad", lib.autograd.grad(v.sum(), leaf)[0])),
    ("autograd_grad_root", lambda lib, leaf, v: setattr(
        leaf, "grad", lib.autograd.grad(v, leaf, lib.ones(2))[0])),
    ("autograd_backward", lambda lib, leaf, v: lib.autograd.backward([v], [lib.ones(2)])),
    ("view_of_view", lambda lib, leaf, v: v[1:].backward(lib.ones(1))),
]


@pytest.mark.parametrize("name,run", STALE_ROOTS, ids=[c[0] for c in STALE_ROOTS])
def test_view_changed_through_its_base_as_backward_root(name, run):
    grads = []
    for lib in (torch, ember):
        leaf, base, view = _changed_view(lib)
        run(lib, leaf, view)
        grads.append(leaf.grad)
    assert_same(grads[1], grads[0])


def test_scalar_view_changed_through_its_base_as_root():
    grads = []
    for lib in (torch, ember):
        leaf, base, view = _changed_view(lib, 0)
        view.backward()
        grads.append(leaf.grad)
    assert_same(grads[1], grads[0])


def test_retain_grad_on_view_survives_a_change_through_its_base():
    results = []
    for lib in (torch, ember):
        leaf = lib.arange(4.0, requires_grad=True)
        base = leaf * 1
        view = base[:2]
        view.retain_grad()
        base.mul_(3)
        (view * lib.tensor([1.0, 2.0])).sum().backward()
        results.append((leaf.grad, view.grad))
    assert_same(results[1][0], results[0][0])
    assert_same(results[1][1], results[0][1])


@pytest.mark.xfail(strict=True, reason="known gap: reading view.grad_fn does not regenerate "
                   "it; torch rebuilds a view's grad_fn (as AsStridedBackward0) on access after "
                   "its base changed in place, ember when the view is next used (as an op's "
                   "input, a backward root/input, or by retain_grad), so gradients agree but "
                   "the grad_fn object read in between is the old one")
def test_stale_view_grad_fn_is_regenerated_on_access():
    leaf, base, view = _changed_view(ember)
    assert view.grad_fn.next_functions[0][0] is base.grad_fn
