"""set_num_threads / get_num_threads: how many threads NumPy's BLAS (matmul, linalg) may use.

torch.set_num_threads limits torch's intra-op threads; ember's heavy maths runs in NumPy's BLAS
(OpenBLAS or MKL), whose thread pool threadpoolctl (an optional package: pip install
threadpoolctl) controls at run time.  On a busy machine fewer BLAS threads can be much faster:
idle-spinning threads compete with the other processes.
"""

import os
import warnings

_requested = [None]


def _controller():
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()


def set_num_threads(n):
    """Limit NumPy's BLAS to ``n`` threads (needs the optional package threadpoolctl)."""
    n = int(n)
    if n < 1:
        raise RuntimeError("set_num_threads expects a positive integer")
    _requested[0] = n
    controller = _controller()
    if controller is None:
        warnings.warn("ember.set_num_threads needs the package threadpoolctl to limit NumPy's "
                      "BLAS threads (pip install threadpoolctl); alternatively set "
                      "OPENBLAS_NUM_THREADS / MKL_NUM_THREADS before starting Python.",
                      stacklevel=2)
        return
    controller.limit(limits=n, user_api="blas")


def get_num_threads():
    """The BLAS thread count in use (what set_num_threads set, else the library's own)."""
    controller = _controller()
    if controller is not None:
        counts = [info["num_threads"] for info in controller.info()
                  if info.get("user_api") == "blas"]
        if counts:
            return max(counts)
    if _requested[0] is not None:
        return _requested[0]
    return int(os.environ.get("OPENBLAS_NUM_THREADS", os.cpu_count() or 1))
