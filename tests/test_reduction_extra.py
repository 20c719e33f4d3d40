"""Reductions beyond the op table: dtype rules, empty tensors, NaN, ties, zeros in prod and
cumprod, torch's warnings, return types and grad_fn names, all against torch."""

import math
import pickle
import warnings

import numpy as np
import pytest
import torch

import ember

from conftest import assert_same, pair

nan, inf = math.nan, math.inf


def _both(fn, array, dtype=None):
    """fn on the same values in ember and torch (optionally cast to a dtype name)."""
    e, t = pair(np.array(array))
    if dtype is not None:
        e, t = e.to(getattr(ember, dtype)), t.to(getattr(torch, dtype))
    return fn(ember, e), fn(torch, t)


def _check(e, t):
    if isinstance(t, tuple):
        assert isinstance(e, tuple) and len(e) == len(t)
        for a, b in zip(e, t):
            assert_same(a, b)
    else:
        assert_same(e, t)


# ---------------------------------------------------------------------------- dtypes

DTYPE_CASES = [
    ("sum_int32", lambda lib, x: x.sum(), "int32"),
    ("sum_bool", lambda lib, x: x.sum(0), "bool"),
    ("sum_uint8", lambda lib, x: lib.sum(x, 1, keepdim=True), "uint8"),
    ("sum_float_to_int32", lambda lib, x: x.sum(dtype=lib.int32), "float32"),
    ("prod_int32", lambda lib, x: x.prod(), "int32"),
    ("prod_bool", lambda lib, x: x.prod(1), "bool"),
    ("prod_dtype", lambda lib, x: x.prod(1, dtype=lib.float64), "int64"),
    ("cumsum_int32", lambda lib, x: x.cumsum(0), "int32"),
    ("cumsum_bool", lambda lib, x: x.cumsum(1), "bool"),
    ("cumsum_dtype", lambda lib, x: x.cumsum(1, dtype=lib.float32), "int64"),
    ("cumprod_int", lambda lib, x: lib.cumprod(x, 0), "int16"),
    ("mean_dtype", lambda lib, x: x.mean(dtype=lib.float32), "int64"),
    ("mean_f64", lambda lib, x: x.mean(1, dtype=lib.float64), "float32"),
    ("nansum_int", lambda lib, x: x.nansum(), "int32"),
    ("amax_int", lambda lib, x: x.amax(0), "int32"),
    ("amax_bool", lambda lib, x: x.amax(0), "bool"),
    ("max_int_dim", lambda lib, x: x.max(1), "int16"),
    ("max_bool", lambda lib, x: x.max(), "bool"),
    ("min_uint8", lambda lib, x: x.min(0), "uint8"),
    ("median_int", lambda lib, x: x.median(), "int32"),
    ("logsumexp_int", lambda lib, x: x.logsumexp(0), "int32"),
    ("logsumexp_bool", lambda lib, x: x.logsumexp(1), "bool"),
    ("logsumexp_f16", lambda lib, x: x.logsumexp(1), "float16"),
    ("all_float", lambda lib, x: x.all(1), "float32"),
    ("any_int", lambda lib, x: x.any(), "int64"),
    ("all_uint8", lambda lib, x: x.all(), "uint8"),
    ("any_uint8", lambda lib, x: lib.any(x, 0), "uint8"),
    ("count_nonzero_bool", lambda lib, x: x.count_nonzero(0), "bool"),
    ("argmax_int", lambda lib, x: x.argmax(1), "int32"),
    ("argmin_uint8", lambda lib, x: x.argmin(), "uint8"),
    ("norm_dtype", lambda lib, x: x.norm(dtype=lib.float64), "float32"),
    ("norm_p1_dtype", lambda lib, x: lib.norm(x, 1, dim=1, dtype=lib.float64), "float32"),
    ("mode_bool", lambda lib, x: x.mode(), "bool"),
    ("cummax_bool", lambda lib, x: x.cummax(0), "bool"),
    ("cummin_int", lambda lib, x: x.cummin(1), "int32"),
]

INTS = [[3, 0, 2, 1], [1, 5, 0, 4], [2, 2, 7, 0]]


@pytest.mark.parametrize("name,fn,dtype", DTYPE_CASES, ids=[c[0] for c in DTYPE_CASES])
def test_dtype_rules(name, fn, dtype):
    _check(*_both(fn, INTS, dtype))


def test_all_any_keep_uint8_and_give_bool_otherwise():
    e = ember.tensor([[1, 2], [0, 3]], dtype=ember.uint8)
    assert e.all().dtype is ember.uint8
    assert e.any(1).dtype is ember.uint8
    assert ember.tensor([1.0, 0.0]).any().dtype is ember.bool


def test_all_any_dim_empty_tuple_is_elementwise():
    _check(*_both(lambda lib, x: x.all(dim=()), [[0.0, 1.0], [2.0, 0.0]]))
    _check(*_both(lambda lib, x: x.any(dim=()), [[0.0, 1.0], [2.0, 0.0]]))


@pytest.mark.parametrize("dim_fn", [
    lambda lib, x: x.sum(dim=()), lambda lib, x: x.mean(dim=()), lambda lib, x: x.amax(dim=()),
    lambda lib, x: x.nansum(dim=()), lambda lib, x: x.var(dim=[]),
    lambda lib, x: x.norm(dim=()), lambda lib, x: x.count_nonzero(dim=()),
])
def test_empty_dim_tuple_reduces_everything(dim_fn):
    _check(*_both(dim_fn, [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]))


# ---------------------------------------------------------------------------- empty tensors

EMPTY_CASES = [
    lambda lib, x: x.sum(), lambda lib, x: x.sum(0), lambda lib, x: x.prod(),
    lambda lib, x: x.mean(), lambda lib, x: x.mean(0), lambda lib, x: x.nansum(),
    lambda lib, x: x.nanmean(), lambda lib, x: x.logsumexp(0), lambda lib, x: x.logsumexp(1),
    lambda lib, x: x.norm(), lambda lib, x: x.norm(dim=0), lambda lib, x: x.all(),
    lambda lib, x: x.any(), lambda lib, x: x.all(0), lambda lib, x: x.count_nonzero(),
    lambda lib, x: x.cumsum(0), lambda lib, x: x.cumprod(1), lambda lib, x: x.cummax(0),
    lambda lib, x: x.max(1), lambda lib, x: x.min(1, keepdim=True), lambda lib, x: x.amax(1),
    lambda lib, x: x.argmax(1), lambda lib, x: x.median(), lambda lib, x: x.median(1),
    lambda lib, x: x.nanmedian(), lambda lib, x: x.mode(1),
]


@pytest.mark.parametrize("k", range(len(EMPTY_CASES)))
def test_empty(k):
    _check(*_both(EMPTY_CASES[k], np.zeros((0, 3))))


def test_var_std_warn_and_give_nan_or_inf_for_too_few_elements():
    for fn in (lambda lib, x: x.std(), lambda lib, x: x.var(0),
               lambda lib, x: x.std(0, correction=2), lambda lib, x: lib.var_mean(x, 1)):
        for array in (np.zeros((0, 3)), np.ones((1, 3)), np.arange(6.0).reshape(2, 3)):
            with warnings.catch_warnings(record=True) as t_w:
                warnings.simplefilter("always")
                t = fn(torch, torch.tensor(array))
            with warnings.catch_warnings(record=True) as e_w:
                warnings.simplefilter("always")
                e = fn(ember, ember.tensor(array))
            _check(e, t)
            assert [str(w.message)[:40] for w in e_w] == [str(w.message)[:40] for w in t_w]


ERRORS = [
    lambda lib: lib.ones(0, 3).max(),
    lambda lib: lib.ones(0, 3).min(0),
    lambda lib: lib.ones(0, 3).amin(),
    lambda lib: lib.ones(0, 3).argmax(),
    lambda lib: lib.ones(0, 3).argmin(0),
    lambda lib: lib.ones(0, 3).median(0),
    lambda lib: lib.ones(0, 3).nanmedian(0),
    lambda lib: lib.tensor(3.0).cummax(1),
    lambda lib: lib.tensor(3.0).sum(-2),
    lambda lib: lib.ones(2, 3).max(5),
    lambda lib: lib.ones(2, 3).median(dim=None),
    lambda lib: lib.ones(2, 3).norm("nuc", dim=0),
    lambda lib: lib.ones(2, dtype=lib.int64).nanmean(),
    lambda lib: lib.ones(2, dtype=lib.int32).std(),
    lambda lib: lib.ones(2, dtype=lib.bool).nanmedian(),
    lambda lib: lib.ones(2, 3).std(0, True, correction=1),
    lambda lib: lib.ones(2, 3).cumsum(),
    lambda lib: lib.ones(0).norm(inf),
    lambda lib: lib.linalg.vector_norm(lib.ones(2, 0), inf, dim=1),
    lambda lib: lib.ones(2, 3).count_nonzero((1, 1)),
]


@pytest.mark.parametrize("make", ERRORS)
def test_error_classes(make):
    with pytest.raises(Exception) as t_err:
        make(torch)
    with pytest.raises(Exception) as e_err:
        make(ember)
    assert isinstance(e_err.value, type(t_err.value)), (e_err.value, t_err.value)


# ---------------------------------------------------------------------------- NaN, ties

VALUE_CASES = [
    (lambda lib, x: x.max(), [1.0, nan, 3.0]),
    (lambda lib, x: x.argmax(), [1.0, nan, 3.0, nan]),
    (lambda lib, x: x.max(0), [1.0, nan, 3.0]),
    (lambda lib, x: x.amin(), [1.0, nan, 3.0]),
    (lambda lib, x: x.median(), [1.0, nan, 3.0]),
    (lambda lib, x: x.median(0), [1.0, nan, 3.0, nan]),
    (lambda lib, x: x.nanmedian(), [nan, 1.0, nan, 4.0, 2.0]),
    (lambda lib, x: x.nanmedian(0), [1.0, nan, 3.0, nan]),
    (lambda lib, x: x.nanmedian(1), [[nan, nan, nan], [2.0, nan, 1.0]]),
    (lambda lib, x: x.cummax(0), [2.0, nan, 3.0, 1.0]),
    (lambda lib, x: x.cummin(0), [2.0, 1.0, nan, 0.0]),
    (lambda lib, x: x.logsumexp(0), [1.0, nan, 3.0]),
    (lambda lib, x: x.logsumexp(0), [-inf, -inf]),
    (lambda lib, x: x.logsumexp(1), [[inf, 1.0], [inf, -inf]]),
    (lambda lib, x: x.logsumexp(0), [1000.0, 1000.0]),
    # ties: torch's choice of position
    (lambda lib, x: x.max(0), [2.0, 1.0, 2.0, 1.0, 1.0]),
    (lambda lib, x: x.min(0), [2.0, 1.0, 2.0, 1.0, 1.0]),
    (lambda lib, x: x.argmin(), [2.0, 1.0, 2.0, 1.0, 1.0]),
    (lambda lib, x: x.cummax(0), [2.0, 1.0, 2.0, 1.0, 1.0]),
    (lambda lib, x: x.cummin(0), [1.0, 2.0, 1.0, 2.0, 1.0]),
    (lambda lib, x: x.median(0), [2.0, 1.0, 2.0, 1.0]),
    (lambda lib, x: x.median(0), [1.0, 1.0, 3.0, 2.0, 1.0, 2.0]),
    (lambda lib, x: x.mode(), [1.0, 2.0, 2.0, 3.0, 3.0, 1.0]),
    (lambda lib, x: x.mode(0), [[1.0, 2.0], [1.0, 2.0], [3.0, 2.0], [3.0, 5.0]]),
]


@pytest.mark.parametrize("k", range(len(VALUE_CASES)))
def test_nan_and_ties(k):
    fn, array = VALUE_CASES[k]
    _check(*_both(fn, array))


# ---------------------------------------------------------------------------- special gradients

GRAD_CASES = [
    (lambda x: x.norm(), [0.0, 0.0]),
    (lambda x: x.norm(dim=1), [[0.0, 0.0], [3.0, 4.0]]),
    (lambda x: x.norm(1), [0.0, 1.0, -2.0]),
    (lambda x: x.norm(3), [0.0, 0.0]),
    (lambda x: x.norm(0.5), [0.0, 1.0]),
    (lambda x: x.norm(0), [0.0, 1.0]),
    (lambda x: x.norm(inf), [0.0, -2.0, 2.0]),
    (lambda x: x.norm(-inf), [1.0, -1.0, 2.0]),
    (lambda x: x.norm(-1), [1.0, 2.0]),
    (lambda x: x.std(), [1.0, 1.0]),
    (lambda x: x.std(1), [[1.0, 1.0], [1.0, 3.0]]),
    (lambda x: x.prod(), [2.0, 0.0, 3.0]),
    (lambda x: x.prod(), [0.0, 0.0, 3.0]),
    (lambda x: x.prod(1), [[2.0, 0.0, 3.0], [0.0, 0.0, 1.0], [1.0, 2.0, 3.0]]),
    (lambda x: x.prod(0, keepdim=True), [[2.0, 0.0], [0.0, 0.0], [1.5, 3.0]]),
    (lambda x: x.cumprod(0), [2.0, 0.0, 3.0, 4.0]),
    (lambda x: x.cumprod(0), [2.0, 0.0, 3.0, 0.0, 5.0]),
    (lambda x: x.cumprod(1), [[0.0, 0.0, 1.5, 3.0], [1.0, 2.0, 0.5, 3.0]]),
    (lambda x: x.max(), [1.0, 3.0, 3.0, 2.0]),
    (lambda x: x.min(), [1.0, 1.0, 3.0, 2.0]),
    (lambda x: x.max(), [1.0, nan, nan]),
    (lambda x: x.amax(), [1.0, 3.0, 3.0, 2.0]),
    (lambda x: x.amax(1), [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]),
    (lambda x: x.amax(), [1.0, nan, nan]),
    (lambda x: x.median(), [3.0, 3.0, 3.0, 2.0]),
    (lambda x: x.median(), [1.0, nan, 3.0]),
    (lambda x: x.nanmedian(), [1.0, nan, 3.0]),
    (lambda x: x.mode(), [1.0, 3.0, 1.0]),
    (lambda x: x.cummax(0), [1.0, 3.0, 1.0, 4.0]),
    (lambda x: x.cummin(0), [1.0, 2.0, 1.0, 2.0, 1.0]),
    (lambda x: x.logsumexp(0), [-inf, -inf]),
    (lambda x: x.logsumexp(0), [inf, 1.0]),
    (lambda x: x.nansum(), [1.0, nan]),
    (lambda x: x.nanmean(), [1.0, nan, 2.0]),
    (lambda x: x.var(0, correction=2), [1.0, 2.0]),
]


@pytest.mark.parametrize("k", range(len(GRAD_CASES)))
def test_special_gradients(k):
    fn, array = GRAD_CASES[k]
    e, t = pair(np.array(array), requires_grad=True)
    e_out, t_out = fn(e), fn(t)
    e_out = e_out[0] if isinstance(e_out, tuple) else e_out
    t_out = t_out[0] if isinstance(t_out, tuple) else t_out
    _check(e_out, t_out)
    e_out.sum().backward()
    t_out.sum().backward()
    if t.grad is None:  # torch gives no gradient (norm p=0): ember's must be zero
        assert e.grad is None or not np.any(e.grad.numpy())
    else:
        assert_same(e.grad, t.grad)


DOUBLE_CASES = [
    (lambda x: x.cumprod(0), [0.0, 0.0, 1.5, 3.0]),
    (lambda x: x.cumprod(0), [2.0, 0.0, 3.0, 0.5]),
    (lambda x: x.cumprod(0), [2.0, 1.0, 0.0, 0.5]),
    (lambda x: x.cumprod(1), [[0.0, 1.0, 0.0, 2.0], [1.0, 2.0, 0.5, 3.0]]),
    (lambda x: x.prod(), [2.0, 0.0, 3.0]),
    (lambda x: x.prod(), [0.0, 0.0, 3.0]),
    (lambda x: x.prod(1), [[0.0, 1.5, 0.0], [2.0, 0.0, 1.0]]),
    (lambda x: x.norm(), [3.0, -4.0]),
    (lambda x: x.std(0), [[1.0, 2.0], [0.5, -1.0], [2.0, 2.5]]),
]


@pytest.mark.parametrize("k", range(len(DOUBLE_CASES)))
def test_double_backward_through_zeros(k):
    fn, array = DOUBLE_CASES[k]
    rng = np.random.default_rng(k)
    results = []
    for lib in (ember, torch):
        x = lib.tensor(np.array(array), requires_grad=True)
        y = fn(x)
        g = lib.tensor(rng.uniform(-1, 1, tuple(y.shape)))
        (gx,) = lib.autograd.grad((y * g).sum(), x, create_graph=True)
        v = lib.tensor(np.linspace(-1, 1, x.numel()).reshape(tuple(x.shape)))
        (gg,) = lib.autograd.grad((gx * v).sum(), x)
        results.append((gx, gg))
        rng = np.random.default_rng(k)
    (e_gx, e_gg), (t_gx, t_gg) = results
    assert_same(e_gx.detach(), t_gx.detach())
    assert_same(e_gg, t_gg)


@pytest.mark.parametrize("p", [1, inf, -inf])
def test_norm_second_derivative_is_zero(p):
    x = ember.tensor([[0.5, -2.0, 1.5], [1.0, 0.25, -3.0]], dtype=ember.float64,
                     requires_grad=True)
    (g,) = ember.autograd.grad(x.norm(p, dim=1).sum(), x, create_graph=True)
    if g.requires_grad:
        (gg,) = ember.autograd.grad((g * g).sum(), x, allow_unused=True)
        assert gg is None or not np.any(gg.numpy())


@pytest.mark.parametrize("fn", [lambda t: t.norm(0.5, dim=1), lambda t: t.norm(-1),
                                lambda t: t.logsumexp(1), lambda t: t.std(0)])
def test_second_derivative_by_finite_differences(fn):
    """Hessian-vector product from double backward against central differences of the
    gradient (no torch needed)."""
    x0 = np.array([[0.5, -2.0, 1.5], [1.0, 0.25, -3.0]])
    v = np.array([[0.3, -0.1, 0.7], [-0.5, 0.2, 0.4]])

    def gradient(array, create_graph=False):
        x = ember.tensor(array, requires_grad=True)
        (g,) = ember.autograd.grad(fn(x).sum(), x, create_graph=create_graph)
        return x, g

    x, g = gradient(x0, create_graph=True)
    (hv,) = ember.autograd.grad((g * ember.tensor(v)).sum(), x)
    eps = 1e-6
    numerical = (gradient(x0 + eps * v)[1].numpy() - gradient(x0 - eps * v)[1].numpy()) / (2 * eps)
    np.testing.assert_allclose(hv.numpy(), numerical, rtol=1e-4, atol=1e-6)


# ---------------------------------------------------------------------------- return types, names

def test_return_type_behaves_like_torch():
    e, t = pair(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]))
    result = e.max(1)
    values, indices = result
    assert isinstance(result, tuple) and len(result) == 2
    assert type(result).__name__ == "max" and type(result) is ember.return_types.max
    assert result.values is values and result.indices is indices and result[0] is values
    expected = repr(t.max(1)).replace("torch.", "ember.")
    assert repr(result) == expected
    assert str(result) == expected
    again = pickle.loads(pickle.dumps(result))
    assert type(again) is ember.return_types.max
    assert again.values.tolist() == values.tolist()
    for name in ("min", "median", "nanmedian", "mode", "cummax", "cummin"):
        out = getattr(e, name)(1)
        assert type(out).__name__ == name and type(out).__module__ == "ember.return_types"
    assert ember.return_types.max((values, indices)) == result


def test_indices_never_require_grad():
    x = ember.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], requires_grad=True)
    for out in (x.max(1), x.min(0, keepdim=True), x.median(1), x.mode(0), x.cummax(1),
                x.nanmedian(1)):
        assert out.values.requires_grad and not out.indices.requires_grad
        assert out.indices.dtype is ember.int64
    assert not x.argmax().requires_grad and not x.all().requires_grad


NAME_CASES = [
    lambda x: x.sum(), lambda x: x.sum(0), lambda x: x.mean(), lambda x: x.mean(1),
    lambda x: x.prod(), lambda x: x.prod(0), lambda x: x.nansum(), lambda x: x.var(0),
    lambda x: x.std(), lambda x: x.norm(), lambda x: x.norm(1, dim=0), lambda x: x.logsumexp(0),
    lambda x: x.cumsum(0), lambda x: x.cumprod(1), lambda x: x.max(), lambda x: x.max(1)[0],
    lambda x: x.min(), lambda x: x.min(0)[0], lambda x: x.amax(0), lambda x: x.amin(),
    lambda x: x.median(), lambda x: x.median(0)[0], lambda x: x.nanmedian(),
    lambda x: x.nanmedian(1)[0], lambda x: x.mode(0)[0], lambda x: x.cummax(0)[0],
    lambda x: x.cummin(1)[0],
]


@pytest.mark.parametrize("k", range(len(NAME_CASES)))
def test_grad_fn_names(k):
    e, t = pair(np.array([[1.0, 5.0, 2.0], [7.0, 0.5, 3.0]]), requires_grad=True)
    assert NAME_CASES[k](e).grad_fn.name() == NAME_CASES[k](t).grad_fn.name()


# ---------------------------------------------------------------------------- call forms

CALL_CASES = [
    lambda lib, x: x.var(False), lambda lib, x: x.var(True), lambda lib, x: x.std(0, True),
    lambda lib, x: x.var(0, True, True), lambda lib, x: lib.var(x, 1, False, True),
    lambda lib, x: x.var(dim=1, unbiased=False, keepdim=True),
    lambda lib, x: x.var(0, correction=1.5), lambda lib, x: lib.std_mean(x),
    lambda lib, x: lib.var_mean(x, 1, keepdim=True), lambda lib, x: lib.std_mean(x, False),
    lambda lib, x: lib.max(x, 1, True), lambda lib, x: lib.min(x, dim=0, keepdim=True),
    lambda lib, x: x.sum(None, True), lambda lib, x: lib.nansum(x, 1, dtype=lib.float64),
    lambda lib, x: lib.nanmean(x, 1, True), lambda lib, x: x.argmax(0, keepdim=True),
    lambda lib, x: x.argmax(keepdim=True), lambda lib, x: x.argmin(dim=None, keepdim=True),
    lambda lib, x: lib.norm(x, 2, 1, True, dtype=lib.float64),
    lambda lib, x: x.norm(p="fro", dim=(0,)), lambda lib, x: x.norm(p="nuc"),
    lambda lib, x: x.norm(p="nuc", keepdim=True), lambda lib, x: lib.logsumexp(x, 1, True),
    lambda lib, x: lib.mode(x), lambda lib, x: x.count_nonzero(1),
    lambda lib, x: lib.any(x, (0, 1), keepdim=True),
]


@pytest.mark.parametrize("k", range(len(CALL_CASES)))
def test_call_forms(k):
    _check(*_both(CALL_CASES[k], [[0.0, 1.5, 2.0], [3.0, -4.0, 5.5]]))


def test_max_min_of_two_tensors():
    _check(*_both(lambda lib, x: lib.max(x, x.flip(0)) if hasattr(x, "flip") else
                  lib.max(x, x * 0.5), [[0.0, 1.5], [3.0, -4.0]]))
    _check(*_both(lambda lib, x: x.min(x * -1), [[0.0, 1.5], [3.0, -4.0]]))


def test_inplace_cumsum_and_cumprod():
    e, t = pair(np.array([[1.0, 2.0], [3.0, 4.0]]))
    e.cumsum_(0)
    t.cumsum_(0)
    assert_same(e, t)
    e.cumprod_(1)
    t.cumprod_(1)
    assert_same(e, t)
