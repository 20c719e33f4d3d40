"""CUDA on a real GPU (CuPy): skipped on machines without one.

The op table runs on the GPU with ``EMBER_TEST_DEVICE=cuda`` (see scripts/gpu_check.sh); these
tests cover what the table does not: moves, training on the GPU, errors and memory stats.
"""

import numpy as np
import pytest
import torch

import ember
from ember import _device

from conftest import assert_same

pytestmark = pytest.mark.skipif(
    _device._fake_cuda or not ember.cuda.is_available(), reason="needs a GPU and CuPy")


def test_tensor_lives_on_the_gpu_and_comes_back():
    import cupy

    x = ember.arange(6.0).reshape(2, 3).cuda()
    assert x.device == ember.device("cuda", 0)
    assert x.is_cuda
    assert isinstance(x._data, cupy.ndarray)
    assert str(x.device) == "cuda:0"
    np.testing.assert_array_equal(x.cpu().numpy(), np.arange(6.0).reshape(2, 3))
    assert "device='cuda:0'" in repr(x)


def test_numpy_of_gpu_tensor_raises_torch_error():
    x = ember.ones(2, device="cuda")
    with pytest.raises(TypeError, match="cpu"):
        x.numpy()


def test_device_mismatch_on_real_gpu():
    a = ember.ones(2, device="cuda")
    b = ember.ones(2)
    with pytest.raises(RuntimeError, match="same device"):
        a + b


def test_matmul_softmax_and_grads_match_cpu():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((64, 32)).astype(np.float32)
    w = rng.standard_normal((32, 16)).astype(np.float32)
    for dev in ("cpu", "cuda"):
        x = ember.tensor(a, device=dev, requires_grad=True)
        y = ember.tensor(w, device=dev, requires_grad=True)
        out = ember.log_softmax(x @ y, dim=1).sum()
        out.backward()
        if dev == "cpu":
            ref = (out.item(), x.grad.numpy(), y.grad.numpy())
        else:
            assert x.grad.device.type == "cuda"
            np.testing.assert_allclose(out.item(), ref[0], rtol=1e-4)
            np.testing.assert_allclose(x.grad.cpu().numpy(), ref[1], rtol=1e-4, atol=1e-5)
            np.testing.assert_allclose(y.grad.cpu().numpy(), ref[2], rtol=1e-4, atol=1e-5)


def test_linear_regression_trains_on_the_gpu_like_torch_on_cpu():
    x = np.arange(11, dtype=np.float32).reshape(-1, 1)
    y = 2 * x + 1
    tm = torch.nn.Linear(1, 1)
    em = ember.nn.Linear(1, 1)
    with ember.no_grad():
        em.weight.copy_(ember.tensor(tm.weight.detach().numpy()))
        em.bias.copy_(ember.tensor(tm.bias.detach().numpy()))
    em.cuda()
    assert em.weight.device.type == "cuda"
    t_opt = torch.optim.SGD(tm.parameters(), lr=0.01)
    e_opt = ember.optim.SGD(em.parameters(), lr=0.01)
    ex, ey = ember.from_numpy(x).cuda(), ember.from_numpy(y).cuda()
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(200):
        for model, opt, xx, yy, lib in ((tm, t_opt, tx, ty, torch), (em, e_opt, ex, ey, ember)):
            opt.zero_grad()
            loss = lib.nn.functional.mse_loss(model(xx), yy)
            loss.backward()
            opt.step()
    assert_same(em.weight.cpu().detach(), tm.weight.detach(), rtol=1e-4, atol=1e-5)
    assert_same(em.bias.cpu().detach(), tm.bias.detach(), rtol=1e-4, atol=1e-5)


def test_memory_stats_follow_allocations():
    ember.cuda.synchronize()
    before = ember.cuda.memory_allocated()
    x = ember.empty(1024, 1024, device="cuda")
    assert ember.cuda.memory_allocated() >= before + x.numel() * 4
    assert ember.cuda.device_count() >= 1
    assert isinstance(ember.cuda.get_device_name(), str)
    del x


def test_random_on_the_gpu_is_seeded():
    ember.cuda.manual_seed(3)
    a = ember.rand(5, device="cuda")
    ember.cuda.manual_seed(3)
    b = ember.rand(5, device="cuda")
    assert a.device.type == "cuda"
    np.testing.assert_array_equal(a.cpu().numpy(), b.cpu().numpy())
    assert ((a >= 0) & (a < 1)).all().item()
