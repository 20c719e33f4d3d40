"""nn.utils against torch: gradient clipping, parameters <-> vector, weight_norm, spectral_norm."""

import numpy as np
import pytest
import torch

import ember

from conftest import assert_same


def _params_with_grads(seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (4,), (2, 2, 3)]
    values = [rng.normal(size=s).astype(np.float32) for s in shapes]
    grads = [(rng.normal(size=s) * scale).astype(np.float32) for s in shapes]
    e, t = [], []
    for v, g in zip(values, grads):
        ep, tp = ember.nn.Parameter(ember.tensor(v)), torch.nn.Parameter(torch.tensor(v))
        ep.grad, tp.grad = ember.tensor(g), torch.tensor(g)
        e.append(ep)
        t.append(tp)
    return e, t


@pytest.mark.parametrize("norm_type", [2.0, 1, float("inf"), 0.5, 3])
@pytest.mark.parametrize("max_norm", [0.1, 100.0])
def test_clip_grad_norm_equals_torch(norm_type, max_norm):
    e, t = _params_with_grads()
    e_total = ember.nn.utils.clip_grad_norm_(e, max_norm, norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(t, max_norm, norm_type)
    assert_same(e_total, t_total)
    for a, b in zip(e, t):
        assert_same(a.grad, b.grad)


def test_clip_grad_norm_nonfinite_and_edge_cases():
    e, t = _params_with_grads()
    e[0].grad[0, 0] = float("inf")
    t[0].grad[0, 0] = float("inf")
    with pytest.raises(RuntimeError, match="non-finite"):
        torch.nn.utils.clip_grad_norm_(t, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="non-finite"):
        ember.nn.utils.clip_grad_norm_(e, 1.0, error_if_nonfinite=True)
    # a single tensor, and parameters without grads
    p = ember.nn.Parameter(ember.ones(3))
    assert ember.nn.utils.clip_grad_norm_(p, 1.0).item() == 0.0
    p.grad = ember.full((3,), 2.0)
    total = ember.nn.utils.clip_grad_norm_(p, 1.0)
    assert total.item() == pytest.approx(np.sqrt(12))
    np.testing.assert_allclose(p.grad.norm().item(), 1.0, rtol=1e-5)


def test_clip_grad_value_equals_torch():
    e, t = _params_with_grads(scale=3.0)
    ember.nn.utils.clip_grad_value_(e, 1.5)
    torch.nn.utils.clip_grad_value_(t, 1.5)
    for a, b in zip(e, t):
        assert_same(a.grad, b.grad)


def test_parameters_to_vector_and_back():
    e, t = _params_with_grads()
    ev, tv = ember.nn.utils.parameters_to_vector(e), torch.nn.utils.parameters_to_vector(t)
    assert_same(ev.detach(), tv.detach())
    new = np.arange(ev.numel(), dtype=np.float32)
    ember.nn.utils.vector_to_parameters(ember.tensor(new), e)
    torch.nn.utils.vector_to_parameters(torch.tensor(new), t)
    for a, b in zip(e, t):
        assert_same(a.detach(), b.detach())
    with pytest.raises(TypeError, match="expected torch.Tensor"):
        ember.nn.utils.vector_to_parameters(new, e)


def _linear_pair(in_f=5, out_f=4):
    t = torch.nn.Linear(in_f, out_f)
    e = ember.nn.Linear(in_f, out_f)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return e, t


@pytest.mark.parametrize("dim", [0, 1, None, -1, -2])  # -1: torch's old spelling of None
def test_weight_norm_equals_torch(dim):
    e, t = _linear_pair()
    ember.nn.utils.weight_norm(e, dim=dim)
    torch.nn.utils.weight_norm(t, dim=dim)
    assert list(e.state_dict()) == list(t.state_dict())
    for k, v in t.state_dict().items():
        assert_same(e.state_dict()[k], v.detach())
    x = np.random.default_rng(1).normal(size=(3, 5)).astype(np.float32)
    ey, ty = e(ember.tensor(x)), t(torch.tensor(x))
    assert_same(ey.detach(), ty.detach())
    (ey ** 2).sum().backward()
    (ty ** 2).sum().backward()
    assert_same(e.weight_g.grad, t.weight_g.grad)
    assert_same(e.weight_v.grad, t.weight_v.grad)
    ember.nn.utils.remove_weight_norm(e)
    torch.nn.utils.remove_weight_norm(t)
    assert list(e.state_dict()) == list(t.state_dict())
    assert_same(e(ember.tensor(x)).detach(), ty.detach())


def test_spectral_norm_equals_torch_for_the_same_seed():
    e, t = _linear_pair(6, 4)
    torch.manual_seed(0)
    ember.manual_seed(0)
    ember.nn.utils.spectral_norm(e)
    torch.nn.utils.spectral_norm(t)
    assert sorted(e.state_dict()) == sorted(t.state_dict())
    assert_same(e.weight_u, t.weight_u)
    assert_same(e.weight_v, t.weight_v)
    x = np.random.default_rng(2).normal(size=(3, 6)).astype(np.float32)
    for _ in range(3):  # power iterations in training mode
        ey, ty = e(ember.tensor(x)), t(torch.tensor(x))
    assert_same(ey.detach(), ty.detach(), rtol=1e-5, atol=1e-6)
    (ey ** 2).sum().backward()
    (ty ** 2).sum().backward()
    assert_same(e.weight_orig.grad, t.weight_orig.grad, rtol=1e-4, atol=1e-5)
    e.eval()
    t.eval()
    assert_same(e(ember.tensor(x)).detach(), t(torch.tensor(x)).detach(), rtol=1e-5, atol=1e-6)
    assert_same(e.weight_u, t.weight_u, rtol=1e-5, atol=1e-6)
