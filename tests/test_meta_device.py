"""The meta device against torch: tensors with shapes and dtypes but no values.

Factories, moves and ops on meta tensors give meta results with torch's shapes, dtypes, graph
nodes and printed form; reading values raises torch's errors; mixing meta and CPU tensors
raises torch's error; modules are built on meta, moved there and given real memory with
to_empty; a meta tensor of any size holds one element."""

import copy
import warnings

import numpy as np
import pytest
import torch

import ember

from conftest import assert_same


def run(expr, lib, setup=""):
    """``expr`` with ``m`` = the library (after ``setup``): (value, exception)."""
    scope = {"m": lib, "np": np, "F": lib.nn.functional, "copy": copy}
    try:
        if setup:
            exec(setup, scope)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's own deprecation chatter
            return eval(expr, scope), None
    except Exception as e:  # noqa: BLE001 - the exception is what we compare
        return None, e


def same(e, t):
    """Meta tensors (or tuples of them) alike: device, shape, dtype, graph, repr."""
    if isinstance(t, tuple):
        assert isinstance(e, tuple) and len(e) == len(t)
        for a, b in zip(e, t):
            same(a, b)
        return
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor)
        assert e.device.type == t.device.type
        assert tuple(e.shape) == tuple(t.shape)
        assert str(e.dtype)[6:] == str(t.dtype)[6:]
        assert e.requires_grad == t.requires_grad
        assert (e.grad_fn and e.grad_fn.name()) == (t.grad_fn and t.grad_fn.name())
        assert repr(e) == repr(t).replace("torch.", "ember.")
        return
    assert repr(e) == repr(t).replace("torch.", "ember.")


def check(expr, setup="", same_message=True):
    t, t_error = run(expr, torch, setup)
    e, e_error = run(expr, ember, setup)
    if t_error is not None or e_error is not None:
        assert type(e_error) is type(t_error), f"ember: {e_error!r}\ntorch: {t_error!r}"
        if same_message:
            assert str(e_error).splitlines()[0] == str(t_error).splitlines()[0]
        return
    same(e, t)


M = "a = m.empty(2, 3, device='meta'); b = m.empty(3, 4, device='meta'); "
G = M + "w = m.empty(2, 3, device='meta', requires_grad=True); "

FACTORY_CASES = [
    "m.empty(2, 3, device='meta')",
    "m.zeros(2, 3, device='meta')",
    "m.ones(4, device='meta', dtype=m.int64)",
    "m.full((2,), 3.0, device='meta')",
    "m.randn(2, 3, device='meta')",
    "m.rand(2, 3, device='meta', dtype=m.float64)",
    "m.randn(2, 3, device='meta', dtype=m.float16)",
    "m.randint(0, 5, (2,), device='meta')",
    "m.arange(5, device='meta')",
    "m.linspace(0, 1, 5, device='meta')",
    "m.eye(3, device='meta')",
    "m.tensor([1.0, 2.0], device='meta')",
    "m.tensor([[1, 2]], device='meta')",
    "m.empty((), device='meta')",
    "m.empty(0, device='meta')",
    "m.empty(2, 0, device='meta')",
    "m.empty(2, 3, device='meta', requires_grad=True)",
    "m.empty(2, 3, device=m.device('meta'), dtype=m.bool)",
    "m.zeros_like(m.ones(2, 3), device='meta')",
    "m.ones(2).to('meta')",
    "m.ones(2).to('meta', m.float64)",
    "m.ones(2, requires_grad=True).to('meta')",
    "m.ones(2).to(device='meta', dtype=m.int32)",
    "m.ones(2).to(m.empty(1, device='meta', dtype=m.float16))",
]


@pytest.mark.parametrize("expr", FACTORY_CASES)
def test_factories_and_moves(expr):
    check(expr)


OP_CASES = [
    "a + a", "a * 2", "a + 1", "2 - a", "a / a", "-a", "a ** 2",
    "a + m.tensor(1.0)", "m.tensor(1.0) + a",  # a 0-dim CPU tensor may join, as in torch
    "m.empty(2, 1, device='meta') + m.empty(3, device='meta')",
    "m.empty(2, 3, device='meta', dtype=m.int32) / 2",
    "m.empty(2, 3, device='meta', dtype=m.int64) + 1.5",
    "m.empty(2, device='meta', dtype=m.float16) + m.empty(2, device='meta')",
    "a @ b", "m.empty(5, 2, 3, device='meta') @ b", "a.mm(b)",
    "a.sum()", "a.sum(0)", "a.mean(1, keepdim=True)", "a.max(1)", "a.max()",
    "a.argmax(1)", "a.std(0)", "a.cumsum(1)", "a.norm()",
    "a > 0", "a == a", "(a > 0).any()", "m.where(a > 0, a, a)",
    "a.exp()", "a.relu()", "a.sigmoid()", "a.softmax(-1)", "a.log_softmax(1)", "a.abs()",
    "a.view(3, 2)", "a.t()", "a.reshape(-1)", "a.permute(1, 0)", "a[0]", "a[:, 1:]",
    "a[..., None]", "a.unsqueeze(0).expand(4, 2, 3)", "a.flatten()", "a.flip(0)",
    "a.repeat(2, 1)", "m.cat([a, a])", "m.stack([a, a], 1)", "a.split(1)", "a.chunk(3, 1)",
    "a.clone()", "a.detach()", "a.data", "a.contiguous()", "a.to(m.float64)", "a.long()",
    "a.t().contiguous()", "a.new_zeros(4)", "a.new_empty(4)", "m.empty_like(a)",
    "m.zeros_like(a)", "m.rand_like(a)", "m.randn_like(a)", "a.type(m.float64)",
    "a.masked_fill(a > 0, 1.0)", "a.clamp(0, 1)", "m.tril(a)", "a.gather(1, m.zeros(2, 1, "
    "dtype=m.int64, device='meta'))", "m.einsum('ij,jk->ik', a, b)",
    "F.linear(a, m.empty(4, 3, device='meta'), m.empty(4, device='meta'))",
    "F.conv2d(m.empty(1, 3, 8, 8, device='meta'), m.empty(4, 3, 3, 3, device='meta'))",
    "F.max_pool2d(m.empty(1, 3, 8, 8, device='meta'), 2)",
    "F.layer_norm(a, (3,))",
    "F.cross_entropy(m.empty(4, 5, device='meta'), m.empty(4, dtype=m.int64, device='meta'))",
    "F.mse_loss(a, a)", "F.dropout(a, 0.5)", "F.gelu(a)",
    "F.embedding(m.empty(4, dtype=m.int64, device='meta'), m.empty(10, 3, device='meta'))",
    "w * 2", "(w * a).sum()", "w @ b", "w.t()", "w[0]", "w.relu()", "w.to(m.float64)",
]


@pytest.mark.parametrize("expr", OP_CASES)
def test_ops_give_meta_results(expr):
    check(expr, G)


INPLACE_CASES = [
    "a.add_(1)", "a.mul_(a)", "a.zero_()", "a.fill_(2)", "a.uniform_()", "a.normal_()",
    "a.bernoulli_()", "a.exponential_()", "a.copy_(m.ones(2, 3))", "a.copy_(m.ones(3))",
    "a.clamp_(0, 1)", "a.relu_()", "a[0].add_(1)", "a.t().mul_(2)",
    "m.nn.init.kaiming_uniform_(a)", "m.nn.init.zeros_(a)", "m.nn.init.normal_(a)",
    "m.nn.init.xavier_uniform_(a)", "m.nn.init.constant_(a, 0.5)",
    "w.add_(1)", "a.copy_(m.ones(4))",
]


@pytest.mark.parametrize("expr", INPLACE_CASES)
def test_inplace_ops(expr):
    check(expr, G)


def test_setitem_and_version():
    for lib in (torch, ember):
        a = lib.empty(2, 3, device="meta")
        a[0] = 1.0
        a[:, 1] = lib.empty(2, device="meta")
        a.add_(1)
        assert a._version == 3
        assert a.is_meta and repr(a) == "tensor(..., device='meta', size=(2, 3))"


ERROR_CASES = [
    "a.item()", "m.empty((), device='meta').item()", "float(m.empty((), device='meta'))",
    "int(m.empty((), device='meta'))", "bool(m.empty((), device='meta'))",
    "a.tolist()", "a.numpy()", "np.asarray(a)",
    "a.cpu()", "a.to('cpu')", "a.to(m.ones(1))", "m.empty(0, device='meta').cpu()",
    "a.type(m.FloatTensor)", "m.ones(2, 3).copy_(a)",
    "a + m.ones(2, 3)", "m.ones(2, 3) + a", "a * m.ones(3)", "m.cat([a, m.ones(2, 3)])",
    "m.where(a > 0, a, m.ones(2, 3))",
    "m.nn.Linear(3, 4, device='meta')(m.ones(5, 3))",
    "m.nn.Linear(3, 4)(m.empty(5, 3, device='meta'))",
]
# NOTE: torch lets some kernels mix meta with CPU tensors (a @ cpu, F.linear(cpu, meta) without
# bias, meta.add_(cpu)) while a + cpu is refused; ember refuses every mix (test below)


def test_every_mix_is_refused():
    a = ember.empty(2, 3, device="meta")
    for f in (lambda: a @ ember.ones(3, 4), lambda: a.add_(ember.ones(2, 3)),
              lambda: ember.nn.functional.linear(ember.ones(5, 3), ember.empty(4, 3,
                                                                                 device="meta"))):
        with pytest.raises(RuntimeError, match="is not on the expected device"):
            f()


@pytest.mark.parametrize("expr", ERROR_CASES)
def test_errors(expr):
    check(expr, M)


def test_errors_explain_in_ember():
    a = ember.empty(2, 3, device="meta")
    with pytest.raises(NotImplementedError, match="module.to_empty"):
        a.cpu()
    with pytest.raises(RuntimeError, match="meta tensors .and 0-dim CPU tensors"):
        a + ember.ones(2, 3)


def test_attributes():
    for lib in (torch, ember):
        a = lib.empty(2, 3, device="meta")
        assert a.is_meta and not a.is_cpu and not a.is_cuda
        assert a.device == lib.device("meta") and str(a.device) == "meta"
        assert a.get_device() == -1 and a.data_ptr() == 0
        assert a.numel() == 6 and a.nbytes == 24 and a.element_size() == 4
        assert a.stride() == (3, 1) and a.is_contiguous() and a.is_leaf
        assert a.type() == "torch.meta.FloatTensor"
        assert a.contiguous() is a and a.to("meta") is a
        assert not lib.ones(2).is_meta


def test_backward_on_meta():
    for lib in (torch, ember):
        w = lib.empty(2, 3, device="meta", requires_grad=True)
        (w * 2).sum().backward()
        assert w.grad.is_meta and tuple(w.grad.shape) == (2, 3)
        assert repr(w.grad) == "tensor(..., device='meta', size=(2, 3))"


def test_random_factories_do_not_move_the_generator():
    for lib in (torch, ember):
        lib.manual_seed(0)
        lib.randn(2, 3, device="meta")
        lib.empty(3, device="meta").uniform_()
        lib.nn.Linear(3, 4, device="meta")
        after = lib.randn(3)
        lib.manual_seed(0)
        assert lib.equal(after, lib.randn(3))


def test_a_meta_tensor_of_any_size_holds_one_element():
    huge = ember.zeros(10**5, 10**5, device="meta")  # 40 GB if it held values
    # every stride 0: all indices read the same element
    assert huge.shape == (10**5, 10**5) and not any(huge._data.strides)
    t = torch.zeros(10**5, 10**5, device="meta")
    assert repr(huge) == repr(t)
    # results of ops are meta arrays again (one element), whatever NumPy computed
    x = ember.empty(300, 400, device="meta")
    for y in (x + 1, x.exp(), x @ ember.empty(400, 50, device="meta"), x.sum(0), x > 0,
              x.argmax(1), x.max(0)[1],
              ember.ones(300, 400).to("meta"), copy.deepcopy(x), x.double()):
        assert y.is_meta and not any(y._data.strides)


# ---------------------------------------------------------------------------- modules


def _mlp(lib, device=None):
    return lib.nn.Sequential(lib.nn.Linear(4, 8, device=device), lib.nn.BatchNorm1d(8,
                             device=device), lib.nn.ReLU(), lib.nn.Linear(8, 2, device=device))


def test_module_built_on_meta():
    e, t = _mlp(ember, "meta"), _mlp(torch, "meta")
    for (ne, pe), (nt, pt) in zip(e.state_dict().items(), t.state_dict().items()):
        assert ne == nt
        same(pe, pt)
    assert repr(e) == repr(t)
    ye = e(ember.empty(5, 4, device="meta"))
    yt = t(torch.empty(5, 4, device="meta"))
    same(ye, yt)
    assert isinstance(e[0].weight, ember.nn.Parameter)


def test_deepcopy_to_meta_as_the_ensembling_recipe():
    """torch's model-ensembling recipe: base = copy.deepcopy(models[0]).to('meta')."""
    for lib in (torch, ember):
        lib.manual_seed(0)
        model = _mlp(lib)
        before = [p.detach().clone() for p in model.parameters()]
        base = copy.deepcopy(model).to("meta")
        assert all(p.is_meta and isinstance(p, lib.nn.Parameter) for p in base.parameters())
        assert all(b.is_meta for b in base.buffers())
        assert [tuple(p.shape) for p in base.parameters()] == \
            [tuple(p.shape) for p in model.parameters()]
        assert all(not p.is_meta and lib.equal(p, q) for p, q in zip(model.parameters(), before))
        assert base[1].num_batches_tracked.dtype is lib.int64


def test_to_empty_then_load_state_dict():
    torch.manual_seed(0)
    source = _mlp(torch)
    state = {k: ember.tensor(v.numpy()) for k, v in source.state_dict().items()}
    for lib, st in ((torch, source.state_dict()), (ember, state)):
        model = _mlp(lib, "meta")
        weight = model[0].weight
        assert model.to_empty(device="cpu") is model
        new = model[0].weight  # as torch: a new Parameter (no payload swap out of meta)
        assert new is not weight and weight.is_meta and new.requires_grad
        assert new.device.type == "cpu" and new.shape == (8, 4)
        assert isinstance(new, lib.nn.Parameter)
        same_object = model[0].weight
        model.to_empty(device="cpu")
        assert model[0].weight is same_object  # cpu -> cpu swaps the payload
        assert model[1].num_batches_tracked.dtype is lib.int64
        model.load_state_dict(st)
    e, t = _mlp(ember, "meta").to_empty(device="cpu"), source
    e.load_state_dict(state)
    e.eval()
    t.eval()
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    assert_same(e(ember.tensor(x)), t(torch.tensor(x)))


def test_to_empty_without_recursing():
    for lib in (torch, ember):
        model = _mlp(lib, "meta")
        model.to_empty(device="cpu", recurse=False)  # the Sequential holds no tensors itself
        assert model[0].weight.is_meta


def test_module_to_meta_moves_gradients_too():
    for lib in (torch, ember):
        model = lib.nn.Linear(3, 2)
        model(lib.ones(1, 3)).sum().backward()
        model.to("meta")
        assert model.weight.grad.is_meta and model.weight.is_meta


def test_cpu_to_meta_to_cpu_by_empty_like():
    for lib in (torch, ember):
        a = lib.ones(2, 3).to("meta")
        b = lib.empty_like(a, device="cpu")
        assert b.device.type == "cpu" and tuple(b.shape) == (2, 3)
        c = lib.zeros_like(a, device="cpu")
        assert c.tolist() == [[0.0] * 3] * 2
