"""ember/_parallel.py: big copies and element-wise passes in two halves on two threads.

The split must never change a result (each half writes its own part of the output), must fall
back to one thread when the work is small, when fewer than two cores are free or when it is
already running on the helper, and must hand the helper's errors back to the caller."""

import multiprocessing
import threading

import numpy as np
import pytest
import torch

import ember
from ember import _parallel
from ember.ops import binary


@pytest.fixture
def two_threads(monkeypatch):
    """Every pass and convolution product splits: no size thresholds, and two cores free
    whatever the load is."""
    monkeypatch.setattr(_parallel, "MIN_BYTES", 0)
    monkeypatch.setattr(_parallel, "BIG", 0)
    monkeypatch.setattr(binary, "_BIG", 0)
    monkeypatch.setattr(_parallel, "two_cores", lambda: True)
    monkeypatch.setattr(_parallel, "cores_free", lambda: True)
    monkeypatch.setattr(_parallel, "SPLIT_FLOPS", 0)
    monkeypatch.setattr(ember._threads, "pool_spinning", lambda: False)


def test_halves_splits_the_range_across_two_threads(two_threads):
    seen = []
    lock = threading.Lock()

    def work(lo, hi):
        with lock:
            seen.append((lo, hi, threading.current_thread().name))

    _parallel.halves(10, work)
    assert sorted((lo, hi) for lo, hi, _ in seen) == [(0, 5), (5, 10)]
    assert {name for _, _, name in seen} == {"ember-parallel", threading.current_thread().name}


def test_halves_runs_on_one_thread_when_small_or_busy(monkeypatch):
    calls = []
    monkeypatch.setattr(_parallel, "two_cores", lambda: True)
    _parallel.halves(10, lambda lo, hi: calls.append((lo, hi)), big=False)
    monkeypatch.setattr(_parallel, "two_cores", lambda: False)
    _parallel.halves(10, lambda lo, hi: calls.append((lo, hi)), big=True)
    assert calls == [(0, 10), (0, 10)]


def test_no_split_while_numba_s_threads_spin(monkeypatch):
    """Numba's threads spin ~9 ms after one of ember's split loops (_kernels.in_halves): the
    helper would share their core, so the passes stay on one thread meanwhile."""
    monkeypatch.setattr(_parallel, "cores_free", lambda: True)
    monkeypatch.setattr(ember._threads, "blas_spinning", lambda: False)
    monkeypatch.setattr(ember._threads, "POOL_SPIN_SECONDS", 1e9)  # (however slow the machine)
    monkeypatch.setattr(ember._threads._watch, "last_pool", -1e9)
    assert _parallel.two_cores()
    ember._threads.pool_used()
    assert not _parallel.two_cores()


def test_set_num_threads_one_keeps_the_passes_on_one_thread():
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        assert not _parallel.two_cores()
    finally:
        ember.set_num_threads(before)


def test_an_error_on_the_helper_reaches_the_caller_and_the_helper_goes_on(two_threads):
    def work(lo, hi):
        if lo == 0:
            raise ValueError("first half failed")

    with pytest.raises(ValueError, match="first half failed"):
        _parallel.halves(4, work)
    out = np.zeros(8)
    _parallel.copy_into(out, np.arange(8.0))
    np.testing.assert_array_equal(out, np.arange(8.0))


def test_nested_and_concurrent_callers_do_not_deadlock(two_threads):
    """A half that itself calls halves runs it on its own thread; two user threads splitting at
    once share the helper (one of them just runs its pass alone)."""
    out = np.zeros((4, 6))

    def outer(lo, hi):
        def inner(a, b):
            out[lo:hi, a:b] += 1
        _parallel.halves(6, inner)

    _parallel.halves(4, outer)
    np.testing.assert_array_equal(out, np.ones((4, 6)))
    results = []

    def user():
        a = np.random.default_rng(0).normal(size=(64, 33, 7)).transpose(1, 0, 2)
        for _ in range(50):
            c = _parallel.contiguous(a)
            results.append(bool(c.flags.c_contiguous and np.array_equal(c, a)))

    threads = [threading.Thread(target=user) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == [True] * 150


@pytest.mark.parametrize("stride,padding,groups", [(1, 1, 1), (2, 1, 1), (1, 0, 2), (1, 2, 1)])
def test_convolution_on_two_threads_equals_torch(two_threads, stride, padding, groups):
    """im2col, col2im and the layout copies of the three convolution ops, split in halves:
    forward, input gradient and weight gradient against torch (float64: the sums are the same
    on one or two threads, so the tolerance is float64 rounding of a 36-term sum)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4, 9, 8))
    w = rng.normal(size=(6, 4 // groups, 3, 3))
    g = {}
    for lib in (ember, torch):
        X = lib.tensor(x, requires_grad=True)
        W = lib.tensor(w, requires_grad=True)
        y = lib.nn.functional.conv2d(X, W, stride=stride, padding=padding, groups=groups)
        (y * y).sum().backward()
        g[lib] = [y.detach().numpy(), X.grad.numpy(), W.grad.numpy()]
    for ours, theirs in zip(g[ember], g[torch]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_convolution_gives_the_same_bits_on_one_and_two_threads(monkeypatch):
    rng = np.random.default_rng(1)
    x = ember.tensor(rng.normal(size=(4, 8, 12, 12)).astype(np.float32), requires_grad=True)
    w = ember.tensor(rng.normal(size=(8, 8, 3, 3)).astype(np.float32), requires_grad=True)
    got = []
    for split in (False, True):
        monkeypatch.setattr(_parallel, "MIN_BYTES", 0 if split else 1 << 62)
        monkeypatch.setattr(_parallel, "two_cores", lambda: True)
        monkeypatch.setattr(_parallel, "cores_free", lambda: True)
        monkeypatch.setattr(_parallel, "SPLIT_FLOPS", 0 if split else float("inf"))
        x.grad = w.grad = None
        y = ember.nn.functional.conv2d(x, w, padding=1)
        y.square().sum().backward()
        got.append([y.detach().numpy().copy(), x.grad.numpy().copy(), w.grad.numpy().copy()])
    for one, two in zip(*got):
        np.testing.assert_array_equal(one, two)


@pytest.mark.parametrize("shapes", [((6, 5, 4), (6, 5, 4)), ((6, 5, 4), (5, 4)),
                                    ((6, 5, 4), (6, 1, 4)), ((1, 7, 3), (7, 3)),
                                    ((1, 1, 3), (1, 1, 3)), ((6, 5), ())])
def test_ufunc_halves_broadcast_like_numpy(two_threads, shapes):
    """The split follows the result's first dim longer than 1; an operand that broadcasts
    along it is passed whole."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=shapes[0]).astype(np.float32)
    b = rng.normal(size=shapes[1]).astype(np.float32)
    for fn in (np.add, np.subtract, np.multiply, np.maximum):
        got = _parallel.ufunc(fn, a, b)
        want = fn(a, b)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(_parallel.ufunc(np.maximum, a, 0), np.maximum(a, 0))


def test_elementwise_ops_on_two_threads_equal_torch(two_threads):
    """add, sub, mul, relu and relu's gradient, split in halves, against torch: bit-equal
    (element-wise maths has one rounding, the same on any thread), with NaN, inf and -0.0,
    whose handling (relu keeps NaN and -0.0; relu's gradient is 0, not NaN, where y <= 0 even
    for an infinite incoming gradient) must survive the split."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(8, 3, 5)).astype(np.float32)
    x[0, 0, :4] = [np.nan, -0.0, np.inf, -np.inf]
    w = rng.normal(size=(3, 5)).astype(np.float32)
    g = rng.normal(size=(8, 3, 5)).astype(np.float32)
    g[1, 1, :2] = [np.inf, -np.inf]
    got = {}
    for lib in (ember, torch):
        X = lib.tensor(x, requires_grad=True)
        W = lib.tensor(w, requires_grad=True)
        r = lib.relu(X * W + X - W)
        r.backward(lib.tensor(g))
        got[lib] = [r.detach().numpy(), X.grad.numpy(), W.grad.numpy()]
    for ours, theirs in zip(got[ember][:2], got[torch][:2]):
        np.testing.assert_array_equal(ours, theirs)
        np.testing.assert_array_equal(np.signbit(ours), np.signbit(theirs))
    # W's gradient adds 8 rows up, in another order than torch's: 8 float32 roundings
    np.testing.assert_allclose(got[ember][2], got[torch][2], rtol=8 * 2.0**-24, atol=1e-6)


def test_relu_gradient_is_plus_zero_where_the_input_was_not_positive():
    """torch's threshold_backward writes +0.0 there, whatever the incoming gradient's sign
    (ember multiplies by the mask, which would give -0.0 for a negative gradient)."""
    x = np.array([-1.0, 0.0, 2.0, -3.0], dtype=np.float32)
    g = np.array([-5.0, -1.0, -2.0, 4.0], dtype=np.float32)
    got = {}
    for lib in (ember, torch):
        X = lib.tensor(x, requires_grad=True)
        lib.relu(X).backward(lib.tensor(g))
        got[lib] = X.grad.numpy()
    np.testing.assert_array_equal(got[ember], got[torch])
    np.testing.assert_array_equal(np.signbit(got[ember]), np.signbit(got[torch]))


@pytest.mark.parametrize("shapes", [((40, 30), (30, 20)), ((20, 30), (30, 40)),
                                    ((3, 40, 30), (30, 20)), ((2, 1, 20, 30), (3, 30, 40))])
def test_matmul_split_gives_the_same_bits_as_blas_alone(monkeypatch, shapes):
    """Rows or columns of the result (whichever are more) on two threads, each half on one
    BLAS thread: every entry is the same sum in the same order, so the bits do not change."""
    rng = np.random.default_rng(5)
    a = rng.normal(size=shapes[0]).astype(np.float32)
    b = rng.normal(size=shapes[1]).astype(np.float32)
    monkeypatch.setattr(_parallel, "SPLIT_FLOPS", float("inf"))
    whole = _parallel.matmul(a, b)
    monkeypatch.setattr(_parallel, "SPLIT_FLOPS", 0)
    monkeypatch.setattr(_parallel, "cores_free", lambda: True)
    split = _parallel.matmul(a, b)
    np.testing.assert_array_equal(split, whole)
    np.testing.assert_array_equal(split, np.matmul(a, b))


def test_linear_layer_on_two_threads_equals_torch(two_threads):
    rng = np.random.default_rng(6)
    x = rng.normal(size=(64, 48))
    got = {}
    for lib in (ember, torch):
        lib.manual_seed(0)
        layer = lib.nn.Linear(48, 32).double()
        with lib.no_grad():
            layer.weight.copy_(lib.tensor(rng.normal(size=(32, 48)) if lib is ember
                                          else got[ember][3]))
        X = lib.tensor(x, requires_grad=True)
        y = layer(X)
        (y * y).sum().backward()
        got[lib] = [y.detach().numpy(), X.grad.numpy(), layer.weight.grad.numpy(),
                    layer.weight.detach().numpy()]
    for ours, theirs in zip(got[ember][:3], got[torch][:3]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


class _Convolved:
    """A dataset whose items are convolutions big enough to split (run in worker processes)."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        x = ember.ones(2, 8, 24, 24) * (i + 1)
        w = ember.ones(8, 8, 3, 3)
        return ember.nn.functional.conv2d(x, w, padding=1).sum()


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_forked_workers_start_their_own_helper(two_threads):
    """DataLoader workers are forked children of a process whose helper thread exists (used
    here first) and whose one_blas_thread is in use by another thread at the fork: the helper
    thread does not exist in a child, so each worker starts its own, and the split
    convolutions give the same sums as torch's."""
    from ember import _threads

    _parallel.halves(4, lambda lo, hi: None)  # the parent's helper exists
    held = threading.Event()
    release = threading.Event()

    def hold():
        if _threads.one_blas_thread.available():
            with _threads.one_blas_thread:
                held.set()
                release.wait(60)
        else:
            held.set()

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(60)
    try:
        loader = ember.utils.data.DataLoader(_Convolved(), batch_size=2, num_workers=2,
                                             multiprocessing_context="fork", timeout=60)
        sums = [float(v) for batch in loader for v in batch]
    finally:
        release.set()
        holder.join(60)
    # each output sums 8 * 9 ones per position but the padded border: the same for any split
    x = torch.ones(1, 8, 24, 24)
    per_item = float(torch.nn.functional.conv2d(x, torch.ones(8, 8, 3, 3), padding=1).sum()) * 2
    assert sums == [per_item * k for k in (1, 2, 3, 4)]
