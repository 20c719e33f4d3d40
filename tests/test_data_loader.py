"""ember's DataLoader in the main process (num_workers=0) against torch's: the same batches
for the same dataset, order and seed, batch_size=None, drop_last, custom samplers and
collate_fn, iterable datasets, len(), and torch's argument errors."""

import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import ember
import ember.utils.data as edata

# isort: off
from test_data_sets import same  # the structure comparison of the dataset tests
# isort: on


class Images:
    """A map-style dataset both libraries can read: (uint8 image, float label, int class)."""

    def __init__(self, n=13):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        image = np.full((3, 4, 4), i % 256, dtype=np.uint8)
        return {"image": image, "target": float(i) / 2, "cls": i % 3}


def batches(loader):
    return list(loader)


def compare(make, seed=0):
    """Batches of ``make(edata, ember)`` equal those of ``make(tdata, torch)`` after the same
    seed, and the default generators end in the same state."""
    ember.manual_seed(seed)
    torch.manual_seed(seed)
    e_loader, t_loader = make(edata, ember), make(tdata, torch)
    e, t = batches(e_loader), batches(t_loader)
    assert len(e) == len(t)
    for a, b in zip(e, t):
        same(a, b)
    assert ember.rand(4).tolist() == torch.rand(4).tolist()
    return e_loader, t_loader


@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (4, False), (4, True),
                                                  (13, False), (20, True)])
def test_sequential_batches_equal_torch(batch_size, drop_last):
    e, t = compare(lambda d, lib: d.DataLoader(Images(), batch_size, drop_last=drop_last))
    assert len(e) == len(t)


@pytest.mark.parametrize("seed", [0, 3])
def test_shuffled_batches_equal_torch(seed):
    compare(lambda d, lib: d.DataLoader(Images(), 4, shuffle=True), seed)
    compare(lambda d, lib: d.DataLoader(Images(), 5, shuffle=True,
                                        generator=lib.Generator().manual_seed(seed)))


def test_shuffle_reshuffles_each_epoch_and_is_reproducible():
    ember.manual_seed(1)
    loader = edata.DataLoader(range(10), batch_size=10, shuffle=True)
    first, second = next(iter(loader)).tolist(), next(iter(loader)).tolist()
    assert first != second and sorted(first) == list(range(10))
    ember.manual_seed(1)
    assert next(iter(loader)).tolist() == first


def test_tensor_dataset_batches():
    x, y = np.random.default_rng(0).normal(size=(10, 3)), np.arange(10)
    compare(lambda d, lib: d.DataLoader(
        d.TensorDataset(lib.tensor(x, dtype=lib.float32), lib.tensor(y)), 3, shuffle=True))


def test_batch_size_none_converts_only():
    compare(lambda d, lib: d.DataLoader(Images(4), batch_size=None))
    compare(lambda d, lib: d.DataLoader(Images(5), batch_size=None, shuffle=True))


def test_custom_sampler_batch_sampler_collate():
    order = [5, 1, 7, 7, 0]
    compare(lambda d, lib: d.DataLoader(Images(), 2, sampler=order))
    compare(lambda d, lib: d.DataLoader(Images(), batch_sampler=[[3, 1], [2], [0, 4, 5]]))
    compare(lambda d, lib: d.DataLoader(Images(), 3, collate_fn=lambda b: [s["cls"] for s in b]))
    compare(lambda d, lib: d.DataLoader(Images(), 3, sampler=d.WeightedRandomSampler(
        [1.0] * 13, 9)))


def make_counter(d):
    class Counter(d.IterableDataset):
        def __init__(self, n, with_len=True):
            self.n = n
            self.with_len = with_len

        def __iter__(self):
            return iter({"x": np.float32(i), "i": i} for i in range(self.n))

        def __len__(self):
            if not self.with_len:
                raise TypeError("no len")
            return self.n

    return Counter


@pytest.mark.parametrize("batch_size,drop_last", [(3, False), (3, True), (None, False),
                                                  (10, False), (10, True)])
def test_iterable_dataset(batch_size, drop_last):
    e, t = compare(lambda d, lib: d.DataLoader(make_counter(d)(7), batch_size,
                                               drop_last=drop_last))
    assert len(e) == len(t)


def test_iterable_dataset_length_warning():
    def run(d):
        loader = d.DataLoader(make_counter(d)(5), batch_size=None)
        assert len(loader) == 5
        loader.dataset.n = 6  # the dataset yields more than len() said
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            list(loader)
        return [str(w.message) for w in caught if "Length of IterableDataset" in str(w.message)]

    e, t = run(edata), run(tdata)
    assert len(e) == len(t) == 1
    assert e[0].split("was reported")[1] == t[0].split("was reported")[1]


def test_iterable_dataset_option_errors():
    counter = make_counter(edata)(3)
    cases = [(dict(shuffle=True), "expected unspecified shuffle option"),
             (dict(sampler=[0]), "expected unspecified sampler option"),
             (dict(batch_sampler=[[0]]), "expected unspecified batch_sampler option")]
    for kwargs, msg in cases:
        with pytest.raises(ValueError, match=msg):
            edata.DataLoader(counter, **kwargs)


@pytest.mark.parametrize("kwargs", [
    dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2),
    dict(num_workers=1, prefetch_factor=-1), dict(persistent_workers=True),
    dict(sampler=[0], shuffle=True), dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], drop_last=True), dict(batch_size=None, drop_last=True),
    dict(multiprocessing_context="fork"), dict(num_workers=1, multiprocessing_context="nope"),
])
def test_option_errors_match_torch(kwargs):
    with pytest.raises(Exception) as t:
        tdata.DataLoader(Images(), **kwargs)
    with pytest.raises(Exception) as e:
        edata.DataLoader(Images(), **kwargs)
    assert type(e.value) is type(t.value) and str(e.value) == str(t.value)


def test_multiprocessing_context_type_error():
    with pytest.raises(TypeError, match="should be a valid context object"):
        edata.DataLoader(Images(), num_workers=1, multiprocessing_context=3)


def test_attributes_frozen_after_init():
    loader = edata.DataLoader(Images(), 2)
    for name in ("batch_size", "sampler", "drop_last", "dataset"):
        with pytest.raises(ValueError, match=f"{name} attribute should not be set after "
                                             f"DataLoader is initialized"):
            setattr(loader, name, None)
    loader.num_workers = 0  # others may change
    assert loader.prefetch_factor is None and loader.collate_fn is edata.default_collate
    assert edata.DataLoader(Images(), None).collate_fn is edata.default_convert


def test_pin_memory_accepted():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = list(edata.DataLoader(Images(4), 2, pin_memory=True))
    assert len(out) == 2 and out[0]["image"].shape == (2, 3, 4, 4)
    if not ember.cuda.is_available():
        assert any("'pin_memory' argument is set as true" in str(w.message) for w in caught)


def test_iterator_len_and_pickling():
    it = iter(edata.DataLoader(Images(), 4))
    assert len(it) == 4
    with pytest.raises(NotImplementedError):
        it.__getstate__()


def test_get_worker_info_in_main_process():
    assert edata.get_worker_info() is None


def test_namespace():
    import ember as torch_like

    assert torch_like.utils.data.DataLoader is edata.DataLoader
    for name in edata.__all__:
        assert hasattr(tdata, name), name
