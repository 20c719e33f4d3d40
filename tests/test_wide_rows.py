"""ember/ops/wide_rows.py: small stride-1 2-D convolutions by "wide rows" (compiled loops that
call BLAS per group of images), their three ops against torch, on one thread and split over
two, and the cases that must go conv.py's way instead."""

import threading

import numpy as np
import pytest
import torch

import ember
from ember import _kernels, _parallel, _threads
from ember.ops import wide_rows

from conftest import assert_same, conv2d_exact_and_bounds, conv_gradient

try:
    import numba
    import scipy  # noqa: F401  (Numba's np.dot calls SciPy's BLAS)
except ImportError:
    numba = None

pytestmark = pytest.mark.skipif(numba is None, reason="needs Numba and SciPy (ember[fast])")

EPS = {np.float32: 2.0 ** -23, np.float64: 2.0 ** -52}  # rounding units at 1


@pytest.fixture
def calls(monkeypatch):
    """{loop name: ["one thread" or "two threads", ...]}: how each call of a wide-rows loop's
    two halves ran (_kernels.in_halves; "two threads": on Numba's threads)."""
    _kernels.compile_loops()
    seen, started = {}, []
    in_halves, enter = _kernels.in_halves, _kernels._pool.enter

    def entering():
        started.append(enter())
        return started[-1]

    def counting(name, n, args, split):
        started.clear()
        in_halves(name, n, args, split)
        seen.setdefault(name, []).append("two threads" if any(started) else "one thread")

    monkeypatch.setattr(_kernels._pool, "enter", entering)
    monkeypatch.setattr(_kernels, "in_halves", counting)
    return seen


def _loops(w_shape):
    """The loops (forward, input gradient, weight gradient) a convolution with this weight's
    shape takes: without columns or BLAS for few taps (wide_rows.FEW_TAPS)."""
    if int(np.prod(w_shape[1:])) <= wide_rows.FEW_TAPS:
        return "conv_few_taps", "conv_wide_input_grad", "conv_few_taps_weight_grad"
    return "conv_wide", "conv_wide_input_grad", "conv_wide_weight_grad"


def _split_forced(monkeypatch):
    """Every convolution's halves split: no size threshold, two cores free, BLAS's threads
    not spinning."""
    monkeypatch.setattr(wide_rows, "SPLIT_WORK", 0)
    monkeypatch.setattr(_parallel, "cores_free", lambda: True)
    monkeypatch.setattr(_threads, "blas_spinning", lambda: False)


@pytest.fixture(params=["one thread", "two threads"])
def threads(request, monkeypatch):
    """Runs a test with the two halves of the batch on the calling thread, and on two threads
    (as if two cores were free and the work big)."""
    if request.param == "two threads":
        _split_forced(monkeypatch)
    else:
        monkeypatch.setattr(wide_rows, "SPLIT_WORK", float("inf"))
    return request.param


@pytest.fixture(params=["NumPy's BLAS", "SciPy's BLAS"])
def blas(request, monkeypatch):
    """Runs a test with the loops' products on NumPy's own BLAS (_kernels.numpy_gemm) and on
    SciPy's (np.dot compiled by Numba, where NumPy's is not found)."""
    if request.param == "SciPy's BLAS":
        monkeypatch.setattr(_kernels, "numpy_gemm", lambda dtype: 0)
    elif not _kernels.numpy_gemm(np.float32) or not _kernels.numpy_gemm(np.float64):
        pytest.skip("NumPy's BLAS is not one whose gemm the loops can call")
    return request.param


def _conv_both(x, w, b, kwargs):
    """conv2d and its input, weight and bias gradients (under conv_gradient) in torch and in
    ember."""
    results = []
    for lib in (torch, ember):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        bt = None if b is None else lib.tensor(b, requires_grad=True)
        y = lib.nn.functional.conv2d(xt, wt, bt, **kwargs)
        y.backward(lib.tensor(conv_gradient(tuple(y.shape), x.dtype)))
        results.append([y, xt.grad, wt.grad] + ([] if b is None else [bt.grad]))
    return results


CASES = [  # (x shape, w shape, conv2d's keywords)
    ((64, 6, 14, 14), (16, 6, 5, 5), {}),  # LeNet-5's second
    ((7, 1, 28, 28), (6, 1, 5, 5), {"padding": 2}),  # LeNet-5's first, an odd batch
    ((1, 3, 9, 11), (5, 3, 3, 3), {"padding": 1}),  # one image: one half is empty
    ((3, 2, 8, 10), (4, 2, 2, 3), {"padding": "same"}),  # uneven padding (0 | 1 on the width)
    ((2, 4, 5, 6), (32, 4, 1, 1), {}),  # 1 x 1, the most output channels taken
    ((2, 3, 6, 5), (3, 3, 4, 2), {"padding": (3, 1)}),  # padding beyond the kernel's reach
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # (torch's, for the even kernel)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES)
def test_three_ops_as_torch(calls, threads, blas, case, dtype):
    """The forward (with a bias) and the input, weight and bias gradients: ember's and torch's
    both within a float sum's error bound of the exact values (see conftest's
    conv2d_exact_and_bounds: LeNet's weight gradient sums 6400 products, so two orders of
    summing differ by ~1e-5 of the sum)."""
    x_shape, w_shape, kwargs = case
    rng = np.random.default_rng(7)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    theirs, ours = _conv_both(x, w, b, kwargs)
    exact, bounds = conv2d_exact_and_bounds(x, w, b, kwargs, EPS[dtype])
    for a, t, e, bound in zip(ours, theirs, exact, bounds):
        assert str(a.dtype)[6:] == str(t.dtype)[6:] and tuple(a.shape) == tuple(t.shape)
        assert np.all(np.abs(a.detach().numpy() - e) <= bound)
        assert np.all(np.abs(t.detach().numpy() - e) <= bound)  # (the bound holds for torch)
    for name in _loops(w_shape):
        split = threads == "two threads" and x_shape[0] > 1
        assert calls[name] == ["two threads" if split else "one thread"], name


@pytest.mark.parametrize("channels,out_channels", [(6, 16), (1, 6)])  # (BLAS's; few taps)
def test_weight_gradient_has_the_same_bits_on_one_thread_and_on_two(monkeypatch, calls,
                                                                    channels, out_channels):
    """The two halves' sums are made and added the same way whichever thread runs each: the
    result does not depend on the load."""
    rng = np.random.default_rng(8)
    x = rng.standard_normal((33, channels, 14, 14)).astype(np.float32)
    w = rng.standard_normal((out_channels, channels, 5, 5)).astype(np.float32)
    grads = []
    for split in (False, True):
        _split_forced(monkeypatch)
        monkeypatch.setattr(_parallel, "cores_free", lambda split=split: split)
        wt = ember.tensor(w, requires_grad=True)
        y = ember.nn.functional.conv2d(ember.tensor(x), wt)
        y.backward(ember.tensor(conv_gradient(tuple(y.shape), np.float32)))
        grads.append(wt.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])
    assert calls[_loops(w.shape)[2]] == ["one thread", "two threads"]


def test_double_backward_as_torch():
    """The gradients' own gradients (create_graph=True: the ops' backwards are made of the
    same three ops) against torch."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal((4, 3, 8, 8))
    w = rng.standard_normal((5, 3, 3, 3))
    results = []
    for lib in (torch, ember):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        y = lib.nn.functional.conv2d(xt, wt, padding=1)
        gx, gw = lib.autograd.grad((y * y).sum(), (xt, wt), create_graph=True)
        ((gx ** 2).sum() + (gw ** 2).sum()).backward()
        results.append((gx, gw, xt.grad, wt.grad))
    for ours, theirs in zip(results[1], results[0]):
        assert_same(ours, theirs, rtol=1e-10, atol=1e-9)


def test_infinities_go_conv_py_s_way(calls):
    """An inf in the input (the weight gradient would multiply it by a wide column's 0) or in
    the weight (the input gradient would) sends that op to conv.py's im2col; the results have
    torch's infs and NaNs."""
    rng = np.random.default_rng(10)
    x = rng.standard_normal((2, 2, 7, 7)).astype(np.float32)
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    x[0, 1, 3, 6] = np.inf  # read by a wide column of the next row
    w[1, 0, 2, 2] = -np.inf
    theirs, ours = _conv_both(x, w, None, {})
    for a, t in zip(ours, theirs):
        a, t = a.detach().numpy(), t.detach().numpy()
        np.testing.assert_array_equal(np.isnan(a), np.isnan(t))
        np.testing.assert_array_equal(np.isinf(a), np.isinf(t))
        finite = np.isfinite(t)
        np.testing.assert_allclose(a[finite], t[finite], rtol=1e-5, atol=1e-4)
    forward, input_grad, weight_grad = _loops(w.shape)
    assert calls[forward] and weight_grad not in calls and input_grad not in calls


def test_without_scipy_conv_py_s_way(calls, monkeypatch):
    """Numba without SciPy (np.dot in a compiled loop needs SciPy's BLAS): conv.py's ops."""
    monkeypatch.setattr(_kernels, "_SCIPY", False)
    rng = np.random.default_rng(11)
    x = rng.standard_normal((3, 2, 9, 9)).astype(np.float32)
    w = rng.standard_normal((4, 2, 3, 3)).astype(np.float32)
    theirs, ours = _conv_both(x, w, None, {"padding": 1})
    for a, t in zip(ours, theirs):
        assert_same(a, t, atol=1e-4)
    assert not calls


def test_one_blas_thread_covers_scipy_s_blas(calls):
    """While ember's loops multiply with SciPy's BLAS, NumPy's and SciPy's BLAS libraries are on
    one thread (two halves on two threads must not each wake a BLAS pool), and each gets its
    count back, also a count the user set in between."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    x = ember.randn(2, 2, 6, 6)
    ember.nn.functional.conv2d(x, ember.randn(3, 2, 3, 3))  # SciPy's BLAS is loaded now
    _threads.fit_to_load()  # (finds NumPy's BLAS)
    with _threads.one_blas_thread:  # (looks SciPy's up)
        pass
    others = [lib.filepath for lib in _threads.one_blas_thread.others or ()]
    if not others:
        pytest.skip("SciPy uses NumPy's own BLAS library here")
    libs = [_threads._watch.blas.filepath] + others

    def counts():
        info = {i["filepath"]: i["num_threads"] for i in threadpoolctl.threadpool_info()}
        return [info[path] for path in libs]

    before = counts()
    with _threads.one_blas_thread:
        assert counts() == [1] * len(libs)
    # NumPy's back to the count the load allows (_threads), the others to what they had
    assert counts() == [_threads._watch.threads] + before[1:]
    with threadpoolctl.threadpool_limits(3, user_api="blas"):
        set_by_user = counts()[1:]
        with _threads.one_blas_thread:
            pass  # (in and out)
        assert counts()[1:] == set_by_user


def test_an_image_s_columns_beyond_the_cache_go_conv_py_s_way(calls, monkeypatch):
    """A convolution whose one image's columns exceed MAX_IMAGE_BYTES (big images: they no
    longer stay in any cache) goes by conv.py's im2col; at the limit, by wide rows."""
    rng = np.random.default_rng(12)
    x = rng.standard_normal((2, 3, 10, 12)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    columns = 3 * 3 * 3 * ((10 - 1) * 14 + 12) * 4  # rows x L x 4 bytes, padding 1
    for limit, wide in ((columns - 1, False), (columns, True)):
        calls.clear()
        monkeypatch.setattr(wide_rows, "MAX_IMAGE_BYTES", limit)
        theirs, ours = _conv_both(x, w, None, {"padding": 1})
        for a, t in zip(ours, theirs):
            assert_same(a, t, atol=1e-4)
        assert bool(calls) == wide


def test_numpy_gemm_only_by_names_with_64_bit_integers(monkeypatch):
    """The loops call NumPy's own gemm only under the names of its 64-bit-integer builds
    (_kernels._GEMM_NAMES), found through threadpoolctl; otherwise 0 (np.dot, SciPy's BLAS)."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    # NumPy's library by where it lies, not by "numpy" in a folder's name
    paths = [lib["filepath"] for lib in threadpoolctl.threadpool_info()
             if lib["user_api"] == "blas"]
    assert any(_threads.numpy_s_library(path) for path in paths)
    assert not _threads.numpy_s_library("/home/numpy/.venv/lib/scipy.libs/libopenblas.so")
    monkeypatch.setattr(_kernels, "_numpy_gemm", {})
    found = _kernels.numpy_gemm(np.float32)
    assert found == _kernels.numpy_gemm(np.float32)  # (looked up once)
    monkeypatch.setattr(_kernels, "_numpy_gemm", {})
    monkeypatch.setattr(_kernels, "_GEMM_NAMES", ("no_such_{}gemm",))
    assert _kernels.numpy_gemm(np.float32) == 0
    monkeypatch.setattr(_kernels, "_numpy_gemm", {})
    monkeypatch.setitem(__import__("sys").modules, "threadpoolctl", None)  # (not installed)
    assert _kernels.numpy_gemm(np.float64) == 0


@pytest.mark.parametrize("layer", [None, "workqueue"])
def test_split_halves_start_numba_s_threads(layer):
    """A convolution's split halves run as a parallel loop of Numba's (its prange starts the
    threading layer's pool), in a fresh process, with the layer Numba picks and with its
    "workqueue" (where no OpenMP or TBB is installed), whose threads sleep between loops:
    then the products after a split keep BLAS's threads (pool_spinning stays False)."""
    code = """if True:
        import numba, numpy as np, ember
        from ember import _kernels, _parallel, _threads
        from ember.ops import wide_rows
        wide_rows.SPLIT_WORK = 0
        _parallel.cores_free = lambda: True
        _threads.blas_spinning = lambda: False
        x = ember.ones(4, 6, 10, 10, requires_grad=True)
        w = ember.ones(16, 6, 5, 5, requires_grad=True)
        y = ember.nn.functional.conv2d(x, w)
        y.backward(ember.ones_like(y))
        assert float(y.min()) == float(y.max()) == 150.0
        assert float(w.grad.min()) == float(w.grad.max()) == 144.0
        print(numba.threading_layer(), _threads.pool_spinning())
    """
    import os
    import subprocess
    import sys

    env = dict(os.environ)
    env.pop("NUMBA_THREADING_LAYER", None)
    if layer is not None:
        env["NUMBA_THREADING_LAYER"] = layer
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=600, env=env)
    assert out.returncode == 0, out.stderr
    used, spinning = out.stdout.split()
    assert used in ("omp", "tbb", "workqueue") and used == (layer or used)
    assert spinning == str(used != "workqueue")


def test_a_second_caller_runs_its_halves_on_its_own_thread(calls, monkeypatch):
    """While one thread has Numba's threads, another's halves run on that other thread, one
    after the other (Numba's "workqueue" pool stops the process when two threads use it at
    once); several threads convolving at once all get torch's values."""
    _split_forced(monkeypatch)
    rng = np.random.default_rng(13)
    x = rng.standard_normal((6, 4, 9, 9)).astype(np.float32)
    w = rng.standard_normal((5, 4, 3, 3)).astype(np.float32)  # (36 taps: BLAS's loop)
    expected = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w)).numpy()
    assert _kernels._pool.enter()  # (as another thread would hold it)
    try:
        y = ember.nn.functional.conv2d(ember.tensor(x), ember.tensor(w))
    finally:
        _kernels._pool.leave()
    assert calls["conv_wide"] == ["one thread"]
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-5, atol=1e-5)
    results, errors = [], []

    def convolve():
        try:
            for _ in range(20):
                results.append(ember.nn.functional.conv2d(ember.tensor(x), ember.tensor(w)))
        except BaseException as e:  # (reported below)
            errors.append(e)

    workers = [threading.Thread(target=convolve) for _ in range(3)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert not errors and len(results) == 60
    for y in results:
        np.testing.assert_allclose(y.numpy(), expected, rtol=1e-5, atol=1e-5)
    assert "two threads" in calls["conv_wide"]


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_forked_child_runs_its_halves_on_one_thread(calls, monkeypatch):
    """A process forked from one that has started Numba's threads (a DataLoader's worker) runs
    its halves on its own thread: GNU OpenMP's threads do not survive a fork, and the child
    would hang or be stopped by Numba.  Its results are the parent's."""
    import os
    import pickle

    _split_forced(monkeypatch)
    rng = np.random.default_rng(14)
    x = rng.standard_normal((6, 1, 12, 12)).astype(np.float32)
    w = rng.standard_normal((3, 1, 5, 5)).astype(np.float32)
    parent = ember.nn.functional.conv2d(ember.tensor(x), ember.tensor(w), padding=2).numpy()
    assert calls["conv_few_taps"] == ["two threads"]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        try:
            calls.clear()
            y = ember.nn.functional.conv2d(ember.tensor(x), ember.tensor(w), padding=2)
            os.write(write, pickle.dumps((y.numpy(), calls)))
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        message = f.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0 and message
    child, child_calls = pickle.loads(message)
    assert child_calls == {"conv_few_taps": ["one thread"]}
    np.testing.assert_array_equal(child, parent)


def test_no_split_while_blas_s_threads_spin(calls, monkeypatch):
    """Numba's threads and BLAS's idle ones, both spinning, would share the second core
    (LeNet-5's step 16-40 ms against 7-9): while BLAS's spin, the halves run here, and the
    products after it run on one BLAS thread (_threads.pool_spinning), so that BLAS's threads
    stop and the next loop splits; a split loop leaves Numba's threads spinning, with the
    same effect on the products.  A loop too small to split changes nothing."""
    _split_forced(monkeypatch)
    monkeypatch.setattr(_threads, "POOL_SPIN_SECONDS", 1e9)  # (however slow the machine)
    x, w = ember.randn(4, 6, 10, 10), ember.randn(16, 6, 5, 5)
    monkeypatch.setattr(_threads._watch, "last_pool", -1e9)
    monkeypatch.setattr(_threads, "blas_spinning", lambda: True)
    ember.nn.functional.conv2d(x, w)
    assert calls["conv_wide"] == ["one thread"] and _threads.pool_spinning()
    monkeypatch.setattr(_threads, "blas_spinning", lambda: False)
    monkeypatch.setattr(_threads._watch, "last_pool", -1e9)
    ember.nn.functional.conv2d(x, w)
    assert calls["conv_wide"] == ["one thread", "two threads"] and _threads.pool_spinning()
    monkeypatch.setattr(_threads._watch, "last_pool", -1e9)
    monkeypatch.setattr(wide_rows, "SPLIT_WORK", float("inf"))
    ember.nn.functional.conv2d(x, w)
    assert calls["conv_wide"][-1] == "one thread" and not _threads.pool_spinning()


def test_a_training_loop_leaves_blas_s_threads_for_numba_s(calls, monkeypatch):
    """Steps that follow each other closely, the first of whose products left BLAS's threads
    spinning: the loops that could not split keep the products on one BLAS thread, so BLAS's
    threads stop spinning and from then on the loops split (the wait is BLAS's spin time,
    0.05 s here; Numba's is made long, so that a slow machine keeps the hold)."""
    import time

    monkeypatch.setattr(wide_rows, "SPLIT_WORK", 0)
    monkeypatch.setattr(_parallel, "cores_free", lambda: True)
    monkeypatch.setattr(_threads, "SPIN_SECONDS", 0.05)
    monkeypatch.setattr(_threads, "POOL_SPIN_SECONDS", 1e9)
    monkeypatch.setattr(_threads._watch, "last_pool", -1e9)
    monkeypatch.setattr(_threads._watch, "last_product", time.monotonic())  # (spinning)
    x, w = ember.randn(4, 6, 10, 10), ember.randn(16, 6, 5, 5)
    a = ember.ones(128, 128)
    runs = calls.setdefault("conv_wide", [])
    while runs[-3:] != ["two threads"] * 3 and len(runs) < 100_000:  # (the bound: a failure)
        ember.nn.functional.conv2d(x, w)
        ember.matmul(a, a)  # (big enough to wake BLAS's threads)
    assert runs[0] == "one thread"
    first = runs.index("two threads")
    assert runs[first:] == ["two threads"] * (len(runs) - first)


def test_set_num_threads_one_keeps_the_halves_on_one_thread(calls, monkeypatch):
    """ember.set_num_threads(1) keeps the loops off Numba's threads too (as off BLAS's and
    ember's helper); back at two, they split again."""
    pytest.importorskip("threadpoolctl")
    monkeypatch.setattr(wide_rows, "SPLIT_WORK", 0)
    monkeypatch.setattr(_threads, "blas_spinning", lambda: False)
    x, w = ember.randn(4, 6, 10, 10), ember.randn(16, 6, 5, 5)
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        ember.nn.functional.conv2d(x, w)
        ember.set_num_threads(2)
        monkeypatch.setattr(_threads._watch, "next_look", float("inf"))  # (load not looked at)
        ember.nn.functional.conv2d(x, w)
    finally:
        ember.set_num_threads(before)
    assert calls["conv_wide"] == ["one thread", "two threads"]
