"""Learning-rate schedulers against torch.optim.lr_scheduler: the lr (and momentum) of every
group over 100+ steps, resuming from state_dicts mid-way, state_dict keys, the warnings."""

import math
import warnings

import pytest
import torch

import ember

STEPS = 120


def _steplr(s, o):
    return s.StepLR(o, step_size=7, gamma=0.5)


def _lambda(s, o):
    return s.LambdaLR(o, lr_lambda=[lambda e: 0.95**e, lambda e: 1 / (e + 1)])


def _multiplicative(s, o):
    return s.MultiplicativeLR(o, lr_lambda=lambda e: 0.97)


def _sequential(s, o):
    first = s.LinearLR(o, start_factor=0.1, total_iters=10)
    second = s.ExponentialLR(o, gamma=0.98)
    third = s.CosineAnnealingLR(o, T_max=30, eta_min=0.001)
    return s.SequentialLR(o, [first, second, third], milestones=[10, 60])


def _chained(s, o):
    return s.ChainedScheduler([s.ConstantLR(o, factor=0.5, total_iters=20),
                               s.ExponentialLR(o, gamma=0.99),
                               s.MultiStepLR(o, milestones=[30, 70], gamma=0.3)])


# name, optimizer ('SGD' with momentum, or 'Adam'), factory(lr_scheduler module, optimizer)
CASES = [
    ("StepLR", "SGD", _steplr),
    ("LambdaLR", "SGD", _lambda),
    ("MultiplicativeLR", "SGD", _multiplicative),
    ("MultiStepLR", "SGD", lambda s, o: s.MultiStepLR(o, milestones=[10, 30, 30, 80], gamma=0.5)),
    ("ConstantLR", "SGD", lambda s, o: s.ConstantLR(o, factor=0.25, total_iters=40)),
    ("LinearLR", "SGD", lambda s, o: s.LinearLR(o, start_factor=0.2, end_factor=0.9,
                                                total_iters=70)),
    ("ExponentialLR", "SGD", lambda s, o: s.ExponentialLR(o, gamma=0.97)),
    ("PolynomialLR", "SGD", lambda s, o: s.PolynomialLR(o, total_iters=90, power=2.0)),
    ("CosineAnnealingLR", "SGD", lambda s, o: s.CosineAnnealingLR(o, T_max=25, eta_min=0.01)),
    ("CosineAnnealingWarmRestarts", "SGD",
     lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2, eta_min=0.001)),
    ("CosineAnnealingWarmRestarts-1", "SGD",
     lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=13)),
    ("CyclicLR-triangular", "SGD",
     lambda s, o: s.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=15)),
    ("CyclicLR-triangular2", "SGD",
     lambda s, o: s.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=10,
                             step_size_down=20, mode="triangular2")),
    ("CyclicLR-exp_range", "Adam",
     lambda s, o: s.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=12, mode="exp_range",
                             gamma=0.99)),
    ("CyclicLR-no-momentum", "Adam",
     lambda s, o: s.CyclicLR(o, base_lr=0.001, max_lr=0.1, step_size_up=9,
                             cycle_momentum=False)),
    ("OneCycleLR-cos", "SGD", lambda s, o: s.OneCycleLR(o, max_lr=0.5, total_steps=STEPS + 1)),
    ("OneCycleLR-linear", "Adam",
     lambda s, o: s.OneCycleLR(o, max_lr=[0.5, 0.2], epochs=11, steps_per_epoch=11,
                               anneal_strategy="linear", pct_start=0.2)),
    ("OneCycleLR-three-phase", "SGD",
     lambda s, o: s.OneCycleLR(o, max_lr=0.3, total_steps=STEPS + 5, three_phase=True,
                               div_factor=10.0)),
    ("SequentialLR", "SGD", _sequential),
    ("ChainedScheduler", "SGD", _chained),
]


def _optimizer(lib, kind):
    a = lib.zeros(2, requires_grad=True)
    b = lib.zeros(3, requires_grad=True)
    groups = [{"params": [a]}, {"params": [b], "lr": 0.05}]
    if kind == "SGD":
        return lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    return lib.optim.Adam(groups, lr=0.1)


def _snapshot(opt, scheduler):
    out = list(scheduler.get_last_lr())
    for group in opt.param_groups:
        out.append(group["lr"])
        out.append(group["momentum"] if "momentum" in group else group["betas"][0])
    return out


def _trajectory(lib, kind, factory, steps, resume_at=None):
    opt = _optimizer(lib, kind)
    scheduler = factory(lib.optim.lr_scheduler, opt)
    values = [_snapshot(opt, scheduler)]
    for i in range(steps):
        if i == resume_at:  # a fresh optimizer and scheduler continue from the state_dicts
            saved_opt, saved_sched = opt.state_dict(), scheduler.state_dict()
            opt = _optimizer(lib, kind)
            scheduler = factory(lib.optim.lr_scheduler, opt)
            opt.load_state_dict(saved_opt)
            scheduler.load_state_dict(saved_sched)
        opt.step()
        scheduler.step()
        values.append(_snapshot(opt, scheduler))
    return values, scheduler


def _assert_close(e_values, t_values):
    assert len(e_values) == len(t_values)
    for step, (e, t) in enumerate(zip(e_values, t_values)):
        assert len(e) == len(t)
        for x, y in zip(e, t):
            assert math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-15), f"step {step}: {e} != {t}"


@pytest.mark.parametrize("name,kind,factory", CASES, ids=[c[0] for c in CASES])
def test_lr_sequence(name, kind, factory):
    t_values, t_sched = _trajectory(torch, kind, factory, STEPS)
    e_values, e_sched = _trajectory(ember, kind, factory, STEPS)
    _assert_close(e_values, t_values)
    assert list(e_sched.state_dict()) == list(t_sched.state_dict())
    assert getattr(e_sched, "last_epoch", None) == getattr(t_sched, "last_epoch", None)


@pytest.mark.parametrize("name,kind,factory", CASES, ids=[c[0] for c in CASES])
def test_resume_from_state_dict(name, kind, factory):
    t_values, _ = _trajectory(torch, kind, factory, STEPS)
    e_values, _ = _trajectory(ember, kind, factory, STEPS, resume_at=STEPS // 2)
    _assert_close(e_values, t_values)


def _plateau_metric(i):
    return 10.0 / (1 + min(i, 15)) + 0.01 * (i % 4) - 0.002 * max(0, i - 70)


@pytest.mark.parametrize("options", [
    {},
    {"mode": "max", "factor": 0.5, "patience": 3},
    {"threshold_mode": "abs", "threshold": 0.05, "cooldown": 4, "patience": 2},
    {"mode": "max", "threshold_mode": "abs", "min_lr": [0.01, 0.004], "patience": 1},
    {"patience": 0, "factor": 0.9, "eps": 1e-3, "min_lr": 0.02},
])
def test_reduce_lr_on_plateau(options):
    results = {}
    for lib in (torch, ember):
        opt = _optimizer(lib, "SGD")
        scheduler = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **options)
        sign = -1 if options.get("mode") == "max" else 1
        values = []
        for i in range(STEPS):
            if i == 60:  # resume from the state_dict
                saved = scheduler.state_dict()
                scheduler = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **options)
                scheduler.load_state_dict(saved)
            opt.step()
            scheduler.step(sign * _plateau_metric(i))
            values.append(list(scheduler.get_last_lr()) + [scheduler.num_bad_epochs,
                                                           scheduler.cooldown_counter])
        results[lib.__name__] = values, list(scheduler.state_dict())
    assert results["ember"] == results["torch"]


def test_step_before_optimizer_step_warns_as_torch():
    for lib in (torch, ember):
        opt = _optimizer(lib, "SGD")
        scheduler = lib.optim.lr_scheduler.StepLR(opt, step_size=2)
        with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before"):
            scheduler.step()
        opt = _optimizer(lib, "SGD")
        scheduler = lib.optim.lr_scheduler.StepLR(opt, step_size=2)
        opt.step()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            scheduler.step()
        opt = _optimizer(lib, "SGD")
        scheduler = lib.optim.lr_scheduler.StepLR(opt, step_size=2)
        opt.step = lambda closure=None: None
        with pytest.warns(UserWarning, match="Seems like `optimizer.step\\(\\)` has been"):
            scheduler.step()


def test_get_lr_outside_step_warns_and_errors():
    opt = _optimizer(ember, "SGD")
    scheduler = ember.optim.lr_scheduler.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        scheduler.get_lr()
    for lib in (torch, ember):
        s = lib.optim.lr_scheduler
        opt = _optimizer(lib, "SGD")
        with pytest.raises(TypeError, match="is not an Optimizer"):
            s.StepLR(object(), step_size=1)
        with pytest.raises(ValueError, match="Constant multiplicative factor"):
            s.ConstantLR(opt, factor=2)
        with pytest.raises(ValueError, match="Expected positive integer T_0"):
            s.CosineAnnealingWarmRestarts(opt, T_0=0)
        with pytest.raises(ValueError, match="Factor should be < 1.0."):
            s.ReduceLROnPlateau(opt, factor=1.0)
        with pytest.raises(KeyError, match="initial_lr"):
            s.StepLR(_optimizer(lib, "SGD"), step_size=1, last_epoch=3)
        with pytest.raises(ValueError, match="You must define either total_steps"):
            s.OneCycleLR(opt, max_lr=0.1)
        opt = _optimizer(lib, "SGD")
        sched = s.OneCycleLR(opt, max_lr=0.1, total_steps=2)
        opt.step()
        sched.step()
        sched.step()
        with pytest.raises(ValueError, match="Tried to step 3 times"):
            sched.step()


def test_tensor_lr_stays_a_tensor():
    results = []
    for lib in (torch, ember):
        p = lib.zeros(2, requires_grad=True)
        opt = lib.optim.SGD([p], lr=lib.tensor(0.1))
        scheduler = lib.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
        opt.step()
        scheduler.step()
        assert isinstance(opt.param_groups[0]["lr"], lib.Tensor)
        results.append(float(opt.param_groups[0]["lr"]))
    assert results[0] == pytest.approx(results[1], rel=1e-6)


def test_public_names():
    for name in ember.optim.lr_scheduler.__all__:
        assert hasattr(torch.optim.lr_scheduler, name), name
    assert issubclass(ember.optim.lr_scheduler.ReduceLROnPlateau,
                      ember.optim.lr_scheduler.LRScheduler)
