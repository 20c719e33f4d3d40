"""set_num_threads / get_num_threads: how many threads NumPy's BLAS (matmul, linalg) may use,
and how ember keeps those threads from fighting other programs for the cores.

torch.set_num_threads limits torch's intra-op threads; ember's heavy maths runs in NumPy's BLAS
(OpenBLAS or MKL), whose thread pool threadpoolctl (an optional package: pip install
threadpoolctl) controls at run time.

Following the load: a BLAS thread waits for its partners by spinning, so when other programs
keep the cores busy, every product waits for a descheduled partner thread: on this 2-core
machine with two busy processes, a LeNet step took 115 ms with two BLAS threads against 12 ms
with one.  So the products (matmul, linear, convolution, attention) call ``fit_to_load()``
first; at most twice a second it compares how busy the CPUs were (``/proc/stat``) with how much
of that was this process, and gives BLAS only the cores the other programs leave free (at least
one, at most the limit: what ``set_num_threads`` set, else the library's own count at start).
Where ``/proc/stat`` or threadpoolctl is missing, nothing changes.
"""

import os
import sys
import threading
import time
import warnings

_requested = [None]


def _controller():
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()


def numpy_s_library(filepath):
    """Whether a loaded library lies in NumPy's own folders (numpy/ or, for a wheel, the
    numpy.libs beside it): NumPy's BLAS, told by where it lies, not by "numpy" somewhere in
    its path (a checkout's or an environment's folder may be called that)."""
    import numpy

    package = os.path.dirname(os.path.realpath(numpy.__file__))
    folder = os.path.dirname(os.path.realpath(str(filepath)))
    return folder in (package, package + ".libs") or folder.startswith(package + os.sep)


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
    _watch.limit = _watch.threads = n
    _watch.held = False  # (the next product holds BLAS again if Numba's threads spin)


def get_num_threads():
    """The BLAS thread count ember may use (what set_num_threads set, else the library's own);
    on a busy machine it may use fewer for a while (see the module's docstring)."""
    if _requested[0] is not None:
        return _requested[0]
    if _watch.limit is not None:
        return _watch.limit
    controller = _controller()
    if controller is not None:
        counts = [info["num_threads"] for info in controller.info()
                  if info.get("user_api") == "blas"]
        if counts:
            return max(counts)
    return int(os.environ.get("OPENBLAS_NUM_THREADS", os.cpu_count() or 1))


# ---------------------------------------------------------------------------- following the load

def threads_for_load(cores, busy_cores, own_cores, limit):
    """How many BLAS threads to use: the cores that other programs leave free, rounded, between
    1 and ``limit``.  ``busy_cores``: how many of our ``cores`` were busy over the last interval
    (all programs); ``own_cores``: how many of those were this process."""
    free = cores - max(busy_cores - own_cores, 0.0)
    return max(1, min(limit, int(free + 0.5)))


def _cpu_ticks(cpus):
    """(busy, total) clock ticks summed over the CPUs ``cpus`` since boot, from /proc/stat."""
    busy = total = 0
    with open("/proc/stat") as f:
        for line in f:
            if not line.startswith("cpu"):
                break
            name, *fields = line.split()
            if name == "cpu" or int(name[3:]) not in cpus:
                continue
            ticks = [int(v) for v in fields]
            idle = ticks[3] + ticks[4]  # idle + iowait
            total += sum(ticks[:8])  # user nice system idle iowait irq softirq steal
            busy += sum(ticks[:8]) - idle
    return busy, total


class _LoadWatch:
    """The state of the load following: when to look next, the last sample, the BLAS library."""

    interval = 0.5  # seconds between two looks

    def __init__(self):
        self.next_look = 0.0  # time.monotonic() of the next look; inf: switched off
        self.sample = None  # (busy ticks, total ticks, process CPU seconds, wall seconds)
        self.blas = None  # threadpoolctl's controller of NumPy's BLAS
        self.limit = None  # the most threads to use
        self.threads = None  # the threads in use now
        self.cpus = None
        self.held = False  # BLAS held to one thread while Numba's threads spin (_hold_blas)
        self.lock = threading.Lock()

    def start(self):
        """Find the BLAS and the CPUs; switch off where either cannot be known."""
        controller = _controller()
        blas = [lib for lib in controller.lib_controllers
                if lib.user_api == "blas"] if controller is not None else []
        # NumPy's own BLAS (another library's, torch's or SciPy's, may be loaded too)
        blas.sort(key=lambda lib: not numpy_s_library(lib.filepath))
        try:
            self.cpus = os.sched_getaffinity(0)
            _cpu_ticks(self.cpus)
        except (OSError, AttributeError, ValueError):
            blas = []  # not Linux: no per-CPU busy time to read
        if not blas:
            self.next_look = float("inf")
            return
        self.blas = blas[0]
        self.threads = self.blas.get_num_threads()
        if self.limit is None:
            self.limit = self.threads

    def look(self):
        """Sample the CPUs and this process, and set the BLAS threads for the last interval."""
        if self.blas is None:
            self.start()
            if self.blas is None:
                return
        now = time.monotonic()
        busy, total = _cpu_ticks(self.cpus)
        sample = (busy, total, time.process_time(), now)
        last, self.sample = self.sample, sample
        self.next_look = now + self.interval
        if last is None or total <= last[1]:
            return
        cores = len(self.cpus)
        busy_cores = cores * (busy - last[0]) / (total - last[1])
        own_cores = (sample[2] - last[2]) / (now - last[3])
        threads = threads_for_load(cores, busy_cores, own_cores, self.limit)
        if threads != self.threads:
            self.threads = threads
            if not self.held and one_blas_thread.users == 0:  # (else set when they end)
                self.blas.set_num_threads(threads)


_watch = _LoadWatch()
_watch.last_product = -1e9  # time.monotonic() of the last product on BLAS's own threads


# NOTE: after a product, OpenBLAS's idle threads wait for the next one by spinning, for 2^t
# cycles (t: OPENBLAS_THREAD_TIMEOUT, 28 by default: ~0.1 s at 2.6 GHz; counted here at 2 GHz
# to be safe).  Until then they hold the other cores: a copy split over two threads of ember's
# own right after a product took as long as on one thread (8.0 ms against 3.5 ms without the
# product before it), so ember's own two-thread work waits for them to stop (_parallel.py).
SPIN_SECONDS = 2.0 ** int(os.environ.get("OPENBLAS_THREAD_TIMEOUT", "28") or 28) / 2e9


def blas_spinning():
    """True while BLAS's idle threads are probably still spinning after the last product."""
    return time.monotonic() - _watch.last_product < SPIN_SECONDS


# NOTE: Numba's threads (GNU OpenMP's, which run ember's split loops: _kernels.in_halves) wait
# for the next loop by spinning too, ~9 ms after one (measured: the process's CPU time over a
# sleep). A BLAS thread woken meanwhile shares their core: LeNet-5's step took 16-40 ms
# against 7-9 with its products on one BLAS thread while they spun.
POOL_SPIN_SECONDS = 0.01
_watch.last_pool = -1e9  # time.monotonic() when Numba's threads last finished a loop of ember's


def pool_spinning():
    """True for POOL_SPIN_SECONDS after ``pool_used()``: Numba's threads probably spin."""
    return time.monotonic() - _watch.last_pool < POOL_SPIN_SECONDS


def pool_used():
    """Called when Numba's threads have finished one of ember's loops (they spin now), and
    when a loop would have split but for BLAS's spinning threads (ops/wide_rows.py): the
    products then keep to one BLAS thread for a while, BLAS's threads stop spinning, and the
    next loop splits.  (Else a training loop whose steps follow each other closely could keep
    BLAS's threads spinning for good, and its loops on one core.)"""
    _watch.last_pool = time.monotonic()


def _hold_blas(hold):
    """BLAS on one thread (``hold``) while Numba's threads spin, or back to the count the load
    allows once they have stopped."""
    if hold == _watch.held or _watch.blas is None:
        return
    with one_blas_thread.lock:
        _watch.held = hold
        if one_blas_thread.users == 0:  # (else one thread already, until the last user leaves)
            _watch.blas.set_num_threads(1 if hold else _watch.threads)


class _OneBlasThread:
    """``with one_blas_thread():`` BLAS runs each call on the calling thread alone (ember
    splits a big product over its own two threads instead: ops/conv.py).  The BLAS setting
    is the library's, for every thread: the first of overlapping users sets it, the last one
    out puts back the count the load allows.
    SciPy's BLAS too, once loaded (Numba's ``np.dot`` calls it from ember's compiled loops,
    ops/wide_rows.py): it goes to one thread and back to its own count."""

    def __init__(self):
        self.users = 0
        self.lock = threading.Lock()
        self.others = None  # threadpoolctl's controllers of SciPy's BLAS (and any other)
        self.their_threads = []  # their thread counts before the first user came in

    def available(self):
        return _watch.blas is not None

    def __enter__(self):
        with self.lock:
            self.users += 1
            if self.users == 1:
                _watch.blas.set_num_threads(1)
                if self.others is None and "scipy.linalg.cython_blas" in sys.modules:
                    self.others = _other_blas()
                self.their_threads = [lib.get_num_threads() for lib in self.others or ()]
                for lib in self.others or ():
                    lib.set_num_threads(1)

    def __exit__(self, *exc):
        with self.lock:
            self.users -= 1
            if self.users == 0:
                _watch.blas.set_num_threads(1 if _watch.held else _watch.threads)
                for lib, threads in zip(self.others or (), self.their_threads):
                    lib.set_num_threads(threads)


def _other_blas():
    """threadpoolctl's controllers of every BLAS loaded but NumPy's (looked up once SciPy's
    is loaded: Numba's np.dot calls it)."""
    controller = _controller()
    if controller is None or _watch.blas is None:
        return []
    return [lib for lib in controller.lib_controllers
            if lib.user_api == "blas" and lib.filepath != _watch.blas.filepath]


one_blas_thread = _OneBlasThread()


def _after_fork_in_child():
    """A forked child starts with no user of one_blas_thread (its threads are gone) and fresh
    locks (one held by a parent thread at the fork would never be released in the child)."""
    one_blas_thread.users = 0
    one_blas_thread.lock = threading.Lock()
    _watch.lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


# OpenBLAS runs a matrix product of at most this many multiply-adds (m * k * n) on the calling
# thread alone (its GEMM_MULTITHREAD_THRESHOLD, 4, times 65536), so its threads neither wake nor
# spin afterwards.  NOTE: measured on this project's machines (OpenBLAS 0.3.31 for SkylakeX:
# the other threads' CPU time over 1 s of products) the bound is ~1e6; this is the documented
# one.  Counting ResNet-18's classifier (32 x 512 x 10) as spinning kept ember's passes on one
# thread for the first ~0.13 s of every backward.
ONE_THREAD_WORK = 4 * 65536


def fit_to_product(a, b):
    """fit_to_load() before ``a @ b`` (arrays): BLAS's threads count as spinning afterwards
    unless it is a product of matrices (each of a stack) too small to wake them
    (ONE_THREAD_WORK; a vector's products wake them from ~1e4 multiply-adds: always
    counted).  While Numba's threads spin (``pool_spinning``), BLAS runs it on the calling
    thread alone, and no BLAS thread spins after it."""
    hold = pool_spinning()
    _hold_blas(hold)
    if hold:
        fit_to_load(spins=False)
    elif a.ndim < 2 or b.ndim < 2:
        fit_to_load()
    else:
        fit_to_load(spins=a.shape[-2] * a.shape[-1] * b.shape[-1] > ONE_THREAD_WORK)


def fit_to_load(spins=True):
    """Called before a product: at most every ``_LoadWatch.interval`` seconds, fit the BLAS
    threads to the cores other programs leave free (see the module's docstring).
    ``spins``: the product will run on BLAS's own threads, which then keep spinning for a
    while (see ``blas_spinning``); False for a product ember splits on its own threads."""
    now = time.monotonic()
    if spins:
        _watch.last_product = now
    if now < _watch.next_look:
        return
    if _watch.lock.acquire(blocking=False):  # one thread looks; the others go on
        try:
            _watch.look()
        finally:
            _watch.lock.release()
