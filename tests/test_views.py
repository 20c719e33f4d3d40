"""Views: shared memory and version counter, strides and contiguity like torch's, in-place
changes through views (values and gradients), and torch's errors for forbidden in-place ops."""

import numpy as np
import pytest
import torch

import ember

from conftest import assert_same

# (name, fn(lib, x)) for ops that return a view of a (4, 3, 2) tensor
VIEW_OPS = [
    ("view", lambda lib, x: x.view(12, 2)),
    ("reshape", lambda lib, x: x.reshape(2, -1)),
    ("flatten", lambda lib, x: x.flatten(0, 1)),
    ("unflatten", lambda lib, x: x.unflatten(0, (2, 2))),
    ("transpose", lambda lib, x: x.transpose(0, 2)),
    ("permute", lambda lib, x: x.permute(1, 2, 0)),
    ("movedim", lambda lib, x: x.movedim(0, -1)),
    ("mT", lambda lib, x: x.mT),
    ("expand", lambda lib, x: x[:, :1].expand(4, 5, 2)),
    ("squeeze", lambda lib, x: x[:, :1].squeeze(1)),
    ("unsqueeze", lambda lib, x: x.unsqueeze(1)),
    ("narrow", lambda lib, x: x.narrow(1, 1, 2)),
    ("unbind", lambda lib, x: x.unbind(1)[1]),
    ("split", lambda lib, x: x.split(3)[1]),
    ("chunk", lambda lib, x: x.chunk(2, 2)[1]),
    ("tensor_split", lambda lib, x: x.tensor_split(2, 1)[1]),
    ("view_of_view", lambda lib, x: x.transpose(0, 1).narrow(0, 1, 2).unsqueeze(0)),
    ("t_of_slice", lambda lib, x: x[1].t()),
    ("broadcast_tensors", lambda lib, x: lib.broadcast_tensors(x, lib.ones(5, 1, 1, 1))[0]),
    ("atleast_3d", lambda lib, x: lib.atleast_3d(x[0, 0])),
    ("meshgrid", lambda lib, x: lib.meshgrid(x[:, 0, 0], x[0, :, 1], indexing="ij")[0]),
]


def _pair(shape=(4, 3, 2)):
    a = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    return ember.tensor(a), torch.tensor(a)


@pytest.mark.parametrize("name,fn", VIEW_OPS, ids=[n for n, _ in VIEW_OPS])
def test_view_shares_memory_like_torch(name, fn):
    e, t = _pair()
    ev, tv = fn(ember, e), fn(torch, t)
    assert_same(ev, tv)
    assert tv._base is t  # the oracle: torch returns a view here
    assert ev._base is e
    assert ev.is_contiguous() == tv.is_contiguous()
    assert ev.stride() == tv.stride()
    assert ev.storage_offset() == tv.storage_offset()
    # the version counter is shared
    assert ev._version == e._version
    with ember.no_grad():
        e.add_(1)
    t.add_(1)
    assert ev._version == e._version == tv._version == t._version
    assert_same(ev, tv)  # a change of the base shows in the view
    if name not in ("expand", "broadcast_tensors", "meshgrid"):
        ev.mul_(2)
        tv.mul_(2)
        assert_same(e, t)  # and a change of the view in the base
        assert e._version == ev._version == t._version


def test_reshape_copies_when_it_must():
    e, t = _pair((2, 3))
    er, tr = e.t().reshape(6), t.t().reshape(6)
    assert_same(er, tr)
    assert er._base is None and tr._base is None
    er.add_(1)
    assert_same(e, t)  # the copy did not write into the input


def test_flatten_returns_self_for_a_single_dim():
    e, _ = _pair((2, 3))
    assert e.flatten(1, 1) is e


@pytest.mark.parametrize("op", ["flip", "roll", "repeat", "tile", "cat", "stack",
                                "repeat_interleave", "contiguous_t"])
def test_copies_do_not_share_memory(op):
    e, t = _pair((2, 3))
    fns = {
        "flip": lambda lib, x: x.flip(0), "roll": lambda lib, x: x.roll(1, 0),
        "repeat": lambda lib, x: x.repeat(1, 1), "tile": lambda lib, x: x.tile(1),
        "cat": lambda lib, x: lib.cat([x]), "stack": lambda lib, x: lib.stack([x]),
        "repeat_interleave": lambda lib, x: x.repeat_interleave(1, 0),
        "contiguous_t": lambda lib, x: x.t().contiguous(),
    }
    eo, to = fns[op](ember, e), fns[op](torch, t)
    assert eo.is_contiguous() == to.is_contiguous()
    assert eo.stride() == to.stride()
    eo.add_(1)
    to.add_(1)
    assert_same(e, t)


def test_contiguous_returns_self_when_contiguous():
    e, _ = _pair((2, 3))
    assert e.contiguous() is e
    assert e.t().contiguous().is_contiguous()


@pytest.mark.parametrize("shape,fn", [
    ((2, 3), lambda x: x.t()),
    ((3, 1), lambda x: x.t()),
    ((1, 4), lambda x: x.t().unsqueeze(0)),
    ((4, 5), lambda x: x.t()[:, :1]),
    ((3, 5, 4), lambda x: x[:, 1:2]),
    ((2, 3, 4), lambda x: x.permute(2, 0, 1).unsqueeze(1)),
    ((2, 3), lambda x: x.expand(4, 2, 3)),
    ((6, 4), lambda x: x[::2].view(3, 2, 2)),
])
def test_strides_like_torch(shape, fn):
    e, t = _pair(shape)
    ev, tv = fn(e), fn(t)
    assert ev.stride() == tv.stride()
    assert ev.is_contiguous() == tv.is_contiguous()


def test_view_of_non_contiguous_raises_like_torch():
    e, t = _pair((2, 3))
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        t.t().view(6)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        e.t().view(6)
    # splitting or merging dims that stay contiguous is still a view
    assert_same(e.t().view(3, 1, 2), t.t().view(3, 1, 2))
    e4, t4 = _pair((4, 6))
    assert_same(e4[:, ::2].view(2, 2, 3), t4[:, ::2].view(2, 2, 3))


# ---------------------------------------------------------------------------- gradients

def _grad_of(lib, fn):
    a = lib.tensor(np.linspace(-1, 1, 24).reshape(4, 6), requires_grad=True)
    out = fn(lib, a)
    weights = lib.tensor(np.arange(np.prod(tuple(out.shape))).reshape(tuple(out.shape)) * 0.1)
    (out * weights).sum().backward()
    return a.grad, out


def _inplace_through_view(kind):
    def fn(lib, a):
        b = a.clone()
        if kind == "transpose":
            b.transpose(0, 1).mul_(2)
        elif kind == "narrow":
            b.narrow(1, 1, 3).mul_(a.narrow(1, 0, 3))
        elif kind == "select":
            b[1].mul_(3)
        elif kind == "view":
            b.view(24)[::5].add_(a.view(24)[:5] ** 2)
        elif kind == "unsqueeze":
            b.unsqueeze(0).exp_()
        elif kind == "view_of_view":
            b.t()[2:4].unsqueeze(0).mul_(4)
        elif kind == "base_then_view":
            v = b[1:3]
            b.mul_(a)  # changes the memory v sees: v's gradient must go through it
            return v * 1
        elif kind == "two_views":
            v1 = b.t()
            v2 = b[2]
            v1.mul_(2)
            return v2.exp() + b.sum(0)
        elif kind == "view_then_base":
            v = b.narrow(0, 0, 2)
            v.mul_(3)
            b.add_(1)
            return v + b[2:]
        elif kind == "copy_into_view":
            b[0:2].copy_(a[2:] * a[:2])
        elif kind == "assign_via_setitem":
            b[:, 1] = a[:, 2].sin()
        elif kind == "t_inplace":
            b.t_()
            b.mul_(2)
        elif kind == "squeeze_unsqueeze_inplace":
            b.unsqueeze_(0)
            b.transpose_(0, 1)
            b.squeeze_(1)
            b.mul_(a)
        return b

    return fn


INPLACE_KINDS = ["transpose", "narrow", "select", "view", "unsqueeze", "view_of_view",
                 "base_then_view", "two_views", "view_then_base", "copy_into_view",
                 "assign_via_setitem", "t_inplace", "squeeze_unsqueeze_inplace"]


@pytest.mark.parametrize("kind", INPLACE_KINDS)
def test_gradient_through_inplace_on_views(kind):
    fn = _inplace_through_view(kind)
    eg, eo = _grad_of(ember, fn)
    tg, to = _grad_of(torch, fn)
    assert_same(eo, to, atol=1e-6, rtol=1e-6)
    assert_same(eg, tg, atol=1e-6, rtol=1e-6)


def test_double_backward_through_inplace_on_view():
    def fn(lib):
        a = lib.tensor([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]], dtype=lib.float64,
                       requires_grad=True)
        b = a.clone()
        b.t()[1:].mul_(a.t()[1:])
        (g,) = lib.autograd.grad(b.pow(2).sum(), a, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), a)
        return g, gg

    for e, t in zip(fn(ember), fn(torch)):
        assert_same(e, t)


def test_grad_fn_of_base_after_inplace_on_view():
    for lib, name in ((torch, "CopySlices"), (ember, "CopySlices")):
        a = lib.ones(2, 3, requires_grad=True)
        b = a * 1
        b[0].mul_(2)
        assert type(b.grad_fn).__name__ == name or b.grad_fn.name() == name


def test_inplace_on_view_of_leaf_raises():
    for lib in (torch, ember):
        a = lib.ones(2, 3, requires_grad=True)
        with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad "
                                               "is being used in an in-place operation"):
            a.t().mul_(2)
        with pytest.raises(RuntimeError, match="a view of a leaf Variable"):
            a.narrow(0, 0, 1).zero_()
    # under no_grad it is allowed (how optimizers and init work)
    a = ember.ones(2, 3, requires_grad=True)
    with ember.no_grad():
        a.t()[0].fill_(5)
    assert a.detach().numpy()[:, 0].tolist() == [5, 5]


@pytest.mark.parametrize("make", [
    lambda lib, b: b.split(2)[0],
    lambda lib, b: b.chunk(2)[1],
    lambda lib, b: b.unbind()[0],
    lambda lib, b: b.chunk(2)[0][0:1],
])
def test_inplace_on_multi_output_view_raises(make):
    for lib in (torch, ember):
        b = lib.ones(4, 2, requires_grad=True) * 1
        with pytest.raises(RuntimeError, match="This view is the output of a function that "
                                               "returns multiple views"):
            make(lib, b).mul_(2)
    # fine without a graph
    b = ember.ones(4, 2)
    make(ember, b).mul_(2)


def test_modifying_a_view_of_a_saved_tensor_is_detected():
    for lib in (torch, ember):
        a = lib.ones(3, 2, requires_grad=True)
        b = a * 2
        y = b.exp()  # saves its output
        y.t()[0].add_(1)  # changes y through a view
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()
        c = a * 3
        z = c * c  # saves c
        c.unsqueeze(0).mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()


def test_version_counter_shared_with_views_and_detach():
    e = ember.zeros(3, 4)
    v = e.t()
    d = e.detach()
    w = v[1:]
    assert e._version == v._version == d._version == w._version == 0
    w.add_(1)
    assert e._version == v._version == d._version == w._version == 1
    d.zero_()
    assert e._version == 2 == w._version


def test_inplace_shape_methods_match_torch():
    for lib in (torch, ember):
        x = lib.arange(6.0).reshape(2, 3)
        v0 = x._version
        x.t_()
        assert tuple(x.shape) == (3, 2) and x.stride() == (1, 3)
        x.unsqueeze_(0).squeeze_(0).transpose_(0, 1)
        assert tuple(x.shape) == (2, 3) and x._version > v0
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        ember.ones(2, 3, requires_grad=True).t_()


def test_grad_fn_names_like_torch():
    def names(lib):
        a = lib.ones(2, 3, requires_grad=True) * 1
        outs = [a.view(3, 2), a.t().reshape(6), a.t(), a.transpose(0, 1), a.permute(1, 0),
                a.movedim(0, 1), a.expand(2, 2, 3), a.squeeze(), a.squeeze(0),
                a.squeeze((0,)), a.unsqueeze(0), a.narrow(1, 0, 1), a.flip(0), a.roll(1),
                a.repeat(1, 2), lib.cat([a, a]), lib.stack([a, a]), a.split(1)[0],
                a.split([1, 1])[0], a.unbind()[0], a.chunk(2)[0], a.tensor_split(2)[0],
                a.flatten()]
        return [o.grad_fn.name() for o in outs]

    assert names(ember) == names(torch)


def test_meshgrid_warns_without_indexing():
    with pytest.warns(UserWarning, match="indexing"):
        ember.meshgrid(ember.ones(2), ember.ones(3))


def test_iterating_a_tensor_gives_views():
    e, t = _pair((3, 2))
    rows = list(e)
    assert len(rows) == 3 and rows[1]._base is e
    assert_same(rows[2], list(t)[2])
