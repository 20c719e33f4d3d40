"""Legacy names against torch: Variable, FloatTensor & co. (constructors, isinstance, x.type()),
x.new(...), and Tensor.data (shares memory, not the version counter; x.data = y swaps)."""

import warnings

import numpy as np
import pytest
import torch

import ember
from ember.autograd import Variable as EVariable

from conftest import assert_same

LEGACY = ["FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "ByteTensor",
          "CharTensor", "ShortTensor", "IntTensor", "LongTensor", "BoolTensor"]


def run(expr, lib):
    """``expr`` evaluated with ``m`` = the library: (value, warnings, exception)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = eval(expr, {"m": lib, "np": np})
        except Exception as e:  # noqa: BLE001 - the exception is what we compare
            return None, caught, e
    return value, caught, None


def check(expr, same_message=True):
    """Same tensor (values, dtype, shape, requires_grad), same other value, or the same
    exception class and first line; the same warnings (class and text)."""
    t, t_warn, t_error = run(expr, torch)
    e, e_warn, e_error = run(expr, ember)
    assert [(w.category, str(w.message)) for w in e_warn] == \
        [(w.category, str(w.message)) for w in t_warn]
    if t_error is not None or e_error is not None:
        assert type(e_error) is type(t_error), f"ember: {e_error!r}\ntorch: {t_error!r}"
        if same_message:
            assert str(e_error).splitlines()[0] == str(t_error).splitlines()[0]
        return
    if isinstance(t, torch.Tensor) and t.is_meta:
        assert e.is_meta and tuple(e.shape) == tuple(t.shape) and repr(e) == repr(t).replace(
            "torch.", "ember.")
    elif isinstance(t, torch.Tensor):
        assert type(e) is ember.Tensor
        assert_same(e, t, rtol=0, atol=0)
        assert e.requires_grad == t.requires_grad
        assert (e.grad_fn is None) == (t.grad_fn is None)
    elif isinstance(t, str):
        assert e == t
    else:
        assert repr(e) == repr(t).replace("torch.", "ember.")


# ---------------------------------------------------------------------------- Variable

VARIABLE_CASES = [
    "m.autograd.Variable(m.ones(2))",
    "m.autograd.Variable(m.ones(2), requires_grad=True)",
    "m.autograd.Variable(m.ones(2), True)",
    "m.autograd.Variable(m.ones(2), requires_grad=1)",
    "m.autograd.Variable(m.ones(2), volatile=True)",  # warns: volatile was removed
    "m.autograd.Variable(m.ones(2), volatile=False)",
    "m.autograd.Variable(m.ones(2, dtype=m.int64), volatile=True)",
    "m.autograd.Variable()",
    "m.autograd.Variable(m.ones(2, requires_grad=True) * 2)",
    "m.autograd.Variable(m.ones(2, requires_grad=True) * 2, requires_grad=True)",
    "m.autograd.Variable(m.ones(2), True, True)",
    "m.autograd.Variable(m.ones(2), requires_grad=None)",
    "m.autograd.Variable([1.0, 2.0])",
    "m.autograd.Variable(np.ones(2))",
    "m.autograd.Variable(3)",
    "m.autograd.Variable(m.ones(2, dtype=m.int64), requires_grad=True)",
    "m.autograd.Variable(m.ones(2), m.ones(2))",
    "isinstance(m.ones(2), m.autograd.Variable)",
    "isinstance(m.nn.Parameter(m.ones(2)), m.autograd.Variable)",
    "isinstance(3, m.autograd.Variable)",
    "isinstance([m.ones(2)], m.autograd.Variable)",
]


@pytest.mark.parametrize("expr", VARIABLE_CASES)
def test_variable(expr):
    check(expr)


def test_variable_shares_memory_and_version_with_its_data():
    for lib in (torch, ember):
        x = lib.ones(2)
        v = lib.autograd.Variable(x)
        assert v is not x and v.data_ptr() == x.data_ptr()
        v.add_(1)
        assert x.tolist() == [2.0, 2.0] and x._version == 1
        assert type(lib.autograd.Variable(lib.nn.Parameter(lib.ones(2)))) is lib.Tensor


def test_volatile_warns_as_torch():
    with pytest.warns(UserWarning, match="volatile was removed and now has no effect"):
        ember.autograd.Variable(ember.ones(2), volatile=True)
    assert EVariable is ember.autograd.Variable


# ---------------------------------------------------------------------------- FloatTensor & co.

CONSTRUCTOR_CASES = [
    "m.{T}(2, 3)",
    "m.{T}(0)",
    "m.{T}(2, 0)",
    "m.{T}()",
    "m.{T}([1, 0, 2])",
    "m.{T}([[1, 2], [3, 4]])",
    "m.{T}((2, 3))",  # a tuple is data, not a size
    "m.{T}(m.Size([2, 3]))",
    "m.{T}(np.array([1, 2]))",
    "m.{T}(np.array([[1.5, 2]]))",
    "m.{T}(range(3))",
    "m.{T}(np.int64(2))",
    "m.{T}(-1)",
    "m.{T}(2.5)",
    "m.{T}(True)",
    "m.{T}(None)",
    "m.{T}('ab')",
    "m.{T}([[1, 2], [3]])",
    "m.{T}(2, [3])",
    "m.{T}(2, 3.0)",
    "m.{T}([1, 2], [3])",
    "m.{T}((2, 3), 4)",
    "m.{T}(m.Size([2]), 3)",
    "m.{T}(2, 3, device='cpu')",
    "m.{T}(device='cpu')",
    "m.{T}([1], device='meta')",
    "m.{T}(m.ones(2, dtype=m.int64))",
    "m.{T}(m.ones(2, dtype=m.float64))",
    "m.{T}(m.tensor(3))",
]


@pytest.mark.parametrize("name", LEGACY)
@pytest.mark.parametrize("case", CONSTRUCTOR_CASES)
def test_legacy_constructor(case, name):
    expr = case.format(T=name)
    t, _, t_error = run(expr, torch)
    e, _, e_error = run(expr, ember)
    if t_error is None and e_error is None and (case.startswith("m.{T}(2") or
                                                 case in ("m.{T}(m.Size([2, 3]))",
                                                          "m.{T}(np.int64(2))", "m.{T}(0)")):
        assert tuple(e.shape) == tuple(t.shape) and str(e.dtype)[6:] == str(t.dtype)[6:]
        assert e.device.type == "cpu"
        return
    check(expr)


TENSOR_CASES = [
    "m.Tensor(2, 3).shape",
    "m.Tensor([1, 2])",
    "m.Tensor()",
    "m.Tensor((2, 3))",
    "m.Tensor(m.Size([2])).shape",
    "m.Tensor(np.array([1, 2]))",
    "m.Tensor(m.ones(2, dtype=m.int64))",  # ember.Tensor takes a tensor of any dtype
    "m.Tensor(m.ones(2, requires_grad=True))",
    "m.Tensor(m.ones(2, requires_grad=True) * 2).grad_fn.name()",
    "type(m.Tensor(m.nn.Parameter(m.ones(2)))) is m.Tensor",
    "m.Tensor(2.5)",
    "m.Tensor(-1)",
    "m.Tensor('ab')",
    "m.Tensor(None)",
    "m.Tensor([1, 2], [3])",
    "m.Tensor(m.Size([2]), 3)",
    "m.Tensor(2, 3.0)",
    "m.Tensor(2, device='meta')",
    "m.Tensor(2, 3, dtype=m.float64)",
]


@pytest.mark.parametrize("expr", TENSOR_CASES)
def test_tensor_legacy_constructor(expr):
    # NOTE: torch's TypeError for an unknown keyword lists its overloads; ember's is Python's
    check(expr, same_message="dtype=" not in expr)


def test_legacy_constructor_aliases_a_tensor_of_its_type():
    for lib in (torch, ember):
        z = lib.ones(2)
        w = lib.FloatTensor(z)
        assert w is not z and w.data_ptr() == z.data_ptr()
        p = lib.ones(2, requires_grad=True)
        assert lib.FloatTensor(p).grad_fn.name() == "AliasBackward0"
        assert type(lib.FloatTensor(lib.nn.Parameter(lib.ones(2)))) is lib.Tensor
        assert lib.LongTensor([1.7, -2.7]).tolist() == [1, -2]  # truncation toward zero
        assert lib.ByteTensor([-1, 2]).tolist() == [255, 2]


def test_legacy_constructor_follows_no_default_dtype():
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    try:
        assert ember.FloatTensor(2).dtype is ember.float32 and torch.FloatTensor(2).dtype is \
            torch.float32
        assert ember.Tensor(2).dtype is ember.float64 and torch.Tensor(2).dtype is torch.float64
        assert ember.ones(2).type() == torch.ones(2).type() == "torch.DoubleTensor"
    finally:
        torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("name", LEGACY)
def test_type_objects(name):
    e, t = getattr(ember, name), getattr(torch, name)
    assert e.__name__ == t.__name__
    assert str(e.dtype)[6:] == str(t.dtype)[6:]
    assert e.is_cuda is t.is_cuda is False and e.is_sparse is t.is_sparse is False
    assert getattr(ember.cuda, name).is_cuda is getattr(torch.cuda, name).is_cuda is True
    assert getattr(ember.cuda, name).dtype is e.dtype
    assert not issubclass(e, ember.Tensor) and not issubclass(t, torch.Tensor)
    assert {e: 1}[e] == 1


ISINSTANCE_CASES = [
    "isinstance(m.ones(2), m.{T})",
    "isinstance(m.ones(2, dtype=m.float64), m.{T})",
    "isinstance(m.ones(2, dtype=m.int64), m.{T})",
    "isinstance(m.ones(2, dtype=m.{d}), m.{T})",
    "isinstance(m.nn.Parameter(m.ones(2, dtype=m.{d}).float()), m.{T})",
    "isinstance(m.ones(2, dtype=m.{d}, device='meta'), m.{T})",
    "isinstance(m.ones(2, dtype=m.{d}), m.cuda.{T})",
    "isinstance(m.ones(2, dtype=m.{d}), (m.{T}, m.LongTensor))",
    "isinstance(2.0, m.{T})",
    "isinstance(np.ones(2), m.{T})",
]


@pytest.mark.parametrize("name", LEGACY)
@pytest.mark.parametrize("case", ISINSTANCE_CASES)
def test_isinstance(case, name):
    dtype = str(getattr(torch, name).dtype)[6:]
    check(case.format(T=name, d=dtype))


def test_isinstance_cuda_types_on_a_cuda_tensor(fake_cuda):
    x = ember.ones(2, device="cuda")
    assert isinstance(x, ember.cuda.FloatTensor) and not isinstance(x, ember.FloatTensor)
    assert x.type() == "torch.cuda.FloatTensor"


def test_cuda_types_need_cuda():
    for expr in ("m.cuda.FloatTensor(2)", "m.cuda.LongTensor([1])", "m.cuda.FloatTensor()"):
        check(expr)


def test_cuda_types_build_on_cuda(fake_cuda):
    x = ember.cuda.LongTensor([1, 2])
    assert x.device == ember.device("cuda", 0) and x.dtype is ember.int64
    assert ember.cuda.FloatTensor(2, 3).shape == (2, 3)
    with pytest.raises(RuntimeError, match="legacy constructor expects device type: cuda"):
        ember.cuda.FloatTensor(2, device="cpu")


# ---------------------------------------------------------------------------- x.type()

TYPE_CASES = [
    "m.ones(2).type()",
    "m.ones(2, dtype=m.{d}).type()",
    "m.ones(2, dtype=m.complex64).type()",
    "m.ones(2, dtype=m.complex128).type()",
    "m.ones(2, device='meta', dtype=m.{d}).type()",
    "m.ones(2).type(m.{T})",
    "m.ones(2, requires_grad=True).type(m.{T})",
    "m.tensor([1.5, -2.5]).type('torch.{T}')",
    "m.tensor([1.5, -2.5]).type(m.{d})",
    "m.tensor([1.5, -2.5]).type(dtype=m.{d})",
    "m.tensor([1, 2]).type(m.Tensor)",
    "m.tensor([1, 2]).type('torch.Tensor')",
    "m.ones(2).type('torch.ComplexFloatTensor')",
    "m.ones(2).type('torch.{d}')",
    "m.ones(2).type('{T}')",
    "m.ones(2).type('torch.Foo')",
    "m.ones(2).type(int)",
    "m.ones(2).type(m.ones(2))",
    "m.ones(2).type(m.cuda.{T})",
    "m.ones(2).type('torch.cuda.{T}')",
]


@pytest.mark.parametrize("name", LEGACY)
@pytest.mark.parametrize("case", TYPE_CASES)
def test_type(case, name):
    expr = case.format(T=name, d=str(getattr(torch, name).dtype)[6:])
    # without CUDA the first lines differ (torch: its CUDA library is missing); same class
    check(expr, same_message="cuda" not in case)


def test_to_refuses_a_legacy_type():
    # torch also warns about its own __torch_function__ here; only the error class is compared
    with pytest.raises(TypeError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.ones(2).to(torch.FloatTensor)
    with pytest.raises(TypeError, match="to.. received an invalid combination of arguments"):
        ember.ones(2).to(ember.FloatTensor)


def test_type_returns_self_when_nothing_changes():
    x = ember.ones(2)
    assert x.type(ember.FloatTensor) is x and x.type("torch.FloatTensor") is x
    assert x.type(ember.float32) is x


def test_type_moves_between_devices(fake_cuda):
    x = ember.ones(2)
    y = x.type(ember.cuda.DoubleTensor)
    assert y.device.type == "cuda" and y.dtype is ember.float64
    assert y.type() == "torch.cuda.DoubleTensor"
    z = y.type(ember.LongTensor)
    assert z.device.type == "cpu" and z.dtype is ember.int64
    assert x.type("torch.cuda.HalfTensor").type() == "torch.cuda.HalfTensor"


def test_legacy_names_reach_the_printed_type():
    # the names that error messages and ParameterList print come from x.type(), as in torch
    pl_e = ember.nn.ParameterDict({"a": ember.nn.Parameter(ember.ones(2, 3))})
    pl_t = torch.nn.ParameterDict({"a": torch.nn.Parameter(torch.ones(2, 3))})
    assert "[torch.FloatTensor of size 2x3]" in repr(pl_e) and \
        "[torch.FloatTensor of size 2x3]" in repr(pl_t)


# ---------------------------------------------------------------------------- x.new(...)

NEW_CASES = [
    "m.ones(2).new(2, 3).shape",
    "m.ones(2, dtype=m.int32).new([1.5])",
    "m.ones(2).new()",
    "m.ones(2).new(m.ones(1, dtype=m.int64))",
    "m.ones(2, device='meta').new(2)",
    "m.ones(2).new(2, device='meta')",
    "m.ones(2, dtype=m.float64).new([1, 2])",
]


@pytest.mark.parametrize("expr", NEW_CASES)
def test_new(expr):
    check(expr)


# ---------------------------------------------------------------------------- Tensor.data


def test_data_shares_memory_but_not_the_version_counter():
    for lib in (torch, ember):
        x = lib.ones(3, requires_grad=True)
        d = x.data
        assert not d.requires_grad and d.is_leaf and d.grad_fn is None
        assert d.data_ptr() == x.data_ptr() and type(d) is lib.Tensor
        d.add_(1)
        assert x.tolist() == [2.0, 2.0, 2.0]
        assert (x._version, d._version) == (0, 1)
        assert type(lib.nn.Parameter(lib.ones(2)).data) is lib.Tensor
        assert lib.ones(2, requires_grad=True).mul(2).data.grad_fn is None


def test_inplace_through_data_is_invisible_to_autograd():
    """torch's documented difference: x.data.mul_() is not seen (the gradient uses the new
    values silently), x.detach().mul_() is (backward raises)."""
    grads = []
    for lib in (torch, ember):
        x = lib.ones(3, requires_grad=True)
        y = x * x
        x.data.mul_(2)
        assert x._version == 0
        y.sum().backward()
        grads.append(x.grad.tolist())
        x2 = lib.ones(3, requires_grad=True)
        y2 = x2 * x2
        x2.detach().mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y2.sum().backward()
    assert grads[0] == grads[1] == [4.0, 4.0, 4.0]


def test_set_data_swaps_the_payload():
    for lib in (torch, ember):
        z = lib.ones(2, requires_grad=True)
        z.data = lib.zeros(4, 5)
        assert tuple(z.shape) == (4, 5) and z.requires_grad and z.is_leaf and z._version == 0
        q = lib.ones(2)
        r = lib.zeros(3)
        q.data = r
        assert q.data_ptr() == r.data_ptr()
        r.add_(1)
        assert q.tolist() == [1.0, 1.0, 1.0] and q._version == 0
        i = lib.ones(2, dtype=lib.int64)
        i.data = lib.ones(2)
        assert i.dtype is lib.float32
        nl = lib.ones(2, requires_grad=True) * 2
        nl.data = lib.zeros(3)
        assert nl.grad_fn is not None and nl.tolist() == [0.0, 0.0, 0.0]


SET_DATA_ERRORS = [
    "setattr(m.ones(2, requires_grad=True), 'data', m.zeros(2, dtype=m.int64))",
    "setattr(m.ones(2), 'data', [1.0, 2.0])",
    "setattr(m.ones(2), 'data', np.ones(2))",
    "setattr(m.ones(2), 'data', m.ones(2, device='meta'))",
    "setattr(m.ones(2, device='meta'), 'data', m.ones(2))",
]


@pytest.mark.parametrize("expr", SET_DATA_ERRORS)
def test_set_data_errors(expr):
    check(expr)


def test_module_to_keeps_the_parameter_objects():
    lin = ember.nn.Linear(3, 4)
    w = lin.weight
    lin.to(ember.float64)
    assert lin.weight is w and w.dtype is ember.float64 and isinstance(w, ember.nn.Parameter)
    lin.to("meta")  # as torch: between meta and real devices, new Parameters
    assert lin.weight is not w and lin.weight.is_meta and not w.is_meta
    assert isinstance(lin.weight, ember.nn.Parameter) and lin.weight.requires_grad
