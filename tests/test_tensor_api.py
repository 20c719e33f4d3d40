"""The Tensor attribute API against torch: shape, size, dtype, device, conversions, Python
protocols, dtype info."""

import math
import warnings

import numpy as np
import pytest
import torch

import ember

from conftest import assert_same


def run(expr, lib):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return eval(expr, {"m": lib, "np": np, "math": math}), None
    except Exception as e:  # noqa: BLE001 - the exception is what we compare
        return None, e


def check(expr, same_message=True):
    """Same result (tensors: values, dtype, shape, requires_grad; other values: equal repr with
    'torch' read as 'ember') or the same exception class and first message line."""
    t, t_error = run(expr, torch)
    e, e_error = run(expr, ember)
    if t_error is not None or e_error is not None:
        assert type(e_error) is type(t_error), f"ember: {e_error!r}\ntorch: {t_error!r}"
        if same_message:
            t_line = str(t_error).splitlines()[0].replace("torch.", "ember.")
            assert str(e_error).splitlines()[0] == t_line
        return
    if isinstance(t, torch.Tensor):
        assert_same(e, t, rtol=0, atol=0)
        assert e.requires_grad == t.requires_grad
    elif isinstance(t, np.ndarray):
        assert isinstance(e, np.ndarray) and e.dtype == t.dtype
        np.testing.assert_array_equal(e, t)
    else:
        assert type(e).__name__ == type(t).__name__ or type(t) is torch.Size
        if isinstance(t, str) and t.endswith("Tensor"):  # x.type(): torch's name itself
            assert e == t
            return
        assert repr(e) == repr(t).replace("torch.", "ember.")


ATTRIBUTE_CASES = [
    # shape, size, dim, numel
    "m.tensor([[1, 2, 3]]).shape",
    "m.tensor([[1, 2, 3]]).size()",
    "m.tensor([[1, 2, 3]]).size(1)",
    "m.tensor([[1, 2, 3]]).size(-1)",
    "m.tensor([[1, 2, 3]]).size(dim=0)",
    "m.tensor(3).shape",
    "m.tensor([[1, 2, 3]]).dim()",
    "m.tensor([[1, 2, 3]]).ndim",
    "m.tensor(3).dim()",
    "m.tensor([[1, 2, 3]]).ndimension()",
    "m.tensor([[1, 2, 3]]).numel()",
    "m.tensor([[1, 2, 3]]).nelement()",
    "m.numel(m.zeros(2, 3))",
    "m.zeros(2, 0).numel()",
    "str(m.zeros(2, 3).shape)",
    "repr(m.zeros(()).shape)",
    "m.zeros(2, 3).shape == (2, 3)",
    "m.zeros(2, 3).shape[1:]",
    "m.zeros(2, 3).shape[-1]",
    "m.zeros(2, 3).shape.numel()",
    "m.Size([2, 3]) + (4,)",
    "(4,) + m.Size([2, 3])",
    "m.Size([2, 3]) * 2",
    "2 * m.Size([2, 3])",
    "isinstance(m.zeros(2, 3).shape, tuple)",
    "m.Size()",
    "m.Size((1, 2))",
    "m.Size([])",
    "list(m.zeros(2, 3).shape)",
    "m.zeros(2, 3).shape == m.Size([2, 3])",
    "m.tensor([[1, 2, 3]]).size(2)",
    "m.tensor(3).size(0)",
    "m.tensor(3).size(-1)",
    # strides and contiguity
    "m.tensor([[1, 2, 3]]).stride()",
    "m.tensor([[1, 2, 3]]).stride(0)",
    "m.tensor([[1, 2, 3]]).stride(-1)",
    "m.tensor(1.).stride()",
    "m.zeros(2, 3).t().stride()",
    "m.zeros(2, 3).t().is_contiguous()",
    "m.zeros(2, 3).is_contiguous()",
    "m.zeros(2, 3).t().contiguous().is_contiguous()",
    "m.zeros(2, 3).t().contiguous().stride()",
    "m.zeros(4, 1, 3).stride()",
    "m.zeros(2, 0, 3).stride()",
    "m.zeros(2, 3)[:, ::2].stride()",
    "m.zeros(2, 3, 4).permute(2, 0, 1).stride()",
    "m.tensor(1.).stride(0)",
    "m.tensor([1, 2, 3])[1:].storage_offset()",
    "m.tensor([1, 2]).storage_offset()",
    # transposes
    "m.zeros(2, 3).T.shape",
    "m.zeros(3).T.shape",
    "m.zeros(2, 3, 4).mT.shape",
    "m.tensor([[1, 2], [3, 4]]).T",
    "m.tensor([[[1, 2], [3, 4]]]).mT",
    "m.zeros(3).mT",
    "m.tensor([[1j, 2]]).mH",
    "m.tensor([[1, 2]]).T.is_contiguous()",
    # autograd flags
    "m.tensor([1., 2.]).is_leaf",
    "m.tensor([1., 2.], requires_grad=True).is_leaf",
    "(m.tensor([1., 2.], requires_grad=True) * 2).is_leaf",
    "(m.tensor([1., 2.]) * 2).is_leaf",
    "m.tensor([1., 2.], requires_grad=True).detach().requires_grad",
    "m.tensor([1., 2.], requires_grad=True).detach().is_leaf",
    "m.tensor([1., 2.]).requires_grad_()",
    "m.tensor([1., 2.]).requires_grad_().requires_grad",
    "m.tensor([1., 2.]).requires_grad_(False).requires_grad",
    "m.tensor([1, 2]).requires_grad_()",
    "m.tensor([1, 2]).requires_grad_(False)",
    "(m.tensor([1., 2.], requires_grad=True) * 2).requires_grad_(False)",
    "(m.tensor([1., 2.], requires_grad=True) * 2).detach_().requires_grad",
    "(m.tensor([1., 2.], requires_grad=True) * 2).detach_().is_leaf",
    "m.tensor([1., 2.], requires_grad=True).clone().is_leaf",
    "m.tensor([1., 2.], requires_grad=True).data.requires_grad",
    # dtype and device
    "m.tensor([1., 2.]).dtype",
    "m.tensor([1, 2]).dtype",
    "m.tensor([1., 2.]).device",
    "m.tensor([1., 2.]).is_cuda",
    "m.tensor([1., 2.]).is_cpu",
    "m.tensor([1., 2.]).get_device()",
    "m.tensor([1, 2]).is_floating_point()",
    "m.tensor([1.], dtype=m.float16).is_floating_point()",
    "m.is_floating_point(m.tensor([1.]))",
    "m.tensor([1j]).is_floating_point()",
    "m.tensor([1j]).is_complex()",
    "m.tensor([1, 2]).is_signed()",
    "m.tensor([1], dtype=m.uint8).is_signed()",
    "m.is_tensor(m.tensor(1))",
    "m.is_tensor([1])",
    "m.is_tensor(np.zeros(1))",
    "m.tensor([1., 2.]).element_size()",
    "m.tensor([1., 2.]).nbytes",
    "m.tensor([1., 2.]).itemsize",
    "m.tensor([1], dtype=m.int16).element_size()",
    "m.get_default_dtype()",
    # type names and casts
    "m.tensor([1., 2.]).type()",
    "m.tensor([1, 2]).type()",
    "m.tensor([True]).type()",
    "m.tensor([1.], dtype=m.float64).type()",
    "m.tensor([1.], dtype=m.float16).type()",
    "m.tensor([1.], dtype=m.bfloat16).type()",
    "m.tensor([1], dtype=m.int8).type()",
    "m.tensor([1], dtype=m.uint8).type()",
    "m.tensor([1], dtype=m.int16).type()",
    "m.tensor([1], dtype=m.int32).type()",
    "m.tensor([1j]).type()",
    "m.tensor([1j], dtype=m.complex128).type()",
    "m.tensor([1.5, 2.]).type(m.int32)",
    "m.tensor([1.5, 2.]).type(m.float64)",
    "m.tensor([1.5, 2.]).type(dtype=m.int64)",
    "m.tensor([1.5, 2.]).float()",
    "m.tensor([1.5, 2.]).double()",
    "m.tensor([1.5, 2.]).half()",
    "m.tensor([1.5, 2.]).bfloat16()",
    "m.tensor([1.5, -2.7]).long()",
    "m.tensor([1.5, -2.7]).int()",
    "m.tensor([1.5, 0.]).bool()",
    "m.tensor([1, 0]).float()",
    "m.tensor([1.5, 2.]).short()",
    "m.tensor([1.5, 2.]).char()",
    "m.tensor([1.5, 2.]).byte()",
    "m.tensor([1.5, 2.]).cpu()",
    "m.tensor([1, 2]).type_as(m.tensor([1.]))",
    "m.tensor([1., 2.]).cfloat()",
    # .to overloads
    "m.tensor([1.5, 2.]).to(m.float64)",
    "m.tensor([1.5, 2.]).to('cpu')",
    "m.tensor([1.5, 2.]).to('cpu', m.float64)",
    "m.tensor([1.5, 2.]).to(m.device('cpu'), m.int64)",
    "m.tensor([1.5, 2.]).to(dtype=m.float64)",
    "m.tensor([1.5, 2.]).to(device='cpu')",
    "m.tensor([1.5, 2.]).to(device='cpu', dtype=m.int32)",
    "m.tensor([1.5, 2.]).to(m.tensor([1], dtype=m.int32))",
    "m.tensor([1.5, 2.]).to(m.float64, copy=True)",
    "m.tensor([1.5, 2.]).to(m.float64, True)",
    "m.tensor([1.5, 2.]).to(m.float64, False, True)",
    "m.tensor([1.5, 2.]).to('cpu', m.float64, False, True)",
    "m.tensor([1.5, 2.]).to(m.float64, non_blocking=True)",
    "m.tensor([1.5, 2.]).to()",
    "m.tensor([1.5, 2.]).to('cpu', 'cpu')",
    "m.tensor([1.5, 2.]).to(m.float64, m.float32)",
    "m.tensor([1.5, 2.], requires_grad=True).to(m.float64).requires_grad",
    "m.tensor([1.5, 2.], requires_grad=True).to(m.float64).is_leaf",
    # item, tolist, numpy
    "m.tensor(3).item()",
    "m.tensor([3.5]).item()",
    "m.tensor([1, 2]).item()",
    "m.tensor([True]).item()",
    "m.tensor([]).item()",
    "m.tensor([[7]], dtype=m.int8).item()",
    "m.tensor(1.5, dtype=m.float16).item()",
    "m.tensor(1+2j).item()",
    "m.tensor([[1, 2]], dtype=m.int32).tolist()",
    "m.tensor(2.5).tolist()",
    "m.tensor([1.5], dtype=m.float16).tolist()",
    "m.tensor([1.5], dtype=m.bfloat16).tolist()",
    "m.tensor([1+2j]).tolist()",
    "m.tensor([[True, False]]).tolist()",
    "m.zeros(2, 0).tolist()",
    "m.tensor([1.5, 2.]).numpy()",
    "m.tensor([[1, 2]]).numpy()",
    "m.tensor(3.5).numpy()",
    "m.tensor([1.5, 2.], requires_grad=True).numpy()",
    "m.tensor([1.5, 2.], requires_grad=True).numpy(force=True)",
    "np.asarray(m.tensor([1.5, 2.]))",
    "np.asarray(m.tensor([1.5, 2.]), dtype=np.float64)",
    "np.asarray(m.tensor([1.5, 2.], requires_grad=True))",
    "np.array(m.tensor(3))",
    "np.asarray(m.tensor([[1, 2]], dtype=m.uint8))",
    "m.tensor([1., 2.]).__array__().dtype",
    # Python protocols
    "float(m.tensor([1., 2.]))",
    "int(m.tensor([1, 2]))",
    "complex(m.tensor([1., 2.]))",
    "float(m.tensor([[2.5]]))",
    "int(m.tensor(2.7))",
    "int(m.tensor(-2.7))",
    "float(m.tensor(3))",
    "complex(m.tensor(1+2j))",
    "float(m.tensor(1+2j))",
    "int(m.tensor(1+2j))",
    "float(m.tensor(1+0j))",
    "int(m.tensor(2+0j))",
    "float(m.tensor([]))",
    "m.tensor(3).__index__()",
    "m.tensor([3]).__index__()",
    "m.tensor(3.0).__index__()",
    "m.tensor(True).__index__()",
    "[10, 20, 30][m.tensor(1)]",
    "[10, 20, 30][m.tensor(1.)]",
    "list(range(5))[m.tensor(1):m.tensor(3)]",
    "bool(m.tensor([1, 2]))",
    "bool(m.tensor([]))",
    "bool(m.tensor([0.]))",
    "bool(m.tensor(0.5))",
    "bool(m.tensor(math.nan))",
    "bool(m.tensor([[0]]))",
    "len(m.tensor(3))",
    "len(m.tensor([[1, 2]]))",
    "len(m.zeros(0, 3))",
    "list(m.tensor(3))",
    "[x.tolist() for x in m.tensor([[1, 2], [3, 4]])]",
    "[x for x in m.tensor([1., 2.])]",
    "len(list(m.zeros(0, 2)))",
    "'{:.2f}'.format(m.tensor(3.14159))",
    "'{}'.format(m.tensor(3.14159))",
    "'{}'.format(m.tensor(3))",
    "f'{m.tensor([1., 2.])}'",
    "'{:.2f}'.format(m.tensor([3.14159]))",
    "'{:>6}'.format(m.tensor(7))",
    # dtype info
    "m.finfo(m.float32).eps",
    "m.finfo(m.float32).max",
    "m.finfo(m.float32).min",
    "m.finfo(m.float32).tiny",
    "m.finfo(m.float32).smallest_normal",
    "m.finfo(m.float32).resolution",
    "m.finfo(m.float32).bits",
    "m.finfo(m.float32).dtype",
    "m.finfo(m.float16).eps",
    "m.finfo(m.float16).max",
    "m.finfo(m.float16).resolution",
    "m.finfo(m.float16).tiny",
    "m.finfo(m.bfloat16).eps",
    "m.finfo(m.bfloat16).max",
    "m.finfo(m.bfloat16).min",
    "m.finfo(m.bfloat16).tiny",
    "m.finfo(m.bfloat16).resolution",
    "m.finfo(m.bfloat16).bits",
    "m.finfo(m.bfloat16).dtype",
    "m.finfo(m.float64).eps",
    "m.finfo(m.float64).resolution",
    "m.finfo(m.float64).max",
    "m.finfo(m.complex64).eps",
    "m.finfo(m.complex64).dtype",
    "m.finfo(m.complex128).bits",
    "m.finfo().eps",
    "m.finfo(m.int32)",
    "m.iinfo(m.int32).max",
    "m.iinfo(m.int32).min",
    "m.iinfo(m.int32).bits",
    "m.iinfo(m.int32).dtype",
    "m.iinfo(m.uint8).max",
    "m.iinfo(m.uint8).min",
    "m.iinfo(m.uint8).dtype",
    "m.iinfo(m.int64).min",
    "m.iinfo(m.int8).bits",
    "m.iinfo(m.int16).max",
    "m.iinfo(m.bool)",
    "m.iinfo(m.float32)",
    "repr(m.finfo(m.float32))",
    "repr(m.finfo(m.float16))",
    "repr(m.finfo(m.bfloat16))",
    "repr(m.finfo(m.float64))",
    "repr(m.iinfo(m.int16))",
    "repr(m.iinfo(m.int32))",
    "repr(m.iinfo(m.uint8))",
    "repr(m.iinfo(m.int64))",
    # new_* factories
    "m.tensor([1., 2.]).new_tensor([1, 2])",
    "m.tensor([1., 2.]).new_zeros(2, 3)",
    "m.tensor([1., 2.]).new_zeros((2, 3))",
    "m.tensor([1., 2.]).new_ones(2)",
    "m.tensor([1., 2.]).new_full((2,), 5)",
    "m.tensor([1., 2.]).new_empty(3).shape",
    "m.tensor([1, 2]).new_tensor([1.5, 2])",
    "m.tensor([1., 2.]).new_tensor([1, 2], dtype=m.int64)",
    "m.tensor([1, 2]).new_zeros(2, dtype=m.float64)",
    "m.tensor([1., 2.]).new_tensor([1., 2.], requires_grad=True)",
]


# torch lists its overloads after the first line's "got (...)"; ember names only what it got
OWN_MESSAGE = {
    "m.tensor([1.5, 2.]).to('cpu', 'cpu')",
    "m.tensor([1.5, 2.]).to(m.float64, m.float32)",
}


@pytest.mark.parametrize("expr", ATTRIBUTE_CASES)
def test_attribute_api(expr):
    check(expr, same_message=expr not in OWN_MESSAGE)


# ---------------------------------------------------------------------------- memory sharing


def test_numpy_shares_memory():
    t = ember.tensor([1.0, 2.0])
    a = t.numpy()
    a[0] = 5.0
    assert t[0].item() == 5.0
    t[1] = 7.0
    assert a[1] == 7.0
    b = np.asarray(t)
    b[0] = -1.0
    assert t[0].item() == -1.0


def test_detach_shares_memory_and_version():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf
    d[0] = 9.0
    assert x[0].item() == 9.0
    assert x._version == d._version == 1


def test_detach_in_place():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert y.detach_() is y
    assert y.grad_fn is None and not y.requires_grad and y.is_leaf


def test_clone_copies():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.grad_fn is not None and c.grad_fn.name() == "CloneBackward0"
    with ember.no_grad():
        c[0] = 5.0
    assert x[0].item() == 1.0


def test_contiguous_returns_self_when_contiguous():
    x = ember.zeros(2, 3)
    assert x.contiguous() is x
    y = x.t()
    assert y.contiguous() is not y


def test_to_returns_self_or_copy():
    x = ember.tensor([1.0, 2.0])
    assert x.to(ember.float32) is x
    assert x.to("cpu") is x
    assert x.to(x) is x
    assert x.to(ember.float32, True) is x  # non_blocking, not copy
    assert x.to(ember.float32, False, True) is not x
    assert x.to(ember.float32, copy=True) is not x
    assert x.float() is x
    assert x.cpu() is x
    assert x.type(ember.float32) is x


def test_to_device_overloads(fake_cuda):
    x = ember.tensor([1.0, 2.0])
    y = x.to("cuda")
    assert y.device == ember.device("cuda", 0) and y.dtype is ember.float32
    z = x.to("cuda", ember.float64)
    assert z.device.type == "cuda" and z.dtype is ember.float64
    w = x.to(z)
    assert w.device.type == "cuda" and w.dtype is ember.float64
    assert y.type() == "torch.cuda.FloatTensor"
    assert y.cpu().device.type == "cpu"
    assert y.is_cuda and y.get_device() == 0
    assert x.to(device=ember.device("cuda:0"), dtype=ember.int64).type() == "torch.cuda.LongTensor"
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        y.numpy()


def test_type_names():
    assert ember.tensor([1.0]).type() == "torch.FloatTensor"
    assert torch.tensor([1.0]).type() == "torch.FloatTensor"
    assert ember.tensor([1.5]).type("ember.LongTensor").dtype is ember.int64
    assert ember.tensor([1.5]).type("torch.DoubleTensor").dtype is ember.float64
    with pytest.raises(ValueError, match="invalid type"):
        ember.tensor([1.5]).type("ember.FooTensor")


def test_numpy_requires_grad_error():
    x = ember.tensor([1.0], requires_grad=True)
    with pytest.raises(
        RuntimeError,
        match=r"Can't call numpy\(\) on Tensor that requires grad. "
        r"Use tensor.detach\(\).numpy\(\) instead.",
    ):
        x.numpy()


def test_dlpack_round_trip():
    x = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
    y = ember.from_dlpack(x)
    y[0, 0] = 10.0
    assert x[0, 0].item() == 10.0
    assert x.__dlpack_device__() == (1, 0)
    t = torch.from_dlpack(x)
    assert t.tolist() == [[10.0, 2.0], [3.0, 4.0]]
    assert_same(ember.from_dlpack(t), t)
    with pytest.raises(RuntimeError):
        ember.tensor([1.0], requires_grad=True).__dlpack__()


def test_default_dtype():
    assert ember.get_default_dtype() is ember.float32
    ember.set_default_dtype(ember.float64)
    assert ember.get_default_dtype() is ember.float64
    assert ember.tensor([1.5]).dtype is ember.float64
    assert ember.tensor([1j]).dtype is ember.complex128
    assert ember.zeros(2).dtype is ember.float64
    assert ember.Tensor([1]).dtype is ember.float64
    assert ember.finfo().bits == 64
    with pytest.raises(TypeError):
        ember.set_default_dtype(ember.int64)
    ember.set_default_dtype(ember.float32)
    assert ember.tensor([1.5]).dtype is ember.float32


def test_iteration_gives_rows():
    x = ember.tensor([[1, 2], [3, 4]])
    rows = list(x)
    assert len(rows) == 2 and rows[1].tolist() == [3, 4]
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(ember.tensor(3))
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(ember.tensor(3))
