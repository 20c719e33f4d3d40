"""ember.distributions against torch.distributions.

Each check builds the same distribution in both libraries (``lib`` is ember or torch) and
compares: values of log_prob / entropy / mean / variance / cdf / icdf / kl in float64, seeded
samples (bit for bit where the draw is an ember op that follows torch's stream), rsample
gradients, shapes, and validation errors (ValueError, torch's first line with 'torch' read as
'ember').

Tolerance for float64 values: rtol 1e-12, atol 1e-13.  The formulas are a dozen or so float64
operations (each off by at most half an ulp, 1.1e-16) plus ember's erf/erfinv/lgamma/digamma,
which agree with torch's to a few ulps; 1e-12 leaves room for that, and is far below any formula
slip (which shows at 1e-3 or larger).  Float32 samples compare exactly.
"""

import math

import numpy as np
import pytest
import torch
import torch.distributions as TD

import ember
import ember.distributions as ED

RTOL, ATOL = 1e-12, 1e-13


def _np(t):
    if isinstance(t, (list, tuple)):
        return [_np(x) for x in t]
    return np.asarray(t.detach().numpy()) if hasattr(t, "detach") else np.asarray(t)


def _both(fn):
    """fn(lib, D) for (ember, ember.distributions) and (torch, torch.distributions)."""
    return fn(ember, ED), fn(torch, TD)


def _close(fn, rtol=RTOL, atol=ATOL):
    e, t = _both(fn)
    e, t = _np(e), _np(t)
    if isinstance(e, list):
        for a, b in zip(e, t):
            assert a.shape == b.shape
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    else:
        assert e.shape == t.shape
        np.testing.assert_allclose(e, t, rtol=rtol, atol=atol)


def _same_samples(fn, seed=0):
    """Seeded draws equal torch's exactly (same dtype, shape, values)."""
    lib_out = []
    for lib, D in ((ember, ED), (torch, TD)):
        lib.manual_seed(seed)
        lib_out.append(fn(lib, D))
    e, t = lib_out
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_array_equal(_np(e), _np(t))


def _same_error(fn, cls=ValueError):
    """Both raise cls; ember's first line is torch's (with torch.Size read as ember.Size)."""
    with pytest.raises(cls) as t_err:
        fn(torch, TD)
    with pytest.raises(cls) as e_err:
        fn(ember, ED)
    t_line = str(t_err.value).splitlines()[0] if str(t_err.value) else ""
    e_line = str(e_err.value).splitlines()[0] if str(e_err.value) else ""
    assert e_line == t_line.replace("torch.", "ember.")


def _f64(lib, x):
    return lib.tensor(x, dtype=lib.float64)


LOC = [[0.3, -1.2, 2.0], [0.0, 0.5, -0.7]]
SCALE = [[1.0, 0.4, 2.5], [0.1, 3.0, 1.7]]
VALUE = [[0.1, -0.5, 4.0], [0.05, -2.0, 0.3]]
PROBS = [[0.2, 0.5, 0.3, 0.0], [0.1, 0.1, 0.7, 0.1]]
LOGITS = [[1.0, -2.0, 0.5, 3.0], [0.0, 0.0, -1.0, 2.0]]


# ---------------------------------------------------------------- Normal

def _normal(lib, D):
    return D.Normal(_f64(lib, LOC), _f64(lib, SCALE))


@pytest.mark.parametrize("what", ["log_prob", "cdf", "icdf", "entropy", "mean", "mode",
                                  "variance", "stddev"])
def test_normal_values(what):
    def fn(lib, D):
        d = _normal(lib, D)
        if what in ("log_prob", "cdf"):
            return getattr(d, what)(_f64(lib, VALUE))
        if what == "icdf":
            return d.icdf(_f64(lib, [[0.1, 0.5, 0.99], [0.3, 0.001, 0.7]]))
        if what == "entropy":
            return d.entropy()
        return getattr(d, what)
    _close(fn)


def test_normal_shapes_and_scalars():
    def fn(lib, D):
        d = D.Normal(0.0, 1.0)
        return [d.batch_shape, d.event_shape, d.sample().shape, d.sample((2, 3)).shape,
                d.loc.dtype]
    e, t = _both(fn)
    assert tuple(e[0]) == tuple(t[0]) == () and tuple(e[1]) == tuple(t[1]) == ()
    assert tuple(e[2]) == tuple(t[2]) and tuple(e[3]) == tuple(t[3]) == (2, 3)
    assert str(e[4]) == "ember.float32" and str(t[4]) == "torch.float32"


def test_normal_seeded_samples():
    _same_samples(lambda lib, D: D.Normal(lib.tensor(LOC), lib.tensor(SCALE)).sample((5,)))
    _same_samples(lambda lib, D: D.Normal(lib.tensor(LOC), lib.tensor(SCALE)).rsample((5,)))
    _same_samples(lambda lib, D: D.Normal(0.0, 2.0).sample((7, 2)), seed=3)


def test_normal_rsample_gradient():
    def fn(lib, D):
        lib.manual_seed(1)
        loc = _f64(lib, LOC).requires_grad_()
        scale = _f64(lib, SCALE).requires_grad_()
        x = D.Normal(loc, scale).rsample((4,))
        (x.sin() * x).sum().backward()
        return [x, loc.grad, scale.grad]
    _close(fn)


def test_normal_log_prob_gradient():
    def fn(lib, D):
        loc = _f64(lib, LOC).requires_grad_()
        scale = _f64(lib, SCALE).requires_grad_()
        D.Normal(loc, scale).log_prob(_f64(lib, VALUE)).sum().backward()
        return [loc.grad, scale.grad]
    _close(fn)


def test_normal_expand():
    def fn(lib, D):
        d = D.Normal(_f64(lib, [0.5]), _f64(lib, [2.0])).expand((3, 2))
        return [d.log_prob(_f64(lib, [[0.0, 1.0]] * 3)), lib.tensor(list(d.batch_shape))]
    _close(fn)


def test_normal_validation():
    _same_error(lambda lib, D: D.Normal(lib.tensor([0.0]), lib.tensor([-1.0])))
    _same_error(lambda lib, D: D.Normal(lib.tensor([math.nan]), lib.tensor([1.0])))
    _same_error(lambda lib, D: D.Normal(lib.zeros(3), lib.ones(3)).log_prob(lib.zeros(2)))
    _same_error(lambda lib, D: D.Normal(lib.zeros(3), lib.ones(3)).log_prob([0.0]))
    # and the full message, values included
    with pytest.raises(ValueError) as err:
        ED.Normal(ember.tensor([0.0]), ember.tensor([-1.0]))
    assert str(err.value) == (
        "Expected parameter scale (Tensor of shape (1,)) of distribution Normal(loc: "
        "tensor([0.]), scale: tensor([-1.])) to satisfy the constraint "
        "GreaterThan(lower_bound=0.0), but found invalid values:\ntensor([-1.])")
    # validate_args=False and set_default_validate_args turn the check off
    ED.Normal(ember.tensor([0.0]), ember.tensor([-1.0]), validate_args=False)
    ED.Distribution.set_default_validate_args(False)
    try:
        ED.Normal(ember.tensor([0.0]), ember.tensor([-1.0]))
    finally:
        ED.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        ED.Distribution.set_default_validate_args(3)


# ---------------------------------------------------------------- Categorical

@pytest.mark.parametrize("param", ["probs", "logits"])
@pytest.mark.parametrize("what", ["log_prob", "entropy", "probs", "logits", "mode",
                                  "mean", "variance", "enumerate_support"])
def test_categorical_values(param, what):
    def fn(lib, D):
        arg = PROBS if param == "probs" else LOGITS
        d = D.Categorical(**{param: _f64(lib, arg)})
        if what == "log_prob":
            return d.log_prob(lib.tensor([[0, 1], [2, 3], [1, 1]]))
        if what == "entropy":
            return d.entropy()
        if what == "enumerate_support":
            return d.enumerate_support()
        return getattr(d, what)
    _close(fn)


def test_categorical_seeded_samples_and_shapes():
    _same_samples(lambda lib, D: D.Categorical(probs=lib.tensor(PROBS)).sample((6, 5)))
    _same_samples(lambda lib, D: D.Categorical(logits=lib.tensor(LOGITS[0])).sample((9,)), 5)
    _same_samples(lambda lib, D: D.Categorical(logits=lib.tensor(LOGITS[0])).sample())
    e, t = _both(lambda lib, D: D.Categorical(logits=lib.zeros(2, 3, 4)))
    assert tuple(e.batch_shape) == tuple(t.batch_shape) == (2, 3)
    assert e.has_rsample is False and e.has_enumerate_support is True
    with pytest.raises(NotImplementedError):
        e.rsample()


def test_categorical_log_prob_gradient():
    def fn(lib, D):
        logits = _f64(lib, LOGITS).requires_grad_()
        d = D.Categorical(logits=logits)
        (d.log_prob(lib.tensor([3, 2])).sum() + d.entropy().sum()).backward()
        return logits.grad
    _close(fn)


def test_categorical_validation():
    _same_error(lambda lib, D: D.Categorical(probs=lib.tensor([0.5, 0.5]),
                                             logits=lib.tensor([0.0, 0.0])))
    _same_error(lambda lib, D: D.Categorical())
    _same_error(lambda lib, D: D.Categorical(probs=lib.tensor(1.0)))
    _same_error(lambda lib, D: D.Categorical(logits=lib.tensor(1.0)))
    _same_error(lambda lib, D: D.Categorical(probs=lib.tensor([0.5, -0.5, 1.0])))
    _same_error(lambda lib, D: D.Categorical(logits=lib.tensor([1.0, 2, 3])).log_prob(
        lib.tensor(5)))
    _same_error(lambda lib, D: D.Categorical(logits=lib.tensor([1.0, 2, 3])).log_prob(
        lib.tensor(1.5)))


# ---------------------------------------------------------------- Bernoulli

@pytest.mark.parametrize("param", ["probs", "logits"])
@pytest.mark.parametrize("what", ["log_prob", "entropy", "probs", "logits", "mean", "mode",
                                  "variance", "enumerate_support"])
def test_bernoulli_values(param, what):
    def fn(lib, D):
        arg = [[0.2, 0.5, 0.0], [1.0, 0.9, 0.31]] if param == "probs" else VALUE
        d = D.Bernoulli(**{param: _f64(lib, arg)})
        if what == "log_prob":
            return d.log_prob(_f64(lib, [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]]))
        if what in ("entropy", "enumerate_support"):
            return getattr(d, what)()
        return getattr(d, what)
    _close(fn)


def test_bernoulli_seeded_samples_and_validation():
    _same_samples(lambda lib, D: D.Bernoulli(lib.tensor([0.2, 0.7, 0.5])).sample((4,)))
    _same_samples(lambda lib, D: D.Bernoulli(0.3).sample((10,)), seed=2)
    _same_samples(lambda lib, D: D.Bernoulli(logits=lib.tensor([-1.0, 2.0])).sample((3,)))
    _same_error(lambda lib, D: D.Bernoulli(lib.tensor([1.5])))
    _same_error(lambda lib, D: D.Bernoulli(lib.tensor([0.5])).log_prob(lib.tensor([0.5])))
    _same_error(lambda lib, D: D.Bernoulli())


# ---------------------------------------------------------------- Uniform

@pytest.mark.parametrize("what", ["log_prob", "cdf", "icdf", "entropy", "mean", "variance",
                                  "stddev", "mode"])
def test_uniform_values(what):
    def fn(lib, D):
        d = D.Uniform(_f64(lib, [0.0, -1.0, 2.0]), _f64(lib, [1.0, 3.0, 2.5]))
        if what in ("log_prob", "cdf"):
            return getattr(d, what)(_f64(lib, [0.5, -1.0, 2.4]))
        if what == "icdf":
            return d.icdf(_f64(lib, [0.25, 0.5, 0.9]))
        if what == "entropy":
            return d.entropy()
        return getattr(d, what)
    _close(fn)


def test_uniform_samples_gradient_validation():
    _same_samples(lambda lib, D: D.Uniform(lib.tensor([0.0, 1.0]), lib.tensor([2.0, 5.0]))
                  .sample((3,)))
    _same_samples(lambda lib, D: D.Uniform(-1.0, 1.0).rsample((4, 2)), seed=7)

    def grad(lib, D):
        lib.manual_seed(0)
        low = _f64(lib, [0.0, 1.0]).requires_grad_()
        high = _f64(lib, [2.0, 5.0]).requires_grad_()
        D.Uniform(low, high).rsample((3,)).pow(2).sum().backward()
        return [low.grad, high.grad]
    _close(grad)
    _same_error(lambda lib, D: D.Uniform(lib.tensor([1.0]), lib.tensor([0.0])))
    _same_error(lambda lib, D: D.Uniform(lib.tensor([0.0]), lib.tensor([1.0])).log_prob(
        lib.tensor([2.0])))


# ---------------------------------------------------------------- Independent

def test_independent():
    def fn(lib, D):
        base = D.Normal(_f64(lib, LOC), _f64(lib, SCALE))
        d = D.Independent(base, 1)
        return [d.log_prob(_f64(lib, VALUE)), d.entropy(), d.mean, d.variance,
                lib.tensor(list(d.batch_shape)), lib.tensor(list(d.event_shape)),
                lib.tensor(list(d.expand((4, 2)).batch_shape))]
    _close(fn)
    e, t = _both(lambda lib, D: D.Independent(D.Normal(lib.zeros(3), lib.ones(3)), 1))
    assert tuple(e.batch_shape) == () and tuple(e.event_shape) == (3,) and e.has_rsample
    assert repr(e) == repr(t).replace("torch", "ember")
    _same_samples(lambda lib, D: D.Independent(D.Normal(lib.zeros(2, 3), lib.ones(2, 3)), 2)
                  .sample((2,)))
    _same_error(lambda lib, D: D.Independent(D.Normal(lib.zeros(3), lib.ones(3)), 2))
    _same_error(lambda lib, D: D.Independent(D.Normal(lib.zeros(3), lib.ones(3)), 1)
                .log_prob(lib.zeros(2)))


# ---------------------------------------------------------------- KL

KL_PAIRS = {
    "normal": lambda lib, D: (D.Normal(_f64(lib, LOC), _f64(lib, SCALE)),
                              D.Normal(_f64(lib, VALUE), _f64(lib, SCALE).flip(-1))),
    "categorical": lambda lib, D: (D.Categorical(probs=_f64(lib, PROBS)),
                                   D.Categorical(logits=_f64(lib, LOGITS))),
    "categorical_zero_q": lambda lib, D: (D.Categorical(logits=_f64(lib, LOGITS)),
                                          D.Categorical(probs=_f64(lib, PROBS))),
    "bernoulli": lambda lib, D: (D.Bernoulli(_f64(lib, [0.2, 0.0, 1.0, 0.5])),
                                 D.Bernoulli(_f64(lib, [0.7, 0.3, 1.0, 0.0]))),
    "uniform": lambda lib, D: (D.Uniform(_f64(lib, [0.0, 0.0]), _f64(lib, [1.0, 2.0])),
                               D.Uniform(_f64(lib, [-1.0, 0.5]), _f64(lib, [3.0, 2.0]))),
    "uniform_normal": lambda lib, D: (D.Uniform(_f64(lib, [0.0, 1.0]), _f64(lib, [1.0, 4.0])),
                                      D.Normal(_f64(lib, [0.2, -1.0]), _f64(lib, [1.0, 2.0]))),
    "normal_uniform": lambda lib, D: (D.Normal(_f64(lib, [0.2]), _f64(lib, [1.0])),
                                      D.Uniform(_f64(lib, [0.0]), _f64(lib, [1.0]))),
    "independent": lambda lib, D: (
        D.Independent(D.Normal(_f64(lib, LOC), _f64(lib, SCALE)), 1),
        D.Independent(D.Normal(_f64(lib, VALUE), _f64(lib, SCALE)), 1)),
}


@pytest.mark.parametrize("pair", sorted(KL_PAIRS))
def test_kl_divergence(pair):
    _close(lambda lib, D: D.kl_divergence(*KL_PAIRS[pair](lib, D)))


def test_kl_gradient_registry_and_errors():
    def fn(lib, D):
        loc = _f64(lib, LOC).requires_grad_()
        D.kl_divergence(D.Normal(loc, _f64(lib, SCALE)), D.Normal(0.0, 1.0)).sum().backward()
        return loc.grad
    _close(fn)
    _same_error(lambda lib, D: D.kl_divergence(D.Categorical(logits=lib.zeros(3)),
                                               D.Normal(0.0, 1.0)), NotImplementedError)
    assert float(ED.kl_divergence(ED.Normal(0.0, 1.0), ED.Normal(1.0, 2.0))) == pytest.approx(
        0.443147, abs=1e-6)

    class MyNormal(ED.Normal):
        pass

    @ED.register_kl(MyNormal, ED.Normal)
    def _kl(p, q):
        return ember.tensor(42.0)

    assert float(ED.kl_divergence(MyNormal(0.0, 1.0), ED.Normal(0.0, 1.0))) == 42.0
    assert float(ED.kl_divergence(ED.Normal(0.0, 1.0), MyNormal(0.0, 1.0))) == 0.0
    with pytest.raises(TypeError):
        ED.register_kl(int, ED.Normal)


def test_constraints_reprs_and_checks():
    for name in ["real", "positive", "nonnegative", "unit_interval", "simplex", "boolean",
                 "real_vector", "lower_cholesky", "positive_definite", "nonnegative_integer"]:
        assert repr(getattr(ED.constraints, name)) == repr(getattr(TD.constraints, name))
    assert repr(ED.constraints.interval(0, 2)) == repr(TD.constraints.interval(0, 2))
    x = [[1.0, 0.0], [0.5, 2.0]]
    for name in ["lower_cholesky", "positive_definite", "lower_triangular", "symmetric"]:
        e = getattr(ED.constraints, name).check(ember.tensor(x))
        t = getattr(TD.constraints, name).check(torch.tensor(x))
        assert bool(e) == bool(t)
