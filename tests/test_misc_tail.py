"""The small names of issue 20's tail, each against torch side by side: torch.utils.checkpoint's
helpers and selective activation checkpointing, torch.utils.data's datapipes, the autograd /
func tail, and the torch / Tensor tail (dtypes, storages, odd methods, top-level spellings).

Values are float64 unless a test is about a dtype; float64 results that come from the same
operations in the same order are compared with conftest's float64 tolerances (assert_same).
"""

import functools
import warnings

import numpy as np
import pytest
import torch
import torch.utils.checkpoint as tcp

import ember
import ember.utils.checkpoint as ecp

from conftest import assert_same

CP = {ember: ecp, torch: tcp}


# ---------------------------------------------------------------------- checkpoint helpers


def test_detach_variable_keeps_requires_grad_and_other_values():
    for lib in (ember, torch):
        a = lib.ones(2, requires_grad=True) * 2
        b = lib.zeros(2)
        out = CP[lib].detach_variable((a, b, 3))
        assert out[0].requires_grad and out[0].grad_fn is None and out[0].is_leaf
        assert not out[1].requires_grad and out[2] == 3
        with pytest.raises(RuntimeError, match="Only tuple of tensors"):
            CP[lib].detach_variable([a])


def test_check_backward_validity_warns_like_torch():
    for lib in (ember, torch):
        with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
            CP[lib].check_backward_validity([lib.ones(1), 2])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            CP[lib].check_backward_validity([lib.ones(1, requires_grad=True)])


def test_device_states_of_cpu_tensors_are_empty():
    for lib in (ember, torch):
        assert CP[lib].get_device_states(lib.ones(1), [lib.zeros(2)], 3) == ([], [])
        CP[lib].set_device_states([], [])


def test_debug_and_early_stop_contexts_restore_the_setting():
    def bad(x):  # the recomputation has another shape: the determinism check raises
        bad.calls += 1
        return x.exp().exp() if bad.calls == 1 else x[:1].exp().exp()

    for lib in (ember, torch):
        bad.calls = 0
        x = lib.ones(2, dtype=lib.float64, requires_grad=True)
        with CP[lib].set_checkpoint_debug_enabled(True):
            y = CP[lib].checkpoint(bad, x, use_reentrant=False)
        with pytest.raises(CP[lib].CheckpointError) as info:
            y.sum().backward()
        assert "Tip: To see a more detailed" not in str(info.value), lib  # debug was on
        with CP[lib].set_checkpoint_early_stop(False):
            y = CP[lib].checkpoint(lambda t: t.sin(), x, use_reentrant=False)
        y.sum().backward()


def test_graph_exec_group_does_not_nest():
    for lib in (ember, torch):
        with CP[lib].GraphExecGroup():
            with pytest.raises(RuntimeError, match="cannot be nested"):
                with CP[lib].GraphExecGroup():
                    pass
        with CP[lib].GraphExecGroup():  # the first one was left: a new one may start
            pass


def test_checkpoint_policy_enum_matches_torch():
    assert [(p.name, p.value) for p in ecp.CheckpointPolicy] == \
        [(p.name, p.value) for p in tcp.CheckpointPolicy]
    ctx = ecp.SelectiveCheckpointContext(is_recompute=False, op_output=1)
    assert ctx.is_recompute is False and ctx.op_output == 1
    assert isinstance(ecp.SAC_IGNORED_OPS, set)


# ---------------------------------------------------------------------- selective checkpoint

MATMUL = {ember: ember.ops.linalg.Matmul, torch: torch.ops.aten.mm.default}
W = np.random.default_rng(1).standard_normal((4, 4))
XS = np.random.default_rng(2).standard_normal((3, 4))


def sac_grads(lib, policy_or_list, retain=False):
    x = lib.tensor(XS, requires_grad=True)
    w = lib.tensor(W, requires_grad=True)

    def fn(x, w):
        return lib.sigmoid(lib.mm(lib.tanh(lib.mm(x, w)), w)).sum()

    context_fn = functools.partial(CP[lib].create_selective_checkpoint_contexts, policy_or_list)
    out = CP[lib].checkpoint(fn, x, w, use_reentrant=False, context_fn=context_fn)
    out.backward(retain_graph=retain)
    return out, x.grad, w.grad


@pytest.mark.parametrize("form", ["list", "policy", "bool"])
def test_selective_checkpoint_gradients_equal_torch(form):
    results = {}
    for lib in (ember, torch):
        seen = []

        def policy(ctx, op, *args, lib=lib, seen=seen):
            seen.append(ctx.is_recompute)
            keep = op == MATMUL[lib]
            if form == "bool":
                return keep
            return CP[lib].CheckpointPolicy.MUST_SAVE if keep else \
                CP[lib].CheckpointPolicy.PREFER_RECOMPUTE

        results[lib] = sac_grads(lib, [MATMUL[lib]] if form == "list" else policy)
        assert not any(seen)  # torch 2.13: the policy runs in the first run only
    for a, b in zip(results[ember], results[torch]):
        assert_same(a, b)


def test_kept_ops_are_not_run_again(monkeypatch):
    """Counting Matmul's forward: the recomputation of both matmuls is what a policy that
    keeps them saves (the backward formulas run matmuls too, the same in both runs)."""
    calls = []
    forward = ember.ops.linalg.Matmul.forward

    def counting(self, *arrays):
        calls.append(1)
        return forward(self, *arrays)

    monkeypatch.setattr(ember.ops.linalg.Matmul, "forward", counting)
    policy = ecp.CheckpointPolicy
    kept = sac_grads(ember, lambda ctx, op, *a: policy.MUST_SAVE if op is MATMUL[ember]
                     else policy.PREFER_RECOMPUTE)
    kept_calls = len(calls)
    calls.clear()
    again = sac_grads(ember, lambda ctx, op, *a: policy.PREFER_RECOMPUTE)
    assert len(calls) - kept_calls == 2
    for a, b in zip(kept, again):
        assert_same(a, b)
    assert ember.ops.linalg.Matmul.apply is ember.autograd.function.Node.apply  # unwrapped


def test_selective_checkpoint_second_backward_and_bad_policies_raise_like_torch():
    for lib in (ember, torch):
        out = sac_grads(lib, [MATMUL[lib]], retain=True)[0]
        with pytest.raises(RuntimeError, match="backward an extra time"):
            out.backward()
        with pytest.raises(ValueError, match="Expected op in `op_list`"):
            CP[lib].create_selective_checkpoint_contexts([lib.mm])
        with pytest.raises(TypeError, match="must be either a function or a list"):
            CP[lib].create_selective_checkpoint_contexts(3)


def test_kept_output_changed_in_place_raises_unless_allowed():
    for lib in (ember, torch):
        def fn(x, lib=lib):
            y = lib.mm(x, x)
            y.mul_(2)
            return y.sin().sum()

        for allow in (False, True):
            x = lib.tensor(W, requires_grad=True)
            context_fn = functools.partial(CP[lib].create_selective_checkpoint_contexts,
                                           [MATMUL[lib]], allow_cache_entry_mutation=allow)
            out = CP[lib].checkpoint(fn, x, use_reentrant=False, context_fn=context_fn)
            if allow:
                out.backward()
            else:
                with pytest.raises(RuntimeError, match="has been mutated"):
                    out.backward()
