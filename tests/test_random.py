"""Random ops against torch: the same seed must give torch's numbers and leave the generator
where torch leaves it (the state bytes are compared too), plus distribution properties."""

import copy
import math
import pickle

import numpy as np
import pytest
import torch

import ember

from conftest import same_random_streams_as_torch

SIZES = [1, 15, 16, 17, 1000]
SEEDS = [0, 3, 2**40 + 7]


def _values(t):
    if isinstance(t, torch.Tensor):
        return t.detach().double().numpy()
    return np.asarray(t.detach()._host(), dtype=np.float64)


def run_both(seed, make):
    """``make(lib)`` after seeding both libraries; the results and the generators' states."""
    torch.manual_seed(seed)
    ember.manual_seed(seed)
    e = make(ember)
    t = make(torch)
    return e, t


def check(e, t, rtol=0.0):
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    ev, tv = _values(e), _values(t)
    if rtol == 0:
        np.testing.assert_array_equal(ev, tv)
    else:
        np.testing.assert_allclose(ev, tv, rtol=rtol, atol=rtol)
    # the stream is left exactly where torch leaves it
    np.testing.assert_array_equal(ember.get_rng_state()._host(), torch.get_rng_state().numpy())


F32_F64 = ["float32", "float64"]

# name -> (make(lib, n, dtype), tolerance); tolerance 0 means bit-exact
EXACT_CASES = {
    "rand": lambda m, n, dt: m.rand(n, dtype=dt),
    "rand_2d": lambda m, n, dt: m.rand(2, n, dtype=dt),
    "uniform_": lambda m, n, dt: m.empty(n, dtype=dt).uniform_(-2, 3),
    "bernoulli_p": lambda m, n, dt: m.empty(n, dtype=dt).bernoulli_(0.3),
    "bernoulli_tensor": lambda m, n, dt: m.bernoulli(m.arange(n, dtype=dt) / n),
    "bernoulli_input_p": lambda m, n, dt: m.bernoulli(m.zeros(n, dtype=dt), 0.7),
    "randint": lambda m, n, dt: m.randint(-3, 17, (n,)),
    "randint_high_only": lambda m, n, dt: m.randint(10, (n, 2)),
    "randint_64bit_range": lambda m, n, dt: m.randint(0, 2**40, (n,)),
    "randint_dtype": lambda m, n, dt: m.randint(10, (n,), dtype=dt),
    "randperm": lambda m, n, dt: m.randperm(n),
    "random_": lambda m, n, dt: m.empty(n, dtype=dt).random_(),
    "random_to": lambda m, n, dt: m.empty(n, dtype=dt).random_(5),
    "random_from_none": lambda m, n, dt: m.empty(n, dtype=dt).random_(5, None),
    "exponential_": lambda m, n, dt: m.empty(n, dtype=dt).exponential_(2.5),
    "geometric_": lambda m, n, dt: m.empty(n, dtype=dt).geometric_(0.2),
    "cauchy_": lambda m, n, dt: m.empty(n, dtype=dt).cauchy_(1, 0.5),
    "multinomial_replacement": lambda m, n, dt: m.multinomial(m.arange(1, 8, dtype=dt), n, True),
    "multinomial_no_replacement": lambda m, n, dt: m.multinomial(m.arange(1, n + 3, dtype=dt),
                                                                 n),
    "multinomial_2d": lambda m, n, dt: m.multinomial(m.arange(1, 25, dtype=dt).reshape(3, 8),
                                                     5, n % 2 == 0),
    "rand_like": lambda m, n, dt: m.rand_like(m.zeros(n, 2, dtype=dt)),
    "randint_like": lambda m, n, dt: m.randint_like(m.zeros(n, 2, dtype=dt), 3, 9),
    "transposed_uniform_": lambda m, n, dt: m.empty(3, n, dtype=dt).t().uniform_(),
    "transposed_bernoulli_": lambda m, n, dt: m.empty(3, n, dtype=dt).t().bernoulli_(
        m.rand(n, 1, dtype=dt)),
    "successive": lambda m, n, dt: m.cat([m.rand(n, dtype=dt), m.randint(7, (3,), dtype=dt),
                                          m.empty(n, dtype=dt).bernoulli_(0.5), m.rand(5)]),
}

# Box-Muller: blocks of 16 for contiguous n >= 16, else one pair of uniforms per two values
NORMAL_CASES = {
    "randn": lambda m, n, dt: m.randn(n, dtype=dt),
    "normal_mean_std": lambda m, n, dt: m.empty(n, dtype=dt).normal_(0.5, 3.0),
    "normal_tensor_tensor": lambda m, n, dt: m.normal(m.arange(n, dtype=dt),
                                                      m.ones(n, dtype=dt) * 2),
    "normal_tensor_float": lambda m, n, dt: m.normal(m.arange(n, dtype=dt), 2.0),
    "normal_float_tensor": lambda m, n, dt: m.normal(1.5, m.ones(n, dtype=dt) * 2),
    "normal_float_float": lambda m, n, dt: m.normal(1.5, 2.0, (n,), dtype=dt),
    "randn_like": lambda m, n, dt: m.randn_like(m.zeros(n, 2, dtype=dt)),
    "transposed_normal_": lambda m, n, dt: m.empty(3, n, dtype=dt).t().normal_(),
    "log_normal_": lambda m, n, dt: m.empty(n, dtype=dt).log_normal_(0.2, 0.5),
    # one-at-a-time draws keep a second value: odd sizes in a row use it
    "successive_normals": lambda m, n, dt: m.cat([m.randn(n, dtype=dt), m.randn(3, dtype=dt),
                                                  m.randn(1, dtype=m.float64).to(dt),
                                                  m.randn(n, 2, dtype=dt).flatten()]),
}


@same_random_streams_as_torch
@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("dtype", F32_F64)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("name", sorted(EXACT_CASES))
def test_exact_against_torch(name, n, dtype, seed):
    make = EXACT_CASES[name]
    e, t = run_both(seed, lambda m: make(m, n, getattr(m, dtype)))
    check(e, t)


@same_random_streams_as_torch
@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("dtype", F32_F64)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("name", sorted(NORMAL_CASES))
def test_normal_against_torch(name, n, dtype, seed):
    make = NORMAL_CASES[name]
    e, t = run_both(seed, lambda m: make(m, n, getattr(m, dtype)))
    check(e, t)


@same_random_streams_as_torch
@pytest.mark.parametrize("seed", SEEDS)
def test_rand_large_and_big_seeds(seed):
    e, t = run_both(seed, lambda m: m.rand(100_000))
    check(e, t)
    e, t = run_both(seed, lambda m: m.randn(100_000, dtype=m.float64))
    check(e, t)
    e, t = run_both(seed, lambda m: m.randn(100_003))
    check(e, t)


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8", "bool",
                                   "float16", "bfloat16"])
def test_random_full_range_dtypes(dtype):
    e, t = run_both(4, lambda m: m.empty(300, dtype=getattr(m, dtype)).random_())
    check(e, t)
    e, t = run_both(4, lambda m: m.empty(50, dtype=getattr(m, dtype)).random_(2))
    check(e, t)


def test_random_int64_whole_range():
    e, t = run_both(1, lambda m: m.empty(100, dtype=m.int64).random_(-(2**63), None))
    check(e, t)
    e, t = run_both(1, lambda m: m.empty(100, dtype=m.int64).random_(-5, None))
    check(e, t)


@pytest.mark.parametrize("n", [2, 5, 1000, 20_000])
def test_randperm_sizes(n):
    e, t = run_both(6, lambda m: m.randperm(n))
    check(e, t)
    assert sorted(e.tolist()) == list(range(n))


def test_rand_float16_uniform():
    e, t = run_both(2, lambda m: m.rand(100, dtype=m.float16))
    check(e, t)
    e, t = run_both(2, lambda m: m.empty(100, dtype=m.bfloat16).uniform_(-1, 1))
    check(e, t)


def test_linear_init_matches_torch():
    e, t = run_both(0, lambda m: m.nn.Linear(3, 4))
    np.testing.assert_allclose(_values(e.weight), _values(t.weight), rtol=0, atol=1e-7)
    np.testing.assert_allclose(_values(e.bias), _values(t.bias), rtol=0, atol=1e-7)
    np.testing.assert_array_equal(ember.get_rng_state()._host(), torch.get_rng_state().numpy())


def test_dropout_mask_recipe():
    # torch's dropout draws its keep-mask with bernoulli_(1 - p) on an empty_like tensor
    torch.manual_seed(5)
    kept = torch.nn.functional.dropout(torch.ones(1000), 0.4) > 0
    ember.manual_seed(5)
    mask = ember.empty(1000).bernoulli_(0.6)
    np.testing.assert_array_equal(_values(mask) > 0, kept.numpy())


# ---------------------------------------------------------------------------- the generator


def test_state_layout_is_torchs():
    torch.manual_seed(11)
    ember.manual_seed(11)
    assert ember.get_rng_state().dtype is ember.uint8
    assert tuple(ember.get_rng_state().shape) == (5056,)
    np.testing.assert_array_equal(ember.get_rng_state()._host(), torch.get_rng_state().numpy())
    # a torch state loads into ember and continues torch's stream
    torch.randn(3, dtype=torch.float64)
    ember.set_rng_state(ember.tensor(torch.get_rng_state().numpy()))
    np.testing.assert_array_equal(_values(ember.randn(5, dtype=ember.float64)),
                                  _values(torch.randn(5, dtype=torch.float64)))
    # and an ember state loads into torch
    ember.rand(700)
    torch.set_rng_state(torch.from_numpy(ember.get_rng_state()._host().copy()))
    np.testing.assert_array_equal(_values(ember.rand(10)), _values(torch.rand(10)))


def test_state_round_trip_restores_stream():
    ember.manual_seed(1)
    ember.randn(3)
    state = ember.get_rng_state()
    a = ember.randn(5)
    ember.rand(1000)
    ember.set_rng_state(state)
    np.testing.assert_array_equal(_values(ember.randn(5)), _values(a))
    with pytest.raises(RuntimeError, match="5056"):
        ember.set_rng_state(ember.zeros(10, dtype=ember.uint8))


def test_manual_seed_returns_generator_and_initial_seed():
    g = ember.manual_seed(5)
    assert g is ember.default_generator
    assert ember.initial_seed() == 5
    ember.manual_seed(-1)
    assert ember.initial_seed() == torch.manual_seed(-1).initial_seed() == 2**64 - 1
    with pytest.raises(ValueError):
        ember.manual_seed(2**64)
    s = ember.seed()
    assert ember.initial_seed() == s and 0 <= s < 2**53
    ember.manual_seed(2**32 + 5)
    a = ember.rand(3)
    ember.manual_seed(5)
    np.testing.assert_array_equal(_values(a), _values(ember.rand(3)))


def test_default_seed_is_torchs():
    g = ember.Generator()
    t = torch.Generator()
    assert g.initial_seed() == t.initial_seed()
    np.testing.assert_array_equal(_values(ember.rand(20, generator=g)),
                                  _values(torch.rand(20, generator=t)))


@same_random_streams_as_torch
def test_generator_objects_are_isolated():
    g = ember.Generator(device="cpu").manual_seed(42)
    t = torch.Generator().manual_seed(42)
    ember.manual_seed(0)
    before = ember.get_rng_state()._host().copy()
    for op in (lambda m, gen: m.rand(17, generator=gen),
               lambda m, gen: m.randn(33, generator=gen),
               lambda m, gen: m.randint(0, 5, (9,), generator=gen),
               lambda m, gen: m.randperm(12, generator=gen),
               lambda m, gen: m.empty(7).normal_(generator=gen),
               lambda m, gen: m.empty(7).bernoulli_(0.5, generator=gen),
               lambda m, gen: m.multinomial(m.ones(4), 2, generator=gen)):
        np.testing.assert_array_equal(_values(op(ember, g)), _values(op(torch, t)))
    np.testing.assert_array_equal(ember.get_rng_state()._host(), before)
    assert g.initial_seed() == 42
    np.testing.assert_array_equal(g.get_state()._host(), t.get_state().numpy())
    g2 = ember.Generator().set_state(g.get_state())
    np.testing.assert_array_equal(_values(ember.rand(5, generator=g2)),
                                  _values(ember.rand(5, generator=g)))


def test_generator_copy_and_pickle():
    g = ember.Generator().manual_seed(3)
    ember.randn(5, generator=g)
    for clone in (pickle.loads(pickle.dumps(g)), copy.deepcopy(g), g.clone_state()):
        np.testing.assert_array_equal(_values(ember.randn(7, generator=clone)),
                                      _values(ember.randn(7, generator=copy.deepcopy(g))))


def test_fork_rng():
    ember.manual_seed(8)
    with ember.random.fork_rng():
        ember.rand(100)
    with ember.random.fork_rng(enabled=False):
        pass
    a = ember.rand(3)
    ember.manual_seed(8)
    np.testing.assert_array_equal(_values(a), _values(ember.rand(3)))
    assert ember.random.initial_seed() == 8


# ---------------------------------------------------------------------------- properties


def test_creation_keywords():
    x = ember.rand(2, 3, dtype=ember.float64, requires_grad=True)
    assert x.dtype is ember.float64 and x.requires_grad and x.is_leaf
    assert ember.randn((4, 5)).shape == (4, 5)
    assert ember.rand([]).shape == ()
    assert ember.randint(0, 3, (2,)).dtype is ember.int64
    assert ember.randperm(4).dtype is ember.int64
    assert ember.randperm(4, dtype=ember.float32).dtype is ember.float32
    assert ember.randn(3, device="cpu").device.type == "cpu"
    assert ember.normal(0.0, 1.0, size=(2, 2)).shape == (2, 2)
    assert ember.normal(ember.zeros(3, 1), ember.ones(1, 4)).shape == (3, 4)
    assert ember.normal(ember.zeros(2, dtype=ember.float64)).dtype is ember.float64
    assert ember.randint_like(ember.zeros(3), 5).dtype is ember.float32
    assert ember.bernoulli(ember.full((3,), 0.5)).dtype is ember.float32
    with pytest.raises(RuntimeError):
        ember.randint(0, 3, (2,), requires_grad=True)


def test_distribution_properties():
    ember.manual_seed(123)
    x = _values(ember.randn(100_000))
    assert abs(x.mean()) < 0.02 and abs(x.std() - 1) < 0.02
    u = _values(ember.rand(100_000, dtype=ember.float64))
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.01
    e = _values(ember.empty(100_000).exponential_(4.0))
    assert e.min() >= 0 and abs(e.mean() - 0.25) < 0.01
    b = _values(ember.empty(100_000).bernoulli_(0.2))
    assert set(np.unique(b)) <= {0.0, 1.0} and abs(b.mean() - 0.2) < 0.01
    r = _values(ember.randint(3, 9, (10_000,)))
    assert r.min() == 3 and r.max() == 8
    ln = _values(ember.empty(50_000, dtype=ember.float64).log_normal_(0.0, 0.25))
    assert abs(np.log(ln).mean()) < 0.01 and abs(np.log(ln).std() - 0.25) < 0.01
    g = _values(ember.empty(50_000).geometric_(0.5))
    assert g.min() >= 1 and abs(g.mean() - 2) < 0.05
    m = _values(ember.multinomial(ember.tensor([0.0, 1.0, 3.0]), 20_000, replacement=True))
    assert set(np.unique(m)) == {1, 2} and abs((m == 2).mean() - 0.75) < 0.02
    w = _values(ember.multinomial(ember.tensor([0.0, 1.0, 3.0, 2.0]), 3))
    assert sorted(w.tolist()) == [1, 2, 3]


def test_in_place_bumps_version_and_refuses_leaves():
    x = ember.zeros(4)
    v = x._version
    x.uniform_()
    assert x._version == v + 1
    w = ember.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w.normal_()
    with ember.no_grad():
        w.normal_()


def test_view_fill_writes_base():
    base = ember.zeros(4, 6)
    base[:, ::2].uniform_(1, 2)
    vals = _values(base)
    assert (vals[:, ::2] >= 1).all() and (vals[:, 1::2] == 0).all()


@pytest.mark.parametrize("make, exc, match", [
    (lambda m: m.randint(5, 5, (2,)), RuntimeError, "from=5 >= to=5"),
    (lambda m: m.empty(3).bernoulli_(1.5), RuntimeError, "bernoulli_ expects p"),
    (lambda m: m.empty(3).normal_(0, -1), RuntimeError, "normal expects std >= 0.0"),
    (lambda m: m.empty(3).uniform_(2, 1), RuntimeError, "uniform_ expects to return"),
    (lambda m: m.empty(3).exponential_(-1), RuntimeError, "exponential_ expects lambda"),
    (lambda m: m.empty(3).geometric_(0), RuntimeError, "geometric_ expects p"),
    (lambda m: m.multinomial(m.tensor([1.0, -1.0]), 1), RuntimeError, "element < 0"),
    (lambda m: m.multinomial(m.zeros(2), 1, True), RuntimeError, "sum of probabilities"),
    (lambda m: m.multinomial(m.ones(3), 4), RuntimeError, "n_sample > prob_dist"),
    (lambda m: m.randperm(-1), RuntimeError, "negative dimension"),
    (lambda m: m.rand(2, dtype=m.int64), NotImplementedError, "not implemented for 'Long'"),
    (lambda m: m.randn(2, dtype=m.int32), NotImplementedError, "not implemented for 'Int'"),
])
def test_errors_match_torch(make, exc, match):
    with pytest.raises(exc, match=match):
        make(torch)
    with pytest.raises(exc, match=match):
        make(ember)


def test_cuda_tensors_draw_from_their_own_seeded_generator(fake_cuda):
    ember.manual_seed(5)
    a = ember.rand(6, device="cuda")
    cpu_after_cuda_draw = ember.rand(3)
    ember.manual_seed(5)
    assert ember.equal(ember.rand(3), cpu_after_cuda_draw)  # the CPU stream is untouched
    ember.manual_seed(5)
    assert ember.equal(ember.rand(6, device="cuda").cpu(), a.cpu())  # manual_seed seeds cuda
    ember.cuda.manual_seed(7)
    b = ember.randn(6, device="cuda")
    ember.cuda.manual_seed(7)
    assert ember.equal(ember.randn(6, device="cuda").cpu(), b.cpu())


@same_random_streams_as_torch
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("n", [1, 15, 16, 17, 20, 33, 1000])
@pytest.mark.parametrize("name", ["rand", "randn", "uniform_", "normal_"])
def test_16_bit_floats_exact_against_torch(name, n, dtype):
    """16-bit floats: the tail of randn draws only the full blocks' uniforms first, and a
    uniform rounded up to `to` becomes `from` (both as torch); the stream stays in step."""
    def make(m):
        dt = getattr(m, dtype)
        if name in ("rand", "randn"):
            out = getattr(m, name)(n, dtype=dt)
        elif name == "uniform_":
            out = m.empty(n, dtype=dt).uniform_(-2.0, 3.0)
        else:
            out = m.empty(n, dtype=dt).normal_(0.5, 2.0)
        return m.cat([out.float(), m.rand(3)])

    for seed in (0, 3, 12345):
        e, t = run_both(seed, make)
        np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_bernoulli_integer_compare_equals_the_53_bit_compare_at_ties():
    # _below compares k < ceil(p 2^53), k the low 53 bits of a 64-bit draw (two words, the
    # first high).  Words chosen near the threshold (equal high parts, low words equal or one
    # below), checked against the float formula u = k * 2^-53 < p.
    from ember import _random

    rng = np.random.default_rng(0)
    for p in (0.5, 1 / 3, 0.9, 2.0 ** -40, 1 - 2.0 ** -40):
        t = math.ceil(p * 2.0 ** 53)
        words = rng.integers(0, 1 << 32, size=2000, dtype=np.uint64).astype(np.uint32)
        words[0:200:2] = (t >> 32) | (rng.integers(0, 1 << 11, size=100) << 21)  # tied highs
        words[1:40:2] = t & 0xFFFFFFFF  # ... some with the low part equal too
        words[41:80:2] = (t & 0xFFFFFFFF) - 1 if t & 0xFFFFFFFF else 0

        class Words:
            def __init__(self, words):
                self.words = words

            def _u64(self, n):
                w = self.words[:2 * n].astype(np.uint64)
                return (w[0::2] << np.uint64(32)) | w[1::2]

        k = ((words[0::2].astype(np.uint64) & ((1 << 21) - 1)) << 32) | words[1::2]
        expected = k.astype(np.float64) * 2.0 ** -53 < p  # exact: k has 53 bits
        np.testing.assert_array_equal(_random._below(Words(words), 1000, p), expected)


def test_64_bit_draws_are_two_words_first_high():
    """Generator._u64 draws NumPy's full-range uint64s (one call, faster): they must be the
    stream's next two words with the first as the high half, and use up exactly two words."""
    a, b = ember.Generator(), ember.Generator()
    a.manual_seed(7)
    b.manual_seed(7)
    words = a._words(10).astype(np.uint64)
    np.testing.assert_array_equal(b._u64(5), (words[0::2] << np.uint64(32)) | words[1::2])
    np.testing.assert_array_equal(a._words(3), b._words(3))
