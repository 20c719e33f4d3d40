"""torch.utils.data.datapipes: DataPipes (chainable datasets), their decorators, and the
common ones in ``iter`` and ``map``."""

from . import iter, map
from ._decorator import (
    argument_validation,
    functional_datapipe,
    guaranteed_datapipes_determinism,
    non_deterministic,
    runtime_validation,
    runtime_validation_disabled,
)
from .datapipe import DataChunk, DFIterDataPipe, IterDataPipe, MapDataPipe

__all__ = ["DataChunk", "DFIterDataPipe", "IterDataPipe", "MapDataPipe", "argument_validation",
           "functional_datapipe", "guaranteed_datapipes_determinism", "iter", "map",
           "non_deterministic", "runtime_validation", "runtime_validation_disabled"]


def _datapipes_in(dp):
    """Every DataPipe of the graph that ends in ``dp``, ``dp`` first, then depth first the
    DataPipes each one holds in its attributes (alone or in lists/tuples), in their order."""
    found, stack, seen = [], [dp], set()
    while stack:
        d = stack.pop()
        if id(d) in seen:
            continue
        seen.add(id(d))
        found.append(d)
        inner = []
        for value in vars(d).values():
            if hasattr(value, "source") and hasattr(value, "queues"):
                value = value.source  # fork/demux children read a shared source
            values = value if isinstance(value, (list, tuple)) else [value]
            inner.extend(v for v in values if isinstance(v, (IterDataPipe, MapDataPipe)))
        stack.extend(reversed(inner))
    return found


def apply_random_seed(datapipe, rng):
    """Give every DataPipe with ``set_seed`` (a shuffle) a seed drawn from ``rng``."""
    from .... import _dtype
    from ....ops.creation import empty

    for d in _datapipes_in(datapipe):
        if hasattr(d, "set_seed"):
            d.set_seed(int(empty((), dtype=_dtype.int64).random_(generator=rng).item()))
    return datapipe


def apply_shuffle_settings(datapipe, shuffle=None):
    """``set_shuffle(shuffle)`` on every shuffling DataPipe of the graph (None: unchanged)."""
    if shuffle is not None:
        for d in _datapipes_in(datapipe):
            if hasattr(d, "set_shuffle"):
                d.set_shuffle(shuffle)
    return datapipe


def apply_sharding(datapipe, num_of_instances, instance_id):
    """Give every sharding_filter of the graph its share (a DataLoader worker's)."""
    for d in _datapipes_in(datapipe):
        if hasattr(d, "apply_sharding"):
            d.apply_sharding(num_of_instances, instance_id)
    return datapipe
