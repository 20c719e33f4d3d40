"""The engine: accumulation, diamonds, retain_graph, errors, hooks, grad(), version checks."""

import numpy as np
import pytest
import torch

import ember

from conftest import assert_same, pair


def test_diamond_and_reuse_accumulate_like_torch():
    e, t = pair([1.0, 2.0, 3.0], requires_grad=True)
    for x in (e, t):
        b = x + x
        c = b * b + b
        c.sum().backward()
    assert_same(e.grad, t.grad)


def test_grad_accumulates_across_backward_calls():
    e, t = pair([1.0, -2.0], requires_grad=True)
    for x in (e, t):
        (x * 3).sum().backward()
        (x * x).sum().backward()
    assert_same(e.grad, t.grad)


def test_second_backward_through_freed_graph_raises():
    e = ember.tensor([1.0, 2.0], requires_grad=True)
    y = (e * e).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_second_backward():
    e, t = pair([1.0, 2.0], requires_grad=True)
    for x in (e, t):
        y = (x * x).sum()
        y.backward(retain_graph=True)
        y.backward()
    assert_same(e.grad, t.grad)


def test_non_scalar_root_needs_gradient():
    e = ember.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        (e * 2).backward()
    (e * 2).backward(ember.tensor([1.0, 10.0]))
    np.testing.assert_allclose(e.grad.numpy(), [2.0, 20.0])


def test_backward_on_tensor_without_grad_raises_torch_error():
    e = ember.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        e.sum().backward()


def test_broadcast_gradients_are_summed_to_input_shape():
    a_np = np.random.rand(3, 1).astype(np.float32)
    b_np = np.random.rand(4).astype(np.float32)
    ea, ta = pair(a_np, requires_grad=True)
    eb, tb = pair(b_np, requires_grad=True)
    (ea * eb + ea).sum().backward()
    (ta * tb + ta).sum().backward()
    assert_same(ea.grad, ta.grad)
    assert_same(eb.grad, tb.grad)


def test_mixed_dtype_gradients_keep_each_inputs_dtype():
    a = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    b = ember.tensor([3.0, 4.0], dtype=ember.float32, requires_grad=True)
    y = a * b
    assert y.dtype is ember.float64
    y.sum().backward()
    assert a.grad.dtype is ember.float64 and b.grad.dtype is ember.float32


def test_autograd_grad_returns_without_touching_dot_grad():
    e, t = pair([1.0, 2.0, 3.0], requires_grad=True)
    (ge,) = ember.autograd.grad((e ** 3).sum(), e)
    (gt,) = torch.autograd.grad((t ** 3).sum(), t)
    assert_same(ge, gt)
    assert e.grad is None


def test_double_backward_of_cube():
    e, t = pair([1.0, 2.0, 3.0], requires_grad=True)
    (ge,) = ember.autograd.grad((e ** 3).sum(), e, create_graph=True)
    (gt,) = torch.autograd.grad((t ** 3).sum(), t, create_graph=True)
    ge.sum().backward()
    gt.sum().backward()
    assert_same(e.grad, t.grad)  # 6x


def test_unused_input_errors_unless_allowed():
    a = ember.tensor([1.0], requires_grad=True)
    b = ember.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        ember.autograd.grad((a * 2).sum(), [a, b])
    ga, gb = ember.autograd.grad((a * 2).sum(), [a, b], allow_unused=True)
    assert gb is None and ga.item() == 2.0


def test_no_grad_records_nothing_and_nests():
    x = ember.tensor([1.0], requires_grad=True)
    with ember.no_grad():
        y = x * 2
        with ember.enable_grad():
            z = x * 2
    assert y.grad_fn is None and not y.requires_grad
    assert z.grad_fn is not None
    assert ember.is_grad_enabled()


def test_no_grad_as_decorator():
    @ember.no_grad()
    def f(x):
        return x * 2

    x = ember.tensor([1.0], requires_grad=True)
    assert f(x).requires_grad is False


def test_grad_fn_names_and_next_functions():
    e, t = pair([1.0, 2.0], requires_grad=True)
    for x in (e, t):
        y = x * 2
        assert type(y.grad_fn).__name__ in ("MulBackward0",) or y.grad_fn.name() == "MulBackward0"
    ye = e * 2
    (acc, nr), (none, _) = ye.grad_fn.next_functions
    assert type(acc).__name__ == "AccumulateGrad" and acc.variable is e and none is None
    assert (e + 1).grad_fn.name() == "AddBackward0"
    assert e.sum().grad_fn.name() == "SumBackward0"
    assert e.sum(0).grad_fn.name() == "SumBackward1"


def test_inplace_modification_of_saved_tensor_is_detected():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = a * 1
    c = b * b
    b.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        c.sum().backward()


def test_inplace_on_leaf_requiring_grad_raises():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        a.add_(1)


def test_inplace_on_nonleaf_keeps_gradient_right():
    e, t = pair([1.0, 2.0, 3.0], requires_grad=True)
    for x in (e, t):
        y = x * 2
        y.mul_(3)
        y.add_(1)
        y.sum().backward()
    assert_same(e.grad, t.grad)


def test_tensor_hooks_can_replace_gradients():
    e, t = pair([1.0, 2.0], requires_grad=True)
    for x in (e, t):
        x.register_hook(lambda g: g * 10)
        y = x * 3
        y.register_hook(lambda g: g + 1)
        y.sum().backward()
    assert_same(e.grad, t.grad)


def test_retain_grad_on_nonleaf():
    e, t = pair([1.0, 2.0], requires_grad=True)
    out = []
    for x in (e, t):
        y = x * 3
        y.retain_grad()
        (y * y).sum().backward()
        out.append(y.grad)
    assert_same(out[0], out[1])


def test_deep_graph_does_not_hit_recursion_limit():
    x = ember.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(5000):
        y = y + 1
    y.sum().backward()
    assert x.grad.item() == 1.0


@pytest.mark.parametrize("hooks_registered", [False, True])
def test_engine_fast_and_general_paths_give_torchs_gradients(hooks_registered, monkeypatch):
    """Until any hook is registered the engine skips its hook checks (function.any_hooks);
    both paths must give torch's gradients (leaves used twice, broadcasting, accumulation)."""
    from ember.autograd import function

    monkeypatch.setattr(function.any_hooks, "registered", hooks_registered)
    rng = np.random.default_rng(0)
    values = [rng.normal(size=(3, 4)), rng.normal(size=(4,)), rng.normal(size=())]
    grads = []
    for lib in (ember, torch):
        x, b, s = (lib.tensor(v, requires_grad=True) for v in values)
        for _ in range(2):  # the second backward accumulates into .grad
            y = ((x * b + s) * x).sum() + (b * s).sum()
            y.backward()
        grads.append([t.grad for t in (x, b, s)])
    for e, t in zip(*grads):
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-12)


def test_registering_a_hook_turns_the_engine_to_its_general_path(monkeypatch):
    from ember.autograd import function

    monkeypatch.setattr(function.any_hooks, "registered", False)
    x = ember.ones(3, requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.clone()) or g * 2)
    assert function.any_hooks.registered
    (x * 3).sum().backward()
    assert seen and seen[0].tolist() == [3.0, 3.0, 3.0]
    assert x.grad.tolist() == [6.0, 6.0, 6.0]
