"""Seeded draws of the gamma-, binomial- and Poisson-based distributions equal torch's exactly.

torch's CPU kernels (_standard_gamma, _sample_dirichlet, binomial, poisson) take float64
uniforms and normals from the generator element by element, as many as their rejection loops
need; ember's samplers do the same arithmetic in the same order, so for the same seed every
draw is bit-equal (no tolerance), and the generator is left at the same place (the next
rand/randn equal torch's too, which checks the consumed words and the cached normal).
"""

import numpy as np
import pytest
import torch
import torch.distributions as TD

import ember
import ember.distributions as ED

DTYPES = ["float64", "float32"]
SEEDS = range(6)


def _same_draws(make, shape=(3,), seeds=SEEDS, dtype="float64"):
    for seed in seeds:
        out = []
        for lib, D in ((torch, TD), (ember, ED)):
            lib.manual_seed(seed)
            lib.randn(1, dtype=lib.float64)  # leaves a cached second normal in the generator
            draws = make(lib, D, getattr(lib, dtype)).sample(shape)
            after = [lib.rand(3, dtype=lib.float64), lib.randn(3, dtype=lib.float64)]
            out.append([np.asarray(t.detach().numpy()) for t in [draws] + after])
        (expected, *expected_after), (got, *got_after) = out
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(got, expected, err_msg=f"seed {seed}")
        for e, g in zip(expected_after, got_after):
            np.testing.assert_array_equal(g, e, err_msg=f"stream after the draw, seed {seed}")


# concentrations below 1 (boosted), 1, above 1, large; 0 and tiny ones hit the clamp
CONC = [0.0, 1e-3, 0.3, 0.999, 1.0, 2.5, 40.0, 1e4, 1e7]


@pytest.mark.parametrize("dtype", DTYPES)
def test_standard_gamma_equals_torch(dtype):
    from ember.distributions._gamma_sampling import standard_gamma
    alpha = np.array(CONC * 3, dtype=dtype).reshape(3, 9)
    for seed in SEEDS:
        torch.manual_seed(seed)
        expected = torch._standard_gamma(torch.tensor(alpha)).numpy()
        ember.manual_seed(seed)
        got = standard_gamma(ember.tensor(alpha)).numpy()
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["Gamma", "Chi2", "Beta", "StudentT", "FisherSnedecor",
                                  "NegativeBinomial"])
def test_gamma_family_equals_torch(name, dtype):
    c = CONC[1:8]
    other = [2.0, 0.4, 1.0, 7.0, 0.9, 3.0, 0.05]
    makers = {
        "Gamma": lambda lib, D, dt: D.Gamma(lib.tensor(c, dtype=dt), lib.tensor(other, dtype=dt)),
        "Chi2": lambda lib, D, dt: D.Chi2(lib.tensor(c, dtype=dt)),
        "Beta": lambda lib, D, dt: D.Beta(lib.tensor(c, dtype=dt), lib.tensor(other, dtype=dt)),
        "StudentT": lambda lib, D, dt: D.StudentT(lib.tensor(c, dtype=dt)),
        "FisherSnedecor": lambda lib, D, dt: D.FisherSnedecor(lib.tensor(c, dtype=dt),
                                                              lib.tensor(other, dtype=dt)),
        "NegativeBinomial": lambda lib, D, dt: D.NegativeBinomial(
            lib.tensor(c, dtype=dt), lib.tensor([0.2, 0.5, 0.7, 0.9, 0.1, 0.3, 0.6], dtype=dt)),
    }
    _same_draws(makers[name], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k", [2, 3, 4, 5, 7, 10, 13, 19])
def test_dirichlet_equals_torch(k, dtype):
    conc = np.linspace(0.05, 6.0, 2 * k).reshape(2, k)
    _same_draws(lambda lib, D, dt: D.Dirichlet(lib.tensor(conc, dtype=dt)), dtype=dtype)


def test_dirichlet_gradient_is_the_normalised_gamma_gradient():
    """The Dirichlet draws' gradient (torch's values, ember's implicit gamma gradient pushed
    through g / sum(g)) equals autograd through that normalisation of the same gamma draws; both
    are float64 sums of a few products, so rtol 1e-12."""
    from ember.distributions._gamma_sampling import _GammaReparam, sample_dirichlet
    conc = np.array([[0.5, 2.0, 3.0], [0.2, 7.0, 0.9]])
    weights = ember.tensor(np.arange(6.0).reshape(2, 3))
    ember.manual_seed(4)
    c = ember.tensor(conc, requires_grad=True)
    (ED.Dirichlet(c).rsample() * weights).sum().backward()
    ember.manual_seed(4)
    _, gammas = sample_dirichlet(conc, ember.default_generator)
    c2 = ember.tensor(conc, requires_grad=True)
    g = _GammaReparam().apply(c2, ember.tensor(gammas))
    ((g / g.sum(-1, keepdim=True)) * weights).sum().backward()
    np.testing.assert_allclose(c.grad.numpy(), c2.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_binomial_equals_torch(dtype):
    # inversion (n p < 10) and BTRS (n p >= 10), p above 1/2 (drawn as n - draw for 1 - p),
    # the edges p = 0, p = 1, n = 0
    n = [0, 1, 5, 10, 20, 21, 50, 100, 1000, 1e5, 3e6, 7, 40, 200, 15]
    p = [0.5, 0.3, 0.01, 0.99, 0.5, 0.48, 0.2, 0.9, 0.011, 0.3, 0.999, 1.0, 0.0, 0.05, 0.75]
    _same_draws(lambda lib, D, dt: D.Binomial(lib.tensor(n, dtype=dt), lib.tensor(p, dtype=dt)),
                dtype=dtype)
    rng = np.random.default_rng(0)
    n_many, p_many = rng.integers(0, 500, 300).astype(float), rng.random(300)
    _same_draws(lambda lib, D, dt: D.Binomial(lib.tensor(n_many, dtype=dt),
                                              lib.tensor(p_many, dtype=dt)), shape=(),
                seeds=range(3), dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_poisson_equals_torch(dtype):
    rate = [0.0, 0.3, 4.0, 9.9, 10.0, 50.0, 1e4]
    _same_draws(lambda lib, D, dt: D.Poisson(lib.tensor(rate, dtype=dt)), dtype=dtype)


def test_unsupported_dtypes_raise_as_torch():
    from ember.distributions._gamma_sampling import standard_gamma
    with pytest.raises(NotImplementedError):
        torch._standard_gamma(torch.ones(2, dtype=torch.float16))
    with pytest.raises(NotImplementedError):
        standard_gamma(ember.ones(2, dtype=ember.float16))


@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_binomial_function(dtype):
    rng = np.random.default_rng(1)
    n, p = rng.integers(0, 300, (4, 50)).astype(dtype), rng.random((4, 50)).astype(dtype)
    for seed in SEEDS:
        torch.manual_seed(seed)
        expected = torch.binomial(torch.tensor(n), torch.tensor(p)).numpy()
        ember.manual_seed(seed)
        got = ember.binomial(ember.tensor(n), ember.tensor(p)).numpy()
        np.testing.assert_array_equal(got, expected)
    # a generator argument draws from that generator
    expected = torch.binomial(torch.tensor(n), torch.tensor(p),
                              generator=torch.Generator().manual_seed(7)).numpy()
    got = ember.binomial(ember.tensor(n), ember.tensor(p),
                         generator=ember.Generator().manual_seed(7)).numpy()
    np.testing.assert_array_equal(got, expected)
    # errors: integer counts, mixed dtypes, half
    for make in (lambda lib: lib.binomial(lib.ones(3, dtype=lib.int64),
                                          lib.ones(3, dtype=lib.int64)),
                 lambda lib: lib.binomial(lib.ones(3, dtype=lib.float64), lib.ones(3)),
                 lambda lib: lib.binomial(lib.ones(3, dtype=lib.float16),
                                          lib.ones(3, dtype=lib.float16))):
        with pytest.raises(Exception) as expected_error:
            make(torch)
        with pytest.raises(expected_error.type):
            make(ember)
