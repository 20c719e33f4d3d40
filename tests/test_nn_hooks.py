"""Module hooks against torch: full backward hooks (grad_input / grad_output, replacing them),
backward pre-hooks, forward hooks with kwargs and prepend."""

import warnings

import numpy as np
import pytest
import torch

import ember

from conftest import assert_same


def _pair_linear(in_f=3, out_f=2):
    t = torch.nn.Linear(in_f, out_f)
    e = ember.nn.Linear(in_f, out_f)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return e, t


def _record(log):
    def hook(module, grad_input, grad_output):
        log.append((grad_input, grad_output))
    return hook


@pytest.mark.parametrize("x_requires_grad", [True, False])
def test_full_backward_hook_sees_torch_grads(x_requires_grad):
    e, t = _pair_linear()
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    e_log, t_log = [], []
    e.register_full_backward_hook(_record(e_log))
    t.register_full_backward_hook(_record(t_log))
    ex = ember.tensor(x, requires_grad=x_requires_grad)
    tx = torch.tensor(x, requires_grad=x_requires_grad)
    with warnings.catch_warnings(record=True) as e_warned:
        warnings.simplefilter("always")
        (e(ex) ** 2).sum().backward()
    with warnings.catch_warnings(record=True) as t_warned:
        warnings.simplefilter("always")
        (t(tx) ** 2).sum().backward()
    assert len(e_warned) == len(t_warned)  # torch warns when no input requires grad
    assert len(e_log) == len(t_log) == 1
    (e_in, e_out), (t_in, t_out) = e_log[0], t_log[0]
    assert len(e_in) == len(t_in) and len(e_out) == len(t_out)
    for a, b in zip(e_in + e_out, t_in + t_out):
        if b is None:
            assert a is None
        else:
            assert_same(a, b)
    assert e(ex).grad_fn.name() == t(tx).grad_fn.name() == "BackwardHookFunctionBackward"
    assert_same(e.weight.grad, t.weight.grad)


def test_hook_replaces_grad_input_and_pre_hook_replaces_grad_output():
    e, t = _pair_linear()
    x = np.ones((2, 3), dtype=np.float32)
    for m in (e, t):
        m.register_full_backward_pre_hook(lambda mod, g_out: (g_out[0] * 3,))
        m.register_full_backward_hook(lambda mod, g_in, g_out: (g_in[0] + 1,))
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    e(ex).sum().backward()
    t(tx).sum().backward()
    assert_same(ex.grad, tx.grad)
    assert_same(e.weight.grad, t.weight.grad)  # parameters see the replaced grad_output


def test_hook_on_a_sequential_and_removal():
    layers = [ember.nn.Linear(3, 4), ember.nn.ReLU(), ember.nn.Linear(4, 1)]
    model = ember.nn.Sequential(*layers)
    calls = []
    handle = model.register_full_backward_hook(lambda m, gi, go: calls.append(m))
    x = ember.randn(5, 3, requires_grad=True)
    model(x).sum().backward()
    assert calls == [model]
    handle.remove()
    model(x).sum().backward()
    assert calls == [model]


def test_wrong_number_of_grad_input_raises_torch_error():
    e, _ = _pair_linear()
    e.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="invalid number of grad_input"):
        e(ember.randn(2, 3, requires_grad=True)).sum().backward()


def test_forward_hooks_with_kwargs_and_prepend():
    class Scale(ember.nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    m, order = Scale(), []
    m.register_forward_hook(lambda mod, args, out: order.append("second"))
    m.register_forward_hook(lambda mod, args, out: order.append("first"), prepend=True)

    def pre(mod, args, kwargs):
        return args, {"factor": kwargs.get("factor", 1.0) * 10}

    m.register_forward_pre_hook(pre, with_kwargs=True)
    seen = []
    m.register_forward_hook(lambda mod, args, kwargs, out: seen.append(dict(kwargs)),
                            with_kwargs=True)
    out = m(ember.ones(2), factor=2.0)
    assert out.tolist() == [20.0, 20.0]
    assert order == ["first", "second"]
    assert seen == [{"factor": 20.0}]


def test_no_hook_wrapping_under_no_grad():
    e, _ = _pair_linear()
    e.register_full_backward_hook(lambda m, gi, go: None)
    with ember.no_grad():
        y = e(ember.ones(1, 3))
    assert y.grad_fn is None
