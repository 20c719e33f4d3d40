"""The engine under ember.distributed: MPI through mpi4py, and a watchdog for failures.

Tensors travel through mpi4py's buffer calls (``Allreduce``, ``Bcast``, ... with a capital
letter) on C-contiguous NumPy arrays: a non-contiguous tensor is copied into a contiguous array
and the result copied back (mpi4py would read a transposed array in raw memory order).  Tensors
are never pickled; only Python objects (``all_gather_object`` ...) and the small notices of the
watchdog go through the pickle calls.

Failures.  MPI itself has no timeouts and, when one rank dies, the others wait forever inside the
collective.  Each process therefore runs one watchdog thread (started by init_process_group):

* a rank whose script raises an uncaught exception sends a notice to every other rank (on a
  communicator of its own, ``ctl``) before it exits with status 1;
* the watchdog of every other rank receives the notice, prints which rank failed and why, and
  exits with status 1 (so mpiexec returns non-zero and stops the rest);
* a collective that does not finish within the group's ``timeout`` makes its rank print what it
  was waiting for, notify the others, and exit;
* a rank killed by a signal is noticed by mpiexec, which sends SIGTERM to the others; their
  watchdog (woken through ``signal.set_wakeup_fd``) names the rank whose process is gone.

A watchdog that stops a rank cannot raise in the main thread (it may be blocked inside an MPI
call), so it prints the error and ends the process with ``os._exit(1)``.
"""

import atexit
import os
import select
import signal
import sys
import threading
import time
import traceback

import numpy as np

TAG_FAIL = 1
TAG_ACK = 2
ACK_WAIT_S = 3.0  # how long a failing rank waits for the others to read its notice
LIVENESS_PERIOD_S = 0.25  # how often the watchdog looks for dead ranks on its machine


def mpi():
    """mpi4py's MPI module (imported on first use: ~0.1 s)."""
    from mpi4py import MPI

    return MPI


def available():
    """True when mpi4py (and so an MPI library) can be imported."""
    try:
        mpi()
    except ImportError:
        return False
    return True


# ----------------------------------------------------------------------------- dtypes

# dtypes the collectives carry (gloo's list, and int16 as torch's MPI backend)
SUPPORTED = {"bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16",
             "float32", "float64", "complex64", "complex128"}
TORCH_TYPE_NAME = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short",
                   "int32": "Int", "int64": "Long"}


def host_array(t):
    """The tensor's values as a NumPy array (a copy from the GPU for a cuda tensor)."""
    data = t._data
    if t.device.type == "cuda":
        import cupy

        data = cupy.asnumpy(data)
    return data


class Buffer:
    """A contiguous NumPy array MPI can read and write for tensor ``t``.

    When it is ``t``'s own memory (a contiguous CPU tensor of a dtype MPI knows) the results land
    in the tensor directly; otherwise ``write_back()`` copies them in.  bfloat16 travels as
    float32 when reduced (MPI has no bfloat16 arithmetic) and as raw uint16 when only moved;
    bool travels as uint8."""

    def __init__(self, t, reducing):
        data = host_array(t)
        name = t.dtype.name if hasattr(t.dtype, "name") else str(t.dtype)
        self.tensor = t
        self.shared = t.device.type != "cuda"
        if name == "bfloat16":
            if reducing:
                data, self.shared = data.astype(np.float32), False
            else:
                data = data.view(np.uint16)
        elif name == "bool":
            data = data.view(np.uint8)
        if not data.flags.c_contiguous:
            data, self.shared = np.ascontiguousarray(data), False
        self.array = data

    def write_back(self):
        """Put the received values into the tensor (only the version count changes when MPI
        wrote the tensor's memory directly)."""
        if self.shared:
            self.tensor._counter().value += 1
        else:
            store(self.tensor, self.array)


def store(t, values):
    """Write ``values`` (a NumPy array in the dtype it travelled as) into tensor ``t`` and
    count the in-place change."""
    target = t._data.dtype
    if values.dtype != target:
        if values.itemsize == target.itemsize and values.dtype.kind in "ub":
            values = values.view(target)  # bool from uint8, bfloat16 from its raw uint16
        else:
            values = values.astype(target)  # bfloat16 from the float32 it was reduced in
    if t.device.type == "cuda":
        import cupy

        values = cupy.asarray(values)
    t._data[...] = values.reshape(t._data.shape)
    t._counter().value += 1


def mpi_op(op, dtype_name):
    """The MPI reduction for a RedOpType on arrays of ``dtype_name`` (bool as uint8 0/1:
    SUM and MAX are 'or', PRODUCT and MIN are 'and')."""
    MPI = mpi()
    name = op.name
    if dtype_name == "bool":
        name = {"SUM": "MAX", "PRODUCT": "MIN"}.get(name, name)
    return {"SUM": MPI.SUM, "AVG": MPI.SUM, "PRODUCT": MPI.PROD, "MIN": MPI.MIN,
            "MAX": MPI.MAX, "BAND": MPI.BAND, "BOR": MPI.BOR, "BXOR": MPI.BXOR}[name]


# ----------------------------------------------------------------------------- the watchdog

class Watchdog:
    """One per process: watches the collective in progress, the pending async requests, the
    notices of failed peers and SIGTERM (see the module docstring)."""

    def __init__(self, world_comm, peers):
        MPI = mpi()
        self.ctl = world_comm.Dup()            # notices never mix with tensor traffic
        self.rank = world_comm.Get_rank()
        self.size = world_comm.Get_size()
        self.peers = peers                     # [(hostname, pid)] by rank
        self.current = None                    # (what, started, timeout_s) of a blocking call
        self.pending = set()                   # Work objects not yet completed
        self.lock = threading.Lock()           # guards ``pending``
        self.stopping = False
        self.status = MPI.Status()
        self.next_liveness_check = 0.0
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._old_wakeup = None
        self._old_handlers = {}
        if threading.current_thread() is threading.main_thread():
            # SIGTERM: mpiexec stopping the job; SIGUSR1: MPICH telling the survivors that a
            # rank died (under -disable-auto-cleanup, which ember's launcher passes)
            for signum in (signal.SIGTERM, signal.SIGUSR1):
                if signal.getsignal(signum) is signal.SIG_DFL:
                    self._old_handlers[signum] = signal.signal(signum, _note_signal)
            old = signal.set_wakeup_fd(self._wake_w, warn_on_full_buffer=False)
            if old != -1:  # somebody else (asyncio) listens: leave theirs in place
                signal.set_wakeup_fd(old)
            else:
                self._old_wakeup = old
        self._old_hook = sys.excepthook
        sys.excepthook = self.excepthook
        self.thread = threading.Thread(target=self.loop, name="ember.distributed watchdog",
                                       daemon=True)
        self.thread.start()
        # runs before mpi4py's MPI_Finalize (registered earlier, atexit runs last-in first-out):
        # no MPI call from the thread may overlap the finalisation
        atexit.register(self.stop_thread)

    # the main thread's side

    def enter(self, what, timeout_s):
        self.current = (what, time.monotonic(), timeout_s)

    def leave(self):
        self.current = None

    def stop_thread(self):
        if not self.stopping:
            self.stopping = True
            os.write(self._wake_w, b"\0")
            self.thread.join(timeout=2.0)

    def close(self):
        """Stop the thread and give back the hooks (destroy_process_group)."""
        self.stop_thread()
        atexit.unregister(self.stop_thread)
        if sys.excepthook == self.excepthook:
            sys.excepthook = self._old_hook
        for signum, handler in self._old_handlers.items():
            signal.signal(signum, handler)
        if self._old_wakeup is not None:
            signal.set_wakeup_fd(-1)
        os.close(self._wake_r)
        os.close(self._wake_w)
        self.ctl.Free()

    def excepthook(self, exc_type, exc, tb):
        """An uncaught exception ends this rank: print it, tell the other ranks, exit."""
        self._old_hook(exc_type, exc, tb)
        if self.size > 1 and not getattr(exc, "_ember_from_peer", False):
            text = "".join(traceback.format_exception_only(exc_type, exc)).strip()
            self.notify(f"rank {self.rank} raised {text}")
        _flush_and_exit(1)

    # the thread's side

    def loop(self):
        MPI = mpi()
        while not self.stopping:
            interval = 0.001 if self.pending else 0.05
            ready, _, _ = select.select([self._wake_r], [], [], interval)
            if self.stopping:
                return
            if ready:
                got = os.read(self._wake_r, 64)
                if bytes([signal.SIGTERM]) in got or bytes([signal.SIGUSR1]) in got:
                    self.on_signal()
            if self.ctl.Iprobe(source=MPI.ANY_SOURCE, tag=TAG_FAIL, status=self.status):
                source = self.status.Get_source()
                message = self.ctl.recv(source=source, tag=TAG_FAIL)
                self.ctl.send(self.rank, dest=source, tag=TAG_ACK)
                self.stop(f"ember.distributed: rank {self.rank} stops because {message}")
            self.progress()
            self.check_timeouts()
            if time.monotonic() > self.next_liveness_check:
                self.check_peers_alive()

    def progress(self):
        """Let MPI move the pending non-blocking requests (MPICH advances them only inside MPI
        calls, so without this an async all_reduce would wait for ``wait()``)."""
        with self.lock:
            works = list(self.pending)
        for work in works:
            work._poll()

    def check_timeouts(self):
        now = time.monotonic()
        current = self.current
        waits = [current] if current is not None else []
        with self.lock:
            waits += [(w._what, w._started, w._timeout_s) for w in self.pending]
        for what, started, timeout_s in waits:
            if now - started > timeout_s:
                message = (f"{what} on rank {self.rank} did not finish within {timeout_s:g} s "
                           f"(the group's timeout): a rank of the group did not join it (it may "
                           f"be stuck, have exited, or have called a different collective)")
                self.notify(message)
                self.stop(f"ember.distributed: {message}")

    def check_peers_alive(self):
        """Stop if a rank on this machine has gone (killed): under ember's launcher mpiexec
        leaves the others running (-disable-auto-cleanup), so they can say which rank died."""
        self.next_liveness_check = time.monotonic() + LIVENESS_PERIOD_S
        host = os.uname().nodename
        for r, (h, pid) in enumerate(self.peers):
            if r != self.rank and h == host and not _alive(pid):
                self.stop(f"ember.distributed: rank {self.rank} stops: rank {r} (pid {pid}) "
                          f"ended without finishing the job (killed by a signal?)")

    def on_signal(self):
        """mpiexec signals the ranks when one ends abnormally: name the ranks that are gone
        (a killed process may take a moment to disappear, so look for up to a second)."""
        host = os.uname().nodename
        deadline = time.monotonic() + 1.0
        while True:
            gone = [r for r, (h, pid) in enumerate(self.peers)
                    if r != self.rank and h == host and not _alive(pid)]
            if gone or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        if gone:
            who = ", ".join(f"rank {r} (pid {self.peers[r][1]})" for r in gone)
            self.stop(f"ember.distributed: rank {self.rank} stops: {who} ended without "
                      f"finishing the job (killed by a signal?)")
        self.stop(f"ember.distributed: rank {self.rank} got SIGTERM or SIGUSR1 (mpiexec "
                  f"signals every rank when one ends abnormally)")

    def notify(self, message):
        """Tell every other rank ``message`` and wait (a bounded time) until they have read
        it, so they can print it before mpiexec stops them."""
        MPI = mpi()
        for dest in range(self.size):
            if dest != self.rank:
                self.ctl.isend(message, dest=dest, tag=TAG_FAIL)
        acks, deadline = 0, time.monotonic() + ACK_WAIT_S
        while acks < self.size - 1 and time.monotonic() < deadline:
            if self.ctl.Iprobe(source=MPI.ANY_SOURCE, tag=TAG_ACK, status=self.status):
                self.ctl.recv(source=self.status.Get_source(), tag=TAG_ACK)
                acks += 1
            elif self.ctl.Iprobe(source=MPI.ANY_SOURCE, tag=TAG_FAIL, status=self.status):
                # another rank failed at the same time: answer it, it waits for us
                source = self.status.Get_source()
                self.ctl.recv(source=source, tag=TAG_FAIL)
                self.ctl.send(self.rank, dest=source, tag=TAG_ACK)
                acks += 1
            else:
                time.sleep(0.002)

    def stop(self, message):
        print(message, file=sys.stderr, flush=True)
        _flush_and_exit(1)


def _note_signal(signum, frame):
    """The Python handler of SIGTERM and SIGUSR1: nothing; the watchdog thread, woken by the
    signal's byte on the wakeup pipe, prints why and exits."""


def _alive(pid):
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def _flush_and_exit(status):
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(status)


# ----------------------------------------------------------------------------- async work

class Work:
    """The handle of an ``async_op=True`` collective or of ``isend``/``irecv``: ``wait()``
    blocks until it is done (and returns True), ``is_completed()`` asks without blocking.

    It holds MPI requests and a ``finish`` step that copies results into the tensors; the
    watchdog tests the requests in the background so MPI keeps moving the data."""

    def __init__(self, watchdog, requests, finish, what, timeout_s, outputs=(), status=None):
        self._watchdog = watchdog
        self._statuses = None if status is None else [status]
        self._requests = list(requests)
        self._finish = finish
        self._what = what
        self._timeout_s = timeout_s
        self._started = time.monotonic()
        self._outputs = list(outputs)
        self._lock = threading.Lock()
        self._mpi_done = False
        self._finished = False
        self._exception = None
        self._source = None
        if watchdog is not None and self._requests:
            with watchdog.lock:
                watchdog.pending.add(self)

    def _poll(self):
        """Test the requests once (from the watchdog); never blocks."""
        if self._mpi_done or not self._lock.acquire(blocking=False):
            return
        try:
            if mpi().Request.Testall(self._requests, self._statuses):
                self._done()
        finally:
            self._lock.release()

    def _done(self):
        self._mpi_done = True
        if self._watchdog is not None:
            with self._watchdog.lock:
                self._watchdog.pending.discard(self)

    def _complete(self):
        if not self._finished:
            self._finished = True
            if self._finish is not None:
                try:
                    self._finish()
                except Exception as exc:
                    self._exception = exc
                    raise

    def is_completed(self):
        """True once the operation has finished (results are in place after this is True)."""
        if not self._mpi_done:
            self._poll()
        if self._mpi_done:
            self._complete()
        return self._mpi_done

    def wait(self, timeout=None):
        """Block until the operation has finished; True.  ``timeout`` (a timedelta) replaces
        the group's timeout for this wait."""
        if timeout is not None:
            self._timeout_s = timeout.total_seconds()
        if not self._mpi_done:
            with self._lock:
                if not self._mpi_done:
                    mpi().Request.Waitall(self._requests, self._statuses)
                    self._done()
        self._complete()
        return True

    synchronize = wait

    def is_success(self):
        return self.is_completed() and self._exception is None

    def exception(self):
        return self._exception

    def result(self):
        """The output tensors (after wait())."""
        self.wait()
        return self._outputs

    def source_rank(self):
        """The sender's rank, for an irecv."""
        self.wait()
        if self._source is None:
            raise RuntimeError("source_rank() is only available on the Work of a recv")
        return self._source

    def get_future(self):
        return _Future(self)

    def __repr__(self):
        state = "completed" if self._mpi_done else "pending"
        return f"<ember.distributed.Work {self._what} ({state})>"


class _Future:
    """torch.futures.Future's core for a Work: ``wait()``/``value()`` give the outputs,
    ``done()`` says whether they are ready, ``then(fn)`` gives a future of fn(this future)."""

    def __init__(self, work, value=None):
        self._work = work
        self._value = value

    def done(self):
        return self._work is None or self._work.is_completed()

    def wait(self):
        return self._value if self._work is None else self._work.result()

    value = wait

    def then(self, callback):
        self.wait()
        return _Future(None, callback(self))
