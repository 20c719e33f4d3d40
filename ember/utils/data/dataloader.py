"""DataLoader: batches from a dataset, in the main process or in worker processes, as
torch.utils.data.DataLoader.

The pipeline of one batch::

    sampler -> (BatchSampler) -> indices -> fetch samples -> collate_fn -> batch

With ``num_workers=0`` this runs in the main process (``SingleProcessIter`` below); with
``num_workers > 0`` worker processes run the fetch and collate (``_multiprocess.py``).
"""

import math
import multiprocessing
import os
import warnings

from ... import _dtype, _random
from ...ops.creation import empty
from . import collate as _collate
from ._fetch import make_fetcher
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info", "default_collate", "default_convert"]

from ._worker import get_worker_info  # noqa: E402

default_collate = _collate.default_collate
default_convert = _collate.default_convert


class _InfiniteConstantSampler(Sampler):
    """The sampler of an iterable dataset: None forever (the dataset decides when to stop)."""

    def __iter__(self):
        while True:
            yield None


class DataLoader:
    """Iterate over ``dataset`` in batches.

    Args:
        dataset: a map-style ``Dataset`` (``__getitem__``/``__len__``) or an
            ``IterableDataset``
        batch_size (int or None): samples per batch; None turns batching off (each sample is
            only converted with ``default_convert``). Default: 1
        shuffle (bool): reshuffle the order every epoch (map-style only). Default: False
        sampler: the order of the indices (instead of ``shuffle``)
        batch_sampler: yields whole lists of indices (instead of ``batch_size``, ``shuffle``,
            ``sampler`` and ``drop_last``)
        num_workers (int): worker processes; 0 loads in the main process. Default: 0
        collate_fn: list of samples -> batch. Default: ``default_collate``
        pin_memory (bool): accepted; pinned host memory is a no-op (ember has no CUDA
            pinned allocator yet). Default: False
        drop_last (bool): drop the last batch when it is short. Default: False
        timeout (float): seconds to wait for a batch from the workers before raising;
            0 waits forever. Default: 0
        worker_init_fn: called with the worker id in each worker, after seeding
        multiprocessing_context: a start method name ('fork', 'spawn', 'forkserver') or a
            context. Default: the platform's default (fork on Linux)
        generator (Generator): draws the random sampler's seed and the workers' base seed
        prefetch_factor (int): batches loaded in advance per worker. Default: 2 with workers
        persistent_workers (bool): keep the workers between epochs. Default: False
        in_order (bool): deliver batches in sampler order. Default: True
    """

    _initialized = False

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable and getattr(dataset, "_is_datapipe", False):
            # a DataPipe graph: shuffle switches its shuffle steps on or off (None: as built)
            from .datapipes import apply_shuffle_settings

            self.dataset = apply_shuffle_settings(dataset, shuffle=shuffle)
            shuffle = None
        if self._iterable:
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")

        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._IterableDataset_len_called = None  # len(dataset) when len(loader) was asked
        self._iterator = None
        self._initialized = True
        self.check_worker_number_rationality()

    # ------------------------------------------------------------------ settings

    @property
    def multiprocessing_context(self):
        return self._multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context):
        if context is not None:
            if self.num_workers == 0:
                raise ValueError(f"multiprocessing_context can only be used with multi-process "
                                 f"loading (num_workers > 0), but got "
                                 f"num_workers={self.num_workers}")
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError(f"multiprocessing_context option should specify a valid "
                                     f"start method in {methods!r}, but got "
                                     f"multiprocessing_context={context!r}")
                context = multiprocessing.get_context(context)
            if not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError(f"multiprocessing_context option should be a valid context "
                                f"object or a string specifying the start method, but got "
                                f"multiprocessing_context={context}")
        self._multiprocessing_context = context

    def __setattr__(self, name, value):
        if self._initialized and name in ("batch_size", "batch_sampler", "sampler",
                                          "drop_last", "dataset", "persistent_workers"):
            raise ValueError(f"{name} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        """What the iterator draws from: lists of indices when batching, else indices."""
        return self.batch_sampler if self._auto_collation else self.sampler

    def check_worker_number_rationality(self):
        """Warn (as torch) when there are more workers than CPUs this process may use."""
        if not self.num_workers:
            return
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
        if cpus is None or self.num_workers > cpus:
            warnings.warn(f"This DataLoader will create {self.num_workers} worker processes in "
                          f"total. Our suggested max number of worker in current system is "
                          f"{cpus}, which is smaller than what this DataLoader is going to "
                          f"create. Please be aware that excessive worker creation might get "
                          f"DataLoader running slow or even freeze, lower the worker number to "
                          f"avoid potential slowness/freeze if necessary.", stacklevel=3)

    # ------------------------------------------------------------------ iteration

    def __iter__(self):
        if self.num_workers == 0:
            return SingleProcessIter(self)
        from ._multiprocess import MultiProcessIter

        if self.persistent_workers and self._iterator is not None:
            self._iterator._reset(self)  # the same workers start the next epoch
            return self._iterator
        self.check_worker_number_rationality()
        iterator = MultiProcessIter(self)
        if self.persistent_workers:
            self._iterator = iterator
        return iterator

    def __len__(self):
        if not self._iterable:
            return len(self._index_sampler)
        length = self._IterableDataset_len_called = len(self.dataset)
        if self.batch_size is not None:
            length = length // self.batch_size if self.drop_last else math.ceil(
                length / self.batch_size)
        return length


def _seed_datapipes(datapipe, generator):
    """As torch, once per epoch: one seed from the loader's generator seeds a new generator,
    which gives each random DataPipe of the graph (a shuffle) its seed for the epoch."""
    from .datapipes import apply_random_seed

    shared = empty((), dtype=_dtype.int64).random_(generator=generator).item()
    apply_random_seed(datapipe, _random.Generator().manual_seed(shared))


class BaseIter:
    """What both iterators share: the sampler's iterator, the workers' base seed (drawn here,
    once per iterator, as torch does even without workers) and the length warning."""

    def __init__(self, loader):
        self._dataset = loader.dataset
        if getattr(self._dataset, "_is_datapipe", False):
            _seed_datapipes(self._dataset, loader.generator)
        self._iterable = loader._iterable
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._timeout = loader.timeout
        self._collate_fn = loader.collate_fn
        self._persistent_workers = loader.persistent_workers
        self._IterableDataset_len_called = loader._IterableDataset_len_called
        if loader.pin_memory:
            from ... import cuda

            if not cuda.is_available():
                warnings.warn("'pin_memory' argument is set as true but no accelerator is found, "
                              "then device pinned memory won't be used.", stacklevel=3)
        self._sampler_iter = iter(self._index_sampler)
        seed = empty((), dtype=_dtype.int64).random_(generator=loader.generator)
        self._base_seed = seed.item()
        self._num_yielded = 0

    def __iter__(self):
        return self

    def _reset(self, loader):
        if getattr(self._dataset, "_is_datapipe", False):
            _seed_datapipes(self._dataset, loader.generator)
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._IterableDataset_len_called = loader._IterableDataset_len_called

    def _next_index(self):
        return next(self._sampler_iter)

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        reported = self._IterableDataset_len_called
        if self._iterable and reported is not None and self._num_yielded > reported:
            msg = (f"Length of IterableDataset {self._dataset} was reported to be {reported}"
                   f"(when accessing len(dataloader)), but {self._num_yielded} samples have "
                   f"been fetched. ")
            if self._num_workers > 0:
                msg += ("For multiprocessing data-loading, this could be caused by not properly "
                        "configuring the IterableDataset replica at each worker. Please see "
                        "https://pytorch.org/docs/stable/data.html#torch.utils.data."
                        "IterableDataset for examples.")
            warnings.warn(msg, stacklevel=2)
        return data

    def __len__(self):
        return len(self._index_sampler)

    def __getstate__(self):
        raise NotImplementedError("{} cannot be pickled", type(self).__name__)


class SingleProcessIter(BaseIter):
    """Fetch and collate each batch in the main process."""

    def __init__(self, loader):
        super().__init__(loader)
        self._fetcher = make_fetcher(self._iterable, self._dataset, self._auto_collation,
                                     self._collate_fn, self._drop_last)

    def _next_data(self):
        return self._fetcher.fetch(self._next_index())
