"""ember's own second thread: big copies, element-wise loops and convolution products in halves.

NumPy runs each copy or element-wise loop on one core, but it lets go of Python's lock while
it does, so two Python threads can each run one half of a pass at the same time: on this
project's 2-core machines the im2col copy of a ResNet-18 convolution (72 MB) took 8.6 ms on one
thread and 3.5 ms on two.

``halves(n, work)`` runs ``work(lo, hi)`` over the index range [0, n): the first half on a
helper thread, the second half on the calling thread, then waits for both.  It runs everything
on the calling thread instead when

- the pass is small (``big`` is False): handing work to the other thread costs tens of us;
- fewer than two cores are free: the same count the BLAS threads follow (see ``_threads``:
  other programs' load, and ``ember.set_num_threads(1)``);
- BLAS's own idle threads are spinning on the other core, as they do for ~0.1 s after a
  product (``_threads.blas_spinning``): split then, the copy above took 8.0 ms, no gain;
- it is already on the helper thread, or the helper is busy with another caller's half
  (then waiting would only serialise the two).

So that the passes around a convolution find the second core free, its big products run here
too (``matmul``): two halves of the result on the two threads, BLAS on one thread each, and no
BLAS thread spins afterwards.  Whether a pass or a product was split never changes a bit of
its result: each element is computed by the same loop either way.

The helper is one daemon thread per process, started on first use (a forked child starts its
own).  ``work`` must write disjoint parts of its output for the two halves.
"""

import math
import os
import queue
import threading

import numpy as np

from . import _threads

# a pass over fewer bytes than this runs on one thread (the hand-over would cost more than half
# of it: NumPy moves ~5-10 GB/s per core, so 1 MB is ~100-200 us)
MIN_BYTES = 1 << 20
BIG = MIN_BYTES // 4  # elements: what an op checks first (a float32 array of MIN_BYTES)


class _Helper:
    """The helper thread and its job queue."""

    def __init__(self):
        self.jobs = queue.SimpleQueue()
        self.pid = os.getpid()
        self.busy = threading.Lock()  # held by the caller whose half the helper runs
        self.thread = threading.Thread(target=self._run, name="ember-parallel", daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            work, lo, hi, done = self.jobs.get()
            try:
                work(lo, hi)
            except BaseException as e:  # handed back to the caller, which raises it
                done.error = e
            done.set()


class _Done(threading.Event):
    error = None


_helper = [None]
_start_lock = threading.Lock()


def _after_fork_in_child():
    """A forked child (a DataLoader worker) has none of the parent's threads: it starts its own
    helper on first use, with fresh locks (one held by a parent thread at the fork would never
    be released in the child)."""
    global _start_lock
    _helper[0] = None
    _start_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _get_helper():
    helper = _helper[0]
    if helper is None or helper.pid != os.getpid():
        with _start_lock:
            helper = _helper[0]
            if helper is None or helper.pid != os.getpid():
                helper = _helper[0] = _Helper()
    return helper


def two_cores():
    """True when two threads of ember's may run now: two cores are free of other programs
    (``cores_free``) and neither BLAS's own idle threads nor Numba's are spinning on the
    second one (``_threads.blas_spinning``, ``_threads.pool_spinning``)."""
    return not _threads.blas_spinning() and not _threads.pool_spinning() and cores_free()


def cores_free():
    """True when the load leaves two cores: the BLAS thread count the load allows (and
    ``set_num_threads``) is 2 or more."""
    _threads.fit_to_load(spins=False)
    threads = _threads._watch.threads
    if threads is None:  # no load to follow (threadpoolctl missing, or not Linux)
        threads = _threads._requested[0] or _CORES
    return threads >= 2


def _cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


_CORES = _cores()


def halves(n, work, big=True, free=None):
    """``work(lo, hi)`` over [0, n): two halves on two threads when it pays (see the module's
    docstring), else ``work(0, n)`` here.  ``free``: the caller has checked the cores."""
    if n < 2 or not big or not (two_cores() if free is None else free):
        work(0, n)
        return
    helper = _get_helper()
    if threading.current_thread() is helper.thread or not helper.busy.acquire(blocking=False):
        work(0, n)
        return
    try:
        middle = n // 2
        done = _Done()
        helper.jobs.put((work, 0, middle, done))
        try:
            work(middle, n)
        finally:
            done.wait()
        if done.error is not None:
            raise done.error
    finally:
        helper.busy.release()


_local = threading.local()


def scratch(shape, dtype, slot="columns"):
    """An uninitialised NumPy array of ``shape``, from this thread's buffer for ``slot``
    (reused: it keeps the largest size asked for).  Use it at once: the next call for the
    same slot on this thread hands out the same memory.
    NOTE: big arrays (a convolution's columns, ~10-75 MB) fresh from the system cost a page
    fault on the first write of every page, as much as the copy that fills them."""
    size = math.prod(shape)
    buffers = getattr(_local, "buffers", None)
    if buffers is None:
        buffers = _local.buffers = {}
    buffer = buffers.get(slot)
    if buffer is None or buffer.dtype != dtype or buffer.size < size:
        buffer = buffers[slot] = np.empty(size, dtype=dtype)
    return buffer[:size].reshape(shape)


def is_big(*arrays):
    """True when the arrays together hold at least MIN_BYTES."""
    return sum(a.nbytes for a in arrays) >= MIN_BYTES


def copy_into(out, src):
    """out[...] = src (same shapes, at least one dim): the two halves of the first dim on two
    threads when the copy is big."""
    def copy(lo, hi):
        out[lo:hi] = src[lo:hi]

    halves(out.shape[0], copy, is_big(out))


def copied(a):
    """``a.copy()`` (C order) for a NumPy array, on two threads when big."""
    if a.ndim == 0 or a.nbytes < MIN_BYTES:
        return a.copy()
    out = np.empty(a.shape, dtype=a.dtype)
    copy_into(out, a)
    return out


def contiguous(a):
    """A C-contiguous copy of NumPy array ``a`` (``a`` itself when it is one already), made
    by ``copy_into``: NumPy's ascontiguousarray on two threads."""
    return a if a.flags.c_contiguous else copied(a)


def ufunc(fn, a, b):
    """``fn(a, b)`` for a NumPy ufunc and arrays (or a Python scalar ``b``) broadcasting to a big
    result: the two halves of the result's first dim longer than 1 on two threads."""
    shape = np.broadcast_shapes(np.shape(a), np.shape(b))
    out = np.empty(shape, dtype=np.result_type(a, b))
    axis = next((i for i, n in enumerate(shape) if n > 1), None)
    if axis is None:
        return fn(a, b)

    def part(lo, hi):
        fn(_part(a, shape, axis, lo, hi), _part(b, shape, axis, lo, hi),
           out=out[(slice(None),) * axis + (slice(lo, hi),)])

    halves(shape[axis], part, is_big(out))
    return out


def _part(a, shape, axis, lo, hi):
    """The rows lo .. hi-1 along ``axis`` of the result that operand ``a`` gives (all of ``a``
    where it broadcasts along that axis)."""
    own = axis - (len(shape) - np.ndim(a))  # the same axis counted in a's own dims
    if own < 0 or a.shape[own] == 1:
        return a
    return a[(slice(None),) * own + (slice(lo, hi),)]


# a product of at least this many floating-point operations is split over ember's two threads
# (ResNet-18's convolutions are 0.3-2.4 GFLOP; LeNet's, 15-30 MFLOP, stay on BLAS's threads).
# NOTE: only the convolution ops use matmul() (ops/conv.py): their products come with big
# copies around them that the second core speeds up.  The Transformer's products (0.27-0.5
# GFLOP, many in a row, small passes between them) were slower split: 187 against 155 ms a
# step, BLAS's spinning threads take each next product without a wake-up.
SPLIT_FLOPS = 100e6


def matmul(a, b, out=None, split_flops=SPLIT_FLOPS):
    """``a @ b`` (NumPy arrays, 2 or more dims, float32 or float64), into ``out`` if given.

    A big product, with two cores free, runs as two halves of the result (its rows or its
    columns, whichever are more; half of the products of a stack of 3-D arrays: Winograd's 16
    products, ops/winograd.py, took 5-20% less time so than with each product's columns split)
    on ember's two threads, each half on one BLAS thread: no BLAS
    thread is left spinning after it, so the copies and element-wise passes around it can
    have the second core too.  Every entry of the result is the same sum in the same order
    either way; the split only decides which thread does it.  Otherwise BLAS runs it on its
    own threads.  ``split_flops``: the smallest product split (ops/winograd.py splits its
    memory-bound filter transforms from 1 MFLOP on)."""
    if a.ndim < 2 or b.ndim < 2:
        _threads.fit_to_product(a, b)
        return np.matmul(a, b, out=out)
    m, k = a.shape[-2:]
    n = b.shape[-1]
    flops = 2.0 * m * k * n
    for d in np.broadcast_shapes(a.shape[:-2], b.shape[:-2]):
        flops *= d
    if (flops < split_flops or a.dtype != b.dtype or a.dtype.kind != "f" or a.dtype.itemsize < 4
            or not _threads.one_blas_thread.available() or not cores_free()
            or _threads.pool_spinning()):  # (then BLAS takes it on one thread)
        _threads.fit_to_product(a, b)  # BLAS's threads: only the cores others leave free
        return np.matmul(a, b, out=out)
    if out is None:
        out = np.empty(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (m, n), dtype=a.dtype)
    if a.ndim == b.ndim == 3 and a.shape[0] == b.shape[0] > 1:  # a stack: half the products
        def half(lo, hi):
            np.matmul(a[lo:hi], b[lo:hi], out=out[lo:hi])
        size = a.shape[0]
    elif m > n:
        def half(lo, hi):
            np.matmul(a[..., lo:hi, :], b, out=out[..., lo:hi, :])
        size = m
    else:
        def half(lo, hi):
            np.matmul(a, b[..., lo:hi], out=out[..., lo:hi])
        size = n
    # NOTE: a split product leaves no BLAS thread spinning, so it need not wait for an earlier
    # product's spinning to end (free=True: only the load decided)
    with _threads.one_blas_thread:
        halves(size, half, free=True)
    return out
