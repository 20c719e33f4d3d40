"""torch.utils.data.datapipes.map: the common MapDataPipes, registered under their
functional names (``dp.map(f)`` is ``Mapper(dp, f)``)."""

import copy
import random

from ._decorator import functional_datapipe
from .datapipe import DataChunk, IterDataPipe, MapDataPipe
from .iter import _draw_seed

__all__ = ["Batcher", "Concater", "Mapper", "SequenceWrapper", "Shuffler", "Zipper"]


class SequenceWrapper(MapDataPipe):
    """A MapDataPipe over a sequence or mapping (a deep copy of it, unless ``deepcopy`` is
    False)."""

    def __init__(self, sequence, deepcopy=True):
        self.sequence = copy.deepcopy(sequence) if deepcopy else sequence

    def __getitem__(self, index):
        return self.sequence[index]

    def __len__(self):
        return len(self.sequence)


@functional_datapipe("map")
class Mapper(MapDataPipe):
    """``fn`` applied to the item at each index."""

    def __init__(self, datapipe, fn=lambda data: data):
        self.datapipe = datapipe
        self.fn = fn

    def __getitem__(self, index):
        return self.fn(self.datapipe[index])

    def __len__(self):
        return len(self.datapipe)


@functional_datapipe("batch")
class Batcher(MapDataPipe):
    """Item ``i`` is the DataChunk of items ``i*batch_size ... (i+1)*batch_size - 1``."""

    def __init__(self, datapipe, batch_size, drop_last=False, wrapper_class=DataChunk):
        if batch_size <= 0:
            raise AssertionError("Batch size is required to be larger than 0!")
        self.datapipe = datapipe
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.wrapper_class = wrapper_class

    def __getitem__(self, index):
        batch = []
        for i in range(index * self.batch_size, (index + 1) * self.batch_size):
            try:
                batch.append(self.datapipe[i])
            except IndexError:
                if not self.drop_last and batch:
                    return self.wrapper_class(batch)
                raise IndexError(f"Index {index} is out of bound.") from None
        return self.wrapper_class(batch)

    def __len__(self):
        n = len(self.datapipe)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


class Shuffler(IterDataPipe):
    """The items at ``indices`` (all, by default) in an order drawn afresh for each iteration
    (an IterDataPipe, as torch's): the seed comes from ember's default generator."""

    def __init__(self, datapipe, *, indices=None):
        self.datapipe = datapipe
        self.indices = list(range(len(datapipe))) if indices is None else indices
        self._enabled = True
        self._seed = None
        self._rng = random.Random()
        self._shuffled_indices = self.indices

    def set_shuffle(self, shuffle=True):
        self._enabled = shuffle
        return self

    def set_seed(self, seed):
        self._seed = seed
        return self

    def reset(self):
        if self._enabled and self._seed is None:
            self._seed = _draw_seed()
        self._rng.seed(self._seed)
        self._seed = None
        self._shuffled_indices = self._rng.sample(self.indices, len(self.indices))

    def __iter__(self):
        if not self._enabled:
            for k in self.indices:
                yield self.datapipe[k]
            return
        while self._shuffled_indices:
            yield self.datapipe[self._shuffled_indices.pop()]

    def __len__(self):
        return len(self.datapipe)


# an IterDataPipe made from a MapDataPipe: registered on MapDataPipe by hand
MapDataPipe.register_datapipe_as_function("shuffle", Shuffler)


@functional_datapipe("zip")
class Zipper(MapDataPipe):
    """Item ``i`` is the tuple of item ``i`` of each DataPipe; as long as the shortest."""

    def __init__(self, *datapipes):
        if len(datapipes) == 0:
            raise ValueError("Expected at least one DataPipe, but got nothing")
        if not all(isinstance(dp, MapDataPipe) for dp in datapipes):
            raise TypeError("Expected all inputs to be `MapDataPipe`")
        self.datapipes = datapipes

    def __getitem__(self, index):
        try:
            return tuple(dp[index] for dp in self.datapipes)
        except IndexError as e:
            raise IndexError(f"Index {index} is out of range for one of the input MapDataPipes "
                             f"{self.datapipes}.") from e

    def __len__(self):
        return min(len(dp) for dp in self.datapipes)


@functional_datapipe("concat")
class Concater(MapDataPipe):
    """The items of each DataPipe, one after another, indexed as one sequence."""

    def __init__(self, *datapipes):
        if len(datapipes) == 0:
            raise ValueError("Expected at least one DataPipe, but got nothing")
        if not all(isinstance(dp, MapDataPipe) for dp in datapipes):
            raise TypeError("Expected all inputs to be `MapDataPipe`")
        self.datapipes = datapipes

    def __getitem__(self, index):
        offset = 0
        for dp in self.datapipes:
            if index - offset < len(dp):
                return dp[index - offset]
            offset += len(dp)
        raise IndexError(f"Index {index} is out of range.")

    def __len__(self):
        return sum(len(dp) for dp in self.datapipes)
