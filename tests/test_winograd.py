"""ember/ops/winograd.py: 3x3 stride-1 convolutions of float32 by Winograd's F(2x2, 3x3) (its
transforms are Numba loops: these tests skip without Numba) against torch, for the forward and
both gradients and for the transposed convolution; where it is used and where not; and inf and
NaN, for which the convolution is computed by im2col again.

Tolerance, derived as for any float computation: each result is a sum over paths of products,
and its rounding error is at most (the roundings along the longest path) * u * (the same
computation done with the absolute values of every matrix and every input), to first order
(u = 2^-24, float32's unit roundoff).  ``_magnitudes`` computes that absolute-value Winograd in
float64; the roundings are counted in ``_forward_roundings`` and ``_weight_roundings``.  The
exact values are torch's float64 convolution.  A wrong transform, tile or edge is off by the
size of the values, ~1e4-1e5 times the bound."""

import numpy as np
import pytest
import torch

import ember
from ember import _kernels
from ember.ops import winograd

try:
    import numba
except ImportError:
    numba = None

pytestmark = pytest.mark.skipif(numba is None, reason="Numba is not installed: no Winograd")

U = 2.0 ** -24  # float32's unit roundoff
F = torch.nn.functional


@pytest.fixture
def ran(monkeypatch):
    """Counts the Winograd transforms run and the results kept (not None) by name."""
    monkeypatch.setattr(_kernels, "ENABLED", True)
    _kernels.compile_loops()
    counted = {}

    def spy(module, name):
        real = getattr(module, name)

        def counting(*args, **kwargs):
            result = real(*args, **kwargs)
            counted[name] = counted.get(name, 0) + 1
            if name in ("conv", "weight_grad") and result is not None:
                counted[name + " kept"] = counted.get(name + " kept", 0) + 1
            return result
        monkeypatch.setattr(module, name, counting)

    for name in ("winograd_input", "winograd_output", "winograd_grad_output"):
        spy(_kernels, name)
    spy(winograd, "conv")
    spy(winograd, "weight_grad")
    return counted


def _within(ours, exact, bound):
    """|ours - exact| <= bound elementwise (exact: torch's float64 result)."""
    ours = ours.detach().numpy().astype(np.float64)
    exact = exact.detach().numpy()
    assert ours.shape == exact.shape == bound.shape
    error = np.abs(ours - exact)
    assert (error <= bound).all(), f"largest error / bound: {np.max(error / (bound + 1e-300))}"


def _exact(x, w, g, padding, transposed):
    """The output and the gradients of input and weight in float64, by torch."""
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    y = (F.conv_transpose2d if transposed else F.conv2d)(xt, wt, padding=padding)
    y.backward(torch.tensor(g, dtype=torch.float64))
    return y, xt.grad, wt.grad


BT = np.abs(np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], dtype=float))
G = np.abs(np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], dtype=float))
AT = np.abs(np.array([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=float))


def _tiles(x, pad, tiles_h, tiles_w, size, step):
    """The (size x size) tiles of x (N, C, H, W) zero-padded by ``pad`` before, every ``step``:
    (N, C, tiles_h, tiles_w, size, size)."""
    padded = np.zeros(x.shape[:2] + (step * tiles_h + size - step, step * tiles_w + size - step))
    h, w = min(x.shape[2], padded.shape[2] - pad), min(x.shape[3], padded.shape[3] - pad)
    padded[:, :, pad:pad + h, pad:pad + w] = x[:, :, :h, :w]
    windows = np.lib.stride_tricks.sliding_window_view(padded, (size, size), axis=(2, 3))
    return windows[:, :, ::step, ::step]


def _magnitudes(x, w, pad, out_size):
    """F(2x2, 3x3) of x (N, C, H, W) and w (K, C, 3, 3) with every matrix and value replaced by
    its absolute value (float64): the sum of the magnitudes of the products along every path,
    for each output (N, K, *out_size)."""
    tiles_h, tiles_w = (out_size[0] + 1) // 2, (out_size[1] + 1) // 2
    v = np.einsum("ai,nctuij,bj->nctuab", BT, _tiles(np.abs(x), pad, tiles_h, tiles_w, 4, 2), BT)
    u = np.einsum("ai,kcij,bj->kcab", G, np.abs(w), G)
    y = np.einsum("ia,nktuab,jb->nktiuj", AT, np.einsum("kcab,nctuab->nktuab", u, v), AT)
    y = y.reshape(y.shape[:2] + (2 * tiles_h, 2 * tiles_w))
    return y[:, :, :out_size[0], :out_size[1]]


def _weight_magnitudes(x, g, pad):
    """The same for the weight's gradient: the output's gradient g (N, K, Ho, Wo) in 2 x 2 tiles
    through |A|, times the input's transform, summed over images and tiles, through |G|."""
    tiles_h, tiles_w = (g.shape[2] + 1) // 2, (g.shape[3] + 1) // 2
    v = np.einsum("ai,nctuij,bj->nctuab", BT, _tiles(np.abs(x), pad, tiles_h, tiles_w, 4, 2), BT)
    dm = np.einsum("ia,nktuij,jb->nktuab", AT, _tiles(np.abs(g), 0, tiles_h, tiles_w, 2, 2), AT)
    return np.einsum("ai,kcab,bj->kcij", G, np.einsum("nktuab,nctuab->kcab", dm, v), G)


def _forward_roundings(channels):
    """Along a path of the forward: the filter transform (one 9-term product sum: 8), the input
    transform (2 levels of adds), the element product (1), the sum over ``channels`` (channels
    - 1) and the output transform (2 levels of 3-term sums: 4)."""
    return 8 + 2 + 1 + (channels - 1) + 4


def _weight_roundings(tiles):
    """Along a path of the weight's gradient: the gradient's transform (2), the input's (2), the
    element product (1), the sum over ``tiles`` (tiles - 1) and G^T dU G (one 16-term sum:
    15)."""
    return 2 + 2 + 1 + (tiles - 1) + 15


def _bounds(x, w, g, padding):
    """The bounds for the output, the input's gradient and the weight's gradient of a 3x3
    stride-1 convolution of x (N, C, H, W) by w (K, C, 3, 3) padded by ``padding``."""
    out_size, in_size = g.shape[2:], x.shape[2:]
    flipped = w.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1]
    tiles = g.shape[0] * ((g.shape[2] + 1) // 2) * ((g.shape[3] + 1) // 2)
    return (_forward_roundings(x.shape[1]) * U * _magnitudes(x, w, padding, out_size),
            _forward_roundings(w.shape[0]) * U * _magnitudes(g, flipped, 2 - padding, in_size),
            _weight_roundings(tiles) * U * _weight_magnitudes(x, g, padding))


# (input shape, out channels, padding): odd sizes cut the last tile's row and column; a 1x1
# input with padding 1 is one tile reading only padding around its value
CONVS = [((2, 24, 8, 8), 24, 1), ((3, 24, 7, 9), 32, 0), ((1, 28, 5, 6), 24, 2),
         ((2, 24, 1, 1), 24, 1), ((2, 32, 2, 3), 25, 1), ((2, 24, 11, 4), 24, 1)]


@pytest.mark.parametrize("x_shape,out_channels,padding", CONVS)
def test_conv2d_and_its_gradients_as_torch(ran, x_shape, out_channels, padding):
    rng = np.random.default_rng(20)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal((out_channels, x_shape[1], 3, 3)).astype(np.float32)
    xe, we = ember.tensor(x, requires_grad=True), ember.tensor(w, requires_grad=True)
    y = ember.nn.functional.conv2d(xe, we, padding=padding)
    g = rng.standard_normal(tuple(y.shape)).astype(np.float32)
    y.backward(ember.tensor(g))
    for ours, exact, bound in zip((y, xe.grad, we.grad), _exact(x, w, g, padding, False),
                                  _bounds(x, w, g, padding)):
        _within(ours, exact, bound)
    # the forward and the input's gradient by Winograd, the weight's gradient too
    assert ran["conv kept"] == 2 and ran["weight_grad kept"] == 1
    assert ran["winograd_input"] == 3 and ran["winograd_grad_output"] == 1


@pytest.mark.parametrize("padding", [0, 1, 2])
def test_conv_transpose2d_as_torch(ran, padding):
    """A user's stride-1 3x3 transposed convolution is the input gradient's convolution:
    Winograd for it and for its own gradients."""
    rng = np.random.default_rng(21)
    x = rng.standard_normal((2, 32, 6, 7)).astype(np.float32)
    w = rng.standard_normal((32, 24, 3, 3)).astype(np.float32)  # (in, out, 3, 3)
    xe, we = ember.tensor(x, requires_grad=True), ember.tensor(w, requires_grad=True)
    y = ember.nn.functional.conv_transpose2d(xe, we, padding=padding)
    g = rng.standard_normal(tuple(y.shape)).astype(np.float32)
    y.backward(ember.tensor(g))
    # the transposed convolution of x by w is the input's gradient of the convolution of
    # (output-shaped) y by w: the bounds of that convolution, with x and y's roles swapped
    conv_out, conv_in_grad, conv_w_grad = _bounds(g, w, x, padding)
    for ours, exact, bound in zip((y, xe.grad, we.grad), _exact(x, w, g, padding, True),
                                  (conv_in_grad, conv_out, conv_w_grad)):
        _within(ours, exact, bound)
    assert ran["conv kept"] == 2 and ran["weight_grad kept"] == 1


@pytest.mark.parametrize("where", ["input", "weight", "gradient"])
def test_inf_and_nan_give_torchs_values_by_im2col(ran, where):
    """A transform mixes a whole tile (inf - inf = NaN where torch has inf or a number): a
    result holding inf or NaN is computed again by im2col, which gives torch's.
    (An inf weight is tested without padding: im2col multiplies it by the padding's zeros,
    NaN, where torch's convolution skips the padding for some shapes; Winograd or not.)"""
    rng = np.random.default_rng(22)
    x = rng.standard_normal((2, 24, 6, 6)).astype(np.float32)
    w = rng.standard_normal((24, 24, 3, 3)).astype(np.float32)
    g = rng.standard_normal((2, 24, 6, 6)).astype(np.float32)
    if where == "input":
        x[0, 3, 2, 2], x[1, 5, 0, 5] = np.inf, np.nan
    elif where == "weight":
        w[2, 7, 0, 0] = -np.inf
    else:
        g[1, 4, 3, 3] = np.inf
    padding = 0 if where == "weight" else 1
    g = g[:, :, 1:-1, 1:-1].copy() if where == "weight" else g
    out = []
    for lib in (torch, ember):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        y = lib.nn.functional.conv2d(xt, wt, padding=padding)
        y.backward(lib.tensor(g))
        out.append([a.detach().numpy() for a in (y, xt.grad, wt.grad)])
    for ours, theirs in zip(out[1], out[0]):
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
        np.testing.assert_array_equal(np.isposinf(ours), np.isposinf(theirs))
        np.testing.assert_array_equal(np.isneginf(ours), np.isneginf(theirs))
        finite = np.isfinite(theirs)
        np.testing.assert_allclose(ours[finite], theirs[finite], rtol=1e-4, atol=1e-4)
    assert ran["conv"] == 2 and ran["weight_grad"] == 1  # tried, and
    assert ran.get("conv kept", 0) + ran.get("weight_grad kept", 0) < 3  # not all kept


@pytest.mark.parametrize("case", [
    dict(x=(2, 16, 6, 6), w=(24, 16, 3, 3), padding=1),  # too few input channels
    dict(x=(2, 24, 6, 6), w=(16, 24, 3, 3), padding=1),  # too few output channels
    dict(x=(2, 24, 6, 6), w=(24, 24, 3, 3), padding=1, dtype="float64"),
    dict(x=(2, 24, 7, 7), w=(24, 24, 3, 3), padding=1, stride=2),
    dict(x=(2, 24, 7, 7), w=(24, 24, 3, 3), padding=2, dilation=2),
    dict(x=(2, 24, 7, 7), w=(24, 12, 3, 3), padding=1, groups=2),
    dict(x=(2, 24, 7, 7), w=(24, 24, 5, 5), padding=2),
    dict(x=(2, 24, 7, 7), w=(24, 24, 3, 3), padding=3),
    dict(x=(2, 24, 7), w=(24, 24, 3), padding=1),  # 1-D
])
def test_where_winograd_is_not_used(ran, case):
    """Only float32 3x3 stride-1 convolutions without dilation or groups, padding at most 2,
    with at least winograd.MIN_CHANNELS channels in and out; the others as before."""
    case = dict(case)
    dtype = case.pop("dtype", "float32")
    rng = np.random.default_rng(23)
    x = rng.standard_normal(case.pop("x")).astype(dtype)
    w = rng.standard_normal(case.pop("w")).astype(dtype)
    out = []
    for lib in (torch, ember):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        conv = getattr(lib.nn.functional, f"conv{x.ndim - 2}d")
        conv(xt, wt, **case).sum().backward()
        out.append((xt.grad, wt.grad))
    assert not ran
    for ours, theirs in zip(out[1], out[0]):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-4, atol=1e-4)


def test_off_without_the_kernels(ran, monkeypatch):
    """With the loops off (no Numba, or EMBER_KERNELS=0) the NumPy code convolves."""
    monkeypatch.setattr(_kernels, "ENABLED", False)
    x = ember.ones(2, 24, 5, 5, requires_grad=True)
    ember.nn.functional.conv2d(x, ember.ones(24, 24, 3, 3), padding=1).sum().backward()
    assert not ran
    assert float(x.grad[0, 0, 2, 2]) == 24 * 9


def test_a_sums_broadcast_gradient_goes_by_winograd_too(ran):
    """``conv(x).sum().backward()`` hands the convolution a broadcast gradient (not
    contiguous): it is copied into a contiguous one for the gradients' transforms."""
    rng = np.random.default_rng(26)
    x = rng.standard_normal((2, 24, 6, 5)).astype(np.float32)
    w = rng.standard_normal((24, 24, 3, 3)).astype(np.float32)
    xe, we = ember.tensor(x, requires_grad=True), ember.tensor(w, requires_grad=True)
    ember.nn.functional.conv2d(xe, we, padding=1).sum().backward()
    assert ran["conv kept"] == 2 and ran["weight_grad kept"] == 1
    g = np.ones((2, 24, 6, 5), dtype=np.float32)
    _, x_bound, w_bound = _bounds(x, w, g, 1)
    _, exact_x, exact_w = _exact(x, w, g, 1, False)
    _within(xe.grad, exact_x, x_bound)
    _within(we.grad, exact_w, w_bound)


def test_a_resnet_block_trains_as_torch():
    """Two steps of a ResNet basic block (two 3x3 convolutions of 32 channels, batch norm,
    relu, a skip) by SGD with momentum: the parameters follow torch's.
    Tolerance: the gradients agree to float32's rounding of sums of 288-256 products (~1e-6
    relative, batch norm's normalisation included); two steps of lr 0.1 move a parameter by
    at most ~0.3 times its gradient, so 1e-5 (absolute) and 1e-4 (relative) are > 10x that."""
    torch.manual_seed(0)
    layers = []
    for lib in (torch, ember):
        nn = lib.nn
        layers.append(nn.Sequential(nn.Conv2d(32, 32, 3, padding=1, bias=False),
                                    nn.BatchNorm2d(32), nn.ReLU(),
                                    nn.Conv2d(32, 32, 3, padding=1, bias=False),
                                    nn.BatchNorm2d(32)))
    layers[1].load_state_dict({k: ember.tensor(v.numpy()) for k, v in
                               layers[0].state_dict().items()})
    rng = np.random.default_rng(24)
    x = rng.standard_normal((4, 32, 8, 8)).astype(np.float32)
    for lib, block in zip((torch, ember), layers):
        opt = lib.optim.SGD(block.parameters(), lr=0.1, momentum=0.9)
        for _ in range(2):
            opt.zero_grad()
            xt = lib.tensor(x)
            (lib.relu(block(xt) + xt) ** 2).mean().backward()
            opt.step()
    for (name, ours), theirs in zip(layers[1].named_parameters(), layers[0].parameters()):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(),
                                   rtol=1e-4, atol=1e-5, err_msg=name)


def test_double_backward_as_accurate_as_the_direct_sums(ran, monkeypatch):
    """A gradient penalty (the gradients' own gradients: the three ops' backwards are the three
    ops again, all by Winograd here) against torch in float64: Winograd's largest error is
    within 4x that of the same float32 computation by im2col (a chain of such sums has no
    simple bound of its own; both are float32 roundings of the same products)."""
    rng = np.random.default_rng(25)
    x = rng.standard_normal((2, 24, 6, 5)).astype(np.float32)
    w = rng.standard_normal((24, 24, 3, 3)).astype(np.float32)

    def second_order(lib, dtype):
        xt = lib.tensor(x, dtype=dtype, requires_grad=True)
        wt = lib.tensor(w, dtype=dtype, requires_grad=True)
        y = lib.nn.functional.conv2d(xt, wt, padding=1)
        gx, gw = lib.autograd.grad((y * y).sum(), (xt, wt), create_graph=True)
        return [g.detach().numpy().astype(np.float64)
                for g in lib.autograd.grad((gx * gx).sum() + (gw * gw).sum(), (xt, wt))]

    exact = second_order(torch, torch.float64)
    by_winograd = second_order(ember, ember.float32)
    assert ran["conv kept"] >= 4 and ran["weight_grad kept"] >= 2
    monkeypatch.setattr(winograd, "MIN_CHANNELS", 10 ** 9)  # im2col
    direct = second_order(ember, ember.float32)
    for ours, theirs, reference in zip(by_winograd, direct, exact):
        assert np.abs(ours - reference).max() <= 4 * np.abs(theirs - reference).max()
