"""Pooling against torch: max/avg/adaptive pools, max_unpool, lp_pool (functions and layers):
outputs, indices, input gradients in float32 and float64, double backward, reprs, errors."""

import re

import numpy as np
import pytest
import torch

import ember
from ember.autograd import gradcheck, gradgradcheck

from conftest import assert_same

E, T = ember.nn.functional, torch.nn.functional

# (function, input shape, args, kwargs): random normal inputs have no ties
CASES = [
    ("max_pool1d", (2, 3, 9), (3,), {}),
    ("max_pool1d", (3, 9), (3, 2, 1), {"ceil_mode": True, "return_indices": True}),
    ("max_pool1d", (2, 3, 11), (3, 2, 1), {"dilation": 2, "return_indices": True}),
    ("max_pool2d", (2, 3, 8, 8), (2,), {}),
    ("max_pool2d", (2, 3, 7, 6), (3, 2, 1), {"return_indices": True}),
    ("max_pool2d", (3, 7, 6), (3, 2, 1), {"dilation": 2, "ceil_mode": True,
                                          "return_indices": True}),
    ("max_pool2d", (2, 2, 7, 6), ((3, 2), (2, 1), (1, 0)), {"ceil_mode": True,
                                                           "return_indices": True}),
    ("max_pool3d", (2, 2, 5, 6, 7), (3, 2, 1), {"dilation": (1, 2, 1), "return_indices": True}),
    ("max_pool3d", (2, 4, 4, 5), (2,), {"ceil_mode": True}),
    ("avg_pool1d", (2, 3, 8), (3, 2, 1), {"ceil_mode": True, "count_include_pad": False}),
    ("avg_pool1d", (3, 8), (2,), {}),
    ("avg_pool2d", (2, 3, 8, 8), (2,), {}),
    ("avg_pool2d", (2, 3, 7, 6), (3, 2, 1), {}),
    ("avg_pool2d", (2, 3, 7, 6), (3, 2, 1), {"ceil_mode": True, "count_include_pad": False}),
    ("avg_pool2d", (3, 7, 6), (3, 2, 1), {"ceil_mode": True}),
    ("avg_pool2d", (2, 3, 7, 6), ((3, 2), (2, 1), (1, 0)), {"divisor_override": 5}),
    ("avg_pool3d", (2, 2, 5, 6, 7), (3, 2, 1), {"ceil_mode": True, "count_include_pad": False}),
    ("avg_pool3d", (2, 4, 4, 6), (2,), {}),
    ("adaptive_avg_pool1d", (2, 3, 7), (5,), {}),
    ("adaptive_avg_pool1d", (3, 8), (4,), {}),
    ("adaptive_avg_pool2d", (2, 3, 7, 6), ((3, 4),), {}),
    ("adaptive_avg_pool2d", (2, 3, 8, 6), ((4, None),), {}),
    ("adaptive_avg_pool2d", (2, 3, 7, 7), (1,), {}),
    ("adaptive_avg_pool2d", (3, 5, 9), (7,), {}),
    ("adaptive_avg_pool3d", (2, 5, 6, 7), ((2, 4, 3),), {}),
    ("adaptive_max_pool1d", (2, 3, 7), (5,), {"return_indices": True}),
    ("adaptive_max_pool2d", (2, 3, 7, 6), ((3, 4),), {"return_indices": True}),
    ("adaptive_max_pool2d", (3, 5, 9), ((None, 4),), {}),
    ("adaptive_max_pool2d", (2, 2, 4, 4), (8,), {"return_indices": True}),
    ("adaptive_max_pool2d", (2, 3, 8, 6), ((4, 3),), {"return_indices": True}),  # even windows
    ("adaptive_max_pool2d", (2, 3, 7, 7), (1,), {"return_indices": True}),
    ("adaptive_max_pool3d", (2, 5, 6, 7), ((2, 4, 3),), {"return_indices": True}),
    ("lp_pool1d", (2, 3, 7), (3, 2), {"ceil_mode": True}),
    ("lp_pool2d", (2, 3, 7, 6), (2, 2), {}),
    ("lp_pool2d", (2, 3, 7, 6), (1.5, (3, 2), (2, 1)), {}),
]


def _run(lib, fn, x, args, kwargs):
    return getattr(lib.nn.functional, fn)(x, *args, **kwargs)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("fn,shape,args,kwargs", CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}-{sorted(c[3])}" for c in CASES])
def test_pool_matches_torch(fn, shape, args, kwargs, dtype):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype(dtype)
    if fn.startswith("lp_pool"):
        x = np.abs(x) + 0.1  # fractional powers of negative numbers are nan in both
    xe = ember.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    ye, yt = _run(ember, fn, xe, args, kwargs), _run(torch, fn, xt, args, kwargs)
    if kwargs.get("return_indices"):
        assert_same(ye[1], yt[1])
        ye, yt = ye[0], yt[0]
    assert_same(ye, yt)
    g = rng.normal(size=tuple(yt.shape)).astype(dtype)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    assert_same(xe.grad, xt.grad)


@pytest.mark.parametrize("fn,args,kwargs", [
    ("max_pool2d", (3, 2, 1), {}), ("max_pool1d", (2, 1, 1), {"dilation": 2}),
    ("avg_pool2d", (3, 2, 1), {"ceil_mode": True, "count_include_pad": False}),
    ("avg_pool2d", (2,), {}), ("adaptive_avg_pool2d", ((2, 3),), {}),
    ("adaptive_max_pool2d", ((2, 3),), {}), ("lp_pool2d", (2, 2), {}),
])
def test_pool_gradcheck_and_gradgradcheck(fn, args, kwargs):
    shape = (1, 2, 5) if fn.endswith("1d") else (1, 2, 5, 4)
    x = ember.tensor(np.random.default_rng(3).uniform(0.5, 2.0, size=shape),
                     requires_grad=True)
    f = getattr(E, fn)
    assert gradcheck(lambda t: f(t, *args, **kwargs), (x,))
    assert gradgradcheck(lambda t: f(t, *args, **kwargs), (x,))


@pytest.mark.parametrize("fn,args", [("max_pool2d", (3, 2, 1)), ("avg_pool2d", (3, 2, 1)),
                                     ("adaptive_max_pool2d", ((2, 3),)),
                                     ("adaptive_avg_pool2d", ((2, 3),))])
def test_double_backward_matches_torch(fn, args):
    x = np.random.default_rng(4).normal(size=(2, 2, 5, 6))
    xe = ember.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    outs = []
    for lib, xx in ((ember, xe), (torch, xt)):
        y = getattr(lib.nn.functional, fn)(xx, *args)
        (g,) = lib.autograd.grad((y * y).sum(), xx, create_graph=True)
        (g * g).sum().backward()
        outs.append((g, xx.grad))
    assert_same(outs[0][0], outs[1][0])
    assert_same(outs[0][1], outs[1][1])


def test_max_pool_nan_propagates_and_grad_goes_to_the_nan():
    x = np.random.default_rng(5).normal(size=(1, 1, 4, 4))
    x[0, 0, 1, 0] = np.nan
    x[0, 0, 0, 1] = np.nan
    x[0, 0, 3, 3] = np.nan
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye, ie = E.max_pool2d(xe, 2, return_indices=True)
    yt, it = T.max_pool2d(xt, 2, return_indices=True)
    assert_same(ye, yt)
    assert_same(ie, it)
    ye.sum().backward()
    yt.sum().backward()
    assert_same(xe.grad, xt.grad)
    with ember.no_grad():
        assert_same(E.max_pool2d(xe, 2), yt)


def test_max_pool_windows_of_only_minus_inf_pick_the_first_inside_sample():
    x = np.full((1, 1, 4, 5), -np.inf, dtype=np.float32)
    x[0, 0, 3, 4] = 1.0
    ye, ie = E.max_pool2d(ember.tensor(x), 3, 2, 1, return_indices=True)
    yt, it = T.max_pool2d(torch.tensor(x), 3, 2, 1, return_indices=True)
    assert_same(ye, yt)
    assert_same(ie, it)


def test_max_pool_window_of_padding_only_is_minus_inf_and_gets_no_gradient():
    # dilation 3 jumps over the whole input: torch gives -inf and a position past the input
    x = np.array([[[0.5, -0.25]]])
    xe = ember.tensor(x, requires_grad=True)
    ye, ie = E.max_pool1d(xe, 2, 4, 1, 3, ceil_mode=True, return_indices=True)
    yt, it = T.max_pool1d(torch.tensor(x), 2, 4, 1, 3, ceil_mode=True, return_indices=True)
    assert_same(ye, yt)
    assert_same(ie, it)
    ye.sum().backward()
    assert not xe.grad.any()


def test_max_pool_ties_take_the_first_position():
    x = np.array([[[1.0, 3.0, 3.0, 0.0, 2.0, 2.0]]], dtype=np.float32)
    _, ie = E.max_pool1d(ember.tensor(x), 3, 1, return_indices=True)
    _, it = T.max_pool1d(torch.tensor(x), 3, 1, return_indices=True)
    assert_same(ie, it)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "float16"])
@pytest.mark.parametrize("fn,args", [("max_pool2d", (3, 2, 1)), ("max_pool3d", (2,)),
                                     ("max_pool1d", (2,)), ("avg_pool2d", (2,)),
                                     ("avg_pool1d", (3, 2, 1)), ("avg_pool3d", (2,)),
                                     ("adaptive_avg_pool2d", (3,)),
                                     ("adaptive_max_pool2d", (3,))])
def test_dtypes_as_torch(fn, args, dtype):
    """torch runs pools on floats, max pools (not 1d) on integers too, avg pools on int64."""
    shape = (2, 3, 6) if fn.endswith("1d") else (2, 3, 6, 6)
    x = np.random.default_rng(6).integers(0, 100, size=shape).astype(dtype)
    xt = torch.tensor(x)
    try:
        expected = _run(torch, fn, xt, args, {})
    except NotImplementedError as err:
        with pytest.raises(NotImplementedError, match="not implemented for"):
            _run(ember, fn, ember.tensor(x), args, {})
        assert "not implemented for" in str(err)
        return
    assert_same(_run(ember, fn, ember.tensor(x), args, {}), expected)


def test_no_grad_path_equals_recorded_path():
    x = ember.randn(2, 3, 9, 9)
    with ember.no_grad():
        fast = E.max_pool2d(x, 3, 2, 1, ceil_mode=True)
    slow = E.max_pool2d(x.requires_grad_(), 3, 2, 1, ceil_mode=True)
    assert np.array_equal(fast.numpy(), slow.detach().numpy())
    assert fast.grad_fn is None
    assert slow.grad_fn.name() == "MaxPool2DWithIndicesBackward0"


# ---------------------------------------------------------------------------- unpool

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n,shape,args,output_size", [
    (1, (2, 3, 8), (2,), None), (2, (2, 3, 6, 8), (2,), None), (2, (3, 7, 7), (2,), (7, 7)),
    (2, (2, 2, 7, 6), (3, 2, 1), (7, 6)), (3, (1, 2, 4, 4, 6), (2,), None),
])
def test_max_unpool_inverts_max_pool(n, shape, args, output_size, dtype):
    rng = np.random.default_rng(7)
    x = rng.normal(size=shape).astype(dtype)
    outs = []
    for lib in (ember, torch):
        F = lib.nn.functional
        y, idx = getattr(F, f"max_pool{n}d")(lib.tensor(x), *args, return_indices=True)
        y.requires_grad_()
        u = getattr(F, f"max_unpool{n}d")(y, idx, *args, output_size=output_size)
        g = rng.normal(size=tuple(u.shape)).astype(dtype)
        u.backward(lib.tensor(g))
        outs.append((u, y.grad))
        rng = np.random.default_rng(7)
        rng.normal(size=shape)
    assert_same(outs[0][0], outs[1][0])
    assert_same(outs[0][1], outs[1][1])


def test_max_unpool_layer_and_errors():
    x = torch.randn(1, 2, 4, 4)
    y, idx = T.max_pool2d(x, 2, return_indices=True)
    ye, idxe = ember.tensor(y.numpy()), ember.tensor(idx.numpy())
    e_layer, t_layer = ember.nn.MaxUnpool2d(2), torch.nn.MaxUnpool2d(2)
    assert repr(e_layer) == repr(t_layer)
    assert_same(e_layer(ye, idxe), t_layer(y, idx))
    assert_same(e_layer(ye, idxe, output_size=[1, 2, 5, 5]),
                t_layer(y, idx, output_size=[1, 2, 5, 5]))
    for lib, yy, ii in ((ember, ye, idxe), (torch, y, idx)):
        with pytest.raises(ValueError, match="invalid output_size"):
            lib.nn.functional.max_unpool2d(yy, ii, 2, output_size=(9, 9))
        with pytest.raises(RuntimeError, match="elements in indices should be type int64"):
            lib.nn.functional.max_unpool2d(yy, ii.float(), 2)
    # a pool's indices unpooled to a smaller size than the pool's input
    y, idx = T.max_pool2d(torch.randn(2, 2, 7, 6), 3, 2, 1, return_indices=True)
    ye, idxe = ember.tensor(y.numpy()), ember.tensor(idx.numpy())
    with pytest.raises(RuntimeError) as t_err:
        T.max_unpool2d(y, idx, 3, 2, 1)
    with pytest.raises(RuntimeError) as e_err:
        E.max_unpool2d(ye, idxe, 3, 2, 1)
    # which invalid index is named depends on torch's loop order; the rest is the same
    pattern = r"Found an invalid max index: \d+ \(output volumes are of size 7x5\)"
    assert re.fullmatch(pattern, str(t_err.value))
    assert re.fullmatch(pattern, str(e_err.value).splitlines()[0])


# ---------------------------------------------------------------------------- layers

LAYERS = [
    ("MaxPool1d", (3,), (2, 3, 9)), ("MaxPool1d", (3, 2, 1, 2, False, True), (2, 3, 9)),
    ("MaxPool2d", (2,), (2, 3, 8, 8)), ("MaxPool2d", ((3, 2), 2, 1), (2, 3, 8, 8)),
    ("MaxPool3d", (2, 1), (1, 2, 3, 4, 4)),
    ("AvgPool1d", (3, 2, 1), (2, 3, 9)), ("AvgPool1d", (2,), (3, 9)),
    ("AvgPool2d", (2,), (2, 3, 8, 8)), ("AvgPool2d", (3, 2, 1, True, False), (2, 3, 8, 8)),
    ("AvgPool2d", (3, 2, 1, False, True, 4), (2, 3, 8, 8)), ("AvgPool3d", (2,), (1, 2, 4, 4, 4)),
    ("AdaptiveAvgPool1d", (4,), (2, 3, 9)), ("AdaptiveAvgPool2d", ((None, 3),), (2, 3, 8, 7)),
    ("AdaptiveAvgPool2d", ((1, 1),), (2, 3, 7, 7)), ("AdaptiveAvgPool3d", (2,), (1, 2, 3, 4, 5)),
    ("AdaptiveMaxPool1d", (4,), (2, 3, 9)), ("AdaptiveMaxPool2d", ((3, 2),), (2, 3, 8, 7)),
    ("AdaptiveMaxPool3d", ((2, 1, 3),), (1, 2, 3, 4, 5)),
    ("LPPool1d", (2, 3), (2, 3, 9)), ("LPPool2d", (3, 2, 1), (2, 3, 8, 8)),
]


@pytest.mark.parametrize("name,args,shape", LAYERS, ids=[f"{n}{a}" for n, a, _ in LAYERS])
def test_layers_match_torch(name, args, shape):
    e_layer, t_layer = getattr(ember.nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(e_layer) == repr(t_layer)
    x = np.abs(np.random.default_rng(8).normal(size=shape)).astype(np.float32) + 0.1
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye, yt = e_layer(xe), t_layer(xt)
    assert_same(ye, yt)
    ye.sum().backward()
    yt.sum().backward()
    assert_same(xe.grad, xt.grad)


def test_layer_return_indices_and_reprs():
    layer = ember.nn.AdaptiveMaxPool2d(2, return_indices=True)
    assert repr(layer) == repr(torch.nn.AdaptiveMaxPool2d(2, return_indices=True))
    y, idx = layer(ember.randn(1, 2, 5, 5))
    assert idx.dtype is ember.int64 and tuple(y.shape) == (1, 2, 2, 2)
    for name, args in [("MaxPool2d", (3, 1, 1, 2, True, True)), ("AvgPool1d", ((3,), 1)),
                       ("LPPool2d", (1.5, (2, 3))), ("MaxUnpool1d", (3, 2, 1)),
                       ("MaxUnpool3d", (2,)), ("AdaptiveAvgPool2d", ((None, 2),))]:
        assert repr(getattr(ember.nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))


# ---------------------------------------------------------------------------- errors

ERRORS = [
    ("max_pool2d", (1, 2, 5, 5), (2,), {"padding": 2}),
    ("max_pool2d", (1, 2, 5, 5), (7,), {}),
    ("max_pool2d", (5, 5), (2,), {}),
    ("max_pool2d", (1, 1, 2, 5, 5), (2,), {}),
    ("max_pool2d", (1, 2, 5, 5), (0, 1), {}),
    ("max_pool2d", (1, 2, 5, 5), (2, 0), {}),
    ("max_pool2d", (1, 2, 5, 5), (2,), {"dilation": 0}),
    ("max_pool2d", (1, 2, 5, 5), (2,), {"padding": -1}),
    ("max_pool2d", (1, 2, 5, 5), ((2, 2, 2),), {}),
    ("max_pool1d", (1, 2, 5, 5), (2,), {}),
    ("max_pool3d", (5, 5), (2,), {}),
    ("avg_pool2d", (1, 2, 5, 5), (3,), {"padding": 2}),
    ("avg_pool2d", (1, 2, 5, 5), (7,), {}),
    ("avg_pool2d", (5, 5), (2,), {}),
    ("avg_pool1d", (5,), (2,), {}),
    ("avg_pool2d", (1, 2, 5, 5), (2,), {"divisor_override": 0}),
    ("adaptive_avg_pool2d", (1, 2, 5, 5), ((2, 3, 4),), {}),
    ("adaptive_avg_pool2d", (2, 0, 4), ((2, 3),), {}),
    ("adaptive_avg_pool1d", (5,), (2,), {}),
    ("adaptive_avg_pool3d", (5,), (2,), {}),
    ("adaptive_max_pool2d", (5,), (2,), {}),
    ("adaptive_max_pool1d", (5,), (2,), {}),
    ("avg_pool3d", (2, 3, 2, 5, 9), ((3, 1, 3),), {"padding": 1}),
    ("max_pool1d", (2, 3, 6), (4,), {"dilation": 3}),
    ("max_pool1d", (2, 3, 6), (2,), {"padding": 2}),
    ("max_pool1d", (2, 3, 6), (0, 1), {}),
    ("max_pool1d", (2, 3, 6), (2, 0), {}),
    ("max_pool1d", (2, 3, 6), (2,), {"dilation": 0}),
    ("max_pool1d", (2, 3, 6), (2,), {"padding": -1}),
    ("max_pool1d", (2, 3, 6), (4,), {"return_indices": True, "dilation": 3}),
    ("max_pool1d", (2, 3, 6), (2,), {"return_indices": True, "padding": 2}),
    ("max_pool1d", (2, 3, 6), (0, 1), {"return_indices": True}),
    ("max_pool1d", (2, 3, 6), (2, 0), {"return_indices": True}),
    ("max_pool1d", (2, 3, 6), (2,), {"return_indices": True, "dilation": 0}),
    ("max_pool1d", (2, 3, 6), (2,), {"return_indices": True, "padding": -1}),
    ("max_pool1d", (2, 3, 6), ((2, 2),), {}),
    ("avg_pool1d", (3, 3), (4, 1), {"ceil_mode": True}),
]


@pytest.mark.parametrize("fn,shape,args,kwargs", ERRORS,
                         ids=[f"{e[0]}-{e[1]}-{e[2]}-{e[3]}" for e in ERRORS])
def test_errors_match_torch(fn, shape, args, kwargs):
    x = np.random.default_rng(9).normal(size=shape).astype(np.float32)
    with pytest.raises(Exception) as t_err:
        _run(torch, fn, torch.tensor(x), args, kwargs)
    with pytest.raises(Exception) as e_err:
        _run(ember, fn, ember.tensor(x), args, kwargs)
    assert type(e_err.value) is type(t_err.value)
    assert str(e_err.value).splitlines()[0] == str(t_err.value).splitlines()[0]


def test_error_inside_a_layer_names_it_and_explains_the_fix():
    model = ember.nn.Sequential(ember.nn.Identity(), ember.nn.MaxPool2d(4))
    with pytest.raises(RuntimeError, match="Output size is too small") as err:
        model(ember.randn(1, 1, 3, 3))
    text = str(err.value)
    assert "in model.1 (MaxPool2d(kernel_size=4" in text and "[1, 1, 3, 3]" in text
    assert "smaller kernel" in text
    with pytest.raises(RuntimeError, match="tensor expected for input") as err:
        ember.nn.AvgPool2d(2)(ember.randn(5, 5, 2, 2, 2))
    assert "(N, C, H, W)" in str(err.value) and "layer before" in str(err.value)
