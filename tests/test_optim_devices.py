"""Optimizers on another device: state placement as torch's (a 'cuda' backed by NumPy here),
and, on a machine with a GPU and CuPy, every algorithm on the GPU equal to the CPU run."""

import numpy as np
import pytest

import ember
from ember import _device
from tests.conftest import to_numpy
from tests.test_optim import CASES, _loss

needs_gpu = pytest.mark.skipif(_device._fake_cuda or not ember.cuda.is_available(),
                               reason="needs a GPU and CuPy")


def _params(device):
    rng = np.random.default_rng(0)
    return [ember.tensor(rng.standard_normal(s), dtype=ember.float32, device=device,
                         requires_grad=True) for s in [(3, 4), (4,)]]


def _run(name, options, device, steps=5):
    params = _params(device)
    opt = getattr(ember.optim, name)(params, lr=0.05, **options)
    for _ in range(steps):
        opt.zero_grad()
        _loss(ember, params).backward()
        opt.step()
    return params, opt


def test_state_lives_where_torch_puts_it(fake_cuda):
    params, opt = _run("Adam", {}, "cuda")
    state = opt.state[params[0]]
    assert state["step"].device.type == "cpu"  # torch keeps the counter on the CPU
    assert state["exp_avg"].device.type == "cuda"
    params, opt = _run("ASGD", {}, "cuda")
    state = opt.state[params[0]]
    assert {state[k].device.type for k in ("step", "eta", "mu", "ax")} == {"cuda"}


def test_load_state_dict_moves_state_to_the_parameters_device(fake_cuda):
    cpu_params, cpu_opt = _run("Adam", {"amsgrad": True}, "cpu")
    cuda_params = [p.detach().to("cuda").requires_grad_() for p in cpu_params]
    cuda_opt = ember.optim.Adam(cuda_params, lr=0.05, amsgrad=True)
    cuda_opt.load_state_dict(cpu_opt.state_dict())
    state = cuda_opt.state[cuda_params[0]]
    assert state["exp_avg"].device.type == "cuda"
    assert state["step"].device.type == "cpu"


@needs_gpu
@pytest.mark.parametrize("name,options", CASES, ids=[f"{n}-{o}" for n, o in CASES])
def test_gpu_run_equals_cpu_run(name, options):
    cpu_params, _ = _run(name, options, "cpu")
    gpu_params, _ = _run(name, options, "cuda")
    for c, g in zip(cpu_params, gpu_params):
        assert g.device.type == "cuda"
        np.testing.assert_allclose(to_numpy(g), to_numpy(c), rtol=1e-5, atol=1e-6)


@needs_gpu
def test_lbfgs_and_scheduler_on_gpu():
    x = ember.tensor([-1.5, 2.0], dtype=ember.float64, device="cuda", requires_grad=True)
    opt = ember.optim.LBFGS([x], line_search_fn="strong_wolfe")
    scheduler = ember.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)

    def closure():
        opt.zero_grad()
        loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
        loss.backward()
        return loss

    for _ in range(5):
        opt.step(closure)
        scheduler.step()
    np.testing.assert_allclose(to_numpy(x), [1.0, 1.0], atol=1e-4)
