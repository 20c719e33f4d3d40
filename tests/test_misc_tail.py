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


# ---------------------------------------------------------------------- datapipes

import torch.utils.data as tdata  # noqa: E402
import torch.utils.data.datapipes.iter as titer  # noqa: E402
import torch.utils.data.datapipes.map as tmap  # noqa: E402

import ember.utils.data as edata  # noqa: E402
import ember.utils.data.datapipes.iter as eiter  # noqa: E402
import ember.utils.data.datapipes.map as emap  # noqa: E402

DATA = {ember: edata, torch: tdata}
ITER = {ember: eiter, torch: titer}
MAP = {ember: emap, torch: tmap}


def both(build):
    """``build(lib)`` in each library; the results must be equal (lists, as plain lists)."""
    out = {}
    for lib in (ember, torch):
        lib.manual_seed(0)
        out[lib] = build(lib)
    assert out[ember] == out[torch], out
    return out[ember]


@pytest.mark.filterwarnings("ignore:Local function is not supported by pickle")
def test_iter_datapipe_chains_like_torch():
    """(torch allows one live iterator per IterDataPipe: each use below builds its own.)"""
    def chain(lib):
        def dp(values=range(11)):
            return ITER[lib].IterableWrapper(values)

        def evens():
            return dp().map(lambda x: x * 3).filter(lambda x: x % 2 == 0)

        return [list(evens().batch(2)), list(evens().batch(2, drop_last=True)),
                len(dp().batch(3)), list(dp().batch(3).batch(2).unbatch(2)),
                list(dp().batch(3).unbatch(-1)), list(dp().zip(dp().map(str))),
                list(dp().concat(dp())), len(dp().concat(dp())),
                list(dp().mux(dp([-1, -2]))),
                list(dp().shuffle(buffer_size=4)), list(dp().shuffle()), list(dp().shuffle()),
                list(dp().batch(4).shuffle(unbatch_level=1)),
                [list(c) for c in dp().fork(2)],
                [list(c) for c in dp().demux(3, lambda x: x % 3)],
                list(dp([(1, 2), (3, 4)]).map(lambda a: a * 10, input_col=1)),
                list(dp([[1, 2], [3, 4]]).map(lambda a, b: a + b, input_col=[0, 1],
                                              output_col=-1)),
                list(dp([(1, 2), (3, 4)]).filter(lambda b: b > 2, input_col=1)),
                type(next(iter(dp().batch(2)))).__name__]

    both(chain)


def test_datapipe_collate_and_dataloader_like_torch():
    def collated(lib):
        dp = ITER[lib].IterableWrapper(np.arange(6.0).reshape(3, 2)).batch(2).collate()
        return [b.tolist() for b in dp]

    both(collated)

    def loaded(lib, shuffle):
        dp = ITER[lib].IterableWrapper(range(8)).shuffle().sharding_filter()
        return [b.tolist() for b in DATA[lib].DataLoader(dp, batch_size=3, shuffle=shuffle)]

    for shuffle in (None, True, False):
        got = both(lambda lib, shuffle=shuffle: loaded(lib, shuffle))
        if shuffle is False:
            assert got == [[0, 1, 2], [3, 4, 5], [6, 7]]


def test_datapipe_sharding_in_dataloader_workers():
    dp = eiter.IterableWrapper(range(10)).sharding_filter()
    got = sorted(int(x) for b in edata.DataLoader(dp, batch_size=None, num_workers=2)
                 for x in [b])
    assert got == list(range(10))  # each worker read its share, none twice
    sharded = eiter.IterableWrapper(range(10)).sharding_filter()
    sharded.apply_sharding(3, 1)
    assert list(sharded) == [1, 4, 7] and len(sharded) == 3


@pytest.mark.filterwarnings("ignore:Local function is not supported by pickle")
def test_map_datapipe_chains_like_torch():
    def chain(lib):
        dp = MAP[lib].SequenceWrapper(list(range(7)))
        return [list(dp.map(lambda x: x + 1)), dp.batch(3)[2], len(dp.batch(3)),
                len(dp.batch(3, drop_last=True)), list(dp.zip(dp.map(str))),
                list(dp.concat(dp)), list(dp.shuffle()), list(dp.shuffle(indices=[1, 3, 5])),
                isinstance(dp.shuffle(), DATA[lib].IterDataPipe)]

    both(chain)


@pytest.mark.filterwarnings("ignore:Local function is not supported by pickle")
def test_datapipe_errors_like_torch():
    for lib in (ember, torch):
        dp = ITER[lib].IterableWrapper(range(3))
        concater = ITER[lib].Concater
        for bad, error in [(lambda dp: dp.batch(0), AssertionError),
                           (lambda dp: dp.shuffle(buffer_size=0), AssertionError),
                           (lambda dp: dp.zip([1]), TypeError),
                           (lambda dp: dp.concat([1]), TypeError),
                           (lambda dp, make=concater: make(), ValueError),
                           (lambda dp: dp.fork(0), ValueError),
                           (lambda dp: list(dp.filter(lambda x: 1)), ValueError),
                           (lambda dp: list(dp.unbatch()), IndexError),
                           (lambda dp: len(dp.filter(bool)), TypeError),
                           (lambda dp: dp.no_such_function, AttributeError),
                           (lambda dp: dp.map(abs, output_col=1), ValueError)]:
            with pytest.raises(error):
                bad(dp)


def test_functional_datapipe_registers_a_new_name():
    @edata.functional_datapipe("ember_test_double")
    class Doubler(edata.IterDataPipe):
        def __init__(self, source, times=2):
            self.source, self.times = source, times

        def __iter__(self):
            for x in self.source:
                yield x * self.times

    assert list(eiter.IterableWrapper([1, 2]).ember_test_double(times=3)) == [3, 6]
    assert "ember_test_double" in dir(eiter.IterableWrapper([]))
    with pytest.raises(Exception, match="already taken"):
        edata.functional_datapipe("ember_test_double")(Doubler)
    with pytest.raises(TypeError):
        edata.functional_datapipe("x")(int)


def test_determinism_and_validation_decorators_like_torch():
    for lib in (ember, torch):
        d = DATA[lib]

        @d.non_deterministic
        class Rand(d.IterDataPipe):
            def __iter__(self):
                yield 1

        list(Rand())
        with d.guaranteed_datapipes_determinism():
            with pytest.raises(TypeError, match="non-deterministic"):
                Rand()
        with pytest.raises(TypeError, match="Only `IterDataPipe`"):
            d.non_deterministic(int)

        @d.argument_validation
        def takes(dp: d.IterDataPipe, subscripted: d.IterDataPipe[int] = None):
            return dp

        if lib is ember:  # torch 2.13 fails here on its DataPipes' lost ``.type``
            takes(ITER[lib].IterableWrapper([1]), [1])  # a subscripted hint is not checked
        with pytest.raises(TypeError, match="as a IterDataPipe"):
            takes([1])
        with pytest.raises(TypeError, match="Can not decorate"):
            d.runtime_validation(lambda self: None)

        chunk = d.DataChunk([1, 2])
        assert list(chunk) == [1, 2] and chunk.as_str("  ") == "  [1, 2]"
        assert list(chunk.raw_iterator()) == [1, 2] and isinstance(chunk, list)
        assert issubclass(d.DFIterDataPipe, d.IterDataPipe)


def test_runtime_validation_checks_the_declared_type():
    """ember only: torch 2.13's DataPipes have no ``.type`` any more (its runtime_validation
    raises AttributeError), ember keeps the documented check."""
    class Ints(edata.IterDataPipe[int]):
        def __init__(self, values):
            self.values = values

        @edata.runtime_validation
        def __iter__(self):
            yield from self.values

    assert list(Ints([1, 2])) == [1, 2]
    with pytest.raises(RuntimeError, match="Expected an instance as subtype"):
        list(Ints([1, "a"]))
    with edata.runtime_validation_disabled():
        assert list(Ints([1, "a"])) == [1, "a"]


# ---------------------------------------------------------------------- autograd / func tail


def test_autograd_variable_raises_like_torch():
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match=r"variable\(...\) is deprecated"):
            lib.autograd.variable(1)
    from ember.autograd.variable import Variable  # the old import path still works

    assert Variable is ember.autograd.Variable


@pytest.mark.parametrize("name", ["set_multithreading_enabled", "enforce_grad_layout_policy"])
def test_engine_switches_set_and_restore_like_torch(name):
    from ember.autograd import engine_switches as es

    read = {"set_multithreading_enabled": es.is_multithreading_enabled,
            "enforce_grad_layout_policy": es.is_grad_layout_policy_enforced}[name]
    switch = getattr(ember.autograd, name)
    switch(False)  # a call sets it until changed
    assert read() is False
    switch(True)
    with switch(False) as entered:
        assert read() is False and entered is None
    assert read() is True

    @switch(False)
    def inside():
        return read()

    assert read() is True and inside() is False and read() is True
    assert switch(False).clone().mode is False
    switch(True)
    x = ember.ones(3, requires_grad=True)  # gradients unchanged under either setting
    with switch(False):
        (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]
    for lib in (ember, torch):
        getattr(lib.autograd, name)(True)


def test_nested_io_function_runs_nested_inputs_and_outputs():
    """torch 2.13 can no longer call a NestedIOFunction (AttributeError); the gradients
    are checked against plain torch autograd of the same expressions instead."""
    class MulPair(ember.autograd.NestedIOFunction):
        def forward_extended(self, a, bc):
            b, c = bc
            self.save_for_backward(a, [b, c])
            return a * b, [a * c]

        def backward_extended(self, g1, g2):
            a, (b, c) = self.saved_tensors
            (g2,) = g2
            return g1 * b + g2 * c, [g1 * a, g2 * a]

    values = [np.array([1.0, 2.0]), np.array([3.0, -4.0]), np.array([0.5, 6.0])]
    e = [ember.tensor(v, requires_grad=True) for v in values]
    t = [torch.tensor(v, requires_grad=True) for v in values]
    o1, (o2,) = MulPair()(e[0], [e[1], e[2]])
    (o1.sin().sum() + (o2 ** 2).sum()).backward()
    ((t[0] * t[1]).sin().sum() + ((t[0] * t[2]) ** 2).sum()).backward()
    assert_same(o1, t[0] * t[1])
    for a, b in zip(e, t):
        assert_same(a.grad, b.grad)
    assert issubclass(ember.autograd.NestedIOFunction, ember.autograd.Function)
    with pytest.raises(NotImplementedError):
        ember.autograd.NestedIOFunction()(e[0])


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
def test_linearize_equals_torch():
    x = np.array([0.3, -1.2, 2.0])
    out = {}
    for lib in (ember, torch):
        def f(a, lib=lib):
            return lib.sin(a) * a
        value, jvp_fn = lib.func.linearize(f, lib.tensor(x))
        d = lib.float64
        out[lib] = (value, jvp_fn(lib.tensor([1.0, 0.5, -2.0], dtype=d)),
                    jvp_fn(lib.ones(3, dtype=d)))
        with pytest.raises(RuntimeError, match="doesn't match the shape"):
            jvp_fn(lib.ones(4, dtype=d))
        with pytest.raises(RuntimeError, match="doesn't match the dtype"):
            jvp_fn(lib.ones(3))
        with pytest.raises(RuntimeError, match="same argspec as the primals"):
            jvp_fn(lib.ones(3, dtype=d), lib.ones(3, dtype=d))
    for a, b in zip(out[ember], out[torch]):
        assert_same(a, b)


def test_functionalize_returns_the_function_and_checks_remove():
    for lib in (ember, torch):
        def f(a):
            b = a.clone()
            b.add_(1)
            return b

        x = lib.tensor([1.0, 2.0])
        assert lib.func.functionalize(f)(x).tolist() == [2.0, 3.0]
        assert lib.func.functionalize(f, remove="mutations_and_views")(x).tolist() == [2.0, 3.0]
        with pytest.raises(RuntimeError, match="received invalid argument for remove=x"):
            lib.func.functionalize(f, remove="x")


def test_replace_all_batch_norm_modules_like_torch():
    for lib in (ember, torch):
        net = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.BatchNorm1d(3),
                                lib.nn.Sequential(lib.nn.BatchNorm2d(4, affine=False)))
        assert lib.func.replace_all_batch_norm_modules_(net) is net
        for bn in (net[1], net[2][0]):
            assert bn.running_mean is None and bn.running_var is None
            assert bn.num_batches_tracked is None and bn.track_running_stats is False
        assert [k for k, _ in net.named_buffers()] == []
        net.eval()
        x = lib.tensor([[1.0, 2.0], [3.0, -1.0]])
        assert net[1](net[0](x)).shape == (2, 3)  # batch statistics even in eval


def test_debug_unwrap_of_a_plain_tensor_is_itself():
    for lib in (ember, torch):
        x = lib.ones(2)
        assert lib.func.debug_unwrap(x) is x and lib.func.debug_unwrap(x, recurse=False) is x


# ---------------------------------------------------------------------- torch / Tensor tail


def pair(build):
    """``build(lib)`` in both libraries, compared with assert_same (tensors) or ==."""
    e, t = build(ember), build(torch)
    if isinstance(t, torch.Tensor):
        assert_same(e, t)
    elif isinstance(t, (tuple, list)) and t and isinstance(t[0], torch.Tensor):
        for a, b in zip(e, t):
            assert_same(a, b)
    else:
        assert e == t, (e, t)
    return e


A = np.array([[0.5, 1.0, 3.0], [2.0, 0.1, 7.5]])
B = np.array([[1.0, 0.3, 2.0], [4.0, 1.5, 0.2]])


def test_igamma_igammac_are_gammainc_gammaincc():
    pair(lambda lib: lib.igamma(lib.tensor(A), lib.tensor(B)))
    pair(lambda lib: lib.igammac(lib.tensor(A), lib.tensor(B)))
    pair(lambda lib: lib.tensor(A).igamma(lib.tensor(B)))
    pair(lambda lib: lib.tensor(A).igammac_(lib.tensor(B)))
    pair(lambda lib: lib.tensor(A).igamma_(lib.tensor(B)))
    pair(lambda lib: lib.igamma(lib.tensor(A, dtype=lib.float32), lib.tensor(B)).dtype.__repr__()
         .split(".")[1])


@pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta")
@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce_equals_torch(reduce, include_self):
    base = np.random.default_rng(3).standard_normal((3, 4))
    src = np.random.default_rng(4).standard_normal((3, 5))
    index = [0, 3, 0, 1, 0]

    def run(lib):
        x = lib.tensor(base, requires_grad=True)
        s = lib.tensor(src, requires_grad=True)
        y = lib.index_reduce(x, 1, lib.tensor(index), s, reduce, include_self=include_self)
        (y * lib.arange(12.0, dtype=lib.float64).reshape(3, 4)).sum().backward()
        z = x.detach().clone().index_reduce_(-1, lib.tensor(index), s.detach(), reduce,
                                             include_self=include_self)
        return y, x.grad, s.grad, z, x.detach().index_reduce(1, lib.tensor(index, dtype=lib.int32),
                                                             s.detach(), reduce)

    pair(run)


@pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta")
def test_index_reduce_errors_like_torch():
    for lib in (ember, torch):
        x, s, i = lib.ones(3, 2), lib.ones(4, 2), lib.tensor([0, 2, 0, 1])
        with pytest.raises(RuntimeError, match="Expected reduce to be one of prod"):
            x.index_reduce(0, i, s, "sum")
        with pytest.raises(RuntimeError, match="Expected dtype int32/int64 for index"):
            x.index_reduce(0, i.float(), s, "prod")
        with pytest.raises(RuntimeError, match=r"Number of indices \(3\) should be equal"):
            x.index_reduce(0, i[:3], s, "prod")
        with pytest.raises(IndexError):
            x.index_reduce(0, lib.tensor([0, 5, 0, 1]), s, "prod")


def test_nonzero_static_and_empty_permuted_like_torch():
    x = np.array([[0.0, 1.0, 0.0], [2.0, 0.0, 3.0]])
    for size, fill in [(0, -1), (2, -1), (3, -1), (5, 7)]:
        pair(lambda lib, size=size, fill=fill: lib.nonzero_static(lib.tensor(x), size=size,
                                                                  fill_value=fill))
    pair(lambda lib: lib.tensor(x).nonzero_static(size=4))
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="'size' must be an non-negative integer"):
            lib.nonzero_static(lib.tensor(x), size=-1)
    for size, order in [((2, 3, 4), (0, 2, 1)), ((2, 3, 4, 5), (0, 2, 3, 1)), ((4,), (0,))]:
        pair(lambda lib, size=size, order=order: (
            lib.empty_permuted(size, order).stride(), tuple(lib.empty_permuted(size, order).shape),
            lib.empty_permuted(size, order, dtype=lib.float64).dtype.itemsize))
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="Duplicate dim not allowed"):
            lib.empty_permuted((2, 3), (0, 0))
        with pytest.raises(RuntimeError, match="does not match the length"):
            lib.empty_permuted((2, 3), (0,))
        assert lib.empty_permuted((2, 3), (1, 0), requires_grad=True).requires_grad


def test_cond_branches_eagerly_like_torch():
    x = np.array([1.0, 2.0])
    for pred in (True, False, 1, 0.0):
        pair(lambda lib, pred=pred: lib.cond(pred, lambda a: a * 2, lambda a: a - 1,
                                             (lib.tensor(x),)))
    pair(lambda lib: lib.cond(lib.tensor(x).sum() > 0, lambda a, b: a * b, lambda a, b: a + b,
                              [lib.tensor(x), lib.tensor(x)]))
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="Expected pred to be bool or single-element"):
            lib.cond(lib.tensor(x) > 0, lambda a: a, lambda a: a, (lib.tensor(x),))


def test_apply_map_map2_like_torch():
    pair(lambda lib: lib.tensor(A).apply_(lambda v: v * 2 + 1))
    pair(lambda lib: lib.tensor([1, 2, 3]).apply_(lambda v: v * 3))
    pair(lambda lib: lib.tensor(A).map_(lib.tensor(B[0]), lambda a, b: a - b))
    pair(lambda lib: lib.tensor(A).map2_(lib.tensor(B), lib.tensor(2.0, dtype=lib.float64),
                                         lambda a, b, c: a + b * c))
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match=r"Can't call apply_\(\) on Variable that requires"):
            lib.ones(2, requires_grad=True).apply_(lambda v: v)


@pytest.mark.filterwarnings("ignore:non-inplace resize")
def test_resize_resize_as_new_empty_strided_like_torch():
    def run(lib):
        x = lib.tensor(A, requires_grad=True)
        y = x.resize(3, 2)
        z = x.resize_as(lib.ones(6))
        (y.sum() * 2 + (z * z).sum()).backward()
        return y, z, x.grad

    pair(run)
    for lib in (ember, torch):
        with pytest.warns(UserWarning, match="non-inplace resize is deprecated"):
            lib.ones(2, 3).resize(6)
        with pytest.warns(UserWarning, match="non-inplace resize_as is deprecated"):
            lib.ones(2, 3).resize_as(lib.ones(3, 2))
        with pytest.raises(RuntimeError, match="requested resize to 4x2"):
            lib.ones(3, 2).resize(4, 2)
        y = lib.ones(2, dtype=lib.float64).new_empty_strided((2, 3), (1, 2))
        assert y.stride() == (1, 2) and y.dtype == lib.float64
        assert lib.ones(2).new_empty_strided((2,), (1,), dtype=lib.int32).dtype == lib.int32
        with pytest.raises(RuntimeError, match="dimensionality of sizes"):
            lib.ones(2).new_empty_strided((2,), (1, 2))


def test_memory_and_backend_questions_like_torch():
    for lib in (ember, torch):
        x = lib.arange(6.0).reshape(2, 3)
        assert x.dim_order() == (0, 1) and x.t().dim_order() == (1, 0)
        assert x.permute(1, 0).contiguous().dim_order() == (0, 1)
        assert lib.ones(2, 3, 4).permute(2, 0, 1).dim_order() == (1, 2, 0)
        assert x.dim_order(ambiguity_check=True) == (0, 1)
        with pytest.raises(RuntimeError, match="does not have unique dim order"):
            lib.ones(1, 3).dim_order(ambiguity_check=True)
        assert x.const_data_ptr() == x.data_ptr() and x[1].const_data_ptr() == x[1].data_ptr()
        assert x.is_pinned() is False
        with pytest.raises(RuntimeError, match="Cannot access accelerator device"):
            x.pin_memory()
        assert (x.is_nested, x.is_xla, x.is_ipu, x.is_maia, x.is_mtia, x.is_mkldnn) == \
            (False,) * 6
        assert x.name is None
        assert lib.init_num_threads() is None
        assert isinstance(lib.strided, lib.layout) and x.layout == lib.strided
        assert lib.get_device_module() is lib.cpu and lib.get_device_module("cpu") is lib.cpu
        assert lib.get_device_module("cuda") is lib.cuda
        assert lib.get_device_module(lib.device("cuda:0")) is lib.cuda
        assert lib.cpu.is_available() and lib.cpu.device_count() == 1
        with pytest.raises(RuntimeError, match="device type at start of device string"):
            lib.get_device_module("xyz")
    assert repr(ember.strided) == "ember.strided" and ember.strided == "strided"
    assert ember.set_flush_denormal(False) is True
    assert ember.set_flush_denormal(True) is False  # NumPy cannot flush denormals


def test_prelu_hardshrink_methods_like_torch():
    pair(lambda lib: lib.tensor(A - 1).prelu(lib.tensor([0.25], dtype=lib.float64)))
    pair(lambda lib: lib.tensor(A - 1).hardshrink())
    pair(lambda lib: lib.tensor(A - 1).hardshrink(0.9))


# ---------------------------------------------------------------------- storages

STORAGE_NAMES = ["BoolStorage", "ByteStorage", "CharStorage", "ShortStorage", "IntStorage",
                 "LongStorage", "HalfStorage", "BFloat16Storage", "FloatStorage",
                 "DoubleStorage", "ComplexFloatStorage", "ComplexDoubleStorage"]


@pytest.mark.filterwarnings("ignore:TypedStorage is deprecated")
def test_tensor_storages_view_the_memory_like_torch():
    def look(lib):
        x = lib.arange(6.0).reshape(2, 3)
        s, u = x[1].storage(), x.t().untyped_storage()
        facts = [s.size(), len(s), s[4], s[-1], s.tolist(), s.nbytes(), s.element_size(),
                 str(s.device), s.data_ptr() == x.data_ptr(), x[1].data_ptr() - s.data_ptr(),
                 repr(s.dtype).split(".")[1], u.size(), u.nbytes(), u[6], u[7], len(u),
                 u.element_size(), u.tolist()[:8], u.data_ptr() == x.data_ptr(),
                 u[8:12].tolist(), s.clone().tolist(), lib.is_storage(s), lib.is_storage(u),
                 lib.is_storage(x), x.storage_type().__name__,
                 lib.tensor([1, 2]).storage_type().__name__,
                 lib.ones(1, dtype=lib.bool).storage_type().__name__,
                 lib.ones(1, dtype=lib.float64).storage().tolist()]
        s[0] = 100.0  # writing the storage writes the tensor
        u[8] = 0  # the low byte of element 2 (2.0 is 0x40000000: unchanged)
        return facts, x.tolist()

    pair(look)
    for lib in (ember, torch):
        with pytest.raises(IndexError):
            lib.ones(2).storage()[2]
        with pytest.raises(RuntimeError, match="slices are only supported in UntypedStorage"):
            lib.ones(2).storage()[0:1]


@pytest.mark.filterwarnings("ignore:TypedStorage is deprecated")
@pytest.mark.parametrize("name", STORAGE_NAMES)
def test_legacy_storage_classes_like_torch(name):
    def make(lib):
        cls = getattr(lib, name)
        s = cls([1, 0, 1])
        zeros = cls(2)
        zeros.fill_(1)
        return [s.tolist(), s.size(), s.element_size(), s.nbytes(), zeros.tolist(),
                isinstance(s, lib.TypedStorage), lib.is_storage(s), cls.__name__]

    pair(make)
    # a storage of the default dtype becomes a tensor (torch reads other dtypes differently)
    pair(lambda lib: lib.tensor(lib.FloatStorage([1, 2.5])))


def test_typed_storage_warns_once_and_untyped_storage_does_not():
    import ember.storage as es

    es._warned.clear()
    with pytest.warns(UserWarning, match="TypedStorage is deprecated"):
        ember.ones(2).storage()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.ones(2).storage()  # once per process, as torch
        ember.FloatStorage(2)
        u = ember.UntypedStorage(4)
        assert u.tolist() == [0, 0, 0, 0] and ember.TypedStorage([1, 2], dtype=ember.int64)[1] == 2


def test_share_memory_is_seen_by_a_forked_process_like_torch():
    import os

    if not hasattr(os, "fork"):
        pytest.skip("needs fork")
    for lib in (ember, torch):
        x = lib.zeros(3)
        assert not x.is_shared()
        assert x.share_memory_() is x and x.is_shared() and x.untyped_storage().is_shared()
        pid = os.fork()
        if pid == 0:  # the child changes the values in place; the parent must see it
            x.add_(5)
            os._exit(0)
        os.waitpid(pid, 0)
        assert x.tolist() == [5.0, 5.0, 5.0]
        x.mul_(2)
        assert x.tolist() == [10.0, 10.0, 10.0] and x.share_memory_() is x


# ---------------------------------------------------------------------- rnn cells, solve_ex

RNG = np.random.default_rng(7)
CELL = {"x": RNG.standard_normal((3, 4)), "h": RNG.standard_normal((3, 5)),
        "c": RNG.standard_normal((3, 5)), "b_ih": None, "b_hh": None}


@pytest.mark.parametrize("name,gates", [("lstm_cell", 4), ("gru_cell", 3),
                                        ("rnn_tanh_cell", 1), ("rnn_relu_cell", 1)])
@pytest.mark.parametrize("bias", [True, False])
def test_top_level_rnn_cells_equal_torch(name, gates, bias):
    w_ih = RNG.standard_normal((5 * gates, 4))
    w_hh = RNG.standard_normal((5 * gates, 5))
    b_ih, b_hh = RNG.standard_normal(5 * gates), RNG.standard_normal(5 * gates)

    def run(lib):
        leaves = [lib.tensor(v, requires_grad=True) for v in
                  (CELL["x"], CELL["h"], CELL["c"], w_ih, w_hh, b_ih, b_hh)]
        x, h, c, wi, wh, bi, bh = leaves
        hx = (h, c) if name == "lstm_cell" else h
        args = (x, hx, wi, wh) + ((bi, bh) if bias else ())
        out = getattr(lib, name)(*args)
        outs = out if isinstance(out, tuple) else (out,)
        sum(o.sin().sum() for o in outs).backward()
        return list(outs) + [t.grad if t.grad is not None else lib.zeros(1) for t in leaves]

    pair(run)


def test_solve_ex_equals_torch():
    a = RNG.standard_normal((2, 3, 3))
    b = RNG.standard_normal((2, 3, 2))

    def run(lib, left=True):
        A = lib.tensor(a, requires_grad=True)
        B = lib.tensor(b, requires_grad=True)
        result, info = lib.linalg.solve_ex(A, B, left=left) if left else \
            lib.linalg.solve_ex(A, B.mT, left=False)
        result.sum().backward()
        return result, info, A.grad, B.grad

    pair(run)
    pair(lambda lib: run(lib, left=False))
    singular = np.array([[[1.0, 2.0], [2.0, 4.0]], [[1.0, 0.0], [0.0, 1.0]]])
    pair(lambda lib: lib.linalg.solve_ex(lib.tensor(singular), lib.ones(2, 2, 1,
                                                                        dtype=lib.float64)))
    pair(lambda lib: lib.linalg.solve_ex(lib.tensor(singular[1]),
                                         lib.ones(2, dtype=lib.float64)))
    for lib in (ember, torch):
        with pytest.raises(lib.linalg.LinAlgError, match=r"\(Batch element 0\): The solver "
                           "failed because the input matrix is singular"):
            lib.linalg.solve_ex(lib.tensor(singular), lib.ones(2, 2, 1, dtype=lib.float64),
                                check_errors=True)
        assert type(lib.linalg.solve_ex(lib.eye(2), lib.ones(2))).__name__ == "linalg_solve_ex"


# ---------------------------------------------------------------------- nn / optim tail


def test_container_is_a_deprecated_module_like_torch():
    for lib in (ember, torch):
        with pytest.warns(FutureWarning, match="`nn.Container` is deprecated"):
            c = lib.nn.Container(a=lib.nn.Linear(2, 2), b=lib.nn.ReLU())
        assert isinstance(c, lib.nn.Module) and [n for n, _ in c.named_children()] == ["a", "b"]
        assert len(list(c.parameters())) == 2


@pytest.mark.parametrize("dims", [2, 3])
def test_convert_conv_weight_memory_format_like_torch(dims):
    def run(lib):
        conv, convt = (getattr(lib.nn, f"Conv{dims}d"), getattr(lib.nn, f"ConvTranspose{dims}d"))
        lib.manual_seed(0)
        m = lib.nn.Sequential(conv(3, 4, 3), lib.nn.Sequential(convt(4, 2, 3)), lib.nn.Linear(2, 2))
        before = [p.detach().clone() for p in m.parameters()]
        fmt = lib.channels_last if dims == 2 else lib.channels_last_3d
        convert = getattr(lib.nn.utils, f"convert_conv{dims}d_weight_memory_format")
        assert convert(m, fmt) is m
        after = list(m.parameters())
        assert all(isinstance(p, lib.nn.Parameter) for p in after)
        assert all(lib.equal(a, b) for a, b in zip(before, after))  # values unchanged
        back = convert(lib.nn.Sequential(conv(3, 4, 3)), lib.contiguous_format)
        return [m[0].weight.stride(), m[1][0].weight.stride(), m[2].weight.stride(),
                m[0].weight.is_contiguous(memory_format=fmt), back[0].weight.is_contiguous()]

    pair(run)


@pytest.mark.parametrize("options", [{}, {"nesterov": False, "momentum": 0.9},
                                     {"adjust_lr_fn": "match_rms_adamw", "weight_decay": 0.0},
                                     {"adjust_lr_fn": "original", "ns_steps": 3, "lr": 0.1}])
def test_muon_five_steps_equal_torch(options):
    """Muon's Newton-Schulz iteration rounds to bfloat16 after each op as torch's CPU kernels
    do, so ember's iterates are torch's bit for bit; the parameters (float32) then differ only
    by float32 rounding of the same updates: a few float32 ulps of values ~1 over 5 steps."""
    rng = np.random.default_rng(0)
    w_tall, w_wide, x = (rng.standard_normal(s) for s in [(6, 4), (3, 6), (8, 4)])
    result = {}
    for lib in (ember, torch):
        a = lib.tensor(w_tall, dtype=lib.float32, requires_grad=True)
        b = lib.tensor(w_wide, dtype=lib.float32, requires_grad=True)
        opt = lib.optim.Muon([a, b], **{"lr": 0.02, **options})
        data = lib.tensor(x, dtype=lib.float32)
        for _ in range(5):
            opt.zero_grad()
            ((data @ a.T).tanh() @ b.T).pow(2).sum().backward()
            opt.step()
        result[lib] = (a.detach(), b.detach(), opt.state[b]["momentum_buffer"])
    for e, t in zip(result[ember], result[torch]):
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=0, atol=8 * 2.0 ** -23 * 5 * 4)


def test_muon_rejects_what_torch_rejects():
    for lib in (ember, torch):
        w = lib.ones(2, 2, requires_grad=True)
        for kwargs, match in [({"lr": -1.0}, "Learning rate should be >= 0 but is"),
                              ({"momentum": -0.1}, "momentum should be >= 0"),
                              ({"weight_decay": -1.0}, "weight decay should be >= 0"),
                              ({"adjust_lr_fn": "x"}, "Adjust learning rate function x")]:
            with pytest.raises(ValueError, match=match):
                lib.optim.Muon([w], **kwargs)
        with pytest.raises(ValueError, match="Muon only supports 2D parameters"):
            lib.optim.Muon([lib.ones(3, requires_grad=True)])
        w.grad = lib.ones(2, 2)
        with pytest.raises(ValueError, match="Number of steps must be less than 100"):
            lib.optim.Muon([w], ns_steps=100).step()


# ---------------------------------------------------------------------- limited dtypes

FLOAT8 = ["float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu"]
UNSIGNED = ["uint16", "uint32", "uint64"]


@pytest.mark.parametrize("name", FLOAT8)
def test_float8_creation_conversion_and_printing_like_torch(name):
    """The conversions round to the nearest float8 value (as torch, through float32); the
    values are then exact, so they are compared exactly, and the printed form as text.
    (Not compared: zeros(dtype=float8_e8m0fnu), NaN in ember, 2^-127 in torch; see the
    report.)"""
    values = [0.3, 1.7, 4.0, 1e-3, 300.0, 0.0]
    if name != "float8_e8m0fnu":
        values += [-2.5, -0.07]

    def run(lib):
        d = getattr(lib, name)
        x = lib.tensor(values).to(d)
        direct = lib.tensor(values, dtype=d)
        from64 = lib.tensor(values, dtype=lib.float64).to(d)
        return [x.float().tolist(), direct.float().tolist(), from64.float().tolist(),
                repr(x).replace("torch.", "ember."), str(x.dtype).split(".")[1], x.element_size(),
                d.itemsize, d.is_floating_point, d.is_signed, x[1].item(), (x == x).tolist(),
                lib.ones(2, dtype=d).float().tolist(), lib.finfo(d).max, lib.finfo(d).eps,
                x.to(lib.float16).tolist(), x.clone().dtype == d, x[1:3].float().tolist()]

    e, t = run(ember), run(torch)
    assert len(e) == len(t)
    for a, b in zip(e, t):
        np.testing.assert_equal(a, b)
    for lib in (ember, torch):
        d = getattr(lib, name)
        with pytest.raises(RuntimeError, match="Promotion for Float8 Types is not supported"):
            lib.promote_types(d, lib.float32)
        with pytest.raises(RuntimeError, match="Promotion for Float8 Types is not supported"):
            lib.ones(2).to(d) + lib.ones(2)
        assert lib.promote_types(d, d) == d


@pytest.mark.parametrize("name", UNSIGNED)
def test_wide_unsigned_dtypes_like_torch(name):
    def run(lib):
        d = getattr(lib, name)
        x = lib.tensor([1, 2, 65535], dtype=d)
        return [repr(x).replace("torch.", "ember."), x.tolist(), x.element_size(), d.is_signed,
                d.is_floating_point, lib.iinfo(d).max, lib.iinfo(d).min, (x * 2).dtype == d,
                (x * 2.5).tolist(), (x == 2).tolist(), x.to(lib.float32).tolist(),
                x.sum().item(), x.sum().dtype == lib.int64, x[1:].tolist(),
                lib.zeros(2, dtype=d).tolist(), lib.promote_types(d, lib.float32) == lib.float32,
                lib.from_numpy(np.array([7, 8], dtype=name)).dtype == d,
                lib.cat([x, x]).dtype == d, x.sort().values.tolist(), (x & x).tolist()]

    pair(run)
    for lib in (ember, torch):
        d = getattr(lib, name)
        for other in (lib.int64, lib.uint8, lib.bool):
            with pytest.raises(RuntimeError, match=r"Promotion for uint16, uint32, uint64 types "
                               "is not supported"):
                lib.promote_types(d, other)


# ---------------------------------------------------------------------- torch.embedding_bag

BAG_W = np.random.default_rng(9).standard_normal((5, 3))


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("offsets,last", [([0, 2], False), ([0, 0, 2], False),
                                          ([0, 2, 5], True)])
@pytest.mark.parametrize("padding_idx", [None, 3])
def test_top_level_embedding_bag_equals_torch(mode, offsets, last, padding_idx):
    """torch's four results, the bookkeeping ones included, and the weight's gradient."""
    def run(lib):
        w = lib.tensor(BAG_W, requires_grad=True)
        out = lib.embedding_bag(w, lib.tensor([0, 2, 1, 3, 3]), lib.tensor(offsets), False,
                                mode, False, None, last, padding_idx)
        (out[0] * lib.arange(1.0, 4.0, dtype=lib.float64)).sum().backward()
        return list(out) + [w.grad]

    pair(run)


def test_top_level_embedding_bag_per_sample_weights_equals_torch():
    def run(lib):
        w = lib.tensor(BAG_W, requires_grad=True)
        psw = lib.tensor([1.0, 2.0, 3.0, 4.0, 5.0], dtype=lib.float64, requires_grad=True)
        out = lib.embedding_bag(w, lib.tensor([0, 2, 1, 3, 3]), lib.tensor([0, 2]), False, 0,
                                False, psw)
        out[0].sum().backward()
        return list(out) + [w.grad, psw.grad]

    pair(run)


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("last", [False, True])
def test_top_level_embedding_bag_float32_bookkeeping_equals_torch(mode, last):
    """float32 weights take torch's fast sum kernel (offset2bag left empty, one bag_size per
    offset); the values are compared with conftest's float32 tolerances."""
    offsets = [0, 2, 5] if last else [0, 2]
    pair(lambda lib: list(lib.embedding_bag(lib.tensor(BAG_W, dtype=lib.float32),
                                            lib.tensor([0, 2, 1, 3, 3]), lib.tensor(offsets),
                                            False, mode, False, None, last)))
