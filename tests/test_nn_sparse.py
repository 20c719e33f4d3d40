"""Embedding, EmbeddingBag and one_hot against torch: outputs, weight grads (float32 and
float64), padding_idx, max_norm, scale_grad_by_freq, bags and offsets, reprs, init, errors."""

import numpy as np
import pytest
import torch

import ember

from conftest import assert_same

DTYPES = ["float32", "float64"]
rng = np.random.default_rng(0)


def _pair_layers(name, *args, dtype="float32", **kwargs):
    """The same layer in both libraries with torch's weight copied into ember's."""
    t_layer = getattr(torch.nn, name)(*args, **kwargs).to(getattr(torch, dtype))
    e_layer = getattr(ember.nn, name)(*args, **kwargs).to(getattr(ember, dtype))
    e_layer.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_layer.state_dict().items()})
    assert repr(e_layer) == repr(t_layer)
    return e_layer, t_layer


def _backward_both(ye, yt, dtype):
    """Backward with the same random output gradient in both libraries; returns it."""
    g = rng.normal(size=tuple(yt.shape)).astype(dtype)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    return g


# ----------------------------------------------------------------------------- Embedding

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs", [
    {}, {"padding_idx": 2}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
    {"padding_idx": 0, "scale_grad_by_freq": True},
], ids=str)
def test_embedding_matches_torch(dtype, kwargs):
    e_layer, t_layer = _pair_layers("Embedding", 7, 4, dtype=dtype, **kwargs)
    idx = np.array([[1, 2, 1, 6], [0, 2, 2, 2], [5, 1, 3, 0]])  # repeats and the padding rows
    for index_dtype in ("int64", "int32"):
        e_layer.zero_grad()
        t_layer.zero_grad()
        ye = e_layer(ember.tensor(idx.astype(index_dtype)))
        yt = t_layer(torch.tensor(idx.astype(index_dtype)))
        assert_same(ye, yt)
        assert type(ye.grad_fn).__name__ == "Embedding"
        assert ye.grad_fn.name() == yt.grad_fn.name()
        _backward_both(ye, yt, dtype)
        assert_same(e_layer.weight.grad, t_layer.weight.grad)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_embedding_max_norm_renormalises_rows_in_place(norm_type):
    e_layer, t_layer = _pair_layers("Embedding", 6, 3, max_norm=1.2, norm_type=norm_type,
                                    dtype="float64")
    assert repr(e_layer) == repr(t_layer)
    idx = np.array([0, 3, 3, 5])
    ye, yt = e_layer(ember.tensor(idx)), t_layer(torch.tensor(idx))
    assert_same(ye, yt)
    assert_same(e_layer.weight, t_layer.weight)  # looked-up rows rescaled, the others kept
    _backward_both(ye, yt, "float64")
    assert_same(e_layer.weight.grad, t_layer.weight.grad)


def test_embedding_init_padding_and_from_pretrained():
    ember.manual_seed(0)
    layer = ember.nn.Embedding(1000, 64, padding_idx=3)
    w = layer.weight.detach().numpy()
    assert np.all(w[3] == 0)
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01  # N(0, 1), as torch
    assert layer.weight.requires_grad
    pre = np.arange(12.0, dtype=np.float32).reshape(4, 3)
    for freeze in (True, False):
        e_layer = ember.nn.Embedding.from_pretrained(ember.tensor(pre), freeze=freeze,
                                                     padding_idx=1)
        t_layer = torch.nn.Embedding.from_pretrained(torch.tensor(pre), freeze=freeze,
                                                     padding_idx=1)
        assert repr(e_layer) == repr(t_layer)
        assert e_layer.weight.requires_grad is t_layer.weight.requires_grad is (not freeze)
        assert_same(e_layer.weight, t_layer.weight)  # the padding row keeps its values
        assert_same(e_layer(ember.tensor([1, 2])), t_layer(torch.tensor([1, 2])))
    assert list(ember.nn.Embedding(3, 2).state_dict()) == ["weight"]


def test_embedding_reprs():
    for kwargs in [{}, {"padding_idx": -2, "max_norm": 1.0, "norm_type": 1.0,
                        "scale_grad_by_freq": True, "sparse": True}]:
        assert repr(ember.nn.Embedding(5, 3, **kwargs)) == repr(torch.nn.Embedding(5, 3, **kwargs))
        bag_kwargs = dict(kwargs, mode="sum", include_last_offset=True)
        assert (repr(ember.nn.EmbeddingBag(5, 3, **bag_kwargs))
                == repr(torch.nn.EmbeddingBag(5, 3, **bag_kwargs)))


@pytest.mark.parametrize("scale", [False, True])
def test_embedding_double_backward(scale):
    idx = np.array([1, 1, 4, 0])
    w = rng.normal(size=(5, 3))
    c = rng.normal(size=(5, 3))
    grads = []
    for lib in (ember, torch):
        weight = lib.tensor(w, requires_grad=True)
        g = lib.tensor(rng.normal(size=(4, 3)) * 0 + 1.5, requires_grad=True)
        y = lib.nn.functional.embedding(lib.tensor(idx), weight, padding_idx=0,
                                        scale_grad_by_freq=scale)
        (gw,) = lib.autograd.grad(y, weight, g, create_graph=True)
        (gw * lib.tensor(c)).sum().backward()
        grads.append((gw, g.grad))
    assert_same(grads[0][0], grads[1][0])
    if not scale:
        assert_same(grads[0][1], grads[1][1])
    else:
        # NOTE: torch's double backward ignores scale_grad_by_freq (it gives c[idx]); the
        # derivative of gw[v] = sum_p g[p] / count(v) is c[idx[p]] / count(idx[p])
        expected = c[idx] / np.array([2, 2, 1, 1])[:, None]
        expected[idx == 0] = 0
        np.testing.assert_allclose(grads[0][1].numpy(), expected)


def _same_error(case):
    with pytest.raises(Exception) as te:
        case(torch)
    with pytest.raises(type(te.value)) as ee:
        case(ember)
    first = str(ee.value).split("\n")[0].replace("ember", "torch")
    assert first == str(te.value).split("\n")[0]
    return str(ee.value)


def test_embedding_errors_like_torch():
    msg = _same_error(lambda lib: lib.nn.functional.embedding(lib.tensor([1.0, 2.0]),
                                                               lib.ones(5, 3)))
    assert ".long()" in msg
    msg = _same_error(lambda lib: lib.nn.functional.embedding(lib.tensor([5]), lib.ones(5, 3)))
    assert "num_embeddings=5" in msg
    _same_error(lambda lib: lib.nn.functional.embedding(lib.tensor([-1]), lib.ones(5, 3)))
    _same_error(lambda lib: lib.nn.functional.embedding(lib.tensor([1]), lib.ones(3)))
    _same_error(lambda lib: lib.nn.functional.embedding(lib.tensor([1]), lib.ones(5, 3),
                                                        padding_idx=5))
    _same_error(lambda lib: lib.nn.Embedding(5, 3, padding_idx=-6))
    _same_error(lambda lib: lib.nn.Embedding.from_pretrained(lib.ones(3)))
    _same_error(lambda lib: lib.nn.EmbeddingBag(5, 3)(lib.tensor([1, 7])[None]))
    with pytest.raises(NotImplementedError, match="sparse=True is not supported"):
        ember.nn.Embedding(5, 3, sparse=True)(ember.tensor([1]))
    # a frozen table needs no gradient: sparse=True is then harmless
    frozen = ember.nn.Embedding.from_pretrained(ember.ones(5, 3), sparse=True)
    assert frozen(ember.tensor([1])).shape == (1, 3)


# ----------------------------------------------------------------------------- EmbeddingBag

BAGS = [
    # (input, offsets, include_last_offset)
    ([[1, 2, 4], [4, 3, 0]], None, False),
    ([1, 2, 4, 5, 4, 3, 2, 0], [0, 2, 2, 5], False),  # an empty bag
    ([1, 2, 4, 5, 4, 3, 2, 0], [0, 3, 4, 8], True),
    ([1, 2, 4, 5, 4, 3, 2, 0], [0, 7], False),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("bags", BAGS, ids=range(len(BAGS)))
@pytest.mark.parametrize("padding_idx", [None, 4])
@pytest.mark.parametrize("scale", [False, True])
def test_embedding_bag_matches_torch(dtype, mode, bags, padding_idx, scale):
    data, offsets, last = bags
    if scale and mode == "max":
        return  # torch refuses it (tested with the errors)
    e_layer, t_layer = _pair_layers("EmbeddingBag", 6, 3, mode=mode, dtype=dtype,
                                    include_last_offset=last, padding_idx=padding_idx,
                                    scale_grad_by_freq=scale)
    off_e = None if offsets is None else ember.tensor(offsets)
    off_t = None if offsets is None else torch.tensor(offsets)
    ye, yt = e_layer(ember.tensor(data), off_e), t_layer(torch.tensor(data), off_t)
    assert_same(ye, yt)
    g = _backward_both(ye, yt, dtype)
    if not scale:
        assert_same(e_layer.weight.grad, t_layer.weight.grad)
        return
    # NOTE: torch's embedding_bag divides by the count of the wrong rows with
    # scale_grad_by_freq (its counts are read by sorted position); the reference is the bag
    # built from torch's F.embedding, whose scale_grad_by_freq divides by each index's count
    weight = t_layer.weight.detach().clone().requires_grad_()
    flat = torch.tensor(data).reshape(-1)
    rows = torch.nn.functional.embedding(flat, weight, padding_idx, scale_grad_by_freq=True)
    bounds = _bounds(data, offsets, last)
    bags = []
    for start, end in bounds:
        keep = [i for i in range(start, end) if int(flat[i]) != padding_idx]
        picked = rows[keep] if keep else rows[:0]
        total = picked.sum(0)
        bags.append(total / max(len(keep), 1) if mode == "mean" else total)
    reference = torch.stack(bags)
    assert_same(ye, reference)
    reference.backward(torch.tensor(g))
    assert_same(e_layer.weight.grad, weight.grad)


def _bounds(data, offsets, last):
    if offsets is None:
        length = len(data[0])
        return [(b * length, (b + 1) * length) for b in range(len(data))]
    ends = offsets[1:] + ([] if last else [len(data)])
    return list(zip(offsets, ends))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bags", BAGS[:3], ids=range(3))
def test_embedding_bag_per_sample_weights(dtype, bags):
    data, offsets, last = bags
    psw = rng.normal(size=np.shape(data)).astype(dtype)
    w = rng.normal(size=(6, 3)).astype(dtype)
    outs = []
    for lib in (ember, torch):
        weight = lib.tensor(w, requires_grad=True)
        sample = lib.tensor(psw, requires_grad=True)
        off = None if offsets is None else lib.tensor(offsets)
        y = lib.nn.functional.embedding_bag(lib.tensor(data), weight, off, mode="sum",
                                            per_sample_weights=sample,
                                            include_last_offset=last)
        y.backward(lib.tensor(np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape))
                              .astype(dtype)))
        outs.append((y, weight.grad, sample.grad))
    for e, t in zip(*outs):
        assert_same(e, t)


def test_embedding_bag_gradcheck_and_max_norm():
    weight = ember.tensor(rng.normal(size=(5, 3)), requires_grad=True)
    sample = ember.tensor(rng.normal(size=7), requires_grad=True)
    data, offsets = ember.tensor([0, 1, 1, 4, 2, 3, 0]), ember.tensor([0, 3, 3, 5])
    F = ember.nn.functional
    for mode in ("sum", "mean", "max"):
        assert ember.autograd.gradcheck(
            lambda w, m=mode: F.embedding_bag(data, w, offsets, mode=m, padding_idx=3), (weight,))
    assert ember.autograd.gradcheck(
        lambda w, s: F.embedding_bag(data, w, offsets, mode="sum", per_sample_weights=s),
        (weight, sample))
    e_layer, t_layer = _pair_layers("EmbeddingBag", 6, 3, max_norm=0.5, dtype="float64")
    ye, yt = e_layer(ember.tensor([[0, 2], [5, 2]])), t_layer(torch.tensor([[0, 2], [5, 2]]))
    assert_same(ye, yt)
    assert_same(e_layer.weight, t_layer.weight)


def test_embedding_bag_errors_like_torch():
    def bag(lib, data, offsets=None, **kwargs):
        off = None if offsets is None else lib.tensor(offsets)
        return lib.nn.functional.embedding_bag(lib.tensor(data), lib.ones(6, 3), off, **kwargs)

    _same_error(lambda lib: bag(lib, [[1, 2]], [0]))
    _same_error(lambda lib: bag(lib, [1, 2]))
    _same_error(lambda lib: bag(lib, [[[1, 2]]]))
    _same_error(lambda lib: bag(lib, [1, 2], [1]))
    _same_error(lambda lib: bag(lib, [[1, 2]], mode="min"))
    _same_error(lambda lib: bag(lib, [[1, 2]], mode="max", scale_grad_by_freq=True))
    _same_error(lambda lib: bag(lib, [[1, 2]], mode="mean",
                                per_sample_weights=lib.ones(1, 2)))
    _same_error(lambda lib: bag(lib, [[1, 2]], mode="sum", per_sample_weights=lib.ones(2)))
    _same_error(lambda lib: bag(lib, [[1, 9]]))
    _same_error(lambda lib: bag(lib, [[1.0, 2.0]]))


# ----------------------------------------------------------------------------- one_hot

def test_one_hot_matches_torch_and_errors():
    for values, classes in [([0, 2, 1], -1), ([[0, 2], [1, 1]], 5), ([], 3), (4, -1)]:
        e = ember.nn.functional.one_hot(ember.tensor(values, dtype=ember.int64), classes)
        t = torch.nn.functional.one_hot(torch.tensor(values, dtype=torch.int64), classes)
        assert_same(e, t)
    _same_error(lambda lib: lib.nn.functional.one_hot(lib.tensor([1, -1])))
    _same_error(lambda lib: lib.nn.functional.one_hot(lib.tensor([1, 3]), 2))
    _same_error(lambda lib: lib.nn.functional.one_hot(lib.tensor([1.0, 3.0])))
    _same_error(lambda lib: lib.nn.functional.one_hot(lib.tensor([], dtype=lib.int64)))
    _same_error(lambda lib: lib.nn.functional.one_hot(lib.tensor([1, 2]), 0))


def test_embedding_on_another_device(fake_cuda):
    layer = ember.nn.Embedding(5, 3).to("cuda")
    y = layer(ember.tensor([[1, 4]], device="cuda"))
    assert y.device.type == "cuda" and y.shape == (1, 2, 3)
    y.sum().backward()
    assert layer.weight.grad.device.type == "cuda"
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        layer(ember.tensor([1, 4]))
    bag = ember.nn.EmbeddingBag(5, 3).to("cuda")
    assert bag(ember.tensor([[1, 4]], device="cuda")).device.type == "cuda"
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        bag(ember.tensor([[1, 4]]))
