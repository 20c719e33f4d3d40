"""The optim tail against torch.optim: Adafactor (trajectories, state_dict, errors), SparseAdam's
checks, and swa_utils (AveragedModel, the averaging functions, SWALR, update_bn).

Trajectories use tests/test_optim.py's parameters and loss: 20 steps, parameters compared after
every step within float32 rounding carried over 20 steps (its tolerance and reasoning).
"""

import numpy as np
import pytest
import torch

import ember
from tests.conftest import assert_same, to_numpy
from tests.test_optim import DTYPES, _assert_state_dicts_equal, _params, _run

ADAFACTOR_CASES = [
    {},
    # rho = min(lr, 1/sqrt(t)): lr until t = 6, then 1/sqrt(t). (The cubic loss runs away at
    # such rates: at lr=0.3 or 0.5 one step amplifies rounding ~40x in float32 and float64
    # alike; float64 still agrees with torch to 1e-13 there, so the maths is the same.)
    {"lr": 0.4},
    {"beta2_decay": -0.5, "eps": (1e-3, 1e-2), "d": 1.5},
    {"weight_decay": 0.1},
    {"maximize": True},
    {"eps": (None, 10.0), "d": 1.0},  # eps2 larger than RMS(p): alpha = eps2 * rho
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", ADAFACTOR_CASES, ids=str)
def test_adafactor_trajectory(options, dtype):
    e_params, t_params = _params(DTYPES[dtype])
    e_opt = ember.optim.Adafactor(e_params, **options)
    t_opt = torch.optim.Adafactor(t_params, **options)
    sign = -1.0 if options.get("maximize") else 1.0
    runs = zip(_run(e_opt, e_params, ember, 20, sign), _run(t_opt, t_params, torch, 20, sign))
    # tolerance: tests/test_optim.py::test_trajectory's 20 steps * 15 operations * 2**-24, but
    # relative to RMS(p) as well as to each element: Adafactor's step is alpha = RMS(p) * rho
    # for every element, so a small element next to large ones takes large steps, rounded to
    # the large ones' scale
    for step, _ in enumerate(runs):
        for e, t in zip(e_params, t_params):
            rms = float(np.sqrt(np.mean(to_numpy(t).astype(np.float64) ** 2)))
            np.testing.assert_allclose(to_numpy(e), to_numpy(t), rtol=2e-5,
                                       atol=max(2e-6, 2e-5 * rms), err_msg=f"after step {step + 1}")
    _assert_state_dicts_equal(e_opt.state_dict(), t_opt.state_dict())
    assert repr(e_opt).replace("ember", "torch") == repr(t_opt)


def test_adafactor_tensor_lr_and_loading_state():
    e_params, t_params = _params(DTYPES["float32"])
    e_opt = ember.optim.Adafactor(e_params, lr=ember.tensor(0.05))
    t_opt = torch.optim.Adafactor(t_params, lr=torch.tensor(0.05))
    for _ in zip(_run(e_opt, e_params, ember, 3, 1.0), _run(t_opt, t_params, torch, 3, 1.0)):
        pass
    # a fresh ember optimizer resumes from torch's state_dict and follows torch's next steps
    e_params2 = [ember.tensor(t.detach().numpy(), requires_grad=True) for t in t_params]
    e_opt2 = ember.optim.Adafactor(e_params2, lr=0.05)
    state = t_opt.state_dict()
    state["param_groups"][0]["lr"] = 0.05
    e_opt2.load_state_dict({"state": {k: {n: ember.tensor(v.numpy()) for n, v in s.items()}
                                      for k, s in state["state"].items()},
                            "param_groups": state["param_groups"]})
    for _ in zip(_run(e_opt2, e_params2, ember, 5, 1.0), _run(t_opt, t_params, torch, 5, 1.0)):
        for e, t in zip(e_params2, t_params):
            np.testing.assert_allclose(to_numpy(e), to_numpy(t), rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("kwargs, message", [
    ({"lr": -1.0}, "Learning rate should be >= 0 but is: -1.0"),
    ({"beta2_decay": 0.5}, "beta2_decay should be <= 0 but is: 0.5"),
    ({"eps": (-1.0, 1e-3)}, "epsilon1 should be >= 0 but is: -1.0"),
    ({"eps": (None, -1.0)}, "epsilon2 should be >= 0 but is: -1.0"),
    ({"d": 0.5}, "Clipping threshold d should be >= 1 but is: 0.5"),
    ({"weight_decay": -0.1}, "weight_decay should be >= 0 but is: -0.1"),
])
def test_adafactor_errors(kwargs, message):
    for lib in (torch, ember):
        with pytest.raises(ValueError) as err:
            lib.optim.Adafactor([lib.ones(2, requires_grad=True)], **kwargs)
        assert str(err.value) == message
    for lib in (torch, ember):
        p = lib.ones(2, dtype=lib.complex64, requires_grad=True)
        p.grad = lib.ones(2, dtype=lib.complex64)
        with pytest.raises(RuntimeError, match="Adafactor does not support complex parameters"):
            lib.optim.Adafactor([p]).step()


def test_sparse_adam_checks_as_torch():
    for lib in (torch, ember):
        for kwargs, message in [({"lr": 0.0}, "Invalid learning rate: 0.0"),
                                ({"eps": 0.0}, "Invalid epsilon value: 0.0"),
                                ({"betas": (1.0, 0.9)}, "Invalid beta parameter at index 0")]:
            with pytest.raises(ValueError, match=message):
                lib.optim.SparseAdam([lib.ones(2, requires_grad=True)], **kwargs)
        with pytest.raises(ValueError, match=r"Complex params at indices \[\[0, 1\]\]"):
            lib.optim.SparseAdam([lib.ones(2), lib.ones(2, dtype=lib.complex64)])
    opt = ember.optim.SparseAdam([ember.ones(2, requires_grad=True)], lr=0.1)
    assert opt.state_dict()["param_groups"] == torch.optim.SparseAdam(
        [torch.ones(2, requires_grad=True)], lr=0.1).state_dict()["param_groups"]


# ------------------------------------------------------------------------------ swa_utils

def _model(lib):
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.ReLU(),
                             lib.nn.Linear(4, 2))


def _same_model(dtype="float32"):
    """The same weights in both libraries, and one SGD optimizer each."""
    torch.manual_seed(0)
    t_model = _model(torch).to(getattr(torch, dtype))
    e_model = _model(ember).to(getattr(ember, dtype))
    e_model.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_model.state_dict().items()})
    return e_model, t_model


AVERAGERS = {
    "swa": lambda lib: {},
    "avg_fn=ema": lambda lib: {"avg_fn": lib.optim.swa_utils.get_ema_avg_fn(0.8)},
    "avg_fn=swa": lambda lib: {"avg_fn": lib.optim.swa_utils.get_swa_avg_fn()},
    "multi=ema": lambda lib: {"multi_avg_fn": lib.optim.swa_utils.get_ema_multi_avg_fn(0.7)},
    "multi=swa": lambda lib: {"multi_avg_fn": lib.optim.swa_utils.get_swa_multi_avg_fn()},
    "multi=ema+buffers": lambda lib: {"multi_avg_fn": lib.optim.swa_utils.get_ema_multi_avg_fn(
        0.7), "use_buffers": True},
    "swa+buffers": lambda lib: {"use_buffers": True},
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("averager", AVERAGERS)
def test_averaged_model_follows_torch(averager, dtype):
    e_model, t_model = _same_model(dtype)
    e_avg = ember.optim.swa_utils.AveragedModel(e_model, **AVERAGERS[averager](ember))
    t_avg = torch.optim.swa_utils.AveragedModel(t_model, **AVERAGERS[averager](torch))
    assert repr(e_avg) == repr(t_avg)
    assert list(e_avg.state_dict()) == list(t_avg.state_dict())
    e_opt = ember.optim.SGD(e_model.parameters(), lr=0.1)
    t_opt = torch.optim.SGD(t_model.parameters(), lr=0.1)
    data = rng_batches(6, dtype)
    for x in data:  # a training step, then the averaging, as in a training loop
        for lib, model, opt in ((ember, e_model, e_opt), (torch, t_model, t_opt)):
            opt.zero_grad()
            (model(lib.tensor(x)) ** 2).mean().backward()
            opt.step()
        e_avg.update_parameters(e_model)
        t_avg.update_parameters(t_model)
        for (ke, ve), (kt, vt) in zip(e_avg.state_dict().items(), t_avg.state_dict().items()):
            assert ke == kt
            # 6 averagings of values rounded as torch's: float32 rounding, a few ops a step
            assert_same(ve, vt, rtol=1e-5, atol=1e-6)
    x = data[0]
    e_avg.eval()
    t_avg.eval()
    assert_same(e_avg(ember.tensor(x)), t_avg(torch.tensor(x)), rtol=1e-5, atol=1e-6)


def rng_batches(n, dtype):
    rng = np.random.default_rng(1)
    return [rng.normal(size=(5, 3)).astype(dtype) for _ in range(n)]


def test_swa_utils_errors():
    for lib in (torch, ember):
        model = lib.nn.Linear(2, 2)
        swa = lib.optim.swa_utils
        with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
            swa.AveragedModel(model, avg_fn=swa.get_swa_avg_fn(),
                              multi_avg_fn=swa.get_swa_multi_avg_fn())
        for fn in (swa.get_ema_avg_fn, swa.get_ema_multi_avg_fn):
            with pytest.raises(ValueError, match=r"Invalid decay value 1.5 provided"):
                fn(1.5)
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear'"):
            swa.SWALR(opt, 0.05, anneal_strategy="step")
        with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0"):
            swa.SWALR(opt, 0.05, anneal_epochs=-1)
        with pytest.raises(ValueError, match="swa_lr must have the same length"):
            swa.SWALR(opt, [0.05, 0.01])


@pytest.mark.parametrize("kwargs", [{}, {"anneal_epochs": 3, "anneal_strategy": "linear"},
                                    {"anneal_epochs": 0}, {"swa_lr": [0.02, 0.5]}])
def test_swalr_schedule(kwargs):
    kwargs = dict(kwargs)
    swa_lr = kwargs.pop("swa_lr", 0.05)
    lrs, states = [], []
    for lib in (ember, torch):
        w1, w2 = lib.ones(2, requires_grad=True), lib.ones(3, requires_grad=True)
        opt = lib.optim.SGD([{"params": [w1]}, {"params": [w2], "lr": 0.3}], lr=1.0)
        sched = lib.optim.swa_utils.SWALR(opt, swa_lr, **kwargs)
        seen = [sched.get_last_lr()]
        for _ in range(14):
            opt.step()
            sched.step()
            seen.append(sched.get_last_lr())
        lrs.append(seen)
        states.append(sched.state_dict())
    np.testing.assert_allclose(lrs[0], lrs[1], rtol=1e-15)
    assert sorted(states[0]) == sorted(states[1])
    assert "anneal_func" not in states[0] and "optimizer" not in states[0]
    loaded = ember.optim.swa_utils.SWALR(opt_like_ember(), 0.9, anneal_strategy="linear")
    loaded.load_state_dict(states[0])
    assert loaded.anneal_func is loaded._cosine_anneal or kwargs.get("anneal_strategy")
    assert loaded.get_last_lr() == states[0]["_last_lr"]


def opt_like_ember():
    return ember.optim.SGD([{"params": [ember.ones(1, requires_grad=True)]},
                            {"params": [ember.ones(1, requires_grad=True)]}], lr=1.0)


def test_update_bn_recomputes_statistics_as_torch():
    e_model, t_model = _same_model()
    e_model.eval()
    t_model.eval()
    data = rng_batches(4, "float32")
    e_loader = [(ember.tensor(x), 0) for x in data]  # a (input, target) batch: input is used
    t_loader = [(torch.tensor(x), 0) for x in data]
    ember.optim.swa_utils.update_bn(e_loader, e_model)
    torch.optim.swa_utils.update_bn(t_loader, t_model)
    assert not e_model.training
    assert e_model[1].momentum == 0.1
    for (ke, ve), (kt, vt) in zip(e_model.state_dict().items(), t_model.state_dict().items()):
        assert ke == kt
        assert_same(ve, vt)
    ember.optim.swa_utils.update_bn([ember.ones(2, 2)], ember.nn.Linear(2, 2))  # no BN: no-op
