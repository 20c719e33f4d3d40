"""bfloat16 products on MKL (ember/_mkl.py, the optional extra ember[mkl]) against float64
products of the same bfloat16 values and against torch, in every layout MKL takes; the cases it
declines; the ops that use it (mm, matmul, linear and their gradients, plain and under autocast)
with MKL on and off.

Tolerances: MKL adds the k products in float32 in its own order, so its result may differ from
the exact sum by k float32 roundings of the partial sums: |error| <= k * 2^-24 * sum |a||b|
(the bound of a float32 dot product).  Rounded once to bfloat16, two different float32 sums
land on the same value unless the exact sum lies near a rounding boundary: they differ by at
most one unit of bfloat16's last place (2^-8 relative)."""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import ember
from ember import _bfloat16, _mkl

pytestmark = pytest.mark.skipif(not _mkl.available(),
                                reason="MKL's bfloat16 products are not available here")

BF16_ULP = 2.0**-8  # bfloat16's relative spacing (7 fraction bits + 1)


def _bf16(rng, shape):
    return _bfloat16.round_to_bfloat16(rng.normal(size=shape).astype(np.float32))


def _exact(a, b):
    return _bfloat16.widen_bfloat16(np.ascontiguousarray(a)).astype(np.float64) @ \
        _bfloat16.widen_bfloat16(np.ascontiguousarray(b)).astype(np.float64)


def _layouts(a, b):
    """The same product with each operand row-major, a transposed view, or the first columns
    of a wider matrix (a leading dimension larger than its columns)."""
    wide_a = np.zeros((a.shape[0], a.shape[1] + 3), a.dtype)
    wide_a[:, :a.shape[1]] = a
    wide_b = np.zeros((b.shape[0], b.shape[1] + 5), b.dtype)
    wide_b[:, :b.shape[1]] = b
    return [(a, b), (np.ascontiguousarray(a.T).T, b), (a, np.ascontiguousarray(b.T).T),
            (wide_a[:, :a.shape[1]], wide_b[:, :b.shape[1]]),
            (np.ascontiguousarray(a.T).T, np.ascontiguousarray(b.T).T)]


@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (3, 5, 2), (64, 25, 6), (128, 784, 256),
                                   (37, 300, 1)])
def test_products_in_every_layout_are_float32_sums_of_the_bfloat16_values(monkeypatch, m, k, n):
    monkeypatch.setattr(_mkl, "MIN_WORK", 1)  # (the small ones too: ops multiply those without)
    rng = np.random.default_rng(m * 1000 + k + n)
    a, b = _bf16(rng, (m, k)), _bf16(rng, (k, n))
    exact = _exact(a, b)
    bound = k * 2.0**-24 * (np.abs(_bfloat16.widen_bfloat16(a)).astype(np.float64)
                            @ np.abs(_bfloat16.widen_bfloat16(b)).astype(np.float64))
    torch_result = (torch.from_numpy(_bfloat16.widen_bfloat16(a)).bfloat16()
                    @ torch.from_numpy(_bfloat16.widen_bfloat16(b)).bfloat16()).float().numpy()
    for x, y in _layouts(a, b):
        got = _mkl.matmul(x, y)
        assert got is not None and got.dtype == np.float32 and got.shape == (m, n)
        assert got.flags.c_contiguous
        assert np.all(np.abs(got - exact) <= bound)
        rounded = _bfloat16.widen_bfloat16(_bfloat16.round_to_bfloat16(got))
        np.testing.assert_allclose(rounded, torch_result, rtol=BF16_ULP, atol=0)


def test_what_mkl_declines_falls_back(monkeypatch):
    rng = np.random.default_rng(0)
    small = _bf16(rng, (64, 64)), _bf16(rng, (64, 64))  # below MIN_WORK: NumPy's is faster
    assert _mkl.matmul(*small) is None
    for x, y in (small, (_bf16(rng, (128, 128)), _bf16(rng, (128, 64)))):
        got = (ember.tensor(_bfloat16.widen_bfloat16(x)).bfloat16()
               @ ember.tensor(_bfloat16.widen_bfloat16(y)).bfloat16()).float().numpy()
        np.testing.assert_allclose(got, _exact(x, y), rtol=BF16_ULP)
    monkeypatch.setattr(_mkl, "MIN_WORK", 1)
    a, b = _bf16(rng, (4, 3)), _bf16(rng, (3, 5))
    every_other = _bf16(rng, (4, 6))[:, ::2]  # no unit stride in either dim
    declined = [(a.astype(np.float32), b.astype(np.float32)),  # not bfloat16
                (a, b.astype(np.float32)),  # mixed
                (a[None], b),  # 3-D
                (a[:, :0], b[:0]),  # k == 0
                (a[:0], b),  # m == 0
                (every_other, b)]
    for x, y in declined:
        assert _mkl.matmul(x, y) is None
    # the ops still give the product (NumPy's matmul on the widened or 16-bit values)
    t = ember.tensor(_bfloat16.widen_bfloat16(np.ascontiguousarray(every_other))).bfloat16()
    got = (t[:, :3] @ ember.tensor(_bfloat16.widen_bfloat16(b)).bfloat16()).float().numpy()
    np.testing.assert_allclose(got, _exact(every_other[:, :3], b), rtol=BF16_ULP)


def test_float32_base_finds_only_a_whole_view():
    wide = _bfloat16.round_in_float32(np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4))
    view = _bfloat16.bfloat16_view(wide)
    assert _bfloat16.float32_base(view) is wide
    assert _bfloat16.float32_base(view[1:]) is None  # part of it
    assert _bfloat16.float32_base(_bfloat16.round_to_bfloat16(wide)) is None  # its own memory
    np.testing.assert_array_equal(_bfloat16.widen_bfloat16(np.ascontiguousarray(view)), wide)


def _bfloat16_ops(lib, arrays):
    """mm, matmul and linear of bfloat16 leaves, forward and backward (grads in bfloat16)."""
    t = {k: lib.tensor(v).bfloat16().requires_grad_() for k, v in arrays.items()}
    F = lib.nn.functional
    y = F.linear(t["x"], t["w"], t["b"])
    z = lib.mm(t["x"], t["m"]) @ t["v"]
    (y.float().square().sum() + z.float().sum()).backward()
    return [y, z] + [t[k].grad for k in sorted(t)]


@pytest.mark.parametrize("shapes", [(16, 30, 20), (128, 200, 64)])
def test_bfloat16_ops_on_mkl_are_torchs_within_one_unit(monkeypatch, shapes):
    """Plain bfloat16 ops (no autocast), with MKL and without it (NumPy's float32 sums): each
    product and gradient is a float32 sum rounded once, as torch's; sums in another order may
    round to the neighbouring value: one unit of the last place (2^-7 relative at most), and a
    unit of an operand's value carried into the gradients (2^-8 of the largest).  Measured
    here: bit-equal to torch both ways (without MKL only since linear adds its bias before
    the one rounding, as torch does: it rounded twice)."""
    rows, inner, outer = shapes
    rng = np.random.default_rng(rows)
    arrays = {"x": rng.normal(size=(rows, inner)), "w": rng.normal(size=(outer, inner)),
              "b": rng.normal(size=outer), "m": rng.normal(size=(inner, outer)),
              "v": rng.normal(size=(outer, 3))}
    arrays = {k: v.astype(np.float32) for k, v in arrays.items()}
    theirs = _bfloat16_ops(torch, arrays)
    results = {}
    for on in (True, False):
        monkeypatch.setattr(_mkl, "ENABLED", on)
        results[on] = _bfloat16_ops(ember, arrays)
    for ours_on, ours_off, ref in zip(results[True], results[False], theirs):
        assert str(ours_on.dtype) == "ember.bfloat16" and str(ref.dtype) == "torch.bfloat16"
        ref = ref.detach().float().numpy()
        scale = np.abs(ref).max()
        for ours in (ours_on, ours_off):
            np.testing.assert_allclose(ours.detach().float().numpy(), ref, rtol=2 * BF16_ULP,
                                       atol=BF16_ULP * scale)


def test_autocast_training_with_and_without_mkl(monkeypatch):
    """Three SGD steps of an MLP under autocast: MKL's products and the widened ones give the
    same dtypes and weights within a few bfloat16 units of each step's update."""
    monkeypatch.setattr(_mkl, "MIN_WORK", 1)  # (MKL for every product of these small layers)

    def train(on):
        monkeypatch.setattr(_mkl, "ENABLED", on)
        ember.manual_seed(0)
        model = ember.nn.Sequential(ember.nn.Linear(20, 32), ember.nn.ReLU(),
                                    ember.nn.Linear(32, 4))
        optimizer = ember.optim.SGD(model.parameters(), lr=0.1)
        x = ember.tensor(np.random.default_rng(1).normal(size=(64, 20)).astype(np.float32))
        y = ember.tensor(np.arange(64) % 4)
        for _ in range(3):
            optimizer.zero_grad()
            with ember.autocast("cpu"):
                out = model(x)
                loss = ember.nn.functional.cross_entropy(out, y)
            loss.backward()
            optimizer.step()
        assert out.dtype is ember.bfloat16 and model[0].weight.grad.dtype is ember.float32
        return [p.detach().numpy().copy() for p in model.parameters()]

    for with_mkl, widened in zip(train(True), train(False)):
        # each step moves a weight by lr * grad, with grads within a bfloat16 unit or so
        np.testing.assert_allclose(with_mkl, widened, rtol=0, atol=3 * 0.1 * BF16_ULP)


def test_ember_mkl_0_switches_it_off():
    code = "from ember import _mkl; print(_mkl.available())"
    env = dict(os.environ, EMBER_MKL="0")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("on", [True, False])
def test_linear_adds_its_bias_before_the_one_rounding(monkeypatch, on):
    """16 * 16 + 1 * 0.5 + 0.75 = 257.25: bfloat16 (spacing 2 there) rounds it to 258 once;
    rounding the product first (256.5 -> 256, a tie to even) and then the sum gives 256."""
    monkeypatch.setattr(_mkl, "ENABLED", on)
    for lib in (torch, ember):
        x = lib.tensor([[16.0, 1.0]]).bfloat16()
        w = lib.tensor([[16.0, 0.5]]).bfloat16()
        b = lib.tensor([0.75]).bfloat16()
        assert lib.nn.functional.linear(x, w, b).float().item() == 258.0
