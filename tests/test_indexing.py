"""x[index] and x[index] = value against torch: values, views and memory sharing, gradients,
dtype casts and errors.  (The op-table entries in tests/op_tables/indexing.py cover the
indexing functions: gather, scatter, sort, ...)"""

import numpy as np
import pytest
import torch

import ember

from conftest import assert_same


def _pair(shape, requires_grad=False, seed=0):
    a = np.random.default_rng(seed).uniform(-1, 1, shape)
    return (ember.tensor(a, requires_grad=requires_grad),
            torch.tensor(a, requires_grad=requires_grad))


def _index(spec, lib):
    """An index spec with ``T(...)`` placeholders made into tensors of ``lib``."""
    if isinstance(spec, tuple):
        return tuple(_index(s, lib) for s in spec)
    if isinstance(spec, T):
        return lib.tensor(spec.values, dtype=getattr(lib, spec.dtype))
    return spec


class T:
    def __init__(self, values, dtype="int64"):
        self.values = values
        self.dtype = dtype

    def __repr__(self):
        return f"T({self.values}, {self.dtype})"


class _quiet:
    """Silence torch's deprecation warning for x[[[...]]] (a list read as a tuple)."""

    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *exc):
        self._w.__exit__(*exc)


# indices into a (3, 4, 5) tensor
INDICES = [
    0, -1, slice(1, None), slice(None, None, 2), (1, 2), (1, 2, 3), (-1, slice(1, 3), None),
    (Ellipsis, 1), (None, Ellipsis, None), (slice(None), None, 0), Ellipsis, (),
    slice(-10, 10), (slice(5, 7),), (0, slice(3, 1)), (True,), (False,), (0, True),
    T([0, 2, 2]), T([-1, 0]), T([[0, 1], [2, 2]]), [0, 2], [[0, 1], [1, 2]],
    (T([0, 1]), T([1, 3])), (T([[0], [1]]), T([1, 2, 3])), (slice(None), T([3, 0])),
    (T([0, 1]), slice(None), T([1, 2])), (0, slice(None), T([1, 2])), (T([0, 2]), 1),
    (slice(None), T([0, 1]), 0), (Ellipsis, T([4, 0, 4])), (None, T([1]), None, 2),
    T([True, False, True], "bool"), (slice(None), T([True, False, True, False], "bool")),
    T([[True, False, True, True]] * 3, "bool"), (T(1), slice(None), T([0, 1])),
    T([1, 0], "int32"), T([True, False, True], "uint8"),
]


@pytest.mark.parametrize("spec", INDICES, ids=repr)
def test_getitem_values_and_grads(spec):
    e, t = _pair((3, 4, 5), requires_grad=True)
    with _quiet():
        e_out, t_out = e[_index(spec, ember)], t[_index(spec, torch)]
    assert_same(e_out, t_out)
    v = np.random.default_rng(1).uniform(-1, 1, tuple(t_out.shape))
    (e_out * ember.tensor(v)).sum().backward()
    (t_out * torch.tensor(v)).sum().backward()
    assert_same(e.grad, t.grad)


SETS = [
    (0, ()), (0, (5,)), ((1, 2), ()), ((slice(None), 1), (3, 1)), ((Ellipsis, 0), (4,)),
    (T([0, 2, 2]), (4, 5)), (T([0, 2]), (1, 4, 5)), ((T([0, 1]), T([1, 3])), (2, 5)),
    ((0, slice(None), T([1, 2])), (4, 2)), ((slice(None), T([0, 1]), 0), (2,)),
    (T([[True, False, True, True]] * 3, "bool"), ()), (T([True, False, True], "bool"), (5,)),
    (0, (1, 4, 5)), ((None, 1), (1, 4, 5)),
]


@pytest.mark.parametrize("spec,value_shape", SETS, ids=repr)
def test_setitem_values_and_grads(spec, value_shape):
    e, t = _pair((3, 4, 5), requires_grad=True)
    ev, tv = _pair(value_shape, requires_grad=True, seed=2)
    e_out, t_out = e.clone(), t.clone()
    e_out[_index(spec, ember)] = ev
    t_out[_index(spec, torch)] = tv
    assert_same(e_out, t_out)
    w = np.random.default_rng(1).uniform(-1, 1, (3, 4, 5))
    (e_out * ember.tensor(w)).sum().backward()
    (t_out * torch.tensor(w)).sum().backward()
    assert_same(e.grad, t.grad)
    assert_same(ev.grad, tv.grad)


def test_setitem_without_grad_matches_torch():
    for spec, value_shape in SETS:
        e, t = _pair((3, 4, 5))
        ev, tv = _pair(value_shape, seed=3)
        e[_index(spec, ember)] = ev
        t[_index(spec, torch)] = tv
        assert_same(e, t)
        e[_index(spec, ember)] = 0.5
        t[_index(spec, torch)] = 0.5
        assert_same(e, t)


# ---------------------------------------------------------------------------- views

def test_basic_index_is_a_view():
    x = ember.zeros(3, 4)
    row = x[1]
    row.add_(1)
    assert x[1].tolist() == [1.0] * 4
    assert x._version == row._version == 1
    col = x[:, 2]
    col[0] = 7.0
    assert x[0, 2].item() == 7.0
    assert x._version == col._version == 2
    element = x[2, 3]
    assert element.shape == ()
    element.fill_(5)
    assert x[2, 3].item() == 5.0
    assert x[1:, ::2][0, 1].item() == 1.0
    x[1:][0][0] = 9.0  # setitem on a view of a view
    assert x[1, 0].item() == 9.0


def test_view_storage_offsets_match_torch():
    e, t = ember.zeros(3, 4, 5), torch.zeros(3, 4, 5)
    for spec in [1, (1, 2), (slice(1, None), 2), (Ellipsis, 3), (2, slice(None, None, 2), 1)]:
        assert e[spec].storage_offset() == t[spec].storage_offset()
        assert e[spec].stride() == t[spec].stride()


def test_advanced_index_is_a_copy():
    x = ember.zeros(3, 4)
    y = x[[0, 1]]
    y += 1
    z = x[x == 0]
    z += 1
    assert x.sum().item() == 0.0


def test_inplace_through_a_view_reaches_the_base_gradient():
    e_leaf, t_leaf = _pair((3, 4), requires_grad=True)
    results = []
    for leaf in (e_leaf, t_leaf):
        base = leaf * 1
        row = base[0]
        row.mul_(3)
        base[1:, 1:][0] *= 2
        (base * base).sum().backward()
        results.append(leaf.grad)
    assert_same(*results)


def test_setitem_value_needing_grad_into_plain_tensor():
    results = []
    for lib in (ember, torch):
        x = lib.zeros(3, 4)
        v = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        x[1] = v * 2
        x[2, ::2] = v[:2]
        assert x.requires_grad
        (x * x).sum().backward()
        results.append(v.grad)
    assert_same(*results)


def test_setitem_on_leaf_that_requires_grad_raises():
    for lib in (ember, torch):
        x = lib.zeros(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable"):
            x[0] = 1.0
        with lib.no_grad():
            x[0] = 1.0
        assert x[0].item() == 1.0


def test_duplicate_indices_accumulate_gradient():
    e, t = _pair((4,), requires_grad=True)
    e[[0, 0, 3, 0]].sum().backward()
    t[[0, 0, 3, 0]].sum().backward()
    assert_same(e.grad, t.grad)
    assert e.grad.tolist() == [3.0, 0.0, 0.0, 1.0]


def test_getitem_node_names_match_torch():
    e, t = _pair((3, 4), requires_grad=True)
    for spec in [0, slice(1, 2), None, Ellipsis, (0, slice(1, 2)), (slice(1, 2), 0), (),
                 (slice(None), None), [0, 1], (True,)]:
        assert e[spec].grad_fn.name() == t[spec].grad_fn.name(), spec


def test_version_counter_bumps_on_setitem():
    x = ember.zeros(3)
    x[0] = 1.0
    x[[1, 2]] = 2.0
    assert x._version == 2


# ---------------------------------------------------------------------------- dtypes and devices

@pytest.mark.parametrize("dtype,value", [
    ("int64", 2.7), ("int32", -1.5), ("float32", 3), ("bool", 1), ("uint8", 300 % 256),
    ("float64", True),
])
def test_setitem_casts_to_the_tensor_dtype(dtype, value):
    e = ember.zeros(3, dtype=getattr(ember, dtype))
    t = torch.zeros(3, dtype=getattr(torch, dtype))
    e[1] = value
    t[1] = value
    e[2:] = ember.tensor([value])
    t[2:] = torch.tensor([value])
    assert_same(e, t)


def test_setitem_float_tensor_value_needing_grad_is_cast():
    results = []
    for lib in (ember, torch):
        x = lib.zeros(2, 3, dtype=lib.float64)
        v = lib.ones(3, requires_grad=True)  # float32 into float64
        x[0] = v
        assert x.dtype == lib.float64
        (x * 2).sum().backward()
        results.append(v.grad)
    assert_same(*results)


def test_setitem_device_mismatch(fake_cuda):
    x = ember.zeros(3, 4)
    with pytest.raises(RuntimeError, match="same device"):
        x[0] = ember.ones(4, device="cuda")
    y = ember.zeros(3, 4, device="cuda")
    y[0] = ember.tensor(3.0)  # a 0-dim CPU value may go to any device
    y[ember.tensor([1])] = 4.0  # CPU index tensors index tensors on any device
    assert y.device.type == "cuda" and y[0, 0].item() == 3.0 and y[1, 0].item() == 4.0


# ---------------------------------------------------------------------------- errors

ERRORS = [
    (lambda lib, x: x[3], IndexError, "index 3 is out of bounds for dimension 0 with size 3"),
    (lambda lib, x: x[0, -6], IndexError, "out of bounds for dimension"),
    (lambda lib, x: x[0, 0, 0, 0], IndexError, "too many indices for tensor of dimension 3"),
    (lambda lib, x: x[::-1], ValueError, "step must be greater than zero"),
    (lambda lib, x: x[:, ::0], ValueError, "slice step cannot be zero"),
    (lambda lib, x: x[1.5], IndexError, "only integers, slices"),
    (lambda lib, x: x[lib.tensor([0.0])], IndexError, "tensors used as indices must be long"),
    (lambda lib, x: x[lib.tensor([3])], IndexError, "index 3 is out of bounds"),
    (lambda lib, x: x[lib.tensor([True, False])], IndexError, "The shape of the mask [2] at index"),
    (lambda lib, x: x[lib.tensor([0, 1]), lib.tensor([0, 1, 2])], IndexError,
     "shape mismatch: indexing tensors could not be broadcast together with shapes [2], [3]"),
    (lambda lib, x: x.__setitem__(0, lib.ones(4)), RuntimeError, None),
    (lambda lib, x: x.__setitem__(5, 1.0), IndexError, "index 5 is out of bounds"),
    (lambda lib, x: x.__setitem__(lib.tensor([0, 1]), lib.ones(3, 4, 5)), RuntimeError, None),
]


@pytest.mark.parametrize("make,error,message", ERRORS)
def test_index_errors_match_torch(make, error, message):
    with pytest.raises(error) as t_err:
        make(torch, torch.zeros(3, 4, 5))
    with pytest.raises(error) as e_err:
        make(ember, ember.zeros(3, 4, 5))
    if message is not None:
        assert message in str(t_err.value)
        assert message in str(e_err.value)


# ---------------------------------------------------------------------------- function details

def test_sort_returns_named_values_and_indices():
    e = ember.tensor([[3.0, 1.0, 2.0]], requires_grad=True)
    out = ember.sort(e, descending=True)
    values, indices = out
    assert out.values is values and out.indices is indices
    assert type(out).__name__ == "sort"
    assert indices.dtype is ember.int64 and not indices.requires_grad
    assert values.grad_fn.name() == "SortBackward0"
    assert ember.topk(e, 1).indices.tolist() == [[0]]
    assert ember.kthvalue(e, 1).values.item() == 1.0


def test_unique_has_no_derivative():
    for lib in (ember, torch):
        u = lib.unique(lib.tensor([1.0, 1.0, 2.0], requires_grad=True))
        assert u.requires_grad
        with pytest.raises(NotImplementedError):
            u.sum().backward()


def test_diagonal_is_a_writable_view():
    for lib in (ember, torch):
        x = lib.zeros(3, 4)
        x.diagonal(1).add_(2)
        x.diagonal()[0] = 5
        assert x.tolist() == [[5, 2, 0, 0], [0, 0, 2, 0], [0, 0, 0, 2]]


def test_inplace_variants():
    e, t = _pair((3, 4))
    for x, lib in ((e, ember), (t, torch)):
        x.tril_(1)
        x.masked_fill_(x > 0.5, 0.5)
        x.index_fill_(1, lib.tensor([0]), -1.0)
        x.scatter_(0, lib.tensor([[2, 1]]), 9.0)
        x.index_add_(0, lib.tensor([1, 1]), lib.ones(2, 4, dtype=x.dtype), alpha=3)
        x.put_(lib.tensor([0, 11]), lib.tensor([7.0, 8.0], dtype=x.dtype))
    assert_same(e, t)


def test_where_forms():
    e, t = _pair((3, 4))
    for a, b in zip(ember.where(e > 0), torch.where(t > 0)):
        assert_same(a, b)
    assert_same(ember.where(e > 0, e, 0.0), torch.where(t > 0, t, 0.0))
    assert_same(e.where(e < 0, -e), t.where(t < 0, -t))


def test_index_functions_keep_the_device(fake_cuda):
    x = ember.arange(6.0).reshape(2, 3).to("cuda")
    i = ember.tensor([[0, 2]], device="cuda")
    for out in (x.gather(1, i), x.sort().values, x.sort().indices, x.topk(2).indices,
                x.tril(), x.diagonal(), x.masked_fill(x > 2, 0), x[:, [0, 2]], x.nonzero(),
                x.index_select(1, ember.tensor([1], device="cuda")), x.unique()):
        assert out.device.type == "cuda"
    with pytest.raises(RuntimeError, match="same device"):
        x.gather(1, ember.tensor([[0, 2]]))
    with pytest.raises(RuntimeError, match="same device"):
        x.index_select(1, ember.tensor([1]))
