"""The minimal nn and optim of the core issue: Module registration and repr, Parameter,
Linear (default init, forward, backward), MSELoss, SGD — each against torch."""

import numpy as np
import pytest
import torch

import ember

from conftest import assert_same


class EmberNet(ember.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = ember.nn.Linear(3, 4)
        self.fc2 = ember.nn.Linear(4, 2, bias=False)
        self.register_buffer("running", ember.zeros(2))

    def forward(self, x):
        return self.fc2(self.fc1(x).relu())


class TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(3, 4)
        self.fc2 = torch.nn.Linear(4, 2, bias=False)
        self.register_buffer("running", torch.zeros(2))

    def forward(self, x):
        return self.fc2(self.fc1(x).relu())


def _copy_weights(src, dst):
    """torch module ``src`` -> ember module ``dst``."""
    with ember.no_grad():
        for p, q in zip(src.parameters(), dst.parameters()):
            q.copy_(ember.tensor(p.detach().numpy()))


def test_registration_names_and_state_dict_order():
    e, t = EmberNet(), TorchNet()
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert list(e.state_dict()) == list(t.state_dict())
    assert [n for n, _ in e.named_modules()] == [n for n, _ in t.named_modules()]
    assert all(isinstance(p, ember.nn.Parameter) for p in e.parameters())


def test_module_repr_matches_torch():
    assert repr(EmberNet()).replace("Ember", "Torch") == repr(TorchNet())
    assert repr(ember.nn.MSELoss()) == repr(torch.nn.MSELoss())


def test_parameter_repr_and_leafness():
    p = ember.nn.Parameter(ember.ones(2))
    t = torch.nn.Parameter(torch.ones(2))
    assert repr(p) == repr(t)
    assert p.is_leaf and p.requires_grad


def test_assigning_before_super_init_raises():
    class Bad(ember.nn.Module):
        def __init__(self):
            self.w = ember.nn.Parameter(ember.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad()


def test_registering_a_plain_tensor_as_parameter_raises_like_torch():
    for lib in (ember, torch):
        m = lib.nn.Module()
        x = lib.ones(2, requires_grad=True) * 2
        with pytest.raises(TypeError, match="cannot assign .* to parameter 'w'"):
            m.register_parameter("w", x)


def test_missing_attribute_error_names_module_type():
    with pytest.raises(AttributeError, match="'EmberNet' object has no attribute 'nope'"):
        _ = EmberNet().nope


def test_linear_default_init_matches_torch_with_same_seed():
    ember.manual_seed(0)
    torch.manual_seed(0)
    e, t = ember.nn.Linear(5, 3), torch.nn.Linear(5, 3)
    assert_same(e.weight, t.weight, atol=1e-7, rtol=0)
    assert_same(e.bias, t.bias, atol=1e-7, rtol=0)


def test_linear_forward_backward_match_torch():
    e, t = EmberNet(), TorchNet()
    _copy_weights(t, e)
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    ye, yt = e(ember.tensor(x)), t(torch.tensor(x))
    assert_same(ye, yt)
    ye.pow(2).sum().backward()
    yt.pow(2).sum().backward()
    for p, q in zip(e.parameters(), t.parameters()):
        assert_same(p.grad, q.grad, rtol=1e-5)
    assert ye.grad_fn.name() == "MmBackward0"


def test_mse_loss_reductions_and_broadcast_warning():
    a = np.array([[1.0, 2.0], [3.0, 5.0]], dtype=np.float32)
    b = np.array([[0.5, 2.0], [1.0, 4.0]], dtype=np.float32)
    for reduction in ("mean", "sum", "none"):
        le = ember.nn.MSELoss(reduction=reduction)(ember.tensor(a), ember.tensor(b))
        lt = torch.nn.MSELoss(reduction=reduction)(torch.tensor(a), torch.tensor(b))
        assert_same(le, lt)
    with pytest.warns(UserWarning, match="target size"):
        ember.nn.functional.mse_loss(ember.ones(3, 1), ember.ones(3))


def test_module_to_keeps_parameter_identity_and_casts_floats():
    m = EmberNet()
    w = m.fc1.weight
    m.double()
    assert m.fc1.weight is w and w.dtype is ember.float64
    m.to(ember.float32)
    assert w.dtype is ember.float32


def test_train_eval_and_zero_grad():
    m = EmberNet()
    assert m.training and m.fc1.training
    m.eval()
    assert not m.training and not m.fc1.training
    m(ember.ones(1, 3)).sum().backward()
    assert m.fc1.weight.grad is not None
    m.zero_grad()
    assert m.fc1.weight.grad is None


def test_load_state_dict_strict_errors_and_prefix_hint():
    m = EmberNet()
    sd = {"module." + k: v for k, v in EmberNet().state_dict().items()}
    with pytest.raises(RuntimeError) as err:
        m.load_state_dict(sd)
    assert "Missing key(s) in state_dict" in str(err.value)
    assert "module." in str(err.value) and "DataParallel" in str(err.value)
    result = m.load_state_dict(EmberNet().state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []


@pytest.mark.parametrize("options", [
    dict(lr=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    dict(lr=0.1, momentum=0.5, dampening=0.3, maximize=True),
])
def test_sgd_trajectory_matches_torch(options):
    e, t = EmberNet(), TorchNet()
    _copy_weights(t, e)
    oe = ember.optim.SGD(e.parameters(), **options)
    ot = torch.optim.SGD(t.parameters(), **options)
    x = np.random.default_rng(1).normal(size=(6, 3)).astype(np.float32)
    for _ in range(10):
        for model, opt, lib in ((e, oe, ember), (t, ot, torch)):
            opt.zero_grad()
            model(lib.tensor(x)).pow(2).mean().backward()
            opt.step()
    for p, q in zip(e.parameters(), t.parameters()):
        assert_same(p, q, rtol=1e-5, atol=1e-6)


def test_sgd_errors_and_param_identity():
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        ember.optim.SGD(EmberNet().parameters(), lr=-1)
    p = ember.nn.Parameter(ember.ones(2))
    with pytest.raises(ValueError, match="more than one parameter group"):
        ember.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    opt = ember.optim.SGD([p], lr=0.5)
    (p * 2).sum().backward()
    before = p
    opt.step()
    assert p is before and p.tolist() == [0.0, 0.0]


def test_sgd_state_dict_structure_matches_torch():
    e, t = EmberNet(), TorchNet()
    oe = ember.optim.SGD(e.parameters(), lr=0.1, momentum=0.9)
    ot = torch.optim.SGD(t.parameters(), lr=0.1, momentum=0.9)
    for model, opt, lib in ((e, oe, ember), (t, ot, torch)):
        model(lib.ones(2, 3)).sum().backward()
        opt.step()
    se, st = oe.state_dict(), ot.state_dict()
    assert se["param_groups"] == st["param_groups"]
    assert sorted(se["state"]) == sorted(st["state"])
    assert sorted(se["state"][0]) == sorted(st["state"][0])


def test_reassigning_a_child_keeps_its_place():
    for lib in (ember, torch):
        m = lib.nn.Module()
        m.a = lib.nn.Linear(1, 1)
        m.b = lib.nn.Linear(1, 1)
        m.a = lib.nn.Linear(1, 2)
        m.w = lib.nn.Parameter(lib.ones(1))
        m.v = lib.nn.Parameter(lib.ones(1))
        m.w = lib.nn.Parameter(lib.zeros(1))
        assert [n for n, _ in m.named_children()] == ["a", "b"]
        assert [n for n, _ in m.named_parameters(recurse=False)] == ["w", "v"]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(5, 3), (), (4,)])
def test_mse_loss_gradients_and_double_backward_match_torch(reduction, shape):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=shape), rng.normal(size=shape)
    results = []
    for lib in (ember, torch):
        x, t = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        loss = lib.nn.functional.mse_loss(x, t, reduction=reduction)
        gx, gt = lib.autograd.grad(loss.sum(), (x, t), create_graph=True)
        second = lib.autograd.grad((gx ** 3).sum() + (gt * x).sum(), (x, t))
        results.append([loss, gx, gt, *second])
    for e, t in zip(*results):
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-12, atol=1e-12)
    x = ember.tensor(a, requires_grad=True)
    t = ember.tensor(b, requires_grad=True)
    fn = lambda x, t: ember.nn.functional.mse_loss(x, t, reduction=reduction)  # noqa: E731
    assert ember.autograd.gradcheck(fn, (x, t))
    assert ember.autograd.gradgradcheck(fn, (x, t))


@pytest.mark.parametrize("complex_", [False, True])
def test_linear_first_and_second_gradients_match_torch(complex_):
    """F.linear of a matrix is one node whose weight gradient is its own node (MmTransposed):
    both orders of gradients, real and complex, against torch."""
    rng = np.random.default_rng(1)
    values = [rng.normal(size=s) for s in ((5, 3), (4, 3), (4,))]
    if complex_:
        values = [v + 1j * rng.normal(size=v.shape) for v in values]
    results = []
    for lib in (ember, torch):
        x, w, b = (lib.tensor(v, requires_grad=True) for v in values)
        y = lib.nn.functional.linear(x, w, b)
        grads = lib.autograd.grad((y * y.conj()).real.sum(), (x, w, b), create_graph=True)
        second = lib.autograd.grad(sum((g.abs() ** 2).sum() for g in grads), (x, w, b))
        results.append([y, *grads, *second])
    for e, t in zip(*results):
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-12)
    inputs = [ember.tensor(v, requires_grad=True) for v in values]
    assert ember.autograd.gradgradcheck(ember.nn.functional.linear, inputs)
