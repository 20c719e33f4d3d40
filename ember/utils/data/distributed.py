"""DistributedSampler: each of ``num_replicas`` processes reads its own share of a dataset,
as torch.utils.data.distributed."""

import math

from ... import _random
from .sampler import Sampler

__all__ = ["DistributedSampler"]


def _process_group():
    """(world size, rank) of the initialised process group, or torch's error when there is
    none (ember.distributed may not exist yet)."""
    try:
        from ... import distributed as dist
    except ImportError:
        dist = None
    if dist is None or not dist.is_initialized():
        raise ValueError("Default process group has not been initialized, please make sure to "
                         "call init_process_group.")
    return dist.get_world_size(), dist.get_rank()


class DistributedSampler(Sampler):
    """The indices of replica ``rank`` out of ``num_replicas``.

    One pass: the order is ``randperm(len(dataset))`` from a generator seeded with
    ``seed + epoch`` (or 0..n-1 without ``shuffle``); it is padded to a multiple of
    ``num_replicas`` by repeating its start (or, with ``drop_last``, its tail is cut), and
    replica r takes every ``num_replicas``-th index from position r.  Call ``set_epoch(e)``
    before each epoch to reshuffle; every replica computes the same order.

    Args:
        dataset: the dataset (its length is used)
        num_replicas (int, optional): processes in the group. Default: the group's world size
        rank (int, optional): this process's rank. Default: the group's rank
        shuffle (bool): shuffle the indices. Default: True
        seed (int): the shuffle's seed, the same on every replica. Default: 0
        drop_last (bool): drop the tail instead of padding. Default: False
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None or rank is None:
            world, own_rank = _process_group()
            num_replicas = world if num_replicas is None else num_replicas
            rank = own_rank if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas:
            # the largest multiple of num_replicas below n, shared out
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            gen = _random.Generator().manual_seed(self.seed + self.epoch)
            order = _random.randperm(n, generator=gen).tolist()
        else:
            order = list(range(n))
        if self.drop_last:
            order = order[:self.total_size]
        else:
            missing = self.total_size - len(order)
            repeats = math.ceil(missing / len(order)) if order else 0
            order = order + (order * repeats)[:missing]
        return iter(order[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Use ``seed + epoch`` for the next pass's shuffle (call it at each epoch's start)."""
        self.epoch = epoch
