"""The special functions and the other ops of ops/special_math.py, ops/pointwise.py and
ops/along_dim.py beyond the op table (tests/op_tables/special_math.py): special values and
poles, accuracy of ember's own gamma-family numerics, integer/bool inputs and result dtypes,
gcd/lcm, frexp/ldexp round trips, out=, the in-place forms (methods and torch's module-level
in-place functions), 16-bit floats, and error classes.

Accuracy is measured against torch in float64.  Where torch's own value is less accurate than
the target (its trigamma), the tolerance says so; mpmath (installed with torch, through sympy)
is consulted for those points when it is present.
"""

import math

import numpy as np
import pytest
import torch

import ember
from ember.ops import inplace as ember_inplace

from conftest import assert_same

NAN, INF = float("nan"), float("inf")
EPS32 = float(np.finfo(np.float32).eps)  # 1.2e-7


def _both(fn, *arrays, dtype=None):
    """fn(lib, *tensors) in ember and in torch (tensors made from the same arrays)."""
    results = []
    for lib in (ember, torch):
        ts = [lib.tensor(a) if dtype is None else lib.tensor(a, dtype=getattr(lib, dtype))
              for a in arrays]
        results.append(fn(lib, *ts))
    return results


def _raises_alike(fn):
    """fn(lib) raises the same exception class in both libraries."""
    with pytest.raises(Exception) as t_err:
        fn(torch)
    with pytest.raises(type(t_err.value)):
        fn(ember)


# ---------------------------------------------------------------------------- special values

SPECIAL = [0.0, -0.0, -1.0, -2.0, -7.0, -2.5, -0.5, 0.5, 1.0, 2.0, 3.0, 1e-300, 1e-8, -1e-8,
           1e306, 3e305, 170.5, 200.0, INF, -INF, NAN, -1e20, 1e20]


@pytest.mark.parametrize("name", ["lgamma", "digamma", "i0", "sinc"])
def test_special_values_and_poles(name):
    """lgamma: +inf at 0 and the negative integers; digamma: -inf at +0, +inf at -0, NaN at
    the negative integers and -inf; i0: NaN at +-inf (as torch); sinc: 1 at 0, NaN at inf."""
    e, t = _both(lambda lib, x: getattr(lib, name)(x), np.array(SPECIAL))
    assert_same(e, t, rtol=1e-13, atol=0)
    a, b = e.numpy(), t.numpy()
    assert np.array_equal(np.signbit(a[a == 0]), np.signbit(b[b == 0]))


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_polygamma_special_values_and_poles(n):
    """(-1)^(n+1) inf at 0, -0 and the negative integers; at -inf NaN (n = 1) or the pole's
    value; at +inf 0 (n = 1) or NaN, as torch."""
    values = [v for v in SPECIAL if not (n == 1 and v < -0.5 and np.isfinite(v) and v == int(v))]
    e, t = _both(lambda lib, x: lib.polygamma(n, x), np.array(values))
    assert_same(e, t, rtol=1e-9 if n == 1 else 1e-13, atol=0)


def test_trigamma_at_negative_integers_is_inf():
    """A double pole: +inf.  (torch's trigamma gives 6.6e32 at -1: pi^2 / sin(pi x)^2 with
    sin(-pi) rounded to 1.2e-16, and a finite value at -1e20; ember says inf.)"""
    x = ember.tensor([-1.0, -2.0, -7.0, -1e20], dtype=ember.float64)
    assert np.all(ember.polygamma(1, x).numpy() == INF)


def test_lgamma_digamma_tiny_and_huge():
    e, t = _both(lambda lib, x: (lib.lgamma(x), lib.digamma(x)),
                 np.array([5e-324, 1e-310, 1e-200, 1e200, 2.5e305, 1.7e308, -1e-310]))
    for a, b in zip(e, t):
        assert_same(a, b, rtol=1e-13, atol=0)


# ---------------------------------------------------------------------------- accuracy

def _grid(seed=0):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.uniform(0, 3, 3000), rng.uniform(3, 40, 1000),
                           10 ** rng.uniform(-12, 15, 500)])


def _negative_grid(seed=1):
    x = np.random.default_rng(seed).uniform(-40, 0, 2000)
    return x[np.abs(x - np.round(x)) > 1e-3]  # off the poles


def _relative(e, t):
    a, b = e.numpy(), t.numpy()
    return np.abs(a - b) / np.abs(b)


def test_lgamma_float64_accuracy():
    """Relative 1e-13 of torch (glibc's lgamma), except at the zeros of lgamma (x = 1, 2 and
    one between each pair of negative poles), where the result is a small difference of two
    large terms: there the error is absolute, 1e-14 (near 1 and 2 a Taylor series keeps it
    relative)."""
    x = np.concatenate([_grid(), _negative_grid()])
    e, t = _both(lambda lib, v: lib.lgamma(v), x)
    small = np.abs(t.numpy()) < 0.1
    assert np.max(_relative(e, t)[~small]) < 1e-13
    assert np.max(np.abs(e.numpy() - t.numpy())[small]) < 1e-14
    near = (np.abs(x - 1) < 0.01) | (np.abs(x - 2) < 0.01)
    assert np.max(_relative(e, t)[near & (t.numpy() != 0)]) < 1e-13


def test_digamma_float64_accuracy():
    """Relative 1e-13 of torch, except near digamma's zeros (1.4616..., and one between each
    pair of negative poles) where the error is absolute: 1e-15 for x > 0, 1e-14 for x < 0
    (the reflection's two terms are ~3 there)."""
    x = np.concatenate([_grid(), _negative_grid()])
    e, t = _both(lambda lib, v: lib.digamma(v), x)
    small = np.abs(t.numpy()) < 0.1
    assert np.max(_relative(e, t)[~small]) < 1e-13
    error = np.abs(e.numpy() - t.numpy())
    assert np.max(error[small & (x > 0)]) < 1e-15
    assert np.max(error[small & (x < 0)]) < 1e-14


@pytest.mark.parametrize("n", [2, 3, 4, 7, 12])
def test_polygamma_float64_accuracy(n):
    """n >= 2: relative 1e-13 of torch for x > 0.  For x < 0 the value is a sum of terms of
    both signs, ~n! in size, that cancel near the zeros of polygamma (even n; both libraries
    lose digits there): relative 1e-13 plus absolute 1e-12 n!."""
    e, t = _both(lambda lib, v: lib.polygamma(n, v), _grid())
    assert np.max(_relative(e, t)) < 1e-13
    e, t = _both(lambda lib, v: lib.polygamma(n, v), _negative_grid())
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-13,
                               atol=1e-12 * math.factorial(n))


def test_trigamma_float64_accuracy():
    """torch's trigamma is itself off by up to 5e-10 relative (x near 1): the comparison with
    torch is at 1e-9; against mpmath (exact to 30 digits) ember is within 1e-14."""
    x = np.concatenate([_grid(), _negative_grid()])
    e, t = _both(lambda lib, v: lib.polygamma(1, v), x)
    assert np.max(_relative(e, t)) < 1e-9
    mpmath = pytest.importorskip("mpmath")
    some = x[::23]
    with mpmath.workdps(30):
        exact = np.array([float(mpmath.polygamma(1, v)) for v in some])
    mine = ember.polygamma(1, ember.tensor(some)).numpy()
    assert np.max(np.abs(mine - exact) / np.abs(exact)) < 1e-14


def test_i0_float64_accuracy():
    x = np.concatenate([np.linspace(-700, 700, 3001), [1e-300, 1e-8]])
    e, t = _both(lambda lib, v: lib.i0(v), x)
    assert np.max(_relative(e, t)) < 1e-14


def test_i0_gradient_is_i1():
    """i0' = i1 (ember's own series/asymptotic I1) against torch.special.i1, all ranges."""
    x = np.concatenate([np.linspace(-80, 80, 1601), [0.0, 29.999, 30.0, 30.001]])
    e = ember.tensor(x, requires_grad=True)
    ember.i0(e).sum().backward()
    want = torch.special.i1(torch.tensor(x)).numpy()
    np.testing.assert_allclose(e.grad.numpy(), want, rtol=1e-14, atol=0)


@pytest.mark.parametrize("name", ["lgamma", "digamma", "polygamma_1", "polygamma_3", "i0",
                                  "sinc"])
def test_float32_within_rounding(name):
    """float32: computed in float64 and rounded once, so within float32's rounding of torch
    (which computes in float32: a few units in the last place, 4 eps relative; absolute
    1e-6 where the value crosses zero; torch's float32 trigamma drifts further at negative x,
    so that comparison is on positive x)."""
    x = np.random.default_rng(3).uniform(0.05, 30, 2000).astype(np.float32)
    if name.startswith("polygamma"):
        n = int(name[-1])
        fn = lambda lib, v: lib.polygamma(n, v)  # noqa: E731
    else:
        fn = lambda lib, v: getattr(lib, name)(v)  # noqa: E731
    e, t = _both(fn, x)
    assert e.dtype is ember.float32
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=4 * EPS32, atol=1e-6)


# ---------------------------------------------------------------------------- dtypes

@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int32", "int64"])
@pytest.mark.parametrize("name", ["lgamma", "digamma", "polygamma", "mvlgamma", "i0", "sinc",
                                  "deg2rad", "rad2deg", "frexp", "logcumsumexp", "aminmax"])
def test_bool_and_integer_inputs(name, dtype):
    """Floating functions of bool/integer tensors give the default float dtype, as torch; the
    ones torch refuses (frexp, logcumsumexp) raise the same class."""
    values = [1, 0, 1] if dtype == "bool" else [3, 1, 7]
    call = {
        "polygamma": lambda lib, x: lib.polygamma(2, x),
        "mvlgamma": lambda lib, x: lib.mvlgamma(x, 2),
        "logcumsumexp": lambda lib, x: lib.logcumsumexp(x, 0),
    }.get(name, lambda lib, x: getattr(lib, name)(x))
    try:
        t = call(torch, torch.tensor(values, dtype=getattr(torch, dtype)))
    except Exception as err:  # noqa: BLE001 - ember must raise the same class
        with pytest.raises(type(err)):
            call(ember, ember.tensor(values, dtype=getattr(ember, dtype)))
        return
    e = call(ember, ember.tensor(values, dtype=getattr(ember, dtype)))
    for a, b in zip(e if isinstance(e, tuple) else (e,), t if isinstance(t, tuple) else (t,)):
        assert_same(a, b)


def test_integer_inputs_follow_the_default_dtype():
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.lgamma(ember.tensor([3])).dtype is ember.float64
        assert ember.deg2rad(ember.tensor([3])).dtype is ember.float64
        assert ember.ldexp(ember.tensor([3]), ember.tensor([2])).dtype is ember.float64
    finally:
        ember.set_default_dtype(ember.float32)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("name", ["lgamma", "digamma", "polygamma", "mvlgamma", "i0", "sinc",
                                  "deg2rad", "rad2deg", "logcumsumexp", "addcmul", "addcdiv",
                                  "ldexp", "renorm", "aminmax"])
def test_16_bit_floats(name, dtype):
    """torch computes 16-bit floats in float32 and rounds once; ember rounds its float32 or
    float64 value once: the results may differ in the last bit (the dtype's tolerance)."""
    x = np.array([[0.3, 1.7, 2.5], [4.0, 0.9, 3.3]])
    call = {
        "polygamma": lambda lib, a: lib.polygamma(1, a),
        "mvlgamma": lambda lib, a: lib.mvlgamma(a + 1, 2),
        "logcumsumexp": lambda lib, a: lib.logcumsumexp(a, 1),
        "addcmul": lambda lib, a: lib.addcmul(a, a, a, value=0.5),
        "addcdiv": lambda lib, a: lib.addcdiv(a, a, a + 1, value=0.5),
        "ldexp": lambda lib, a: lib.ldexp(a, lib.tensor([1, -2, 3])),
        "renorm": lambda lib, a: lib.renorm(a, 2, 0, 3.0),
        "aminmax": lambda lib, a: lib.aminmax(a, dim=1),
    }.get(name, lambda lib, a: getattr(lib, name)(a))
    e, t = _both(call, x, dtype=dtype)
    rtol = {"float16": 2e-3, "bfloat16": 1.6e-2}[dtype]
    for a, b in zip(e if isinstance(e, tuple) else (e,), t if isinstance(t, tuple) else (t,)):
        assert_same(a, b, rtol=rtol, atol=1e-3)


# ---------------------------------------------------------------------------- gcd, lcm

def test_gcd_lcm_with_negatives_and_zeros():
    a = np.array([0, -4, 6, -12, 0, 7, -9, 1, 0, 2 ** 40])
    b = np.array([0, 6, -4, -18, 5, 0, -9, -1, -3, 2 ** 20 * 3])
    for name in ("gcd", "lcm"):
        e, t = _both(lambda lib, x, y, name=name: getattr(lib, name)(x, y), a, b)
        assert_same(e, t)
        e, t = _both(lambda lib, x, y, name=name: getattr(x, name)(y), a, b)  # method
        assert_same(e, t)


@pytest.mark.parametrize("dtypes", [("int32", "int64"), ("uint8", "uint8"), ("int8", "int16"),
                                    ("uint8", "int8")])
def test_gcd_lcm_integer_promotion(dtypes):
    a, b = np.array([12, 18, 0, 5]), np.array([8, 27, 4, 0])
    for name in ("gcd", "lcm"):
        results = []
        for lib in (ember, torch):
            x = lib.tensor(a, dtype=getattr(lib, dtypes[0]))
            y = lib.tensor(b, dtype=getattr(lib, dtypes[1]))
            results.append(getattr(lib, name)(x, y))
        assert_same(*results)


@pytest.mark.parametrize("name", ["gcd", "lcm"])
def test_gcd_lcm_errors(name):
    _raises_alike(lambda lib: getattr(lib, name)(lib.tensor([1.0]), lib.tensor([2.0])))
    _raises_alike(lambda lib: getattr(lib, name)(lib.tensor([1]), lib.tensor([2.0])))
    _raises_alike(lambda lib: getattr(lib, name)(lib.tensor([True]), lib.tensor([True])))
    _raises_alike(lambda lib: getattr(lib, name)(lib.tensor([4]), 2))
    _raises_alike(lambda lib: getattr(lib, name + "_")(lib.tensor([4]), lib.tensor([2.0])))


# ---------------------------------------------------------------------------- frexp, ldexp

@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_frexp_ldexp_round_trip(dtype):
    """mantissa * 2^exponent is the input exactly, subnormals included; 0.5 <= |m| < 1; 0,
    inf and NaN keep their value with exponent 0; the exponent is int32 (as torch)."""
    finfo = np.finfo(np.float32 if dtype == "bfloat16" else dtype)
    tiny = float(finfo.smallest_subnormal) if dtype != "bfloat16" else 1e-40
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.standard_normal(50) * 10 ** rng.uniform(-6, 6, 50),
                             [0.0, -0.0, INF, -INF, NAN, 1.0, -0.5, tiny, 3 * tiny, 1e4]])
    e, t = _both(lambda lib, x: lib.frexp(x), values, dtype=dtype)
    assert type(e).__name__ == "frexp" and e._fields == ("mantissa", "exponent")
    assert_same(e.mantissa, t.mantissa, rtol=0, atol=0)
    assert_same(e.exponent, t.exponent, rtol=0, atol=0)
    m = e.mantissa.float().numpy()
    finite = np.isfinite(m) & (m != 0)
    assert np.all((np.abs(m[finite]) >= 0.5) & (np.abs(m[finite]) < 1))
    back = ember.ldexp(e.mantissa, e.exponent)
    x = ember.tensor(values, dtype=getattr(ember, dtype))
    assert back.dtype is x.dtype
    np.testing.assert_array_equal(back.float().numpy(), x.float().numpy())
    mantissa, exponent = x.frexp()  # the method, unpacked
    assert exponent.dtype is ember.int32


def test_frexp_gradient_and_out():
    x = ember.tensor([1.5, -3.0, 0.1], requires_grad=True)
    m, _ = ember.frexp(x)
    assert m.grad_fn.name() == "FrexpBackward0"
    m.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.5, 0.25, 8.0])  # 2^-exponent
    outs = (ember.empty(0), ember.empty(0, dtype=ember.int32))
    result = ember.frexp(ember.tensor([1.5, 8.0]), out=outs)
    assert result.mantissa is outs[0] and result.exponent is outs[1]
    np.testing.assert_array_equal(outs[1].numpy(), [1, 4])
    _raises_alike(lambda lib: lib.frexp(lib.tensor([1.5]), out=(lib.empty(1),
                                                                  lib.empty(1, dtype=lib.int64))))
    _raises_alike(lambda lib: lib.frexp(lib.tensor([1j])))


def test_ldexp_dtypes_and_in_place():
    for a, b in [([1.0, 2.0], [3, -1]), ([1, 2], [3, 1]), ([1.5], [2.5])]:
        e, t = _both(lambda lib, x, y: lib.ldexp(x, y), np.array(a), np.array(b))
        assert_same(e, t)
    e, t = _both(lambda lib, x, y: lib.ldexp(x, y), np.array([1.0], dtype=np.float16),
                 np.array([3]))
    assert_same(e, t)
    _raises_alike(lambda lib: lib.tensor([1, 2]).ldexp_(lib.tensor([1, 2])))


# ---------------------------------------------------------------------------- out=

@pytest.mark.parametrize("call", [
    lambda lib, out: lib.lgamma(lib.tensor([0.5, 3.0]), out=out),
    lambda lib, out: lib.digamma(lib.tensor([0.5, 3.0]), out=out),
    lambda lib, out: lib.polygamma(2, lib.tensor([0.5, 3.0]), out=out),
    lambda lib, out: lib.mvlgamma(lib.tensor([1.5, 3.0]), 2, out=out),
    lambda lib, out: lib.i0(lib.tensor([0.5, 3.0]), out=out),
    lambda lib, out: lib.sinc(lib.tensor([0.5, 3.0]), out=out),
    lambda lib, out: lib.deg2rad(lib.tensor([0.5, 3.0]), out=out),
    lambda lib, out: lib.rad2deg(lib.tensor([0.5, 3.0]), out=out),
    lambda lib, out: lib.addcmul(lib.ones(2), lib.tensor([0.5, 3.0]), lib.tensor(2.0), out=out),
    lambda lib, out: lib.addcdiv(lib.ones(2), lib.tensor([0.5, 3.0]), lib.tensor(2.0), out=out),
    lambda lib, out: lib.float_power(lib.tensor([0.5, 3.0]), 2, out=out),
    lambda lib, out: lib.ldexp(lib.tensor([0.5, 3.0]), lib.tensor([1, 2]), out=out),
    lambda lib, out: lib.heaviside(lib.tensor([0.0, 3.0]), lib.tensor([0.5]), out=out),
    lambda lib, out: lib.logcumsumexp(lib.tensor([0.5, 3.0]), 0, out=out),
    lambda lib, out: lib.renorm(lib.tensor([[0.5, 3.0]]), 2, 0, 1.0, out=out),
], ids=["lgamma", "digamma", "polygamma", "mvlgamma", "i0", "sinc", "deg2rad", "rad2deg",
        "addcmul", "addcdiv", "float_power", "ldexp", "heaviside", "logcumsumexp", "renorm"])
def test_out(call):
    """out= is written (resized from empty) and returned, in torch's dtype."""
    t_out = torch.empty(0, dtype=call(torch, None).dtype)
    t = call(torch, t_out)
    e_out = ember.empty(0, dtype=getattr(ember, str(t.dtype).split(".")[-1]))
    e = call(ember, e_out)
    assert e is e_out and t is t_out
    assert_same(e, t)


def test_out_dtype_errors_and_tuples():
    # an integer out= for a float result: RuntimeError, as torch
    _raises_alike(lambda lib: lib.lgamma(lib.tensor([1.0, 2.0]), out=lib.empty(2,
                                                                               dtype=lib.int64)))
    _raises_alike(lambda lib: lib.logcumsumexp(lib.tensor([1.0]), 0,
                                               out=lib.empty(1, dtype=lib.int64)))
    _raises_alike(lambda lib: lib.float_power(lib.tensor([1.0]), 2, out=lib.empty(1)))
    for lib in (ember, torch):
        x = lib.tensor([[1.0, 5.0], [-2.0, 3.0]])
        outs = (lib.empty(0), lib.empty(0))
        r = lib.aminmax(x, dim=1, out=outs)
        assert r.min is outs[0] and r.max is outs[1]
        assert outs[0].tolist() == [1.0, -2.0] and outs[1].tolist() == [5.0, 3.0]
    e_out = ember.empty(0, dtype=ember.int64)
    assert ember.gcd(ember.tensor([4, 6]), ember.tensor([6, 9]), out=e_out) is e_out
    assert e_out.tolist() == [2, 3]


# ---------------------------------------------------------------------------- in place

METHOD_CASES = [
    ("lgamma_", [0.5, 3.0], ()), ("digamma_", [0.5, 3.0], ()), ("polygamma_", [0.5, 3.0], (2,)),
    ("mvlgamma_", [1.5, 3.0], (2,)), ("i0_", [0.5, 3.0], ()), ("sinc_", [0.0, 0.5, 3.0], ()),
    ("deg2rad_", [90.0, 3.0], ()), ("rad2deg_", [0.5, 3.0], ()),
    ("renorm_", [[3.0, 4.0], [0.1, 0.2]], (2, 0, 1.0)),
]


@pytest.mark.parametrize("name,values,args", METHOD_CASES, ids=[c[0] for c in METHOD_CASES])
def test_in_place_methods(name, values, args):
    """x.name_(...) changes x itself (same object, version counter moves) to torch's values."""
    e, t = ember.tensor(values), torch.tensor(values)
    version = e._version
    assert getattr(e, name)(*args) is e
    getattr(t, name)(*args)
    assert e._version > version
    assert_same(e, t)


@pytest.mark.parametrize("name,other", [("gcd_", [6, 9]), ("lcm_", [6, 9]),
                                        ("heaviside_", [5.0]), ("ldexp_", [1.0, -2.0])])
def test_in_place_binary_methods(name, other):
    ints = name in ("gcd_", "lcm_")
    values = [4, 6] if ints else [0.0, 3.0]
    e, t = ember.tensor(values), torch.tensor(values)
    assert getattr(e, name)(ember.tensor(other)) is e
    getattr(t, name)(torch.tensor(other))
    assert_same(e, t)


def test_float_power_in_place_needs_float64():
    e, t = ember.tensor([2.0, 3.0], dtype=ember.float64), torch.tensor([2.0, 3.0],
                                                                          dtype=torch.float64)
    assert e.float_power_(2.5) is e
    t.float_power_(2.5)
    assert_same(e, t)
    _raises_alike(lambda lib: lib.tensor([2.0, 3.0]).float_power_(2))
    _raises_alike(lambda lib: lib.tensor([2.0], dtype=lib.float64).float_power_(1j))


@pytest.mark.parametrize("name", ["addcmul_", "addcdiv_"])
@pytest.mark.parametrize("value", [1, 0.5, -2.0])
def test_addcmul_addcdiv_in_place_lean_path(name, value):
    """The optimizers' case (no graph, one dtype): values, same object, version bump, also
    through a view of a larger tensor and with broadcasting operands."""
    rng = np.random.default_rng(0)
    base, a, b = rng.uniform(0.5, 2, (3, 4)), rng.uniform(0.5, 2, (3, 4)), rng.uniform(0.5, 2, 4)
    for dtype in ("float32", "float64"):
        e_base = ember.tensor(base, dtype=getattr(ember, dtype))
        t_base = torch.tensor(base, dtype=getattr(torch, dtype))
        e_view, t_view = e_base[1:], t_base[1:]
        version = e_base._version
        ea, eb = ember.tensor(a[1:], dtype=e_base.dtype), ember.tensor(b, dtype=e_base.dtype)
        ta, tb = torch.tensor(a[1:], dtype=t_base.dtype), torch.tensor(b, dtype=t_base.dtype)
        assert getattr(e_view, name)(ea, eb, value=value) is e_view
        getattr(t_view, name)(ta, tb, value=value)
        assert e_base._version == version + 1  # the view shares the counter with its base
        assert_same(e_base, t_base)


def test_addcmul_in_place_under_no_grad_on_a_parameter():
    p = ember.ones(3, requires_grad=True)
    with ember.no_grad():
        p.addcmul_(ember.tensor([1.0, 2.0, 3.0]), ember.tensor([2.0, 2.0, 2.0]), value=0.5)
    assert p.tolist() == [2.0, 3.0, 4.0] and p.grad_fn is None and p.requires_grad


def test_addcmul_in_place_records_the_graph():
    """With grad: the general in-place path, whose gradient is torch's."""
    grads = []
    for lib in (ember, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 1
        a = lib.tensor([3.0, 4.0], requires_grad=True)
        y.addcdiv_(a, x, value=0.5).addcmul_(a, a, value=2.0)
        y.sum().backward()
        grads.append((x.grad, a.grad))
    for e, t in zip(*grads):
        assert_same(e, t)


def test_addcmul_in_place_errors():
    # a result that does not fit self's shape or dtype, a leaf that requires grad
    _raises_alike(lambda lib: lib.ones(3).addcmul_(lib.ones(3, 1), lib.ones(3)))
    _raises_alike(lambda lib: lib.ones(3, dtype=lib.int64).addcmul_(lib.ones(3), lib.ones(3)))
    _raises_alike(lambda lib: lib.ones(3, requires_grad=True).addcdiv_(lib.ones(3), lib.ones(3)))
    _raises_alike(lambda lib: lib.ones(1).expand(3).addcmul_(lib.ones(3), lib.ones(3)))
    _raises_alike(lambda lib: lib.ones(3).addcmul_(lib.ones(3), lib.ones(3), value=1j))


# module-level in-place functions: name -> (input values, extra arguments)
MODULE_IN_PLACE = {
    "acosh_": ([1.5, 2.0], ()), "arccosh_": ([1.5, 2.0], ()),
    "clamp_": ([0.1, 0.9], (0.2, 0.5)), "clamp_min_": ([0.1, 0.9], (0.3,)),
    "clamp_max_": ([0.1, 0.9], (0.3,)), "clip_": ([0.1, 0.9], (0.2, 0.5)),
    "logit_": ([0.1, 0.9], (0.2,)), "round_": ([0.15, 0.96], ()),
    "fill_": ([0.1, 0.9], (2.5,)), "gcd_": ([4, 6], "ints"), "lcm_": ([4, 6], "ints"),
    "ldexp_": ([0.1, 0.9], "tensor"), "xlogy_": ([0.1, 0.9], "tensor"),
    "index_put_": ([0.1, 0.9], "index"), "addmv_": ([0.1, 0.9], "addmv"),
}


def _module_in_place_args(lib, name):
    values, extra = MODULE_IN_PLACE.get(name, ([0.1, 0.9], ()))
    x = lib.tensor(values)
    if extra == "ints":
        return x, (lib.tensor([6, 9]),)
    if extra == "tensor":
        return x, (lib.tensor([2.0, 3.0]),)
    if extra == "index":
        return x, ((lib.tensor([1]),), lib.tensor([7.0]))
    if extra == "addmv":
        return x, (lib.ones(2, 3), lib.tensor([1.0, 2.0, 3.0]))
    return x, extra


@pytest.mark.parametrize("name", ember_inplace.__all__ + ["celu_", "selu_", "rrelu_",
                                                          "threshold_"])
def test_module_level_in_place_functions(name):
    """ember.name_(x, ...) is x.name_(...): x itself changes, to torch's values."""
    args_of = {"threshold_": (0.5, 2.0), "celu_": (2.0,)}
    e, e_args = _module_in_place_args(ember, name)
    t, t_args = _module_in_place_args(torch, name)
    e_args, t_args = args_of.get(name, e_args), args_of.get(name, t_args)
    version = e._version
    result = getattr(ember, name)(e, *e_args)
    getattr(torch, name)(t, *t_args)
    assert result is e
    if name != "detach_":
        assert e._version > version
    assert_same(e, t)


def test_every_module_level_in_place_function_of_torch_with_a_base_op():
    """torch's module-level in-place functions that ember lacks are only those whose op ember
    lacks (dropout's functional forms, sparse, storage resizing, as_strided_, conj_physical_,
    embedding_renorm_)."""
    missing = {n for n in dir(torch) if n.endswith("_") and not n.startswith("_")
               and callable(getattr(torch, n)) and not hasattr(ember, n)}
    assert missing <= {"alpha_dropout_", "as_strided_", "conj_physical_", "dropout_",
                       "embedding_renorm_", "feature_alpha_dropout_", "feature_dropout_",
                       "resize_as_", "resize_as_sparse_"}


# ---------------------------------------------------------------------------- addcmul, addcdiv

def test_addcmul_addcdiv_promotion_and_value():
    cases = [
        (lambda lib: lib.addcmul(lib.tensor([1, 2]), lib.tensor([1, 2]), lib.tensor([3, 4]),
                                 value=2)),
        (lambda lib: lib.addcmul(lib.tensor([1, 2]), lib.tensor([1.0, 2.0]),
                                 lib.tensor([3, 4]))),
        (lambda lib: lib.addcmul(lib.tensor([1.0, 2.0]), lib.tensor([1, 2]), lib.tensor([3, 4]),
                                 value=0.5)),
        (lambda lib: lib.addcmul(lib.tensor([1.0, 2.0]), lib.tensor([1.0], dtype=lib.float64),
                                 lib.tensor(3.0))),
        (lambda lib: lib.addcmul(lib.tensor([1.0, 2.0]), lib.tensor([1.0]),
                                 lib.tensor(3.0, dtype=lib.float64))),
        (lambda lib: lib.addcdiv(lib.tensor([1, 2]), lib.tensor([1.0, 2.0]), lib.tensor([3, 4]))),
        (lambda lib: lib.addcdiv(lib.tensor([1, 2]), lib.tensor([1, 2]), lib.tensor([3.0, 4.0]),
                                 value=0.5)),
        (lambda lib: lib.addcdiv(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 0.0]),
                                 lib.tensor([0.0, 0.0]))),
    ]
    for call in cases:
        assert_same(call(ember), call(torch))


def test_addcmul_addcdiv_errors():
    _raises_alike(lambda lib: lib.addcdiv(lib.tensor([1.0]), lib.tensor([1]), lib.tensor([2])))
    _raises_alike(lambda lib: lib.addcdiv(lib.tensor([1]), lib.tensor([True]),
                                          lib.tensor([2])))
    _raises_alike(lambda lib: lib.addcmul(lib.tensor([1.0]), lib.tensor([1.0]),
                                          lib.tensor([2.0]), value=1j))
    _raises_alike(lambda lib: lib.addcmul(lib.ones(2), lib.ones(3), lib.ones(2)))
    _raises_alike(lambda lib: lib.addcmul(lib.ones(2), 2.0, lib.ones(2)))


# ---------------------------------------------------------------------------- float_power etc.

def test_float_power_dtypes():
    cases = [
        lambda lib: lib.float_power(lib.tensor([1, 2, 3]), 2),
        lambda lib: lib.float_power(lib.tensor([1.0, 2.0]), lib.tensor([2])),
        lambda lib: lib.float_power(2, lib.tensor([1.0, 2.0])),
        lambda lib: lib.float_power(lib.tensor([True, False]), lib.tensor([True, True])),
        lambda lib: lib.float_power(lib.tensor([1.0, 2.0]), 1j),
        lambda lib: lib.float_power(lib.tensor([1 + 1j]), lib.tensor([2.0])),
        lambda lib: lib.tensor([4, 9]).float_power(0.5),
    ]
    for call in cases:
        assert_same(call(ember), call(torch))


def test_heaviside_dtypes_and_nan():
    cases = [
        lambda lib: lib.heaviside(lib.tensor([-1.0, 0.0, 2.0, NAN, -0.0, INF]), lib.tensor([0.5])),
        lambda lib: lib.heaviside(lib.tensor([-1, 0, 2]), lib.tensor(5)),
        lambda lib: lib.heaviside(lib.tensor([True, False]), lib.tensor(True)),
    ]
    for call in cases:
        assert_same(call(ember), call(torch))


def test_heaviside_has_no_derivative():
    for lib in (ember, torch):
        x = lib.tensor([1.0, -1.0], requires_grad=True)
        y = lib.heaviside(x, lib.tensor([0.5]))
        assert y.requires_grad
        with pytest.raises(RuntimeError, match="heaviside"):
            y.sum().backward()


def test_deg2rad_rad2deg_round_trip_and_bool():
    x = np.linspace(-720, 720, 101)
    e = ember.rad2deg(ember.deg2rad(ember.tensor(x, dtype=ember.float64)))
    np.testing.assert_allclose(e.numpy(), x, rtol=1e-15, atol=1e-13)
    assert_same(*_both(lambda lib, v: lib.deg2rad(v), np.array([True, False])))


# ---------------------------------------------------------------------------- along a dim

def test_logcumsumexp_is_stable():
    """Large values do not overflow, small early terms keep their digits, -inf is an empty
    term, NaN spreads; float64 against torch."""
    cases = [[1000.0, 1000.0, -1000.0], [-800.0, 0.0, 1.0], [-INF, 0.0, -INF, 1.0],
             [-INF, -INF], [0.0, NAN, 1.0], [INF, 1.0], [1e-300, -50.0, 50.0]]
    for values in cases:
        e, t = _both(lambda lib, v: lib.logcumsumexp(v, 0), np.array(values))
        assert_same(e, t, rtol=1e-15, atol=0)


def test_logcumsumexp_gradient_with_mixed_sign_cotangents():
    """The backward splits the cotangent by sign (each part a logcumsumexp of logs): values
    far apart and zero cotangents too."""
    x = np.array([[-30.0, 2.0, 40.0, 0.5], [1.0, 1.0, 1.0, -80.0]])
    g = np.array([[1.0, -2.0, 0.0, 3.0], [-1.0, -1.0, 2.0, 0.5]])
    grads = []
    for lib in (ember, torch):
        v = lib.tensor(x, requires_grad=True)
        (lib.logcumsumexp(v, 1) * lib.tensor(g)).sum().backward()
        grads.append(v.grad)
    assert_same(grads[0], grads[1], rtol=1e-12, atol=1e-300)


def test_aminmax_values_and_errors():
    cases = [
        lambda lib: lib.aminmax(lib.tensor([[1, 2], [3, 0]]), dim=1, keepdim=True),
        lambda lib: lib.aminmax(lib.tensor([[1.0, 2.0], [3.0, 4.0]]), keepdim=True),
        lambda lib: lib.aminmax(lib.tensor([True, False])),
        lambda lib: lib.aminmax(lib.tensor([1.0, NAN])),
        lambda lib: lib.aminmax(lib.tensor(3.0), dim=0),
        lambda lib: lib.aminmax(lib.ones(1, 0), dim=0),
    ]
    for call in cases:
        e, t = call(ember), call(torch)
        assert type(e).__name__ == "aminmax"
        assert_same(e.min, t.min)
        assert_same(e.max, t.max)
    _raises_alike(lambda lib: lib.aminmax(lib.ones(0)))
    _raises_alike(lambda lib: lib.aminmax(lib.ones(2, 0), dim=1))
    _raises_alike(lambda lib: lib.aminmax(lib.ones(2), dim=1))


def test_renorm_values_and_errors():
    x = np.array([[3.0, 4.0, 0.0], [0.1, 0.2, 0.2], [-6.0, 8.0, 0.0]])
    for p, dim, maxnorm in [(2, 0, 5.0), (2, 1, 1.0), (1, 0, 0.0), (float("inf"), 0, 2.0)]:
        assert_same(*_both(lambda lib, v, a=(p, dim, maxnorm): lib.renorm(v, *a), x))
    _raises_alike(lambda lib: lib.renorm(lib.ones(2, 2), 2, 0, -1.0))
    _raises_alike(lambda lib: lib.renorm(lib.tensor(2.0), 2, 0, 1.0))


# ---------------------------------------------------------------------------- errors

@pytest.mark.parametrize("call", [
    lambda lib: lib.lgamma(lib.tensor([1j])),
    lambda lib: lib.digamma(lib.tensor([1j])),
    lambda lib: lib.polygamma(1, lib.tensor([1j])),
    lambda lib: lib.polygamma(2, lib.tensor([1j])),
    lambda lib: lib.polygamma(-1, lib.ones(1)),
    lambda lib: lib.polygamma(1.0, lib.ones(1)),
    lambda lib: lib.mvlgamma(lib.tensor([1j]), 1),
    lambda lib: lib.mvlgamma(lib.ones(1), 0),
    lambda lib: lib.i0(lib.tensor([1j])),
    lambda lib: lib.deg2rad(lib.tensor([1j])),
    lambda lib: lib.logcumsumexp(lib.tensor([1, 2]), 0),
    lambda lib: lib.logcumsumexp(lib.ones(2), 2),
    lambda lib: lib.aminmax(lib.tensor([1j])),
    lambda lib: lib.heaviside(lib.ones(2), lib.ones(2, dtype=lib.float64)),
    lambda lib: lib.float_power(lib.tensor([1.0]), "x"),
])
def test_error_classes(call):
    _raises_alike(call)


def test_sinc_complex_and_its_gradient():
    z = np.array([0.5 + 0.25j, -1.5 + 1j, 0j])
    e, t = _both(lambda lib, v: lib.sinc(v), z)
    assert_same(e, t)
    grads = []
    for lib in (ember, torch):
        v = lib.tensor(z, requires_grad=True)
        lib.sinc(v).abs().sum().backward()
        grads.append(v.grad)
    assert_same(grads[0], grads[1], rtol=1e-5)


def test_gamma_family_chain_of_derivatives():
    """lgamma'' = polygamma(1), digamma''' = polygamma(3): the double/triple backward is the
    next member of the family."""
    x = ember.tensor([0.7, 2.5, -1.5], dtype=ember.float64, requires_grad=True)
    (g,) = ember.autograd.grad(ember.lgamma(x).sum(), x, create_graph=True)
    (gg,) = ember.autograd.grad(g.sum(), x, create_graph=True)
    np.testing.assert_allclose(gg.detach().numpy(), ember.polygamma(1, x.detach()).numpy(),
                               rtol=1e-15)
    (ggg,) = ember.autograd.grad(gg.sum(), x)
    np.testing.assert_allclose(ggg.numpy(), ember.polygamma(2, x.detach()).numpy(), rtol=1e-15)
    assert math.isclose(ember.digamma(ember.tensor(1.0, dtype=ember.float64)).item(),
                        -0.5772156649015329, rel_tol=1e-15)


@pytest.mark.parametrize("n", [30, 171, 200])
def test_polygamma_large_order(n):
    """n! past float64's range (n > 170) gives +-inf, as torch's exp(lgamma(n + 1))."""
    e, t = _both(lambda lib, v: lib.polygamma(n, v), np.array([1.0, 2.0, 0.5, 7.25, -3.3]))
    assert_same(e, t, rtol=1e-13, atol=0)
