"""Convolution layers and functions against torch: Conv1d/2d/3d, ConvTranspose1d/2d/3d,
unfold/fold; outputs and the grads of input, weight and bias (float32 and float64), double
backward, gradcheck, reprs, default init, and torch's errors with ember's explanation."""

import math

import numpy as np
import pytest
import torch

import ember
from ember.autograd import gradcheck, gradgradcheck

from conftest import assert_same

rng = np.random.default_rng(0)

# (layer, args, kwargs, input shape)
CONVS = [
    ("Conv1d", (3, 4, 3), {}, (2, 3, 9)),
    ("Conv1d", (4, 6, 2), dict(stride=2, padding=1, dilation=2, groups=2), (2, 4, 10)),
    ("Conv1d", (2, 4, 4), dict(padding="same", padding_mode="reflect"), (2, 2, 7)),
    ("Conv2d", (3, 4, 3), dict(padding=1, bias=False), (2, 3, 6, 5)),
    ("Conv2d", (4, 6, (3, 2)), dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2),
     (2, 4, 7, 6)),
    ("Conv2d", (4, 4, 3), dict(padding=1, groups=4), (2, 4, 5, 5)),  # depthwise
    ("Conv2d", (2, 3, 4), dict(padding="same", dilation=2), (1, 2, 7, 8)),  # asymmetric 'same'
    ("Conv2d", (2, 3, 3), dict(padding="valid"), (2, 2, 5, 6)),
    ("Conv2d", (2, 3, 3), dict(padding=2, padding_mode="replicate"), (2, 2, 5, 4)),
    ("Conv2d", (2, 3, 3), dict(padding=(1, 2), padding_mode="circular", stride=2), (2, 2, 5, 4)),
    ("Conv2d", (2, 3, 3), dict(padding=1, padding_mode="reflect"), (2, 5, 4)),  # unbatched
    ("Conv3d", (2, 4, 2), dict(stride=(1, 2, 1), padding=1), (2, 2, 4, 5, 3)),
    ("Conv3d", (4, 2, (2, 1, 3)), dict(groups=2, dilation=(2, 1, 1)), (1, 4, 5, 3, 4)),
]

TRANSPOSED = [
    ("ConvTranspose1d", (3, 4, 3), {}, (2, 3, 5)),
    ("ConvTranspose1d", (4, 6, 3), dict(stride=2, padding=1, output_padding=1, groups=2),
     (2, 4, 5)),
    ("ConvTranspose2d", (3, 2, 3), dict(stride=2, bias=False), (2, 3, 4, 3)),
    ("ConvTranspose2d", (4, 6, (3, 2)), dict(stride=(2, 3), padding=(1, 0),
                                             output_padding=(1, 2), dilation=(2, 1), groups=2),
     (2, 4, 3, 4)),
    ("ConvTranspose2d", (2, 3, 3), dict(dilation=2, output_padding=1), (2, 3, 3)),  # unbatched
    ("ConvTranspose3d", (2, 3, 2), dict(stride=2, padding=1, output_padding=(1, 0, 1)),
     (1, 2, 3, 2, 3)),
]


def _pair_layers(name, args, kwargs, dtype):
    """The same layer in torch and ember, with torch's weights copied into ember's."""
    t_layer = getattr(torch.nn, name)(*args, **kwargs).to(getattr(torch, dtype))
    e_layer = getattr(ember.nn, name)(*args, **kwargs).to(getattr(ember, dtype))
    e_layer.load_state_dict({k: ember.tensor(v.detach().numpy())
                             for k, v in t_layer.state_dict().items()})
    return e_layer, t_layer


def _compare(e_layer, t_layer, shape, dtype, **call):
    assert repr(e_layer) == repr(t_layer)
    x = rng.normal(size=shape).astype(dtype)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye, yt = e_layer(xe, **call), t_layer(xt, **call)
    assert_same(ye, yt)
    assert ye.grad_fn.name() == yt.grad_fn.name()
    g = rng.normal(size=tuple(yt.shape)).astype(dtype)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    assert_same(xe.grad, xt.grad)
    for (name, pe), pt in zip(e_layer.named_parameters(), t_layer.parameters()):
        assert_same(pe.grad, pt.grad), name


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,args,kwargs,shape", CONVS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CONVS)])
def test_conv_layer_matches_torch(name, args, kwargs, shape, dtype):
    _compare(*_pair_layers(name, args, kwargs, dtype), shape, dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,args,kwargs,shape", TRANSPOSED,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(TRANSPOSED)])
def test_conv_transpose_layer_matches_torch(name, args, kwargs, shape, dtype):
    _compare(*_pair_layers(name, args, kwargs, dtype), shape, dtype)


@pytest.mark.parametrize("output_size", [[8, 8], [9, 7], [1, 6, 9, 9]])
def test_conv_transpose_output_size(output_size):
    e_layer, t_layer = _pair_layers("ConvTranspose2d", (4, 6, 3), dict(stride=3, padding=1),
                                    "float64")
    _compare(e_layer, t_layer, (1, 4, 3, 3), "float64", output_size=output_size)


def test_conv_transpose_output_size_errors():
    e_layer, t_layer = _pair_layers("ConvTranspose2d", (4, 6, 3), dict(stride=2), "float32")
    for size in ([13, 13], [4, 11, 12]):
        with pytest.raises(ValueError) as te:
            t_layer(torch.zeros(1, 4, 5, 5), output_size=size)
        with pytest.raises(ValueError) as ee:
            e_layer(ember.zeros(1, 4, 5, 5), output_size=size)
        assert str(ee.value).split(" (for")[0] == str(te.value).split(" (for")[0]


# ---------------------------------------------------------------------------- higher order


def _double(shape):
    return ember.tensor(rng.normal(size=shape), requires_grad=True)


@pytest.mark.parametrize("kwargs", [dict(stride=2, padding=1, dilation=1, groups=2),
                                    dict(stride=1, padding="same", dilation=2, groups=1)])
def test_conv_gradcheck_and_gradgradcheck(kwargs):
    x, w, b = _double((2, 4, 5, 4)), _double((2, 4 // kwargs["groups"], 3, 2)), _double(2)
    fn = lambda x, w, b: ember.nn.functional.conv2d(x, w, b, **kwargs)  # noqa: E731
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


def test_conv_transpose_gradcheck_and_gradgradcheck():
    x, w, b = _double((1, 4, 3)), _double((4, 1, 3)), _double(2)
    fn = lambda x, w, b: ember.nn.functional.conv_transpose1d(  # noqa: E731
        x, w, b, stride=2, padding=1, output_padding=1, groups=2)
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


def test_unfold_fold_gradcheck():
    x = _double((1, 2, 4, 3))
    assert gradgradcheck(lambda x: ember.nn.functional.unfold(x, 2, padding=1, stride=2), (x,))
    c = _double((1, 8, 3))
    assert gradgradcheck(lambda c: ember.nn.functional.fold(c, (4, 3), 2, dilation=(1, 2)), (c,))


def test_double_backward_matches_torch():
    x, w = rng.normal(size=(2, 4, 6, 5)), rng.normal(size=(6, 2, 3, 3))
    results = []
    for lib in (ember, torch):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        y = lib.nn.functional.conv2d(xt, wt, stride=2, padding=1, groups=2)
        gx, gw = lib.autograd.grad((y * y).sum(), (xt, wt), create_graph=True)
        results.append(lib.autograd.grad((gx * gx).sum() + gw.sum() ** 2, (xt, wt)))
    for e, t in zip(*results):
        assert_same(e, t)


# ---------------------------------------------------------------------------- unfold / fold


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kwargs,shape", [(dict(kernel_size=2), (2, 3, 4, 5)),
                                          (dict(kernel_size=(2, 3), dilation=(2, 1), padding=1,
                                                stride=(1, 2)), (2, 2, 5, 6)),
                                          (dict(kernel_size=3, padding=1), (3, 4, 4))])
def test_unfold_fold_match_torch(kwargs, shape, dtype):
    x = rng.normal(size=shape).astype(dtype)
    e_unfold, t_unfold = ember.nn.Unfold(**kwargs), torch.nn.Unfold(**kwargs)
    assert repr(e_unfold) == repr(t_unfold)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ce, ct = e_unfold(xe), t_unfold(xt)
    assert_same(ce, ct)
    if len(shape) == 4:  # (torch squeezes an unbatched result inside its node)
        assert ce.grad_fn.name() == ct.grad_fn.name()
    # fold the blocks back (overlaps are summed), then backprop through both
    e_fold = ember.nn.Fold(shape[-2:], **kwargs)
    t_fold = torch.nn.Fold(shape[-2:], **kwargs)
    assert repr(e_fold) == repr(t_fold)
    fe, ft = e_fold(ce * ce), t_fold(ct * ct)
    assert_same(fe, ft)
    g = rng.normal(size=tuple(ft.shape)).astype(dtype)
    fe.backward(ember.tensor(g))
    ft.backward(torch.tensor(g))
    assert_same(xe.grad, xt.grad)


# ---------------------------------------------------------------------------- init


@pytest.mark.parametrize("name,args", [("Conv2d", (6, 8, 3)), ("Conv1d", (4, 6, 5, 1, 0, 1, 2)),
                                       ("ConvTranspose2d", (6, 8, (3, 2)))])
def test_default_init_bounds_and_spread(name, args):
    ember.manual_seed(0)
    layer = getattr(ember.nn, name)(*args)
    w = layer.weight.detach().numpy()
    fan_in = w.shape[1] * math.prod(w.shape[2:])
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) and the bias rule agree
    for p in (w, layer.bias.detach().numpy()):
        assert np.abs(p).max() <= bound
    assert np.abs(w).max() > 0.9 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.15 * bound  # std of U(-b, b) is b / sqrt(3)
    assert layer.weight.shape == getattr(torch.nn, name)(*args).weight.shape


# ---------------------------------------------------------------------------- errors


def _raises_like_torch(call, error=RuntimeError):
    """``call(lib)`` raises the same class with the same first line in torch and ember;
    returns ember's message."""
    with pytest.raises(error) as te:
        call(torch)
    with pytest.raises(error) as ee:
        call(ember)
    first = str(te.value).split("\n")[0]
    assert str(ee.value).split("\n")[0] == first
    return str(ee.value)


def test_wrong_channels_names_the_layer_and_both_sides():
    def call(lib):
        model = lib.nn.Sequential(lib.nn.Conv2d(3, 6, 5))
        model(lib.zeros(64, 1, 28, 28))

    msg = _raises_like_torch(call)
    assert "model.0 (Conv2d(3, 6, kernel_size=(5, 5), stride=(1, 1)))" in msg
    assert "input has 1 channels, layer expects 3" in msg
    assert "in_channels=1" in msg


def test_functional_errors_match_torch():
    def f(lib, name):
        return getattr(lib.nn.functional, name)

    cases = [
        lambda lib: f(lib, "conv2d")(lib.zeros(4, 6, 28, 28), lib.zeros(6, 3, 5, 5)),
        lambda lib: f(lib, "conv2d")(lib.zeros(28, 28), lib.zeros(6, 3, 5, 5)),
        lambda lib: f(lib, "conv1d")(lib.zeros(1, 3, 2), lib.zeros(4, 3, 3)),
        lambda lib: f(lib, "conv2d")(lib.zeros(1, 3, 4, 4), lib.zeros(4, 3, 3, 3), dilation=2),
        lambda lib: f(lib, "conv2d")(lib.zeros(1, 3, 4, 4), lib.zeros(4, 3, 3, 3), stride=2,
                                     padding="same"),
        lambda lib: f(lib, "conv2d")(lib.zeros(1, 3, 4, 4), lib.zeros(4, 3, 3, 3), padding="x"),
        lambda lib: f(lib, "conv2d")(lib.zeros(1, 6, 4, 4), lib.zeros(5, 3, 3, 3), groups=2),
        lambda lib: f(lib, "conv2d")(lib.zeros(1, 6, 4, 4), lib.zeros(4, 3, 3, 3),
                                     lib.zeros(3), groups=2),
        lambda lib: f(lib, "conv2d")(lib.zeros(1, 6, 4, 4), lib.zeros(4, 3, 3, 3), stride=0),
        lambda lib: f(lib, "conv2d")(lib.zeros(1, 6, 4, 4), lib.zeros(4, 3, 3, 3), padding=-1),
        lambda lib: f(lib, "conv2d")(lib.zeros(1, 6, 4, 4), lib.zeros(4, 3, 3, 3),
                                     stride=(1, 1, 1)),
        lambda lib: f(lib, "conv2d")(lib.zeros(1, 3, 4, 4, dtype=lib.float64),
                                     lib.zeros(4, 3, 3, 3)),
        lambda lib: f(lib, "conv2d")(lib.zeros(1, 3, 4, 4), lib.zeros(4, 3, 3, 3),
                                     lib.zeros(4, dtype=lib.float64)),
        lambda lib: f(lib, "conv_transpose2d")(lib.zeros(1, 6, 4, 4), lib.zeros(5, 3, 3, 3)),
        lambda lib: f(lib, "conv_transpose2d")(lib.zeros(1, 6, 4, 4), lib.zeros(6, 3, 3, 3),
                                               output_padding=1),
        lambda lib: f(lib, "conv_transpose1d")(lib.zeros(1, 6, 4), lib.zeros(6, 3, 3),
                                               padding=5),
        lambda lib: f(lib, "conv_transpose2d")(lib.zeros(1, 6, 4, 4), lib.zeros(6, 3, 3, 3),
                                               lib.zeros(4)),
        lambda lib: f(lib, "unfold")(lib.zeros(2, 3, 4, 5), 6),
        lambda lib: f(lib, "unfold")(lib.zeros(2, 3, 4, 5), 2, stride=0),
        lambda lib: f(lib, "fold")(lib.zeros(2, 13, 12), (4, 5), 2),
        lambda lib: f(lib, "fold")(lib.zeros(2, 12, 11), (4, 5), 2),
    ]
    for call in cases:
        _raises_like_torch(call)
    _raises_like_torch(lambda lib: f(lib, "conv_transpose2d")(
        lib.zeros(1, 6, 4, 4), lib.zeros(6, 3, 3, 3), padding="same"), TypeError)


def test_dtype_mismatch_in_a_layer_explains_the_fix():
    def call(lib):
        model = lib.nn.Sequential(lib.nn.Conv2d(3, 4, 3))
        model(lib.zeros(1, 3, 5, 5, dtype=lib.float64))

    msg = _raises_like_torch(call)
    assert "model.0" in msg and "float64" in msg and "float32" in msg and ".float()" in msg


def test_too_small_input_names_the_layer():
    def call(lib):
        model = lib.nn.Sequential(lib.nn.Conv2d(3, 4, 5))
        model(lib.zeros(1, 3, 4, 8))

    msg = _raises_like_torch(call)
    assert "model.0" in msg and "(4 x 8)" in msg and "padding" in msg


def test_device_mismatch(fake_cuda):
    layer = ember.nn.Conv2d(3, 4, 3)
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device") as e:
        layer(ember.zeros(1, 3, 5, 5, device="cuda"))
    assert "in model (Conv2d(3, 4, kernel_size=(3, 3)" in str(e.value)
    assert "cpu" in str(e.value) and "cuda" in str(e.value)
    y = layer.to("cuda")(ember.zeros(1, 3, 5, 5, device="cuda"))
    assert y.device.type == "cuda"


@pytest.mark.parametrize("args,kwargs", [
    ((3, 4, 3), dict(groups=2)), ((4, 3, 3), dict(groups=2)), ((4, 4, 3), dict(groups=0)),
    ((4, 4, 3), dict(padding="foo")), ((4, 4, 3), dict(padding="same", stride=2)),
    ((4, 4, 3), dict(padding_mode="foo")),
])
def test_constructor_errors(args, kwargs):
    with pytest.raises(ValueError) as te:
        torch.nn.Conv2d(*args, **kwargs)
    with pytest.raises(ValueError) as ee:
        ember.nn.Conv2d(*args, **kwargs)
    if "{" not in str(te.value):  # torch prints a set there, in no fixed order
        assert str(ee.value) == str(te.value)
    for lib in (torch, ember):
        with pytest.raises(ValueError, match="Only \"zeros\" padding mode"):
            lib.nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect")


def test_conv1d_conv3d_gradcheck():
    x, w = _double((1, 2, 5)), _double((3, 2, 2))
    assert gradcheck(lambda x, w: ember.nn.functional.conv1d(x, w, padding="same", dilation=2),
                     (x, w))
    x, w, b = _double((1, 2, 3, 3, 2)), _double((2, 1, 2, 2, 1)), _double(2)
    assert gradgradcheck(lambda x, w, b: ember.nn.functional.conv3d(x, w, b, padding=(1, 0, 0),
                                                                    stride=(2, 1, 1), groups=2),
                         (x, w, b))


def test_results_do_not_share_the_column_buffer():
    """The columns live in a reused buffer; nothing returned may point into it."""
    a, b = rng.normal(size=(1, 2, 4, 4)), rng.normal(size=(1, 2, 4, 4))
    ua = ember.nn.functional.unfold(ember.tensor(a), 2)
    ub = ember.nn.functional.unfold(ember.tensor(b), 2)
    assert_same(ua, torch.nn.functional.unfold(torch.tensor(a), 2))
    assert_same(ub, torch.nn.functional.unfold(torch.tensor(b), 2))
    w = rng.normal(size=(3, 2, 3, 3))
    ya = ember.nn.functional.conv2d(ember.tensor(a), ember.tensor(w))
    ember.nn.functional.conv2d(ember.tensor(b), ember.tensor(w))
    assert_same(ya, torch.nn.functional.conv2d(torch.tensor(a), torch.tensor(w)))


def test_only_needed_gradients_and_no_grad():
    layer = ember.nn.Conv2d(2, 3, 3)
    x = ember.zeros(1, 2, 5, 5)
    layer(x).sum().backward()
    assert x.grad is None and layer.weight.grad is not None
    with ember.no_grad():
        y = layer(x)
    assert y.grad_fn is None and not y.requires_grad


def test_empty_batch():
    for lib in (torch, ember):
        x = lib.zeros(0, 3, 4, 4, requires_grad=True)
        w = lib.ones(4, 3, 3, 3, requires_grad=True)
        y = lib.nn.functional.conv2d(x, w)
        assert tuple(y.shape) == (0, 4, 2, 2)
        y.sum().backward()
        assert tuple(w.grad.shape) == (4, 3, 3, 3) and float(w.grad.abs().sum()) == 0
        assert tuple(lib.nn.functional.conv_transpose2d(x, w.transpose(0, 1)).shape) == (
            0, 4, 6, 6)
        assert tuple(lib.nn.functional.unfold(x, 2).shape) == (0, 12, 9)


@pytest.mark.parametrize("groups", [1, 2])
def test_conv_in_batch_chunks_matches_torch(monkeypatch, groups):
    """A batch whose columns do not fit in ops/conv.py's CHUNK_BYTES is convolved a few images
    at a time (forward, and the weight gradient as a sum of the chunks' products): same values
    as torch, forward and backward.  CHUNK_BYTES is lowered so that a small batch is chunked."""
    from ember.ops import conv as conv_ops

    rng = np.random.default_rng(5)
    x = rng.normal(size=(10, 4, 9, 9)).astype(np.float32)
    w = rng.normal(size=(6, 4 // groups, 3, 3)).astype(np.float32)
    g = rng.normal(size=(10, 6, 9, 9)).astype(np.float32)
    per_image = 4 * 9 * 9 * 9 * 4  # bytes of columns an image: C * K * P * itemsize
    monkeypatch.setattr(conv_ops, "CHUNK_BYTES", 4 * per_image)
    geo = conv_ops.Geometry((3, 3), (1, 1), (1, 1), (1, 1), (1, 1), groups, (9, 9))
    assert conv_ops._batch_chunks(np, x, geo, 6 // groups) == [(0, 4), (4, 8), (8, 10)]
    assert conv_ops._batch_chunks(np, x, geo, conv_ops.FEW_ROWS) is None
    out = []
    for lib in (ember, torch):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        y = lib.nn.functional.conv2d(xt, wt, padding=1, groups=groups)
        y.backward(lib.tensor(g))
        out.append((y, xt.grad, wt.grad))
    # float32 sums of 36 (forward, input grad) and 810 (weight grad) products
    for e, t in zip(out[0], out[1]):
        assert_same(e, t, rtol=1e-5, atol=1e-4)


def test_convolution_keeps_its_columns_for_the_weight_gradient(monkeypatch):
    """A convolution by im2col whose columns are small (conv.KEEP_COLUMNS) keeps them from
    forward for the weight's gradient: the same bits as making them again (KEEP_COLUMNS = 0),
    also when backward runs twice (retain_graph); no_grad keeps nothing.  (40 output channels:
    more than ops/wide_rows.py takes.)"""
    from ember.ops import conv

    rng = np.random.default_rng(16)
    x = ember.tensor(rng.standard_normal((8, 6, 14, 14)).astype(np.float32))
    w0 = rng.standard_normal((40, 6, 5, 5)).astype(np.float32)
    grads = []
    for budget in (conv.KEEP_COLUMNS, 0):
        monkeypatch.setattr(conv, "KEEP_COLUMNS", budget)
        w = ember.tensor(w0, requires_grad=True)
        y = ember.nn.functional.conv2d(x, w)
        assert (y.grad_fn.cols is not None) == (budget > 0)
        y.sum().backward(retain_graph=True)
        first = w.grad.numpy().copy()
        w.grad = None
        y.sum().backward()
        np.testing.assert_array_equal(w.grad.numpy(), first)
        grads.append(first)
    np.testing.assert_array_equal(grads[0], grads[1])
    monkeypatch.setattr(conv, "KEEP_COLUMNS", 4 << 20)
    with ember.no_grad():
        node = conv.Conv(conv.Geometry((5, 5), (1, 1), (1, 1), (0, 0), (0, 0), 1, (14, 14)))
        node.xp = np
        node.save = lambda *a: None
        node.forward(x.numpy(), w0)
    assert node.cols is None
