"""PyTorch's type promotion, table by table, against torch itself: promote_types, result_type
(dimensioned and 0-dim tensors, Python numbers), the dtype that + * / really give, can_cast,
and broadcasting of random shapes (values and gradients)."""

import itertools

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import ember

from conftest import assert_same

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
         "float64", "complex64", "complex128"]
if ember.bfloat16.np is None:  # bfloat16 needs the optional ml_dtypes package
    NAMES.remove("bfloat16")
PAIRS = list(itertools.product(NAMES, NAMES))
SCALARS = [True, 2, 2.5, 1j]


def _name(dtype):
    return str(dtype).split(".")[-1]


def _expected(torch_dtype):
    """torch's answer in ember's terms: ember has no complex32, whose place complex64 takes."""
    name = _name(torch_dtype)
    return "complex64" if name == "complex32" else name


def _tensor(lib, name, ndim):
    return lib.ones((2,) * ndim, dtype=getattr(lib, name))


def test_promote_types_table():
    wrong = []
    for a, b in PAIRS:
        want = _name(torch.promote_types(getattr(torch, a), getattr(torch, b)))
        got = ember.promote_types(getattr(ember, a), getattr(ember, b)).name
        if got != want:
            wrong.append((a, b, got, want))
    assert not wrong


def test_result_type_tensors():
    """Every pair, with each side a dimensioned or a 0-dim tensor."""
    wrong = []
    for (a, b), (da, db) in itertools.product(PAIRS, itertools.product((0, 1), (0, 1))):
        want = _expected(torch.result_type(_tensor(torch, a, da), _tensor(torch, b, db)))
        got = ember.result_type(_tensor(ember, a, da), _tensor(ember, b, db)).name
        if got != want:
            wrong.append((a, da, b, db, got, want))
    assert not wrong


def test_result_type_scalars():
    """Every dtype with a Python bool, int, float and complex, on either side."""
    wrong = []
    for name, ndim, scalar in itertools.product(NAMES, (0, 1), SCALARS):
        t_tensor, e_tensor = _tensor(torch, name, ndim), _tensor(ember, name, ndim)
        for t_args, e_args in [((t_tensor, scalar), (e_tensor, scalar)),
                               ((scalar, t_tensor), (scalar, e_tensor))]:
            want = _expected(torch.result_type(*t_args))
            got = ember.result_type(*e_args).name
            if got != want:
                wrong.append((name, ndim, scalar, got, want))
    for x, y in itertools.product(SCALARS, SCALARS):
        assert ember.result_type(x, y).name == _expected(torch.result_type(x, y))
    assert not wrong


def test_result_type_follows_default_dtype():
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    try:
        for name, scalar in itertools.product(NAMES, SCALARS):
            want = _expected(torch.result_type(_tensor(torch, name, 1), scalar))
            assert ember.result_type(_tensor(ember, name, 1), scalar).name == want
    finally:
        torch.set_default_dtype(torch.float32)


def _op_dtypes(op, a_dim, b_dim):
    wrong = []
    for a, b in PAIRS:
        t_a, t_b = _tensor(torch, a, a_dim), _tensor(torch, b, b_dim)
        if torch.result_type(t_a, t_b) == torch.complex32:
            continue  # torch's complex32 has few kernels; ember has no complex32
        results = []
        for lib in (torch, ember):
            try:
                results.append(_name(op(_tensor(lib, a, a_dim), _tensor(lib, b, b_dim)).dtype))
            except Exception as e:  # both libraries must refuse the same pairs
                results.append(type(e).__name__)
        if results[1] != results[0].replace("complex32", "complex64"):
            wrong.append((a, b, results[1], results[0]))
    return wrong


def test_add_mul_div_dtypes():
    """The dtype that a + b, a * b and a / b really give, for every pair."""
    for op in (lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a / b):
        for a_dim, b_dim in [(1, 1), (1, 0), (0, 1), (0, 0)]:
            assert not _op_dtypes(op, a_dim, b_dim)


def _dtype_or_error(op, lib, name, scalar):
    try:
        return _expected(op(_tensor(lib, name, 1), scalar).dtype)
    except Exception as e:  # both libraries must refuse the same cases
        return type(e).__name__


def test_scalar_op_dtypes():
    """tensor (op) Python number, both orders, for + - * /."""
    ops = [lambda a, s: a + s, lambda a, s: s * a, lambda a, s: a / s, lambda a, s: s - a]
    wrong = []
    for name, scalar, op in itertools.product(NAMES, SCALARS, ops):
        if name == "float16" and isinstance(scalar, complex):
            continue  # complex32 in torch
        got = _dtype_or_error(op, ember, name, scalar)
        want = _dtype_or_error(op, torch, name, scalar)
        if got != want:
            wrong.append((name, scalar, got, want))
    assert not wrong


def test_can_cast_table():
    wrong = [(a, b) for a, b in PAIRS
             if ember.can_cast(getattr(ember, a), getattr(ember, b))
             != torch.can_cast(getattr(torch, a), getattr(torch, b))]
    assert not wrong


def test_numpy_scalars_are_weak():
    """NumPy scalars take part like Python numbers (float32 * np.float64 stays float32)."""
    x = ember.ones(2)
    assert (x * np.float64(2.0)).dtype is ember.float32
    assert (np.float64(2.0) * x).dtype is ember.float32
    assert (ember.ones(2, dtype=ember.int32) + np.int64(2)).dtype is ember.int32
    assert (ember.ones(2, dtype=ember.int32) * np.float32(2.0)).dtype is ember.float32


@settings(max_examples=50, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=3),
       seed=st.integers(0, 2 ** 16))
def test_broadcasting_values_and_grads(shapes, seed):
    """Random broadcastable shapes: a + b and a * b match torch, and the gradients come back
    summed to each input's shape."""
    rng = np.random.default_rng(seed)
    a_shape, b_shape = shapes.input_shapes
    a = rng.uniform(-2, 2, size=a_shape)
    b = rng.uniform(-2, 2, size=b_shape)
    ea, eb = ember.tensor(a, requires_grad=True), ember.tensor(b, requires_grad=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    e_out = ea + eb * ea
    t_out = ta + tb * ta
    assert_same(e_out, t_out)
    v = rng.uniform(-1, 1, size=tuple(t_out.shape))
    (e_out * ember.tensor(v)).sum().backward()
    (t_out * torch.tensor(v)).sum().backward()
    assert_same(ea.grad, ta.grad)
    assert_same(eb.grad, tb.grad)


@settings(max_examples=30, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       extra=st.integers(2, 4))
def test_broadcast_errors(shapes, extra):
    """Shapes that do not broadcast raise torch's RuntimeError (and message) in ember too."""
    a_shape, b_shape = shapes.input_shapes
    if not a_shape:
        return
    bad = a_shape[:-1] + (a_shape[-1] + extra,) if a_shape[-1] != 1 else a_shape
    try:
        np.broadcast_shapes(bad, b_shape)
        return  # still broadcastable
    except ValueError:
        pass
    try:
        torch.ones(bad) + torch.ones(b_shape)
    except RuntimeError as e:
        t_msg = str(e)
    try:
        ember.ones(bad) + ember.ones(b_shape)
    except RuntimeError as e:
        e_msg = str(e)
    assert e_msg.splitlines()[0] == t_msg.splitlines()[0]
