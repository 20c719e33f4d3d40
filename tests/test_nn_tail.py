"""The nn tail against torch: lazy conv/norm layers, FeatureAlphaDropout, SyncBatchNorm,
FractionalMaxPool, AdaptiveLogSoftmaxWithLoss, parametrize/parametrizations, fusion, skip_init.

Layers are built in both libraries under the same seed (or with copied weights) and compared:
outputs, gradients, reprs and state_dict keys. Tolerances are torch's float32/float64 defaults
(conftest.TOLERANCES: rtol 1.3e-6 float32, from its rounding of a few operations) unless a test
says why it needs more.
"""

import numpy as np
import pytest
import torch

import ember
from tests.conftest import assert_same

rng = np.random.default_rng(0)


def _x(*shape, dtype=np.float32):
    a = rng.normal(size=shape).astype(dtype)
    return ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _copy_params(e_module, t_module):
    """torch's parameters and buffers into ember's (same names, same order)."""
    t_state = t_module.state_dict()
    assert list(e_module.state_dict()) == list(t_state)
    e_module.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_state.items()})


# ------------------------------------------------------------------------------ lazy layers

LAZY_CONVS = [
    ("LazyConv1d", (5, 3), {"stride": 2, "padding": 1}, (2, 4, 9)),
    ("LazyConv1d", (6, 3), {"groups": 2, "bias": False}, (4, 9)),  # unbatched
    ("LazyConv2d", (5, 3), {"dilation": 2, "padding_mode": "reflect", "padding": 2}, (2, 3, 7, 8)),
    ("LazyConv3d", (2, 2), {}, (1, 2, 4, 5, 3)),
    ("LazyConvTranspose1d", (4, 3), {"stride": 2, "output_padding": 1}, (2, 3, 6)),
    ("LazyConvTranspose2d", (6, 3), {"groups": 2}, (4, 5, 5)),  # unbatched
    ("LazyConvTranspose3d", (2, 2), {"bias": False}, (1, 3, 3, 4, 2)),
]


@pytest.mark.parametrize("name, args, kwargs, shape", LAZY_CONVS)
def test_lazy_conv_materialises_as_torch(name, args, kwargs, shape):
    torch.manual_seed(0)
    t_layer = getattr(torch.nn, name)(*args, **kwargs)
    ember.manual_seed(0)
    e_layer = getattr(ember.nn, name)(*args, **kwargs)
    assert repr(e_layer) == repr(t_layer)
    assert repr(e_layer.weight) == "<UninitializedParameter>"
    assert e_layer.has_uninitialized_params() and t_layer.has_uninitialized_params()
    assert list(e_layer.state_dict()) == list(t_layer.state_dict())
    params = list(e_layer.parameters())
    opt = ember.optim.SGD(e_layer.parameters(), lr=0.1)
    xe, xt = _x(*shape)
    torch.manual_seed(1)
    yt = t_layer(xt)
    ember.manual_seed(1)
    ye = e_layer(xe)
    assert type(e_layer).__name__ == type(t_layer).__name__ == name[4:]
    assert repr(e_layer) == repr(t_layer)
    assert e_layer.in_channels == t_layer.in_channels
    assert all(p is q for p, q in zip(e_layer.parameters(), params))
    for pe, pt in zip(e_layer.parameters(), t_layer.parameters()):
        assert type(pe) is ember.nn.Parameter
        assert_same(pe, pt)  # the ordinary layer's init, drawn as torch draws it
    assert_same(ye, yt)
    ye.sum().backward()
    yt.sum().backward()
    assert_same(xe.grad, xt.grad)
    for pe, pt in zip(e_layer.parameters(), t_layer.parameters()):
        assert_same(pe.grad, pt.grad)
    opt.step()  # the optimizer built before the first call moves the materialised weights
    assert not np.allclose(e_layer.weight.detach().numpy(), t_layer.weight.detach().numpy())


def test_lazy_conv_errors_and_state_dict_loading():
    for lib in (torch, ember):
        with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
            lib.nn.LazyConv2d(4, 3, groups=2)(lib.ones(1, 3, 5, 5))
    source = torch.nn.Conv2d(6, 4, 3, groups=2)
    lazy = ember.nn.Sequential(ember.nn.LazyConv2d(4, 3, groups=2))
    lazy.load_state_dict({"0." + k: ember.tensor(v.numpy()) for k, v in
                          source.state_dict().items()})
    assert not lazy[0].has_uninitialized_params()
    xe, xt = _x(2, 6, 5, 5)
    assert_same(lazy(xe), source(xt))
    assert repr(lazy[0]) == repr(source)


LAZY_NORMS = [
    ("LazyBatchNorm1d", {}, (4, 3)),
    ("LazyBatchNorm1d", {"affine": False, "momentum": None}, (4, 3, 5)),
    ("LazyBatchNorm2d", {"bias": False}, (3, 2, 4, 4)),
    ("LazyBatchNorm3d", {"track_running_stats": False}, (2, 3, 2, 3, 2)),
    ("LazyInstanceNorm1d", {}, (2, 3, 6)),
    ("LazyInstanceNorm2d", {"affine": False, "track_running_stats": False}, (2, 3, 4, 5)),
    ("LazyInstanceNorm3d", {"eps": 1e-3}, (2, 2, 3, 3, 3)),
]


@pytest.mark.parametrize("name, kwargs, shape", LAZY_NORMS)
def test_lazy_norm_materialises_as_torch(name, kwargs, shape):
    t_layer = getattr(torch.nn, name)(**kwargs)
    e_layer = getattr(ember.nn, name)(**kwargs)
    assert repr(e_layer) == repr(t_layer)
    assert list(e_layer.state_dict()) == list(t_layer.state_dict())
    if e_layer.track_running_stats:
        assert repr(e_layer.running_mean) == repr(t_layer.running_mean) == "<UninitializedBuffer>"
    for _ in range(2):  # the first call materialises; the second runs the ordinary layer
        xe, xt = _x(*shape)
        ye, yt = e_layer(xe), t_layer(xt)
        assert_same(ye, yt)
        (ye * ye).sum().backward()
        (yt * yt).sum().backward()
        assert_same(xe.grad, xt.grad, atol=1e-5)
    assert type(e_layer).__name__ == type(t_layer).__name__ == name[4:]
    assert repr(e_layer) == repr(t_layer)
    for (ke, ve), (kt, vt) in zip(e_layer.state_dict().items(), t_layer.state_dict().items()):
        assert ke == kt
        assert_same(ve, vt)
    for pe, pt in zip(e_layer.parameters(), t_layer.parameters()):
        assert_same(pe.grad, pt.grad, atol=1e-5)


def test_lazy_instance_norm_reads_dim_1_even_unbatched():
    # torch's lazy norms take num_features = input.shape[1]: an unbatched (C, L) input gives L
    for lib in (torch, ember):
        with pytest.raises(ValueError, match="to match num_features"):
            lib.nn.LazyInstanceNorm1d()(lib.ones(3, 7))


# ------------------------------------------------------------------------------ dropout

@pytest.mark.parametrize("shape", [(4, 6), (3, 5, 4), (2, 3, 2, 2, 2)])
@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_feature_alpha_dropout_draws_as_torch(shape, p):
    xe, xt = _x(*shape)
    torch.manual_seed(3)
    yt = torch.nn.FeatureAlphaDropout(p)(xt)
    ember.manual_seed(3)
    layer = ember.nn.FeatureAlphaDropout(p)
    ye = layer(xe)
    assert repr(layer) == repr(torch.nn.FeatureAlphaDropout(p))
    assert_same(ye, yt)
    ye.sum().backward()
    yt.sum().backward()
    assert_same(xe.grad, xt.grad)
    layer.eval()
    assert layer(xe) is xe


def test_feature_alpha_dropout_inplace_and_errors():
    a = rng.normal(size=(3, 4, 2)).astype(np.float32)
    e, t = ember.tensor(a), torch.tensor(a)
    torch.manual_seed(5)
    torch.nn.functional.feature_alpha_dropout(t, 0.4, True, inplace=True)
    ember.manual_seed(5)
    ember.nn.functional.feature_alpha_dropout(e, 0.4, True, inplace=True)
    assert_same(e, t)
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="at least 2 dimensions"):
            lib.nn.functional.feature_alpha_dropout(lib.ones(5), 0.5, True)
        with pytest.raises(ValueError, match="dropout probability"):
            lib.nn.FeatureAlphaDropout(1.5)


# ------------------------------------------------------------------------------ SyncBatchNorm

def test_sync_batch_norm_is_batch_norm_on_one_process():
    t_layer = torch.nn.SyncBatchNorm(3, momentum=0.2)
    e_layer = ember.nn.SyncBatchNorm(3, momentum=0.2)
    assert repr(e_layer) == repr(t_layer)
    assert list(e_layer.state_dict()) == list(t_layer.state_dict())
    for shape in [(4, 3), (2, 3, 4, 2, 2, 2)]:
        xe, xt = _x(*shape)
        assert_same(e_layer(xe), t_layer(xt))
    for ve, vt in zip(e_layer.state_dict().values(), t_layer.state_dict().values()):
        assert_same(ve, vt)
    e_layer.eval()
    t_layer.eval()
    xe, xt = _x(5, 3, 2)
    assert_same(e_layer(xe), t_layer(xt))
    for lib in (torch, ember):
        with pytest.raises(ValueError, match="expected at least 2D input"):
            lib.nn.SyncBatchNorm(3)(lib.ones(3))


def test_convert_sync_batchnorm_keeps_the_tensors():
    def build(lib):
        return lib.nn.Sequential(lib.nn.Conv2d(1, 3, 1), lib.nn.BatchNorm2d(3, affine=False),
                                 lib.nn.Sequential(lib.nn.BatchNorm1d(2).eval()))

    e_model, t_model = build(ember), build(torch)
    e_bn = e_model[2][0]
    e_conv = ember.nn.SyncBatchNorm.convert_sync_batchnorm(e_model)
    t_conv = torch.nn.SyncBatchNorm.convert_sync_batchnorm(t_model)
    assert repr(e_conv) == repr(t_conv)
    assert e_conv[2][0].weight is e_bn.weight
    assert e_conv[2][0].running_mean is e_bn.running_mean
    assert not e_conv[2][0].training
    converted = ember.nn.SyncBatchNorm.convert_sync_batchnorm(ember.nn.BatchNorm1d(4))
    assert type(converted) is ember.nn.SyncBatchNorm


# ------------------------------------------------------------------------------ fusion

def _trained_bn(lib, cls, n, shape, affine=True):
    """A BatchNorm with non-trivial running statistics and affine parameters, then eval."""
    bn = getattr(lib.nn, cls)(n, affine=affine)
    gen = np.random.default_rng(7)
    bn(lib.tensor(gen.normal(2.0, 3.0, size=shape).astype(np.float32)))
    if affine:
        with lib.no_grad():
            bn.weight.copy_(lib.tensor(gen.normal(size=n).astype(np.float32)))
            bn.bias.copy_(lib.tensor(gen.normal(size=n).astype(np.float32)))
    return bn.eval()


@pytest.mark.parametrize("conv, transpose, bias, affine", [
    ("Conv2d", False, True, True), ("Conv1d", False, False, False),
    ("ConvTranspose2d", True, True, True), ("ConvTranspose3d", True, False, True)])
def test_fuse_conv_bn_eval_as_torch(conv, transpose, bias, affine):
    nd = int(conv[-2])
    t_conv = getattr(torch.nn, conv)(3, 4, 2, bias=bias).eval()
    e_conv = getattr(ember.nn, conv)(3, 4, 2, bias=bias).eval()
    _copy_params(e_conv, t_conv)
    bn_cls = f"BatchNorm{nd}d"
    t_bn = _trained_bn(torch, bn_cls, 4, (5, 4) + (3,) * nd, affine)
    e_bn = _trained_bn(ember, bn_cls, 4, (5, 4) + (3,) * nd, affine)
    t_fused = torch.nn.utils.fuse_conv_bn_eval(t_conv, t_bn, transpose)
    e_fused = ember.nn.utils.fuse_conv_bn_eval(e_conv, e_bn, transpose)
    assert e_fused is not e_conv and type(e_fused) is type(e_conv)
    assert type(e_fused.weight) is ember.nn.Parameter and e_fused.weight.requires_grad
    for name in ("weight", "bias"):
        assert_same(getattr(e_fused, name), getattr(t_fused, name))
    xe, xt = _x(2, 3, *(4,) * nd)
    assert_same(e_fused(xe), e_bn(e_conv(xe)), atol=1e-5)  # one layer computes the two
    assert_same(e_fused(xe), t_fused(xt))


def test_fuse_linear_bn_eval_as_torch_and_errors():
    t_lin, e_lin = torch.nn.Linear(3, 4).eval(), ember.nn.Linear(3, 4).eval()
    _copy_params(e_lin, t_lin)
    t_bn = _trained_bn(torch, "BatchNorm1d", 4, (6, 4))
    e_bn = _trained_bn(ember, "BatchNorm1d", 4, (6, 4))
    t_fused = torch.nn.utils.fusion.fuse_linear_bn_eval(t_lin, t_bn)
    e_fused = ember.nn.utils.fusion.fuse_linear_bn_eval(e_lin, e_bn)
    assert_same(e_fused.weight, t_fused.weight)
    assert_same(e_fused.bias, t_fused.bias)
    w, rm, rv = (ember.ones(4, 3, dtype=ember.float64), ember.zeros(4), ember.ones(4))
    fw, fb = ember.nn.utils.fuse_linear_bn_weights(w, None, rm, rv, 0.0, ember.ones(4) * 2,
                                                   ember.zeros(4))
    assert fw.dtype is ember.float64 and fb.dtype is ember.float64  # the weight's dtype
    for lib in (torch, ember):
        lin, bn = lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4)
        with pytest.raises(AssertionError, match="Fusion only for eval!"):
            lib.nn.utils.fuse_linear_bn_eval(lin, bn)
        with pytest.raises(AssertionError, match="linear.out_features == bn.num_features"):
            lib.nn.utils.fuse_linear_bn_eval(lin.eval(), lib.nn.BatchNorm1d(3).eval())
        with pytest.raises(AssertionError, match="must not be None"):
            lib.nn.utils.fuse_conv_bn_eval(lib.nn.Conv1d(2, 4, 1).eval(),
                                           lib.nn.BatchNorm1d(4, track_running_stats=False).eval())


# ------------------------------------------------------------------------------ skip_init

def test_skip_init_builds_without_initialising():
    ember.manual_seed(0)
    layer = ember.nn.utils.skip_init(ember.nn.Linear, 5, out_features=2, dtype=ember.float64)
    state = ember.random.get_rng_state()
    ember.manual_seed(0)
    assert ember.equal(state, ember.random.get_rng_state())  # nothing drawn
    assert type(layer) is ember.nn.Linear and layer.weight.shape == (2, 5)
    assert layer.weight.device.type == "cpu" and layer.weight.dtype is ember.float64
    assert repr(layer) == repr(torch.nn.utils.skip_init(torch.nn.Linear, 5, 2))

    class NoDevice(ember.nn.Module):
        def __init__(self, n):
            super().__init__()

    for lib, cls in ((torch, int), (ember, int)):
        with pytest.raises((RuntimeError, TypeError)):
            lib.nn.utils.skip_init(cls)
    with pytest.raises(RuntimeError, match="Module must support a 'device' arg"):
        ember.nn.utils.skip_init(NoDevice, 3)
    with pytest.raises(RuntimeError, match="Expected a Module"):
        ember.nn.utils.skip_init(dict)


# ------------------------------------------------------------------------------ parametrize

def _symmetric(lib):
    class Symmetric(lib.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

        def right_inverse(self, A):
            return A.triu()

    return Symmetric()


def _scaled(lib):
    class Scaled(lib.nn.Module):  # no right_inverse: registered as the identity
        def forward(self, X):
            return X * 2

    return Scaled()


def _linear_pair(n_in=4, n_out=4, bias=True):
    t_layer = torch.nn.Linear(n_in, n_out, bias=bias)
    e_layer = ember.nn.Linear(n_in, n_out, bias=bias)
    _copy_params(e_layer, t_layer)
    return e_layer, t_layer


def test_register_parametrization_as_torch():
    e_layer, t_layer = _linear_pair()
    e_weight = e_layer.weight
    e_opt = ember.optim.SGD(e_layer.parameters(), lr=0.1)
    P_e, P_t = ember.nn.utils.parametrize, torch.nn.utils.parametrize
    assert not P_e.is_parametrized(e_layer)
    P_e.register_parametrization(e_layer, "weight", _symmetric(ember))
    P_t.register_parametrization(t_layer, "weight", _symmetric(torch))
    assert type(e_layer).__name__ == type(t_layer).__name__ == "ParametrizedLinear"
    assert isinstance(e_layer, ember.nn.Linear)
    assert P_e.type_before_parametrizations(e_layer) is ember.nn.Linear
    assert repr(e_layer) == repr(t_layer)
    assert list(e_layer.state_dict()) == list(t_layer.state_dict())
    assert e_layer.parametrizations.weight.original is e_weight  # the same object, new values
    assert P_e.is_parametrized(e_layer) and P_e.is_parametrized(e_layer, "weight")
    assert not P_e.is_parametrized(e_layer, "bias")
    assert_same(e_layer.parametrizations.weight.original, t_layer.parametrizations.weight.original)
    assert_same(e_layer.weight, t_layer.weight)
    xe, xt = _x(3, 4)
    ye, yt = e_layer(xe), t_layer(xt)
    assert_same(ye, yt)
    (ye * ye).sum().backward()
    (yt * yt).sum().backward()
    assert_same(xe.grad, xt.grad)
    assert_same(e_weight.grad, t_layer.parametrizations.weight.original.grad)
    e_opt.step()  # the optimizer built before still updates the stored original
    assert e_layer.parametrizations.weight.original is e_weight
    # assignment goes through right_inverse
    value = rng.normal(size=(4, 4)).astype(np.float32)
    e_layer.weight = ember.tensor(value)
    t_layer.weight = torch.tensor(value)
    assert_same(e_layer.parametrizations.weight.original, t_layer.parametrizations.weight.original)
    # a second parametrization composes after the first
    P_e.register_parametrization(e_layer, "weight", _scaled(ember))
    P_t.register_parametrization(t_layer, "weight", _scaled(torch))
    assert repr(e_layer) == repr(t_layer)
    assert_same(e_layer.weight, t_layer.weight)
    with pytest.raises(RuntimeError, match="parametrization Scaled does not implement "
                                           "right_inverse"):
        e_layer.weight = ember.ones(4, 4)
    # cached(): computed once per block
    calls = []
    e_layer.parametrizations.weight[0].register_forward_hook(lambda *args: calls.append(1))
    with P_e.cached():
        assert e_layer.weight is e_layer.weight
    assert len(calls) == 1
    e_layer.weight  # noqa: B018 - outside the block: computed again
    assert len(calls) == 2


@pytest.mark.parametrize("leave_parametrized", [True, False])
def test_remove_parametrizations_as_torch(leave_parametrized):
    e_layer, t_layer = _linear_pair()
    e_weight = e_layer.weight
    for lib, layer in ((ember, e_layer), (torch, t_layer)):
        lib.nn.utils.parametrize.register_parametrization(layer, "weight", _symmetric(lib))
        lib.nn.utils.parametrize.register_parametrization(layer, "bias", _scaled(lib))
        lib.nn.utils.parametrize.remove_parametrizations(layer, "weight", leave_parametrized)
    assert repr(e_layer) == repr(t_layer)
    assert type(e_layer).__name__ == "ParametrizedLinear"
    assert e_layer.weight is e_weight and type(e_layer.weight) is ember.nn.Parameter
    assert_same(e_layer.weight, t_layer.weight)
    for lib, layer in ((ember, e_layer), (torch, t_layer)):
        lib.nn.utils.parametrize.remove_parametrizations(layer, "bias", leave_parametrized)
    assert type(e_layer) is ember.nn.Linear and not hasattr(e_layer, "parametrizations")
    assert list(e_layer.state_dict()) == list(t_layer.state_dict()) == ["weight", "bias"]
    assert_same(e_layer.bias, t_layer.bias)


def test_parametrize_errors_as_torch():
    for lib in (torch, ember):
        P = lib.nn.utils.parametrize
        layer = lib.nn.Linear(3, 4)
        with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a "
                                             "parametrized element with name 'kernel'"):
            P.register_parametrization(layer, "kernel", _scaled(lib))
        with pytest.raises(ValueError, match="does not have a parametrization on weight"):
            P.remove_parametrizations(layer, "weight")

        class Shrink(lib.nn.Module):
            def forward(self, X):
                return X[:2]

        with pytest.raises(ValueError, match="may not change the shape of the tensor"):
            P.register_parametrization(layer, "weight", Shrink())
        P.register_parametrization(layer, "weight", Shrink(), unsafe=True)
        assert layer.weight.shape == (2, 3)
        P.register_parametrization(layer, "bias", _scaled(lib))
        with pytest.raises(ValueError, match="may not change the shape of the tensor"):
            P.register_parametrization(layer, "bias", Shrink())
        with pytest.raises(RuntimeError, match="Serialization of parametrized modules is only "
                                               "supported through state_dict()"):
            layer.__getstate__()
    import copy

    layer = ember.nn.utils.parametrize.register_parametrization(ember.nn.Linear(3, 3), "weight",
                                                                _symmetric(ember))
    clone = copy.deepcopy(layer)
    assert type(clone) is type(layer) and clone.parametrizations.weight.original is not \
        layer.parametrizations.weight.original
    assert ember.equal(clone.weight, layer.weight)


# ------------------------------------------------------------------------------ parametrizations

@pytest.mark.parametrize("make, dim", [("Linear", 0), ("Linear", 1), ("Conv2d", 0),
                                       ("Conv2d", None), ("Conv1d", -2)])
def test_weight_norm_parametrization_as_torch(make, dim):
    args = (3, 4) if make == "Linear" else (3, 4, 2)
    t_layer = getattr(torch.nn, make)(*args)
    e_layer = getattr(ember.nn, make)(*args)
    _copy_params(e_layer, t_layer)
    t_layer = torch.nn.utils.parametrizations.weight_norm(t_layer, dim=dim)
    e_layer = ember.nn.utils.parametrizations.weight_norm(e_layer, dim=dim)
    assert repr(e_layer).replace("ember", "torch") == repr(t_layer)
    assert list(e_layer.state_dict()) == list(t_layer.state_dict())
    for ve, vt in zip(e_layer.state_dict().values(), t_layer.state_dict().values()):
        assert_same(ve, vt)
    xe, xt = _x(2, *((3,) if make == "Linear" else (3,) + (5,) * int(make[-2])))
    ye, yt = e_layer(xe), t_layer(xt)
    assert_same(ye, yt)
    ye.square().sum().backward()
    yt.square().sum().backward()
    for pe, pt in zip(e_layer.parameters(), t_layer.parameters()):
        assert_same(pe.grad, pt.grad, atol=1e-5)


@pytest.mark.parametrize("make, args, kwargs", [
    ("Linear", (5, 3), {}),
    ("Conv2d", (2, 3, 2), {"n_power_iterations": 3}),
    ("ConvTranspose1d", (2, 3, 2), {}),  # dim 1 by default
    ("Conv1d", (2, 3, 2), {"dim": -1, "eps": 1e-6}),
])
def test_spectral_norm_parametrization_as_torch(make, args, kwargs):
    t_layer = getattr(torch.nn, make)(*args)
    e_layer = getattr(ember.nn, make)(*args)
    _copy_params(e_layer, t_layer)
    torch.manual_seed(4)
    t_layer = torch.nn.utils.parametrizations.spectral_norm(t_layer, **kwargs)
    ember.manual_seed(4)
    e_layer = ember.nn.utils.parametrizations.spectral_norm(e_layer, **kwargs)
    assert repr(e_layer) == repr(t_layer)
    assert list(e_layer.state_dict()) == list(t_layer.state_dict())
    e_opt = ember.optim.SGD(e_layer.parameters(), lr=0.1)
    t_opt = torch.optim.SGD(t_layer.parameters(), lr=0.1)
    shape = (2, args[0]) + (4,) * (0 if make == "Linear" else int(make[-2]))
    for train in (True, True, False):
        e_layer.train(train)
        t_layer.train(train)
        xe, xt = _x(*shape)
        ye, yt = e_layer(xe), t_layer(xt)
        # power iteration: ~10 dependent float32 steps, each a normalised matrix-vector product
        assert_same(ye, yt, rtol=1e-5, atol=1e-5)
        ye.square().sum().backward()
        yt.square().sum().backward()
        e_opt.step()
        t_opt.step()
        e_opt.zero_grad()
        t_opt.zero_grad()
        for ve, vt in zip(e_layer.state_dict().values(), t_layer.state_dict().values()):
            assert_same(ve, vt, rtol=1e-5, atol=1e-5)


def test_spectral_norm_errors_as_torch():
    for lib in (torch, ember):
        sn = lib.nn.utils.parametrizations.spectral_norm
        with pytest.raises(ValueError, match="has no parameter or buffer with name 'kernel'"):
            sn(lib.nn.Linear(2, 2), "kernel")
        with pytest.raises(IndexError, match="Dimension out of range"):
            sn(lib.nn.Linear(2, 2), dim=2)
        with pytest.raises(ValueError, match="Expected n_power_iterations to be positive"):
            sn(lib.nn.Linear(2, 2), n_power_iterations=0)


ORTHOGONAL = [
    ((4, 4), {}),  # matrix_exp
    ((4, 6), {}),  # wide: householder (transposed), random completion of the base
    ((6, 3), {"orthogonal_map": "matrix_exp"}),
    ((5, 5), {"orthogonal_map": "cayley"}),
    ((3, 5), {"orthogonal_map": "cayley"}),
    ((6, 4), {"orthogonal_map": "householder", "use_trivialization": False}),
    ((4, 4), {"orthogonal_map": "householder", "use_trivialization": False}),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape, kwargs", ORTHOGONAL)
def test_orthogonal_parametrization_as_torch(shape, kwargs, dtype):
    t_layer = torch.nn.Linear(shape[1], shape[0]).to(getattr(torch, dtype))
    e_layer = ember.nn.Linear(shape[1], shape[0]).to(getattr(ember, dtype))
    _copy_params(e_layer, t_layer)
    torch.manual_seed(2)
    torch.nn.utils.parametrizations.orthogonal(t_layer, **kwargs)
    ember.manual_seed(2)
    ember.nn.utils.parametrizations.orthogonal(e_layer, **kwargs)
    assert repr(e_layer) == repr(t_layer)
    assert list(e_layer.state_dict()) == list(t_layer.state_dict())
    # QR, matrix exponential and solve in another order than LAPACK's: a few dozen roundings
    tol = {"float32": (1e-5, 1e-5), "float64": (1e-12, 1e-12)}[dtype]
    e_opt = ember.optim.SGD(e_layer.parameters(), lr=0.2)
    t_opt = torch.optim.SGD(t_layer.parameters(), lr=0.2)
    for _ in range(3):  # the steps move original away from its start: every map is exercised
        for ve, vt in zip(e_layer.state_dict().values(), t_layer.state_dict().values()):
            assert_same(ve, vt, *tol)
        assert_same(e_layer.weight, t_layer.weight, *tol)
        xe, xt = _x(2, shape[1], dtype=dtype)
        ye, yt = e_layer(xe), t_layer(xt)
        assert_same(ye, yt, *tol)
        (ye * ye.detach().sin()).sum().backward()
        (yt * yt.detach().sin()).sum().backward()
        for pe, pt in zip(e_layer.parameters(), t_layer.parameters()):
            assert_same(pe.grad, pt.grad, *tol)
        e_opt.step()
        t_opt.step()
        e_opt.zero_grad()
        t_opt.zero_grad()
    w = e_layer.weight.detach().double()
    gram = w @ w.T if shape[0] < shape[1] else w.T @ w
    assert_same(gram, torch.eye(min(shape), dtype=torch.float64), atol=1e-5)


def test_orthogonal_errors_as_torch():
    for lib in (torch, ember):
        orth = lib.nn.utils.parametrizations.orthogonal
        with pytest.raises(ValueError, match="Expected a matrix or batch of matrices. Got a "
                                             "tensor of 1 dimensions."):
            orth(lib.nn.Linear(2, 2), "bias")
        with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp"'):
            orth(lib.nn.Linear(2, 2), orthogonal_map="qr")
        layer = orth(lib.nn.Linear(3, 3), use_trivialization=False)
        with pytest.raises(NotImplementedError, match="not possible to assign to the matrix "
                                                      "exponential"):
            layer.weight = lib.eye(3)
        with pytest.raises(ValueError, match="Expected a matrix or batch of matrices of shape"):
            orth(lib.nn.Linear(3, 3)).weight = lib.eye(2)


# ------------------------------------------------------------------------------ fractional pools

FRACTIONAL = [
    (2, (2, 3, 10, 9), {"kernel_size": (2, 3), "output_size": (4, 5)}),
    (2, (3, 7, 8), {"kernel_size": 2, "output_ratio": (0.7, 0.4)}),  # unbatched
    (2, (2, 2, 6, 6), {"kernel_size": 3, "output_size": 4}),  # overlapping windows
    (2, (1, 2, 5, 5), {"kernel_size": 2, "output_size": (1, 4)}),
    (3, (2, 3, 7, 8, 9), {"kernel_size": (2, 3, 2), "output_size": (4, 5, 6)}),
    (3, (2, 5, 6, 7), {"kernel_size": 2, "output_ratio": (0.5, 0.6, 0.7)}),  # unbatched
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n, shape, kwargs", FRACTIONAL)
def test_fractional_max_pool_draws_and_pools_as_torch(n, shape, kwargs, dtype):
    xe, xt = _x(*shape, dtype=dtype)
    torch.manual_seed(8)
    t_pool = getattr(torch.nn, f"FractionalMaxPool{n}d")(return_indices=True, **kwargs)
    yt, it = t_pool(xt)
    ember.manual_seed(8)
    e_pool = getattr(ember.nn, f"FractionalMaxPool{n}d")(return_indices=True, **kwargs)
    ye, ie = e_pool(xe)  # u drawn with rand, as torch draws it: the same windows
    assert repr(e_pool) == repr(t_pool)
    assert_same(ie, it)
    assert_same(ye, yt)
    assert ye.grad_fn.name() == f"FractionalMaxPool{n}DBackward0"
    g = rng.normal(size=tuple(yt.shape)).astype(dtype)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    assert_same(xe.grad, xt.grad)  # overlapping windows add their gradients


@pytest.mark.parametrize("n", [2, 3])
def test_fractional_max_pool_given_samples_and_ties(n):
    shape = (2, 3) + (9,) * n
    a = rng.integers(0, 3, size=shape).astype(np.float32)  # many ties: the first one wins
    a[0, 0, 2] = np.nan  # NaN propagates: the window's last NaN wins
    samples = rng.random((3, 3, n)).astype(np.float32)  # more rows than the batch: allowed
    e_fn = getattr(ember.nn.functional, f"fractional_max_pool{n}d")
    t_fn = getattr(torch.nn.functional, f"fractional_max_pool{n}d")
    ye, ie = e_fn(ember.tensor(a), 2, output_size=4, return_indices=True,
                  _random_samples=ember.tensor(samples))
    yt, it = t_fn(torch.tensor(a), 2, output_size=4, return_indices=True,
                  _random_samples=torch.tensor(samples))
    assert_same(ie, it)
    assert_same(ye, yt)
    fixed = getattr(ember.nn, f"FractionalMaxPool{n}d")(2, output_size=4,
                                                        _random_samples=ember.tensor(samples))
    assert list(fixed.state_dict()) == ["_random_samples"]
    assert_same(fixed(ember.tensor(a)), yt)


FRACTIONAL_ERRORS = [
    (RuntimeError, lambda lib: lib.nn.functional.fractional_max_pool2d(
        lib.ones(2, 3, 7, 6), 3, output_size=(6, 6))),
    (RuntimeError, lambda lib: lib.nn.functional.fractional_max_pool3d(
        lib.ones(2, 3, 5, 6, 7), 2, output_size=(3, 6, 3))),
    (RuntimeError, lambda lib: lib.nn.functional.fractional_max_pool2d(
        lib.ones(2, 3, 7, 6), 3, output_size=2, _random_samples=lib.rand(2, 3, 3))),
    (RuntimeError, lambda lib: lib.nn.functional.fractional_max_pool2d(
        lib.ones(2, 3, 7, 6), 3, output_size=2, _random_samples=lib.rand(1, 3, 2))),
    (RuntimeError, lambda lib: lib.nn.functional.fractional_max_pool2d(
        lib.ones(2, 3, 7, 6), 3, output_size=2, _random_samples=lib.rand(2, 2, 2))),
    (RuntimeError, lambda lib: lib.nn.functional.fractional_max_pool2d(
        lib.ones(2, 3, 7, 6), 3, output_size=2,
        _random_samples=lib.rand(2, 3, 2, dtype=lib.float64))),
    (RuntimeError, lambda lib: lib.nn.functional.fractional_max_pool2d(
        lib.ones(2, 3, 7, 6), (3, 2, 1), output_size=2)),
    (RuntimeError, lambda lib: lib.nn.functional.fractional_max_pool3d(
        lib.ones(2, 3, 5, 6, 7), 2, output_size=(3, 3))),
    (RuntimeError, lambda lib: lib.nn.functional.fractional_max_pool3d(
        lib.ones(2, 3, 4, 5, 6, 7), 2, output_size=2)),
    (RuntimeError, lambda lib: lib.nn.functional.fractional_max_pool2d(
        lib.ones(2, 3, 0, 6), 3, output_size=2)),
    (NotImplementedError, lambda lib: lib.nn.functional.fractional_max_pool2d(
        lib.ones(2, 3, 4, 5, dtype=lib.int64), 2, output_size=2,
        _random_samples=lib.ones(2, 3, 2, dtype=lib.int64))),
    (ValueError, lambda lib: lib.nn.functional.fractional_max_pool2d(lib.ones(1, 4, 4), 2)),
    (TypeError, lambda lib: lib.nn.functional.fractional_max_pool2d(
        lib.ones(1, 4, 4), 2, output_ratio=0.5)),
    (IndexError, lambda lib: lib.nn.functional.fractional_max_pool2d(
        lib.ones(7, 6), 3, output_size=2)),
    (ValueError, lambda lib: lib.nn.FractionalMaxPool2d(2, output_ratio=(1.5, 0.5))),
    (ValueError, lambda lib: lib.nn.FractionalMaxPool3d(2, output_size=3, output_ratio=0.5)),
    (ValueError, lambda lib: lib.nn.FractionalMaxPool3d(2)),
]


@pytest.mark.parametrize("error, call", FRACTIONAL_ERRORS)
def test_fractional_max_pool_errors_as_torch(error, call):
    messages = []
    for lib in (torch, ember):
        with pytest.raises(error) as err:
            call(lib)
        messages.append(str(err.value).split("\n")[0])
    assert messages[0] == messages[1]


# ------------------------------------------------------------------------------ adaptive softmax

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kwargs", [{"cutoffs": [3, 6]}, {"cutoffs": [2], "head_bias": True},
                                    {"cutoffs": (4, 5, 8), "div_value": 2.0}])
def test_adaptive_log_softmax_as_torch(kwargs, dtype):
    torch.manual_seed(3)
    t_asm = torch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, **kwargs).to(torch.float64 if dtype ==
                                                                     np.float64 else torch.float32)
    ember.manual_seed(3)
    e_asm = ember.nn.AdaptiveLogSoftmaxWithLoss(8, 10, **kwargs)
    e_asm = e_asm.to(ember.float64 if dtype == np.float64 else ember.float32)
    assert repr(e_asm) == repr(t_asm)
    assert list(e_asm.state_dict()) == list(t_asm.state_dict())
    for pe, pt in zip(e_asm.parameters(), t_asm.parameters()):
        assert_same(pe, pt)  # Linear's initialisation, drawn in torch's order
    xe, xt = _x(7, 8, dtype=dtype)
    target = np.array([0, 9, 3, 5, 2, 6, 7])
    oe, le = e_asm(xe, ember.tensor(target))
    ot, lt = t_asm(xt, torch.tensor(target))
    assert type(e_asm(xe, ember.tensor(target))).__name__ == "_ASMoutput"
    assert_same(oe, ot)
    assert_same(le, lt)
    le.backward()
    lt.backward()
    assert_same(xe.grad, xt.grad)
    for pe, pt in zip(e_asm.parameters(), t_asm.parameters()):
        if pt.grad is None:  # a cluster no target falls in is not run
            assert pe.grad is None
        else:
            assert_same(pe.grad, pt.grad)
    assert_same(e_asm.log_prob(xe), t_asm.log_prob(xt))
    # predict: all-shortlist, all-cluster and mixed batches (the head's bias steers them)
    assert_same(e_asm.predict(xe), t_asm.predict(xt))
    for shift in (-50.0, 50.0):
        with torch.no_grad(), ember.no_grad():
            t_asm.head.weight[-1] += shift
            e_asm.head.weight[-1] += shift
        assert_same(e_asm.predict(xe), t_asm.predict(xt))
    o1e, l1e = e_asm(xe[0], ember.tensor(target[1]))  # unbatched
    o1t, l1t = t_asm(xt[0], torch.tensor(target[1]))
    assert_same(o1e, o1t)
    assert_same(l1e, l1t)


ASM_ERRORS = [
    (ValueError, lambda lib: lib.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [])),
    (ValueError, lambda lib: lib.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [5, 3])),
    (ValueError, lambda lib: lib.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 10])),
    (RuntimeError, lambda lib: lib.nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3])(
        lib.ones(2, 4), lib.tensor([1, 10]))),
    (RuntimeError, lambda lib: lib.nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3])(
        lib.ones(3, 4), lib.tensor([1, 2]))),
    (RuntimeError, lambda lib: lib.nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3])(
        lib.ones(2, 4, 1), lib.tensor([1, 2]))),
    (RuntimeError, lambda lib: lib.nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3])(
        lib.ones(2, 4), lib.tensor(1))),
    (RuntimeError, lambda lib: lib.nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3])(
        lib.ones(2, 4), lib.ones(2, 2, dtype=lib.int64))),
]


@pytest.mark.parametrize("error, call", ASM_ERRORS)
def test_adaptive_log_softmax_errors_as_torch(error, call):
    messages = []
    for lib in (torch, ember):
        with pytest.raises(error) as err:
            call(lib)
        messages.append(str(err.value).split("\n")[0].replace("torch.Size", "Size"))
    assert messages[0] == messages[1].replace("ember.Size", "Size")
