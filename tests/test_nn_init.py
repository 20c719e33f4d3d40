"""nn.init against torch: with the same seed ember's random streams equal torch's, so each
scheme gives torch's exact values; the deterministic ones are compared directly."""

import math

import numpy as np
import pytest
import torch

import ember

from conftest import assert_same


def _both(shape, fill, *args, **kwargs):
    torch.manual_seed(3)
    ember.manual_seed(3)
    t = torch.empty(shape)
    e = ember.empty(shape)
    getattr(torch.nn.init, fill)(t, *args, **kwargs)
    getattr(ember.nn.init, fill)(e, *args, **kwargs)
    return e, t


@pytest.mark.parametrize("fill,args,kwargs,shape", [
    ("uniform_", (-0.5, 2.0), {}, (4, 5)),
    ("normal_", (1.0, 0.3), {}, (4, 5)),
    ("xavier_uniform_", (), {"gain": 2.0}, (6, 3, 3)),
    ("xavier_normal_", (), {}, (8, 4)),
    ("kaiming_uniform_", (), {"a": math.sqrt(5)}, (16, 8, 3, 3)),
    ("kaiming_normal_", (), {"mode": "fan_out", "nonlinearity": "relu"}, (10, 7)),
    ("orthogonal_", (), {"gain": 1.5}, (5, 8)),
    ("orthogonal_", (), {}, (8, 5)),
    ("orthogonal_", (), {}, (6, 2, 3)),
    ("sparse_", (0.3,), {"std": 0.5}, (10, 4)),
])
def test_random_schemes_equal_torch_for_the_same_seed(fill, args, kwargs, shape):
    e, t = _both(shape, fill, *args, **kwargs)
    assert_same(e, t, rtol=1e-5, atol=1e-6)


def test_orthogonal_is_orthogonal():
    e = ember.nn.init.orthogonal_(ember.empty(6, 4))
    np.testing.assert_allclose((e.t() @ e).numpy(), np.eye(4), atol=1e-5)


@pytest.mark.parametrize("mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (0.5, 2.0, -1.0, 3.0),
                                          (0.0, 1.0, -0.5, 0.25)])
def test_trunc_normal_has_the_truncated_distribution(mean, std, a, b):
    # NOTE: torch draws these values in another order, so the check is statistical: bounds,
    # and mean/std within 4 standard errors of the truncated normal's (from the formulas).
    n = 200_000
    e = ember.nn.init.trunc_normal_(ember.empty(n, dtype=ember.float64), mean, std, a, b)
    values = e.numpy()
    assert values.min() >= a and values.max() <= b
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: (1 + math.erf(z / math.sqrt(2))) / 2  # noqa: E731
    z = cdf(beta) - cdf(alpha)
    want_mean = mean + std * (pdf(alpha) - pdf(beta)) / z
    want_var = std ** 2 * (1 + (alpha * pdf(alpha) - beta * pdf(beta)) / z
                           - ((pdf(alpha) - pdf(beta)) / z) ** 2)
    assert abs(values.mean() - want_mean) < 4 * math.sqrt(want_var / n)
    assert abs(values.var() - want_var) < 0.02 * want_var


@pytest.mark.parametrize("shape,groups", [((4, 4, 3), 1), ((6, 3, 3, 3), 2), ((4, 2, 3, 3, 3), 1),
                                          ((2, 5, 1, 3), 1)])
def test_dirac_equals_torch(shape, groups):
    e, t = _both(shape, "dirac_", groups=groups)
    assert_same(e, t)


@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2)])
def test_eye_constant_zeros_ones(shape):
    for fill, args in (("eye_", ()), ("constant_", (0.7,)), ("zeros_", ()), ("ones_", ())):
        e, t = _both(shape, fill, *args)
        assert_same(e, t)


@pytest.mark.parametrize("fill,shape,exc", [("eye_", (2, 2, 2), ValueError),
                                            ("dirac_", (3, 3), ValueError),
                                            ("orthogonal_", (3,), ValueError),
                                            ("sparse_", (3,), ValueError),
                                            ("xavier_uniform_", (3,), ValueError)])
def test_errors_like_torch(fill, shape, exc):
    extra = (0.1,) if fill == "sparse_" else ()
    with pytest.raises(exc):
        getattr(torch.nn.init, fill)(torch.empty(shape), *extra)
    with pytest.raises(exc):
        getattr(ember.nn.init, fill)(ember.empty(shape), *extra)


@pytest.mark.parametrize("name,param", [("linear", None), ("relu", None), ("tanh", None),
                                        ("leaky_relu", 0.2), ("selu", None), ("sigmoid", None),
                                        ("conv2d", None)])
def test_calculate_gain(name, param):
    assert ember.nn.init.calculate_gain(name, param) == torch.nn.init.calculate_gain(name, param)


def test_init_does_not_record_a_graph_on_parameters():
    p = ember.nn.Parameter(ember.empty(4, 4))
    ember.nn.init.orthogonal_(p)
    ember.nn.init.trunc_normal_(p)
    assert p.grad_fn is None and p.is_leaf and p.requires_grad
