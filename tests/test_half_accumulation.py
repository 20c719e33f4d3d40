"""16-bit floats are accumulated in float32, as in torch: every sum, mean, norm, variance,
running sum and scatter-add of float16/bfloat16 values, forward and backward; and the layers
that add up: normalisation, average pools, softmax, matrix products, the summed MSE loss.

A float16 keeps 11 significant bits and a bfloat16 8: added up in their own dtype, a running sum
of ones stops growing at 2048 (256).  So the reductions here run over N = 4096 terms, against
torch.  The inputs are multiples of 1/64 in [0.5, 1.5): exact in both 16-bit dtypes, and their
float32 sums are exact whatever the order of the additions, so ember and torch round the same
number to 16 bits.
"""

import math

import numpy as np
import pytest
import torch

import ember

from conftest import HAVE_BFLOAT16, assert_same, to_numpy

N = 4096
HALF = ["float16", "bfloat16"]


def _values(*shape, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.integers(32, 96, size=shape) / 64).astype(np.float32)


def _pair(array, dtype, requires_grad=False):
    """The same values as an ember and a torch tensor of ``dtype`` (a name)."""
    e = ember.tensor(array).to(getattr(ember, dtype))
    t = torch.tensor(array).to(getattr(torch, dtype))
    return e.requires_grad_(requires_grad), t.requires_grad_(requires_grad)


def _index(lib, array):
    return lib.tensor(np.asarray(array, dtype=np.int64))


# ---------------------------------------------------------------------------- forward

# (name, fn(lib, x), input shape): every one reduces over N terms along some dim
FORWARD = [
    ("sum_dim0", lambda lib, x: x.sum(0), (N, 3)),
    ("sum_all", lambda lib, x: x.sum(), (N, 3)),
    ("sum_dims_keepdim", lambda lib, x: lib.sum(x, (0, 2), keepdim=True), (N // 2, 3, 2)),
    ("sum_dtype", lambda lib, x: x.sum(0, dtype=x.dtype), (N, 2)),
    ("mean_dim0", lambda lib, x: x.mean(0), (N, 3)),
    ("nansum_dim0", lambda lib, x: x.nansum(0), (N, 3)),
    ("nanmean_dim0", lambda lib, x: x.nanmean(0), (N, 3)),
    ("var_dim0", lambda lib, x: x.var(0), (N, 3)),
    ("std_all", lambda lib, x: x.std(), (N, 3)),
    ("var_mean", lambda lib, x: lib.var_mean(x, 0), (N, 3)),
    ("std_mean", lambda lib, x: lib.std_mean(x, 0, keepdim=True), (N, 3)),
    ("norm_2", lambda lib, x: x.norm(dim=0), (N, 3)),
    ("norm_1", lambda lib, x: lib.linalg.vector_norm(x, 1, 0), (N, 3)),
    ("norm_3", lambda lib, x: lib.linalg.vector_norm(x, 3, 0), (N, 3)),
    ("norm_fro", lambda lib, x: lib.linalg.matrix_norm(x), (N, 3)),
    ("logsumexp_dim0", lambda lib, x: x.logsumexp(0), (N, 3)),
    ("cumsum_dim0", lambda lib, x: x.cumsum(0), (N, 3)),
    ("scatter_add", lambda lib, x: lib.zeros(2, 3, dtype=x.dtype).scatter_add(
        0, _index(lib, np.arange(N * 3).reshape(N, 3) % 2), x), (N, 3)),
    ("scatter_reduce_add", lambda lib, x: lib.zeros(1, 3, dtype=x.dtype).scatter(
        0, _index(lib, np.zeros((N, 3))), x, reduce="add"), (N, 3)),
    ("scatter_reduce_sum", lambda lib, x: lib.ones(1, 3, dtype=x.dtype).scatter_reduce(
        0, _index(lib, np.zeros((N, 3))), x, "sum"), (N, 3)),
    ("scatter_reduce_mean", lambda lib, x: lib.ones(1, 3, dtype=x.dtype).scatter_reduce(
        0, _index(lib, np.zeros((N, 3))), x, "mean"), (N, 3)),
    ("scatter_reduce_mean_noself", lambda lib, x: lib.ones(1, 3, dtype=x.dtype).scatter_reduce(
        0, _index(lib, np.zeros((N, 3))), x, "mean", include_self=False), (N, 3)),
    ("index_add", lambda lib, x: lib.zeros(2, 3, dtype=x.dtype).index_add(
        0, _index(lib, np.arange(N) % 2), x), (N, 3)),
    ("index_add_dim1", lambda lib, x: lib.zeros(3, 1, dtype=x.dtype).index_add(
        1, _index(lib, np.zeros(N)), x), (3, N)),
    ("sum_to_size", lambda lib, x: x.sum_to_size(1, 3), (N, 3)),
]


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("name,fn,shape", FORWARD, ids=[c[0] for c in FORWARD])
def test_forward(name, fn, shape, dtype):
    e, t = _pair(_values(*shape), dtype)
    e_out, t_out = fn(ember, e), fn(torch, t)
    if isinstance(t_out, tuple):
        for a, b in zip(e_out, t_out):
            assert_same(a, b)
    else:
        assert_same(e_out, t_out)


@pytest.mark.parametrize("dtype", HALF)
def test_counts_past_16_bits(dtype):
    """The issue's numbers: ones over 4096 rows add up to 4096, not 2048 (256 in bfloat16)."""
    e = ember.ones(N, 2, dtype=getattr(ember, dtype))
    assert e.sum(0).tolist() == [N, N]
    assert e.cumsum(0)[-1].tolist() == [N, N]
    index = ember.zeros(N, 2, dtype=ember.int64)
    assert ember.zeros(1, 2, dtype=e.dtype).scatter_add(0, index, e).tolist() == [[N, N]]
    # a constant slice has no spread at all (0.354 when the mean was taken in 16 bits)
    assert ember.ones(N, 64, dtype=e.dtype).std(0).tolist() == [0.0] * 64


@pytest.mark.parametrize("dtype", HALF)
def test_prod_in_float32(dtype):
    """prod and cumprod of 16-bit floats multiply in float32 and round once at the end.

    NOTE: torch's CPU prod rounds every partial product to 16 bits, so the reference here is
    the float64 product of the same values (and torch's cumprod, which multiplies in float32).
    """
    step = 2.0 ** -10 if dtype == "float16" else 2.0 ** -7  # 1 + step is exact in dtype
    values = np.full((N, 2), 1 + step, dtype=np.float32)
    e, t = _pair(values, dtype)
    exact = torch.tensor((1 + step) ** N).to(getattr(torch, dtype)).expand(2)
    assert_same(e.prod(0), exact)
    assert_same(e.cumprod(0)[-1], t.cumprod(0)[-1])
    assert_same(e.cumprod(0)[-1], exact)


def test_norm_does_not_overflow_float16():
    """|x|^2 of 300 overflows float16 (max 65504): the norm is computed in float32."""
    e, t = _pair(np.array([300.0, 400.0], dtype=np.float32), "float16")
    assert_same(e.norm(), t.norm())
    assert e.norm().item() == 500.0


def test_float32_keeps_its_dtype():
    """The widening is only for 16-bit floats: float32 and float64 sums keep their dtype."""
    for name in ("float32", "float64"):
        e, t = _pair(_values(N, 3), name)
        assert_same(e.sum(0), t.sum(0))
        assert_same(e.std(0), t.std(0))
        assert_same(e.cumsum(0), t.cumsum(0))


# ---------------------------------------------------------------------------- backward

def _grads(fn, array, dtype, create_graph=False):
    """d(sum of fn's output)/d(input) in ember and torch."""
    e, t = _pair(array, dtype, requires_grad=True)
    (e_g,) = ember.autograd.grad(fn(ember, e).sum(), e, create_graph=create_graph)
    (t_g,) = torch.autograd.grad(fn(torch, t).sum(), t, create_graph=create_graph)
    return e_g, t_g


# (name, fn(lib, x), input shape): each backward adds up N terms somewhere
BACKWARD = [
    ("broadcast_add", lambda lib, b: lib.ones(N, 3, dtype=b.dtype) + b, (3,)),
    ("broadcast_mul_keepdim", lambda lib, b: lib.ones(N, 3, dtype=b.dtype) * b, (1, 3)),
    ("expand", lambda lib, w: w.expand(N, 3), (1, 3)),
    ("cumsum", lambda lib, x: x.cumsum(0), (N, 3)),
    ("gather", lambda lib, w: w.gather(0, _index(lib, np.zeros((N, 3)))), (1, 3)),
    ("index_select", lambda lib, w: w.index_select(0, _index(lib, np.zeros(N))), (1, 3)),
    ("var", lambda lib, x: x.var(0), (N, 3)),
    ("std", lambda lib, x: x.std(0), (N, 3)),
    ("logsumexp", lambda lib, x: x.logsumexp(0), (N, 3)),
    ("norm_2", lambda lib, x: x.norm(dim=0), (N, 3)),
]


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("name,fn,shape", BACKWARD, ids=[c[0] for c in BACKWARD])
def test_backward(name, fn, shape, dtype):
    e_g, t_g = _grads(fn, _values(*shape), dtype)
    assert_same(e_g, t_g)


@pytest.mark.parametrize("dtype", HALF)
def test_broadcast_gradient_under_create_graph(dtype):
    """With create_graph the engine sums a broadcast gradient with a recorded SumToSize."""
    e_g, t_g = _grads(lambda lib, b: lib.ones(N, 3, dtype=b.dtype) * b * b, _values(3), dtype,
                      create_graph=True)
    assert_same(e_g, t_g)
    assert e_g.grad_fn is not None


@pytest.mark.parametrize("dtype", HALF)
def test_linear_bias_gradient(dtype):
    """nn.Linear(2, 2) in 16 bits over 4096 rows: the bias gradient is 4096 per output."""
    ember.manual_seed(0)
    layer = ember.nn.Linear(2, 2).to(getattr(ember, dtype))
    layer(ember.ones(N, 2, dtype=layer.weight.dtype)).sum().backward()
    t_layer = torch.nn.Linear(2, 2).to(getattr(torch, dtype))
    t_layer(torch.ones(N, 2, dtype=t_layer.weight.dtype)).sum().backward()
    assert layer.bias.grad.dtype is layer.weight.dtype
    assert_same(layer.bias.grad, t_layer.bias.grad)
    assert layer.bias.grad.tolist() == [N, N]


@pytest.mark.parametrize("dtype,row,expected", [
    ("float16", [[32.0, 1.0], [64.0, 1.0]], 2050.0),  # 2049.75; 2049 is a tie -> 2048 first
    ("bfloat16", [[16.0, 1.0], [16.0, 0.5]], 258.0)])  # 257.25; 256.5 is a tie -> 256 first
def test_linear_adds_its_bias_before_the_one_rounding(dtype, row, expected):
    """x @ w^T + b in 16 bits is rounded once, as torch's kernel: the product's float32 sum and
    the bias (0.75) together.  Rounding the product first, to even, then the sum gives the
    value below (float16's spacing is 2 near 2048, bfloat16's 2 near 256)."""
    for lib in (torch, ember):
        d = getattr(lib, dtype)
        x, w = lib.tensor([row[0]]).to(d), lib.tensor([row[1]]).to(d)
        got = lib.nn.functional.linear(x, w, lib.tensor([0.75]).to(d))
        assert got.dtype == d and got.float().item() == expected


@pytest.mark.parametrize("dtype", HALF)
def test_inf_norm_gradient_shares_ties(dtype):
    """The inf-norm's gradient is shared among the N tied entries: 1/N each, not 1/2048."""
    e_g, t_g = _grads(lambda lib, x: lib.linalg.vector_norm(x, math.inf),
                      np.ones(N, dtype=np.float32), dtype)
    assert_same(e_g, t_g)


@pytest.mark.parametrize("dtype", HALF)
def test_index_fill_value_gradient(dtype):
    """The filled value's gradient is the sum of the gradient over every filled place."""
    value = {}
    for lib in (ember, torch):
        v = lib.tensor(0.5, dtype=getattr(lib, dtype), requires_grad=True)
        zeros = lib.zeros(N, 2, dtype=v.dtype)
        zeros.index_fill(0, _index(lib, np.arange(N)), v).sum().backward()
        value[lib] = v.grad
    assert_same(value[ember], value[torch])


# ---------------------------------------------------------------------------- fused layers

def _functional(lib):
    return lib.nn.functional


# (name, fn(lib, x), input shape): pools, products and losses whose 16-bit result torch
# rounds once from a float32 sum over N terms, so ember's must equal torch's
LAYERS_FORWARD = [
    ("avg_pool1d_global", lambda lib, x: _functional(lib).avg_pool1d(x, N), (3, N)),
    ("avg_pool1d_sliding", lambda lib, x: _functional(lib).avg_pool1d(x, N, 1), (3, N + 15)),
    ("avg_pool2d_padded", lambda lib, x: _functional(lib).avg_pool2d(
        x, 64, 1, 1, count_include_pad=False), (2, 64, 64)),
    ("adaptive_avg_pool1d", lambda lib, x: _functional(lib).adaptive_avg_pool1d(x, 2),
     (3, 2 * N)),
    ("adaptive_avg_pool2d", lambda lib, x: _functional(lib).adaptive_avg_pool2d(x, 1),
     (3, 64, 64)),
    ("matmul", lambda lib, x: x.mT @ x, (N, 3)),
    ("mv", lambda lib, x: lib.mv(x.mT, x[:, 0]), (N, 3)),
    ("linear", lambda lib, x: _functional(lib).linear(x.mT, x[:, :2].mT, x[0, :2]), (N, 3)),
    ("addmm", lambda lib, x: lib.addmm(x[:3], x.mT, x, beta=0.5, alpha=2), (N, 3)),
    ("mse_loss_sum", lambda lib, x: _functional(lib).mse_loss(x, x + 0.5, reduction="sum"),
     (N, 3)),
]


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("name,fn,shape", LAYERS_FORWARD, ids=[c[0] for c in LAYERS_FORWARD])
def test_layer_forward(name, fn, shape, dtype):
    e, t = _pair(_values(*shape), dtype)
    assert_same(fn(ember, e), fn(torch, t))


def _weighted_grads(fn, array, dtype, reference_dtype=None):
    """(fn's output, d(sum(fn(x) * w))/dx) for fixed weights w, in ember and in torch.
    With ``reference_dtype`` (float32) torch computes in that dtype from the same values and
    its results are rounded to ``dtype``: the one-rounding answer."""
    e, t = _pair(array, dtype, requires_grad=True)
    if reference_dtype is not None:
        t = t.detach().to(getattr(torch, reference_dtype)).requires_grad_()
    e_out, t_out = fn(ember, e), fn(torch, t)
    weights = _values(*e_out.shape, seed=1)
    (e_g,) = ember.autograd.grad((e_out * ember.tensor(weights).to(e.dtype)).sum(), e)
    (t_g,) = torch.autograd.grad((t_out * torch.tensor(weights).to(t.dtype)).sum(), t)
    half = getattr(torch, dtype)
    return (e_out, t_out.detach().to(half)), (e_g, t_g.to(half))


def _norm_params(lib, x, channels):
    """A weight and a bias of ``channels`` values (not 1 and 0) in x's dtype: multiples of
    1/64, exact in every float dtype, so that the float32 reference gets the same ones."""
    weight = ((lib.arange(channels) % 64 + 32) / 64).to(x.dtype)
    return weight, weight - 1


# (name, fn(lib, x), input shape): each normalises groups of N values; forward and gradient
# against torch computing in float32 from the same 16-bit values, rounded to 16 bits once.
# NOTE: torch's own 16-bit gradients here come out up to 2% of their largest value apart
# from that (they round along the way); ember's are the float32 ones, rounded once
NORMS = [
    ("batch_norm", lambda lib, x: _functional(lib).batch_norm(
        x, None, None, *_norm_params(lib, x, 3), training=True), (N, 3)),
    ("batch_norm_2d", lambda lib, x: _functional(lib).batch_norm(
        x, None, None, *_norm_params(lib, x, 3), training=True), (16, 3, 16, 16)),
    ("layer_norm", lambda lib, x: _functional(lib).layer_norm(
        x, (N,), *_norm_params(lib, x, N)), (3, N)),
    ("group_norm", lambda lib, x: _functional(lib).group_norm(
        x, 2, *_norm_params(lib, x, 4)), (2, 4, N // 2)),
    ("instance_norm", lambda lib, x: _functional(lib).instance_norm(x), (2, 3, N)),
]


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("name,fn,shape", NORMS, ids=[c[0] for c in NORMS])
def test_norm_forward_and_gradient(name, fn, shape, dtype):
    (e_out, t_out), (e_g, t_g) = _weighted_grads(fn, _values(*shape), dtype, "float32")
    assert_same(e_out, t_out)
    assert_same(e_g, t_g)


@pytest.mark.parametrize("dtype", HALF)
def test_batch_norm_running_statistics(dtype):
    """The running mean and variance move towards float32 batch statistics."""
    stats = {}
    for lib in (ember, torch):
        x = lib.tensor(_values(N, 3)).to(getattr(lib, dtype))
        mean, var = lib.zeros(3, dtype=x.dtype), lib.ones(3, dtype=x.dtype)
        _functional(lib).batch_norm(x, mean, var, training=True, momentum=1.0)
        stats[lib] = mean, var
    for e, t in zip(stats[ember], stats[torch]):
        assert_same(e, t)


# (name, fn(lib, x), input shape): each sample's gradient adds up the shares of up to N
# overlapping windows, against torch computing in float32, rounded once.
# NOTE: torch's own 16-bit average-pool gradients add the shares in 16 bits: in bfloat16
# they stop growing near 1/8 of the true value (as its prod, see test_prod_in_float32)
POOLS_BACKWARD = [
    ("avg_pool1d", lambda lib, x: _functional(lib).avg_pool1d(x, N, 1), (2, 2 * N - 1)),
    ("avg_pool2d", lambda lib, x: _functional(lib).avg_pool2d(x, 64, 1), (1, 127, 127)),
    ("avg_pool1d_global", lambda lib, x: _functional(lib).avg_pool1d(x, N), (3, N)),
]


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("name,fn,shape", POOLS_BACKWARD, ids=[c[0] for c in POOLS_BACKWARD])
def test_pool_gradient(name, fn, shape, dtype):
    _, (e_g, t_g) = _weighted_grads(fn, _values(*shape), dtype, "float32")
    assert_same(e_g, t_g)


# (name, fn(lib, x), input shape): gradients that torch computes in float32 from 16-bit
# saved values and rounds once; ember's must equal its 16-bit ones
LAYERS_BACKWARD = [
    ("softmax", lambda lib, x: lib.softmax(x, 1), (3, N)),
    ("matmul", lambda lib, x: x.mT @ x, (N, 3)),
    ("linear_weight", lambda lib, w: _functional(lib).linear(
        lib.tensor(_values(N, 3)).to(w.dtype), w), (2, 3)),
]


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("name,fn,shape", LAYERS_BACKWARD, ids=[c[0] for c in LAYERS_BACKWARD])
def test_layer_gradient(name, fn, shape, dtype):
    _, (e_g, t_g) = _weighted_grads(fn, _values(*shape), dtype)
    assert_same(e_g, t_g)


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("name", ["log_softmax", "cross_entropy"])
def test_log_softmax_gradient(name, dtype):
    """grad - exp(y) * sum(grad) over N equal logits: 1 - 4096 * exp(y) keeps 0.3% of the
    terms, so exp(y) rounded to 16 bits first would move the gradient by up to 20%."""
    grads = {}
    for lib in (ember, torch):
        x = lib.zeros(3, N, dtype=getattr(lib, dtype), requires_grad=True)
        if name == "log_softmax":
            lib.log_softmax(x, 1).sum().backward()
        else:
            target = lib.tensor([0, 1, 2])
            _functional(lib).cross_entropy(x, target, reduction="sum").backward()
        grads[lib] = x.grad
    assert_same(grads[ember], grads[torch])


@pytest.mark.parametrize("name", ["einsum", "tensordot", "inner", "conv2d", "conv_transpose2d",
                                  "scaled_dot_product_attention"])
def test_bfloat16_products_stay_bfloat16_like_torch(name):
    """NumPy has no bfloat16 einsum and hands bfloat16 matrix products back as float32; torch
    returns bfloat16. Small integers keep every product and sum exact in bfloat16, so the
    values must equal torch's, and so must the gradients."""
    if not HAVE_BFLOAT16:
        pytest.skip("bfloat16 needs the optional ml_dtypes package")
    rng = np.random.default_rng(0)
    shapes = {"einsum": [(4, 6), (6, 5)], "tensordot": [(4, 6), (6, 5)], "inner": [(4, 6), (5, 6)],
              "conv2d": [(1, 2, 5, 5), (3, 2, 3, 3)], "conv_transpose2d": [(1, 3, 4, 4),
                                                                       (3, 2, 3, 3)],
              "scaled_dot_product_attention": [(1, 2, 4, 8)] * 3}[name]
    values = [rng.integers(-2, 3, size=s).astype(np.float32) for s in shapes]

    def run(lib):
        xs = [lib.tensor(v).to(lib.bfloat16).requires_grad_() for v in values]
        fn = {"einsum": lambda a, b: lib.einsum("ij,jk->ik", a, b),
              "tensordot": lambda a, b: lib.tensordot(a, b, 1),
              "inner": lib.inner,
              "conv2d": lib.nn.functional.conv2d,
              "conv_transpose2d": lib.nn.functional.conv_transpose2d,
              "scaled_dot_product_attention":
                  lib.nn.functional.scaled_dot_product_attention}[name]
        y = fn(*xs)
        y.float().pow(2).sum().backward()
        return y, [x.grad for x in xs]

    ey, eg = run(ember)
    ty, tg = run(torch)
    assert ey.dtype is ember.bfloat16 and all(g.dtype is ember.bfloat16 for g in eg)
    # attention's softmax is not exact in bfloat16: within a few of its ulps (2**-8 relative)
    tol = 4 * 2.0 ** -8 if name == "scaled_dot_product_attention" else 0
    np.testing.assert_allclose(to_numpy(ey), to_numpy(ty), rtol=tol, atol=tol)
    for e, t in zip(eg, tg):
        np.testing.assert_allclose(to_numpy(e), to_numpy(t), rtol=4 * tol, atol=4 * tol)
