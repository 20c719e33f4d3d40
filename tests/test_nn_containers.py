"""Containers and Flatten/Unflatten against torch: indexing, mutation, repr, state_dict keys."""

import re
from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember

from conftest import assert_same


def _both(build):
    return build(ember), build(torch)


def _same_repr(e, t):
    # legacy type names ([torch.FloatTensor of size 3]) are torch's in ember too (x.type())
    expected = re.sub(r"torch\.(?!FloatTensor|DoubleTensor|LongTensor)", "ember.", repr(t))
    assert repr(e) == expected


def _copy(src, dst):
    with ember.no_grad():
        for p, q in zip(src.parameters(), dst.parameters()):
            q.copy_(ember.tensor(p.detach().numpy()))


def test_sequential_forward_backward_repr_state_dict():
    def build(L):
        return L.nn.Sequential(L.nn.Flatten(), L.nn.Linear(6, 4), L.nn.ReLU(),
                               L.nn.Linear(4, 4), L.nn.Unflatten(1, (2, 2)))
    e, t = _both(build)
    _copy(t, e)
    _same_repr(e, t)
    assert list(e.state_dict()) == list(t.state_dict())
    x = np.random.default_rng(0).normal(size=(5, 2, 3)).astype(np.float32)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye, yt = e(xe), t(xt)
    assert_same(ye, yt)
    ye.sum().backward()
    yt.sum().backward()
    assert_same(xe.grad, xt.grad)


def test_sequential_indexing_and_mutation_like_torch():
    def build(L):
        seq = L.nn.Sequential(L.nn.Linear(2, 3), L.nn.ReLU(), L.nn.Linear(3, 2), L.nn.Tanh())
        seq.append(L.nn.Sigmoid())
        seq.insert(1, L.nn.Dropout(0.1))
        seq.insert(-1, L.nn.ELU())
        seq.extend([L.nn.GELU()])
        seq[0] = L.nn.Linear(2, 5)
        del seq[2]
        del seq[-2:]
        return seq
    e, t = _both(build)
    _same_repr(e, t)
    assert len(e) == len(t)
    assert list(e.state_dict()) == list(t.state_dict())
    assert type(e[-1]).__name__ == type(t[-1]).__name__
    _same_repr(e[1:3], t[1:3])
    assert isinstance(e[1:3], ember.nn.Sequential)
    assert [type(m).__name__ for m in e] == [type(m).__name__ for m in t]
    for seq in (e, t):
        with pytest.raises(IndexError, match="index 10 is out of range"):
            seq[10]


def test_sequential_from_ordered_dict_keeps_names():
    e, t = _both(lambda L: L.nn.Sequential(OrderedDict([("fc", L.nn.Linear(2, 3)),
                                                         ("act", L.nn.ReLU())])))
    _same_repr(e, t)
    assert list(e.state_dict()) == list(t.state_dict()) == ["fc.weight", "fc.bias"]
    assert e.fc is e[0]


def test_module_list_repr_compresses_repeats_and_supports_list_ops():
    def build(L):
        ml = L.nn.ModuleList([L.nn.Linear(2, 2) for _ in range(3)])
        ml.extend([L.nn.ReLU(), L.nn.ReLU()])
        ml.append(L.nn.Linear(2, 3))
        ml.insert(1, L.nn.Tanh())
        ml += L.nn.ModuleList([L.nn.Sequential(L.nn.Linear(1, 1), L.nn.ReLU())] * 2)
        return ml
    e, t = _both(build)
    _same_repr(e, t)
    assert "(4-5): 2 x ReLU()" in repr(e)
    assert list(e.state_dict()) == list(t.state_dict())
    _same_repr(e[2:5], t[2:5])
    _same_repr(e[-1], t[-1])
    del e[0]
    del t[0]
    _same_repr(e, t)
    _same_repr(ember.nn.ModuleList(), torch.nn.ModuleList())
    for lib in (ember, torch):
        with pytest.raises(TypeError, match="should be called with an iterable"):
            lib.nn.ModuleList().extend(lib.nn.ReLU())


def test_module_dict():
    def build(L):
        d = L.nn.ModuleDict({"b": L.nn.Linear(2, 2), "a": L.nn.ReLU()})
        d["c"] = L.nn.Linear(2, 1)
        d.update([("d", L.nn.Tanh())])
        del d["a"]
        return d
    e, t = _both(build)
    _same_repr(e, t)
    assert list(e) == list(t) and list(e.keys()) == list(t.keys())
    assert list(e.state_dict()) == list(t.state_dict())
    assert "c" in e and e.pop("c") is not None and "c" not in e


def test_parameter_list_and_dict():
    def build(L):
        pl = L.nn.ParameterList([L.nn.Parameter(L.ones(2, 3)), L.zeros(2, dtype=L.float64)])
        pl.append(L.nn.Parameter(L.ones(1)))
        pd = L.nn.ParameterDict({"w": L.nn.Parameter(L.ones(2, 3))})
        pd["b"] = L.zeros(3)
        m = L.nn.Module()
        m.pl, m.pd = pl, pd
        return m
    e, t = _both(build)
    _same_repr(e, t)
    assert list(e.state_dict()) == list(t.state_dict())
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert all(isinstance(p, ember.nn.Parameter) for p in e.parameters())
    assert len(e.pl) == 3 and e.pl[-1].shape == (1,) and len(e.pl[1:]) == 2
    assert list(e.pd.keys()) == ["w", "b"] and "w" in e.pd


def test_flatten_unflatten_repr_and_shapes():
    e, t = _both(lambda L: L.nn.Sequential(L.nn.Flatten(0, 1), L.nn.Unflatten(-1, (2, 2))))
    _same_repr(e, t)
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    assert_same(e(ember.tensor(x)), t(torch.tensor(x)))
