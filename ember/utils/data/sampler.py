"""Samplers: the order in which a DataLoader reads a map-style dataset, as torch.utils.data.

A sampler is an iterable of indices (``BatchSampler``: of lists of indices).  The random ones
draw from ember's generators exactly as torch's do, so with the same seed they give torch's
order: a permutation is ``randperm(n)``, draws with replacement are ``randint`` in blocks of 32,
weighted draws are ``multinomial``.
"""

import itertools
from typing import Generic, TypeVar

from ... import _dtype, _random
from ...ops.creation import as_tensor, empty

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]

T_co = TypeVar("T_co", covariant=True)


class Sampler(Generic[T_co]):
    """Base class: subclasses define ``__iter__`` (indices) and usually ``__len__``."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


def _seeded_generator():
    """A fresh generator seeded with a random int64 drawn from the default generator: what a
    sampler without its own generator uses for one pass (so ``manual_seed`` fixes the order)."""
    seed = empty((), dtype=_dtype.int64).random_().item()
    return _random.Generator().manual_seed(seed)


class RandomSampler(Sampler):
    """Indices in random order.

    Without replacement: ``randperm(n)``, repeated (and the last one cut) when ``num_samples``
    is not n.  With replacement: ``num_samples`` draws of ``randint(0, n)``, made 32 at a time.
    Without a ``generator`` each pass seeds a fresh one from the default generator.

    Args:
        data_source: the dataset (only its length is used)
        replacement (bool): draw with replacement. Default: False
        num_samples (int, optional): how many indices per pass. Default: len(data_source)
        generator (Generator, optional): the source of randomness
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got "
                            f"replacement={replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self):
        if self._num_samples is None:
            return len(self.data_source)
        return self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        gen = self.generator if self.generator is not None else _seeded_generator()
        wanted = self.num_samples
        if self.replacement:
            for _ in range(wanted // 32):
                yield from _random.randint(0, n, (32,), generator=gen).tolist()
            yield from _random.randint(0, n, (wanted % 32,), generator=gen).tolist()
        else:
            for _ in range(wanted // n):
                yield from _random.randperm(n, generator=gen).tolist()
            yield from _random.randperm(n, generator=gen).tolist()[:wanted % n]

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in random order: ``indices[p]`` for p in ``randperm(len)``."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for p in _random.randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[p]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices in [0, len(weights)), index i with probability proportional to
    ``weights[i]``: ``multinomial(weights, num_samples, replacement)`` on float64 weights."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if (not isinstance(num_samples, int) or isinstance(num_samples, bool)
                or num_samples <= 0):
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got "
                             f"replacement={replacement}")
        weights = as_tensor(weights, dtype=_dtype.float64)
        if weights.dim() != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape "
                             f"{tuple(weights.shape)}")
        self.weights = weights
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        picks = _random.multinomial(self.weights, self.num_samples, self.replacement,
                                    generator=self.generator)
        yield from picks.tolist()

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size``; the last, shorter list
    is kept unless ``drop_last``.

    >>> list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False))
    [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got "
                             f"drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        indices = iter(self.sampler)
        while True:
            batch = list(itertools.islice(indices, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
