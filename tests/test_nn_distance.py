"""cosine_similarity, pairwise_distance, pdist and their layers against torch: values and the
gradients of both inputs (float32 and float64), broadcasting, reprs and errors."""

import numpy as np
import pytest
import torch

import ember

from conftest import assert_same

DTYPES = ["float32", "float64"]
rng = np.random.default_rng(0)


def _compare(fn, arrays, dtype):
    """fn(lib, *tensors) in both libraries: the result and the gradient of every input."""
    res = []
    for lib in (ember, torch):
        xs = [lib.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
        y = fn(lib, *xs)
        g = np.linspace(-1.0, 2.0, y.numel()).reshape(tuple(y.shape)).astype(dtype)
        y.backward(lib.tensor(g))
        res.append([y] + [x.grad for x in xs])
    for e, t in zip(*res):
        assert_same(e, t)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes,dim", [
    (((4, 5), (4, 5)), 1), (((4, 5), (4, 5)), 0), (((3, 4, 5), (4, 5)), -1),
    (((2, 1, 5), (3, 5)), 2), (((5,), (5,)), 0),
])
def test_cosine_similarity(dtype, shapes, dim):
    arrays = [rng.normal(size=s) for s in shapes]
    _compare(lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b, dim), arrays, dtype)
    _compare(lambda lib, a, b: lib.nn.CosineSimilarity(dim, 1e-3)(a, b), arrays, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cosine_similarity_of_zero_vectors(dtype):
    # the eps clamp is outside autograd in torch: huge but finite gradients, as torch
    arrays = [np.zeros((2, 3)), np.ones((2, 3))]
    _compare(lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b), arrays, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance(dtype, p, keepdim):
    a, b = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    b[0] = a[0]  # a zero difference: eps keeps the gradient finite
    _compare(lambda lib, x, y: lib.nn.functional.pairwise_distance(x, y, p, 1e-6, keepdim),
             [a, b], dtype)
    _compare(lambda lib, x, y: lib.nn.PairwiseDistance(p, 1e-4, keepdim)(x, y),
             [a, rng.normal(size=(5,))], dtype)
    _compare(lambda lib, x, y: lib.nn.functional.pairwise_distance(x, y, p),
             [rng.normal(size=5), rng.normal(size=5)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [2, 1, 0.5, 3, float("inf")])
def test_pdist(dtype, p):
    _compare(lambda lib, x: lib.nn.functional.pdist(x, p), [rng.normal(size=(5, 3))], dtype)


def test_reprs_integer_inputs_and_errors():
    assert repr(ember.nn.CosineSimilarity(0, 1e-3)) == repr(torch.nn.CosineSimilarity(0, 1e-3))
    assert repr(ember.nn.PairwiseDistance(1.0, 1e-3, True)) == repr(
        torch.nn.PairwiseDistance(1.0, 1e-3, True))
    ints = np.arange(6).reshape(2, 3)
    e = ember.nn.functional.pairwise_distance(ember.tensor(ints), ember.tensor(ints + 1))
    t = torch.nn.functional.pairwise_distance(torch.tensor(ints), torch.tensor(ints + 1))
    assert_same(e, t)
    e = ember.nn.functional.cosine_similarity(ember.tensor(ints), ember.tensor(ints * 1.0))
    assert_same(e, torch.nn.functional.cosine_similarity(torch.tensor(ints),
                                                         torch.tensor(ints * 1.0)))
    cases = [
        lambda lib: lib.nn.functional.cosine_similarity(lib.tensor(ints), lib.tensor(ints)),
        lambda lib: lib.nn.functional.pdist(lib.ones(3)),
        lambda lib: lib.nn.functional.pdist(lib.ones(3, 2), -1),
        lambda lib: lib.nn.functional.pairwise_distance(lib.ones(3, 2), lib.ones(3, 3)),
        lambda lib: lib.nn.functional.cosine_similarity(lib.ones(3), lib.ones(3)),
        lambda lib: lib.nn.functional.cosine_similarity(lib.ones(2, 3), lib.ones(2, 4)),
    ]
    for case in cases:
        with pytest.raises(Exception) as te:
            case(torch)
        with pytest.raises(type(te.value)) as ee:
            case(ember)
        assert str(ee.value).split("\n")[0] == str(te.value).split("\n")[0]
