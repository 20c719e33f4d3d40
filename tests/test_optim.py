"""Optimizers against torch.optim: parameter trajectories, state_dicts, options.

Each case builds the same parameters in both libraries, minimises the same loss with the same
options, and compares the parameters after every step (float32 and float64), then the
state_dicts (keys, their order, and values).
"""

import numpy as np
import pytest
import torch

import ember
from tests.conftest import assert_same, to_numpy

SHAPES = [(3, 4), (4,), (2, 1, 3)]

# name, options: every option of every algorithm that changes the maths
CASES = [
    ("SGD", {}),
    ("SGD", {"momentum": 0.9}),
    ("SGD", {"momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"weight_decay": 0.1, "maximize": True}),
    ("Adam", {}),
    ("Adam", {"betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adam", {"weight_decay": 0.1}),
    ("Adam", {"amsgrad": True}),
    ("Adam", {"maximize": True}),
    ("Adam", {"weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {}),
    ("AdamW", {"weight_decay": 0.1, "amsgrad": True}),
    ("RMSprop", {}),
    ("RMSprop", {"alpha": 0.9, "eps": 1e-6, "weight_decay": 0.1}),
    ("RMSprop", {"centered": True}),
    ("RMSprop", {"momentum": 0.9}),
    ("RMSprop", {"centered": True, "momentum": 0.5, "maximize": True}),
    ("Adagrad", {}),
    ("Adagrad", {"lr_decay": 0.1, "weight_decay": 0.1}),
    ("Adagrad", {"initial_accumulator_value": 0.5, "eps": 1e-6, "maximize": True}),
    ("Adadelta", {}),
    ("Adadelta", {"rho": 0.5, "eps": 1e-4, "weight_decay": 0.1}),
    ("Adadelta", {"maximize": True}),
    ("Adamax", {}),
    ("Adamax", {"betas": (0.8, 0.9), "weight_decay": 0.1}),
    ("Adamax", {"maximize": True}),
    ("NAdam", {}),
    ("NAdam", {"momentum_decay": 0.01, "weight_decay": 0.1}),
    ("NAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("NAdam", {"maximize": True}),
    ("RAdam", {}),
    ("RAdam", {"betas": (0.9, 0.9)}),  # rho_t > 5 from step 6 on: both branches
    ("RAdam", {"weight_decay": 0.1}),
    ("RAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
    ("ASGD", {}),
    ("ASGD", {"t0": 5, "lambd": 0.1, "alpha": 0.5}),  # averaging starts mid-run
    ("ASGD", {"weight_decay": 0.1, "maximize": True}),
    ("Rprop", {}),
    ("Rprop", {"etas": (0.3, 1.5), "step_sizes": (1e-3, 0.2)}),
    ("Rprop", {"maximize": True}),
]

LRS = {"low": 1e-3, "high": 0.1}
DTYPES = {"float32": (ember.float32, torch.float32), "float64": (ember.float64, torch.float64)}


def _params(dtype, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in SHAPES]
    e = [ember.tensor(a, dtype=dtype[0], requires_grad=True) for a in arrays]
    t = [torch.tensor(a, dtype=dtype[1], requires_grad=True) for a in arrays]
    return e, t


def _loss(lib, params, sign=1.0):
    """A smooth loss with a different curvature per coordinate (the same in both libraries)."""
    total = 0
    for p in params:
        scale = lib.arange(1, p.numel() + 1, dtype=p.dtype, device=p.device)
        scale = scale.reshape(p.shape) / p.numel()
        total = total + sign * ((scale * (p - 0.5) ** 2).sum() + 0.1 * (p * p * p).sum())
    return total


def _run(opt, params, lib, steps, sign):
    for _ in range(steps):
        opt.zero_grad()
        _loss(lib, params, sign).backward()
        opt.step()
        yield


@pytest.mark.parametrize("lr", LRS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,options", CASES, ids=[f"{n}-{o}" for n, o in CASES])
def test_trajectory(name, options, dtype, lr):
    e_params, t_params = _params(DTYPES[dtype])
    e_opt = getattr(ember.optim, name)(e_params, lr=LRS[lr], **options)
    t_opt = getattr(torch.optim, name)(t_params, lr=LRS[lr], **options)
    sign = -1.0 if options.get("maximize") else 1.0
    runs = zip(_run(e_opt, e_params, ember, 20, sign), _run(t_opt, t_params, torch, 20, sign))
    # float32 rounding (2**-24 ~ 6e-8 per operation), perhaps in another order on another CPU:
    # an update is ~10-15 operations whose errors carry into the next of 20 steps:
    # 20 * 15 * 6e-8 ~ 2e-5 (float64 passes far inside it)
    for step, _ in enumerate(runs):
        for e, t in zip(e_params, t_params):
            np.testing.assert_allclose(to_numpy(e), to_numpy(t), rtol=2e-5, atol=2e-6,
                                       err_msg=f"after step {step + 1}")
    _assert_state_dicts_equal(e_opt.state_dict(), t_opt.state_dict())


def _assert_state_dicts_equal(e_sd, t_sd):
    assert list(e_sd) == ["state", "param_groups"]
    assert list(e_sd["state"]) == list(t_sd["state"])
    for key in t_sd["state"]:
        e_state, t_state = e_sd["state"][key], t_sd["state"][key]
        assert list(e_state) == list(t_state)
        for name, t_value in t_state.items():
            if isinstance(t_value, torch.Tensor):
                assert_same(e_state[name], t_value, rtol=1e-4, atol=1e-5)
            else:
                assert e_state[name] == t_value
    assert len(e_sd["param_groups"]) == len(t_sd["param_groups"])
    for e_group, t_group in zip(e_sd["param_groups"], t_sd["param_groups"]):
        assert list(e_group) == list(t_group)
        assert e_group == t_group
