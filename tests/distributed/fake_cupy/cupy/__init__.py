"""A fake CuPy for ember's NCCL glue test (see ../README.md): NOT a GPU.

Under ``ember._device.enable_fake_cuda()`` ember's "cuda" tensors hold NumPy arrays, so the
"device arrays" are NumPy arrays and the few array calls ember makes through ``cupy`` (host
copies in the MPI fallbacks) are NumPy's."""

import numpy as np

from . import cuda  # noqa: F401

ndarray = np.ndarray


def asnumpy(a):
    """A host copy (CuPy copies from the GPU)."""
    return np.array(a)


def asarray(a, dtype=None):
    return np.asarray(a, dtype)


def ascontiguousarray(a):
    return np.ascontiguousarray(a)
