"""ember/_kernels.py: the fused float32 loops (Numba) and the NumPy code they stand in for,
both checked against torch.  The ``path`` fixture runs a test once with the kernels (skipped
where Numba is not installed) and once with them off (the NumPy code of the nodes)."""

import numpy as np
import pytest
import torch

import ember
from ember import _kernels
from ember.ops import wide_rows

from conftest import TORCH_LOW_CONV_ROUNDS_ONCE, assert_same, conv2d_exact_and_bounds, conv_gradient

try:
    import numba
except ImportError:
    numba = None

EPS32 = 2.0 ** -23  # float32's rounding unit at 1


@pytest.fixture(params=["kernels", "numpy"])
def path(request, monkeypatch):
    if request.param == "kernels" and numba is None:
        pytest.skip("Numba is not installed: the kernels are off")
    monkeypatch.setattr(_kernels, "ENABLED", request.param == "kernels")
    return request.param


@pytest.fixture
def calls(monkeypatch):
    """Counts the calls of each kernel by name (to show that a node took the kernel path)."""
    counted = {}
    if _kernels.ENABLED:
        _kernels.compile_loops()

    def spy(name, kernel):
        def counting(*args):
            counted[name] = counted.get(name, 0) + 1
            return kernel(*args)
        return counting

    for name in ("gelu", "gelu_grad", "softmax_rows", "log_softmax_rows",
                 "log_softmax_grad_rows", "layer_norm_rows", "layer_norm_grad_rows", "add_rows",
                 "attention_rows", "attention_grad_rows", "relu", "relu_grad", "place_rows",
                 "batch_norm_channels", "batch_norm_grad_channels", "max_pool_2x2",
                 "max_pool_2x2_bfloat16", "im2col_rows",
                 "col2im_rows", "transpose_rows", "relu_bfloat16",
                 "relu_grad_bfloat16", "sgd_momentum_update"):
        monkeypatch.setattr(_kernels, name, spy(name, getattr(_kernels, name)))
    in_halves = _kernels.in_halves  # (the wide-rows loops, by name: ops/wide_rows.py)

    def counting_halves(name, *args):
        counted[name] = counted.get(name, 0) + 1
        return in_halves(name, *args)

    monkeypatch.setattr(_kernels, "in_halves", counting_halves)
    return counted


@pytest.mark.skipif(numba is None, reason="Numba is not installed")
def test_compiled_loops_can_be_cached(monkeypatch):
    """Every loop a small training step compiles (float32 and, under autocast, bfloat16) can be
    kept in Numba's disk cache: a loop that reaches "dynamic globals" (a function passed as an
    argument, for one) is compiled again at every start, with a NumbaWarning to the user."""
    monkeypatch.setattr(_kernels, "ENABLED", True)  # (also where EMBER_KERNELS=0 is set)
    nn = ember.nn
    model = nn.Sequential(nn.Conv2d(1, 4, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 24, 3), nn.ReLU(),
                          nn.Conv2d(24, 24, 3, padding=1),  # (Winograd: ops/winograd.py)
                          nn.Flatten(), nn.Linear(24 * 5 * 5, 10))
    optimizer = ember.optim.Adam(model.parameters())
    x = ember.randn(4, 1, 14, 14)
    y = ember.tensor([1, 2, 3, 4])
    for autocast in (False, True):
        with ember.autocast("cpu", enabled=autocast):
            loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    compiled = [(name, cres) for name, dispatcher in _kernels._COMPILED.items()
                for cres in dispatcher.overloads.values()]
    assert len(compiled) >= 10 and "winograd_input" in _kernels._COMPILED
    for name, cres in compiled:
        assert not cres.library.has_dynamic_globals, name


@pytest.mark.skipif(numba is None, reason="Numba is not installed")
def test_exp_to_float32_rounding():
    """The kernels' own e^v (v <= 0) against float64's exp at four million points of [-87, 0]:
    within 2 rounding units of the float32 result (1.21 measured: the Taylor series' truncation
    is 0.1 unit, its eight float32 steps add the rest); 0 below -87 and at -inf, NaN at NaN."""
    _kernels.compile_loops()
    @numba.njit
    def exp_all(v, out):
        for i in range(v.size):
            out[i] = _kernels._exp(v[i])

    v = np.linspace(-87, 0, 4_000_001).astype(np.float32)
    out = np.empty_like(v)
    exp_all(v, out)
    exact = np.exp(v.astype(np.float64))
    units = np.spacing(exact.astype(np.float32)).astype(np.float64)
    assert (np.abs(out - exact) / units).max() <= 2
    special = np.array([-np.inf, -88.0, np.nan, -0.0], dtype=np.float32)
    exp_all(special, out[:4])
    np.testing.assert_array_equal(out[:4], [0, 0, np.nan, 1])


def _values(rng, n):
    """Standard normal float32 values with the edge cases first (not +inf: torch's vectorised
    GELU gives NaN there, ember x * Phi(x) = inf)."""
    edges = [np.nan, -np.inf, 0.0, -0.0, -30.0, 30.0, -5.0, 5.0, -1e-30]
    return np.concatenate([edges, rng.standard_normal(n) * 3]).astype(np.float32)


def test_gelu_and_its_gradient_as_torch(path, calls):
    """Exact GELU's value, gradient and second derivative against torch in float32, within 3
    rounding units of max(|value|, |x|, 1) for the first two and 6 for the second derivative
    (as tests/test_nn_activations.py: erf, 1 + erf and the product each round once); NaN where
    torch gives NaN (NaN, and -inf times Phi(-inf) = 0)."""
    x = _values(np.random.default_rng(0), 2991).reshape(10, -1)
    results = []
    for lib in (torch, ember):
        t = lib.tensor(x, requires_grad=True)
        y = lib.nn.functional.gelu(t)
        (g,) = lib.autograd.grad(y.sum(), t, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), t)
        results.append([v.detach().numpy().astype(np.float64) for v in (y, g, gg)])
    for units, theirs, ours in zip((3, 3, 6), *results):
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
        finite = ~np.isnan(theirs)
        scale = np.maximum(np.maximum(np.abs(theirs), np.abs(x.astype(np.float64))), 1.0)
        assert np.all(np.abs(ours - theirs)[finite] <= units * EPS32 * scale[finite])
    if path == "kernels":
        assert calls["gelu"] == 1 and calls["gelu_grad"] >= 1


@pytest.mark.parametrize("n", [1, 7, 1000])
def test_softmax_and_log_softmax_rows_as_torch(path, calls, n):
    """softmax and log_softmax along the last dim, values and gradients, against torch at
    float32's default tolerances; rows with -inf entries, a row of -inf (NaN, as torch), a row
    with a NaN and one with +inf."""
    rng = np.random.default_rng(n)
    x = (rng.standard_normal((6, 5, n)) * 4).astype(np.float32)
    x[0, 0, 0] = -np.inf
    x[1, 1, :] = -np.inf
    x[2, 2, n // 2] = np.nan
    x[3, 3, -1] = np.inf
    for name in ("softmax", "log_softmax"):
        (xe, xt) = (ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True))
        ye, yt = (getattr(lib.nn.functional, name)(t, dim=-1) for lib, t in
                  ((ember, xe), (torch, xt)))
        assert_same(ye, yt)
        w = rng.standard_normal(x.shape).astype(np.float32)
        (ye * ember.tensor(w)).sum().backward()
        (yt * torch.tensor(w)).sum().backward()
        assert_same(xe.grad, xt.grad)
    if path == "kernels":
        assert calls["softmax_rows"] == 1 and calls["log_softmax_rows"] == 1
        assert calls["log_softmax_grad_rows"] == 1


def test_softmax_off_the_last_dim_and_in_float64_keep_numpy(path, calls):
    """The kernels take only float32 rows along the last dim: dim 0 and float64 run NumPy."""
    x = np.random.default_rng(1).standard_normal((4, 6))
    for dtype, dim in (("float32", 0), ("float64", -1)):
        xe, xt = ember.tensor(x, dtype=getattr(ember, dtype)), torch.tensor(x).to(
            getattr(torch, dtype))
        assert_same(ember.log_softmax(xe, dim), torch.log_softmax(xt, dim))
        assert_same(ember.softmax(xe, dim), torch.softmax(xt, dim))
    assert calls == {}


@pytest.mark.parametrize("shape", [(4, 7, 33), (2, 3, 5, 8)])
def test_layer_norm_as_torch(path, calls, shape):
    """layer_norm with a weight and a bias over the last one or two dims, away from zero mean
    (values 100 +- 3: the variance is taken about the mean), values and the gradients of x,
    weight and bias against torch.  Tolerance: x itself is rounded to spacing(100) = 7.6e-6,
    2.5e-6 of its spread, which x - mean carries into every result; 8 such units of each
    result's scale (up to ~30 products are summed) over float32's default atol."""
    rng = np.random.default_rng(2)
    x = (rng.standard_normal(shape) * 3 + 100).astype(np.float32)
    dims = shape[-1:] if len(shape) == 3 else shape[-2:]
    w = rng.standard_normal(dims).astype(np.float32)
    b = rng.standard_normal(dims).astype(np.float32)
    g = rng.standard_normal(shape).astype(np.float32)
    out = []
    for lib in (torch, ember):
        t, wt, bt = (lib.tensor(a, requires_grad=True) for a in (x, w, b))
        y = lib.nn.functional.layer_norm(t, dims, wt, bt, eps=1e-5)
        (y * lib.tensor(g)).sum().backward()
        out.append((y, t.grad, wt.grad, bt.grad))
    unit = float(np.spacing(np.float32(100))) / 3
    for ours, theirs in zip(out[1], out[0]):
        scale = float(theirs.detach().abs().max())
        assert_same(ours, theirs, atol=max(1e-5, 8 * unit * scale))
    if path == "kernels":
        assert calls["layer_norm_rows"] == 1 and calls["layer_norm_grad_rows"] == 1


def test_layer_norm_keeps_its_double_backward(path):
    """create_graph: layer norm's backward records ember ops (no kernel), so the second
    derivative is torch's."""
    x = np.random.default_rng(3).standard_normal((3, 6)).astype(np.float32)
    results = []
    for lib in (torch, ember):
        t = lib.tensor(x, requires_grad=True)
        w, b = lib.ones(6, requires_grad=True), lib.zeros(6, requires_grad=True)
        y = lib.nn.functional.layer_norm(t, (6,), w, b)
        (g,) = lib.autograd.grad((y ** 3).sum(), t, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), t)
        results.append(gg)
    assert_same(results[1], results[0], atol=1e-4)


@pytest.mark.parametrize("mask", ["causal", "float", "dead row"])
def test_attention_as_torch(path, calls, mask):
    """scaled_dot_product_attention (4 heads of 8, 16 queries, 12 keys), its value and the
    gradients of q, k and v against torch; a causal mask, an additive float mask, and a boolean
    mask with a query that may look nowhere (ember gives zeros there, as torch's)."""
    rng = np.random.default_rng(4)
    q, k, v = (rng.standard_normal(s).astype(np.float32)
               for s in ((2, 4, 16, 8), (2, 4, 12, 8), (2, 4, 12, 8)))
    g = rng.standard_normal((2, 4, 16, 8)).astype(np.float32)
    keep = rng.random((16, 12)) > 0.3
    keep[5] = False
    out = []
    for lib in (torch, ember):
        qt, kt, vt = (lib.tensor(a, requires_grad=True) for a in (q, k, v))
        kwargs = {"is_causal": True}
        if mask == "float":
            kwargs = {"attn_mask": lib.tensor(np.where(keep, 0.5, -np.inf).astype(np.float32))}
        elif mask == "dead row":
            kwargs = {"attn_mask": lib.tensor(keep)}
        y = lib.nn.functional.scaled_dot_product_attention(qt, kt, vt, **kwargs)
        if mask == "dead row" and lib is torch:
            y = torch.where(torch.isnan(y), torch.zeros_like(y), y)  # torch's math path: NaN
        (y * lib.tensor(g)).sum().backward()
        out.append((y, qt.grad, kt.grad, vt.grad))
    for ours, theirs in zip(out[1], out[0]):
        if mask == "dead row":
            theirs = torch.nan_to_num(theirs)
        assert_same(ours, theirs, atol=2e-5)
    if path == "kernels":
        assert calls["attention_rows"] == 1 and calls["attention_grad_rows"] == 1


@pytest.mark.parametrize("options", [{}, {"padding_idx": 3}, {"scale_grad_by_freq": True}])
def test_embedding_gradient_as_torch(path, calls, options):
    """Embedding's weight gradient (a scatter-add with indices repeated many times) equals
    torch's: the rows are added in the same order, float32's default tolerance."""
    rng = np.random.default_rng(5)
    idx = rng.integers(0, 10, size=(6, 40))
    w = rng.standard_normal((10, 16)).astype(np.float32)
    g = rng.standard_normal((6, 40, 16)).astype(np.float32)
    grads = []
    for lib in (torch, ember):
        wt = lib.tensor(w, requires_grad=True)
        y = lib.nn.functional.embedding(lib.tensor(idx), wt, **options)
        (y * lib.tensor(g)).sum().backward()
        grads.append(wt.grad)
    assert_same(grads[1], grads[0])
    if path == "kernels":
        assert calls["add_rows"] == 1


@pytest.mark.skipif(numba is None, reason="Numba is not installed")
def test_attention_dropout_and_per_batch_masks_same_both_ways(monkeypatch):
    """Attention with dropout (the mask goes into the kernel's backward) and with a mask that
    differs per batch entry (the NumPy code's case): the kernels and the NumPy code, on the
    same random stream, agree to float32's default tolerances."""
    rng = np.random.default_rng(6)
    q, k, v, g = (rng.standard_normal((2, 3, 10, 4)).astype(np.float32) for _ in range(4))
    per_batch = np.where(rng.random((2, 1, 10, 10)) > 0.2, 0.0, -np.inf).astype(np.float32)
    for kwargs in ({"dropout_p": 0.3, "is_causal": True}, {"attn_mask": per_batch}):
        results = []
        for enabled in (True, False):
            monkeypatch.setattr(_kernels, "ENABLED", enabled)
            ember.manual_seed(7)
            qt, kt, vt = (ember.tensor(a, requires_grad=True) for a in (q, k, v))
            if "attn_mask" in kwargs:
                kwargs = {"attn_mask": ember.tensor(per_batch)}
            y = ember.nn.functional.scaled_dot_product_attention(qt, kt, vt, **kwargs)
            (y * ember.tensor(g)).sum().backward()
            results.append((y, qt.grad, kt.grad, vt.grad))
        for ours, numpy_code in zip(*results):
            np.testing.assert_allclose(ours.detach().numpy(), numpy_code.detach().numpy(),
                                       rtol=1.3e-6, atol=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bernoulli_and_dropout_draw_torchs_numbers(path, dtype, monkeypatch):
    """bernoulli_ with a float p and dropout on tensors big enough for the compiled Mersenne
    Twister loop (ember/_kernels.py: bernoulli_fill, with the state handed over and back) give
    torch's exact values, and the generator goes on exactly where torch's does: the next
    uniforms are torch's too.  A size that is not a whole number of the loop's chunks, and a
    transposed tensor (torch fills memory order: NumPy code)."""
    calls = []
    kernel = _kernels.bernoulli_fill
    monkeypatch.setattr(_kernels, "bernoulli_fill", lambda *a: calls.append(1) or kernel(*a))
    results = []
    for lib in (torch, ember):
        lib.manual_seed(11)
        dt = getattr(lib, dtype)
        a = lib.empty(70001, dtype=dt).bernoulli_(0.37)
        b = lib.nn.functional.dropout(lib.ones(300, 250, dtype=dt), p=0.25)
        c = lib.empty(300, 250, dtype=dt).t().bernoulli_(0.5)
        d = lib.rand(5, dtype=dt)
        results.append([t.numpy() for t in (a, b, c, d)])
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_array_equal(ours, theirs)
    assert len(calls) == (2 if path == "kernels" else 0)


def test_attention_dropout_mask_same_as_rand_below(path):
    """Attention's dropout mask in one pass (scaled_uniform_below_: the compiled loop, one word
    per value, for 32768 values or more) equals (rand(shape) < 1 - p) * 1 / (1 - p) drawn from
    the same seed, bit for bit, and leaves the generator where rand leaves it."""
    from ember.nn._functional.attention import _dropout_keep

    like = ember.empty(1, dtype=ember.float32)
    for shape in ((8, 4, 33, 40), (3, 5)):
        ember.manual_seed(3)
        ours = _dropout_keep(shape, 0.15, like)
        after = ember.rand(3)
        ember.manual_seed(3)
        ref = (ember.rand(shape) < 1 - 0.15).to(ember.float32).mul_(1 / (1 - 0.15))
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())
        np.testing.assert_array_equal(after.numpy(), ember.rand(3).numpy())


@pytest.mark.skipif(numba is None, reason="Numba is not installed")
@pytest.mark.parametrize("options", [{}, {"weight_decay": 0.1}, {"maximize": True},
                                     {"decoupled_weight_decay": True, "weight_decay": 0.01}])
def test_adam_loop_rounds_as_the_numpy_passes(monkeypatch, options):
    """Adam's compiled update (ember/_kernels.py: adam_update) gives the NumPy passes' bits
    exactly over five steps (the same float32 operations in the same order), and torch's
    values to float32's default tolerance."""
    _five_steps_three_ways(monkeypatch, "Adam", (33, 17), 8, lr=0.01, **options)


def _five_steps_three_ways(monkeypatch, optimizer, size, seed, **options):
    """Five steps of ``optimizer`` on one parameter with given gradients: by the loops, by the
    NumPy passes (the same bits) and by torch (float32's default tolerance)."""
    rng = np.random.default_rng(seed)
    w0 = rng.standard_normal(size).astype(np.float32)
    grads = [rng.standard_normal(size).astype(np.float32) for _ in range(5)]
    results = []
    for lib, enabled in ((ember, True), (ember, False), (torch, None)):
        if enabled is not None:
            monkeypatch.setattr(_kernels, "ENABLED", enabled)
        w = lib.nn.Parameter(lib.tensor(w0.copy()))
        opt = getattr(lib.optim, optimizer)([w], **options)
        for g in grads:
            w.grad = lib.tensor(g)
            opt.step()
        results.append(w.detach().numpy().copy())
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_allclose(results[0], results[2], rtol=1.3e-6, atol=1e-5)


@pytest.mark.skipif(numba is None, reason="Numba is not installed")
@pytest.mark.parametrize("size", [(33, 17), (600, 500)])  # (the second: two threads)
@pytest.mark.parametrize("options", [{}, {"weight_decay": 0.1}, {"maximize": True},
                                     {"dampening": 0.3}, {"nesterov": True}])
def test_sgd_momentum_loop_rounds_as_the_numpy_passes(monkeypatch, calls, options, size):
    """SGD's compiled momentum update (sgd_momentum_update: buf = buf * momentum + g, then
    param += -lr * buf) gives the NumPy passes' bits exactly over five steps, and torch's
    values to float32's default tolerance; dampening and Nesterov keep the passes."""
    _five_steps_three_ways(monkeypatch, "SGD", size, 9, lr=0.01, momentum=0.9, **options)
    # steps 2-5 by the loop (the first sets the buffer), a big parameter maybe in two halves
    loop = "dampening" not in options and "nesterov" not in options
    expected = ({4} if size == (33, 17) else {4, 8}) if loop else {0}
    assert calls.get("sgd_momentum_update", 0) in expected


@pytest.mark.parametrize("dtype", ["float32", "float64", "bfloat16"])
def test_max_pool_2x2_winners_as_torch(path, calls, dtype):
    """The 2x2 pool's winner in every arrangement of ties and specials: a window's first
    maximum (-0.0 before 0.0 and 0.0 before -0.0 keep their own signs), or else its last NaN;
    values, indices and signs of zero as torch's."""
    specials = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 1.0]
    rng = np.random.default_rng(4)
    # every window of four from the specials (with repeats): 8^4 windows in planes 0 and 1
    codes = np.indices((8, 8, 8, 8)).reshape(2, 2, 2, 32, 64)  # (row, column) in the window
    windows = np.array(specials, dtype=np.float32)[codes]
    x = np.empty((1, 3, 64, 128), dtype=np.float32)
    x[0, :2] = windows.transpose(2, 3, 0, 4, 1).reshape(2, 64, 128)
    # plane 2: specials among ordinary values
    x[0, 2] = np.where(rng.random((64, 128)) < 0.3, rng.choice(specials, (64, 128)),
                       rng.standard_normal((64, 128)))
    out = []
    for lib in (torch, ember):
        t = lib.tensor(x).to(getattr(lib, dtype))
        out.append(lib.nn.functional.max_pool2d(t, 2, return_indices=True)
                   + (lib.nn.functional.max_pool2d(t, 2),))  # (values only: inference's way)
    (ours, our_index, our_values), (theirs, their_index, _) = out[1], out[0]
    np.testing.assert_array_equal(our_index.numpy(), their_index.numpy())
    b = theirs.double().numpy()
    for a in (ours.double().numpy(), our_values.double().numpy()):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(np.signbit(a)[~np.isnan(a)], np.signbit(b)[~np.isnan(b)])
    if path == "kernels":
        # (values only: the float loop again; bfloat16's NumPy passes)
        name = "max_pool_2x2_bfloat16" if dtype == "bfloat16" else "max_pool_2x2"
        assert calls.get(name, 0) == (1 if dtype == "bfloat16" else 2)


@pytest.mark.parametrize("dtype", ["float32", "float64", "bfloat16"])
def test_relu_and_max_pool_gradients_as_torch(path, calls, dtype):
    """relu's gradient (0 where the output is <= 0: +0.0, also for a negative incoming
    gradient; NaN outputs keep theirs) and a 2x2 max pool's (each window's gradient placed at
    its winner) give torch's values exactly, signs of zero included.  bfloat16: relu, its
    gradient, the pool and its gradient's placement run on the bit patterns."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal((4, 3, 8, 8)).astype(np.float32)
    x[0, 0, 0, :3] = [np.nan, 0.0, -0.0]
    x[0, 1, 0, :2] = [-np.nan, -1e-40]  # a NaN with its sign bit set; a negative subnormal
    x[1, 1, 2:4, 2:4] = -np.inf  # a window of -inf: its first sample wins, as torch
    x[1, 2, 4, 4:6] = [np.nan, np.nan]  # two NaNs in a window: the last one wins
    g = rng.standard_normal((4, 3, 4, 4)).astype(np.float32)
    g[0, 0, 0, :2] = [-0.0, np.inf]
    out = []
    for lib in (torch, ember):
        t = lib.tensor(x).to(getattr(lib, dtype)).requires_grad_()
        r = lib.relu(t)
        y = lib.nn.functional.max_pool2d(r, 2)
        y.backward(lib.tensor(g).to(getattr(lib, dtype)))
        out.append((r, y, t.grad))
    for ours, theirs in zip(out[1], out[0]):
        assert ours.dtype == getattr(ember, dtype)
        a, b = ours.detach().double().numpy(), theirs.detach().double().numpy()
        np.testing.assert_array_equal(a, b)
        # (torch's float32 -> bfloat16 cast drops a NaN's sign, ember's keeps it: the signs
        # of NaNs are compared in float32 and float64 only)
        signed = ~np.isnan(a) if dtype == "bfloat16" else slice(None)
        np.testing.assert_array_equal(np.signbit(a)[signed], np.signbit(b)[signed])
    if path == "kernels":
        float_loops = dtype != "bfloat16"
        assert calls.get("relu", 0) == calls.get("relu_grad", 0) == float_loops
        assert calls["place_rows"] == 1
        assert calls.get("max_pool_2x2", 0) == float_loops
        assert (calls.get("relu_bfloat16", 0) == calls.get("relu_grad_bfloat16", 0)
                == calls.get("max_pool_2x2_bfloat16", 0) == (not float_loops))


def test_autocast_relu_and_pool_gradient_take_bfloat16_as_it_is(path, calls):
    """Under autocast a convolution's bfloat16 output goes through relu, a 2x2 max pool and
    back with the loops on its bit patterns (no float32 copies): values and the weight's
    gradient bit-equal to torch's."""
    rng = np.random.default_rng(21)
    img = rng.standard_normal((3, 2, 8, 8)).astype(np.float32)
    k = rng.standard_normal((4, 2, 3, 3)).astype(np.float32)
    got, c_grads = [], []
    for lib in (torch, ember):
        weight = lib.tensor(k, requires_grad=True)
        with lib.autocast("cpu"):
            c = lib.nn.functional.conv2d(lib.tensor(img), weight, padding=1)
            if lib is torch:
                c.register_hook(c_grads.append)
            r = lib.relu(c)
            p = lib.nn.functional.max_pool2d(r, 2)
        (p.float() * lib.arange(p.numel()).reshape(p.shape)).sum().backward()
        got.append([r, p, weight.grad])
    if not TORCH_LOW_CONV_ROUNDS_ONCE["bfloat16"]:
        # torch's weight gradient rounds partial sums on this CPU (see conftest): the weight's
        # gradient within half a unit of the exact sums of the same bfloat16 values
        exact = torch.nn.grad.conv2d_weight(torch.tensor(img).bfloat16().double(), k.shape,
                                            c_grads[0].double(), padding=1)
        np.testing.assert_allclose(got[1].pop().numpy(), exact.numpy(), rtol=2**-8, atol=0)
        got[0].pop()
    for theirs, ours in zip(*got):
        assert str(ours.dtype) == str(theirs.dtype).replace("torch", "ember")
        np.testing.assert_array_equal(ours.detach().float().numpy(),
                                      theirs.detach().float().numpy())
    if path == "kernels":
        assert calls["relu_bfloat16"] == 1 and calls["relu_grad_bfloat16"] == 1
        assert calls["place_rows"] == 1 and calls["max_pool_2x2_bfloat16"] == 1


@pytest.mark.parametrize("kwargs", [{"kernel_size": 2}, {"kernel_size": 2, "ceil_mode": True},
                                    {"kernel_size": 2, "padding": 1},
                                    {"kernel_size": 2, "dilation": 2}, {"kernel_size": 3}])
def test_max_pool_values_and_indices_as_torch(path, calls, kwargs):
    """max_pool2d's values and indices equal torch's for 2x2 windows (the loop, odd sizes
    too: the last row and column are left out) and for the cases it does not take (ceil
    mode over an odd size, padding, dilation, 3x3: the NumPy code), with NaNs and -inf."""
    x = np.random.default_rng(13).standard_normal((2, 3, 9, 7)).astype(np.float32)
    x[0, 0, 0, 0], x[0, 1, 2:4, 2:4], x[1, 2, 4, 4:6] = np.nan, -np.inf, np.nan
    (ye, ie), (yt, it) = (lib.nn.functional.max_pool2d(lib.tensor(x), return_indices=True,
                                                       **kwargs) for lib in (ember, torch))
    np.testing.assert_array_equal(ye.numpy(), yt.numpy())
    np.testing.assert_array_equal(ie.numpy(), it.numpy())
    takes = kwargs == {"kernel_size": 2}
    assert calls.get("max_pool_2x2", 0) == (1 if path == "kernels" and takes else 0)


@pytest.mark.parametrize("shape", [(6, 5, 7, 9), (8, 4, 11), (16, 3), (32, 8, 32, 32)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_as_torch(path, calls, shape, affine):
    """Training batch norm over every dim but the channels (4-D, 3-D and 2-D inputs, with and
    without weight and bias): output, running statistics and the gradients of x, weight and
    bias against torch, float32's default tolerances (values away from zero mean: 3 +- 2)."""
    rng = np.random.default_rng(10)
    x = (rng.standard_normal(shape) * 2 + 3).astype(np.float32)
    g = rng.standard_normal(shape).astype(np.float32)
    out = []
    for lib in (torch, ember):
        bn = lib.nn.BatchNorm1d(shape[1], affine=affine) if len(shape) < 4 else \
            lib.nn.BatchNorm2d(shape[1], affine=affine)
        if affine:
            with lib.no_grad():
                bn.weight.copy_(lib.tensor(np.linspace(0.5, 2, shape[1], dtype=np.float32)))
                bn.bias.copy_(lib.tensor(np.linspace(-1, 1, shape[1], dtype=np.float32)))
        t = lib.tensor(x, requires_grad=True)
        y = bn(t)
        (y * lib.tensor(g)).sum().backward()
        grads = [t.grad] + ([bn.weight.grad, bn.bias.grad] if affine else [])
        out.append([y, bn.running_mean, bn.running_var] + grads)
    # weight and bias gradients are sums over a channel's count values, each term (about 1 to
    # 10) rounded to float32 first: a random walk of sqrt(count) * 10 rounding units
    count = int(np.prod(shape)) // shape[1]
    sums = max(2e-5, 10 * np.sqrt(count) * EPS32)
    for i, (ours, theirs) in enumerate(zip(out[1], out[0])):
        assert_same(ours, theirs, atol=sums if i >= 4 else 2e-5)
    if path == "kernels":
        assert calls["batch_norm_channels"] >= 1 and calls["batch_norm_grad_channels"] >= 1


def test_bfloat16_rounding_as_torch(path):
    """float32 -> bfloat16 and back (the loops, or NumPy's integer passes): torch's bits for every
    float32 pattern class (ties to even both ways, the carry into the exponent, the largest
    floats to inf, subnormals, NaNs of both signs and payloads, infinities)."""
    rng = np.random.default_rng(12)
    patterns = np.concatenate([
        rng.integers(0, 2 ** 32, 100000, dtype=np.uint64).astype(np.uint32),
        np.array([0x3F808000, 0x3F818000, 0x3F80FFFF, 0x7F7FFFFF, 0xFF7FFFFF, 0x00000001,
                  0x80008000, 0x7FC00001, 0xFFC00000, 0x7F800001, 0x7F800000, 0xFF800000,
                  0x3FFFFFFF], dtype=np.uint32)])
    x = patterns.view(np.float32)
    ours = ember.tensor(x).to(ember.bfloat16)._data.view(np.uint16)
    theirs = torch.tensor(x).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    nan = np.isnan(x)
    np.testing.assert_array_equal(ours[~nan], theirs[~nan])
    assert np.all(np.isnan(ember.tensor(x[nan]).to(ember.bfloat16).float().numpy()))
    # and back to float32 (widening: the same values, also in a non-contiguous view)
    ours = ember.tensor(x[~nan]).to(ember.bfloat16)
    theirs = torch.tensor(x[~nan]).to(torch.bfloat16)
    np.testing.assert_array_equal(ours.float().numpy(), theirs.float().numpy())
    np.testing.assert_array_equal(ours[::3].float().numpy(), theirs[::3].float().numpy())
    # float32 arrays of bfloat16 values (autocast's relu, max pooling) back by truncation
    from ember import _bfloat16

    back = _bfloat16.truncate_to_bfloat16(ours.float().numpy())
    np.testing.assert_array_equal(back.view(np.uint16), ours._data.view(np.uint16))
    # autocast's casts: rounded into float32 (a new array, or in place), seen as bfloat16
    expected = torch.tensor(x).to(torch.bfloat16).float().numpy().view(np.uint32)
    for in_place in (False, True):
        a = x.copy().reshape(-1, 103)  # (2-D: the view keeps the shape)
        wide = _bfloat16.round_in_float32(a, out=a if in_place else None)
        assert (wide is a) == in_place
        got = wide.reshape(-1).view(np.uint32)
        np.testing.assert_array_equal(got[~nan], expected[~nan])
        assert np.all(np.isnan(wide.reshape(-1)[nan]))
        low = _bfloat16.bfloat16_view(wide)
        assert low.shape == a.shape and np.shares_memory(low, wide)
        np.testing.assert_array_equal(low.view(np.uint16).reshape(-1),
                                      (got >> 16).astype(np.uint16))


def test_kernel_draws_and_numpy_draws_from_two_threads_use_each_word_once(path):
    """Two threads drawing from one generator, one through the compiled loop (big bernoulli_
    fills) and one through NumPy (rand): the loop holds the engine's lock from reading its
    state to writing it back, so no word is drawn twice: the generator ends where the same
    draws made one after the other leave it."""
    import threading

    def fills():
        for _ in range(30):
            ember.empty(40000).bernoulli_(0.5)

    def uniforms():
        for _ in range(30):
            ember.rand(40000)

    ember.manual_seed(5)
    fills()
    uniforms()
    expected = ember.get_rng_state()
    ember.manual_seed(5)
    threads = [threading.Thread(target=fills), threading.Thread(target=uniforms)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert bool((ember.get_rng_state() == expected).all())


def _wide_loops(w_shape):
    """The wide-rows loops (forward, input gradient, weight gradient) of a convolution with
    this weight's shape: without columns or BLAS for few taps (ops/wide_rows.py)."""
    if int(np.prod(w_shape[1:])) <= wide_rows.FEW_TAPS:
        return "conv_few_taps", "conv_wide_input_grad", "conv_few_taps_weight_grad"
    return "conv_wide", "conv_wide_input_grad", "conv_wide_weight_grad"


@pytest.mark.parametrize("case", [((8, 1, 28, 28), (6, 1, 5, 5), {"padding": 2}, True),
                                  ((4, 3, 9, 11), (5, 3, 3, 3), {"padding": 1}, True),
                                  ((4, 2, 9, 9), (4, 2, 3, 3), {}, True),
                                  ((4, 1, 12, 12), (6, 1, 5, 5), {"stride": 2}, False),
                                  ((2, 8, 9, 9), (40, 8, 3, 3), {}, False)])
def test_conv2d_weight_gradient_as_torch(path, calls, case):
    """conv2d and its three gradients (input, weight, bias) against torch: by the wide-rows
    loops (ops/wide_rows.py) for stride 1 and few output channels (LeNet's first convolution,
    a 3x3 on 3 channels, no padding), by im2col and a product otherwise (its columns copied row
    by row for stride 1).  ember's and torch's values both within a float sum's error bound of
    the exact ones (conftest's conv2d_exact_and_bounds: a weight's gradient sums N * Ho * Wo
    products, and the order of the sums differs between the two libraries and between CPUs)."""
    x_shape, w_shape, kwargs, wide = case
    rng = np.random.default_rng(14)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    b = np.zeros(w_shape[0], dtype=np.float32)
    out = []
    for lib in (torch, ember):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        bt = lib.tensor(b, requires_grad=True)
        y = lib.nn.functional.conv2d(xt, wt, bt, **kwargs)
        y.backward(lib.tensor(conv_gradient(tuple(y.shape), np.float32)))
        out.append((y, xt.grad, wt.grad, bt.grad))
    exact, bounds = conv2d_exact_and_bounds(x, w, b, kwargs, EPS32)
    for ours, theirs, e, bound in zip(out[1], out[0], exact, bounds):
        assert ours.dtype is ember.float32 and tuple(ours.shape) == tuple(theirs.shape)
        assert np.all(np.abs(ours.detach().numpy() - e) <= bound)
        assert np.all(np.abs(theirs.detach().numpy() - e) <= bound)  # (torch meets it too)
    wide = wide and path == "kernels" and _kernels._SCIPY
    for name in _wide_loops(w_shape):
        assert bool(calls.get(name, 0)) == wide, name
    # the others' columns: row copies for stride 1 (_kernels.im2col_rows), NumPy's otherwise
    rows = path == "kernels" and not wide and "stride" not in kwargs
    assert bool(calls.get("im2col_rows", 0)) == rows


def test_conv2d_loop_keeps_infinities_and_nans_where_torch_has_them(path, calls):
    """The wide-rows forward drops what its extra columns compute: an inf or NaN in the input
    reaches exactly the outputs whose windows hold it, as in torch.  The weight's gradient,
    which would multiply the extra columns' values by 0, goes by im2col for such an input."""
    rng = np.random.default_rng(15)
    x = rng.standard_normal((3, 1, 12, 12)).astype(np.float32)
    x[0, 0, 0, 11], x[1, 0, 6, 0], x[2, 0, 5, 5] = np.inf, np.nan, -np.inf
    w = np.abs(rng.standard_normal((4, 1, 3, 3))).astype(np.float32)
    results = []
    for lib in (torch, ember):
        wt = lib.tensor(w, requires_grad=True)
        y = lib.nn.functional.conv2d(lib.tensor(x), wt, padding=1)
        y.backward(lib.ones_like(y))
        results.append((y.detach().numpy(), wt.grad.numpy()))
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
        np.testing.assert_array_equal(np.isinf(ours), np.isinf(theirs))
        finite = np.isfinite(theirs)
        np.testing.assert_allclose(ours[finite], theirs[finite], rtol=1e-5, atol=1e-5)
    wide = path == "kernels" and _kernels._SCIPY
    forward, _, weight_grad = _wide_loops(w.shape)
    assert bool(calls.get(forward, 0)) == wide
    assert calls.get(weight_grad, 0) == 0


@pytest.mark.skipif(numba is None, reason="Numba is not installed")
@pytest.mark.parametrize("padding,stride", [(0, 1), (1, 1), (1, 2), (1, (2, 3)), (0, (1, 2))])
def test_im2col_and_col2im_rows_give_numpys_bits(monkeypatch, calls, padding, stride):
    """A convolution with many output channels (a ResNet block's: im2col and col2im, not the
    wide-rows products) gives the same bits with the row loops as with NumPy's copies and adds
    (each input gradient's sum in the same order of kernel offsets, any stride; the weight's
    gradient transposed by tiles), and torch's values within float32's rounding of sums of
    40 * 9 products.  im2col's row loop is for stride 1 only."""
    rng = np.random.default_rng(16)
    x = rng.standard_normal((3, 8, 7, 9)).astype(np.float32)
    w = rng.standard_normal((40, 8, 3, 3)).astype(np.float32)
    y_shape = tuple(ember.nn.functional.conv2d(ember.tensor(x), ember.tensor(w), padding=padding,
                                               stride=stride).shape)
    g = rng.standard_normal(y_shape).astype(np.float32)
    results = []
    for enabled in (True, False):
        monkeypatch.setattr(_kernels, "ENABLED", enabled)
        xt, wt = ember.tensor(x, requires_grad=True), ember.tensor(w, requires_grad=True)
        y = ember.nn.functional.conv2d(xt, wt, padding=padding, stride=stride)
        y.backward(ember.tensor(g))
        results.append([y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy()])
    for loops, numpy_code in zip(*results):
        np.testing.assert_array_equal(loops, numpy_code)
    assert bool(calls.get("im2col_rows", 0)) == (stride == 1)
    assert calls["col2im_rows"] == 1
    assert calls["transpose_rows"] == 1  # the weight's gradient, laid out as the weight
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.conv2d(xt, torch.tensor(w), padding=padding,
                               stride=stride).backward(torch.tensor(g))
    np.testing.assert_allclose(results[0][1], xt.grad.numpy(), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("weight_value", [0.5, np.inf])
def test_conv_transpose2d_as_torch(path, calls, weight_value):
    """A user's conv_transpose2d with stride 1 and padding (the same op as a convolution's
    input gradient: wide rows, ops/wide_rows.py) and its gradients against torch; a weight
    holding inf keeps col2im (the wide rows' extra columns would be 0 * inf) and gives torch's
    infs and NaNs."""
    rng = np.random.default_rng(15)
    x = rng.standard_normal((3, 4, 6, 7)).astype(np.float32)
    w = rng.standard_normal((4, 5, 3, 3)).astype(np.float32)
    w[0, 0, 1, 1] = weight_value
    out = []
    for lib in (torch, ember):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        y = lib.nn.functional.conv_transpose2d(xt, wt, padding=1)
        y.sum().backward()
        out.append((y, xt.grad, wt.grad))
    for ours, theirs in zip(out[1], out[0]):
        assert_same(ours, theirs, atol=1e-4)
    expected = path == "kernels" and _kernels._SCIPY and np.isfinite(weight_value)
    assert bool(calls.get("conv_wide_input_grad", 0)) == expected

