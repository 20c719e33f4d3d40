"""interpolate / Upsample, pixel and channel shuffles, grid_sample and affine_grid against torch:
outputs and gradients (of the input, the grid and theta) in float32 and float64, reprs, errors."""

import warnings

import numpy as np
import pytest
import torch

import ember
from ember.autograd import gradcheck, gradgradcheck

from conftest import assert_same

E, T = ember.nn.functional, torch.nn.functional


def _pair(shape, dtype, seed=0, low=None, high=None):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape) if low is None else rng.uniform(low, high, size=shape)
    x = x.astype(dtype)
    return ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)


def _backward_both(ye, yt, dtype, seed=1):
    g = np.random.default_rng(seed).normal(size=tuple(yt.shape)).astype(dtype)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))


# ---------------------------------------------------------------------------- interpolate

INTERP = []
for _mode in ("nearest", "nearest-exact", "area"):
    INTERP += [((2, 3, 5, 7), {"size": (8, 4), "mode": _mode}),
               ((2, 3, 5, 7), {"scale_factor": 1.7, "mode": _mode}),
               ((2, 3, 5), {"scale_factor": 2.3, "mode": _mode}),
               ((1, 2, 4, 5, 3), {"scale_factor": (1.5, 0.6, 2), "mode": _mode})]
for _mode, _shape in (("linear", (2, 3, 5)), ("bilinear", (2, 3, 5, 7)),
                      ("bicubic", (2, 3, 5, 7)), ("trilinear", (1, 2, 4, 5, 3))):
    for _ac in (False, True):
        INTERP += [(_shape, {"scale_factor": 1.7, "mode": _mode, "align_corners": _ac}),
                   (_shape, {"scale_factor": 0.6, "mode": _mode, "align_corners": _ac}),
                   (_shape, {"size": (1,) * (len(_shape) - 2), "mode": _mode,
                             "align_corners": _ac}),
                   (_shape, {"scale_factor": 1.7, "mode": _mode, "align_corners": _ac,
                             "recompute_scale_factor": True})]
    INTERP.append((_shape, {"size": (3,) * (len(_shape) - 2), "mode": _mode}))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,kwargs", INTERP, ids=[f"{s}-{k}" for s, k in INTERP])
def test_interpolate_matches_torch(shape, kwargs, dtype):
    xe, xt = _pair(shape, dtype)
    ye, yt = E.interpolate(xe, **kwargs), T.interpolate(xt, **kwargs)
    assert_same(ye, yt)
    _backward_both(ye, yt, dtype)
    assert_same(xe.grad, xt.grad)


@pytest.mark.parametrize("kwargs", [
    {"scale_factor": 1.6, "mode": "bilinear"}, {"scale_factor": 0.7, "mode": "bicubic"},
    {"size": (3, 4), "mode": "area"}, {"size": (9, 5), "mode": "bilinear", "align_corners": True},
    {"scale_factor": 2, "mode": "nearest"}])
def test_interpolate_keeps_nan_and_inf_local(kwargs):
    x = np.random.default_rng(4).normal(size=(1, 2, 7, 6))
    x[0, 0, 2, 3] = np.nan
    x[0, 1, 5, 1] = np.inf
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye, yt = E.interpolate(xe, **kwargs), T.interpolate(xt, **kwargs)
    assert_same(ye, yt)  # NaN where torch has NaN, finite elsewhere
    _backward_both(ye, yt, "float64")
    assert_same(xe.grad, xt.grad)


def test_interpolate_nearest_keeps_integer_images():
    x = np.random.default_rng(2).integers(0, 255, size=(1, 3, 4, 5)).astype(np.uint8)
    assert_same(E.interpolate(ember.tensor(x), scale_factor=2.5),
                T.interpolate(torch.tensor(x), scale_factor=2.5))


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "nearest", "area"])
def test_interpolate_gradcheck_and_gradgradcheck(mode):
    x = ember.tensor(np.random.default_rng(3).normal(size=(1, 2, 3, 4)), requires_grad=True)
    kwargs = {"size": (5, 3), "mode": mode}
    assert gradcheck(lambda t: E.interpolate(t, **kwargs), (x,))
    assert gradgradcheck(lambda t: E.interpolate(t, **kwargs), (x,))


INTERP_ERRORS = [
    ((1, 2, 5, 5), {"size": 3, "scale_factor": 2}),
    ((1, 2, 5, 5), {}),
    ((1, 2, 5, 5), {"size": 3, "align_corners": True}),
    ((1, 2, 5, 5), {"size": 3, "mode": "linear"}),
    ((2, 5, 5), {"size": 3, "mode": "bilinear"}),
    ((1, 2, 5, 5), {"size": (3, 4, 5)}),
    ((1, 2, 5, 5), {"scale_factor": (2, 2, 2)}),
    ((1, 2, 5, 5), {"size": 3, "mode": "foo"}),
    ((1, 2, 5, 5), {"size": 3, "mode": "nearest", "antialias": True}),
    ((1, 2, 5, 5), {"size": 3, "mode": "bilinear", "recompute_scale_factor": True}),
    ((5, 5), {"size": 3}),
]


@pytest.mark.parametrize("shape,kwargs", INTERP_ERRORS, ids=[str(k) for _, k in INTERP_ERRORS])
def test_interpolate_errors_match_torch(shape, kwargs):
    x = np.zeros(shape, dtype=np.float32)
    with pytest.raises(Exception) as t_err:
        T.interpolate(torch.tensor(x), **kwargs)
    with pytest.raises(Exception) as e_err:
        E.interpolate(ember.tensor(x), **kwargs)
    assert type(e_err.value) is type(t_err.value)
    assert str(e_err.value).splitlines()[0] == str(t_err.value).splitlines()[0]


def test_interpolate_antialias_is_a_named_gap_and_integers_need_nearest():
    with pytest.raises(NotImplementedError, match=r"antialias=True\) is not supported"):
        E.interpolate(ember.zeros(1, 1, 4, 4), size=2, mode="bilinear", antialias=True)
    x = np.zeros((1, 1, 4, 4), dtype=np.int64)
    for lib in (ember, torch):
        with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
            lib.nn.functional.interpolate(lib.tensor(x), size=2, mode="bilinear")


def test_deprecated_upsample_functions_warn_and_resize():
    xe, xt = _pair((1, 2, 3, 4), "float32")
    for name, kwargs in [("upsample", {"scale_factor": 2, "mode": "bilinear"}),
                         ("upsample_nearest", {"size": 5}), ("upsample_bilinear", {"size": 5})]:
        with pytest.warns(UserWarning, match="deprecated"):
            ye = getattr(E, name)(xe, **kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yt = getattr(T, name)(xt, **kwargs)
        assert_same(ye, yt)


UPSAMPLE = [
    ("Upsample", {"scale_factor": 2, "mode": "bilinear"}, (1, 2, 3, 4)),
    ("Upsample", {"size": 5}, (1, 2, 3, 4)),
    ("Upsample", {"scale_factor": (2, 1.5), "mode": "bicubic", "align_corners": True},
     (1, 2, 3, 4)),
    ("Upsample", {"scale_factor": 1.5, "mode": "linear"}, (1, 2, 5)),
    ("Upsample", {"size": (2, 3, 4), "mode": "trilinear"}, (1, 1, 3, 3, 3)),
    ("UpsamplingNearest2d", {"scale_factor": 2}, (1, 2, 3, 4)),
    ("UpsamplingBilinear2d", {"size": (2, 3)}, (1, 2, 3, 4)),
    ("UpsamplingBilinear2d", {"scale_factor": 3}, (1, 2, 3, 4)),
    ("PixelShuffle", {"upscale_factor": 2}, (2, 12, 3, 4)),
    ("PixelShuffle", {"upscale_factor": 3}, (9, 2, 2)),
    ("PixelUnshuffle", {"downscale_factor": 2}, (2, 3, 4, 6)),
    ("PixelUnshuffle", {"downscale_factor": 2}, (2, 2, 3, 4, 6)),
    ("ChannelShuffle", {"groups": 3}, (2, 12, 3, 4)),
    ("ChannelShuffle", {"groups": 2}, (2, 4, 3)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kwargs,shape", UPSAMPLE, ids=[f"{n}{k}" for n, k, _ in UPSAMPLE])
def test_layers_match_torch(name, kwargs, shape, dtype):
    e_layer, t_layer = getattr(ember.nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(e_layer) == repr(t_layer)
    xe, xt = _pair(shape, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's UpsamplingBilinear2d warns it is deprecated
        ye, yt = e_layer(xe), t_layer(xt)
    assert_same(ye, yt)
    _backward_both(ye, yt, dtype)
    assert_same(xe.grad, xt.grad)


SHUFFLE_ERRORS = [
    ("pixel_shuffle", (1, 2, 5, 5), 2), ("pixel_shuffle", (3, 8, 2, 2), 3),
    ("pixel_shuffle", (8, 2), 2), ("pixel_shuffle", (3, 8, 2, 2), 0),
    ("pixel_unshuffle", (3, 8, 3, 2), 2), ("pixel_unshuffle", (3, 8, 2, 3), 2),
    ("channel_shuffle", (3, 8, 3, 2), 3), ("channel_shuffle", (8,), 2),
    ("channel_shuffle", (1, 8, 2, 2), 0),
]


@pytest.mark.parametrize("fn,shape,arg", SHUFFLE_ERRORS, ids=[str(e) for e in SHUFFLE_ERRORS])
def test_shuffle_errors_match_torch(fn, shape, arg):
    x = np.zeros(shape, dtype=np.float32)
    with pytest.raises(RuntimeError) as t_err:
        getattr(T, fn)(torch.tensor(x), arg)
    with pytest.raises(RuntimeError) as e_err:
        getattr(E, fn)(ember.tensor(x), arg)
    assert str(e_err.value).splitlines()[0] == str(t_err.value).splitlines()[0]


# ---------------------------------------------------------------------------- grid_sample

GRID = [(mode, pad, ac) for mode in ("bilinear", "nearest")
        for pad in ("zeros", "border", "reflection") for ac in (False, True)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode,padding_mode,align_corners", GRID,
                         ids=[f"{m}-{p}-{a}" for m, p, a in GRID])
def test_grid_sample_matches_torch(mode, padding_mode, align_corners, dtype):
    xe, xt = _pair((2, 3, 5, 6), dtype)
    ge, gt = _pair((2, 4, 3, 2), dtype, seed=5, low=-1.3, high=1.3)  # some points outside
    kwargs = {"mode": mode, "padding_mode": padding_mode, "align_corners": align_corners}
    ye, yt = E.grid_sample(xe, ge, **kwargs), T.grid_sample(xt, gt, **kwargs)
    assert_same(ye, yt)
    _backward_both(ye, yt, dtype)
    assert_same(xe.grad, xt.grad)
    if mode == "bilinear":
        assert_same(ge.grad, gt.grad)
    else:  # nearest: no gradient flows to the grid (torch gives zeros, ember None)
        assert ge.grad is None and not gt.grad.any()


def test_grid_sample_gradcheck():
    rng = np.random.default_rng(6)
    x = ember.tensor(rng.normal(size=(1, 2, 3, 4)), requires_grad=True)
    grid = ember.tensor(rng.uniform(-1.2, 1.2, size=(1, 2, 3, 2)), requires_grad=True)
    for pad in ("zeros", "border", "reflection"):
        def sample(a, b, pad=pad):
            return E.grid_sample(a, b, padding_mode=pad, align_corners=False)

        assert gradcheck(sample, (x, grid))


def test_grid_sample_default_warns_and_errors_match_torch():
    x, g = np.zeros((1, 2, 4, 4), np.float32), np.zeros((1, 3, 3, 2), np.float32)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        E.grid_sample(ember.tensor(x), ember.tensor(g))
    bad = [((x, g), {"mode": "foo"}), ((x, g), {"padding_mode": "foo"}),
           ((x, np.zeros((2, 3, 3, 2), np.float32)), {}),
           ((x, np.zeros((1, 3, 3, 3), np.float32)), {}),
           ((x, g.astype(np.float64)), {})]
    for (a, b), kwargs in bad:
        with pytest.raises(Exception) as t_err:
            T.grid_sample(torch.tensor(a), torch.tensor(b), align_corners=False, **kwargs)
        with pytest.raises(Exception) as e_err:
            E.grid_sample(ember.tensor(a), ember.tensor(b), align_corners=False, **kwargs)
        assert type(e_err.value) is type(t_err.value)
        first = str(e_err.value).splitlines()[0]
        assert first == str(t_err.value).splitlines()[0].replace("torch.", "ember.")
    with pytest.raises(NotImplementedError, match="bicubic"):
        E.grid_sample(ember.tensor(x), ember.tensor(g), mode="bicubic", align_corners=False)


# ---------------------------------------------------------------------------- affine_grid

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 3, 4, 2), (2, 3, 1, 5)])
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_matches_torch(size, align_corners, dtype):
    k = len(size) - 2
    te, tt = _pair((size[0], k, k + 1), dtype)
    with warnings.catch_warnings(record=True) as e_warned:
        warnings.simplefilter("always")
        ye = E.affine_grid(te, size, align_corners=align_corners)
    with warnings.catch_warnings(record=True) as t_warned:
        warnings.simplefilter("always")
        yt = T.affine_grid(tt, size, align_corners=align_corners)
    # the same warnings (unit-size grids with align_corners=True)
    assert [str(w.message) for w in e_warned] == [str(w.message) for w in t_warned]
    assert_same(ye, yt)
    _backward_both(ye, yt, dtype)
    assert_same(te.grad, tt.grad)


def test_affine_grid_then_grid_sample_is_differentiable_in_theta():
    """The spatial-transformer pattern: gradients reach theta through both functions."""
    xe, xt = _pair((2, 3, 5, 5), "float64")
    te, tt = _pair((2, 2, 3), "float64", seed=7)
    ye = E.grid_sample(xe, E.affine_grid(te, (2, 3, 4, 4), align_corners=False),
                       align_corners=False)
    yt = T.grid_sample(xt, T.affine_grid(tt, (2, 3, 4, 4), align_corners=False),
                       align_corners=False)
    assert_same(ye, yt)
    _backward_both(ye, yt, "float64")
    assert_same(te.grad, tt.grad)
    assert_same(xe.grad, xt.grad)
    theta = ember.tensor(np.random.default_rng(8).normal(size=(1, 2, 3)), requires_grad=True)
    assert gradgradcheck(lambda t: E.affine_grid(t, (1, 1, 2, 3), align_corners=True), (theta,))


def test_affine_grid_errors_match_torch():
    theta = np.zeros((1, 2, 3), np.float32)
    bad = [(theta, (1, 2, 5, 5)), (np.zeros((1, 3, 3), np.float32), (1, 2, 5, 5)),
           (theta, (1, 2, 5)), (theta.astype(np.int64), (1, 2, 5, 5))]
    for th, size in bad[1:]:
        with pytest.raises(Exception) as t_err:
            T.affine_grid(torch.tensor(th), size, align_corners=False)
        with pytest.raises(Exception) as e_err:
            E.affine_grid(ember.tensor(th), size, align_corners=False)
        assert type(e_err.value) is type(t_err.value)
        assert (str(e_err.value).splitlines()[0]
                == str(t_err.value).splitlines()[0].replace("torch.", "ember."))
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        E.affine_grid(ember.tensor(theta), (1, 2, 5, 5))
