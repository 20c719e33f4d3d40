"""F.pad and the padding layers against torch: every mode, negative pads (crops), values,
grads (float32 and float64), double backward, reprs and torch's errors."""

import numpy as np
import pytest
import torch

import ember
from ember.autograd import gradgradcheck

from conftest import assert_same

rng = np.random.default_rng(0)

# (input shape, pad, mode)
CASES = [
    ((2, 3, 5), (1, 2), "constant"),
    ((2, 3, 4, 5), (1, -2, 0, 3), "constant"),
    ((2, 3, 4, 5), (1, 1, 2, 2, 1, 0, 0, 1), "constant"),  # four dims
    ((4, 5), (-5, 0), "constant"),  # crop to nothing
    ((2, 3, 5), (2, 4), "reflect"),
    ((3, 5), (-2, 3), "reflect"),
    ((2, 3, 4, 5), (1, 2, 3, 0), "reflect"),
    ((1, 2, 3, 4, 5), (1, 2, 2, 1, 1, 1), "reflect"),
    ((2, 3, 5), (3, 7), "replicate"),
    ((2, 3, 4, 5), (-2, 3, 2, -1), "replicate"),
    ((2, 3, 3, 4, 2), (1, 0, 2, 1, 1, 2), "replicate"),
    ((2, 3, 5), (5, 2), "circular"),
    ((3, 5), (2, -3), "circular"),
    ((2, 3, 4, 5), (1, 2, 3, 4), "circular"),
    ((2, 2, 3, 4, 5), (1, 2, -1, 2, 3, 1), "circular"),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,pad,mode", CASES, ids=[f"{c[2]}-{i}" for i, c in enumerate(CASES)])
def test_pad_matches_torch(shape, pad, mode, dtype):
    x = rng.normal(size=shape).astype(dtype)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye = ember.nn.functional.pad(xe, pad, mode)
    yt = torch.nn.functional.pad(xt, pad, mode)
    assert_same(ye, yt)
    g = rng.normal(size=tuple(yt.shape)).astype(dtype)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    assert_same(xe.grad, xt.grad)


def test_constant_value_and_dtypes():
    for x, value in [(np.arange(6).reshape(2, 3), 1.7), (np.arange(6).reshape(2, 3), -1.7),
                     (np.ones((2, 3), dtype=bool), 2), (rng.normal(size=(2, 3)), -0.5)]:
        ye = ember.nn.functional.pad(ember.tensor(x), [1, 2, 0, 1], value=value)
        yt = torch.nn.functional.pad(torch.tensor(x), [1, 2, 0, 1], value=value)
        assert_same(ye, yt)
    xe = ember.zeros(2, 3, requires_grad=True)
    assert ember.nn.functional.pad(xe, (1, 1)).grad_fn.name() == "ConstantPadNdBackward0"


@pytest.mark.parametrize("mode,pad", [("constant", (1, -1, 2, 0)), ("reflect", (2, 1, 1, 2)),
                                      ("replicate", (2, 0, 1, 3)), ("circular", (1, 2, 2, 1))])
def test_pad_gradgradcheck(mode, pad):
    x = ember.tensor(rng.normal(size=(1, 2, 3, 4)), requires_grad=True)
    assert gradgradcheck(lambda x: ember.nn.functional.pad(x, pad, mode) ** 2, (x,))


LAYERS = [
    ("ZeroPad1d", (2,), (2, 3, 4)), ("ZeroPad2d", ((1, 2, -1, 3),), (2, 3, 4)),
    ("ZeroPad3d", (1,), (1, 2, 3, 2, 2)),
    ("ConstantPad1d", (2, 3.5), (3, 4)), ("ConstantPad2d", ((1, 2, 3, 0), -1), (2, 2, 3, 4)),
    ("ConstantPad3d", (1, 0.0), (2, 3, 2, 2)),
    ("ReflectionPad1d", (2,), (2, 3, 4)), ("ReflectionPad2d", ((1, 2, 2, 1),), (2, 3, 4)),
    ("ReflectionPad3d", (1,), (1, 2, 3, 2, 2)),
    ("ReplicationPad1d", (3,), (3, 4)), ("ReplicationPad2d", (2,), (2, 2, 3, 4)),
    ("ReplicationPad3d", ((1, 2, 0, 1, 2, 0),), (2, 3, 2, 2)),
    ("CircularPad1d", (2,), (2, 3, 4)), ("CircularPad2d", ((1, 0, 2, 3),), (2, 3, 4)),
    ("CircularPad3d", (1,), (1, 2, 3, 2, 2)),
]


@pytest.mark.parametrize("name,args,shape", LAYERS, ids=[c[0] for c in LAYERS])
def test_padding_layers_match_torch(name, args, shape):
    e_layer, t_layer = getattr(ember.nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(e_layer) == repr(t_layer)
    assert e_layer.padding == t_layer.padding
    assert getattr(e_layer, "value", None) == getattr(t_layer, "value", None)
    x = rng.normal(size=shape)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye, yt = e_layer(xe), t_layer(xt)
    assert_same(ye, yt)
    (ye * ye).sum().backward()
    (yt * yt).sum().backward()
    assert_same(xe.grad, xt.grad)


def _raises_like_torch(call, error=RuntimeError):
    with pytest.raises(error) as te:
        call(torch)
    with pytest.raises(error) as ee:
        call(ember)
    assert str(ee.value).split("\n")[0] == str(te.value).split("\n")[0]
    return str(ee.value)


@pytest.mark.parametrize("shape,pad,mode,error", [
    ((2, 3, 5), (1, 2, 3), "constant", RuntimeError),
    ((2, 3), (1, 2, 3, 4, 5, 6), "constant", RuntimeError),
    ((2, 3, 5), (-3, -3), "constant", RuntimeError),
    ((2, 3, 4, 5), (1, 2), "reflect", NotImplementedError),
    ((5,), (1, 2), "replicate", NotImplementedError),
    ((2, 3, 4, 5, 6, 7), (1, 1, 1, 1), "circular", NotImplementedError),
    ((2, 3, 5), (1, 2), "foo", NotImplementedError),
    ((2, 3, 5), (5, 2), "reflect", RuntimeError),
    ((2, 3, 4, 5), (1, 2, 4, 4), "reflect", RuntimeError),
    ((3, 0), (1, 2), "reflect", RuntimeError),
    ((2, 3, 5), (6, 2), "circular", RuntimeError),
    ((2, 3, 5), (-3, -3), "circular", RuntimeError),
    ((2, 3, 5), (-3, -3), "reflect", RuntimeError),
    ((2, 3, 5), (-3, -3), "replicate", RuntimeError),
])
def test_pad_errors_match_torch(shape, pad, mode, error):
    _raises_like_torch(lambda lib: lib.nn.functional.pad(lib.zeros(*shape), pad, mode), error)


def test_pad_argument_errors():
    _raises_like_torch(lambda lib: lib.nn.functional.pad(lib.zeros(2, 3), (1, 2), "reflect",
                                                         1.0))
    _raises_like_torch(lambda lib: lib.nn.functional.pad(lib.zeros(2, 3), (1.5, 2)), TypeError)
    msg = _raises_like_torch(lambda lib: lib.nn.functional.pad(lib.zeros(2, 3, 5), (5, 0),
                                                               "reflect"))
    assert "'replicate'" in msg  # ember's hint


def test_circular_layer_checks_dims():
    for lib in (torch, ember):
        with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D input\)"):
            lib.nn.CircularPad2d(1)(lib.zeros(3, 3))
