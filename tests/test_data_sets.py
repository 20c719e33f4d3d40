"""ember.utils.data datasets and collate rules against torch.utils.data: every dataset class,
random_split with the same seed, default_collate/default_convert output types and dtypes, and
their errors."""

import collections
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import ember
import ember.utils.data as edata

from conftest import assert_same


def same(e, t):
    """An ember structure (tensors in dicts, lists, tuples...) equals torch's, exactly."""
    if isinstance(t, torch.Tensor):
        assert_same(e, t, rtol=0, atol=0)
    elif isinstance(t, dict):
        assert type(e) is type(t) and list(e) == list(t)
        for key in t:
            same(e[key], t[key])
    elif isinstance(t, (list, tuple)):
        assert type(e).__name__ == type(t).__name__ and len(e) == len(t)
        for a, b in zip(e, t):
            same(a, b)
    elif isinstance(t, np.ndarray):
        assert isinstance(e, np.ndarray) and e.dtype == t.dtype
        np.testing.assert_array_equal(e, t)
    else:
        assert type(e) is type(t) and e == t


# ---------------------------------------------------------------------------- datasets


def test_tensor_dataset():
    x = np.arange(12.0).reshape(6, 2).astype(np.float32)
    y = np.arange(6)
    e = edata.TensorDataset(ember.tensor(x), ember.tensor(y))
    t = tdata.TensorDataset(torch.tensor(x), torch.tensor(y))
    assert len(e) == len(t) == 6
    for i in (0, 5, -1, slice(1, 4)):
        same(e[i], t[i])
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        edata.TensorDataset(ember.zeros(3), ember.zeros(4))


def test_concat_dataset_and_add():
    parts = [list(range(3)), list(range(10, 15)), [], list(range(20, 22))]
    e, t = edata.ConcatDataset(parts), tdata.ConcatDataset(parts)
    assert len(e) == len(t) == 10 and e.cumulative_sizes == t.cumulative_sizes
    assert [e[i] for i in range(-10, 10)] == [t[i] for i in range(-10, 10)]
    with pytest.raises(ValueError, match="absolute value of index"):
        e[-11]
    with pytest.raises(IndexError):
        e[10]
    with pytest.raises(AssertionError, match="should not be an empty iterable"):
        edata.ConcatDataset([])

    class Three(edata.Dataset):
        def __getitem__(self, i):
            return [1, 2, 3][i]

        def __len__(self):
            return 3

    both = Three() + Three()
    assert isinstance(both, edata.ConcatDataset) and [both[i] for i in range(6)] == [1, 2, 3] * 2
    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        edata.ConcatDataset([Three(), Counter(2)])
    with pytest.raises(NotImplementedError):
        edata.Dataset()[0]


class Counter(edata.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_chain_dataset_and_add():
    chain = Counter(3) + Counter(2)
    assert isinstance(chain, edata.ChainDataset)
    assert list(chain) == [0, 1, 2, 0, 1] and len(chain) == 5
    bad = edata.ChainDataset([Counter(1), [5, 6]])
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        list(bad)
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        len(bad)


def test_subset():
    data = list(range(100, 110))
    e, t = edata.Subset(data, [3, 1, 4]), tdata.Subset(data, [3, 1, 4])
    assert len(e) == 3 and [e[i] for i in range(3)] == [t[i] for i in range(3)]
    assert e.__getitems__([2, 0]) == t.__getitems__([2, 0]) == [104, 103]

    class Doubling(edata.Subset):
        def __getitem__(self, i):
            return 2 * super().__getitem__(i)

    with pytest.raises(NotImplementedError, match="overrides __getitem__ but not __getitems__"):
        Doubling(data, [0])


def test_stack_dataset():
    a, b = list(range(4)), ["w", "x", "y", "z"]
    e, t = edata.StackDataset(a, b), tdata.StackDataset(a, b)
    assert len(e) == 4 and [e[i] for i in range(4)] == [t[i] for i in range(4)]
    assert e.__getitems__([3, 1]) == t.__getitems__([3, 1])
    e, t = edata.StackDataset(num=a, sub=edata.Subset(b, [3, 2, 1, 0])), tdata.StackDataset(
        num=a, sub=tdata.Subset(b, [3, 2, 1, 0]))
    assert e[2] == t[2] and e.__getitems__([0, 3]) == t.__getitems__([0, 3])
    for args, kwargs, msg in [((a,), {"x": b}, "both types are given"),
                              ((), {}, "At least one dataset"),
                              ((a, b[:3]), {}, "Size mismatch")]:
        with pytest.raises(ValueError, match=msg):
            edata.StackDataset(*args, **kwargs)


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.5, 0.25, 0.25], [0.33, 0.33, 0.34],
                                     [10]])
def test_random_split_equals_torch(lengths):
    data = list(range(10))
    ember.manual_seed(7)
    torch.manual_seed(7)
    e, t = edata.random_split(data, lengths), tdata.random_split(data, lengths)
    assert [list(s) for s in e] == [list(s) for s in t]
    assert all(isinstance(s, edata.Subset) for s in e)
    e = edata.random_split(data, lengths, generator=ember.Generator().manual_seed(3))
    t = tdata.random_split(data, lengths, generator=torch.Generator().manual_seed(3))
    assert [s.indices for s in e] == [s.indices for s in t]


def test_random_split_errors():
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        edata.random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="Fraction at index 1 is not between 0 and 1"):
        edata.random_split(range(10), [0.0, -0.5, 1.5])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parts = edata.random_split(range(2), [0.5, 0.5, 0.0])
    assert [len(p) for p in parts] == [1, 1, 0]
    assert "Length of split at index 2 is 0" in str(caught[0].message)


# ---------------------------------------------------------------------------- collate

Point = collections.namedtuple("Point", ["x", "y"])

BATCHES = {
    "tensors": lambda lib: [lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0])],
    "int64 tensors": lambda lib: [lib.tensor([[1, 2]]), lib.tensor([[3, 4]])],
    "float64 numpy": lambda lib: [np.ones(3), np.zeros(3)],
    "float32 numpy": lambda lib: [np.ones((2, 2), np.float32), np.zeros((2, 2), np.float32)],
    "int32 numpy": lambda lib: [np.arange(3, dtype=np.int32)] * 2,
    "uint8 images": lambda lib: [np.full((3, 4, 4), 7, np.uint8)] * 3,
    "bool numpy": lambda lib: [np.array([True, False])] * 2,
    "numpy scalars": lambda lib: [np.float32(1.5), np.float32(2.5)],
    "numpy int scalars": lambda lib: [np.int16(1), np.int16(2)],
    "python floats": lambda lib: [1.5, 2.0, 3.25],
    "python ints": lambda lib: [1, 2, 3],
    "python bools": lambda lib: [True, False],
    "strings": lambda lib: ["a", "bc"],
    "bytes": lambda lib: [b"a", b"bc"],
    "dicts": lambda lib: [{"img": np.ones(2), "label": 1, "name": "a"},
                          {"img": np.zeros(2), "label": 0, "name": "b"}],
    "tuples": lambda lib: [(np.ones(2, np.float32), 3), (np.zeros(2, np.float32), 4)],
    "lists": lambda lib: [[1, 2.5], [3, 4.5]],
    "namedtuples": lambda lib: [Point(1, np.ones(2)), Point(2, np.zeros(2))],
    "nested": lambda lib: [{"a": [(1, {"b": 2.0})]}, {"a": [(3, {"b": 4.0})]}],
    "ordered dicts": lambda lib: [collections.OrderedDict(z=1, a=2)] * 2,
}


@pytest.mark.parametrize("name", list(BATCHES))
def test_default_collate_equals_torch(name):
    same(edata.default_collate(BATCHES[name](ember)), tdata.default_collate(BATCHES[name](torch)))


@pytest.mark.parametrize("name", list(BATCHES))
def test_default_convert_equals_torch(name):
    for e_sample, t_sample in zip(BATCHES[name](ember), BATCHES[name](torch)):
        same(edata.default_convert(e_sample), tdata.default_convert(t_sample))


def test_default_convert_keeps_strings_and_objects():
    for sample in [np.array(["a", "b"]), np.array([1, None], dtype=object), np.str_("x"), "s"]:
        e, t = edata.default_convert(sample), tdata.default_convert(sample)
        assert type(e) is type(t) and e is sample


def test_default_collate_shares_memory_with_numpy_free_result():
    # the batch is a new tensor: changing it leaves the samples alone
    samples = [np.ones(2, np.float32), np.ones(2, np.float32)]
    batch = edata.default_collate(samples)
    batch.add_(1)
    assert samples[0].tolist() == [1.0, 1.0]


@pytest.mark.parametrize("batch", [[object(), object()], [None, None], [{1, 2}, {3}]])
def test_default_collate_unknown_type(batch):
    with pytest.raises(TypeError) as e:
        edata.default_collate(batch)
    with pytest.raises(TypeError) as t:
        tdata.default_collate(batch)
    assert str(e.value) == str(t.value)


def test_default_collate_string_arrays_refused():
    batch = [np.array(["a"]), np.array(["b"])]
    with pytest.raises(TypeError) as e:
        edata.default_collate(batch)
    with pytest.raises(TypeError) as t:
        tdata.default_collate(batch)
    assert str(e.value) == str(t.value)


def test_mismatched_shapes_name_the_field():
    batch = [{"image": np.zeros((3, 4)), "y": 1}, {"image": np.zeros((3, 4)), "y": 2},
             {"image": np.zeros((3, 5)), "y": 3}]
    with pytest.raises(RuntimeError) as t:
        tdata.default_collate(batch)
    with pytest.raises(RuntimeError) as e:
        edata.default_collate(batch)
    first, *rest = str(e.value).split("\n")
    assert first == str(t.value)
    assert "sample['image'] of sample 0 has shape [3, 4], of sample 2 has shape [3, 5]" in rest[0]
    assert "hint:" in rest[1]
    with pytest.raises(RuntimeError) as e:
        edata.default_collate([(ember.zeros(2), 0), (ember.zeros(3), 1)])
    assert "sample[0] of sample 0 has shape [2], of sample 1 has shape [3]" in str(e.value)


def test_mismatched_lengths():
    batch = [[1, 2], [1, 2, 3]]
    with pytest.raises(RuntimeError) as t:
        tdata.default_collate(batch)
    with pytest.raises(RuntimeError) as e:
        edata.default_collate(batch)
    assert str(e.value).split("\n")[0] == str(t.value)
    assert "of sample 0 has 2 elements, of sample 1 has 3" in str(e.value)


def test_custom_collate_fn_map():
    class Box:
        def __init__(self, v):
            self.v = v

    def box_fn(batch, *, collate_fn_map=None):
        return sum(b.v for b in batch)

    fn_map = {**edata.collate.default_collate_fn_map, Box: box_fn}
    out = edata.collate.collate([(Box(1), 2), (Box(3), 4)], collate_fn_map=fn_map)
    assert out[0] == 4 and out[1].tolist() == [2, 4]


@pytest.mark.parametrize("module", ["collate", "sampler"])
def test_docstring_examples(module):
    import doctest
    import importlib

    failures, tried = doctest.testmod(importlib.import_module(f"ember.utils.data.{module}"))
    assert failures == 0 and tried > 0
