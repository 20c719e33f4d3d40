"""Shared test helpers: torch is the oracle; ember must match it."""

import os

import numpy as np
import pytest
import torch
from hypothesis import settings

import ember

# CI runs the same hypothesis examples every time (a red CI must be reproducible); locally
# hypothesis keeps exploring new ones.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

# torch's default tolerances per dtype (rtol, atol), from torch.testing
TOLERANCES = {
    "float16": (1e-3, 1e-5),
    "bfloat16": (1.6e-2, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
    "complex64": (1.3e-6, 1e-5),
    "complex128": (1e-7, 1e-7),
}


# EMBER_TEST_DEVICE=cuda runs the op table on a real GPU (CuPy), still against torch on the CPU
DEVICE = os.environ.get("EMBER_TEST_DEVICE", "cpu")


def to_numpy(t):
    """Values of an ember or torch tensor as a NumPy array."""
    if isinstance(t, torch.Tensor):
        t = t.detach()
        if t.dtype == torch.bfloat16:
            t = t.float()
        return t.numpy(force=True)  # force: torch gives some zero gradients as ZeroTensors
    if isinstance(t, ember.Tensor):
        a = t.detach()._host()
        if t.dtype is ember.bfloat16:
            a = a.astype(np.float32)
        return np.asarray(a)
    return np.asarray(t)


def dtype_name(t):
    return str(t.dtype).split(".")[-1]


def assert_same(e, t, rtol=None, atol=None, check_dtype=True):
    """ember tensor ``e`` equals torch tensor ``t``: shape, dtype and values (torch tolerances)."""
    assert isinstance(e, ember.Tensor), f"expected an ember.Tensor, got {type(e)}"
    assert tuple(e.shape) == tuple(t.shape), f"shape {tuple(e.shape)} != torch {tuple(t.shape)}"
    if check_dtype:
        assert dtype_name(e) == dtype_name(t), f"dtype {e.dtype} != torch {t.dtype}"
    default_rtol, default_atol = TOLERANCES.get(dtype_name(t), (0, 0))
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    np.testing.assert_allclose(to_numpy(e), to_numpy(t), rtol=rtol, atol=atol, equal_nan=True)


def pair(array, requires_grad=False):
    """The same values as an ember tensor and a torch tensor (fresh leaves)."""
    array = np.array(array)
    e = ember.tensor(array, requires_grad=requires_grad)
    t = torch.tensor(array, requires_grad=requires_grad)
    return e, t


@pytest.fixture
def fake_cuda():
    """A 'cuda' device backed by NumPy, to test device logic without a GPU."""
    from ember import _device

    _device.enable_fake_cuda()
    yield
    _device.disable_fake_cuda()


@pytest.fixture(autouse=True)
def _restore_global_state():
    yield
    ember.set_default_dtype(ember.float32)
    ember.autograd.grad_mode.state.enabled = True
