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
