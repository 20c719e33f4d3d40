"""ember.set_num_threads / get_num_threads limit NumPy's BLAS threads (through threadpoolctl)."""

import pytest

import ember

threadpoolctl = pytest.importorskip("threadpoolctl")


def test_set_num_threads_limits_blas_and_is_reported():
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        assert ember.get_num_threads() == 1
        counts = [i["num_threads"] for i in threadpoolctl.threadpool_info()
                  if i.get("user_api") == "blas"]
        assert counts and all(c == 1 for c in counts)
    finally:
        ember.set_num_threads(before)


def test_set_num_threads_rejects_non_positive():
    with pytest.raises(RuntimeError, match="positive"):
        ember.set_num_threads(0)


# ---------------------------------------------------------------------------- following the load

def test_threads_for_load_gives_blas_the_cores_others_leave_free():
    fit = ember._threads.threads_for_load
    assert fit(cores=2, busy_cores=2.0, own_cores=2.0, limit=2) == 2  # only ember is busy
    assert fit(cores=2, busy_cores=0.1, own_cores=0.0, limit=2) == 2  # a quiet machine
    assert fit(cores=2, busy_cores=2.0, own_cores=1.0, limit=2) == 1  # one other busy program
    assert fit(cores=2, busy_cores=2.0, own_cores=0.05, limit=2) == 1  # never below one
    assert fit(cores=16, busy_cores=3.0, own_cores=1.0, limit=4) == 4  # never above the limit
    assert fit(cores=16, busy_cores=12.0, own_cores=2.0, limit=16) == 6
    # a process measured a bit above the machine's busy time (tick rounding) counts as alone
    assert fit(cores=2, busy_cores=1.9, own_cores=2.0, limit=2) == 2


def test_fit_to_load_looks_at_most_once_an_interval(monkeypatch):
    looks = []
    watch = ember._threads._watch
    monkeypatch.setattr(watch, "next_look", 0.0)
    monkeypatch.setattr(type(watch), "look",
                        lambda self: (looks.append(1), setattr(self, "next_look", float("inf"))))
    ember._threads.fit_to_load()
    ember._threads.fit_to_load()
    assert looks == [1]


def test_only_products_big_enough_to_wake_blas_count_as_spinning(monkeypatch):
    """A product of matrices with at most ONE_THREAD_WORK multiply-adds (each, in a stack) runs
    on the calling thread: ember's passes after it may take the second core at once (ResNet-18's
    classifier, 32 x 512 x 10, held its backward's first ~0.13 s on one core); a bigger one, a
    matrix-vector product or a dot product count as leaving BLAS's threads spinning."""
    watch = ember._threads._watch

    monkeypatch.setattr(watch, "last_pool", -1e9)  # (Numba's threads not spinning)

    def spinning_after(a_shape, b_shape):
        monkeypatch.setattr(watch, "last_product", -1e9)
        ember.matmul(ember.ones(*a_shape), ember.ones(*b_shape))
        return ember._threads.blas_spinning()

    assert not spinning_after((32, 512), (512, 10))
    assert not spinning_after((8, 64, 64), (8, 64, 64))  # a stack of small products
    assert spinning_after((128, 128), (128, 128))  # 2M multiply-adds
    assert spinning_after((4096,), (4096, 8))  # a vector's product
    assert spinning_after((64, 64), (64, 65))  # just above 4 * 65536


def test_blas_on_one_thread_while_numba_s_threads_spin(monkeypatch):
    """After one of ember's split loops Numba's threads spin (~9 ms): a product meanwhile
    runs on one BLAS thread and leaves none spinning, also after a one_blas_thread user has
    left; once they have stopped, BLAS gets the load's count back."""
    threads_module = ember._threads
    watch = threads_module._watch
    threads_module.fit_to_load()  # (finds BLAS)
    if watch.blas is None:
        pytest.skip("NumPy's BLAS is not one threadpoolctl controls")

    def blas_threads():
        return next(i["num_threads"] for i in threadpoolctl.threadpool_info()
                    if i["filepath"] == watch.blas.filepath)

    a = ember.ones(128, 128)
    monkeypatch.setattr(threads_module, "POOL_SPIN_SECONDS", 1e9)  # (however slow the machine)
    monkeypatch.setattr(watch, "last_product", -1e9)
    threads_module.pool_used()
    ember.matmul(a, a)
    assert blas_threads() == 1 and not threads_module.blas_spinning()
    with threads_module.one_blas_thread:
        pass  # (in and out: the last user out keeps the hold)
    assert blas_threads() == 1
    monkeypatch.setattr(watch, "last_pool", -1e9)
    ember.matmul(a, a)
    assert blas_threads() == watch.threads and threads_module.blas_spinning()


_BUSY_MACHINE = """
import os, subprocess, sys, time
import numpy as np
import ember
from ember import _threads
cpus = len(os.sched_getaffinity(0))
hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(cpus)]
try:
    time.sleep(0.3)
    watch = _threads._watch
    watch.look()            # the first sample
    time.sleep(0.6)
    watch.look()            # the interval: every core busy with a hog
    blas = [i["num_threads"] for i in __import__("threadpoolctl").threadpool_info()
            if i.get("user_api") == "blas"]
    print(watch.limit, watch.threads, blas[0])
finally:
    for h in hogs:
        h.kill()
"""


@pytest.mark.skipif(not hasattr(__import__("os"), "sched_getaffinity"), reason="Linux only")
def test_blas_drops_to_one_thread_when_other_programs_fill_every_core():
    import os
    import subprocess
    import sys

    if len(os.sched_getaffinity(0)) > 4:
        pytest.skip("starts one busy process per core: kept to small machines")
    env = dict(os.environ)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.pop(name, None)  # the library's own count (the cores) is the limit
    out = subprocess.run([sys.executable, "-c", _BUSY_MACHINE], capture_output=True,
                         text=True, env=env, timeout=120, check=True).stdout.split()
    limit, threads, blas = (int(v) for v in out)
    assert threads == blas == 1, (limit, threads, blas)
