"""LayerNorm, GroupNorm, RMSNorm, LocalResponseNorm, F.normalize against torch: outputs and the
grads of input, weight and bias (float32 and float64), reprs, default init, torch's errors,
gradcheck and double backward.  BatchNorm and InstanceNorm: test_nn_batchnorm.py."""

import numpy as np
import pytest
import torch

import ember
from ember.autograd import gradcheck, gradgradcheck

from conftest import assert_same

rng = np.random.default_rng(0)
DTYPES = ["float32", "float64"]


def build(name, *args, dtype="float32", **kwargs):
    """The layer ``name`` in both libraries, torch's parameters randomised and copied to ember."""
    t_mod = getattr(torch.nn, name)(*args, **kwargs).to(getattr(torch, dtype))
    e_mod = getattr(ember.nn, name)(*args, **kwargs).to(getattr(ember, dtype))
    with torch.no_grad():
        for p in t_mod.parameters():
            p.copy_(torch.tensor(rng.normal(size=tuple(p.shape))))
    e_mod.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_mod.state_dict().items()})
    return e_mod, t_mod


def compare(e_mod, t_mod, x):
    """Same output, and the same grads of the input and of every parameter."""
    xe = ember.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    ye, yt = e_mod(xe), t_mod(xt)
    assert_same(ye, yt)
    g = rng.normal(size=tuple(yt.shape)).astype(x.dtype)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    assert_same(xe.grad, xt.grad)
    e_params = dict(e_mod.named_parameters())
    for name, p in t_mod.named_parameters():
        assert_same(e_params[name].grad, p.grad)
    return ye, yt


def _x(*shape, dtype="float64"):
    return rng.normal(size=shape).astype(dtype)


def _raises_like(e_call, t_call):
    """Both raise the same exception class; ember's first line is torch's."""
    with pytest.raises(Exception) as t_err:
        t_call()
    with pytest.raises(type(t_err.value)) as e_err:
        e_call()
    first = str(e_err.value).split("\n")[0]
    assert first == str(t_err.value).split("\n")[0].replace("torch.", "ember.")
    return str(e_err.value)


# ---------------------------------------------------------------------------- LayerNorm

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, normalized", [((4, 6), 6), ((3, 4, 5), (4, 5)),
                                               ((2, 3, 7), [7])])
def test_layer_norm(dtype, shape, normalized):
    e_mod, t_mod = build("LayerNorm", normalized, dtype=dtype)
    ye, _ = compare(e_mod, t_mod, _x(*shape, dtype=dtype))
    assert ye.grad_fn.name() == "NativeLayerNormBackward0"


@pytest.mark.parametrize("kwargs", [dict(bias=False), dict(elementwise_affine=False),
                                    dict(eps=1e-2)])
def test_layer_norm_options(kwargs):
    e_mod, t_mod = build("LayerNorm", 5, **kwargs)
    compare(e_mod, t_mod, _x(3, 5, dtype="float32"))
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())


def test_layer_norm_repr_and_init():
    for args in [(64,), ([3, 4],)]:
        e_mod, t_mod = ember.nn.LayerNorm(*args), torch.nn.LayerNorm(*args)
        assert repr(e_mod) == repr(t_mod)
        assert e_mod.normalized_shape == t_mod.normalized_shape
        assert_same(e_mod.weight, t_mod.weight)
        assert_same(e_mod.bias, t_mod.bias)
        assert e_mod.weight.requires_grad


def test_layer_norm_functional_parts():
    """F.layer_norm with only a weight, only a bias, and neither; grads of what is given."""
    x = _x(3, 4)
    w, b = _x(4), _x(4)
    for weight, bias in [(w, None), (None, b), (None, None)]:
        args_e = [ember.tensor(a, requires_grad=True) if a is not None else None
                  for a in (x, weight, bias)]
        args_t = [torch.tensor(a, requires_grad=True) if a is not None else None
                  for a in (x, weight, bias)]
        ye = ember.nn.functional.layer_norm(args_e[0], (4,), args_e[1], args_e[2])
        yt = torch.nn.functional.layer_norm(args_t[0], (4,), args_t[1], args_t[2])
        assert_same(ye, yt)
        (ye * ye * ember.tensor(x)).sum().backward()
        (yt * yt * torch.tensor(x)).sum().backward()
        for e, t in zip(args_e, args_t):
            if t is not None:
                assert_same(e.grad, t.grad)


def test_layer_norm_float16():
    x = _x(3, 8, dtype="float16")
    ye = ember.nn.functional.layer_norm(ember.tensor(x), (8,))
    yt = torch.nn.functional.layer_norm(torch.tensor(x), (8,))
    assert_same(ye, yt, rtol=2e-3, atol=2e-3)


def test_layer_norm_gradcheck_and_double_backward():
    x, w, b = _x(2, 3, 4), _x(4), _x(4)
    args = [ember.tensor(a, requires_grad=True) for a in (x, w, b)]

    def fn(x, w, b):
        return ember.nn.functional.layer_norm(x, (4,), w, b)

    assert gradcheck(fn, args)
    assert gradgradcheck(fn, args)
    _double_backward(ember.nn.functional.layer_norm, torch.nn.functional.layer_norm,
                     [x, w, b], lambda F, a: F(a[0], (4,), a[1], a[2]))


def _double_backward(e_fn, t_fn, arrays, call):
    """d/d(inputs) of sum(grad_x^2), grad_x taken with create_graph: the same in both."""
    es = [ember.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    g = _x(*arrays[0].shape)
    ye, yt = call(e_fn, es), call(t_fn, ts)
    (gxe,) = ember.autograd.grad((ye * ember.tensor(g)).sum(), es[0], create_graph=True)
    (gxt,) = torch.autograd.grad((yt * torch.tensor(g)).sum(), ts[0], create_graph=True)
    assert_same(gxe, gxt)
    (gxe * gxe).sum().backward()
    (gxt * gxt).sum().backward()
    for e, t in zip(es, ts):
        if t.grad is None:  # grad_x does not depend on the bias
            assert e.grad is None or not e.grad.abs().sum().item()
        else:
            assert_same(e.grad, t.grad)


def test_layer_norm_errors():
    F_e, F_t = ember.nn.functional, torch.nn.functional
    _raises_like(lambda: F_e.layer_norm(ember.randn(2, 6, 3), (4,)),
                 lambda: F_t.layer_norm(torch.randn(2, 6, 3), (4,)))
    _raises_like(lambda: F_e.layer_norm(ember.randn(2, 3), (3,), ember.ones(4)),
                 lambda: F_t.layer_norm(torch.randn(2, 3), (3,), torch.ones(4)))
    _raises_like(lambda: F_e.layer_norm(ember.randn(2, 3), (3,), None, ember.ones(4)),
                 lambda: F_t.layer_norm(torch.randn(2, 3), (3,), None, torch.ones(4)))
    _raises_like(lambda: F_e.layer_norm(ember.randn(2, 3), (3,), ember.ones(3).double()),
                 lambda: F_t.layer_norm(torch.randn(2, 3), (3,), torch.ones(3).double()))
    model = ember.nn.Sequential(ember.nn.Linear(3, 5), ember.nn.LayerNorm(4))
    text = _raises_like(lambda: model(ember.randn(2, 3)),
                        lambda: torch.nn.LayerNorm(4)(torch.randn(2, 5)))
    assert "model.1 (LayerNorm((4,)" in text and "hint" in text


# ---------------------------------------------------------------------------- GroupNorm

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, groups", [((2, 6, 5), 3), ((2, 4, 3, 3), 2), ((3, 8), 2)])
def test_group_norm(dtype, shape, groups):
    e_mod, t_mod = build("GroupNorm", groups, shape[1], dtype=dtype)
    compare(e_mod, t_mod, _x(*shape, dtype=dtype))
    assert repr(e_mod) == repr(t_mod)


@pytest.mark.parametrize("kwargs", [dict(affine=False), dict(bias=False), dict(eps=0.1)])
def test_group_norm_options(kwargs):
    e_mod, t_mod = build("GroupNorm", 2, 4, **kwargs)
    compare(e_mod, t_mod, _x(2, 4, 3, dtype="float32"))
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())


def test_group_norm_init_gradcheck_errors():
    e_mod, t_mod = ember.nn.GroupNorm(2, 4), torch.nn.GroupNorm(2, 4)
    assert_same(e_mod.weight, t_mod.weight)
    assert_same(e_mod.bias, t_mod.bias)
    args = [ember.tensor(a, requires_grad=True) for a in (_x(2, 4, 3), _x(4), _x(4))]
    assert gradcheck(lambda x, w, b: ember.nn.functional.group_norm(x, 2, w, b), args)
    assert gradgradcheck(lambda x, w, b: ember.nn.functional.group_norm(x, 2, w, b), args)
    _raises_like(lambda: ember.nn.GroupNorm(4, 6), lambda: torch.nn.GroupNorm(4, 6))
    F_e, F_t = ember.nn.functional, torch.nn.functional
    _raises_like(lambda: F_e.group_norm(ember.randn(2, 6, 3), 4),
                 lambda: F_t.group_norm(torch.randn(2, 6, 3), 4))
    _raises_like(lambda: F_e.group_norm(ember.randn(2, 6, 3), 3, ember.ones(5)),
                 lambda: F_t.group_norm(torch.randn(2, 6, 3), 3, torch.ones(5)))
    _raises_like(lambda: F_e.group_norm(ember.randn(6), 3),
                 lambda: F_t.group_norm(torch.randn(6), 3))


# ---------------------------------------------------------------------------- RMSNorm

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs", [dict(), dict(eps=1e-3), dict(elementwise_affine=False)])
def test_rms_norm(dtype, kwargs):
    e_mod, t_mod = build("RMSNorm", [3, 4], dtype=dtype, **kwargs)
    compare(e_mod, t_mod, _x(2, 3, 4, dtype=dtype))
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())


def test_rms_norm_init_and_errors():
    assert_same(ember.nn.RMSNorm(5).weight, torch.nn.RMSNorm(5).weight)
    F_e, F_t = ember.nn.functional, torch.nn.functional
    _raises_like(lambda: F_e.rms_norm(ember.randn(2, 3), (4, 5)),
                 lambda: F_t.rms_norm(torch.randn(2, 3), (4, 5)))
    _raises_like(lambda: F_e.rms_norm(ember.randn(2, 3), (3,), ember.ones(4)),
                 lambda: F_t.rms_norm(torch.randn(2, 3), (3,), torch.ones(4)))


# ---------------------------------------------------------------------------- LocalResponseNorm

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size, shape", [(2, (2, 5, 4)), (3, (2, 4, 3, 3)), (5, (1, 6, 2, 2, 2)),
                                         (7, (2, 3, 4)), (4, (2, 3, 2))])
def test_local_response_norm(dtype, size, shape):
    e_mod, t_mod = build("LocalResponseNorm", size, alpha=0.5, beta=0.8, k=1.5)
    compare(e_mod, t_mod, _x(*shape, dtype=dtype))
    assert repr(e_mod) == repr(t_mod)
    assert repr(ember.nn.LocalResponseNorm(2)) == repr(torch.nn.LocalResponseNorm(2))


def test_local_response_norm_errors():
    _raises_like(lambda: ember.nn.functional.local_response_norm(ember.randn(2, 3), 2),
                 lambda: torch.nn.functional.local_response_norm(torch.randn(2, 3), 2))


# ---------------------------------------------------------------------------- F.normalize

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p, dim", [(2.0, 1), (1.0, -1), (3.0, 0)])
def test_normalize(dtype, p, dim):
    x = _x(3, 4, dtype=dtype)
    x[1] = 0.0  # a zero vector: divided by eps, the gradient stays finite
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye = ember.nn.functional.normalize(xe, p, dim)
    yt = torch.nn.functional.normalize(xt, p, dim)
    assert_same(ye, yt)
    g = _x(3, 4, dtype=dtype)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    assert_same(xe.grad, xt.grad)


def test_normalize_errors():
    _raises_like(lambda: ember.nn.functional.normalize(ember.randn(2, 3), dim=3),
                 lambda: torch.nn.functional.normalize(torch.randn(2, 3), dim=3))
