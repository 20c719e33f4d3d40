"""Fetchers: turn what the sampler yields (an index, a list of indices, or nothing for an
iterable dataset) into one collated batch.  The same fetcher runs in the main process
(num_workers=0) and in each worker."""


class MapFetcher:
    """``collate_fn([dataset[i] for i in indices])``, or ``collate_fn(dataset[index])`` when
    auto-collation is off (batch_size=None).  A dataset with ``__getitems__`` fetches the whole
    batch in one call."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        getitems = getattr(self.dataset, "__getitems__", None)
        if getitems:
            return self.collate_fn(getitems(index))
        return self.collate_fn([self.dataset[i] for i in index])


class IterableFetcher:
    """The next ``len(indices)`` samples of ``iter(dataset)`` (the indices are placeholders).

    A short last batch is kept unless ``drop_last``; raises StopIteration when the dataset
    is exhausted.
    """

    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.samples = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.samples))
        batch = []
        for _ in index:
            try:
                batch.append(next(self.samples))
            except StopIteration:
                self.ended = True
                break
        if not batch or (self.drop_last and len(batch) < len(index)):
            raise StopIteration
        return self.collate_fn(batch)


def make_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last):
    kind = IterableFetcher if iterable else MapFetcher
    return kind(dataset, auto_collation, collate_fn, drop_last)
