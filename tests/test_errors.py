"""The three beginner errors (dtype, shape, device): torch's class and first line, then ember's
explanation naming the layer, both sides, and the fix.  Golden texts pin each message."""

import threading

import numpy as np
import pytest
import torch

import ember

from conftest import subprocess_env


class Net(ember.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = ember.nn.Linear(784, 128)
        self.fc2 = ember.nn.Linear(10, 10)  # the bug: should be Linear(128, 10)

    def forward(self, x):
        return self.fc2(self.fc1(x).relu())


def _torch_first_line(fn):
    with pytest.raises(Exception) as err:
        fn()
    return type(err.value), str(err.value).splitlines()[0]


def test_shape_mismatch_between_layers_golden():
    with pytest.raises(RuntimeError) as err:
        Net()(ember.ones(64, 784))
    assert str(err.value) == (
        "mat1 and mat2 shapes cannot be multiplied (64x128 and 10x10)\n"
        "  in model.fc2 (Linear(in_features=10, out_features=10, bias=True)): input has 128 "
        "features, layer expects 10\n"
        "  hint: the input's last dimension must be in_features=10; check the out_features of "
        "the layer before, or flatten the input (x.flatten(1)) before this layer")
    cls, first = _torch_first_line(lambda: torch.nn.Linear(10, 10)(torch.ones(64, 128)))
    assert cls is RuntimeError and first == str(err.value).splitlines()[0]


def test_float64_numpy_into_float32_layer_golden():
    data = np.ones((64, 784))  # float64, as NumPy makes it
    with pytest.raises(RuntimeError) as err:
        Net()(ember.from_numpy(data))
    assert str(err.value) == (
        "mat1 and mat2 must have the same dtype, but got Double and Float\n"
        "  in model.fc1 (Linear(in_features=784, out_features=128, bias=True)): input is "
        "float64, weight is float32\n"
        "  hint: float64 data usually comes from NumPy (np.array defaults to float64) while "
        "layers are float32. Convert the data with ember.from_numpy(x).float() (or "
        "x.astype(np.float32)), or the model with model.double().")
    cls, first = _torch_first_line(
        lambda: torch.nn.Linear(784, 128)(torch.from_numpy(data)))
    assert cls is RuntimeError and first == str(err.value).splitlines()[0]


def test_device_mismatch_golden(fake_cuda):
    with pytest.raises(RuntimeError) as err:
        Net()(ember.ones(64, 784, device="cuda"))
    assert str(err.value) == (
        "Expected all tensors to be on the same device, but found at least two devices, "
        "cuda:0 and cpu!\n"
        "  in model.fc1 (Linear(in_features=784, out_features=128, bias=True)): one tensor is "
        "on cuda:0, another on cpu\n"
        "  hint: move the model and every batch to one device: model.to(device) once, and "
        "x = x.to(device) for each input and target in the loop.")


def test_broadcast_error_matches_torch_first_line():
    with pytest.raises(RuntimeError) as err:
        ember.ones(2, 3) + ember.ones(4)
    cls, first = _torch_first_line(lambda: torch.ones(2, 3) + torch.ones(4))
    assert cls is RuntimeError and str(err.value).splitlines()[0] == first


def test_backward_without_grad_explains_the_wrong_fix():
    with pytest.raises(RuntimeError) as err:
        ember.ones(2).sum().backward()
    text = str(err.value)
    assert text.splitlines()[0] == ("element 0 of tensors does not require grad and does not "
                                    "have a grad_fn")
    assert "loss.requires_grad = True does not fix this" in text


def test_numpy_on_tensor_requiring_grad_matches_torch():
    with pytest.raises(RuntimeError) as err:
        ember.ones(2, requires_grad=True).numpy()
    cls, first = _torch_first_line(lambda: torch.ones(2, requires_grad=True).numpy())
    assert cls is RuntimeError and str(err.value).splitlines()[0] == first


def test_matmul_shape_error_first_line_matches_torch():
    with pytest.raises(RuntimeError) as err:
        ember.ones(2, 3) @ ember.ones(4, 5)
    cls, first = _torch_first_line(lambda: torch.ones(2, 3) @ torch.ones(4, 5))
    assert str(err.value).splitlines()[0] == first


def test_no_numpy_warning_escapes_from_ops():
    """log(0), 0/0, overflow: torch is silent, and so is ember (checked with -W error)."""
    import subprocess
    import sys

    code = ("import ember\n"
            "x = ember.tensor([0.0, 1.0, -1.0])\n"
            "x.log(); x / 0; x.sqrt(); (x * 1e38 * 1e38).exp(); ember.log_softmax("
            "ember.tensor([float('-inf')] * 2), 0)\n"
            "import numpy as np, warnings\n"
            "try:\n"
            "    np.log(np.zeros(1))\n"
            "except RuntimeWarning:\n"
            "    print('user numpy still warns')\n")
    result = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True,
                            text=True, timeout=120, env=subprocess_env())
    assert result.returncode == 0, result.stderr
    assert "user numpy still warns" in result.stdout


class _Waits(ember.nn.Module):
    """Holds its thread inside the model's forward until told to go on."""

    def __init__(self, inside, go_on):
        super().__init__()
        self.inside, self.go_on = inside, go_on

    def forward(self, x):
        self.inside.set()
        assert self.go_on.wait(10), "the other thread never finished"
        return x


class _Encoder(ember.nn.Module):
    def __init__(self, inside, go_on):
        super().__init__()
        self.encoder = ember.nn.Linear(4, 4)
        self.wait = _Waits(inside, go_on)
        self.head = ember.nn.Linear(4, 4)

    def forward(self, x):
        return self.head(self.wait(self.encoder(x)).double())


class _TwoLayers(ember.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = ember.nn.Linear(4, 4)
        self.fc2 = ember.nn.Linear(4, 4)

    def forward(self, x):
        return self.fc2(self.fc1(x).double())


def _dtype_error_of(model, errors):
    try:
        model(ember.ones(2, 4))
    except RuntimeError as e:
        errors[model] = str(e)


def test_each_thread_names_its_own_layer():
    # thread a stops inside its model (model.wait) while thread b's model.fc2 gets float64 input;
    # then a goes on and its model.head fails the same way
    inside, go_on = threading.Event(), threading.Event()
    a, b = _Encoder(inside, go_on), _TwoLayers()
    errors = {}
    thread_a = threading.Thread(target=_dtype_error_of, args=(a, errors))
    thread_a.start()
    try:
        assert inside.wait(10)
        thread_b = threading.Thread(target=_dtype_error_of, args=(b, errors))
        thread_b.start()
        thread_b.join(10)
    finally:
        go_on.set()
        thread_a.join(10)
    assert errors[b].splitlines()[1] == (
        "  in model.fc2 (Linear(in_features=4, out_features=4, bias=True)): input is float64, "
        "weight is float32")
    assert errors[a].splitlines()[1] == (
        "  in model.head (Linear(in_features=4, out_features=4, bias=True)): input is float64, "
        "weight is float32")


def test_context_provider_outside_a_model_and_replaced():
    from ember import _errors

    assert _errors._module_context() == ""
    previous = _errors.set_context_provider(lambda: "my layer")
    try:
        error = _errors.dtype_mismatch("mm", "mat1", ember.float64, "mat2", ember.float32)
        assert str(error).splitlines()[1] == "  in my layer: input is float64, weight is float32"
    finally:
        assert _errors.set_context_provider(previous) is not previous
    assert _errors._module_context() == ""
