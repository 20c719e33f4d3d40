"""Bad input of any kind gets torch's exception class and a clear message — never a raw NumPy
traceback (numpy.exceptions.AxisError, broadcast ValueErrors, ...)."""

import numpy as np
import pytest
import torch

import ember

CASES = [
    "lib.ones(2, 3).sum(dim=5)",
    "lib.ones(2, 3).mean(dim=(0, 0))",
    "lib.ones(2, 3).reshape(4)",
    "lib.ones(2, 3).view(5, -1)",
    "lib.ones(2, 3).permute(0)",
    "lib.ones(2, 3).transpose(0, 3)",
    "lib.ones(2, 3).squeeze(4)",
    "lib.ones(2, 3).unsqueeze(5)",
    "lib.ones(2, 3).expand(4, 3)",
    "lib.ones(2, 3).flatten(3)",
    "lib.cat([lib.ones(2, 3), lib.ones(3, 2)])",
    "lib.cat([])",
    "lib.stack([lib.ones(2), lib.ones(3)])",
    "lib.ones(3)[5]",
    "lib.ones(3)[::-1]",
    "lib.ones(3)[lib.tensor([1.5])]",
    "lib.ones(2, 3) @ lib.ones(2)",
    "lib.ones(2, 3) + lib.ones(4, 3)",
    "lib.ones(3).split(0)",
    "lib.ones(3).chunk(0)",
    "lib.ones(2, 3).gather(1, lib.tensor([[5]]))",
    "lib.ones(2, 3).index_select(0, lib.tensor([7]))",
    "lib.ones(2, 2).masked_fill(lib.ones(3, 3, dtype=lib.bool), 0)",
    "lib.ones(3).topk(5)",
    "lib.ones(2, 3).max(dim=2)",
    "lib.zeros(0).max()",
    "lib.zeros(0).argmax()",
    "lib.linalg.inv(lib.zeros(2, 2))",
    "lib.linalg.inv(lib.ones(2, 3))",
    "lib.linalg.cholesky(-lib.eye(2))",
    "lib.ones(2, 3).repeat(2)",
    "lib.ones(2).roll(1, 3)",
    "lib.ones(2, 3).narrow(0, 1, 5)",
    "lib.tensor([[1, 2], [3]])",
    "lib.tensor('abc')",
    "lib.zeros(-1)",
    "lib.arange(0, 10, 0)",
    "lib.ones(2, dtype=lib.int64) // 0",
    "lib.ones(2, dtype=lib.int64).requires_grad_()",
    "lib.ones(2).item()",
    "bool(lib.ones(2))",
    "lib.ones(2).backward()",
    "lib.einsum('ij,jk->ik', lib.ones(2, 3), lib.ones(2, 3))",
    "lib.ones(2, 3).diagonal(dim1=0, dim2=0)",
    "lib.ones(2, 3).scatter(1, lib.tensor([[0, 1, 2, 3]]), 1.0)",
    "lib.ones(2, 3).tril(diagonal=1).trace().view(2)",
]


def _builtin_base(cls):
    return next(c for c in cls.__mro__ if c.__module__ == "builtins")


@pytest.mark.parametrize("case", CASES)
def test_bad_input_raises_torch_class_not_numpy(case):
    with pytest.raises(Exception) as t_err:
        eval(case, {"lib": torch})
    with pytest.raises(Exception) as e_err:
        eval(case, {"lib": ember})
    err = e_err.value
    assert type(err).__module__ == "builtins" or isinstance(err, RuntimeError), \
        f"{type(err).__module__}.{type(err).__name__} escaped: {err}"
    assert not isinstance(err, np.exceptions.AxisError)
    expected = _builtin_base(type(t_err.value))  # e.g. torch's LinAlgError is a RuntimeError
    assert isinstance(err, expected), \
        f"ember raised {type(err).__name__}: {err}; torch {type(t_err.value).__name__}"
    assert "numpy" not in str(err).lower() or "ember" in str(err).lower()
