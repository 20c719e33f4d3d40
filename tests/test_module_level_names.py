"""torch's module-level spellings that real code names: torch.select, conj_physical(_), the
dropout family with torch's (input, p, train) arguments and its in-place forms, feature
(channel) dropouts, embedding_renorm_ — against torch, seeded draws included."""

import numpy as np
import pytest
import torch

import ember


def _np(t):
    return t.detach().numpy()


@pytest.mark.parametrize("dim,index", [(0, 1), (1, -1), (-1, 2), (2, 0)])
def test_select_is_a_view_with_torchs_gradient(dim, index):
    x_np = np.arange(24.0).reshape(2, 3, 4)
    results = []
    for lib in (torch, ember):
        x = lib.tensor(x_np, requires_grad=True)
        y = lib.select(x, dim, index)
        assert y.grad_fn.name() == "SelectBackward0"
        (y * y).sum().backward()
        results.append((_np(y), _np(x.grad), _np(x.select(dim, index))))
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)
    base = ember.zeros(2, 3)
    ember.select(base, 1, 2).fill_(5.0)  # a view: writes reach the base
    assert base[:, 2].tolist() == [5.0, 5.0]


@pytest.mark.parametrize("case", ["lib.select(lib.ones(2, 3), 1, 5)",
                                  "lib.select(lib.ones(2, 3), 1, -4)",
                                  "lib.select(lib.ones(2, 3), 2, 0)",
                                  "lib.select(lib.tensor(1.0), 0, 0)"])
def test_select_errors_as_torch(case):
    errors = []
    for lib in (torch, ember):
        with pytest.raises(Exception) as info:
            eval(case, {"lib": lib})
        errors.append(info.value)
    assert type(errors[1]) is type(errors[0])
    assert str(errors[1]).splitlines()[0] == str(errors[0]).splitlines()[0]


def test_conj_physical_as_torch():
    z_np = np.array([1 + 2j, -3 - 0.5j])
    for lib in (torch, ember):
        z = lib.tensor(z_np, requires_grad=True)
        y = lib.conj_physical(z)
        assert y.grad_fn.name() == "ConjPhysicalBackward0"
        np.testing.assert_array_equal(_np(y), np.conj(z_np))
        real = lib.tensor([1.0, 2.0])
        assert lib.conj_physical(real) is real
        w = lib.tensor(z_np)
        assert lib.conj_physical_(w) is w and _np(w).tolist() == np.conj(z_np).tolist()
        assert w.conj_physical_() is w and _np(w).tolist() == z_np.tolist()


@pytest.mark.parametrize("name,shape", [
    ("dropout", (4, 5)), ("alpha_dropout", (4, 5)), ("feature_dropout", (3, 4, 5)),
    ("feature_alpha_dropout", (3, 4, 5)), ("feature_dropout", (4, 5)),
])
@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_dropout_family_equals_torchs_draws(name, shape, p):
    """The same seed gives torch's masks (one draw per channel for the feature dropouts), for
    the function and its in-place form; train=False returns the input itself."""
    x_np = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    results = []
    for lib in (torch, ember):
        lib.manual_seed(7)
        out = getattr(lib, name)(lib.tensor(x_np), p, True)
        x = lib.tensor(x_np)
        lib.manual_seed(7)
        same = getattr(lib, name + "_")(x, p, True)
        assert same is x
        kept = lib.tensor(x_np)
        assert getattr(lib, name)(kept, p, False) is kept
        results.append((_np(out), _np(x)))
    # the kept values are x / (1 - p) (alpha: a * x + b) computed in float32 as torch does
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=2 ** -22, atol=2 ** -22)


def test_feature_dropout_needs_two_dims_as_torch():
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions"):
            lib.feature_dropout(lib.ones(3), 0.5, True)
        with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions"):
            lib.feature_alpha_dropout(lib.ones(3), 0.5, True)
        assert lib.feature_dropout(lib.ones(3), 0.5, False).tolist() == [1.0] * 3  # not training


def test_embedding_renorm_at_module_level_as_torch():
    w_np = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32) * 3
    results = []
    for lib in (torch, ember):
        w = lib.tensor(w_np)
        with lib.no_grad():
            lib.embedding_renorm_(w, lib.tensor([0, 2, 2]), 1.0, 2.0)
        results.append(_np(w))
    np.testing.assert_allclose(results[1], results[0], rtol=2 ** -21)


@pytest.mark.parametrize("case", [
    "x.resize_(2, 2)", "x.resize_(2, 3)", "x.resize_((3,))", "lib.resize_as_(x, lib.ones(3, 2))",
    "lib.as_strided_(x, (2, 2), (1, 2))", "x.as_strided_((3,), (2,), 1)",
])
def test_resize_and_as_strided_in_place_as_torch(case):
    """The same tensor comes back with the new shape; the values kept are those in memory
    order (new elements of a grown tensor are uninitialised in both: not compared)."""
    results = []
    for lib in (torch, ember):
        x = lib.arange(6.0)
        version = x._version
        y = eval(case, {"lib": lib, "x": x})
        assert y is x and x._version > version
        results.append((tuple(x.shape), x.flatten()[:min(6, x.numel())].tolist()))
    assert results[1] == results[0]


def test_resize_refusals_as_torch():
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
            lib.ones(4, requires_grad=True).resize_(2, 2)
        with pytest.raises(NotImplementedError):
            lib.resize_as_sparse_(lib.ones(2), lib.ones(2))
