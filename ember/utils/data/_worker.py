"""What runs inside a DataLoader worker process, and what travels back from it.

Each worker is a separate process with its own copy of the dataset.  It reads
``(task number, indices)`` from its own index queue, fetches and collates that batch, and puts
``(task number, batch)`` on the result queue shared by all workers.  The main process
(``_multiprocess.py``) puts the batches back in order.

A worker is seeded like torch's: ``seed = base_seed + worker_id`` for Python's ``random`` and
ember's default generator, and NumPy's global generator from a SeedSequence of
``[worker_id, low 32 bits of base_seed, high bits, 0]``.  ``base_seed`` is drawn once per
epoch in the main process, so each worker's stream differs and ``manual_seed`` fixes them all.
"""

import os
import pickle
import queue
import random
import sys
import traceback
from dataclasses import dataclass

import numpy as np

from ... import _random
from ._fetch import make_fetcher

# how often (seconds) an idle worker checks that its parent is still alive
WORKER_POLL_S = 0.5

_worker_info = None  # set in a worker process only


@dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker: its ``id`` (0 ..
    ``num_workers`` - 1), the number of workers, its ``seed`` and its copy of the
    ``dataset``."""

    id: int
    num_workers: int
    seed: int
    dataset: object
    rng: object = None  # torch's field for per-worker generators; unused, as in torch's loader
    worker_method: str = "multiprocessing"


def get_worker_info():
    """The ``WorkerInfo`` of this worker process, or None in the main process.

    An IterableDataset uses it in ``__iter__`` to give each worker its own share::

        info = get_worker_info()
        if info is not None:
            start = info.id            # worker k takes samples k, k + n, k + 2n, ...
            step = info.num_workers
    """
    return _worker_info


@dataclass(frozen=True)
class IterableEnd:
    """Sent by a worker whose copy of an IterableDataset is exhausted."""

    worker_id: int


@dataclass(frozen=True)
class ResumeIteration:
    """Sent to persistent workers at the start of a new epoch (and echoed back)."""


class ExceptionWrapper:
    """An exception raised in a worker, carried to the main process as its class and its
    formatted traceback (traceback objects cannot be pickled)."""

    def __init__(self, where):
        exc_type, exc, tb = sys.exc_info()
        self.exc_type = exc_type if _picklable(exc_type) else None
        self.exc_name = exc_type.__name__
        self.exc_msg = "".join(traceback.format_exception(exc_type, exc, tb))
        self.where = where

    def reraise(self):
        """Raise the exception again in this process: torch's "Caught <Error> in DataLoader
        worker process <id>." then the original traceback, as the same exception class."""
        msg = f"Caught {self.exc_name} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            raise KeyError(_KeyErrorMessage(msg))
        try:
            error = self.exc_type(msg)
        except Exception:  # a class that takes other arguments (or could not be pickled)
            raise RuntimeError(msg) from None
        raise error


class _KeyErrorMessage(str):
    """KeyError shows repr() of its argument; this keeps the traceback's line breaks."""

    def __repr__(self):
        return self


def _picklable(obj):
    try:
        pickle.dumps(obj)
        return True
    except Exception:
        return False


def pack(task, data, worker_id):
    """``(task, data)`` as bytes, pickled here in the worker.

    NOTE: a multiprocessing queue pickles in a background thread, and an object that cannot
    be pickled there is dropped with only a printed warning, so the main process would wait
    forever.  Pickling first turns that into an error that reaches the main process.
    """
    try:
        return pickle.dumps((task, data), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        where = f"in DataLoader worker process {worker_id} (while pickling its batch)"
        return pickle.dumps((task, ExceptionWrapper(where)), protocol=pickle.HIGHEST_PROTOCOL)


def unpack(payload):
    return pickle.loads(payload)


def seed_worker(base_seed, worker_id):
    """Seed Python's random, ember's default generator and NumPy's global generator."""
    seed = base_seed + worker_id
    random.seed(seed)
    _random.manual_seed(seed)
    entropy = [worker_id, base_seed & 0xFFFFFFFF, base_seed >> 32, 0]
    np.random.seed(np.random.SeedSequence(entropy).generate_state(4))
    return seed


def worker_loop(iterable, dataset, index_queue, result_queue, done_event, auto_collation,
                collate_fn, drop_last, base_seed, init_fn, worker_id, num_workers):
    """The body of a worker process: seed, run ``worker_init_fn``, then answer tasks until
    told to stop (``None`` on the index queue) or the parent process is gone."""
    global _worker_info
    try:
        seed = seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        where = f"in DataLoader worker process {worker_id}"
        init_error = None
        fetcher = None
        try:
            if getattr(dataset, "_is_datapipe", False):  # each worker reads its own share
                from .datapipes import apply_sharding

                apply_sharding(dataset, num_workers, worker_id)
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = make_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_error = ExceptionWrapper(where)  # reported as the answer to the first task
        exhausted = False  # an iterable dataset ran out: ignore tasks until the next epoch
        parent = os.getppid()
        while os.getppid() == parent:
            try:
                task = index_queue.get(timeout=WORKER_POLL_S)
            except queue.Empty:
                continue
            if task is None:  # the main process says stop
                break
            if isinstance(task, ResumeIteration):
                exhausted = False
                fetcher = make_fetcher(iterable, dataset, auto_collation, collate_fn,
                                       drop_last)
                result_queue.put(pack(task, None, worker_id))
                continue
            if done_event.is_set() or exhausted:
                continue
            number, indices = task
            if init_error is not None:
                data, init_error = init_error, None
            else:
                try:
                    data = fetcher.fetch(indices)
                except StopIteration:
                    if not iterable:
                        data = ExceptionWrapper(where)
                    else:
                        data = IterableEnd(worker_id)
                        exhausted = True
                except Exception:
                    data = ExceptionWrapper(where)
            result_queue.put(pack(number, data, worker_id))
            del data, indices, task
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        # the main process may not read what is still buffered: let this process exit anyway
        result_queue.cancel_join_thread()
        result_queue.close()
