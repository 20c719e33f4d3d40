"""Activation and dropout layers against torch: outputs, input grads, reprs, in-place, masks."""

import numpy as np
import pytest
import torch

import ember

from conftest import assert_same

# (layer name, constructor args); the same call builds the torch and the ember layer
LAYERS = [
    ("ReLU", ()), ("LeakyReLU", (0.2,)), ("ELU", (0.7,)), ("SELU", ()), ("CELU", (1.5,)),
    ("GELU", ()), ("GELU", ("tanh",)), ("SiLU", ()), ("Mish", ()), ("Softplus", ()),
    ("Softplus", (2.0, 1.0)), ("Softsign", ()), ("Tanh", ()), ("Sigmoid", ()),
    ("Hardtanh", ()), ("Hardtanh", (-0.5, 2.0)), ("ReLU6", ()), ("Hardsigmoid", ()),
    ("Hardswish", ()), ("LogSigmoid", ()), ("Softmax", (1,)), ("LogSoftmax", (1,)),
    ("Softmin", (0,)), ("Threshold", (0.1, -2.0)), ("PReLU", ()), ("PReLU", (4, 0.1)),
    ("Tanhshrink", ()), ("Softshrink", ()), ("Softshrink", (1.0,)), ("Hardshrink", ()),
    ("Hardshrink", (1.0,)), ("GLU", ()), ("GLU", (0,)),
]

# includes the kinks (0, +-1, +-3, 6) where the gradient conventions matter, and large values
_VALUES = np.array([[-30.0, -3.0, -1.0, -0.5], [0.0, 0.1, 0.5, 1.0],
                    [3.0, 6.0, 7.0, 30.0]])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,args", LAYERS, ids=[f"{n}{a}" for n, a in LAYERS])
def test_activation_matches_torch(name, args, dtype):
    x = np.concatenate([_VALUES, np.random.default_rng(0).normal(size=(3, 4)) * 3]).astype(dtype)
    e_layer = getattr(ember.nn, name)(*args).to(getattr(ember, dtype))
    t_layer = getattr(torch.nn, name)(*args).to(getattr(torch, dtype))
    assert repr(e_layer) == repr(t_layer)
    xe = ember.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    ye, yt = e_layer(xe), t_layer(xt)
    assert_same(ye, yt)
    g = np.random.default_rng(1).normal(size=tuple(yt.shape)).astype(dtype)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    assert_same(xe.grad, xt.grad)
    for pe, pt in zip(e_layer.parameters(), t_layer.parameters()):
        assert_same(pe.grad, pt.grad)


INPLACE = ["ReLU", "LeakyReLU", "ELU", "SELU", "CELU", "SiLU", "Mish", "Hardtanh", "ReLU6",
           "Hardsigmoid", "Hardswish"]


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_writes_into_input_and_backprops(name):
    x = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32) * 4
    we = ember.tensor(x, requires_grad=True)
    wt = torch.tensor(x, requires_grad=True)
    he, ht = we * 1, wt * 1  # non-leaf inputs, which in-place ops may overwrite
    e_layer, t_layer = getattr(ember.nn, name)(inplace=True), getattr(torch.nn, name)(inplace=True)
    assert repr(e_layer) == repr(t_layer)
    ye, yt = e_layer(he), t_layer(ht)
    assert ye is he
    assert_same(he, ht)
    (ye * ye).sum().backward()
    (yt * yt).sum().backward()
    assert_same(we.grad, wt.grad)


def test_inplace_on_leaf_raises_like_torch():
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            lib.nn.functional.elu(lib.ones(3, requires_grad=True), inplace=True)


def test_functional_threshold_inplace_and_softmax_implicit_dim():
    xe, xt = ember.tensor([[-1.0, 2.0], [0.5, 3.0]]), torch.tensor([[-1.0, 2.0], [0.5, 3.0]])
    ember.nn.functional.threshold_(xe, 1.0, 0.0)
    torch.nn.functional.threshold_(xt, 1.0, 0.0)
    assert_same(xe, xt)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        ye = ember.nn.functional.softmax(xe)
    assert_same(ye, torch.softmax(xt, 1))
    assert repr(ember.nn.Softmax()) == repr(torch.nn.Softmax())


def test_prelu_default_init_state_dict_and_channel_mismatch():
    e, t = ember.nn.PReLU(3), torch.nn.PReLU(3)
    assert_same(e.weight, t.weight)
    assert list(e.state_dict()) == list(t.state_dict())
    for lib, layer in ((ember, e), (torch, t)):
        with pytest.raises(RuntimeError, match="Mismatch of parameter numbers"):
            layer(lib.ones(2, 4))


def test_gelu_bad_approximate_and_hardtanh_bounds():
    for lib in (ember, torch):
        with pytest.raises(RuntimeError):
            lib.nn.functional.gelu(lib.ones(2), approximate="fast")


# ---------------------------------------------------------------------------- dropout

@pytest.mark.parametrize("p", [0.0, 0.1, 0.3, 0.5, 1 / 3, 1.0])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dropout_mask_equals_torch_under_same_seed(p, dtype):
    x = np.random.default_rng(0).normal(size=(4, 5, 3)).astype(dtype)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ember.manual_seed(7)
    torch.manual_seed(7)
    ye = ember.nn.functional.dropout(xe, p)
    yt = torch.nn.functional.dropout(xt, p)
    assert_same(ye, yt, rtol=0, atol=0)
    ye.sum().backward()
    yt.sum().backward()
    assert_same(xe.grad, xt.grad, rtol=0, atol=0)


@pytest.mark.parametrize("name,shape", [("Dropout1d", (3, 4, 5)), ("Dropout1d", (4, 5)),
                                        ("Dropout2d", (2, 4, 3, 3)), ("Dropout3d", (2, 3, 2, 2, 2)),
                                        ("Dropout3d", (3, 2, 2, 2)), ("Dropout", (6, 6))])
def test_feature_dropout_mask_equals_torch(name, shape):
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    ember.manual_seed(3)
    torch.manual_seed(3)
    e, t = getattr(ember.nn, name)(0.4), getattr(torch.nn, name)(0.4)
    assert repr(e) == repr(t)
    assert_same(e(ember.tensor(x)), t(torch.tensor(x)), rtol=0, atol=0)
    e.eval()
    xe = ember.tensor(x)
    assert e(xe) is xe


def test_dropout_inplace_and_eval_identity():
    x = np.ones((3, 4), dtype=np.float32)
    xe, xt = ember.tensor(x), torch.tensor(x)
    ember.manual_seed(1)
    torch.manual_seed(1)
    assert ember.nn.functional.dropout(xe, 0.5, inplace=True) is xe
    torch.nn.functional.dropout(xt, 0.5, inplace=True)
    assert_same(xe, xt)
    assert ember.nn.functional.dropout(xe, 0.5, training=False) is xe


def test_alpha_dropout_matches_torch_and_keeps_selu_statistics():
    x = np.random.default_rng(0).normal(size=(20000,)).astype(np.float32)
    ember.manual_seed(0)
    torch.manual_seed(0)
    ye = ember.nn.AlphaDropout(0.2)(ember.tensor(x))
    assert_same(ye, torch.nn.AlphaDropout(0.2)(torch.tensor(x)), atol=1e-6)
    assert abs(float(ye.mean())) < 0.05 and abs(float(ye.std()) - 1) < 0.05
    assert repr(ember.nn.AlphaDropout()) == repr(torch.nn.AlphaDropout())


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_probability_errors_like_torch(p):
    for lib in (ember, torch):
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
            lib.nn.Dropout(p)
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
            lib.nn.functional.dropout(lib.ones(2), p)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_rrelu_eval_exact_and_train_slopes_in_range(dtype):
    x = np.concatenate([_VALUES, np.random.default_rng(0).normal(size=(3, 4)) * 3]).astype(dtype)
    e_layer, t_layer = ember.nn.RReLU(0.1, 0.4).eval(), torch.nn.RReLU(0.1, 0.4).eval()
    assert repr(e_layer) == repr(t_layer) == "RReLU(lower=0.1, upper=0.4)"
    assert repr(ember.nn.RReLU()) == repr(torch.nn.RReLU())
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye, yt = e_layer(xe), t_layer(xt)
    assert_same(ye, yt)
    ye.sum().backward()
    yt.sum().backward()
    assert_same(xe.grad, xt.grad)
    # training: each negative element gets its own slope in [lower, upper], and its gradient
    xe = ember.tensor(-np.ones((50, 40), dtype), requires_grad=True)
    ye = ember.nn.RReLU(0.1, 0.4).train()(xe)
    ye.sum().backward()
    slopes = -ye.detach().numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.4 and slopes.std() > 0.05
    np.testing.assert_array_equal(xe.grad.numpy(), slopes)
    pos = ember.nn.functional.rrelu(ember.tensor([2.0, 3.0]), training=True)
    assert pos.tolist() == [2.0, 3.0]
    # in place, evaluation mode: exact, and the gradient flows through the overwritten input
    we, wt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    he, ht = we * 1, wt * 1
    e_layer, t_layer = ember.nn.RReLU(inplace=True).eval(), torch.nn.RReLU(inplace=True).eval()
    assert repr(e_layer) == repr(t_layer)
    assert e_layer(he) is he
    t_layer(ht)
    assert_same(he, ht)
    (he * he).sum().backward()
    (ht * ht).sum().backward()
    assert_same(we.grad, wt.grad)


def test_softmax2d_and_shrink_glu_errors_like_torch():
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 5)).astype(np.float32)
    for shape in [(2, 3, 4, 5), (3, 4, 5)]:
        xe = ember.tensor(x.reshape(-1)[:int(np.prod(shape))].reshape(shape), requires_grad=True)
        xt = torch.tensor(xe.detach().numpy(), requires_grad=True)
        ye, yt = ember.nn.Softmax2d()(xe), torch.nn.Softmax2d()(xt)
        assert_same(ye, yt)
        (ye * ye).sum().backward()
        (yt * yt).sum().backward()
        assert_same(xe.grad, xt.grad)
    assert repr(ember.nn.Softmax2d()) == repr(torch.nn.Softmax2d())
    cases = [
        lambda lib: lib.nn.Softmax2d()(lib.zeros(2, 3)),
        lambda lib: lib.nn.functional.glu(lib.zeros(2, 3)),
        lambda lib: lib.nn.functional.glu(lib.zeros(())),
        lambda lib: lib.nn.functional.softshrink(lib.zeros(2), -1.0),
        lambda lib: lib.nn.functional.softshrink(lib.zeros(2, dtype=lib.float64), -1.5),
        lambda lib: lib.nn.functional.rrelu(lib.zeros(2), 0.5, 0.2, training=True),
    ]
    for case in cases:
        with pytest.raises(Exception) as te:
            case(torch)
        with pytest.raises(type(te.value)) as ee:
            case(ember)
        assert str(ee.value).split("\n")[0] == str(te.value).split("\n")[0]


def test_inplace_functional_forms():
    for name, args in [("selu_", ()), ("celu_", (0.5,)), ("rrelu_", (0.1, 0.3))]:
        x = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
        xe, xt = ember.tensor(x), torch.tensor(x)
        ye = getattr(ember.nn.functional, name)(xe, *args)
        yt = getattr(torch.nn.functional, name)(xt, *args)
        assert ye is xe and yt is xt
        assert_same(xe, xt)


@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("dim", [-1, 0])
def test_gumbel_softmax_same_draws_as_torch(hard, dim):
    x = np.random.default_rng(0).normal(size=(3, 5)).astype(np.float32)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ember.manual_seed(7)
    torch.manual_seed(7)
    ye = ember.nn.functional.gumbel_softmax(xe, tau=0.5, hard=hard, dim=dim)
    yt = torch.nn.functional.gumbel_softmax(xt, tau=0.5, hard=hard, dim=dim)
    assert_same(ye, yt)
    w = np.arange(15.0, dtype=np.float32).reshape(3, 5)
    (ye * ember.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    assert_same(xe.grad, xt.grad)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_exact_gelu_node_to_third_order_as_torch(dtype):
    """The exact GELU is one node (GeluBackward0, whose gradient is GeluBackwardBackward0), with
    torch's roundings: in float32 (16-bit floats too) with 1 + erf rounded there, so the far
    negative tail loses its digits as torch's does.  Tolerance, in units of rounding of
    max(|value|, |x|, 1) (a unit of Phi(x) ~ 1 becomes |x| units in x * Phi(x)): 3 for the
    value and the gradient (three roundings: erf, which torch's vectorised kernel does not
    always round correctly, 1 + erf, the product), 6 for the second and third derivatives
    (sums of about six rounded terms, in 16-bit floats rounded after each op)."""
    rng = np.random.default_rng(3)
    x = np.concatenate([[-30.0, -5.0, -1.5, -0.3, 0.0, 0.3, 1.5, 5.0, 30.0],
                        rng.standard_normal(2000) * 2])
    results = []
    for lib in (torch, ember):
        t = lib.tensor(x, dtype=getattr(lib, dtype), requires_grad=True)
        y = lib.nn.functional.gelu(t)
        (g,) = lib.autograd.grad(y.sum(), t, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), t, create_graph=True)
        (ggg,) = lib.autograd.grad(gg.sum(), t)
        results.append([v.detach().float().numpy().astype(np.float64) for v in (y, g, gg, ggg)])
        assert y.dtype == t.dtype and g.dtype == t.dtype
        assert y.grad_fn.name() == "GeluBackward0"
        assert g.grad_fn.name() == "GeluBackwardBackward0"
    eps = {"float32": 2.0 ** -23, "float64": 2.0 ** -52, "float16": 2.0 ** -10,
           "bfloat16": 2.0 ** -7}[dtype]
    for units, theirs, ours in zip((3, 3, 6, 6), *results):
        scale = np.maximum(np.maximum(np.abs(theirs), np.abs(x)), 1.0)
        np.testing.assert_array_less(np.abs(ours - theirs), units * eps * scale)


def test_exact_gelu_refuses_integers_as_torch():
    for lib in (torch, ember):
        with pytest.raises(NotImplementedError, match="GeluKernelImpl"):
            lib.nn.functional.gelu(lib.tensor([1, 2]))


def test_float32_erf_of_gelu_to_float32_rounding():
    """GELU's float32 Phi uses erf computed in float32 (ember/ops/_erf.py: erf_float32), bound
    by absolute error: at most 3 units of 2^-23 (the rounding unit just below 1) against the
    float64 erf at four million points of [-6, 6] (2.07 units measured here; one unit of
    slack because NumPy's SIMD float32 exp differs a little between CPUs)."""
    from ember.ops import _erf

    z = np.linspace(-6, 6, 4_000_001).astype(np.float32)
    exact = _erf.erf(np, z.astype(np.float64))
    ours = _erf.erf_float32(np, z)
    assert ours.dtype == np.float32
    assert np.abs(ours.astype(np.float64) - exact).max() <= 3 * 2.0 ** -23
    assert np.all(np.abs(ours[np.abs(z) >= 4]) == 1)  # 1 - erfc(4) rounds to 1 in float32
