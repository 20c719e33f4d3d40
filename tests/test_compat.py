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


@pytest.mark.parametrize("shape", [(), (1,), (1, 1), (3,), (4, 5)])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.complex64])
def test_add_into_is_bit_exact_in_place_add(shape, dtype):
    """One-element arrays take the scalar path, larger ones NumPy's in-place add: both must
    give exactly a + b, in place (the array object and its memory are kept)."""
    rng = np.random.default_rng(0)
    for _ in range(50):
        a = np.asarray(rng.normal(size=shape) * 10).astype(dtype)
        b = np.asarray(rng.normal(size=shape) * 10).astype(dtype)
        expected = np.asarray(a + b)
        dst = a.copy()
        view = dst[...]
        _compat.add_into(dst, b)
        assert dst.tobytes() == expected.tobytes()
        assert view.tobytes() == expected.tobytes()  # written in place, seen through a view
