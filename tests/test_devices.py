"""Devices: ember.device objects, moves between devices, and the device-mismatch error.

A NumPy-backed stand-in for 'cuda' (the fake_cuda fixture) lets these run without a GPU.
"""

import numpy as np
import pytest
import torch

import ember


def test_device_objects_match_torch():
    for spec in ("cpu", "cuda", "cuda:0", "cuda:1"):
        e, t = ember.device(spec), torch.device(spec)
        assert str(e) == str(t)
        assert repr(e) == repr(t)
        assert e.type == t.type and e.index == t.index
    assert ember.device("cuda", 1) == ember.device("cuda:1")
    assert ember.device("cpu") == "cpu"
    with pytest.raises(RuntimeError):
        ember.device("gpu")
    with pytest.raises(RuntimeError):
        torch.device("gpu")


def test_cuda_not_available_without_gpu():
    assert ember.cuda.is_available() is False
    assert ember.cuda.device_count() == 0
    with pytest.raises(RuntimeError, match="CUDA"):
        ember.ones(2, device="cuda")


def test_moves_between_devices(fake_cuda):
    assert ember.cuda.is_available()
    x = ember.tensor([1.0, 2.0])
    y = x.to("cuda")
    assert y.device == ember.device("cuda:0") and y.is_cuda
    assert str(y.device) == "cuda:0"
    z = y.cpu()
    assert z.device.type == "cpu"
    np.testing.assert_array_equal(z.numpy(), [1.0, 2.0])
    assert x.to("cpu") is x  # nothing to do: the same tensor
    assert x.cuda().device == ember.device("cuda", 0)
    w = ember.zeros(3, device="cuda")
    assert w.device.type == "cuda"


def test_gradients_flow_across_a_move(fake_cuda):
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = (x.to("cuda") * 3).sum()
    assert y.device.type == "cuda"
    y.backward()
    assert x.grad.device.type == "cpu"
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_device_mismatch_error_names_both_devices_and_the_fix(fake_cuda):
    a = ember.ones(3)
    b = ember.ones(3, device="cuda")
    with pytest.raises(RuntimeError) as err:
        a + b
    first = str(err.value).splitlines()[0]
    assert first == ("Expected all tensors to be on the same device, but found at least two "
                     "devices, cpu and cuda:0!")
    assert ".to(device)" in str(err.value)


def test_model_on_cpu_with_batch_on_cuda(fake_cuda):
    model = ember.nn.Linear(3, 2)
    x = ember.ones(4, 3, device="cuda")
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        model(x)
    weight = model.weight
    model.to("cuda")
    assert model.weight is weight  # moved in place: optimizers keep working
    assert model.weight.device.type == "cuda"
    assert model(x).device.type == "cuda"


def test_numpy_of_cuda_tensor_errors_like_torch(fake_cuda):
    y = ember.ones(2, device="cuda")
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        y.numpy()
    assert y.cpu().numpy().tolist() == [1.0, 1.0]
    assert y.tolist() == [1.0, 1.0]


def test_zero_dim_cpu_tensor_may_join_a_cuda_op(fake_cuda):
    y = ember.ones(2, device="cuda") * ember.tensor(3.0)
    assert y.device.type == "cuda"
