"""The likelihood, margin/ranking and CTC losses against torch: every reduction (and the legacy
size_average/reduce flags), the gradients of every float input in float32 and float64, reprs,
torch's errors, and a finite-difference gradcheck of CTC."""

import warnings

import numpy as np
import pytest
import torch

import ember

from conftest import assert_same

REDUCTIONS = ["mean", "sum", "none"]
DTYPES = ["float32", "float64"]
rng = np.random.default_rng(0)


def _run(name, kwargs, inputs, dtype, grad_of=(0,)):
    """Build loss ``name`` in both libraries, call it on ``inputs`` (NumPy arrays; float ones
    in ``dtype``), compare the repr, the loss and the grads of the inputs in ``grad_of``."""
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
    return le


def _f(*shape):
    return rng.normal(size=shape)


def _sign(*shape):
    return np.where(rng.normal(size=shape) > 0, 1.0, -1.0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
class TestLosses:
    @pytest.mark.parametrize("log_input,full", [(True, False), (False, False), (True, True),
                                                (False, True)])
    def test_poisson_nll(self, reduction, dtype, log_input, full):
        x = _f(3, 4) if log_input else rng.uniform(0.1, 3, size=(3, 4))
        y = rng.poisson(2.0, size=(3, 4)).astype(float)
        y[0, :3] = [0.0, 1.0, 5.0]  # the Stirling term's edge (target <= 1)
        # NOTE: with full=True torch's target gradient is NaN where target == 0 (its Stirling
        # term takes log(0) before masking); ember's is finite there, so only input's is compared
        _run("PoissonNLLLoss", dict(log_input=log_input, full=full, reduction=reduction),
             [x, y], dtype, (0,) if full else (0, 1))
        if full:
            target = ember.tensor(y, requires_grad=True)
            ember.nn.functional.poisson_nll_loss(ember.tensor(x), target, log_input,
                                                 full).backward()
            assert np.isfinite(target.grad.numpy()).all()

    @pytest.mark.parametrize("var_shape", [(3, 4), (3,), (3, 1)])
    @pytest.mark.parametrize("full", [False, True])
    def test_gaussian_nll(self, reduction, dtype, var_shape, full):
        var = rng.uniform(0.1, 2, size=var_shape)
        var.reshape(-1)[0] = 1e-9  # clamped to eps
        _run("GaussianNLLLoss", dict(full=full, reduction=reduction, eps=1e-4),
             [_f(3, 4), _f(3, 4), var], dtype, (0, 1, 2))

    @pytest.mark.parametrize("margin", [0.0, 0.5])
    def test_margin_ranking(self, reduction, dtype, margin):
        _run("MarginRankingLoss", dict(margin=margin, reduction=reduction),
             [_f(6), _f(6), _sign(6)], dtype, (0, 1, 2))

    def test_hinge_embedding(self, reduction, dtype):
        y = _sign(3, 4)
        y[0, 0] = 0.5  # neither 1 nor -1: both terms, as torch
        _run("HingeEmbeddingLoss", dict(margin=0.7, reduction=reduction), [_f(3, 4), y], dtype)

    @pytest.mark.parametrize("p,swap", [(2.0, False), (1.0, True), (3.0, False)])
    def test_triplet_margin(self, reduction, dtype, p, swap):
        _run("TripletMarginLoss", dict(margin=0.8, p=p, swap=swap, reduction=reduction),
             [_f(5, 3), _f(5, 3), _f(5, 3)], dtype, (0, 1, 2))
        _run("TripletMarginLoss", dict(reduction=reduction), [_f(3), _f(3), _f(3)], dtype,
             (0, 1, 2))

    @pytest.mark.parametrize("swap", [False, True])
    def test_triplet_margin_with_distance(self, reduction, dtype, swap):
        _run("TripletMarginWithDistanceLoss", dict(margin=2.0, swap=swap, reduction=reduction),
             [_f(5, 3), _f(5, 3), _f(5, 3)], dtype, (0, 1, 2))
        e_fn = ember.nn.CosineSimilarity()
        t_fn = torch.nn.CosineSimilarity()
        xs = [_f(5, 3).astype(dtype) for _ in range(3)]
        e_loss = ember.nn.TripletMarginWithDistanceLoss(distance_function=e_fn, swap=swap,
                                                        reduction=reduction)
        t_loss = torch.nn.TripletMarginWithDistanceLoss(distance_function=t_fn, swap=swap,
                                                        reduction=reduction)
        assert repr(e_loss) == repr(t_loss)
        assert_same(e_loss(*map(ember.tensor, xs)), t_loss(*map(torch.tensor, xs)))

    @pytest.mark.parametrize("p,weighted", [(1, False), (2, False), (1, True), (2, True)])
    def test_multi_margin(self, reduction, dtype, p, weighted):
        kw = dict(p=p, margin=0.9, reduction=reduction)
        if weighted:
            kw["weight"] = rng.uniform(0.5, 2, size=4)
        _run("MultiMarginLoss", kw, [_f(5, 4), rng.integers(0, 4, size=5)], dtype)
        _run("MultiMarginLoss", kw, [_f(4), np.array(2)], dtype)

    def test_multilabel_margin(self, reduction, dtype):
        y = np.array([[3, 0, -1, 1], [0, 1, 2, 3], [1, -1, 2, 2], [-1, 0, 1, 2]])
        _run("MultiLabelMarginLoss", dict(reduction=reduction), [_f(4, 4), y], dtype)
        _run("MultiLabelMarginLoss", dict(reduction=reduction),
             [_f(4), np.array([2, 1, -1, 0])], dtype)

    @pytest.mark.parametrize("weighted", [False, True])
    def test_multilabel_soft_margin(self, reduction, dtype, weighted):
        kw = dict(reduction=reduction)
        if weighted:
            kw["weight"] = rng.uniform(0.5, 2, size=4)
        y = (rng.uniform(size=(3, 4)) > 0.5).astype(float)
        _run("MultiLabelSoftMarginLoss", kw, [_f(3, 4) * 30, y], dtype, (0, 1))


@pytest.mark.parametrize("name,inputs", [
    ("PoissonNLLLoss", lambda: [_f(3, 4), rng.poisson(2.0, size=(3, 4)).astype(float)]),
    ("MarginRankingLoss", lambda: [_f(6), _f(6), _sign(6)]),
    ("HingeEmbeddingLoss", lambda: [_f(6), _sign(6)]),
    ("TripletMarginLoss", lambda: [_f(5, 3), _f(5, 3), _f(5, 3)]),
    ("MultiMarginLoss", lambda: [_f(5, 4), rng.integers(0, 4, size=5)]),
    ("MultiLabelMarginLoss", lambda: [_f(2, 3), np.array([[1, -1, 0], [2, 0, -1]])]),
    ("MultiLabelSoftMarginLoss", lambda: [_f(3, 4), np.ones((3, 4))]),
])
@pytest.mark.parametrize("size_average,reduce", [(False, None), (None, False), (True, True)])
def test_legacy_reduction_flags(name, inputs, size_average, reduce):
    expected = "none" if reduce is False else "sum" if size_average is False else "mean"
    with pytest.warns(UserWarning, match=f"please use reduction='{expected}' instead"):
        _run(name, dict(size_average=size_average, reduce=reduce), inputs(), "float64")
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        fn = getattr(ember.nn.functional, _FUNCTIONS[name])
        fn(*[ember.tensor(a) for a in inputs()], size_average=size_average, reduce=reduce)


_FUNCTIONS = {
    "PoissonNLLLoss": "poisson_nll_loss", "MarginRankingLoss": "margin_ranking_loss",
    "HingeEmbeddingLoss": "hinge_embedding_loss", "TripletMarginLoss": "triplet_margin_loss",
    "MultiMarginLoss": "multi_margin_loss", "MultiLabelMarginLoss": "multilabel_margin_loss",
    "MultiLabelSoftMarginLoss": "multilabel_soft_margin_loss",
}


def test_loss_reprs_and_buffers():
    for name, kw in [("MultiMarginLoss", {"p": 2, "weight": np.ones(3)}),
                     ("MultiLabelSoftMarginLoss", {"weight": np.ones(3)}),
                     ("TripletMarginLoss", {"margin": 2.0, "p": 1, "swap": True}),
                     ("PoissonNLLLoss", {"log_input": False, "full": True}),
                     ("GaussianNLLLoss", {"full": True}), ("CTCLoss", {"blank": 2}),
                     ("TripletMarginWithDistanceLoss", {})]:
        kw_e = {k: ember.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        kw_t = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        e, t = getattr(ember.nn, name)(**kw_e), getattr(torch.nn, name)(**kw_t)
        assert repr(e) == repr(t)
        assert list(e.state_dict()) == list(t.state_dict())


def _same_error(case):
    with pytest.raises(Exception) as te:
        case(torch)
    with pytest.raises(type(te.value)) as ee:
        case(ember)
    first = str(ee.value).split("\n")[0].replace("ember", "torch")
    assert first == str(te.value).split("\n")[0]


@pytest.mark.parametrize("case", [
    lambda lib: lib.nn.functional.margin_ranking_loss(lib.ones(3), lib.ones(3, 1), lib.ones(3)),
    lambda lib: lib.nn.functional.triplet_margin_loss(lib.ones(3), lib.ones(2, 3),
                                                      lib.ones(2, 3)),
    lambda lib: lib.nn.functional.triplet_margin_with_distance_loss(
        lib.ones(2, 3), lib.ones(2, 3), lib.ones(2, 3), margin=0),
    lambda lib: lib.nn.TripletMarginLoss(margin=0),
    lambda lib: lib.nn.TripletMarginWithDistanceLoss(margin=-1.0),
    lambda lib: lib.nn.MultiMarginLoss(p=3),
    lambda lib: lib.nn.MultiMarginLoss(weight=lib.ones(2, 2)),
    lambda lib: lib.nn.functional.multi_margin_loss(lib.ones(2, 3), lib.tensor([0, 3])),
    lambda lib: lib.nn.functional.multi_margin_loss(lib.ones(2, 3), lib.tensor([0, 1, 1])),
    lambda lib: lib.nn.functional.multi_margin_loss(lib.ones(2, 3, 4), lib.tensor([0, 1])),
    lambda lib: lib.nn.functional.multi_margin_loss(lib.ones(2, 3), lib.tensor([0.0, 1.0])),
    lambda lib: lib.nn.functional.multilabel_margin_loss(lib.ones(2, 3), lib.tensor([[0, 1]])),
    lambda lib: lib.nn.functional.multilabel_margin_loss(lib.ones(2, 3),
                                                         lib.tensor([[0, 3, -1], [2, -1, 0]])),
    lambda lib: lib.nn.functional.gaussian_nll_loss(lib.ones(2, 3), lib.ones(2, 3),
                                                    lib.ones(2, 2)),
    lambda lib: lib.nn.functional.gaussian_nll_loss(lib.ones(2, 3), lib.ones(2, 3),
                                                    -lib.ones(2, 3)),
    lambda lib: lib.nn.functional.gaussian_nll_loss(lib.ones(2, 3), lib.ones(2, 3),
                                                    lib.ones(2, 3), reduction="bad"),
    lambda lib: lib.nn.functional.poisson_nll_loss(lib.ones(2), lib.ones(2), reduction="bad"),
])
def test_errors_like_torch(case):
    _same_error(case)


def test_gaussian_nll_float_var():
    x, y = _f(2, 3), _f(2, 3)
    e = ember.nn.functional.gaussian_nll_loss(ember.tensor(x), ember.tensor(y), 2.0)
    t = torch.nn.functional.gaussian_nll_loss(torch.tensor(x), torch.tensor(y), 2.0)
    assert_same(e, t)


# ----------------------------------------------------------------------------- CTC

CTC_CASES = [
    # (targets, input_lengths, target_lengths): padded 2-D targets, repeats (which need a
    # blank between them), an empty target and a shorter input
    ([[1, 2, 2], [3, 1, 0], [4, 4, 4]], [6, 5, 6], [3, 2, 0]),
    ([1, 2, 2, 3, 1], [6, 4, 6], [3, 2, 0]),  # the 1-D concatenation
    ([[1, 1, 2], [3, 1, 0], [4, 4, 4]], [6, 6, 3], [3, 2, 3]),  # infeasible 3rd sample
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", range(len(CTC_CASES)))
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("through_log_softmax", [True, False])
def test_ctc_loss_matches_torch(dtype, reduction, case, zero_infinity, through_log_softmax):
    targets, in_lengths, tg_lengths = CTC_CASES[case]
    if case == 2 and not zero_infinity and reduction != "none":
        return  # an infinite loss: its reduced gradient is NaN in both libraries
    x = rng.normal(size=(6, 3, 5)).astype(dtype)
    if not through_log_softmax:
        x = np.log(np.exp(x) / np.exp(x).sum(2, keepdims=True))
    out = []
    for lib in (ember, torch):
        raw = lib.tensor(x, requires_grad=True)
        lp = raw.log_softmax(2) if through_log_softmax else raw
        loss = lib.nn.CTCLoss(blank=0, reduction=reduction, zero_infinity=zero_infinity)(
            lp, lib.tensor(targets), lib.tensor(in_lengths), lib.tensor(tg_lengths))
        finite = loss.detach().isfinite().all()
        g = lib.tensor(np.linspace(0.5, 1.5, loss.numel()).reshape(tuple(loss.shape))
                       .astype(dtype))
        if bool(finite):
            loss.backward(g)
        out.append((loss, raw.grad))
    assert_same(out[0][0], out[1][0])
    if out[1][1] is not None:
        assert_same(out[0][1], out[1][1])


def test_ctc_unbatched_blank_and_errors():
    x = rng.normal(size=(5, 4))
    for lib_in in [(lambda lib: [5], lambda lib: [3]),
                   (lambda lib: lib.tensor([5]), lambda lib: lib.tensor([3]))]:
        res = []
        for lib in (ember, torch):
            raw = lib.tensor(x, requires_grad=True)
            loss = lib.nn.functional.ctc_loss(raw.log_softmax(1), lib.tensor([1, 2, 1]),
                                              lib_in[0](lib), lib_in[1](lib), blank=3)
            loss.backward()
            res.append((loss, raw.grad))
        assert_same(*[r[0] for r in res])
        assert_same(*[r[1] for r in res])
    lp = rng.normal(size=(5, 2, 4))
    tg = [[1, 2, 2], [3, 1, 0]]

    def ctc(lib, il=(5, 4), tl=(3, 2), **kw):
        return lib.nn.functional.ctc_loss(lib.tensor(lp), lib.tensor(tg), list(il), list(tl),
                                          **kw)

    _same_error(lambda lib: ctc(lib, il=(6, 4)))
    _same_error(lambda lib: ctc(lib, tl=(4, 2)))
    _same_error(lambda lib: ctc(lib, tl=(-1, 2)))
    _same_error(lambda lib: ctc(lib, blank=4))
    _same_error(lambda lib: ctc(lib, il=(5,)))
    _same_error(lambda lib: ctc(lib, reduction="bad"))


def test_ctc_gradcheck():
    # through log_softmax, torch's gradient convention is the true gradient of the logits
    logits = ember.tensor(rng.normal(size=(5, 2, 4)), requires_grad=True)
    targets = ember.tensor([[1, 1, 2], [3, 2, 0]])

    def loss(x):
        return ember.nn.functional.ctc_loss(x.log_softmax(2), targets, [5, 4], [3, 2],
                                            reduction="none")

    assert ember.autograd.gradcheck(loss, (logits,))


def test_ctc_on_another_device_with_cpu_targets(fake_cuda):
    x = rng.normal(size=(6, 2, 5))
    losses = []
    for device in ("cpu", "cuda"):
        lp = ember.tensor(x, device=device).log_softmax(2).requires_grad_()
        loss = ember.nn.functional.ctc_loss(lp, ember.tensor([[1, 2], [3, 3]]),
                                            ember.tensor([6, 5]), [2, 2])
        loss.backward()
        assert loss.device.type == device and lp.grad.device.type == device
        losses.append(loss.item())
    assert losses[0] == losses[1]


def test_nll_loss2d_is_the_deprecated_nll_loss():
    with pytest.warns(FutureWarning, match="`NLLLoss2d` has been deprecated"):
        e_loss = ember.nn.NLLLoss2d(reduction="sum")
    with pytest.warns(FutureWarning):
        t_loss = torch.nn.NLLLoss2d(reduction="sum")
    assert repr(e_loss) == repr(t_loss)
    x = np.log(rng.dirichlet(np.ones(3), size=(2, 4, 5))).transpose(0, 3, 1, 2)
    y = rng.integers(0, 3, size=(2, 4, 5))
    assert_same(e_loss(ember.tensor(x), ember.tensor(y)), t_loss(torch.tensor(x), torch.tensor(y)))
