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


# ---------------------------------------------------------------- dependency-counted order

def test_refreshed_view_runs_once_with_its_whole_gradient():
    """A view refreshed after an in-place change of its base gets its node when it first
    enters an op; that node must run once, after both consumers sent their gradient."""
    results = {}
    for lib in (torch, ember):
        x = lib.arange(4.0, requires_grad=True)
        base = x * x
        v = base[0:2]
        base.mul_(x)
        a = v * 3
        b = v * 5
        seen = []
        v.register_hook(lambda g, seen=seen: seen.append(g.clone()))
        (a.sum() + b.sum()).backward()
        results[lib] = ([s.tolist() for s in seen], x.grad.tolist())
    assert results[ember] == results[torch] == ([[8.0, 8.0]], [0.0, 24.0, 0.0, 0.0])


def test_diamond_with_a_view_on_each_branch():
    results = {}
    for lib in (torch, ember):
        x = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        h = x * 2
        left, right = h[:2], h.view(2, 2)[1]
        calls = []
        h.register_hook(lambda g, calls=calls: calls.append(g.tolist()))
        left.register_hook(lambda g, calls=calls: calls.append(("left", g.tolist())))
        ((left * right).sum() + (left.exp() * 0.5).sum()).backward()
        results[lib] = (calls, x.grad.tolist())
    assert len(results[ember][0]) == len(results[torch][0]) == 2  # each hook once
    np.testing.assert_allclose(results[ember][1], results[torch][1], rtol=1e-6)
    np.testing.assert_allclose(results[ember][0][1], results[torch][0][1], rtol=1e-6)


def test_a_node_whose_consumers_send_no_gradient_does_not_stall_the_graph():
    """A consumer returning None for one input: the nodes below it still run when their other
    consumers are done, and leaves get what reached them."""
    class Half(ember.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * 1.0

        @staticmethod
        def backward(ctx, grad):
            return grad, None  # nothing for b

    x = ember.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    out = Half.apply(x * 2, h.exp()) + h
    out.sum().backward()
    assert x.grad.tolist() == [5.0, 5.0]


# ---------------------------------------------------------------- pruning (grad, inputs=)

class Counter:
    """Counts the backward runs of every node reachable from a tensor."""

    def __init__(self, out):
        self.runs = {}
        stack = [out.grad_fn]
        while stack:
            node = stack.pop()
            if node is None or node in self.runs:
                continue
            self.runs[node] = 0
            node.register_prehook(lambda grads, node=node: self.count(node))
            stack += [t for t, nr, _s, _d in node._edges if nr >= 0]

    def count(self, node):
        self.runs[node] += 1

    def ran(self):
        return sorted(n.name() for n, c in self.runs.items() if c)


def mlp(lib, layers=5, width=16):
    lib.manual_seed(0)
    mods = []
    for _ in range(layers):
        mods += [lib.nn.Linear(width, width), lib.nn.Tanh()]
    return lib.nn.Sequential(*mods)


def test_grad_wrt_the_input_fires_no_weight_hook_and_runs_no_weight_gradient():
    """A saliency map: grad(net(x).sum(), x) needs no weight gradient, as in torch."""
    fired = {}
    for lib in (torch, ember):
        net = mlp(lib)
        x = lib.randn(4, 16, requires_grad=True)
        fired[lib] = []
        for name, p in net.named_parameters():
            p.register_hook(lambda g, name=name, lib=lib: fired[lib].append(name))
        (g,) = lib.autograd.grad(net(x).sum(), x)
        assert all(p.grad is None for p in net.parameters())
    assert fired[ember] == fired[torch] == []


def test_grad_wrt_the_input_computes_no_weight_gradient_inside_a_node():
    """Inside a linear layer's node only the input's gradient is computed, as in torch: its
    post hook sees None for the weight and the bias."""
    seen = {}
    for lib in (torch, ember):
        lin = lib.nn.Linear(3, 2)
        x = lib.randn(4, 3, requires_grad=True)
        out = lin(x).tanh().sum()
        node = out.grad_fn.next_functions[0][0].next_functions[0][0]
        seen[lib] = []
        node.register_hook(lambda gi, go, lib=lib: seen[lib].append([g is None for g in gi]))
        lib.autograd.grad(out, x, retain_graph=True)
        out.backward()
    assert seen[ember] == seen[torch] == [[True, False, True], [False, False, False]]


def test_backward_with_inputs_touches_only_those_and_runs_only_their_path():
    net = mlp(ember, layers=3)
    first, last = net[0].weight, net[4].weight
    x = ember.randn(4, 16)
    out = net(x).sum()
    counter = Counter(out)
    out.backward(inputs=[last])
    assert last.grad is not None
    assert all(p.grad is None for p in net.parameters() if p is not last)
    # the path to the last layer's weight: the sum, tanh, and the last linear only
    assert counter.ran() == ["AddmmBackward0", "SumBackward0", "TanhBackward0"]
    out2 = net(x).sum()
    counter = Counter(out2)
    out2.backward(inputs=[first])
    # every node down to the first layer runs, each once; only the first weight gets .grad
    assert counter.ran() == ["AddmmBackward0"] * 3 + ["SumBackward0"] + ["TanhBackward0"] * 3
    assert set(counter.runs.values()) == {1}
    assert first.grad is not None and net[2].weight.grad is None


def test_backward_inputs_values_equal_torch():
    grads = {}
    for lib in (torch, ember):
        net = mlp(lib, layers=3)
        lib.manual_seed(1)
        x = lib.randn(4, 16)
        net(x).pow(2).sum().backward(inputs=[net[2].weight, net[0].bias])
        grads[lib] = [None if p.grad is None else p.grad.detach().numpy()
                      for p in net.parameters()]
    for e, t in zip(grads[ember], grads[torch]):
        assert (e is None) == (t is None)
        if e is not None:  # float32 through 3 layers: a few ulps of each term
            np.testing.assert_allclose(e, t, rtol=1e-5, atol=1e-6)


def test_hooks_of_the_wanted_input_fire_and_change_what_grad_returns():
    results = {}
    for lib in (torch, ember):
        x = lib.ones(2, requires_grad=True)
        w = lib.ones(2, requires_grad=True)
        calls = []
        x.register_hook(lambda g, calls=calls: calls.append("x") or g * 10)
        w.register_hook(lambda g, calls=calls: calls.append("w"))
        h = x * 2
        h.register_hook(lambda g, calls=calls: calls.append("h"))
        (gx,) = lib.autograd.grad((h * w).sum(), x)
        (gh,) = lib.autograd.grad((h * 3).sum(), h)
        results[lib] = (gx.tolist(), gh.tolist(), calls)
    assert results[ember] == results[torch]


def test_backward_inputs_with_a_non_leaf_fills_its_grad():
    results = {}
    for lib in (torch, ember):
        x = lib.ones(2, requires_grad=True)
        h = x * 2
        (h * 3).sum().backward(inputs=[h])
        results[lib] = (h.grad.tolist(), x.grad)
    assert results[ember] == results[torch] == ([3.0, 3.0], None)
