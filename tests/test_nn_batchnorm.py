"""BatchNorm1d/2d/3d and InstanceNorm1d/2d/3d against torch: train and eval outputs, grads of
input, weight and bias (float32 and float64), running buffers after several steps (momentum 0.1
and None), state_dict order, reprs, init, torch's errors and ember's friendly ones, gradcheck and
double backward."""

import warnings

import numpy as np
import pytest
import torch
from test_nn_normalization import _double_backward, _raises_like, _x, build, compare

import ember

from conftest import assert_same

DTYPES = ["float32", "float64"]
BN_SHAPES = [("BatchNorm1d", (4, 3)), ("BatchNorm1d", (4, 3, 5)), ("BatchNorm2d", (2, 3, 4, 5)),
             ("BatchNorm3d", (2, 3, 2, 3, 2))]


def assert_buffers(e_mod, t_mod):
    e_state = e_mod.state_dict()
    assert list(e_state) == list(t_mod.state_dict())
    for k, v in t_mod.state_dict().items():
        assert_same(e_state[k], v)


# ---------------------------------------------------------------------------- BatchNorm

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, shape", BN_SHAPES)
def test_batch_norm_train_then_eval(dtype, name, shape):
    e_mod, t_mod = build(name, 3, dtype=dtype)
    for _ in range(3):
        ye, _ = compare(e_mod, t_mod, _x(*shape, dtype=dtype) * 2 + 1)
    assert ye.grad_fn.name() == "NativeBatchNormBackward0"
    assert_buffers(e_mod, t_mod)
    e_mod.eval()
    t_mod.eval()
    compare(e_mod, t_mod, _x(*shape, dtype=dtype))
    assert_buffers(e_mod, t_mod)  # eval leaves the running statistics alone


@pytest.mark.parametrize("kwargs", [dict(momentum=None), dict(momentum=0.3),
                                    dict(affine=False), dict(bias=False), dict(eps=1e-2),
                                    dict(track_running_stats=False),
                                    dict(affine=False, track_running_stats=False)])
def test_batch_norm_options(kwargs):
    e_mod, t_mod = build("BatchNorm2d", 3, **kwargs)
    assert repr(e_mod) == repr(t_mod)
    for _ in range(4):
        compare(e_mod, t_mod, _x(2, 3, 3, 2, dtype="float32") * 3 - 1)
    assert_buffers(e_mod, t_mod)
    e_mod.eval()
    t_mod.eval()
    compare(e_mod, t_mod, _x(2, 3, 3, 2, dtype="float32"))


def test_batch_norm_buffers_init_and_reset():
    e_mod, t_mod = ember.nn.BatchNorm1d(4), torch.nn.BatchNorm1d(4)
    assert repr(e_mod) == repr(t_mod) == ("BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, "
                                          "bias=True, track_running_stats=True)")
    assert_buffers(e_mod, t_mod)
    assert e_mod.num_batches_tracked.dtype is ember.int64 and e_mod.num_batches_tracked.ndim == 0
    assert [n for n, _ in e_mod.named_buffers()] == [n for n, _ in t_mod.named_buffers()]
    e_mod(ember.randn(5, 4) * 3 + 2)
    assert e_mod.num_batches_tracked.item() == 1
    assert abs(e_mod.running_mean).sum().item() > 0
    e_mod.reset_running_stats()
    assert_buffers(e_mod, t_mod)
    with ember.no_grad():
        e_mod.weight.mul_(3)
    e_mod.reset_parameters()
    assert_buffers(e_mod, t_mod)
    off = ember.nn.BatchNorm2d(3, track_running_stats=False)
    assert off.running_mean is None and off.num_batches_tracked is None
    assert list(off.state_dict()) == ["weight", "bias"]


def test_batch_norm_functional():
    """F.batch_norm with only some parts given, training with and without running stats."""
    x = _x(4, 3, 2)
    rm, rv = _x(3), np.abs(_x(3)) + 0.5
    F_e, F_t = ember.nn.functional, torch.nn.functional
    for training in (True, False):
        for w, b in [(_x(3), None), (None, _x(3)), (None, None)]:
            es = [ember.tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
            ts = [torch.tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
            rme, rve, rmt, rvt = ember.tensor(rm), ember.tensor(rv), torch.tensor(rm), \
                torch.tensor(rv)
            ye = F_e.batch_norm(es[0], rme, rve, es[1], es[2], training, 0.2, 1e-3)
            yt = F_t.batch_norm(ts[0], rmt, rvt, ts[1], ts[2], training, 0.2, 1e-3)
            assert_same(ye, yt)
            assert_same(rme, rmt)
            assert_same(rve, rvt)
            (ye * ye).sum().backward()
            (yt * yt).sum().backward()
            for e, t in zip(es, ts):
                if t is not None:
                    assert_same(e.grad, t.grad)
    ye = F_e.batch_norm(ember.tensor(x), None, None, training=True)
    assert_same(ye, F_t.batch_norm(torch.tensor(x), None, None, training=True))


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("which", [1, 2])
def test_batch_norm_running_stats_must_not_require_grad(training, which):
    es = [ember.randn(4, 3), ember.zeros(3), ember.ones(3)]
    ts = [torch.tensor(e.numpy()) for e in es]
    es[which].requires_grad_()
    ts[which].requires_grad_()
    _raises_like(lambda: ember.nn.functional.batch_norm(*es, training=training),
                 lambda: torch.nn.functional.batch_norm(*ts, training=training))


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck_and_double_backward(training):
    arrays = [_x(3, 2, 2), _x(2), _x(2)]
    stats = [ember.tensor(_x(2)), ember.tensor(np.abs(_x(2)) + 0.5)]

    def fn(x, w, b):
        return ember.nn.functional.batch_norm(x, stats[0].clone(), stats[1].clone(), w, b,
                                              training)

    args = [ember.tensor(a, requires_grad=True) for a in arrays]
    assert ember.autograd.gradcheck(fn, args)
    assert ember.autograd.gradgradcheck(fn, args)
    rm, rv = _x(2), np.abs(_x(2)) + 0.5

    def call(F, a):
        lib = ember if F is ember.nn.functional.batch_norm else torch
        return F(a[0], lib.tensor(rm), lib.tensor(rv), a[1], a[2], training)

    _double_backward(ember.nn.functional.batch_norm, torch.nn.functional.batch_norm, arrays, call)


@pytest.mark.parametrize("name, shape", [("BatchNorm1d", (2, 3, 4, 5)), ("BatchNorm1d", (3,)),
                                         ("BatchNorm2d", (2, 3, 4)), ("BatchNorm3d", (2, 3, 4))])
def test_batch_norm_dimension_errors(name, shape):
    _raises_like(lambda: getattr(ember.nn, name)(3)(ember.randn(*shape)),
                 lambda: getattr(torch.nn, name)(3)(torch.randn(*shape)))


@pytest.mark.parametrize("args", [(3, 3, 4), (3, 3, None, 4), (3, 4), (4, 4)])
def test_batch_norm_size_errors(args):
    """running_mean, running_var, weight, bias of the wrong size: torch's message."""
    e_args = [ember.ones(n) if n is not None else None for n in args]
    t_args = [torch.ones(n) if n is not None else None for n in args]
    _raises_like(lambda: ember.nn.functional.batch_norm(ember.randn(2, 3), *e_args, training=True),
                 lambda: torch.nn.functional.batch_norm(torch.randn(2, 3), *t_args, training=True))


def test_batch_norm_errors():
    F_e, F_t = ember.nn.functional, torch.nn.functional
    text = _raises_like(lambda: ember.nn.BatchNorm1d(3)(ember.randn(1, 3)),
                        lambda: torch.nn.BatchNorm1d(3)(torch.randn(1, 3)))
    assert "model.eval()" in text
    ember.nn.BatchNorm1d(3).eval()(ember.randn(1, 3))  # eval: a batch of one is fine
    _raises_like(lambda: F_e.batch_norm(ember.randn(2, 3), None, None),
                 lambda: F_t.batch_norm(torch.randn(2, 3), None, None))
    _raises_like(lambda: F_e.batch_norm(ember.randn(2, 3), ember.zeros(3), None),
                 lambda: F_t.batch_norm(torch.randn(2, 3), torch.zeros(3), None))
    _raises_like(lambda: F_e.batch_norm(ember.randn(2, 3), ember.zeros(3), None, training=True),
                 lambda: F_t.batch_norm(torch.randn(2, 3), torch.zeros(3), None, training=True))
    _raises_like(lambda: F_e.batch_norm(ember.randn(2, 3), None, None, ember.ones(3).double(),
                                        training=True),
                 lambda: F_t.batch_norm(torch.randn(2, 3), None, None, torch.ones(3).double(),
                                        training=True))


def test_batch_norm_num_features_mismatch_names_the_layer():
    model = ember.nn.Sequential(ember.nn.Identity(), ember.nn.BatchNorm2d(16))
    x = ember.randn(2, 3, 5, 5)
    for mode in ("train", "eval"):
        getattr(model, mode)()
        text = _raises_like(lambda: model(x),
                            lambda: torch.nn.BatchNorm2d(16)(torch.randn(2, 3, 4, 4)))
        assert text.startswith("running_mean should contain 3 elements not 16\n")
        assert "in model.1 (BatchNorm2d(16, eps=1e-05" in text
        assert "the input has 3 channels" in text and "num_features=16" in text
        assert "hint:" in text and "num_features=3" in text


# ---------------------------------------------------------------------------- InstanceNorm

IN_SHAPES = [("InstanceNorm1d", (2, 3, 5)), ("InstanceNorm1d", (3, 5)),
             ("InstanceNorm2d", (2, 3, 4, 3)), ("InstanceNorm2d", (3, 4, 3)),
             ("InstanceNorm3d", (2, 3, 2, 3, 2))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, shape", IN_SHAPES)
@pytest.mark.parametrize("kwargs", [dict(), dict(affine=True),
                                    dict(affine=True, track_running_stats=True),
                                    dict(track_running_stats=True, momentum=None)])
def test_instance_norm(dtype, name, shape, kwargs):
    e_mod, t_mod = build(name, 3, dtype=dtype, **kwargs)
    assert repr(e_mod) == repr(t_mod)
    for _ in range(3):
        compare(e_mod, t_mod, _x(*shape, dtype=dtype) * 2 + 1)
    assert_buffers(e_mod, t_mod)
    e_mod.eval()
    t_mod.eval()
    compare(e_mod, t_mod, _x(*shape, dtype=dtype))


def test_instance_norm_functional_and_gradcheck():
    x, w, b = _x(2, 3, 4), _x(3), _x(3)
    args = [ember.tensor(a, requires_grad=True) for a in (x, w, b)]
    def fn(x, w, b):
        return ember.nn.functional.instance_norm(x, weight=w, bias=b)

    assert ember.autograd.gradcheck(fn, args)
    assert ember.autograd.gradgradcheck(fn, args)
    rm, rv = _x(3), np.abs(_x(3)) + 0.5
    e_stats, t_stats = [ember.tensor(rm), ember.tensor(rv)], [torch.tensor(rm), torch.tensor(rv)]
    for use_input_stats in (True, False):
        ye = ember.nn.functional.instance_norm(ember.tensor(x), *e_stats, ember.tensor(w),
                                               ember.tensor(b), use_input_stats, 0.3)
        yt = torch.nn.functional.instance_norm(torch.tensor(x), *t_stats, torch.tensor(w),
                                               torch.tensor(b), use_input_stats, 0.3)
        assert_same(ye, yt)
        assert_same(e_stats[0], t_stats[0])
        assert_same(e_stats[1], t_stats[1])


def test_instance_norm_errors():
    F_e, F_t = ember.nn.functional, torch.nn.functional
    _raises_like(lambda: ember.nn.InstanceNorm2d(3)(ember.randn(2, 3)),
                 lambda: torch.nn.InstanceNorm2d(3)(torch.randn(2, 3)))
    _raises_like(lambda: ember.nn.InstanceNorm2d(3, affine=True)(ember.randn(2, 4, 3, 3)),
                 lambda: torch.nn.InstanceNorm2d(3, affine=True)(torch.randn(2, 4, 3, 3)))
    _raises_like(lambda: F_e.instance_norm(ember.randn(2, 3, 1)),
                 lambda: F_t.instance_norm(torch.randn(2, 3, 1)))
    _raises_like(lambda: F_e.instance_norm(ember.randn(2, 3, 4), ember.zeros(4), ember.ones(4)),
                 lambda: F_t.instance_norm(torch.randn(2, 3, 4), torch.zeros(4), torch.ones(4)))
    _raises_like(lambda: F_e.instance_norm(ember.randn(2, 3, 4), use_input_stats=False),
                 lambda: F_t.instance_norm(torch.randn(2, 3, 4), use_input_stats=False))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ember.nn.InstanceNorm2d(3)(ember.randn(2, 4, 3, 3))
    with warnings.catch_warnings(record=True) as expected:
        warnings.simplefilter("always")
        torch.nn.InstanceNorm2d(3)(torch.randn(2, 4, 3, 3))
    assert [str(w.message) for w in caught] == [str(w.message) for w in expected]


# ---------------------------------------------------------------------------- devices

def _on_device_matches_cpu(device):
    """Each normalisation layer trained for two steps on ``device`` equals the same on the CPU:
    outputs, grads and running buffers; buffers stay on the device."""
    layers = [("BatchNorm2d", (3,), (4, 3, 5, 5)), ("LayerNorm", (5,), (4, 3, 5)),
              ("GroupNorm", (3, 6), (2, 6, 4)), ("InstanceNorm1d", (3,), (2, 3, 6)),
              ("RMSNorm", (5,), (4, 5)), ("LocalResponseNorm", (3,), (2, 4, 5))]
    for name, args, shape in layers:
        kwargs = dict(track_running_stats=True, affine=True) if "Instance" in name else {}
        cpu = getattr(ember.nn, name)(*args, **kwargs)
        dev = getattr(ember.nn, name)(*args, **kwargs)
        dev.load_state_dict(cpu.state_dict())
        dev.to(device)
        for _ in range(2):
            x = _x(*shape, dtype="float32")
            xc = ember.tensor(x, requires_grad=True)
            xd = ember.tensor(x, device=device, requires_grad=True)
            yc, yd = cpu(xc), dev(xd)
            assert yd.device.type == "cuda"
            np.testing.assert_allclose(yd.cpu().detach().numpy(), yc.detach().numpy(),
                                       rtol=1e-5, atol=1e-5)
            yc.backward(ember.ones_like(yc))
            yd.backward(ember.ones_like(yd))
            np.testing.assert_allclose(xd.grad.cpu().numpy(), xc.grad.numpy(), rtol=1e-4,
                                       atol=1e-5)
        for (k, vc), vd in zip(cpu.state_dict().items(), dev.state_dict().values()):
            assert vd.device.type == "cuda", k
            np.testing.assert_allclose(vd.cpu().numpy(), vc.numpy(), rtol=1e-5, atol=1e-6)
        for pc, pd in zip(cpu.parameters(), dev.parameters()):
            np.testing.assert_allclose(pd.grad.cpu().numpy(), pc.grad.numpy(), rtol=1e-4,
                                       atol=1e-5)


def test_layers_on_fake_cuda(fake_cuda):
    _on_device_matches_cpu("cuda")


@pytest.mark.skipif(not ember.cuda.is_available(), reason="needs a GPU and CuPy")
def test_layers_on_real_gpu():
    from ember import _device

    if _device._fake_cuda:
        pytest.skip("fake cuda")
    _on_device_matches_cpu("cuda")


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_half_input_with_float_statistics(training):
    """torch's CPU mixed-dtype rule: a float16 input may use float32 params and running stats."""
    x = _x(4, 3, 2, dtype="float16")
    stats = [_x(3), np.abs(_x(3)) + 0.5, _x(3), _x(3)]
    es = [ember.tensor(a.astype("float32")) for a in stats]
    ts = [torch.tensor(a.astype("float32")) for a in stats]
    ye = ember.nn.functional.batch_norm(ember.tensor(x), *es, training=training)
    yt = torch.nn.functional.batch_norm(torch.tensor(x), *ts, training=training)
    assert_same(ye, yt, rtol=2e-3, atol=2e-3)
    assert_same(es[0], ts[0])


@pytest.mark.parametrize("input_dtype, stat_dtype", [("float32", "float64"),
                                                     ("float64", "float32")])
def test_batch_norm_mixed_dtype_errors(input_dtype, stat_dtype):
    stats = [np.zeros(3, stat_dtype), np.ones(3, stat_dtype)]
    x = _x(2, 3, dtype=input_dtype)
    _raises_like(lambda: ember.nn.functional.batch_norm(ember.tensor(x),
                                                        *map(ember.tensor, stats)),
                 lambda: torch.nn.functional.batch_norm(torch.tensor(x),
                                                        *map(torch.tensor, stats)))
    _raises_like(lambda: ember.nn.functional.group_norm(ember.tensor(x), 3,
                                                        ember.tensor(stats[1])),
                 lambda: torch.nn.functional.group_norm(torch.tensor(x), 3,
                                                        torch.tensor(stats[1])))
