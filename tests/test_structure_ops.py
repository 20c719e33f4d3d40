"""What the op table (tests/op_tables/structure.py) cannot say about the structural,
statistical, strided and window ops: integer and bool inputs and the result dtypes, empty
inputs, out=, error classes, views that share memory (unfold, as_strided), the counting ops
(bincount, histc, histogram, isin, tril/triu_indices), window functions and complex random
draws against torch's stream.
"""

import math
import warnings

import numpy as np
import pytest
import torch

import ember

from conftest import assert_same

INT_DTYPES = ["uint8", "int8", "int16", "int32", "int64"]


def both(fn):
    """fn(lib) on ember and on torch."""
    return fn(ember), fn(torch)


def same(fn, **tolerance):
    """fn(lib) gives the same tensor (or tuple of tensors) in ember and torch."""
    e, t = both(fn)
    if isinstance(t, tuple):
        assert len(e) == len(t)
        for a, b in zip(e, t):
            assert_same(a, b, **tolerance)
    else:
        assert_same(e, t, **tolerance)
    return e, t


def same_error(fn, first_line=True):
    """fn(lib) raises the same exception class in both (and torch's first line, when asked)."""
    with pytest.raises(Exception) as t_err:
        fn(torch)
    with pytest.raises(Exception) as e_err:
        fn(ember)
    assert type(e_err.value) is type(t_err.value), (e_err.value, t_err.value)
    if first_line:
        e_first = str(e_err.value).split("\n")[0].replace("ember.", "torch.")
        assert e_first == str(t_err.value).split("\n")[0]


# ---------------------------------------------------------------------------- bincount

@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_bincount_integer_inputs(dtype):
    values = [1, 3, 3, 0, 7, 3]
    same(lambda lib: lib.bincount(lib.tensor(values, dtype=getattr(lib, dtype))))
    same(lambda lib: lib.tensor(values, dtype=getattr(lib, dtype)).bincount(minlength=10))


@pytest.mark.parametrize("wdtype", ["float32", "float64", "float16", "int64", "bool"])
def test_bincount_weights_dtype(wdtype):
    # float32 weights sum in float32, every other dtype in float64 (as torch)
    same(lambda lib: lib.bincount(lib.tensor([1, 3, 3, 0]),
                                  lib.tensor([1, 2, 3, 1], dtype=getattr(lib, wdtype)), 6))


def test_bincount_empty():
    same(lambda lib: lib.bincount(lib.tensor([], dtype=lib.int64)))
    same(lambda lib: lib.bincount(lib.tensor([], dtype=lib.int64), minlength=3))
    same(lambda lib: lib.bincount(lib.tensor([], dtype=lib.int64), lib.ones(0), 2))


@pytest.mark.parametrize("make", [
    lambda lib: lib.bincount(lib.tensor([0.0, 1.0])),
    lambda lib: lib.bincount(lib.tensor([True, False])),
    lambda lib: lib.bincount(lib.tensor([[0, 1]])),
    lambda lib: lib.bincount(lib.tensor([0, -1])),
    lambda lib: lib.bincount(lib.tensor([0, 1]), minlength=-1),
    lambda lib: lib.bincount(lib.tensor([0, 1]), weights=lib.ones(3)),
])
def test_bincount_errors(make):
    same_error(make)


def test_bincount_weights_requiring_grad_have_no_derivative():
    e, t = both(lambda lib: lib.bincount(lib.tensor([0, 1, 1]),
                                         lib.ones(3, requires_grad=True)))
    assert e.requires_grad and t.requires_grad
    same_error(lambda lib: lib.bincount(lib.tensor([0, 1, 1]), lib.ones(3, requires_grad=True))
               .sum().backward())


# ---------------------------------------------------------------------------- histc, histogram

def _data(lib, dtype="float32"):
    values = np.random.default_rng(0).normal(size=(5, 8))
    return lib.tensor(values, dtype=getattr(lib, dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_histc_matches_torch(dtype):
    same(lambda lib: lib.histc(_data(lib, dtype), 7))
    same(lambda lib: _data(lib, dtype).histc(4, min=-1, max=1))
    same(lambda lib: lib.histc(_data(lib, dtype), 3, min=5, max=6))  # all outside: zeros


def test_histc_edge_cases():
    same(lambda lib: lib.histc(lib.tensor([2.0, 2, 2]), 4))  # one value v: [v - 1, v + 1]
    same(lambda lib: lib.histc(lib.tensor([]), 3))
    same(lambda lib: lib.histc(lib.tensor([0.0, 1, 2, 3, 4, 5]), 2, min=1, max=4))
    # values on the edges: each edge starts its bin, the last edge is in the last bin
    same(lambda lib: lib.histc(lib.arange(11.0), 10, min=0, max=10))
    same(lambda lib: lib.histc(lib.arange(11.0) / 10, 10, min=0, max=1))


def test_histc_out():
    e, t = both(lambda lib: lib.histc(_data(lib), 5, out=lib.empty(0)))
    assert_same(e, t)
    out = ember.empty(5)
    assert ember.histc(_data(ember), 5, out=out) is out


@pytest.mark.parametrize("make", [
    lambda lib: lib.histc(lib.tensor([1, 2, 3]), 3),
    lambda lib: lib.histc(lib.tensor([1.0, 2]), 0),
    lambda lib: lib.histc(lib.tensor([1.0, 2]), -1),
    lambda lib: lib.histc(lib.tensor([1.0, 2]), 3, min=3, max=1),
    lambda lib: lib.histc(lib.tensor([1.0, float("inf")]), 4),
])
def test_histc_errors(make):
    same_error(make)


def test_histc_nan_range_error_class():
    # torch prints the NaN of the data's range as "-nan"; ember says "nan": the class matches
    same_error(lambda lib: lib.histc(lib.tensor([1.0, float("nan")]), 4), first_line=False)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_histogram_matches_torch(dtype):
    same(lambda lib: lib.histogram(_data(lib, dtype), 6))
    same(lambda lib: _data(lib, dtype).histogram(3, range=(-1.0, 1.0)))
    same(lambda lib: lib.histogram(_data(lib, dtype), 4, weight=_data(lib, dtype).abs(),
                                   density=True))
    same(lambda lib: lib.histogram(_data(lib, dtype),
                                   lib.tensor([-1.0, 0, 0.25, 2], dtype=getattr(lib, dtype))))
    same(lambda lib: lib.histogram(_data(lib, dtype), lib.tensor([-1.0, 0, 2],
                                   dtype=getattr(lib, dtype)), density=True))


def test_histogram_named_tuple_and_edge_cases():
    e, _ = same(lambda lib: lib.histogram(lib.tensor([1.0, 2, 1]), bins=4))
    assert type(e).__name__ == "histogram"
    assert e.hist is e[0] and e.bin_edges is e[1]
    same(lambda lib: lib.histogram(lib.tensor([2.0, 2]), 4))  # one value v: [v - .5, v + .5]
    same(lambda lib: lib.histogram(lib.tensor([]), 3))
    same(lambda lib: lib.histogram(lib.tensor([1.0]), lib.tensor([3.0, 1.0])))  # decreasing


def test_histogram_out():
    e, t = both(lambda lib: lib.histogram(_data(lib), 5, out=(lib.empty(0), lib.empty(0))))
    assert_same(e[0], t[0])
    assert_same(e[1], t[1])


@pytest.mark.parametrize("make", [
    lambda lib: lib.histogram(lib.tensor([1, 2]), 3),
    lambda lib: lib.histogram(lib.tensor([1.0, 2], dtype=lib.float16), 3),
    lambda lib: lib.histogram(lib.tensor([1.0]), -1),
    lambda lib: lib.histogram(lib.tensor([1.0]), 2, range=(3.0, 1.0)),
    lambda lib: lib.histogram(lib.tensor([1.0]), lib.tensor([0.0, 2], dtype=lib.float64)),
    lambda lib: lib.histogram(lib.tensor([1.0]), lib.tensor([[0.0, 2]])),
    lambda lib: lib.histogram(lib.tensor([2.0, 2]), 2, weight=lib.ones(3)),
    lambda lib: lib.histogram(lib.tensor([2.0, 2]), 2, weight=lib.ones(2, dtype=lib.float64)),
    lambda lib: lib.histogram(lib.tensor([2.0, float("inf")]), 2),
])
def test_histogram_errors(make):
    same_error(make)


# ---------------------------------------------------------------------------- quantile

def test_quantile_out_and_shapes():
    x = np.random.default_rng(1).normal(size=(3, 4, 5))
    e, t = both(lambda lib: lib.quantile(lib.tensor(x), 0.4, dim=1,
                                         out=lib.empty(0, dtype=lib.float64)))
    assert_same(e, t)
    same(lambda lib: lib.nanquantile(lib.tensor(x), 0.4, dim=1,
                                     out=lib.empty(0, dtype=lib.float64)))
    same_error(lambda lib: lib.quantile(lib.tensor(x), 0.4, dim=1, out=lib.empty(0)))
    same_error(lambda lib: lib.nanquantile(lib.tensor(x), 0.4, dim=1, out=lib.empty(0)))
    same(lambda lib: lib.quantile(lib.tensor(x), lib.tensor(0.5, dtype=lib.float64), dim=2))
    same(lambda lib: lib.quantile(lib.tensor(x), lib.tensor([], dtype=lib.float64), dim=0))
    same(lambda lib: lib.quantile(lib.tensor(3.0), 0.3, dim=0, keepdim=True))
    same(lambda lib: lib.quantile(lib.tensor(x), lib.tensor([0.1, 0.9], dtype=lib.float64),
                                  keepdim=True))


def test_nanquantile_rows():
    nan = float("nan")
    rows = [[1.0, nan, 3, 4], [nan] * 4, [2.0, 2, 2, 2]]
    for how in ["linear", "lower", "higher", "midpoint", "nearest"]:
        same(lambda lib: lib.nanquantile(lib.tensor(rows), 0.4, dim=1, interpolation=how))  # noqa: B023
        same(lambda lib: lib.quantile(lib.tensor(rows), 0.4, dim=1, interpolation=how))  # noqa: B023


def test_quantile_nearest_ties_to_even():
    for q in (0.5, 0.3, 0.1, 0.9):  # ranks 2.5, 1.5, 0.5, 4.5 among 6 values
        same(lambda lib: lib.quantile(lib.arange(6.0), q, interpolation="nearest"))  # noqa: B023


def test_histogram_requiring_grad_has_no_derivative():
    for make in (lambda lib: lib.histogram(lib.ones(3, requires_grad=True), 2),
                 lambda lib: lib.histogram(lib.ones(3), 2, weight=lib.ones(3, requires_grad=True))):
        e, t = both(make)
        assert e.hist.requires_grad == t.hist.requires_grad
        assert e.bin_edges.requires_grad == t.bin_edges.requires_grad
        same_error(lambda lib: make(lib).hist.sum().backward())  # noqa: B023
    e, t = both(lambda lib: lib.histc(lib.ones(3, requires_grad=True), 2))
    assert not e.requires_grad and not t.requires_grad


def test_quantile_errors_more():
    same_error(lambda lib: lib.quantile(lib.ones(3), float("nan")))
    same_error(lambda lib: lib.quantile(lib.ones(3, dtype=lib.float16), 0.5))
    same_error(lambda lib: lib.quantile(lib.zeros(0, 3), 0.3, dim=1))


# ---------------------------------------------------------------------------- diff

@pytest.mark.parametrize("dtype", INT_DTYPES + ["bool"])
def test_diff_integer_and_bool(dtype):
    values = [[1, 5, 2, 0], [0, 1, 1, 7]]
    same(lambda lib: lib.diff(lib.tensor(values).to(getattr(lib, dtype))))
    same(lambda lib: lib.diff(lib.tensor(values).to(getattr(lib, dtype)), n=2, dim=0))


def test_diff_promotion_empty_and_out():
    # an int64 prepend joins a float32 input as float32 (cat's promotion)
    same(lambda lib: lib.diff(lib.ones(2, 3), prepend=lib.tensor([[1], [2]])))
    same(lambda lib: lib.diff(lib.ones(2, 3), n=5))
    same(lambda lib: lib.diff(lib.ones(2, 0), n=2))
    same(lambda lib: lib.diff(lib.arange(6.0).reshape(2, 3), n=0))
    same(lambda lib: lib.diff(lib.arange(6.0), out=lib.empty(0)))
    same_error(lambda lib: lib.diff(lib.ones(3), prepend=1.0))


# ---------------------------------------------------------------------------- isin

@pytest.mark.parametrize("invert", [False, True])
def test_isin_numbers_and_dtypes(invert):
    same(lambda lib: lib.isin(lib.tensor([[1, 2], [3, 4]]), lib.tensor([2, 4, 9]),
                              invert=invert))
    same(lambda lib: lib.isin(3, lib.tensor([1, 3]), invert=invert))  # 0-dim result
    same(lambda lib: lib.isin(lib.tensor([1, 3]), 3, invert=invert))
    same(lambda lib: lib.isin(lib.tensor([1, 3]), lib.tensor([1.0, 3.5]), invert=invert))
    same(lambda lib: lib.isin(lib.tensor([1.5, 3.0]), lib.tensor([3]), invert=invert))
    same(lambda lib: lib.isin(lib.tensor([1, 2], dtype=lib.uint8), lib.tensor([1]),
                              invert=invert))
    same(lambda lib: lib.isin(lib.tensor([1.0, 2], dtype=lib.float16), lib.tensor([1]),
                              invert=invert))
    same(lambda lib: lib.isin(lib.tensor([float("nan"), 1.0]), lib.tensor([float("nan"), 1.0]),
                              invert=invert))
    same(lambda lib: lib.isin(lib.tensor([1, 2, 3]), lib.tensor([3, 1]), assume_unique=True,
                              invert=invert))
    same(lambda lib: lib.isin(lib.tensor([], dtype=lib.int64), lib.tensor([1])))
    same(lambda lib: lib.isin(lib.tensor([1, 2]), lib.tensor([], dtype=lib.int64)))


def test_isin_out_and_errors():
    same(lambda lib: lib.isin(lib.tensor([1, 2, 3]), lib.tensor([2]),
                              out=lib.empty(0, dtype=lib.bool)))
    same_error(lambda lib: lib.isin(lib.tensor([True]), lib.tensor([1])))
    same_error(lambda lib: lib.isin(lib.tensor([1j]), lib.tensor([1j])))
    same_error(lambda lib: lib.isin(1, 2), first_line=False)


# ---------------------------------------------------------------------------- index factories

@pytest.mark.parametrize("fn", ["tril_indices", "triu_indices"])
@pytest.mark.parametrize("row,col,offset", [(3, 4, 0), (3, 4, 1), (4, 3, -2), (5, 5, 10),
                                            (3, 4, -10), (0, 4, 0), (4, 0, 0), (1, 1, 0)])
def test_triangle_indices(fn, row, col, offset):
    same(lambda lib: getattr(lib, fn)(row, col, offset))


@pytest.mark.parametrize("fn", ["tril_indices", "triu_indices"])
def test_triangle_indices_dtypes_and_errors(fn):
    same(lambda lib: getattr(lib, fn)(3, 4, dtype=lib.int32))
    for dtype in ("int16", "int8", "uint8", "float32", "bool"):  # int32 and int64 only
        same_error(lambda lib: getattr(lib, fn)(3, 4, dtype=getattr(lib, dtype)))  # noqa: B023
    same_error(lambda lib: getattr(lib, fn)(-1, 4))
    same_error(lambda lib: getattr(lib, fn)(3, -4))


# ---------------------------------------------------------------------------- structural

@pytest.mark.parametrize("dtype", INT_DTYPES + ["bool"])
def test_structural_ops_keep_integer_dtypes(dtype):
    def t(lib, values):
        return lib.tensor(values).to(getattr(lib, dtype))

    same(lambda lib: lib.rot90(t(lib, [[1, 0, 1], [0, 1, 1]]), 3))
    same(lambda lib: lib.diagflat(t(lib, [1, 0, 1]), -1))
    same(lambda lib: lib.combinations(t(lib, [1, 0, 1]), 2, True))
    same(lambda lib: lib.cartesian_prod(t(lib, [1, 0]), t(lib, [1, 1, 0])))
    same(lambda lib: lib.block_diag(t(lib, [[1, 0]]), t(lib, 1), t(lib, [0, 1])))
    same(lambda lib: lib.select_scatter(t(lib, [[1, 0], [0, 1]]), t(lib, [1, 1]), 0, 1))
    same(lambda lib: lib.slice_scatter(t(lib, [[1, 0], [0, 1]]), t(lib, [[0], [0]]), 1, 1))
    same(lambda lib: lib.diagonal_scatter(t(lib, [[1, 0], [0, 1]]), t(lib, [0, 0])))


def test_block_diag_promotion_and_empty():
    same(lambda lib: lib.block_diag(lib.ones(2, dtype=lib.int32), lib.ones(1, dtype=lib.int64)))
    same(lambda lib: lib.block_diag(lib.tensor([True]), lib.tensor([2.5])))
    same(lambda lib: lib.block_diag(lib.ones(2, 2), lib.tensor(3), lib.ones(0, 2)))
    same(lambda lib: lib.block_diag())


def test_combinations_and_products_edge_cases():
    same(lambda lib: lib.combinations(lib.tensor([1, 2, 3]), 0))
    same(lambda lib: lib.combinations(lib.tensor([1, 2, 3]), 4))
    same(lambda lib: lib.combinations(lib.tensor([1, 2, 3]), 1))
    same(lambda lib: lib.combinations(lib.tensor([])))
    same(lambda lib: lib.cartesian_prod(lib.tensor([1, 2]), lib.tensor([], dtype=lib.int64)))
    same_error(lambda lib: lib.cartesian_prod())
    same(lambda lib: lib.diagflat(lib.ones(0), 1))
    same(lambda lib: lib.rot90(lib.ones(2, 0, 3), 1, (0, 2)))


def test_scatter_src_dtype_is_cast():
    same(lambda lib: lib.select_scatter(lib.zeros(2, 3), lib.ones(3, dtype=lib.float64), 0, 1))
    same(lambda lib: lib.select_scatter(lib.zeros(2, 3), lib.ones(3, dtype=lib.int64), 0, 1))


def test_scatter_errors_more():
    same_error(lambda lib: lib.select_scatter(lib.tensor(1.0), lib.tensor(2.0), 0, 0))
    same_error(lambda lib: lib.slice_scatter(lib.tensor(1.0), lib.tensor(2.0)))
    same_error(lambda lib: lib.diagonal_scatter(lib.ones(3), lib.ones(1)))
    same_error(lambda lib: lib.cov(lib.ones(2, 3), correction=0.5))
    for make in (lambda lib: lib.diff(lib.ones(3), n=1.5),
                 lambda lib: lib.combinations(lib.ones(3), 2.0),
                 lambda lib: lib.histc(lib.ones(3), bins=2.5),
                 lambda lib: lib.bincount(lib.tensor([1, 2]), minlength=2.0)):
        same_error(make, first_line=False)  # torch's argument parser words these


def test_quantile_gradient_reaches_q():
    x = np.random.default_rng(5).normal(size=(3, 6))
    grads = []
    for lib in (ember, torch):
        xt = lib.tensor(x, requires_grad=True)
        q = lib.tensor([0.2, 0.7], dtype=lib.float64, requires_grad=True)
        grads.append(lib.autograd.grad(lib.quantile(xt, q, dim=1).sum(), (xt, q)))
    for e, t in zip(*grads):
        assert_same(e, t)


def test_slice_scatter_out():
    same(lambda lib: lib.slice_scatter(lib.zeros(4, 3), lib.ones(2, 3), 0, 1, 3,
                                       out=lib.empty(0)))


def test_as_strided_scatter_gradients():
    """torch's src gradient, and for input the gradient of everything outside the region (torch
    2.13 gives the region's instead: see the note in op_tables/structure.py)."""
    g = np.arange(12.0).reshape(3, 4) * 10
    grads = []
    for lib in (ember, torch):
        x = lib.arange(12.0).reshape(3, 4).requires_grad_()
        s = lib.zeros(2, 2, requires_grad=True)
        y = lib.as_strided_scatter(x, s, (2, 2), (1, 2), 1)
        grads.append(lib.autograd.grad(y, (x, s), lib.tensor(g)))
    assert_same(grads[0][1], grads[1][1])
    expected = g.copy()
    expected.reshape(-1)[1:5] = 0  # the region (flat positions 1..4) comes from src
    np.testing.assert_array_equal(grads[0][0].numpy(), expected)


def test_scatter_gradients_reach_both_inputs():
    e_grads, t_grads = [], []
    for lib, grads in ((ember, e_grads), (torch, t_grads)):
        x = lib.arange(12.0).reshape(3, 4).requires_grad_()
        s = lib.tensor([5.0, 6, 7], requires_grad=True)
        y = lib.diagonal_scatter(x, s, 0) * lib.arange(12.0).reshape(3, 4)
        grads.extend(lib.autograd.grad(y.sum(), (x, s)))
        assert y.grad_fn.name().startswith("MulBackward")
    for e, t in zip(e_grads, t_grads):
        assert_same(e, t)


# ---------------------------------------------------------------------------- cov, corrcoef

def test_cov_integer_input_and_weights():
    x = [[1, 2, 4, 7], [3, 1, 0, 2]]
    same(lambda lib: lib.cov(lib.tensor(x)))  # integers: the default float dtype
    same(lambda lib: lib.cov(lib.tensor(x[0])))
    same(lambda lib: lib.cov(lib.tensor(x, dtype=lib.float64), fweights=lib.tensor([1, 0, 2, 3]),
                             aweights=lib.tensor([0.5, 1, 2, 0.25], dtype=lib.float64)))
    same(lambda lib: lib.cov(lib.tensor(x, dtype=lib.float64), correction=0,
                             aweights=lib.tensor([0.5, 1, 2, 0.25], dtype=lib.float64)))
    same(lambda lib: lib.corrcoef(lib.tensor(x)))
    same(lambda lib: lib.corrcoef(lib.tensor([[1.0, 1, 1], [1, 2, 3]])))  # a constant row: NaN
    same(lambda lib: lib.corrcoef(lib.tensor([1.0, 2, 4])))


def test_cov_complex():
    z = np.array([[1 + 2j, 3 - 1j, 0.5j], [2, 1j, -1]], dtype=np.complex64)
    same(lambda lib: lib.cov(lib.tensor(z)))


def test_cov_no_degrees_of_freedom_warns():
    for make in (lambda lib: lib.cov(lib.tensor(1.0)),
                 lambda lib: lib.cov(lib.ones(2, 1)),
                 lambda lib: lib.cov(lib.arange(6.0).reshape(2, 3), correction=5),
                 lambda lib: lib.cov(lib.ones(2, 0))):
        for lib in (ember, torch):
            with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
                make(lib)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            same(make)


# ---------------------------------------------------------------------------- unfold

def test_unfold_is_a_view():
    e, t = both(lambda lib: lib.arange(24.0).reshape(4, 6).unfold(1, 2, 3))
    assert_same(e, t)
    assert e.stride() == t.stride() and e.storage_offset() == t.storage_offset()
    base = ember.arange(10.0)
    windows = base.unfold(0, 3, 2)
    assert windows._base is base
    version = base._version
    windows[1, 0] = -1.0  # window 1 starts at element 2
    assert base[2].item() == -1.0
    assert base._version == windows._version == version + 1
    base[4] = -2.0  # element 4 is the last of window 1 and the first of window 2
    assert windows[1, 2].item() == -2.0 and windows[2, 0].item() == -2.0
    assert windows._version == base._version


def test_unfold_shapes_and_strides_match_torch():
    for make in (lambda lib: lib.arange(10.0).unfold(0, 3, 2),
                 lambda lib: lib.arange(24.0).reshape(4, 6).t().unfold(0, 2, 1),
                 lambda lib: lib.arange(24.0).reshape(2, 3, 4).unfold(-1, 4, 4),
                 lambda lib: lib.tensor(3.0).unfold(0, 1, 1),
                 lambda lib: lib.arange(6).unfold(0, 2, 2)):
        e, t = same(make)
        assert e.stride() == t.stride()
    # NOTE: ember reports contiguous strides for every empty tensor (torch keeps a view's)
    same(lambda lib: lib.arange(24.0).reshape(4, 6).unfold(1, 0, 3))


def test_unfold_gradient_after_write_through_base():
    grads = []
    for lib in (ember, torch):
        leaf = lib.arange(8.0, dtype=lib.float64).requires_grad_()
        x = leaf * 1
        w = x.unfold(0, 3, 2)
        x[0] = 5.0  # in place through the base: the view's graph follows
        grads.append(lib.autograd.grad((w * w).sum(), leaf)[0])
        assert w[0, 0].item() == 5.0
    assert_same(grads[0], grads[1])


# ---------------------------------------------------------------------------- as_strided

def test_as_strided_is_a_view_of_the_storage():
    for make in (lambda lib: lib.arange(24.0).reshape(4, 6)[1:].as_strided((2, 2), (1, 2), 1),
                 lambda lib: lib.arange(24.0).reshape(4, 6)[1:].as_strided((2, 2), (1, 2)),
                 lambda lib: lib.as_strided(lib.arange(24.0).reshape(4, 6).t(), (3, 3), (6, 1)),
                 lambda lib: lib.arange(6.0).as_strided((3, 3), (1, 0))):
        e, t = same(make)
        assert e.stride() == t.stride()
        assert e.storage_offset() == t.storage_offset()
    same(lambda lib: lib.arange(6.0).as_strided((0, 3), (1, 1), 6))  # empty: see above
    base = ember.arange(12.0)
    view = base[2:].as_strided((2, 3), (3, 1))  # the storage offset of the input: 2
    assert view._base is base and view.storage_offset() == 2
    version = base._version
    view[1, 1] = -1.0  # storage element 2 + 3 + 1
    assert base[6].item() == -1.0
    assert base._version == version + 1 == view._version
    base.add_(1)
    assert view[0, 0].item() == 3.0 and view._version == base._version


def test_as_strided_gradients_of_overlapping_views():
    e, t = [], []
    for lib, out in ((ember, e), (torch, t)):
        x = lib.arange(6.0, dtype=lib.float64).requires_grad_()
        y = x.as_strided((4, 3), (1, 1))  # overlapping windows: the gradient adds up
        out.append(lib.autograd.grad((y * y).sum(), x)[0])
        expanded = lib.arange(3.0, dtype=lib.float64).requires_grad_()
        z = expanded.expand(2, 3).as_strided((3,), (1,))  # an input that overlaps itself
        out.append(lib.autograd.grad((z * lib.tensor([1.0, 2, 3], dtype=lib.float64)).sum(),
                                     expanded)[0])
    for a, b in zip(e, t):
        assert_same(a, b)


def test_as_strided_errors_more():
    same_error(lambda lib: lib.ones(4, 6).as_strided((2, -2), (1, 1)))


# ---------------------------------------------------------------------------- windows

WINDOWS = ["hann_window", "hamming_window", "blackman_window", "bartlett_window",
           "kaiser_window"]


@pytest.mark.parametrize("name", WINDOWS)
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("periodic", [True, False])
def test_windows_match_torch(name, dtype, periodic):
    # NOTE: ember rounds the float64 window once; torch evaluates it in the dtype itself (a
    # multiply, a cosine or a Bessel series, a multiply-add: each rounds), so the two may be
    # a few units of the dtype's last place apart: 8 eps of the dtype, windows being <= 1
    eps = torch.finfo(getattr(torch, dtype)).eps
    for length in (0, 1, 2, 5, 16, 101):
        e = getattr(ember, name)(length, periodic, dtype=getattr(ember, dtype))
        t = getattr(torch, name)(length, periodic, dtype=getattr(torch, dtype))
        assert_same(e, t, rtol=0, atol=8 * eps)


def test_window_parameters_and_options():
    same(lambda lib: lib.hamming_window(7, False, 0.5, 0.3), rtol=0, atol=1e-6)
    same(lambda lib: lib.kaiser_window(7, False, 3.0), rtol=0, atol=1e-6)
    same(lambda lib: lib.kaiser_window(8, True, 0.5, dtype=lib.float64), rtol=0, atol=1e-14)
    e, t = same(lambda lib: lib.hann_window(4, requires_grad=True), rtol=0, atol=1e-6)
    assert e.requires_grad and e.is_leaf
    with ember.no_grad():  # the default dtype decides
        ember.set_default_dtype(ember.float64)
        try:
            assert ember.blackman_window(3).dtype is ember.float64
        finally:
            ember.set_default_dtype(ember.float32)


@pytest.mark.parametrize("name", WINDOWS)
def test_window_errors(name):
    same_error(lambda lib: getattr(lib, name)(-1))
    same_error(lambda lib: getattr(lib, name)(3, dtype=lib.int64), first_line=False)
    same_error(lambda lib: getattr(lib, name)(3.0), first_line=False)


# ---------------------------------------------------------------------------- complex random

@pytest.mark.parametrize("fn", ["rand", "randn"])
@pytest.mark.parametrize("dtype", ["cfloat", "cdouble"])
@pytest.mark.parametrize("shape", [(3,), (8,), (20,), (4, 5), (33,), ()])
def test_complex_random_matches_torch_stream(fn, dtype, shape):
    """torch fills the real view (real, imag, real, imag, ...) with its real draws: uniform
    for rand, normal with std 1/sqrt(2) for randn (so that E|z|^2 = 1). Same seed, same
    values, and the streams stay in step after it."""
    torch.manual_seed(7)
    ember.manual_seed(7)
    t = getattr(torch, fn)(shape, dtype=getattr(torch, dtype))
    e = getattr(ember, fn)(shape, dtype=getattr(ember, dtype))
    assert_same(e, t, rtol=0, atol=0)
    assert_same(ember.randn(5), torch.randn(5), rtol=0, atol=0)


def test_complex_fills_and_like():
    torch.manual_seed(3)
    ember.manual_seed(3)
    for make in (lambda lib: lib.zeros(4, 5, dtype=lib.cdouble).t().normal_(1, 3),
                 lambda lib: lib.zeros(5, dtype=lib.cfloat).uniform_(-1, 2),
                 lambda lib: lib.randn_like(lib.zeros(3, 4, dtype=lib.cfloat)),
                 lambda lib: lib.rand_like(lib.zeros(17, dtype=lib.cdouble)),
                 lambda lib: lib.randn(2, 3, dtype=lib.cfloat, requires_grad=True)):
        e, t = make(ember), make(torch)
        assert_same(e.detach(), t.detach(), rtol=0, atol=0)
        assert e.requires_grad == t.requires_grad


def test_complex_randn_variance():
    ember.manual_seed(0)
    z = ember.randn(20000, dtype=ember.cdouble).numpy()
    # each part has variance 1/2: the sample variance of 20000 draws is within ~5 standard
    # errors (sqrt(2 / n) * 1/2 = 0.005) of it
    assert abs(z.real.var() - 0.5) < 0.025 and abs(z.imag.var() - 0.5) < 0.025
    assert abs(np.mean(np.abs(z) ** 2) - 1) < 0.05
    assert math.isclose(float(np.abs(z.mean())), 0, abs_tol=0.04)


def test_complex_fill_moves_version_and_respects_leaf():
    z = ember.zeros(3, dtype=ember.cfloat)
    version = z._version
    z.normal_()
    assert z._version == version + 1
    same_error(lambda lib: lib.zeros(3, dtype=lib.cfloat, requires_grad=True).normal_(),
               first_line=False)


# ---------------------------------------------------------------------------- devices

def test_ops_keep_the_device(fake_cuda):
    """On the NumPy-backed fake 'cuda': results stay on the inputs' device, index arrays made
    by the ops (positions, combinations) follow, and values equal the CPU's."""
    cpu = ember.arange(12.0, dtype=ember.float64).reshape(3, 4)
    cases = [
        lambda x: x.as_strided((3, 3), (1, 2), 1),
        lambda x: x.unfold(1, 2, 1),
        lambda x: ember.combinations(x[0]),
        lambda x: ember.diagonal_scatter(x, x[0, :3] * 0),
        lambda x: ember.as_strided_scatter(x, x[0, :2], (2,), (5,)),
        lambda x: ember.quantile(x, 0.3, dim=1),
        lambda x: ember.cov(x),
        lambda x: ember.diff(x, prepend=x[:, :1]),
        lambda x: ember.block_diag(x, x[0]),
    ]
    for make in cases:
        x = cpu.to("cuda").requires_grad_()
        y = make(x)
        assert y.device.type == "cuda"
        (g,) = ember.autograd.grad((y * y).sum(), x)
        assert g.device.type == "cuda"
        x0 = cpu.clone().requires_grad_()
        y0 = make(x0)
        (g0,) = ember.autograd.grad((y0 * y0).sum(), x0)
        np.testing.assert_array_equal(y.detach().cpu().numpy(), y0.detach().numpy())
        np.testing.assert_array_equal(g.cpu().numpy(), g0.numpy())
    ints = ember.tensor([1, 3, 3, 0]).to("cuda")
    assert ember.bincount(ints).device.type == "cuda"
    assert ember.isin(ints, 3).device.type == "cuda"
    assert ember.histc(cpu.to("cuda"), 4).device.type == "cuda"
    assert ember.histogram(cpu.to("cuda"), 4).bin_edges.device.type == "cuda"
    assert ember.hann_window(4, device="cuda").device.type == "cuda"
    assert ember.tril_indices(3, 3, device="cuda").device.type == "cuda"
    z = ember.randn(4, dtype=ember.cfloat, device="cuda")
    assert z.device.type == "cuda" and z.dtype is ember.complex64
