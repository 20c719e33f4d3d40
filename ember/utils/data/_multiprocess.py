"""The DataLoader's iterator with worker processes (``num_workers > 0``).

Task k (the k-th batch of indices) goes to worker ``k mod num_workers`` (skipping workers
that have stopped) through that worker's own index queue; every worker answers on one shared
result queue.  ``prefetch_factor * num_workers`` tasks are in flight at any time: each batch
handed to the user sends out one new task.  Answers that arrive early wait in a dict until
their turn, so batches come out in sampler order.

While waiting, the main process wakes every ``POLL_S`` seconds to check that the workers are
alive (a dead worker raises torch's "exited unexpectedly" error at once instead of hanging)
and to honour ``timeout``.  The workers are stopped when the epoch ends, when the iterator is
garbage collected (an early ``break``), or on error; ``persistent_workers`` keeps them for the
next epoch, which starts by sending each a ``ResumeIteration``.
"""

import itertools
import multiprocessing
import queue
import signal
import sys
import time

from ._worker import ExceptionWrapper, IterableEnd, ResumeIteration, unpack, worker_loop
from .dataloader import BaseIter

POLL_S = 0.1  # how often a waiting main process checks its workers
JOIN_S = 1.0  # how long a stopping worker may take before it is terminated


class MultiProcessIter(BaseIter):
    """Batches loaded by ``num_workers`` worker processes, handed out in sampler order."""

    def __init__(self, loader):
        self._shutdown = True  # nothing to shut down until the workers exist
        if loader.prefetch_factor <= 0:
            raise AssertionError("prefetch_factor must be greater than 0 for "
                                 "MultiProcessingDataLoaderIter")
        super().__init__(loader)
        context = loader.multiprocessing_context or multiprocessing.get_context()
        self._prefetch_factor = loader.prefetch_factor
        self._in_order = loader.in_order
        self._result_queue = context.Queue()
        self._done_event = context.Event()
        self._index_queues = []
        self._workers = []
        self._shutdown = False
        for worker_id in range(self._num_workers):
            index_queue = context.Queue()
            index_queue.cancel_join_thread()  # exiting must not wait for a stopped worker
            worker = context.Process(
                target=worker_loop, daemon=True,
                args=(self._iterable, self._dataset, index_queue, self._result_queue,
                      self._done_event, self._auto_collation, self._collate_fn,
                      self._drop_last, self._base_seed, loader.worker_init_fn, worker_id,
                      self._num_workers))
            worker.start()
            self._index_queues.append(index_queue)
            self._workers.append(worker)
        self._reset(loader, first_epoch=True)

    def _reset(self, loader, first_epoch=False):
        super()._reset(loader)
        self._send_idx = 0  # number of the next task to send
        self._rcvd_idx = 0  # number of the next batch to hand out
        self._task_worker = {}  # task number -> worker, until its batch is handed out
        self._early = {}  # task number -> batch that arrived before its turn
        self._active = [True] * self._num_workers
        self._cycle = itertools.cycle(range(self._num_workers))
        if not first_epoch:
            # persistent workers: answers to the last epoch's unfinished tasks come before the
            # acknowledgements, and are dropped
            for index_queue in self._index_queues:
                index_queue.put(ResumeIteration())
            pending = self._num_workers
            while pending:
                task, _ = self._get()
                if isinstance(task, ResumeIteration):
                    pending -= 1
        for _ in range(self._prefetch_factor * self._num_workers):
            self._send_task()

    # ------------------------------------------------------------------ sending

    def _send_task(self):
        """Send the sampler's next indices to the next active worker (if any)."""
        try:
            indices = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._cycle)
            if self._active[worker_id]:
                break
        else:
            return
        self._index_queues[worker_id].put((self._send_idx, indices))
        self._task_worker[self._send_idx] = worker_id
        self._send_idx += 1

    # ------------------------------------------------------------------ receiving

    def _next_data(self):
        while True:
            # skip tasks that will never be answered (their worker's dataset ran out)
            while self._rcvd_idx < self._send_idx:
                if self._rcvd_idx in self._early:
                    break
                worker_id = self._task_worker.get(self._rcvd_idx)
                if worker_id is not None and self._active[worker_id]:
                    break
                self._task_worker.pop(self._rcvd_idx, None)
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            if self._rcvd_idx in self._early:
                return self._hand_out(self._rcvd_idx, self._early.pop(self._rcvd_idx))
            task, data = self._get()
            if isinstance(data, IterableEnd):
                self._stop_worker(data.worker_id)
                self._send_task()
                continue
            if task == self._rcvd_idx or not self._in_order:
                return self._hand_out(task, data)
            self._early[task] = data

    def _hand_out(self, task, data):
        """Hand out the batch of ``task``: send a new task in its place, and re-raise an
        exception that happened in the worker."""
        del self._task_worker[task]
        if task == self._rcvd_idx:
            self._rcvd_idx += 1
        self._send_task()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return data

    def _get(self):
        """The next answer from any worker; raises if a worker died or ``timeout`` passed."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = POLL_S
            if deadline is not None:
                wait = max(0.0, min(POLL_S, deadline - time.monotonic()))
            try:
                return unpack(self._result_queue.get(timeout=wait))
            except queue.Empty:
                pass
            self._check_workers()
            if deadline is not None and time.monotonic() >= deadline:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    def _check_workers(self):
        """torch's error for workers that died without being told to stop."""
        dead = [i for i, w in enumerate(self._workers) if self._active[i] and not w.is_alive()]
        if not dead:
            return
        pids = ", ".join(str(self._workers[i].pid) for i in dead)
        causes = "; ".join(f"worker {i} {_how_it_ended(self._workers[i].exitcode)}"
                           for i in dead)
        self._shutdown_workers()
        raise RuntimeError(
            f"DataLoader worker (pid(s) {pids}) exited unexpectedly\n"
            f"  ember: {causes}\n"
            "  hint: a worker killed by SIGKILL was often stopped by the out-of-memory killer "
            "(try fewer workers or a smaller batch_size); a crash inside a C extension can be "
            "found by running with num_workers=0")

    def _stop_worker(self, worker_id):
        """An iterable worker ran out of samples: send it no more tasks (and, unless the
        workers persist, tell it to exit)."""
        if not self._persistent_workers:
            self._index_queues[worker_id].put(None)
        self._active[worker_id] = False

    # ------------------------------------------------------------------ stopping

    def _shutdown_workers(self):
        """Tell every worker to stop, give them ``JOIN_S`` seconds, then terminate the rest."""
        if self._shutdown:
            return
        self._shutdown = True
        try:
            self._done_event.set()
            for index_queue in self._index_queues:
                index_queue.put(None)
            deadline = time.monotonic() + JOIN_S
            for worker in self._workers:
                worker.join(timeout=max(0.0, deadline - time.monotonic()))
            for index_queue in self._index_queues:
                index_queue.close()
        finally:
            for worker in self._workers:
                if worker.is_alive():
                    worker.terminate()
                    worker.join(timeout=JOIN_S)
            self._result_queue.cancel_join_thread()
            self._result_queue.close()

    def __del__(self):
        if sys is None or sys.is_finalizing():
            return  # at exit multiprocessing terminates the daemon workers itself
        self._shutdown_workers()


def _how_it_ended(exitcode):
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = str(-exitcode)
        return f"was killed by signal {name}"
    return f"exited with code {exitcode}"
