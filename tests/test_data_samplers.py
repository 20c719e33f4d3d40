"""ember.utils.data samplers against torch.utils.data: the same indices for the same seed
(default generator and explicit generators), DistributedSampler's index assignment for many
settings, lengths and argument errors."""

import itertools

import pytest
import torch
import torch.utils.data as tdata
from torch.utils.data.distributed import DistributedSampler as TorchDistributedSampler

import ember
import ember.utils.data as edata

DATA = list(range(23))


def both(make, seed=0):
    """Indices of one pass of the ember sampler and of torch's, after the same manual_seed."""
    ember.manual_seed(seed)
    torch.manual_seed(seed)
    return list(make(edata, ember)), list(make(tdata, torch))


def test_sequential():
    e, t = both(lambda d, lib: d.SequentialSampler(DATA))
    assert e == t == DATA and len(edata.SequentialSampler(DATA)) == 23


@pytest.mark.parametrize("seed", [0, 1, 12345])
@pytest.mark.parametrize("replacement,num_samples",
                         [(False, None), (False, 5), (False, 50), (True, None), (True, 7),
                          (True, 70), (True, 32), (True, 64)])
def test_random_sampler_default_generator(seed, replacement, num_samples):
    e, t = both(lambda d, lib: d.RandomSampler(DATA, replacement, num_samples), seed)
    assert e == t
    assert len(edata.RandomSampler(DATA, replacement, num_samples)) == len(t)


def test_random_sampler_generator_and_reproducibility():
    def make(d, lib):
        g = lib.Generator().manual_seed(42)
        s = d.RandomSampler(DATA, generator=g)
        return list(s) + list(s)  # two passes continue the generator's stream

    e, t = both(make)
    assert e == t and sorted(e[:23]) == DATA and e[:23] != e[23:]
    ember.manual_seed(3)
    first = list(edata.RandomSampler(DATA))
    ember.manual_seed(3)
    assert list(edata.RandomSampler(DATA)) == first


def test_random_sampler_consumes_default_stream_like_torch():
    # after one pass, the default generator is where torch's is
    e, t = both(lambda d, lib: list(d.RandomSampler(DATA)) + lib.rand(3).tolist(), 9)
    assert e == t


def test_random_sampler_errors():
    for kwargs, err, msg in [(dict(replacement=1), TypeError, "replacement should be a boolean"),
                             (dict(num_samples=0), ValueError, "num_samples should be a positive"),
                             (dict(num_samples=2.5), ValueError, "num_samples should be")]:
        with pytest.raises(err, match=msg):
            edata.RandomSampler(DATA, **kwargs)


def test_subset_random_sampler():
    idx = [5, 9, 11, 2, 7]
    e, t = both(lambda d, lib: d.SubsetRandomSampler(idx), 4)
    assert e == t and sorted(e) == sorted(idx)
    e, t = both(lambda d, lib: d.SubsetRandomSampler(idx, lib.Generator().manual_seed(8)))
    assert e == t and len(edata.SubsetRandomSampler(idx)) == 5


@pytest.mark.parametrize("replacement", [True, False])
def test_weighted_random_sampler(replacement):
    w = [0.1, 0.9, 0.4, 0.7, 3.0, 0.6]
    e, t = both(lambda d, lib: d.WeightedRandomSampler(w, 5, replacement), 2)
    assert e == t
    e, t = both(lambda d, lib: d.WeightedRandomSampler(w, 4, replacement,
                                                        lib.Generator().manual_seed(1)))
    assert e == t and len(edata.WeightedRandomSampler(w, 4)) == 4


def test_weighted_random_sampler_errors():
    cases = [((DATA, 0), "num_samples should be a positive"),
             ((DATA, True), "num_samples should be a positive"),
             ((DATA, 3, 1), "replacement should be a boolean"),
             (([[1.0, 2.0]], 1), r"weights should be a 1d sequence but given weights have "
                                 r"shape \(1, 2\)")]
    for args, msg in cases:
        with pytest.raises(ValueError, match=msg):
            edata.WeightedRandomSampler(*args)


@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (4, False), (4, True),
                                                  (23, True), (30, False), (30, True)])
def test_batch_sampler(batch_size, drop_last):
    e = edata.BatchSampler(edata.SequentialSampler(DATA), batch_size, drop_last)
    t = tdata.BatchSampler(tdata.SequentialSampler(DATA), batch_size, drop_last)
    assert list(e) == list(t) and len(e) == len(t)
    e, t = both(lambda d, lib: d.BatchSampler(d.RandomSampler(DATA), batch_size, drop_last), 5)
    assert e == t


def test_batch_sampler_errors():
    for args, msg in [((DATA, 0, False), "batch_size should be a positive"),
                      ((DATA, True, False), "batch_size should be a positive"),
                      ((DATA, 2, 0), "drop_last should be a boolean")]:
        with pytest.raises(ValueError, match=msg):
            edata.BatchSampler(*args)


@pytest.mark.parametrize("n", [10, 11, 3])
@pytest.mark.parametrize("num_replicas", [1, 3, 4])
@pytest.mark.parametrize("shuffle,drop_last", [(True, False), (False, False), (True, True),
                                               (False, True)])
def test_distributed_sampler(n, num_replicas, shuffle, drop_last):
    data = list(range(n))
    for rank, seed in itertools.product(range(num_replicas), (0, 5)):
        e = edata.DistributedSampler(data, num_replicas, rank, shuffle, seed, drop_last)
        t = TorchDistributedSampler(data, num_replicas, rank, shuffle, seed, drop_last)
        assert (e.num_samples, e.total_size, len(e)) == (t.num_samples, t.total_size, len(t))
        for epoch in (0, 1, 7):
            e.set_epoch(epoch)
            t.set_epoch(epoch)
            assert list(e) == list(t), (rank, seed, epoch)


def test_distributed_sampler_covers_dataset_and_errors():
    shares = [list(edata.DistributedSampler(DATA, 4, r, seed=1)) for r in range(4)]
    assert sorted(set(sum(shares, []))) == DATA and len(sum(shares, [])) == 24
    with pytest.raises(ValueError, match=r"Invalid rank 4, rank should be in the interval "
                                         r"\[0, 3\]"):
        edata.DistributedSampler(DATA, 4, 4)
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        edata.DistributedSampler(DATA)
