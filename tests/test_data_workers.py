"""DataLoader worker processes against torch's: the same batches and worker seeds, sharded
iterable datasets, exceptions with the worker's traceback, a killed worker, timeout, early
break and garbage collection (no process left behind), persistent workers.  Every test runs
under a hard time limit so that a hang fails instead of blocking the suite."""

import contextlib
import os
import random
import signal
import time

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import ember
import ember.utils.data as edata

# isort: off
from test_data_sets import same  # the structure comparison of the dataset tests
# isort: on


@contextlib.contextmanager
def bounded(seconds):
    """Fail (instead of hanging) if the block takes longer than ``seconds``."""
    def expire(signum, frame):
        raise TimeoutError(f"test took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def alive(pid):
    """True while ``pid`` runs or is an unreaped zombie (both count as left behind)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "X"
    except (FileNotFoundError, ProcessLookupError):
        return False


def all_gone(pids, within=3.0):
    deadline = time.monotonic() + within
    while any(alive(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


class Items:
    """Sample i: (float32 vector, i, the pid of the process that loaded it)."""

    def __init__(self, n=12, slow=0.0):
        self.n = n
        self.slow = slow

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if self.slow:
            time.sleep(self.slow)
        return np.full(2, i, dtype=np.float32), i, os.getpid()


def strip_pids(batches):
    return [b[:2] for b in batches]


def pids_of(batches):
    return {int(p) for b in batches for p in b[2].tolist()}


def compare(make, seed=0):
    ember.manual_seed(seed)
    torch.manual_seed(seed)
    e = list(make(edata, ember))
    t = list(make(tdata, torch))
    assert len(e) == len(t)
    for a, b in zip(e, t):
        same(a, b)
    assert ember.rand(3).tolist() == torch.rand(3).tolist()  # same draws from the main stream
    return e


@pytest.mark.parametrize("num_workers", [1, 2, 3])
def test_batches_equal_torch(num_workers):
    with bounded(20):
        e = compare(lambda d, lib: strip_pids(d.DataLoader(Items(), 4, num_workers=num_workers)))
        assert all(isinstance(b[0], ember.Tensor) for b in e)
        compare(lambda d, lib: strip_pids(d.DataLoader(Items(11), 3, shuffle=True, drop_last=True,
                                                       num_workers=num_workers)), seed=5)


def test_batch_size_none_and_in_order_false():
    with bounded(20):
        compare(lambda d, lib: strip_pids(d.DataLoader(Items(5), None, num_workers=2)))
        ember.manual_seed(0)
        loader = edata.DataLoader(Items(9, slow=0.01), 2, num_workers=2, in_order=False)
        got = sorted(i for b in loader for i in b[1].tolist())
        assert got == list(range(9))


def test_workers_are_processes_and_stop_at_epoch_end():
    with bounded(20):
        out = list(edata.DataLoader(Items(), 2, num_workers=2))
        pids = pids_of(out)
        assert len(pids) == 2 and os.getpid() not in pids
        assert all_gone(pids)


def seeds_dataset(lib):
    class Seeds:
        def __len__(self):
            return 4

        def __getitem__(self, i):
            info = lib.utils.data.get_worker_info()
            return [info.id, info.num_workers, info.seed, random.random(), lib.rand(2),
                    np.random.rand(), info.dataset is self]

    return Seeds()


def test_worker_seeding_and_info_equal_torch():
    with bounded(20):
        e = compare(lambda d, lib: d.DataLoader(seeds_dataset(lib), None, num_workers=2), seed=11)
        assert [b[0] for b in e] == [0, 1, 0, 1] and all(b[6] for b in e)
        compare(lambda d, lib: d.DataLoader(seeds_dataset(lib), None, num_workers=2,
                                            generator=lib.Generator().manual_seed(4)))


def test_worker_init_fn():
    def init(worker_id):
        np.random.seed(100 + worker_id)

    class Draw:
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return np.random.randint(1000)

    with bounded(20):
        got = list(edata.DataLoader(Draw(), None, num_workers=2, worker_init_fn=init))
        assert [int(v) for v in got] == [np.random.RandomState(100 + k).randint(1000)
                                         for k in (0, 1)]


def sharded(lib, n=10, lengths=None):
    class Sharded(lib.utils.data.IterableDataset):
        def __iter__(self):
            info = lib.utils.data.get_worker_info()
            k, w = (info.id, info.num_workers) if info is not None else (0, 1)
            stop = n if lengths is None else lengths[k]
            return iter(range(k, stop, w))

    return Sharded()


@pytest.mark.parametrize("batch_size,drop_last", [(2, False), (3, True), (None, False)])
@pytest.mark.parametrize("lengths", [None, (9, 3)])
def test_iterable_sharding_equals_torch(batch_size, drop_last, lengths):
    with bounded(20):
        e = compare(lambda d, lib: d.DataLoader(sharded(lib, lengths=lengths), batch_size,
                                                drop_last=drop_last, num_workers=2))
        if lengths is None and batch_size is None:
            assert sorted(int(v) for v in e) == list(range(10))


class Failing:
    """Raises ``error`` for sample ``bad``."""

    def __init__(self, error, bad=5):
        self.error = error
        self.bad = bad

    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == self.bad:
            raise self.error
        return i


def first_error(lib, dataset, **kwargs):
    """The exception a 2-worker loader over ``dataset`` raises; its workers are stopped at
    once (the traceback would otherwise keep the iterator alive until a later collection)."""
    it = iter(lib.utils.data.DataLoader(dataset, 2, num_workers=2, **kwargs))
    try:
        for _ in it:
            pass
    except Exception as error:
        caught = error
    else:
        raise AssertionError("no exception")
    it._shutdown_workers()
    return caught.with_traceback(None)


@pytest.mark.parametrize("error", [ValueError("bad sample 5"), KeyError("missing"),
                                   ZeroDivisionError("division by zero")])
def test_worker_exception_reraised_like_torch(error):
    with bounded(20):
        e, t = first_error(ember, Failing(error)), first_error(torch, Failing(error))
        assert type(e) is type(t)
        e_lines, t_lines = str(e).splitlines(), str(t).splitlines()
        assert e_lines[0] == t_lines[0] == f"Caught {type(error).__name__} in DataLoader worker " \
                                           f"process 0."
        assert e_lines[1] == "Original Traceback (most recent call last):"
        assert "in __getitem__" in str(e) and "raise self.error" in str(e)
        assert e_lines[-1] == t_lines[-1]


def test_worker_exception_odd_class_and_continue():
    class TwoArgs(Exception):
        def __init__(self, a, b):
            super().__init__(a, b)

    with bounded(20):
        e = first_error(ember, Failing(TwoArgs(1, 2)))
        assert type(e) is RuntimeError and "Caught TwoArgs in DataLoader worker process 0" in str(e)
        # the iterator goes on after a failed batch, as torch's
        for lib in (edata, tdata):
            it = iter(lib.DataLoader(Failing(ValueError("x"), bad=1), 2, num_workers=2))
            with pytest.raises(ValueError):
                next(it)
            assert next(it).tolist() == [2, 3]
            it._shutdown_workers()


def test_worker_init_fn_exception():
    def init(worker_id):
        raise RuntimeError(f"init failed in {worker_id}")

    with bounded(20):
        e = first_error(ember, Items(), worker_init_fn=init)
        assert str(e).startswith("Caught RuntimeError in DataLoader worker process 0.")
        assert "init failed in 0" in str(e)


def test_unpicklable_batch_is_an_error_not_a_hang():
    with bounded(20):
        loader = edata.DataLoader(Items(4), 2, num_workers=1, collate_fn=lambda b: lambda: b)
        with pytest.raises(Exception, match="in DataLoader worker process 0 .while pickling"):
            next(iter(loader))


class Suicidal(Items):
    def __getitem__(self, i):
        if i == 6:
            os.kill(os.getpid(), signal.SIGKILL)
        return super().__getitem__(i)


def test_killed_worker_detected_promptly():
    with bounded(20):
        it = iter(edata.DataLoader(Suicidal(), 2, num_workers=2))
        pids = [w.pid for w in it._workers]
        with pytest.raises(RuntimeError) as info:  # within bounded()'s 20 s, on a busy machine
            list(it)
        msg = str(info.value)
        assert msg.startswith(f"DataLoader worker (pid(s) {pids[1]}) exited unexpectedly")
        assert "killed by signal SIGKILL" in msg
        assert all_gone(pids)


def test_timeout():
    with bounded(20):
        it = iter(edata.DataLoader(Items(4, slow=1.0), 2, num_workers=1, timeout=0.3))
        pids = [w.pid for w in it._workers]
        with pytest.raises(RuntimeError, match=r"^DataLoader timed out after 0.3 seconds$"):
            next(it)  # the item takes 1 s: only the timeout can end this call before it
        del it
        assert all_gone(pids)


def test_early_break_and_garbage_collection_leave_no_process():
    with bounded(20):
        pids = set()
        for k, batch in enumerate(edata.DataLoader(Items(40, slow=0.01), 2, num_workers=2)):
            pids |= {int(p) for p in batch[2].tolist()}
            if k == 1:  # batches 0 and 1 come from workers 0 and 1
                break
        assert len(pids) == 2
        assert all_gone(pids)
        it = iter(edata.DataLoader(Items(40), 2, num_workers=2))
        next(it)
        pids = [w.pid for w in it._workers]
        assert all(alive(p) for p in pids)
        del it
        assert all_gone(pids)


def test_persistent_workers_reused_and_equal_torch():
    def epochs(d, lib):
        loader = d.DataLoader(Items(10), 3, shuffle=True, num_workers=2, persistent_workers=True)
        out = []
        for epoch in range(3):
            for k, batch in enumerate(loader):
                if epoch == 1 and k == 1:
                    break  # an epoch cut short leaves answers in flight: they are dropped
                out.append(batch)
        return out

    with bounded(30):
        e = compare(lambda d, lib: strip_pids(epochs(d, lib)), seed=2)
        assert len(e) == 4 + 1 + 4
        ember.manual_seed(0)
        loader = edata.DataLoader(Items(6), 2, num_workers=2, persistent_workers=True)
        first, second = pids_of(list(loader)), pids_of(list(loader))
        assert first == second and all(alive(p) for p in first)
        del loader
        assert all_gone(first)


def test_persistent_workers_iterable():
    with bounded(20):
        loader = edata.DataLoader(sharded(ember, 7), 2, num_workers=2, persistent_workers=True)
        one = [v for b in loader for v in b.tolist()]
        two = [v for b in loader for v in b.tolist()]
        assert sorted(one) == sorted(two) == list(range(7))


def test_spawn_context():
    with bounded(60):
        data = edata.TensorDataset(ember.arange(6))
        loader = edata.DataLoader(data, 2, num_workers=1, multiprocessing_context="spawn")
        assert [b[0].tolist() for b in loader] == [[0, 1], [2, 3], [4, 5]]


def test_prefetch_factor_zero_refused_like_torch():
    for lib in (edata, tdata):
        loader = lib.DataLoader(Items(4), 2, num_workers=1, prefetch_factor=0)
        with pytest.raises(AssertionError, match="prefetch_factor must be greater than 0"):
            iter(loader)


def test_worker_info_repr_and_frozen():
    from torch.utils.data._utils.worker import WorkerInfo as TorchWorkerInfo

    from ember.utils.data._worker import WorkerInfo

    args = dict(id=1, num_workers=2, seed=7, dataset=[1, 2])
    assert repr(WorkerInfo(**args)) == repr(TorchWorkerInfo(**args))
    with pytest.raises(AttributeError):
        WorkerInfo(**args).id = 0
