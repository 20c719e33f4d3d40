"""Bilinear and LazyLinear against torch: outputs, gradients of inputs and parameters (float32
and float64), seeded default init (bit for bit), reprs, lazy materialisation, errors."""

import numpy as np
import pytest
import torch

import ember

from conftest import assert_same

DTYPES = ["float32", "float64"]
rng = np.random.default_rng(0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lead", [(5,), (2, 3), ()])
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_matches_torch(dtype, lead, bias):
    t_layer = torch.nn.Bilinear(3, 4, 2, bias=bias).to(getattr(torch, dtype))
    e_layer = ember.nn.Bilinear(3, 4, 2, bias=bias).to(getattr(ember, dtype))
    e_layer.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_layer.state_dict().items()})
    assert repr(e_layer) == repr(t_layer)
    x1, x2 = rng.normal(size=lead + (3,)).astype(dtype), rng.normal(size=lead + (4,)).astype(dtype)
    e1, e2 = ember.tensor(x1, requires_grad=True), ember.tensor(x2, requires_grad=True)
    t1, t2 = torch.tensor(x1, requires_grad=True), torch.tensor(x2, requires_grad=True)
    ye, yt = e_layer(e1, e2), t_layer(t1, t2)
    assert_same(ye, yt)
    g = rng.normal(size=tuple(yt.shape)).astype(dtype)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    assert_same(e1.grad, t1.grad)
    assert_same(e2.grad, t2.grad)
    for pe, pt in zip(e_layer.parameters(), t_layer.parameters()):
        assert_same(pe.grad, pt.grad)


def test_bilinear_init_is_torchs():
    torch.manual_seed(3)
    t_layer = torch.nn.Bilinear(30, 20, 10)
    ember.manual_seed(3)
    e_layer = ember.nn.Bilinear(30, 20, 10)
    for pe, pt in zip(e_layer.parameters(), t_layer.parameters()):
        assert_same(pe, pt)  # the same draws from the same seed
    w = e_layer.weight.detach().numpy()
    bound = 1 / np.sqrt(30)
    assert w.min() >= -bound and w.max() <= bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.01
    assert list(e_layer.state_dict()) == list(t_layer.state_dict())


@pytest.mark.parametrize("shapes", [
    ((3, 2), (4, 3), (5, 2, 3), None),
    ((3, 2), (3, 3), (5, 4, 3), None),
    ((3, 2), (3, 3), (5, 2, 4), None),
    ((3, 2), (3, 3), (5, 2, 3), (4,)),
    ((3, 2), (3, 1, 3), (5, 2, 3), None),
])
def test_bilinear_errors_like_torch(shapes):
    a, b, w, bias = shapes
    messages = []
    for lib in (torch, ember):
        with pytest.raises(RuntimeError) as err:
            lib.nn.functional.bilinear(lib.ones(a), lib.ones(b), lib.ones(w),
                                       None if bias is None else lib.ones(bias))
        messages.append(str(err.value).split("\n")[0])
    assert messages[0] == messages[1]


def test_bilinear_error_names_the_layer():
    model = ember.nn.Sequential(ember.nn.Bilinear(3, 4, 2))
    with pytest.raises(RuntimeError, match="in1_features=3") as err:
        model[0](ember.ones(2, 5), ember.ones(2, 4))
    assert "Bilinear" in str(err.value)


@pytest.mark.parametrize("bias", [True, False])
def test_lazy_linear_materialises_as_torch(bias):
    torch.manual_seed(0)
    t_layer = torch.nn.LazyLinear(4, bias=bias)
    ember.manual_seed(0)
    e_layer = ember.nn.LazyLinear(4, bias=bias)
    assert repr(e_layer) == repr(t_layer)
    assert repr(e_layer.weight) == repr(t_layer.weight) == "<UninitializedParameter>"
    assert e_layer.has_uninitialized_params()
    assert list(e_layer.state_dict()) == list(t_layer.state_dict())
    params = list(e_layer.parameters())
    opt = ember.optim.SGD(e_layer.parameters(), lr=0.1)
    x = rng.normal(size=(2, 3)).astype(np.float32)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    torch.manual_seed(1)
    yt = t_layer(xt)
    ember.manual_seed(1)
    ye = e_layer(xe)
    assert type(e_layer) is ember.nn.Linear and type(t_layer) is torch.nn.Linear
    assert repr(e_layer) == repr(t_layer)
    assert e_layer.in_features == 3
    assert type(e_layer.weight) is ember.nn.Parameter
    assert [p is q for p, q in zip(e_layer.parameters(), params)] == [True] * len(params)
    for pe, pt in zip(e_layer.parameters(), t_layer.parameters()):
        assert_same(pe, pt)  # Linear's init, drawn as torch draws it
    assert_same(ye, yt)
    ye.sum().backward()
    yt.sum().backward()
    assert_same(xe.grad, xt.grad)
    for pe, pt in zip(e_layer.parameters(), t_layer.parameters()):
        assert_same(pe.grad, pt.grad)
    opt.step()  # the optimizer made before the first call updates the materialised weights
    assert not np.allclose(e_layer.weight.detach().numpy(), t_layer.weight.detach().numpy())


def test_lazy_linear_dtype_and_later_calls():
    layer = ember.nn.LazyLinear(3, dtype=ember.float64)
    y = layer(ember.ones(5, 2, 7, dtype=ember.float64))
    assert y.shape == (5, 2, 3) and y.dtype is ember.float64
    assert layer.weight.shape == (3, 7)
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied"):
        layer(ember.ones(5, 8, dtype=ember.float64))


def test_lazy_linear_loads_a_state_dict_before_its_first_call():
    source = ember.nn.Linear(5, 2)
    lazy = ember.nn.Sequential(ember.nn.LazyLinear(2))
    lazy.load_state_dict({"0." + k: v for k, v in source.state_dict().items()})
    assert not lazy[0].has_uninitialized_params()
    x = ember.randn(3, 5)
    assert_same(lazy(x), torch.tensor(source(x).detach().numpy()))
    assert repr(lazy[0]) == "Linear(in_features=5, out_features=2, bias=True)"
