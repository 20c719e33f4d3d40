"""Binary-op behaviour the op table does not reach: warnings, in-place operators, NumPy
scalars, out=, gradient names and routing, integer edge cases."""

import warnings

import numpy as np
import pytest
import torch

import ember
from ember.ops import binary

from conftest import assert_same


def _both(fn, *arrays, grad=False):
    e = [ember.tensor(a, requires_grad=grad) for a in arrays]
    t = [torch.tensor(a, requires_grad=grad) for a in arrays]
    return fn(ember, *e), fn(torch, *t), e, t


def test_no_numpy_warnings_escape():
    x = ember.tensor([1.0, -1.0, 0.0, np.inf, np.nan])
    z = ember.zeros(5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for y in (x / z, x // z, x % z, ember.fmod(x, z), x ** -1, z ** -0.5, x ** 0.5,
                  ember.div(x, z, rounding_mode="trunc"), ember.xlogy(x, z), ember.hypot(x, x),
                  ember.logaddexp(x, x), ember.atan2(x, z), ember.isclose(x, x), 0 ** (-x),
                  ember.tensor([1, 2]) / ember.tensor([0, 0])):
            assert isinstance(y, ember.Tensor)


def test_integer_division_by_zero_raises_as_torch():
    a, b = ember.tensor([5, -5]), ember.tensor([0, 1])
    for fn in (lambda: a // b, lambda: a % b, lambda: ember.fmod(a, b),
               lambda: ember.div(a, b, rounding_mode="trunc")):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            fn()
    assert_same(a / b, torch.tensor([5, -5]) / torch.tensor([0, 1]))


def test_inplace_operators():
    for dtype in ("int64", "float32"):
        e = ember.arange(1, 7, dtype=getattr(ember, dtype)).reshape(2, 3)
        t = torch.arange(1, 7, dtype=getattr(torch, dtype)).reshape(2, 3)
        for lib, x in ((ember, e), (torch, t)):
            x += 2
            x *= lib.tensor([1, 2, 3], dtype=x.dtype)
            x -= 1
            x //= 2
            x %= 5
            x **= 2
        assert_same(e, t)
    b_e, b_t = ember.tensor([True, False]), torch.tensor([True, False])
    b_e |= ember.tensor([False, False])
    b_e &= True
    b_t |= torch.tensor([False, False])
    b_t &= True
    assert_same(b_e, b_t)
    f = ember.ones(2)
    f /= 4
    assert f.tolist() == [0.25, 0.25]


def test_inplace_keeps_the_tensor_and_its_graph():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    y = a * 1
    same = y
    y += 3
    y *= a
    assert y is same
    y.sum().backward()
    assert a.grad.tolist() == [5.0, 7.0]  # d/da (a + 3) * a = 2a + 3


def test_inplace_refuses_a_wider_result():
    x = ember.ones(2, dtype=ember.int32)
    with pytest.raises(RuntimeError, match="can't be cast"):
        x += 1.5
    with pytest.raises(RuntimeError, match="can't be cast"):
        x /= 2
    y = ember.ones(2, dtype=ember.float16)
    y += ember.ones(2, dtype=ember.float64)  # same category: allowed, stays float16
    assert y.dtype is ember.float16


def test_numpy_scalars_on_either_side():
    x = ember.tensor([1.0, 2.0])
    for y in (np.float64(2.0) * x, x * np.float64(2.0), np.int64(3) - x, x / np.float32(2)):
        assert isinstance(y, ember.Tensor) and y.dtype is ember.float32
    assert (np.float64(2.0) * x).tolist() == [2.0, 4.0]


def test_python_scalar_that_does_not_fit_wraps_as_torch():
    e = ember.tensor([1, 2], dtype=ember.int8)
    t = torch.tensor([1, 2], dtype=torch.int8)
    assert_same(e + 200, t + 200)
    assert_same(e < 1000, t < 1000)
    with pytest.raises(OverflowError):
        e + 2 ** 70


def test_out_argument():
    out = ember.empty(2, 3)
    result = ember.add(ember.ones(2, 3), 1, out=out)
    assert result is out and out.tolist() == [[2.0] * 3] * 2
    resized = ember.mul(ember.ones(2), 3, out=ember.empty(0))
    assert resized.shape == (2,)
    cmp = ember.lt(ember.ones(2), 2, out=ember.empty(2))
    assert cmp.dtype is ember.float32 and cmp.tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="out=... arguments don't support"):
        ember.add(ember.ones(2, requires_grad=True), 1, out=ember.empty(2))


def test_pow_grad_fn_names():
    x = ember.ones(2, requires_grad=True)
    assert (x ** 2).grad_fn.name() == "PowBackward0"
    assert (x ** ember.ones(2)).grad_fn.name() == "PowBackward1"
    assert (2 ** x).grad_fn.name() == "PowBackward2"


@pytest.mark.parametrize("name", ["maximum", "minimum", "fmax", "fmin"])
def test_tie_gradients(name):
    """maximum/minimum split a tie in halves; fmax/fmin give it to the first input."""
    fn = lambda lib, a, b: getattr(lib, name)(a, b)  # noqa: E731
    e, t, e_in, t_in = _both(fn, [1.0, 2.0, np.nan], [1.0, 3.0, 1.0], grad=True)
    e.sum().backward()
    t.sum().backward()
    for x, y in zip(e_in, t_in):
        assert_same(x.grad, y.grad)


def test_rounding_mode_grads_are_zero_and_floor_divide_has_none():
    a = ember.tensor([5.0, -7.0], requires_grad=True)
    for mode in ("floor", "trunc"):
        (g,) = ember.autograd.grad(ember.div(a, 2.0, rounding_mode=mode).sum(), [a])
        assert g.tolist() == [0.0, 0.0]
    with pytest.raises(RuntimeError, match="not implemented"):
        (a // 2.0).sum().backward()


def test_where_forms():
    cond = ember.tensor([True, False, True])
    x = ember.tensor([1.0, 2.0, 3.0])
    assert ember.where(cond, x, 0.0).tolist() == [1.0, 0.0, 3.0]
    assert x.where(cond, -1).tolist() == [1.0, -1.0, 3.0]
    assert ember.where(cond, 1, 0).dtype is ember.int64
    (idx,) = ember.where(cond)
    assert idx.tolist() == [0, 2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch deprecates uint8 masks; both still take them
        assert ember.where(cond.to(ember.uint8), x, 0.0).tolist() == [1.0, 0.0, 3.0]


def test_closeness_returns_python_bools():
    x = ember.tensor([1.0, 2.0])
    assert ember.allclose(x, x + 1e-9) is True
    assert ember.equal(x, x.long()) is True
    assert ember.equal(x, x[:1]) is False


def test_shift_dunders():
    x = ember.tensor([1, 2, 3])
    assert (2 << x).tolist() == [4, 8, 16]
    assert (64 >> x).tolist() == [32, 16, 8]
    x <<= 1
    assert x.tolist() == [2, 4, 6]


def test_same_dtype_fast_path_does_no_work():
    """operands() hands same-dtype tensors back untouched (the hot path of every op)."""
    a, b = ember.ones(2), ember.ones(3)
    x, y = binary.operands(a, b)
    assert x is a and y is b
