"""nn.utils.rnn against torch: pad_sequence, pack_padded_sequence, pad_packed_sequence,
pack_sequence, unpad_sequence, unpack_sequence (values, gradients, indices), PackedSequence
and torch's errors."""

import numpy as np
import pytest
import torch
from torch.nn.utils import rnn as TR

import ember
from ember.nn.utils import rnn as ER

from conftest import assert_same

rng = np.random.default_rng(0)


def _leaves(array):
    return ember.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def _backward_both(e, t, dtype):
    w = rng.normal(size=tuple(t.shape)).astype(dtype)
    (e * ember.tensor(w)).sum().backward()
    (t * torch.tensor(w)).sum().backward()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("trailing", [(), (2,), (2, 3)])
def test_pad_sequence(dtype, batch_first, padding_side, trailing):
    arrays = [rng.normal(size=(n, *trailing)).astype(dtype) for n in (2, 4, 1)]
    pairs = [_leaves(a) for a in arrays]
    pe = ER.pad_sequence([p[0] for p in pairs], batch_first, -1.5, padding_side)
    pt = TR.pad_sequence([p[1] for p in pairs], batch_first, -1.5, padding_side)
    assert_same(pe, pt)
    _backward_both(pe, pt, dtype)
    for e, t in pairs:
        assert_same(e.grad, t.grad)


def test_pad_sequence_dtypes_and_tensor_input():
    ints = [np.arange(3), np.arange(5)]
    assert_same(ER.pad_sequence([ember.tensor(a) for a in ints], padding_value=2.5),
                TR.pad_sequence([torch.tensor(a) for a in ints], padding_value=2.5))
    mixed_e = [ember.tensor(ints[0]), ember.tensor(ints[1], dtype=ember.float32)]
    mixed_t = [torch.tensor(ints[0]), torch.tensor(ints[1], dtype=torch.float32)]
    assert_same(ER.pad_sequence(mixed_e), TR.pad_sequence(mixed_t))
    x = rng.normal(size=(3, 2))
    assert_same(ER.pad_sequence(ember.tensor(x)), TR.pad_sequence(torch.tensor(x)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths,enforce_sorted", [([5, 3, 3, 1], True), ([5, 5, 5, 5], True),
                                                    ([2, 5, 1, 4], False),
                                                    (np.array([3, 1, 5, 2]), False)])
def test_pack_and_pad_round_trip(dtype, batch_first, lengths, enforce_sorted):
    x = rng.normal(size=(4, 5, 2) if batch_first else (5, 4, 2)).astype(dtype)
    xe, xt = _leaves(x)
    lengths_e = ember.tensor(lengths) if isinstance(lengths, np.ndarray) else lengths
    lengths_t = torch.tensor(lengths) if isinstance(lengths, np.ndarray) else lengths
    pe = ER.pack_padded_sequence(xe, lengths_e, batch_first, enforce_sorted)
    pt = TR.pack_padded_sequence(xt, lengths_t, batch_first, enforce_sorted)
    assert isinstance(pe, ER.PackedSequence) and isinstance(pe, tuple)
    assert_same(pe.data, pt.data)
    assert_same(pe.batch_sizes, pt.batch_sizes)
    for name in ("sorted_indices", "unsorted_indices"):
        a, b = getattr(pe, name), getattr(pt, name)
        assert (a is None) == (b is None)
        if a is not None:
            assert_same(a, b)
    for total_length in (None, 7):
        ye, le = ER.pad_packed_sequence(pe, batch_first, 0.5, total_length)
        yt, lt = TR.pad_packed_sequence(pt, batch_first, 0.5, total_length)
        assert_same(ye, yt)
        assert_same(le, lt)
    _backward_both(ye, yt, dtype)
    assert_same(xe.grad, xt.grad)


@pytest.mark.parametrize("enforce_sorted,lengths", [(True, (4, 3, 1)), (False, (2, 4, 3))])
def test_pack_sequence_unpack_sequence_unpad_sequence(enforce_sorted, lengths):
    pairs = [_leaves(rng.normal(size=(n, 2))) for n in lengths]
    pe = ER.pack_sequence([p[0] for p in pairs], enforce_sorted=enforce_sorted)
    pt = TR.pack_sequence([p[1] for p in pairs], enforce_sorted=enforce_sorted)
    assert_same(pe.data, pt.data)
    assert_same(pe.batch_sizes, pt.batch_sizes)
    ue, ut = ER.unpack_sequence(pe), TR.unpack_sequence(pt)
    assert len(ue) == len(ut) == len(lengths)
    for a, b in zip(ue, ut):
        assert_same(a, b)
    sum((a * a).sum() for a in ue).backward()
    sum((b * b).sum() for b in ut).backward()
    for e, t in pairs:
        assert_same(e.grad, t.grad)
    for batch_first in (False, True):
        padded = rng.normal(size=(3, 4, 2) if batch_first else (4, 3, 2))
        ye = ER.unpad_sequence(ember.tensor(padded), ember.tensor([4, 1, 2]), batch_first)
        yt = TR.unpad_sequence(torch.tensor(padded), torch.tensor([4, 1, 2]), batch_first)
        for a, b in zip(ye, yt):
            assert_same(a, b)


def test_packed_sequence_fields_conversions_and_repr():
    x = rng.normal(size=(3, 2, 2)).astype(np.float32)
    pe = ER.pack_padded_sequence(ember.tensor(x), [3, 2])
    pt = TR.pack_padded_sequence(torch.tensor(x), [3, 2])
    assert ER.PackedSequence._fields == TR.PackedSequence._fields
    assert repr(pe) == repr(pt).replace("torch.", "ember.")
    assert pe.to(ember.float32) is pe and pe.cpu() is pe
    assert pe.double().data.dtype is ember.float64 and pe.to(ember.float64).batch_sizes is \
        pe.batch_sizes
    assert pe.is_cuda is False and pe.half().data.dtype is ember.float16
    data, batch_sizes, sorted_indices, unsorted_indices = pe
    assert sorted_indices is None and unsorted_indices is None
    made = ER.PackedSequence(data, batch_sizes, ember.tensor([1, 0]))
    assert made.unsorted_indices.tolist() == [1, 0]
    perm = ER.PackedSequence(data, batch_sizes, ember.tensor([2, 0, 1]))
    torch_perm = TR.PackedSequence(pt.data, pt.batch_sizes, torch.tensor([2, 0, 1]))
    assert perm.unsorted_indices.tolist() == torch_perm.unsorted_indices.tolist()
    unsorted = ER.pack_padded_sequence(ember.tensor(x), [2, 3], enforce_sorted=False).double()
    assert unsorted.sorted_indices.tolist() == [1, 0] and unsorted.data.dtype is ember.float64


def _raises_like_torch(call):
    caught = {}
    for lib, module in ((torch, TR), (ember, ER)):
        with pytest.raises(Exception) as info:
            call(lib, module)
        caught[lib] = info
    t, e = caught[torch], caught[ember]
    assert e.type is t.type, f"{e.type.__name__} != torch {t.type.__name__}: {e.value}"
    assert str(e.value).splitlines()[0] == str(t.value).splitlines()[0]


@pytest.mark.parametrize("call", [
    lambda lib, R: R.pack_padded_sequence(lib.zeros(4, 3, 2), [2, 4, 1]),
    lambda lib, R: R.pack_padded_sequence(lib.zeros(4, 3, 2), [4, 2, 0]),
    lambda lib, R: R.pack_padded_sequence(lib.zeros(4, 3, 2), [4, 2]),
    lambda lib, R: R.pack_padded_sequence(lib.zeros(4, 3, 2), lib.tensor([[4, 2, 1]])),
    lambda lib, R: R.pack_sequence([lib.ones(1), lib.ones(3)]),
    lambda lib, R: R.pad_packed_sequence(R.pack_padded_sequence(lib.zeros(4, 3, 2), [4, 2, 1]),
                                         total_length=3),
    lambda lib, R: R.pad_sequence([lib.ones(2, 3), lib.ones(1, 3)], padding_side="middle"),
    lambda lib, R: R.pad_sequence([lib.ones(2, 3), lib.ones(1, 4)]),
    lambda lib, R: R.pad_sequence([]),
    lambda lib, R: R.unpad_sequence(lib.zeros(3, 4, 2), lib.tensor([3, 1]), batch_first=True),
])
def test_errors_like_torch(call):
    _raises_like_torch(call)


def test_lengths_longer_than_the_padding_raise():
    # NOTE: torch reads past the tensor here; ember refuses
    with pytest.raises(RuntimeError, match="larger than the padded sequence"):
        ER.pack_padded_sequence(ember.zeros(4, 3, 2), [5, 4, 1])
