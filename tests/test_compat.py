"""ember/_compat.py: the GPU paths (used where CuPy lacks a NumPy call) give NumPy's results.

They run here on a stand-in module that is not ``numpy`` itself, so the GPU branch is taken.
"""

import types

import numpy as np
import pytest

from ember import _compat


class _HostArrays(np.ndarray):
    """A NumPy array with CuPy's ``.get()``."""

    def get(self):
        return np.asarray(self)


not_numpy = types.SimpleNamespace(**{k: getattr(np, k) for k in dir(np) if not k.startswith("__")})
not_numpy.asarray = lambda a: np.asarray(a).view(_HostArrays)


@pytest.mark.parametrize("ufunc", ["maximum", "minimum"])
@pytest.mark.parametrize("shape,axis", [((7,), 0), ((3, 9), 1), ((5, 4, 2), 0), ((2, 1), 1),
                                        ((0, 3), 1)])
def test_running_max_min_scan_equals_numpy(ufunc, shape, axis):
    x = np.random.default_rng(0).normal(size=shape)
    if x.size:
        x.flat[x.size // 2] = np.nan  # NaN propagates as in NumPy
    got = _compat.accumulate(not_numpy, ufunc, x, axis)
    np.testing.assert_array_equal(got, getattr(np, ufunc).accumulate(x, axis=axis))


def test_multiply_at_on_a_host_copy_equals_numpy():
    target = np.arange(1.0, 6.0).view(_HostArrays)
    index = (np.array([0, 0, 3, 4, 0]).view(_HostArrays),)
    values = np.array([2.0, 3.0, -1.0, 0.5, 2.0]).view(_HostArrays)
    want = np.arange(1.0, 6.0)
    np.multiply.at(want, index, np.asarray(values))
    _compat.ufunc_at(not_numpy, "multiply", target, index, values)
    np.testing.assert_array_equal(np.asarray(target), want)


@pytest.mark.parametrize("shape,axis,keep", [((3, 4), 1, False), ((3, 0), 1, True),
                                             ((0, 2), (0, 1), False), ((2, 3), None, False)])
def test_max_without_initial_equals_numpy(shape, axis, keep):
    a = np.abs(np.random.default_rng(1).normal(size=shape))
    got = _compat.max_or(not_numpy, a, axis, keep, 0)
    want = a.max(axis=axis, keepdims=keep, initial=0)
    assert np.shape(got) == np.shape(want)
    np.testing.assert_array_equal(got, want)
