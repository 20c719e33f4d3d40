"""The Optimizer API against torch.optim: state_dicts both ways, errors, hooks, closures,
in-place updates, tensor learning rates, parameter groups, repr, LBFGS on Rosenbrock."""

import numpy as np
import pytest
import torch

import ember
from tests.conftest import to_numpy
from tests.test_optim import _loss, _params

DTYPE = (ember.float32, torch.float32)

ROUND_TRIP = [
    ("SGD", {"momentum": 0.9, "nesterov": True}),
    ("Adam", {"amsgrad": True, "weight_decay": 0.1}),
    ("AdamW", {}),
    ("RMSprop", {"centered": True, "momentum": 0.5}),
    ("Adagrad", {"lr_decay": 0.01}),
    ("Adadelta", {}),
    ("Adamax", {}),
    ("NAdam", {}),
    ("RAdam", {}),
    ("ASGD", {"t0": 3}),
    ("Rprop", {}),
]


def _to_ember(value):
    """A torch state_dict value with its tensors turned into ember tensors."""
    if isinstance(value, torch.Tensor):
        return ember.tensor(value.detach().numpy())
    if isinstance(value, dict):
        return {k: _to_ember(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_ember(v) for v in value]
    return value


def _to_torch(value):
    if isinstance(value, ember.Tensor):
        return torch.tensor(to_numpy(value))
    if isinstance(value, dict):
        return {k: _to_torch(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_torch(v) for v in value]
    return value


def _steps(opt, params, lib, n):
    for _ in range(n):
        opt.zero_grad()
        _loss(lib, params).backward()
        opt.step()


def _assert_params(e_params, t_params):
    for e, t in zip(e_params, t_params):
        np.testing.assert_allclose(to_numpy(e), to_numpy(t), rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("name,options", ROUND_TRIP, ids=[n for n, _ in ROUND_TRIP])
def test_torch_state_dict_loads_into_ember_and_back(name, options):
    t_params = _params(DTYPE)[1]
    t_opt = getattr(torch.optim, name)(t_params, lr=0.05, **options)
    _steps(t_opt, t_params, torch, 5)
    # ember picks up torch's run: same parameters, torch's state_dict
    e_params = [ember.tensor(p.detach().numpy(), requires_grad=True) for p in t_params]
    e_opt = getattr(ember.optim, name)(e_params, lr=0.05, **options)
    e_opt.load_state_dict(_to_ember(t_opt.state_dict()))
    assert e_opt.state_dict()["param_groups"] == t_opt.state_dict()["param_groups"]
    _steps(t_opt, t_params, torch, 10)
    _steps(e_opt, e_params, ember, 10)
    _assert_params(e_params, t_params)
    # and torch picks up ember's
    t_opt2 = getattr(torch.optim, name)(t_params, lr=0.05, **options)
    t_opt2.load_state_dict(_to_torch(e_opt.state_dict()))
    _steps(t_opt2, t_params, torch, 3)
    _steps(e_opt, e_params, ember, 3)
    _assert_params(e_params, t_params)


def test_state_dict_step_is_a_float_tensor_and_load_casts_state():
    e_params = _params(DTYPE)[0]
    opt = ember.optim.Adam(e_params, lr=0.1)
    _steps(opt, e_params, ember, 3)
    state = opt.state_dict()["state"][0]
    assert list(state) == ["step", "exp_avg", "exp_avg_sq"]
    assert repr(state["step"]) == repr(torch.tensor(3.0))
    # a float64 state goes back to the parameter's float32, but 'step' keeps its dtype
    sd = opt.state_dict()
    sd["state"][0]["exp_avg"] = sd["state"][0]["exp_avg"].double()
    sd["state"][0]["step"] = ember.tensor(3.0, dtype=ember.float64)
    opt.load_state_dict(sd)
    assert opt.state[e_params[0]]["exp_avg"].dtype is ember.float32
    assert opt.state[e_params[0]]["step"].dtype is ember.float64
    # the loaded state is a copy: changing the state_dict afterwards changes nothing
    sd["state"][0]["exp_avg"].zero_()
    assert opt.state[e_params[0]]["exp_avg"].abs().sum().item() > 0


def test_step_dtype_follows_default_dtype():
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    try:
        for lib in (ember, torch):
            p = lib.ones(2, requires_grad=True)
            opt = lib.optim.Adam([p])
            p.grad = lib.ones(2)
            opt.step()
            assert str(opt.state[p]["step"].dtype).endswith("float64")
    finally:
        torch.set_default_dtype(torch.float32)


def test_update_in_place_skips_missing_grads_and_bumps_version():
    for lib in (ember, torch):
        a, b = lib.ones(3, requires_grad=True), lib.ones(2, requires_grad=True)
        opt = lib.optim.Adam([a, b], lr=0.1)
        a.grad = lib.ones(3)
        data_before, version = a.data, a._version
        opt.step()
        assert a._version > version
        assert opt.state_dict()["state"].keys() == {0}  # b had no gradient: no state
        assert b.tolist() == [1.0, 1.0]
        assert a.requires_grad and a.is_leaf and a.grad_fn is None
        assert data_before.tolist() == a.tolist()  # same memory, changed in place


def test_updated_parameter_refuses_stale_backward():
    for lib in (ember, torch):
        w = lib.ones(3, requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.1)
        y = (w * w).sum()
        w.grad = lib.ones(3)
        opt.step()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.backward()


def test_tensor_learning_rate():
    e_params, t_params = _params(DTYPE)
    e_opt = ember.optim.Adam(e_params, lr=ember.tensor(0.05))
    t_opt = torch.optim.Adam(t_params, lr=torch.tensor(0.05))
    _steps(e_opt, e_params, ember, 10)
    _steps(t_opt, t_params, torch, 10)
    _assert_params(e_params, t_params)
    for lib in (ember, torch):
        with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
            lib.optim.SGD([lib.ones(1, requires_grad=True)], lr=lib.ones(2))


def test_param_groups_with_their_own_options():
    e_params, t_params = _params(DTYPE)
    results = []
    for lib, params in ((ember, e_params), (torch, t_params)):
        opt = lib.optim.Adam([{"params": params[:2]}, {"params": params[2:], "lr": 0.3}],
                             lr=0.01, betas=(0.5, 0.9))
        _steps(opt, params, lib, 2)
        opt.add_param_group({"params": [lib.ones(4, requires_grad=True)], "amsgrad": True})
        results.append(opt.state_dict()["param_groups"])
        _steps(opt, params, lib, 3)
    assert results[0] == results[1]
    _assert_params(e_params, t_params)


def test_named_parameters_give_param_names():
    e_params, t_params = _params(DTYPE)
    groups = []
    for lib, params in ((ember, e_params), (torch, t_params)):
        opt = lib.optim.SGD([(f"w{i}", p) for i, p in enumerate(params)], lr=0.1)
        groups.append(opt.state_dict()["param_groups"])
    assert groups[0] == groups[1]


def _errors(lib):
    """Each bad construction, as a function of the library."""
    p = lib.ones(2, requires_grad=True)
    o = lib.optim
    return [
        lambda: o.SGD([p], lr=-1),
        lambda: o.SGD([p], lr=0.1, momentum=-0.5),
        lambda: o.SGD([p], lr=0.1, nesterov=True),
        lambda: o.SGD([p], lr=0.1, weight_decay=-1),
        lambda: o.SGD([{"params": [p]}, {"params": [p]}], lr=0.1),
        lambda: o.SGD([p * 2], lr=0.1),
        lambda: o.SGD([], lr=0.1),
        lambda: o.SGD(p, lr=0.1),
        lambda: o.SGD([{"params": {p}}], lr=0.1),
        lambda: o.SGD([1.0], lr=0.1),
        lambda: o.Adam([p], betas=(1.0, 0.9)),
        lambda: o.Adam([p], betas=(0.9, -0.1)),
        lambda: o.Adam([p], eps=-1),
        lambda: o.AdamW([p], weight_decay=-1),
        lambda: o.RMSprop([p], alpha=-1),
        lambda: o.RMSprop([p], momentum=-1),
        lambda: o.Adagrad([p], lr_decay=-1),
        lambda: o.Adagrad([p], initial_accumulator_value=-1),
        lambda: o.Adadelta([p], rho=1.5),
        lambda: o.Adamax([p], betas=(0.9, 1.0)),
        lambda: o.NAdam([p], momentum_decay=-1),
        lambda: o.RAdam([p], eps=-1),
        lambda: o.ASGD([p], weight_decay=-1),
        lambda: o.Rprop([p], etas=(1.5, 1.2)),
        lambda: o.LBFGS([p], lr=-2),
        lambda: o.LBFGS([{"params": [p]}, {"params": [lib.ones(1, requires_grad=True)]}]),
        lambda: o.SparseAdam([p], eps=0),
    ]


def test_errors_match_torch():
    for e_case, t_case in zip(_errors(ember), _errors(torch)):
        with pytest.raises(Exception) as t_info:
            t_case()
        with pytest.raises(Exception) as e_info:
            e_case()
        assert type(e_info.value) is type(t_info.value)
        e_msg = str(e_info.value).replace("ember.", "torch.")
        assert e_msg.splitlines()[0] == str(t_info.value).splitlines()[0]


def test_invalid_learning_rate_message():
    with pytest.raises(ValueError, match="^Invalid learning rate: -1$"):
        ember.optim.Adam([ember.ones(1, requires_grad=True)], lr=-1)


def test_sparse_adam_refuses_dense_gradients_as_torch():
    for lib in (ember, torch):
        p = lib.ones(2, requires_grad=True)
        opt = lib.optim.SparseAdam([p])
        assert opt.step(lambda: 3.0) == 3.0  # no gradient yet: nothing to refuse
        p.grad = lib.ones(2)
        with pytest.raises(RuntimeError, match="SparseAdam does not support dense gradients"):
            opt.step()


LIBS = pytest.mark.parametrize("lib", [ember, torch], ids=["ember", "torch"])


@LIBS
def test_step_hooks_and_closure(lib):
    w = lib.tensor([1.0, -2.0], requires_grad=True)
    opt = lib.optim.SGD([w], lr=0.1)
    calls = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", args)))
    post = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", args)))

    def closure():
        opt.zero_grad()
        assert lib.is_grad_enabled()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with lib.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 5.0
    assert [c[0] for c in calls] == ["pre", "post"]
    assert calls[0][1] == (opt, closure)
    assert np.allclose(to_numpy(w), [0.8, -1.6])
    pre.remove()
    post.remove()
    opt.step(closure)
    assert len(calls) == 2
    assert opt.step() is None


@LIBS
def test_pre_hook_may_replace_the_closure_and_must_return_a_pair(lib):
    w = lib.tensor([1.0], requires_grad=True)
    opt = lib.optim.SGD([w], lr=0.5)

    def closure():
        opt.zero_grad()
        loss = (3 * w).sum()
        loss.backward()
        return loss

    handle = opt.register_step_pre_hook(lambda o, args, kwargs: ((o, closure), {}))
    assert opt.step().item() == 3.0
    assert w.item() == pytest.approx(-0.5)
    handle.remove()
    opt.register_step_pre_hook(lambda o, args, kwargs: 1)
    with pytest.raises(RuntimeError, match="must return None or a tuple"):
        opt.step()


def test_zero_grad_keeps_zeroed_tensors_when_asked():
    for lib in (ember, torch):
        w = lib.ones(2, requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.1)
        w.grad = lib.ones(2)
        g = w.grad
        opt.zero_grad(set_to_none=False)
        assert w.grad is g and w.grad.tolist() == [0.0, 0.0]
        opt.zero_grad()
        assert w.grad is None


@LIBS
def test_state_dict_hooks(lib):
    opt = lib.optim.SGD([lib.ones(1, requires_grad=True)], lr=0.1)
    seen = []
    opt.register_state_dict_pre_hook(lambda o: seen.append("pre"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    opt.register_load_state_dict_post_hook(lambda o: seen.append("loaded"))
    sd = opt.state_dict()
    assert sd["extra"] == 1
    opt.load_state_dict(sd)
    assert seen == ["pre", "loaded"]


def test_repr_matches_torch():
    e = ember.optim.Adam([ember.ones(1, requires_grad=True)], lr=0.01, amsgrad=True)
    t = torch.optim.Adam([torch.ones(1, requires_grad=True)], lr=0.01, amsgrad=True)
    assert repr(e) == repr(t)


def _rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def _lbfgs_run(lib, dtype, line_search_fn):
    """Six LBFGS steps on Rosenbrock from (-1.5, 2): the point, the losses, the counters."""
    x = lib.tensor([-1.5, 2.0], dtype=getattr(lib, dtype), requires_grad=True)
    opt = lib.optim.LBFGS([x], lr=1 if line_search_fn else 0.5, max_iter=25, history_size=10,
                          line_search_fn=line_search_fn)

    def closure():
        opt.zero_grad()
        loss = _rosenbrock(x)
        loss.backward()
        return loss

    first_losses = [opt.step(closure).item() for _ in range(6)]
    state = opt.state[x]
    return to_numpy(x).copy(), (first_losses, state["func_evals"], state["n_iter"], sorted(state))


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_lbfgs_rosenbrock_reaches_torch_point(line_search_fn, dtype):
    points, states = [], []
    for lib in (ember, torch):
        point, state = _lbfgs_run(lib, dtype, line_search_fn)
        points.append(point)
        states.append(state)
    tol = 1e-4 if dtype == "float32" else 1e-6
    np.testing.assert_allclose(points[0], points[1], rtol=tol, atol=tol)
    np.testing.assert_allclose(points[0], [1.0, 1.0], atol=1e-3)
    assert states[0][3] == states[1][3]  # the same state keys
    if dtype == "float64":  # float32 rounding differs a little along the way (not the end)
        np.testing.assert_allclose(states[0][0], states[1][0], rtol=1e-6, atol=1e-9)
        assert states[0][1:3] == states[1][1:3]  # same number of evaluations and iterations


def test_lbfgs_state_dict_round_trip_with_torch():
    t_x = torch.tensor([-1.0, 1.5], dtype=torch.float64, requires_grad=True)
    e_x = ember.tensor([-1.0, 1.5], dtype=ember.float64, requires_grad=True)
    opts = {}
    for lib, x in ((torch, t_x), (ember, e_x)):
        opts[lib.__name__] = lib.optim.LBFGS([x], max_iter=5, line_search_fn="strong_wolfe")

    def closure_for(lib, x):
        def closure():
            opts[lib.__name__].zero_grad()
            loss = _rosenbrock(x)
            loss.backward()
            return loss
        return closure

    opts["torch"].step(closure_for(torch, t_x))
    e_x.data = ember.tensor(t_x.detach().numpy())
    opts["ember"].load_state_dict(_to_ember(opts["torch"].state_dict()))
    for _ in range(3):
        opts["torch"].step(closure_for(torch, t_x))
        opts["ember"].step(closure_for(ember, e_x))
    np.testing.assert_allclose(to_numpy(e_x), to_numpy(t_x), rtol=1e-6, atol=1e-8)


def _my_sgd(lib):
    class MySGD(lib.optim.Optimizer):
        """A user's optimizer written as in the torch tutorials."""

        def __init__(self, params, lr):
            super().__init__(params, {"lr": lr})

        def step(self, closure=None):
            with lib.no_grad():
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is not None:
                            p.add_(p.grad, alpha=-group["lr"])

    return MySGD


@LIBS
def test_user_optimizer_subclass_gets_hooks_and_schedulers(lib):
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    opt = _my_sgd(lib)([w], lr=0.5)
    calls = []
    opt.register_step_post_hook(lambda o, args, kwargs: calls.append(args))
    scheduler = lib.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(2):
        w.grad = lib.ones(2)
        opt.step()
        scheduler.step()
    assert w.tolist() == [0.25, 1.25]
    assert len(calls) == 2 and calls[0] == (opt,)
    assert scheduler.get_last_lr() == [0.125]
