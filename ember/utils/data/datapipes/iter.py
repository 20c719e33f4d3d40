"""torch.utils.data.datapipes.iter: the common IterDataPipes, each registered under its
functional name (``dp.map(f)`` is ``Mapper(dp, f)``)."""

import copy as _copy
import random
from collections import deque
from collections.abc import Sized

from ..collate import default_collate
from ._decorator import functional_datapipe
from .datapipe import DataChunk, IterDataPipe

__all__ = ["Batcher", "Collator", "Concater", "Demultiplexer", "Filter", "Forker",
           "IterableWrapper", "Mapper", "Multiplexer", "ShardingFilter", "Shuffler",
           "UnBatcher", "Zipper"]


def _length(dp, sized_inputs, compute):
    """``compute()`` if every input has a length, else torch's TypeError."""
    if all(isinstance(d, Sized) for d in sized_inputs):
        return compute()
    raise TypeError(f"{type(dp).__name__} instance doesn't have valid length")


class IterableWrapper(IterDataPipe):
    """An IterDataPipe over any iterable; with ``deepcopy`` each iteration reads a deep copy
    (so changes to the iterable's items between epochs are not seen)."""

    def __init__(self, iterable, deepcopy=True):
        self.iterable = iterable
        self.deepcopy = deepcopy

    def __iter__(self):
        source = self.iterable
        if self.deepcopy:
            try:
                source = _copy.deepcopy(self.iterable)
            except TypeError:  # not copyable (a generator): read it as it is
                pass
        yield from source

    def __len__(self):
        return _length(self, [self.iterable], lambda: len(self.iterable))


def _apply_fn(fn, data, input_col, output_col):
    """``fn`` on the whole item, or on column(s) ``input_col`` of it; the result replaces the
    item, the (first) input column, or goes to ``output_col`` (-1: appended)."""
    if input_col is None and output_col is None:
        return fn(data)
    if input_col is None:
        result = fn(data)
    elif isinstance(input_col, (list, tuple)):
        result = fn(*[data[c] for c in input_col])
    else:
        result = fn(data[input_col])
    was_tuple = isinstance(data, tuple)
    data = list(data) if was_tuple else data
    if output_col is None:
        if isinstance(input_col, (list, tuple)):
            data[input_col[0]] = result
            for c in sorted(input_col[1:], reverse=True):
                del data[c]
        else:
            data[input_col] = result
    elif output_col == -1:
        data.append(result)
    else:
        data[output_col] = result
    return tuple(data) if was_tuple else data


@functional_datapipe("map")
class Mapper(IterDataPipe):
    """``fn`` applied to each item (or to columns of it: ``input_col``/``output_col``)."""

    def __init__(self, datapipe, fn, input_col=None, output_col=None):
        self.datapipe = datapipe
        self.fn = fn
        self.input_col = input_col
        if input_col is None and output_col is not None:
            raise ValueError("`output_col` must be None when `input_col` is None.")
        if isinstance(output_col, (list, tuple)):
            if len(output_col) > 1:
                raise ValueError("`output_col` must be a single-element list or tuple")
            output_col = output_col[0]
        self.output_col = output_col

    def __iter__(self):
        for data in self.datapipe:
            yield _apply_fn(self.fn, data, self.input_col, self.output_col)

    def __len__(self):
        return _length(self, [self.datapipe], lambda: len(self.datapipe))


@functional_datapipe("filter")
class Filter(IterDataPipe):
    """The items for which ``filter_fn`` (of the item, or of column ``input_col``) is True."""

    def __init__(self, datapipe, filter_fn, input_col=None):
        self.datapipe = datapipe
        self.filter_fn = filter_fn
        self.input_col = input_col

    def __iter__(self):
        for data in self.datapipe:
            if self.input_col is None:
                keep = self.filter_fn(data)
            elif isinstance(self.input_col, (list, tuple)):
                keep = self.filter_fn(*[data[c] for c in self.input_col])
            else:
                keep = self.filter_fn(data[self.input_col])
            if not isinstance(keep, bool):
                raise ValueError("Boolean output is required for `filter_fn` of "
                                 "FilterIterDataPipe, got", type(keep))
            if keep:
                yield data


@functional_datapipe("batch")
class Batcher(IterDataPipe):
    """Consecutive items in lists (``wrapper_class``, DataChunk) of ``batch_size``; the last,
    shorter one is kept unless ``drop_last``."""

    def __init__(self, datapipe, batch_size, drop_last=False, wrapper_class=DataChunk):
        if batch_size <= 0:
            raise AssertionError("Batch size is required to be larger than 0!")
        self.datapipe = datapipe
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.wrapper_class = wrapper_class

    def __iter__(self):
        batch = []
        for x in self.datapipe:
            batch.append(x)
            if len(batch) == self.batch_size:
                yield self.wrapper_class(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.wrapper_class(batch)

    def __len__(self):
        def count():
            n = len(self.datapipe)
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return _length(self, [self.datapipe], count)


@functional_datapipe("unbatch")
class UnBatcher(IterDataPipe):
    """The items of batches again: ``unbatch_level`` levels of lists opened (-1: all)."""

    def __init__(self, datapipe, unbatch_level=1):
        self.datapipe = datapipe
        self.unbatch_level = unbatch_level

    def __iter__(self):
        for element in self.datapipe:
            yield from self._dive(element, self.unbatch_level)

    def _dive(self, element, level):
        if level < -1:
            raise ValueError("unbatch_level must be -1 or >= 0")
        if level == 0 or (level == -1 and not isinstance(element, list)):
            yield element
        elif isinstance(element, list):  # DataChunk is a list
            for item in element:
                yield from self._dive(item, level if level == -1 else level - 1)
        else:
            raise IndexError(f"unbatch_level {self.unbatch_level} exceeds the depth of the "
                             "DataPipe")


@functional_datapipe("shuffle")
class Shuffler(IterDataPipe):
    """A buffer of ``buffer_size`` items shuffled by reservoir sampling: once the buffer is
    full, each new item replaces a uniformly chosen one, which is yielded; at the end the rest
    leaves in random order.  The seed is drawn from ember's default generator at the start of
    each iteration (``set_seed`` fixes it for the next one), so ``manual_seed`` makes the
    order repeat, and equal torch's (same generator, same Python ``random`` draws).
    ``set_shuffle(False)`` (the DataLoader's ``shuffle=False``) passes items through."""

    def __init__(self, datapipe, *, buffer_size=10000, unbatch_level=0):
        if buffer_size <= 0:
            raise AssertionError("buffer_size should be larger than 0")
        self.datapipe = datapipe if unbatch_level == 0 else datapipe.unbatch(
            unbatch_level=unbatch_level)
        self.buffer_size = buffer_size
        self._buffer = []
        self._enabled = True
        self._seed = None
        self._rng = random.Random()

    def set_shuffle(self, shuffle=True):
        self._enabled = shuffle
        return self

    def set_seed(self, seed):
        self._seed = seed
        return self

    def reset(self):
        self._buffer = []
        if self._enabled:
            if self._seed is None:
                self._seed = _draw_seed()
            self._rng.seed(self._seed)
            self._seed = None

    def __iter__(self):
        if not self._enabled:
            yield from self.datapipe
            return
        buffer = self._buffer
        for x in self.datapipe:
            if len(buffer) == self.buffer_size:
                k = self._rng.randint(0, len(buffer) - 1)
                yield buffer[k]
                buffer[k] = x
            else:
                buffer.append(x)
        while buffer:
            yield buffer.pop(self._rng.randint(0, len(buffer) - 1))

    def __len__(self):
        return _length(self, [self.datapipe], lambda: len(self.datapipe))


def _draw_seed():
    """A seed from ember's default generator (an int64 tensor's random_(), as torch)."""
    from .... import _dtype
    from ....ops.creation import empty

    return int(empty((), dtype=_dtype.int64).random_().item())


@functional_datapipe("zip")
class Zipper(IterDataPipe):
    """Tuples of one item from each DataPipe; stops with the shortest."""

    def __init__(self, *datapipes):
        if not all(isinstance(dp, IterDataPipe) for dp in datapipes):
            raise TypeError("All inputs are required to be `IterDataPipe` for "
                            "`ZipIterDataPipe`.")
        self.datapipes = datapipes

    def __iter__(self):
        yield from zip(*self.datapipes)

    def __len__(self):
        return _length(self, self.datapipes, lambda: min(len(d) for d in self.datapipes))


@functional_datapipe("concat")
class Concater(IterDataPipe):
    """The items of each DataPipe, one DataPipe after another."""

    def __init__(self, *datapipes):
        if len(datapipes) == 0:
            raise ValueError("Expected at least one DataPipe, but got nothing")
        if not all(isinstance(dp, IterDataPipe) for dp in datapipes):
            raise TypeError("Expected all inputs to be `IterDataPipe`")
        self.datapipes = datapipes

    def __iter__(self):
        for dp in self.datapipes:
            yield from dp

    def __len__(self):
        return _length(self, self.datapipes, lambda: sum(len(d) for d in self.datapipes))


@functional_datapipe("collate")
class Collator(Mapper):
    """Each item (usually a batch) through ``collate_fn``, default_collate unless given."""

    def __init__(self, datapipe, conversion=default_collate, collate_fn=None):
        if collate_fn is not None:
            fn = collate_fn
        elif callable(conversion):
            fn = conversion
        else:
            raise NotImplementedError("ember's collate takes a function (torch's dict of "
                                      "per-column conversions is for DataFrames)")
        super().__init__(datapipe, fn=fn)


@functional_datapipe("mux")
class Multiplexer(IterDataPipe):
    """One item from each DataPipe in turn, a round at a time; the round in which one of them
    is exhausted is dropped."""

    def __init__(self, *datapipes):
        self.datapipes = datapipes

    def __iter__(self):
        iterators = [iter(dp) for dp in self.datapipes]
        while True:
            row = []
            for it in iterators:
                try:
                    row.append(next(it))
                except StopIteration:
                    return
            yield from row

    def __len__(self):
        return _length(self, self.datapipes,
                       lambda: min(len(d) for d in self.datapipes) * len(self.datapipes))


@functional_datapipe("sharding_filter")
class ShardingFilter(IterDataPipe):
    """Item ``i`` only when ``i % num_of_instances == instance_id``: each DataLoader worker
    (or process) reads its own share.  The DataLoader calls ``apply_sharding`` in each
    worker."""

    def __init__(self, source_datapipe, sharding_group_filter=None):
        self.source_datapipe = source_datapipe
        self.sharding_group_filter = sharding_group_filter
        self.num_of_instances = 1
        self.instance_id = 0

    def is_shardable(self):
        return True

    def apply_sharding(self, num_of_instances, instance_id, sharding_group=None):
        if instance_id >= num_of_instances:
            raise ValueError(f"instance_id({instance_id}) should be smaller than "
                             f"num_of_instances({num_of_instances})")
        self.num_of_instances = num_of_instances
        self.instance_id = instance_id

    def __iter__(self):
        for i, item in enumerate(self.source_datapipe):
            if i % self.num_of_instances == self.instance_id:
                yield item

    def __len__(self):
        def count():
            n = len(self.source_datapipe)
            return n // self.num_of_instances + (self.instance_id < n % self.num_of_instances)
        return _length(self, [self.source_datapipe], count)


class _Shared:
    """One pass over ``source`` read by several children: each child has a queue of the
    items it has not read yet; reading more than ``buffer_size`` ahead of a sibling is an
    error (the items would pile up)."""

    def __init__(self, source, num, classify, buffer_size, drop_none=False, copy_fn=None):
        self.source, self.num, self.classify = source, num, classify
        self.copy_fn = copy_fn
        self.buffer_size, self.drop_none = buffer_size, drop_none
        self.iterator = None
        self.queues = [deque() for _ in range(num)]
        self.started = set()

    def start(self, child):
        """``child`` begins an iteration: a second one by the same child begins a new pass
        over the source for everyone."""
        if child in self.started or self.iterator is None:
            self.iterator = iter(self.source)
            self.queues = [deque() for _ in range(self.num)]
            self.started = set()
        self.started.add(child)

    def next_for(self, child):
        queue = self.queues[child]
        while not queue:
            item = next(self.iterator)  # StopIteration ends the child
            for target in self.classify(item):
                if target is None:
                    continue
                self.queues[target].append(item)
                if self.buffer_size >= 0 and sum(len(q) for q in self.queues) > \
                        self.buffer_size:
                    raise BufferError(f"DataPipe buffer size {self.buffer_size} reached: a "
                                      "child DataPipe was read too far ahead of the others")
        item = queue.popleft()
        return item if self.copy_fn is None else self.copy_fn(item)


class _Child(IterDataPipe):
    def __init__(self, shared, index):
        self.shared = shared
        self.index = index

    def __iter__(self):
        self.shared.start(self.index)
        while True:
            try:
                yield self.shared.next_for(self.index)
            except StopIteration:
                return


def Forker(datapipe, num_instances, buffer_size=1000, copy=None):
    """``num_instances`` DataPipes that each yield every item of ``datapipe``, read once
    (functional name ``fork``); ``copy`` ('shallow' or 'deep'): each child gets a copy of
    each item instead of the item itself."""
    if num_instances < 1:
        raise ValueError(f"Expected `num_instances` larger than 0, but {num_instances} is "
                         "found")
    if num_instances == 1:
        return datapipe
    copies = {None: None, "shallow": _copy.copy, "deep": _copy.deepcopy}
    if copy not in copies:
        raise ValueError(f"Unknown copy method `{copy}` requested, choose one of None, "
                         "`shallow` or `deep`.")
    shared = _Shared(datapipe, num_instances, lambda item: range(num_instances), buffer_size,
                     copy_fn=copies[copy])
    return [_Child(shared, k) for k in range(num_instances)]


def Demultiplexer(datapipe, num_instances, classifier_fn, drop_none=False, buffer_size=1000):
    """``num_instances`` DataPipes: item x goes to child ``classifier_fn(x)`` (None: dropped
    when ``drop_none``) (functional name ``demux``)."""
    if num_instances < 1:
        raise ValueError(f"Expected `num_instances` larger than 0, but {num_instances} is "
                         "found")

    def classify(item):
        target = classifier_fn(item)
        if target is None and drop_none:
            return [None]
        if not isinstance(target, int) or not 0 <= target < num_instances:
            raise ValueError(f"Output of the classification fn should be between 0 and "
                             f"{num_instances - 1}. {target} is returned.")
        return [target]

    shared = _Shared(datapipe, num_instances, classify, buffer_size, drop_none)
    return [_Child(shared, k) for k in range(num_instances)]


IterDataPipe.register_datapipe_as_function("fork", Forker)
IterDataPipe.register_datapipe_as_function("demux", Demultiplexer)
