"""Loss layers against torch: every reduction, weights, ignore_index, label smoothing,
probability targets, input grads (float32 and float64), reprs and torch's errors."""

import warnings

import numpy as np
import pytest
import torch

import ember

from conftest import assert_same

REDUCTIONS = ["mean", "sum", "none"]
rng = np.random.default_rng(0)


def _run(name, kwargs, inputs, dtype, grad_of=(0,)):
    """Build the loss in both libraries, call it on ``inputs`` (NumPy arrays; float ones in
    ``dtype``), compare the loss and the grads of the inputs listed in ``grad_of``."""
    kwargs = {k: v.astype(dtype) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    kw_e = {k: ember.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    kw_t = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    e_loss, t_loss = getattr(ember.nn, name)(**kw_e), getattr(torch.nn, name)(**kw_t)
    assert repr(e_loss) == repr(t_loss)
    xs = [a.astype(dtype) if a.dtype.kind == "f" else a for a in inputs]
    es = [ember.tensor(a, requires_grad=i in grad_of) for i, a in enumerate(xs)]
    ts = [torch.tensor(a, requires_grad=i in grad_of) for i, a in enumerate(xs)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        le, lt = e_loss(*es), t_loss(*ts)
    assert_same(le, lt)
    g = rng.normal(size=tuple(lt.shape)).astype(dtype)
    le.backward(ember.tensor(g))
    lt.backward(torch.tensor(g))
    for i in grad_of:
        assert_same(es[i].grad, ts[i].grad)


def _f(*shape):
    return rng.normal(size=shape)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
class TestElementwise:
    def test_l1(self, reduction, dtype):
        _run("L1Loss", dict(reduction=reduction), [_f(3, 4), _f(3, 4)], dtype, (0, 1))

    def test_huber(self, reduction, dtype):
        _run("HuberLoss", dict(reduction=reduction, delta=0.7), [_f(3, 4), _f(3, 4)], dtype, (0, 1))

    @pytest.mark.parametrize("beta", [1.0, 0.3, 0.0])
    def test_smooth_l1(self, reduction, dtype, beta):
        _run("SmoothL1Loss", dict(reduction=reduction, beta=beta), [_f(3, 4), _f(3, 4)], dtype,
             (0, 1))

    def test_soft_margin(self, reduction, dtype):
        y = np.sign(_f(3, 4))
        _run("SoftMarginLoss", dict(reduction=reduction), [_f(3, 4) * 3, y], dtype)

    @pytest.mark.parametrize("log_target", [False, True])
    def test_kl_div(self, reduction, dtype, log_target):
        logp = np.log(rng.dirichlet(np.ones(5), size=3))
        q = rng.dirichlet(np.ones(5), size=3)
        q[0, 0] = 0.0  # 0 log 0 = 0
        target = np.log(q + 1e-3) if log_target else q
        _run("KLDivLoss", dict(reduction=reduction, log_target=log_target), [logp, target], dtype,
             (0, 1))

    def test_bce(self, reduction, dtype):
        x = rng.uniform(0.01, 0.99, size=(3, 4))
        x[0, 0], x[0, 1] = 0.0, 1.0  # log clamped to -100, grads finite
        _run("BCELoss", dict(reduction=reduction, weight=rng.uniform(size=4)),
             [x, rng.uniform(size=(3, 4))], dtype, (0, 1))

    @pytest.mark.parametrize("pos", [False, True])
    def test_bce_with_logits(self, reduction, dtype, pos):
        kw = dict(reduction=reduction, weight=rng.uniform(size=(3, 1)))
        if pos:
            kw["pos_weight"] = rng.uniform(0.5, 3, size=4)
        x = _f(3, 4) * 5
        x[0, :3] = [0.0, 200.0, -200.0]  # zero logits and large |x| stay exact and finite
        _run("BCEWithLogitsLoss", kw, [x, rng.uniform(size=(3, 4))], dtype, (0, 1))

    def test_cosine_embedding(self, reduction, dtype):
        y = np.array([1.0, -1.0, 1.0, -1.0])
        _run("CosineEmbeddingLoss", dict(reduction=reduction, margin=0.1),
             [_f(4, 5), _f(4, 5), y], dtype, (0, 1))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_class_indices(reduction, dtype, weighted, smoothing):
    kw = dict(reduction=reduction, label_smoothing=smoothing, ignore_index=2)
    if weighted:
        kw["weight"] = rng.uniform(0.5, 2, size=5)
    target = np.array([0, 2, 4, 1, 2, 3])
    _run("CrossEntropyLoss", kw, [_f(6, 5) * 3, target], dtype)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_nd_and_single_sample(reduction, weighted):
    kw = dict(reduction=reduction, weight=rng.uniform(size=4) if weighted else None)
    _run("CrossEntropyLoss", kw, [_f(2, 4, 3, 2), rng.integers(0, 4, size=(2, 3, 2))], "float32")
    _run("CrossEntropyLoss", kw, [_f(4), np.array(2)], "float64")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_probability_targets(reduction, smoothing):
    probs = rng.dirichlet(np.ones(5), size=4)
    kw = dict(reduction=reduction, label_smoothing=smoothing, weight=rng.uniform(size=5))
    _run("CrossEntropyLoss", kw, [_f(4, 5), probs], "float32", (0, 1))
    _run("CrossEntropyLoss", dict(reduction=reduction), [_f(4, 5), probs], "float64", (0, 1))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_weight_ignore_index_nd(reduction, dtype):
    kw = dict(reduction=reduction, weight=rng.uniform(0.5, 2, size=3), ignore_index=1)
    _run("NLLLoss", kw, [_f(5, 3), np.array([0, 1, 2, 2, 1])], dtype)
    _run("NLLLoss", dict(reduction=reduction), [_f(2, 3, 4), rng.integers(0, 3, size=(2, 4))],
         dtype)


def test_nll_all_ignored_mean_is_nan_and_state_dict_has_weight():
    for lib in (ember, torch):
        loss = lib.nn.functional.nll_loss(lib.zeros(2, 3), lib.tensor([-100, -100]))
        assert loss.isnan().item()
    e = ember.nn.CrossEntropyLoss(weight=ember.ones(3))
    t = torch.nn.CrossEntropyLoss(weight=torch.ones(3))
    assert list(e.state_dict()) == list(t.state_dict())


def _same_error(fn_e, fn_t, exc, match):
    with pytest.raises(exc, match=match) as info_e:
        fn_e()
    with pytest.raises(exc, match=match) as info_t:
        fn_t()
    first_t = str(info_t.value).split("\n")[0].replace("torch", "ember")
    assert str(info_e.value).split("\n")[0] == first_t
    return str(info_e.value)


CE_ERRORS = [
    (lambda L: L.tensor([0.0, 1.0, 2.0]), RuntimeError, "expected target dtype to be Long"),
    (lambda L: L.tensor([0, 1, 2], dtype=L.int32), RuntimeError, "expected target dtype"),
    (lambda L: L.tensor([[0], [1], [2]]), RuntimeError, "multi-target not supported"),
    (lambda L: L.rand(3, 5), RuntimeError, "multi-target not supported"),
    (lambda L: L.tensor([0, 1]), ValueError, "to match target batch_size"),
    (lambda L: L.tensor([0, 1, 7]), IndexError, "Target 7 is out of bounds"),
    (lambda L: L.tensor([0, -1, 2]), IndexError, "Target -1 is out of bounds"),
]


@pytest.mark.parametrize("make_target,exc,match", CE_ERRORS)
def test_cross_entropy_target_errors_like_torch(make_target, exc, match):
    x = np.zeros((3, 4), dtype=np.float32)
    _same_error(lambda: ember.nn.functional.cross_entropy(ember.tensor(x), make_target(ember)),
                lambda: torch.nn.functional.cross_entropy(torch.tensor(x), make_target(torch)),
                exc, match)


def test_cross_entropy_errors_carry_ember_hints():
    x = ember.zeros(3, 4)
    with pytest.raises(RuntimeError, match="(?s)Long.*target.long()"):
        ember.nn.functional.cross_entropy(x, ember.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(RuntimeError, match="(?s)multi-target.*argmax"):
        ember.nn.functional.cross_entropy(x, ember.zeros(3, 1, dtype=ember.int64))


def test_other_loss_errors_like_torch():
    for lib in (ember, torch):
        F = lib.nn.functional
        x = lib.zeros(3, 4)
        with pytest.raises(RuntimeError, match="weight tensor should be defined"):
            F.cross_entropy(x, lib.tensor([0, 1, 2]), weight=lib.ones(3))
        with pytest.raises(RuntimeError, match="label_smoothing must be between"):
            F.cross_entropy(x, lib.tensor([0, 1, 2]), label_smoothing=1.5)
        with pytest.raises(RuntimeError, match="ignore_index is not supported"):
            F.cross_entropy(x, lib.rand(3, 4), ignore_index=1)
        with pytest.raises(RuntimeError, match="Expected target size"):
            F.nll_loss(lib.zeros(3, 4, 2), lib.tensor([0, 1, 2]))
        with pytest.raises(ValueError, match="is not a valid value for reduction"):
            F.l1_loss(x, x, reduction="bad")
        with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
            F.binary_cross_entropy(lib.full((3,), 2.0), lib.ones(3))
        with pytest.raises(ValueError, match="must be the same as input size"):
            F.binary_cross_entropy_with_logits(lib.zeros(3, 1), lib.zeros(3))
        with pytest.warns(UserWarning, match="batchmean"):
            F.kl_div(x, x)
    text = _same_error(
        lambda: ember.nn.functional.binary_cross_entropy(ember.rand(3, 1), ember.rand(3)),
        lambda: torch.nn.functional.binary_cross_entropy(torch.rand(3, 1), torch.rand(3)),
        ValueError, "different to the input size")
    assert "view_as" in text


# ---------------------------------------------------------------------------- the NllLoss node

def _ce_graph(lib, x, target, **kw):
    xt = lib.tensor(x, requires_grad=True)
    return xt, lib.nn.functional.cross_entropy(xt, lib.tensor(target), **kw)


def test_nll_loss_is_one_node_named_as_torch():
    x, t = _f(4, 3), np.array([0, 2, 1, 2])
    names = []
    for lib in (ember, torch):
        _, loss = _ce_graph(lib, x, t)
        nxt = loss.grad_fn.next_functions[0][0]
        names.append((loss.grad_fn.name(), nxt.name()))
    assert names[0] == names[1] == ("NllLossBackward0", "LogSoftmaxBackward0")


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_double_backward_matches_torch(reduction):
    """d(grad_x . r)/dx through log_softmax, and d(grad_x . r)/d(grad_output) (NllLoss of r):
    the NllLoss/NllLossGrad pair is its own adjoint."""
    x, t = _f(5, 4).astype(np.float64), np.array([0, 3, -100, 1, 3])
    w = rng.uniform(0.5, 2, size=4)
    r = rng.normal(size=(5, 4))
    v = rng.normal(size=(5,)) if reduction == "none" else np.array(0.7)
    results = []
    for lib in (ember, torch):
        xt, loss = _ce_graph(lib, x, t, weight=lib.tensor(w), reduction=reduction)
        vt = lib.tensor(v, requires_grad=True)
        (gx,) = lib.autograd.grad(loss, xt, grad_outputs=vt, create_graph=True)
        second = (gx * lib.tensor(r)).sum()
        dx, dv = lib.autograd.grad(second, (xt, vt))
        results.append((loss, gx, dx, dv, gx.grad_fn.name()))
    for e, t_ in zip(results[0][:4], results[1][:4]):
        assert_same(e, t_, rtol=1e-12, atol=1e-12)  # float64: a few roundings
    assert results[0][4] == results[1][4] == "LogSoftmaxBackwardDataBackward0"


def test_nll_loss_weight_requiring_grad_is_refused_as_torch():
    x, t, w = _f(3, 3), np.array([0, 1, 2]), np.ones(3, np.float32)
    x = x.astype(np.float32)
    messages = []
    for lib in (ember, torch):
        weight = lib.tensor(w, requires_grad=True)
        with pytest.raises(RuntimeError) as info:
            lib.nn.functional.cross_entropy(lib.tensor(x), lib.tensor(t), weight=weight)
        messages.append(str(info.value))
        with lib.no_grad():  # only recorded graphs refuse it
            lib.nn.functional.cross_entropy(lib.tensor(x), lib.tensor(t), weight=weight)
    assert messages[0] == messages[1]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_bfloat16_sums_in_float32(reduction):
    """A bfloat16 nll_loss: ember sums the terms in float32 and rounds once, so its value is
    the exact (float64) result rounded to bfloat16, within one bfloat16 step (the float32 sum
    can land on the other side of a rounding boundary).  torch keeps its partial sums in
    bfloat16 (a cascade of blocks of 16): each of its ~20 roundings is at most half a step of
    its partial sum, so torch is within ~10 steps of the exact value and of ember's.
    Gradients (-w * grad, over the total weight for 'mean') are single products: within one
    step of torch's."""
    x, t = _f(64, 7), rng.integers(0, 7, size=64)
    w = rng.uniform(0.5, 2, size=7)
    out = []
    for lib in (ember, torch):
        xt = lib.tensor(x).to(lib.bfloat16).requires_grad_()
        weight = lib.tensor(w).to(lib.bfloat16)  # torch wants the input's dtype
        loss = lib.nn.functional.nll_loss(xt, lib.tensor(t), weight=weight, reduction=reduction)
        loss.backward(lib.ones_like(loss))
        assert loss.dtype is lib.bfloat16 and xt.grad.dtype is lib.bfloat16
        out.append((loss.detach().float().numpy(), xt.grad.float().numpy(),
                    xt.detach().float().numpy(), weight.float().numpy()))
    (loss_e, grad_e, xb, wb), (loss_t, grad_t, _, _) = out
    terms = -xb[np.arange(64), t].astype(np.float64) * wb[t]
    exact = {"none": terms, "sum": terms.sum(), "mean": terms.sum() / wb[t].sum()}[reduction]
    step = 2.0 ** (np.floor(np.log2(np.abs(exact) + 1e-30)) - 7)  # bfloat16's step there
    assert np.all(np.abs(loss_e - exact) <= step)
    assert np.all(np.abs(loss_t - loss_e) <= 10 * step)
    assert np.all(np.abs(grad_e - grad_t) <= 2.0 ** (np.floor(np.log2(np.abs(grad_t) + 1e-30)) - 7))


def test_nll_loss_target_on_another_device_is_a_kind_error():
    with pytest.raises(RuntimeError, match="device"):
        ember.nn.functional.nll_loss(ember.zeros(2, 3), ember.tensor([0, 1], device="meta"))


def test_nll_loss_weight_of_another_dtype_is_refused_as_torch():
    x, t = _f(3, 4).astype(np.float32), np.array([0, 1, 2])
    messages = []
    for lib in (ember, torch):
        with pytest.raises(RuntimeError) as info:
            lib.nn.functional.cross_entropy(lib.tensor(x), lib.tensor(t),
                                            weight=lib.ones(4, dtype=lib.float64))
        messages.append(str(info.value).splitlines()[0])
    assert messages[0] == messages[1]
