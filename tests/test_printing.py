"""repr/str of tensors: exactly torch's text, with 'torch' read as 'ember'."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember import _printing

inf, nan = math.inf, math.nan


def torch_text(t):
    return repr(t).replace("torch.", "ember.")


def both(data, dtype=None, **kwargs):
    """The same tensor in torch and ember."""
    t = torch.tensor(data, dtype=getattr(torch, dtype) if dtype else None, **kwargs)
    e = ember.tensor(data, dtype=getattr(ember, dtype) if dtype else None, **kwargs)
    return e, t


def check(data, dtype=None, **kwargs):
    e, t = both(data, dtype, **kwargs)
    assert repr(e) == torch_text(t)
    assert str(e) == str(t).replace("torch.", "ember.")


@pytest.fixture
def restore_printoptions():
    yield
    ember.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


def set_both(**kwargs):
    ember.set_printoptions(**kwargs)
    torch.set_printoptions(**kwargs)


# ---------------------------------------------------------------------------- fixed cases


def test_basic_text():
    assert repr(ember.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(ember.tensor([1.5, 2.0])) == "tensor([1.5000, 2.0000])"
    assert repr(ember.tensor(3)) == "tensor(3)"
    assert repr(ember.tensor([1e-5, 1.0])) == "tensor([1.0000e-05, 1.0000e+00])"


FLOAT_CASES = [
    [1.0, 2.0],
    [0.0],
    [0.0, 0.0],
    3.5,
    0.0,
    -0.0,
    1e-5,
    1e10,
    123456789.0,
    -7.0,
    [1e-5, 1.0],
    [1e10, 1.0],
    [1e8, 1.0],
    [1e9, 1.0],
    [1e-4, 1.0],
    [1.1e-4, 1.0],
    [1.0, 1000.0],
    [1.0, 1001.0],
    [0.5, 500.0],
    [0.5, 501.0],
    [1.5, 1000.5],
    [nan, 1.0, inf],
    [nan],
    [inf, -inf],
    [0.0, nan, -inf],
    [1.0, -inf],
    [1.5, nan],
    [1e20, nan],
    [-0.0, 1.5],
    [-0.0, 1.0],
    [-0.0, 0.0],
    [-1.0, -2.5],
    [-1e-7, 3.0],
    [123.456, -0.001],
    [0.1, 0.2, 0.3],
    [1 / 3, 2 / 3],
    [99999.5],
    [1e-45],
    [3.4e38, 1.0],
    [[1.0, 2.0], [3.0, 4.0]],
    [[1.5, -2.0], [3.0, 400.0]],
    [[[1.5, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]],
    [[[[1.0]]]],
    [[1.0], [2.0]],
]


@pytest.mark.parametrize("data", FLOAT_CASES, ids=str)
def test_float_values(data):
    check(data)


@pytest.mark.parametrize("data", FLOAT_CASES[:30], ids=str)
def test_float64_values(data):
    check(data, "float64")


@pytest.mark.parametrize(
    "data",
    [
        [1, 2, 3],
        [-1, 100, 5],
        7,
        -12,
        [[1, -20], [300, 4]],
        [0],
        [2**62, -(2**62)],
        [],
    ],
)
@pytest.mark.parametrize("dtype", [None, "int8", "int16", "int32", "int64"])
def test_integers(data, dtype):
    limit = {"int8": 127, "int16": 127, "int32": 2**31 - 1}.get(dtype, 2**63 - 1)
    if any(abs(v) > limit for v in np.ravel(data)):
        return  # the value does not fit this dtype: nothing to print
    check(data, dtype)


@pytest.mark.parametrize("data", [[1, 2, 255], 3, [[0, 1], [2, 3]]])
def test_uint8(data):
    check(data, "uint8")


@pytest.mark.parametrize("data", [[True, False], True, False, [[True], [False]], []])
def test_bool(data):
    check(data, "bool" if data == [] else None)


@pytest.mark.parametrize(
    "data",
    [
        [1 + 2j, 3 - 4j],
        1 + 2j,
        -0.5j,
        [1.5 + 0j, -2j],
        [1e-6 + 1j, 2 + 1e6j],
        [complex(nan, 1), complex(1, inf)],
        [-0.0 - 1j, 1 + 0j],
        [[1 + 1j, 2], [3, 4j]],
        [complex(0, -0.0)],
        [1 + 2.5j],
        [1e10 + 1j],
    ],
)
@pytest.mark.parametrize("dtype", [None, "complex64", "complex128"])
def test_complex(data, dtype):
    check(data, dtype)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float64", "float32"])
@pytest.mark.parametrize("data", [[1.5, 2.0, 3.0], [1.0, 2.0], 0.1, [1e-3, 60000.0], [nan, 1.0]])
def test_float_dtypes(data, dtype):
    check(data, dtype)


@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0), (2, 0, 3), (0, 0)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool", "complex64", "int32"])
def test_empty(shape, dtype):
    e = ember.zeros(shape, dtype=getattr(ember, dtype))
    t = torch.zeros(shape, dtype=getattr(torch, dtype))
    assert repr(e) == torch_text(t)


def test_empty_text():
    assert repr(ember.tensor([])) == "tensor([])"
    assert repr(ember.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert repr(ember.tensor([], dtype=ember.int64)) == "tensor([], dtype=ember.int64)"


# ---------------------------------------------------------------------------- layout


@pytest.mark.parametrize("n", [10, 30, 100, 999, 1000, 1001, 2000])
def test_long_rows_wrap_and_summarise(n):
    check(np.arange(n, dtype=np.float32).tolist())
    check((np.arange(n) * 1.5).tolist())
    check(list(range(n)))


@pytest.mark.parametrize(
    "shape",
    [
        (1001,),
        (40, 30),
        (3, 400),
        (400, 3),
        (11, 11, 11),
        (2, 3, 4, 50),
        (1, 1, 2000),
        (2000, 1),
        (7, 7, 7, 7),
    ],
)
def test_summarised_nd(shape):
    rng = np.random.default_rng(sum(shape))
    check(rng.standard_normal(shape).tolist())
    check(rng.integers(-1000, 1000, shape).tolist())


def test_summary_text():
    text = repr(ember.arange(2000.0))
    assert (
        text == "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
        "        1.9990e+03])"
    )


def test_summary_widths_come_from_shown_values_only():
    # the hidden middle holds a huge value; it must not change the style
    data = [1.0] * 10 + [1e12] + [2.0] * 1000
    check(data)


def test_requires_grad_and_grad_fn():
    e, t = both([1.0, 2.0], requires_grad=True)
    assert repr(e) == torch_text(t) == "tensor([1., 2.], requires_grad=True)"
    assert repr(e * 2) == torch_text(t * 2) == "tensor([2., 4.], grad_fn=<MulBackward0>)"
    assert repr(e + 1) == torch_text(t + 1)
    assert repr(e.sum()) == torch_text(t.sum())
    e64, t64 = both([1.5, 2.0], "float64", requires_grad=True)
    assert repr(e64 * 2) == torch_text(t64 * 2)
    assert repr(e64) == torch_text(t64)


def test_no_grad_result_has_no_suffix():
    e, t = both([1.0, 2.0], requires_grad=True)
    with ember.no_grad():
        e2 = e * 2
    with torch.no_grad():
        t2 = t * 2
    assert repr(e2) == torch_text(t2)
    assert repr(e.detach()) == torch_text(t.detach())


def test_suffixes_wrap_to_a_new_line():
    # a full last line pushes the suffixes onto their own lines, indented
    data = (np.arange(16) + 0.5).tolist()
    for dtype in ["float64", "float16"]:
        e, t = both(data, dtype, requires_grad=True)
        assert repr(e) == torch_text(t)
        assert repr(e * 3) == torch_text(t * 3)
    e, t = both([[1.5] * 12] * 2, "float64", requires_grad=True)
    assert repr(e) == torch_text(t)


def test_parameter():
    p = ember.nn.Parameter(ember.tensor([1.0, 2.0]))
    q = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    assert repr(p) == torch_text(q)
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert str(p) == str(q)
    p = ember.nn.Parameter(ember.tensor([1.0, 2.0]), requires_grad=False)
    q = torch.nn.Parameter(torch.tensor([1.0, 2.0]), requires_grad=False)
    assert repr(p) == torch_text(q)


def test_subclass_prefix():
    class My(ember.Tensor):
        pass

    t = My._make(np.ones(2, dtype=np.float32), ember.device("cpu"))
    assert repr(t) == "My([1., 1.])"


def test_default_dtype_changes_the_suffix():
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    try:
        for data, dtype in [
            ([1.5, 2.0], None),
            ([1.5, 2.0], "float32"),
            ([1 + 1j], None),
            ([1 + 1j], "complex64"),
            ([1, 2], None),
            ([], None),
            ([], "float32"),
        ]:
            e, t = both(data, dtype)
            assert repr(e) == torch_text(t)
        assert repr(ember.tensor([1.0])) == "tensor([1.])"
        assert repr(ember.tensor([1.0], dtype=ember.float32)) == "tensor([1.], dtype=ember.float32)"
    finally:
        torch.set_default_dtype(torch.float32)


def test_cuda_device_suffix(fake_cuda):
    e = ember.tensor([1.0, 2.0], device="cuda")
    assert repr(e) == "tensor([1., 2.], device='cuda:0')"
    e = ember.tensor([1.0, 2.0], device="cuda", dtype=ember.float64, requires_grad=True)
    assert repr(e) == "tensor([1., 2.], device='cuda:0', dtype=ember.float64, requires_grad=True)"
    assert repr(ember.zeros(0, 2, device="cuda")) == "tensor([], device='cuda:0', size=(0, 2))"


# ---------------------------------------------------------------------------- print options


def test_set_printoptions_is_exported():
    assert ember.set_printoptions is _printing.set_printoptions


@pytest.mark.usefixtures("restore_printoptions")
@pytest.mark.parametrize(
    "options",
    [
        dict(precision=2),
        dict(precision=8),
        dict(precision=0),
        dict(threshold=5),
        dict(threshold=5, edgeitems=1),
        dict(edgeitems=0, threshold=5),
        dict(edgeitems=0),
        dict(linewidth=20),
        dict(linewidth=200),
        dict(linewidth=5),
        dict(profile="short"),
        dict(profile="full"),
        dict(sci_mode=True),
        dict(sci_mode=False),
        dict(profile="short", precision=6),
        dict(threshold=10, linewidth=30),
    ],
)
def test_printoptions(options):
    set_both(**options)
    rng = np.random.default_rng(7)
    datas = [
        [1.0, 2.0],
        [1.5, 2.25],
        [1e-6, 1.0],
        [1e10, 2.0],
        [0.0, nan],
        rng.standard_normal(30).tolist(),
        rng.standard_normal((4, 5)).tolist(),
        (rng.standard_normal((12, 12)) * 1e5).tolist(),
        list(range(40)),
        [1 + 2j, 3.5 - 1j],
        np.arange(1500.0).tolist(),
        2.5,
    ]
    for data in datas:
        check(data)
    e, t = both([1.5, 2.0] * 10, "float64", requires_grad=True)
    assert repr(e) == torch_text(t)


@pytest.mark.usefixtures("restore_printoptions")
def test_sci_mode_resets_on_every_call():
    ember.set_printoptions(sci_mode=True)
    assert repr(ember.tensor([1.5])) == "tensor([1.5000e+00])"
    ember.set_printoptions(precision=4)
    assert repr(ember.tensor([1.5])) == "tensor([1.5000])"


@pytest.mark.usefixtures("restore_printoptions")
def test_printoptions_context():
    with _printing.printoptions(precision=2):
        assert repr(ember.tensor([1.5555])) == "tensor([1.56])"
    assert repr(ember.tensor([1.5555])) == "tensor([1.5555])"


# ---------------------------------------------------------------------------- many values

MAGNITUDES = [1e-12, 1e-6, 1e-4, 1e-3, 0.1, 1.0, 10.0, 999.0, 1e4, 1e8, 1e9, 1e15]


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    shape=st.lists(st.integers(1, 6), min_size=0, max_size=3),
    low=st.sampled_from(MAGNITUDES),
    high=st.sampled_from(MAGNITUDES),
    whole=st.booleans(),
    specials=st.sets(st.sampled_from([nan, inf, -inf, 0.0, -0.0])),
    dtype=st.sampled_from(["float32", "float64", "float16", "bfloat16"]),
)
def test_random_floats_match_torch(seed, shape, low, high, whole, specials, dtype):
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    magnitude = np.exp(rng.uniform(np.log(min(low, high)), np.log(max(low, high)), size))
    values = magnitude * rng.choice([-1.0, 1.0], size)
    if whole:
        values = np.round(values)
    for i, special in enumerate(specials):
        if i < size:
            values[rng.integers(size)] = special
    data = values.reshape(shape).tolist()
    check(data, dtype)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    shape=st.lists(st.integers(1, 5), min_size=0, max_size=3),
    scale=st.sampled_from([1e-5, 1e-2, 1.0, 1e3, 1e9]),
)
def test_random_complex_match_torch(seed, shape, scale):
    rng = np.random.default_rng(seed)
    values = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) * scale
    check(values.tolist())


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    shape=st.lists(st.integers(1, 5), min_size=0, max_size=4),
    high=st.sampled_from([1, 10, 1000, 2**40]),
    dtype=st.sampled_from(["int64", "int32"]),
)
def test_random_ints_match_torch(seed, shape, high, dtype):
    rng = np.random.default_rng(seed)
    high = min(high, 2**31 - 1) if dtype == "int32" else high
    check(rng.integers(-high, high, shape).tolist(), dtype)


@pytest.mark.parametrize("seed", range(6))
def test_random_large_tensors_match_torch(seed):
    rng = np.random.default_rng(seed)
    shape = [(1200,), (35, 35), (3, 20, 20), (2, 2, 300), (1001, 1), (6, 6, 6, 6)][seed]
    scale = [1e-6, 1.0, 1e3, 1e9, 0.5, 1e-2][seed]
    check((rng.standard_normal(shape) * scale).tolist())
    check(np.round(rng.standard_normal(shape) * scale * 100).tolist())
