"""ember.special.airy_ai (ops/bessel.py) against torch.special.airy_ai and, where torch is the less
accurate of the two, mpmath (installed with torch through sympy): float64 values over [-200, 200],
special values, float32 rounding, dtypes, out=, the missing derivative, and errors.

Tolerances (float64).  ember is within 4 ulp of mpmath everywhere (of the oscillation's amplitude
|x|^(-1/4) / sqrt(pi) for x < -1; measured at most 3.7), as it carries z = (2/3) |x|^(3/2) in
double-double.  torch rounds z to float64, which costs it ~1.5 z ulp: Ai's phase z on the
negative axis (z = 1886 at x = -200: 3.2e-13 absolute on an amplitude of 0.15) and the exponent
in e^(-z) on the positive axis (z = 706 at x = 103.9: 1.1e-13 relative), both measured against
mpmath.  Against torch the tolerance is therefore (2 z + 8) eps of the same scale.  Between
-6 and -2.09 torch's own error grows to 6e-6 (its asymptotic form is used too close to 0; 2.9e-6
at x = -2.5 against mpmath), so there the comparison with torch is to 1e-5 absolute (ember is
checked against mpmath everywhere).  On (0, 2.09] torch sums the Maclaurin series, whose terms
cancel as Ai decays (they are as large as Bi, ~120 Ai at 2.09): torch is off by up to 75 ulp
there (at 2.06, against mpmath), so the tolerance there is 128 ulp.
"""

import math

import numpy as np
import pytest
import torch

import ember

NAN, INF = float("nan"), float("inf")
EPS32 = float(np.finfo(np.float32).eps)
EPS64 = float(np.finfo(np.float64).eps)

GRID = np.concatenate([np.linspace(-200, 200, 40001), np.linspace(-12, 3, 3001),
                       [-10.0, np.nextafter(-10.0, 0), 1.5, np.nextafter(1.5, 0), 103.892,
                        np.nextafter(103.892, 200), 0.0, -0.0, 1e-300, -1e-300]])


def _ember(x, dtype="float64"):
    return ember.special.airy_ai(ember.tensor(x, dtype=getattr(ember, dtype))).numpy()


def _torch(x, dtype="float64"):
    return torch.special.airy_ai(torch.tensor(x, dtype=getattr(torch, dtype))).numpy()


def _scale(x, value):
    """The size errors are measured against: the oscillation's amplitude |x|^(-1/4) / sqrt(pi)
    for x < -1, the value itself for x >= -1."""
    amplitude = np.abs(np.minimum(x, -1.0)) ** -0.25 / math.sqrt(math.pi)
    return np.where(x < -1, amplitude, np.abs(value))


def test_float64_against_torch():
    e, t = _ember(GRID), _torch(GRID)
    z = 2 * np.abs(GRID) ** 1.5 / 3
    tol = (2 * z + 8) * EPS64 * _scale(GRID, t) + 1e-300
    tol = np.where((GRID > -6) & (GRID < -2.09), 1e-5, tol)  # torch's own error, above
    tol = np.where((GRID > 0) & (GRID <= 2.09), 128 * EPS64 * np.abs(t), tol)  # and here
    bad = np.abs(e - t) > tol
    assert not bad.any(), (GRID[bad][:5], e[bad][:5], t[bad][:5])


def test_float64_against_mpmath():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 30
    xs = np.concatenate([np.linspace(-10, 3, 131), np.linspace(-200, -10, 39),
                         np.linspace(3, 103.5, 41), [-6.0, -2.5, -2.1, 103.89, -1e3, -12345.678,
                                                     -1e6, -3.3e7, -1e10]])
    got = _ember(xs)
    exact = np.array([float(mpmath.airyai(mpmath.mpf(v))) for v in xs])
    # 4 ulp of the scale (measured at most 3.7 on a 3500-point grid over [-200, 104])
    err = np.abs(got - exact)
    bad = err > 4 * EPS64 * _scale(xs, exact)
    assert not bad.any(), xs[bad]


def test_special_values():
    x = [0.0, -0.0, INF, -INF, NAN, 103.892, float(np.nextafter(103.892, 200)), 150.0, 1e300,
         -1e3, -2.0065826040452472e205, -2.0065826040452475e205, -1e300]
    e, t = _ember(x), _torch(x)
    assert e[0] == e[1] == t[0]  # Ai(0) = 3^(-2/3) / Gamma(2/3), exactly rounded
    assert e[0] == 0.3550280538878172
    assert np.isnan(e[2:5]).all() and np.isnan(t[2:5]).all()  # torch's NaN at +-inf
    assert e[5] > 0 and (e[6:9] == 0).all() and (t[6:9] == 0).all()  # torch's cut-off at 103.892
    np.testing.assert_allclose(e[5], t[5], rtol=2e-13)
    np.testing.assert_allclose(e[9], t[9], atol=1e-12)
    # torch's 2 |x|^(3/2) overflows from -2.0065826040452475e205 on: NaN there, as torch
    assert np.isfinite(e[10]) and np.isfinite(t[10]) and abs(e[10]) < 1e-51
    assert np.isnan(e[11:]).all() and np.isnan(t[11:]).all()
    x32 = np.array([-1e20, -3.07048e25, -3.0704802e25, -1e30], dtype=np.float32)  # float32's
    e32, t32 = _ember(x32, "float32"), _torch(x32, "float32")
    assert np.isfinite(e32[:2]).all() and np.isfinite(t32[:2]).all()
    assert np.isnan(e32[2:]).all() and np.isnan(t32[2:]).all()


def test_float32_and_integer_inputs():
    x = np.linspace(-50, 50, 2001).astype(np.float32)
    e = ember.special.airy_ai(ember.tensor(x))
    assert e.dtype == ember.float32
    # ember rounds its float64 value once
    once = _ember(x.astype(np.float64)).astype(np.float32)
    np.testing.assert_array_equal(e.numpy(), np.where(x > 25.770897, 0, once))
    # torch computes in float32: within a few float32 steps of the amplitude (its phase z is
    # rounded to float32 too, ~1.5 z float32 ulp: z = 236 at x = -50)
    t = _torch(x, "float32")
    z = 2 * np.abs(x.astype(np.float64)) ** 1.5 / 3
    tol = (2 * z + 8) * EPS32 * _scale(x.astype(np.float64), t) + 1e-37
    # and, as in float64, torch's own error: 1e-5 on (-6, -2.09), 128 ulp on (0, 2.09] (its
    # float32 series cancels as its float64 one, measured 48 ulp at 1.75)
    tol = np.where((x > -6) & (x < -2.09), 1e-5, tol)
    tol = np.where((x > 0) & (x <= 2.09), 128 * EPS32 * np.abs(t), tol)
    assert (np.abs(e.numpy() - t) <= tol).all()
    # torch's float32 kernel gives 0 above 25.770897 (Ai < 1.7e-39, a float32 subnormal): ember too
    above = np.array([25.770897, 25.770899, 30.0], dtype=np.float32)
    np.testing.assert_allclose(_ember(above, "float32"), _torch(above, "float32"), rtol=128 * EPS32)
    assert _ember(above, "float32")[0] > 0 and (_ember(above, "float32")[1:] == 0).all()
    for lib in (ember, torch):
        assert lib.special.airy_ai(lib.tensor([1, 2])).dtype == lib.float32
        assert lib.special.airy_ai(lib.tensor([True])).dtype == lib.float32
        assert lib.special.airy_ai(lib.tensor(2.0)).shape == ()
    np.testing.assert_allclose(ember.special.airy_ai(ember.tensor([1, -3])).numpy(),
                               _torch(np.array([1.0, -3.0]), "float32"), rtol=4 * EPS32)


def test_out():
    out = ember.empty(3, dtype=ember.float64)
    r = ember.special.airy_ai(ember.tensor([1, 2, 3]), out=out)
    assert r is out
    np.testing.assert_allclose(out.numpy(), _torch(np.array([1.0, 2.0, 3.0]), "float32"),
                               rtol=4 * EPS32)
    for lib in (ember, torch):
        with pytest.raises(RuntimeError):
            lib.special.airy_ai(lib.tensor([1.0, 2.0]), out=lib.empty(2, dtype=lib.int64))


def test_no_gradient():
    for lib in (ember, torch):
        x = lib.tensor([0.5, -2.0], requires_grad=True)
        y = lib.special.airy_ai(x)
        assert not y.requires_grad and y.grad_fn is None
        with pytest.raises(RuntimeError):
            y.sum().backward()


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "complex64"])
def test_unsupported_dtypes(dtype):
    for lib in (ember, torch):
        with pytest.raises(NotImplementedError, match="airy_ai"):
            lib.special.airy_ai(lib.ones(2, dtype=getattr(lib, dtype)))


def test_not_a_tensor():
    for lib in (ember, torch):
        with pytest.raises((TypeError, AttributeError)):
            lib.special.airy_ai(1.0)


def test_integers_follow_the_default_dtype():
    for lib in (ember, torch):
        lib.set_default_dtype(lib.float64)
        try:
            y = lib.special.airy_ai(lib.tensor([1, 30, 104]))
        finally:
            lib.set_default_dtype(lib.float32)
        assert y.dtype == lib.float64
        # float64's cut-off applies (Ai(30) = 3.2e-49 is not flushed as in float32)
        assert y[1].item() > 0 and y[2].item() == 0
