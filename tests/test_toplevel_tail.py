"""torch's top-level tail (issue 20): each name run on ember and on torch side by side with the
same inputs: values, dtypes, shapes, gradients (float64, so the default float64 tolerances of
assert_same hold: a few ulps of the few operations each name is), error classes, warnings."""

import warnings

import numpy as np
import pytest
import torch

import ember

from conftest import assert_same

RNG = np.random.default_rng(0)


def _arrays(*shapes, dtype=np.float64, low=-2, high=2):
    return [RNG.uniform(low, high, size=s).astype(dtype) for s in shapes]


def _both(arrays, grad):
    """Fresh ember and torch leaves holding the same arrays."""
    e = [ember.tensor(a, requires_grad=grad and a.dtype.kind in "fc") for a in arrays]
    t = [torch.tensor(a, requires_grad=grad and a.dtype.kind in "fc") for a in arrays]
    return e, t


def _flat(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def check(fn, arrays, grad=True):
    """fn(lib, *tensors) gives the same results on ember and torch, and (with grad) the same
    gradients of sum(result * weights) for fixed random weights."""
    e_in, t_in = _both(arrays, grad)
    e_out, t_out = _flat(fn(ember, *e_in)), _flat(fn(torch, *t_in))
    assert len(e_out) == len(t_out)
    for e, t in zip(e_out, t_out):
        assert_same(e, t)
    if not grad:
        return
    e_loss, t_loss = 0, 0
    for e, t in zip(e_out, t_out):
        w = RNG.uniform(-1, 1, size=tuple(t.shape))
        if t.is_complex():
            w = w + 1j * RNG.uniform(-1, 1, size=tuple(t.shape))
        e_loss = e_loss + (e * ember.tensor(w)).real.sum()
        t_loss = t_loss + (t * torch.tensor(w)).real.sum()
    e_loss.backward()
    t_loss.backward()
    for e, t in zip(e_in, t_in):
        if t.grad is None:  # an input the result does not depend on (through a gradient)
            assert e.grad is None or not e.grad.any()
        elif t.requires_grad:
            assert_same(e.grad, t.grad)


def same_error(fn, *arrays):
    """fn raises the same exception class on ember and torch."""
    e_in, t_in = _both(arrays, False)
    with pytest.raises(Exception) as t_err:
        fn(torch, *t_in)
    with pytest.raises(t_err.type):
        fn(ember, *e_in)


C = _arrays((3, 4))[0] + 1j * _arrays((3, 4))[0]

# (id, fn(lib, *tensors), input arrays, gradients?)
CASES = [
    ("view_as_real", lambda L, z: L.view_as_real(z), [C], True),
    ("view_as_real_T", lambda L, z: L.view_as_real(z.t()), [C], True),
    ("view_as_complex", lambda L, x: L.view_as_complex(x), _arrays((3, 2)), True),
    ("view_as_complex_3d", lambda L, x: L.view_as_complex(x[:, ::2]), _arrays((2, 6, 2)), True),
    ("view_as_complex_f32", lambda L, x: L.view_as_complex(x), _arrays((4, 2), dtype=np.float32),
     False),
    ("polar", lambda L, a, b: L.polar(a, b), _arrays((3,), (2, 3), low=0.1), True),
    ("complex", lambda L, a, b: L.complex(a, b), _arrays((2, 3), (3,)), True),
    ("complex_f32", lambda L, a, b: L.complex(a, b), _arrays((2,), (2,), dtype=np.float32), False),
    ("isreal", lambda L, z: L.isreal(z), [np.array([1 + 0j, 1 + 1j, 0j])], False),
    ("isreal_int", lambda L, x: L.isreal(x), [np.array([1, 2])], False),
    ("resolve", lambda L, z: L.resolve_neg(L.resolve_conj(z)), [C], True),
    ("adjoint", lambda L, z: L.adjoint(z), [C], True),
    ("adjoint_T", lambda L, x: x.adjoint(), _arrays((2, 3, 4)), True),
    ("ravel", lambda L, x: L.ravel(x.t()), _arrays((3, 4)), True),
    ("dist", lambda L, a, b: L.dist(a, b), _arrays((3, 4), (4,)), True),
    ("dist_p1", lambda L, a, b: L.dist(a, b, 1), _arrays((3, 4), (4,)), True),
    ("dist_inf", lambda L, a, b: a.dist(b, float("inf")), _arrays((3, 4), (4,)), True),
    ("nextafter", lambda L, a, b: L.nextafter(a, b), _arrays((5,), (5,)), False),
    ("nextafter_f32", lambda L, a, b: L.nextafter(a, b),
     _arrays((5,), (5,), dtype=np.float32), False),
    ("nextafter_mixed", lambda L, a, b: L.nextafter(a, b.float()), _arrays((5,), (5,)), False),
    ("trapezoid", lambda L, y: L.trapezoid(y), _arrays((3, 5)), True),
    ("trapezoid_dx", lambda L, y: L.trapezoid(y, dx=0.5, dim=0), _arrays((3, 5)), True),
    ("trapezoid_x", lambda L, y, x: L.trapezoid(y, x), _arrays((3, 5), (5,)), True),
    ("trapezoid_x2d", lambda L, y, x: L.trapezoid(y, x, dim=0), _arrays((3, 5), (3, 5)), True),
    ("trapezoid_int", lambda L: L.trapezoid(L.tensor([1, 2, 3])), [], False),
    ("trapz", lambda L, y, x: L.trapz(y, x), _arrays((3, 5), (5,)), True),
    ("trapz_dx", lambda L, y: L.trapz(y, dx=2.0), _arrays((3, 5)), True),
    ("cumulative_trapezoid", lambda L, y: L.cumulative_trapezoid(y), _arrays((3, 5)), True),
    ("cumulative_trapezoid_x", lambda L, y, x: L.cumulative_trapezoid(y, x, dim=0),
     _arrays((3, 5), (3,)), True),
    ("addr", lambda L, m, a, b: L.addr(m, a, b), _arrays((2, 3), (2,), (3,)), True),
    ("addr_ab", lambda L, m, a, b: m.addr(a, b, beta=0.5, alpha=2), _arrays((2, 3), (2,), (3,)),
     True),
    ("addr_beta0", lambda L, m, a, b: L.addr(m * float("nan"), a, b, beta=0),
     _arrays((2, 3), (2,), (3,)), True),
    ("addr_bcast", lambda L, m, a, b: L.addr(m, a, b), _arrays((3,), (2,), (3,)), True),
    ("addr_int", lambda L: L.addr(L.ones(2, 3, dtype=L.long), L.arange(2), L.arange(3), beta=2,
                                  alpha=3), [], False),
    ("addr_bool", lambda L: L.addr(L.tensor([[True, False]] * 2), L.tensor([True, False]),
                                   L.tensor([False, False])), [], False),
    ("split_with_sizes", lambda L, x: L.split_with_sizes(x, [1, 3, 1], 1), _arrays((2, 5)), True),
    ("split_with_sizes_m", lambda L, x: x.split_with_sizes([2, 0, 3]), _arrays((5,)), True),
    ("unsafe_chunk", lambda L, x: L.unsafe_chunk(x, 2, 1), _arrays((2, 5)), True),
    ("unsafe_split", lambda L, x: L.unsafe_split(x, 2), _arrays((5, 2)), True),
    ("unsafe_split_with_sizes", lambda L, x: x.unsafe_split_with_sizes([3, 2]), _arrays((5,)),
     True),
    ("fill", lambda L, x: L.fill(x, 3.5), _arrays((2, 3)), True),
    ("fill_tensor", lambda L, x, v: L.fill(x, v.sum()), _arrays((2, 3), (2,)), True),
    ("detach", lambda L, x: L.detach(x) * 2, _arrays((2, 3)), False),
    ("unravel_index", lambda L: L.unravel_index(L.tensor([5, 7, 0, 11, -1, 12]), (3, 4)), [],
     False),
    ("unravel_index_0d", lambda L: L.unravel_index(L.tensor(5, dtype=L.int32), (2, 3)), [],
     False),
    ("unravel_index_int", lambda L: L.unravel_index(L.tensor([3]), 5), [], False),
]


@pytest.mark.parametrize("name,fn,arrays,grad", CASES, ids=[c[0] for c in CASES])
def test_against_torch(name, fn, arrays, grad):
    check(fn, arrays, grad)


def _cholesky_factor(n, upper):
    a = RNG.uniform(-1, 1, size=(n, n))
    spd = a @ a.T + n * np.eye(n)
    factor = np.linalg.cholesky(spd)
    return factor.T.copy() if upper else factor


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_and_inverse(upper):
    factor = _cholesky_factor(3, upper)
    check(lambda L, b, f: L.cholesky_solve(b, f, upper), [_arrays((3, 2))[0], factor])
    check(lambda L, b, f: b.cholesky_solve(f, upper=upper), [_arrays((2, 3, 2))[0], factor])
    check(lambda L, f: L.cholesky_inverse(f, upper), [factor])
    check(lambda L, f: f.cholesky_inverse(upper=upper), [factor])


def test_views_share_memory():
    z = ember.tensor(C)
    r = ember.view_as_real(z)
    r[1, 2, 1] = 7.0
    assert z[1, 2].item() == complex(C[1, 2].real, 7.0)
    x = ember.zeros(3, 2)
    c = ember.view_as_complex(x)
    c[1] = 2 + 3j
    assert x[1].tolist() == [2.0, 3.0]
    x.add_(1)  # the view sees writes to its base
    assert c[1].item() == 3 + 4j
    ember.view_as_real(c)[0, 0] = 9  # a view of a view
    assert x[0, 0].item() == 9


def test_predicates():
    for lib in (ember, torch):
        assert lib.is_nonzero(lib.tensor([[1.5]])) is True
        assert lib.is_nonzero(lib.tensor(0)) is False
        assert lib.is_nonzero(lib.tensor([float("nan")])) is True
        assert lib.tensor(False).is_nonzero() is False
        assert lib.is_same_size(lib.ones(2, 3), lib.zeros(2, 3)) is True
        assert lib.ones(2).is_same_size(lib.ones(2, 1)) is False
        assert lib.is_signed(lib.ones(2)) is True
        assert lib.is_signed(lib.ones(2, dtype=lib.uint8)) is False
        assert lib.is_conj(lib.ones(2, dtype=lib.cfloat)) is False
        assert lib.ones(2).is_neg() is False
        assert lib.is_inference(lib.ones(2)) is False
        assert lib.get_device(lib.ones(2)) == -1
        x = lib.ones(2, requires_grad=True)
        assert lib.detach(x).requires_grad is False
        assert lib.newaxis is None
        assert lib.ones(2, 3)[:, lib.newaxis].shape == (2, 1, 3)


# (id, fn(lib, *tensors), arrays)
ERRORS = [
    ("vac_last_dim", lambda L, x: L.view_as_complex(x), _arrays((3, 3))),
    ("vac_stride", lambda L, x: L.view_as_complex(x.t()), _arrays((2, 3))),
    ("vac_offset", lambda L, x: L.view_as_complex(x[:, 1:3]), _arrays((3, 4))),
    ("vac_odd_stride", lambda L, x: L.view_as_complex(x.reshape(-1)[:6].as_strided((2, 2), (3, 1))),
     _arrays((3, 4))),
    ("vac_int", lambda L: L.view_as_complex(L.ones(3, 2, dtype=L.int32)), []),
    ("vac_0d", lambda L: L.view_as_complex(L.tensor(1.0)), []),
    ("var_real", lambda L, x: L.view_as_real(x), _arrays((3,))),
    ("polar_long", lambda L: L.polar(L.ones(2, dtype=L.long), L.ones(2, dtype=L.long)), []),
    ("polar_mixed", lambda L: L.polar(L.ones(2), L.ones(2, dtype=L.double)), []),
    ("complex_mixed", lambda L: L.complex(L.ones(2), L.ones(2, dtype=L.double)), []),
    ("complex_long", lambda L: L.complex(L.ones(2, dtype=L.long), L.ones(2, dtype=L.long)), []),
    ("complex_shape", lambda L: L.complex(L.ones(2), L.ones(3)), []),
    ("nonzero_many", lambda L: L.is_nonzero(L.ones(2)), []),
    ("nonzero_empty", lambda L: L.is_nonzero(L.ones(0)), []),
    ("adjoint_1d", lambda L: L.adjoint(L.ones(2)), []),
    ("nextafter_long", lambda L: L.nextafter(L.ones(2, dtype=L.long), L.ones(2, dtype=L.long)),
     []),
    ("addr_2d", lambda L: L.addr(L.ones(2, 3), L.ones(2, 2), L.ones(3)), []),
    ("addr_int_beta", lambda L: L.addr(L.ones(2, 3, dtype=L.long), L.ones(2, dtype=L.long),
                                       L.ones(3, dtype=L.long), beta=1.5), []),
    ("addr_shape", lambda L: L.addr(L.ones(3, 3), L.ones(2), L.ones(3)), []),
    ("trapezoid_x_len", lambda L: L.trapezoid(L.ones(3), L.ones(2)), []),
    ("ctrapezoid_x_len", lambda L: L.cumulative_trapezoid(L.ones(3), x=L.ones(2)), []),
    ("split_sizes_sum", lambda L: L.split_with_sizes(L.ones(5), [2, 2]), []),
    ("unravel_float", lambda L: L.unravel_index(L.tensor(1.0), (3, 4)), []),
    ("unravel_negative_shape", lambda L: L.unravel_index(L.tensor(1), (3, -4)), []),
    ("cholesky_solve_1d", lambda L: L.cholesky_solve(L.ones(2), L.eye(2)), []),
    ("is_conj_int", lambda L: L.is_conj(1), []),
    ("is_neg_int", lambda L: L.is_neg(1), []),
    ("is_inference_int", lambda L: L.is_inference(1), []),
    ("slice_copy_step", lambda L: L.slice_copy(L.ones(4), 0, 0, 3, 0), []),
    ("grid_sampler_2d_5d", lambda L: L.grid_sampler_2d(L.ones(1, 1, 2, 2, 2),
                                                       L.zeros(1, 1, 1, 1, 3), 0, 0, False), []),
    ("fill_nd_value", lambda L: L.fill(L.ones(2), L.ones(2)), []),
]


@pytest.mark.parametrize("name,fn,arrays", ERRORS, ids=[c[0] for c in ERRORS])
def test_errors_as_torch(name, fn, arrays):
    same_error(fn, *arrays)


def test_frombuffer():
    data = np.arange(6, dtype=np.int32).tobytes()
    for kwargs in ({}, {"count": 2, "offset": 4}, {"offset": 8}):
        e = ember.frombuffer(bytearray(data), dtype=ember.int32, **kwargs)
        t = torch.frombuffer(bytearray(data), dtype=torch.int32, **kwargs)
        assert_same(e, t)
    buf = bytearray(np.ones(4, dtype=np.float32).tobytes())
    e = ember.frombuffer(buf, dtype=ember.float32, requires_grad=True)
    assert e.requires_grad and e.is_leaf
    e.data[0] = 5  # shares the buffer
    assert np.frombuffer(buf, dtype=np.float32)[0] == 5
    with pytest.warns(UserWarning, match="not writable"):
        ember.frombuffer(b"\x01\x00\x00\x00", dtype=ember.int32)
    for bad in ({"buf": bytearray(3)}, {"buf": bytearray(0)}, {"buf": bytearray(8), "count": 3},
                {"buf": bytearray(8), "offset": 8}):
        buf = bad.pop("buf")
        with pytest.raises(ValueError):
            torch.frombuffer(buf, dtype=torch.int32, **bad)
        with pytest.raises(ValueError):
            ember.frombuffer(buf, dtype=ember.int32, **bad)


def test_empty_strided():
    for size, stride in (((2, 3), (1, 2)), ((2, 3), (3, 1)), ((0, 3), (3, 1)), ((), ())):
        e = ember.empty_strided(size, stride, dtype=ember.float64, requires_grad=True)
        t = torch.empty_strided(size, stride, dtype=torch.float64, requires_grad=True)
        assert e.shape == t.shape and e.stride() == t.stride() and e.dtype == ember.float64
        assert e.requires_grad and e.is_leaf
    with pytest.raises(RuntimeError):
        torch.empty_strided((2, 3), (1,))
    with pytest.raises(RuntimeError):
        ember.empty_strided((2, 3), (1,))


# ---------------------------------------------------------------------------- *_copy variants

COPIES = [
    ("view_copy", lambda L, x: L.view_copy(x, (4, 3)), _arrays((3, 4))),
    ("permute_copy", lambda L, x: L.permute_copy(x, (2, 0, 1)), _arrays((2, 3, 4))),
    ("transpose_copy", lambda L, x: L.transpose_copy(x, 0, 2), _arrays((2, 3, 4))),
    ("t_copy", lambda L, x: L.t_copy(x), _arrays((2, 3))),
    ("squeeze_copy", lambda L, x: L.squeeze_copy(x), _arrays((2, 1, 3))),
    ("squeeze_copy_dim", lambda L, x: L.squeeze_copy(x, 1), _arrays((2, 1, 3))),
    ("unsqueeze_copy", lambda L, x: L.unsqueeze_copy(x, 1), _arrays((2, 3))),
    ("expand_copy", lambda L, x: L.expand_copy(x, (2, 3, 4)), _arrays((3, 1))),
    ("diagonal_copy", lambda L, x: L.diagonal_copy(x, 1), _arrays((3, 4))),
    ("select_copy", lambda L, x: L.select_copy(x, 1, 2), _arrays((3, 4))),
    ("split_copy", lambda L, x: L.split_copy(x, 2, 1), _arrays((3, 5))),
    ("unbind_copy", lambda L, x: L.unbind_copy(x, 1), _arrays((3, 2))),
    ("unfold_copy", lambda L, x: L.unfold_copy(x, 0, 2, 1), _arrays((5, 2))),
    ("narrow_copy", lambda L, x: L.narrow_copy(x, 1, 1, 2), _arrays((3, 4))),
    ("narrow_copy_m", lambda L, x: x.narrow_copy(0, 1, 2), _arrays((3, 4))),
    ("as_strided_copy", lambda L, x: L.as_strided_copy(x, (2, 2), (1, 2)), _arrays((3, 4))),
    ("alias_copy", lambda L, x: L.alias_copy(x), _arrays((3, 4))),
    ("slice_copy", lambda L, x: L.slice_copy(x), _arrays((3, 4))),
    ("slice_copy_args", lambda L, x: L.slice_copy(x, 1, 1, None, 2), _arrays((3, 4))),
    ("slice_copy_neg", lambda L, x: L.slice_copy(x, -2, -2, 100), _arrays((3, 4))),
    ("view_as_real_copy", lambda L, z: L.view_as_real_copy(z), [C]),
    ("view_as_complex_copy", lambda L, x: L.view_as_complex_copy(x), _arrays((3, 2))),
    ("split_with_sizes_copy", lambda L, x: L.split_with_sizes_copy(x, [1, 2]), _arrays((3, 2))),
]


@pytest.mark.parametrize("name,fn,arrays", COPIES, ids=[c[0] for c in COPIES])
def test_copy_variants(name, fn, arrays):
    # torch's view_as_complex_copy has no gradient ("does not support automatic differentiation
    # for outputs with complex dtype"); ember's is view_as_complex's
    check(fn, arrays, grad=name != "view_as_complex_copy")
    x = ember.tensor(arrays[0])
    for piece in _flat(fn(ember, x)):  # new memory: writing it leaves the input alone
        piece.zero_() if piece.numel() else None
    assert np.array_equal(x.numpy(), arrays[0])


def test_detach_copy():
    # torch 2.13 marks its result requires_grad with a NotImplemented grad_fn; ember's is a
    # plain detached copy (what the name says)
    x = ember.ones(2, requires_grad=True)
    y = ember.detach_copy(x)
    y.add_(1)
    assert not y.requires_grad and x.tolist() == [1.0, 1.0]
    assert_same(ember.detach_copy(x), torch.detach_copy(torch.ones(2, requires_grad=True)))


def test_copy_out():
    out = ember.empty(3, 2)
    ember.t_copy(ember.ones(2, 3), out=out)
    assert out.tolist() == [[1.0, 1.0]] * 3


def test_no_warnings_on_common_paths():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.view_as_real(ember.tensor(C))
        ember.trapezoid(ember.ones(3))


# ---------------------------------------------------------------------------- ATen's spellings
# of nn.functional ops at the top level (positional arguments in ATen's order, reductions as ints)

X4 = _arrays((2, 3, 4))
LOGITS = _arrays((3, 4))
TARGET01 = [RNG.uniform(0, 1, size=(3, 4))]
SIGNS = [np.sign(RNG.uniform(-1, 1, size=(3,)))]

SPELLINGS = [
    ("layer_norm", lambda L, x, w, b: L.layer_norm(x, [4], w, b, 1e-5, True),
     X4 + _arrays((4,), (4,))),
    ("group_norm", lambda L, x, w, b: L.group_norm(x, 3, w, b, 1e-3, False),
     X4 + _arrays((3,), (3,))),
    ("instance_norm", lambda L, x, w, b: L.instance_norm(x, w, b, None, None, True, 0.1, 1e-5,
                                                          False), X4 + _arrays((3,), (3,))),
    ("batch_norm", lambda L, x, w, b: L.batch_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
     X4 + _arrays((3,), (3,))),
    ("batch_norm_eval", lambda L, x: L.batch_norm(x, None, None, L.zeros(3, dtype=L.double),
                                                  L.ones(3, dtype=L.double), False, 0.1, 1e-5,
                                                  False), X4),
    ("embedding", lambda L, w: L.embedding(w, L.tensor([[0, 2], [1, 0]])), _arrays((3, 2))),
    ("embedding_pad", lambda L, w: L.embedding(w, L.tensor([0, 2, 1, 0]), 0), _arrays((3, 2))),
    ("prelu", lambda L, x, w: L.prelu(x, w), X4 + _arrays((3,))),
    ("rrelu_eval", lambda L, x: L.rrelu(x), X4),
    ("selu", lambda L, x: L.selu(x), X4),
    ("celu", lambda L, x: L.celu(x, 0.5), X4),
    ("threshold", lambda L, x: L.threshold(x, 0.1, -3.0), X4),
    ("hardshrink", lambda L, x: L.hardshrink(x, 0.7), X4),
    ("bilinear", lambda L, a, b, w, c: L.bilinear(a, b, w, c),
     _arrays((2, 3), (2, 4), (5, 3, 4), (5,))),
    ("kl_div", lambda L, x, t: L.kl_div(x, t), LOGITS + TARGET01),
    ("kl_div_sum_log", lambda L, x, t: L.kl_div(x, t.log(), 2, log_target=True),
     LOGITS + TARGET01),
    ("poisson_nll_loss", lambda L, x, t: L.poisson_nll_loss(x, t, True, True, 1e-8, 0),
     LOGITS + TARGET01),
    ("margin_ranking_loss", lambda L, a, b, y: L.margin_ranking_loss(a, b, y, 0.2, 2),
     _arrays((3,), (3,)) + SIGNS),
    ("hinge_embedding_loss", lambda L, x, y: L.hinge_embedding_loss(x, y.detach(), 0.5),
     _arrays((3,)) + SIGNS),
    ("cosine_embedding_loss", lambda L, a, b, y: L.cosine_embedding_loss(a, b, y.detach(), 0.1, 0),
     _arrays((3, 4), (3, 4)) + SIGNS),
    ("triplet_margin_loss", lambda L, a, p, n: L.triplet_margin_loss(a, p, n, 1.0, 1.5, 1e-6,
                                                                      True, 1),
     _arrays((3, 4), (3, 4), (3, 4))),
    ("ctc_loss", lambda L, lp: L.ctc_loss(lp.log_softmax(2), L.tensor([[1, 2], [1, 1]]), [5, 4],
                                          [2, 2], 0, 1, False), _arrays((5, 2, 3))),
    ("bce_with_logits", lambda L, x, t, pw: L.binary_cross_entropy_with_logits(
        x, t, L.tensor([0.5, 1, 2, 3], dtype=L.double), pw.detach(), 2),
     LOGITS + TARGET01 + _arrays((4,), low=0.5)),
    ("bce_with_logits_default", lambda L, x, t: L.binary_cross_entropy_with_logits(x, t),
     LOGITS + TARGET01),
    ("kl_div_mean", lambda L, x, t: L.kl_div(x, t, 1), LOGITS + TARGET01),
    ("ctc_loss_default", lambda L, lp: L.ctc_loss(lp.log_softmax(2), L.tensor([[1, 2], [1, 1]]),
                                                  [5, 4], [2, 2]), _arrays((5, 2, 3))),
    ("constant_pad_nd", lambda L, x: L.constant_pad_nd(x, [1, 2, 0, 1], 3.5), X4),
    ("rms_norm", lambda L, x, w: L.rms_norm(x, [3, 4], w, 1e-4), X4 + _arrays((3, 4))),
    ("max_pool1d_with_indices", lambda L, x: L.max_pool1d_with_indices(x, 2), X4),
    ("max_pool1d_with_indices_s", lambda L, x: L.max_pool1d_with_indices(x, 3, 1, 1, 1, True),
     X4),
    ("grid_sampler", lambda L, x, g: L.grid_sampler(x, g, 0, 1, False),
     _arrays((1, 2, 3, 4), (1, 2, 2, 2), low=-1, high=1)),
    ("grid_sampler_nearest", lambda L, x, g: L.grid_sampler(x, g, 1, 2, True),
     _arrays((1, 2, 3, 4), (1, 2, 2, 2), low=-0.9, high=0.9)),
    ("grid_sampler_2d", lambda L, x, g: L.grid_sampler_2d(x, g, 0, 0, True),
     _arrays((1, 2, 3, 4), (1, 2, 2, 2), low=-1, high=1)),
    ("affine_grid_generator", lambda L, th: L.affine_grid_generator(th, [2, 1, 3, 4], False),
     _arrays((2, 2, 3))),
    ("norm_except_dim", lambda L, v: L.norm_except_dim(v, 2, 1), X4),
    ("norm_except_dim_whole", lambda L, v: L.norm_except_dim(v, 3, -1), X4),
]


@pytest.mark.parametrize("name,fn,arrays", SPELLINGS, ids=[c[0] for c in SPELLINGS])
def test_aten_spellings(name, fn, arrays):
    # grid_sampler nearest: torch's grid gradient is zeros, ember's None (no path): values only
    check(fn, arrays, grad=name != "grid_sampler_nearest")


def test_deprecated_norms_warn_as_torch():
    for lib in (ember, torch):
        x = lib.tensor(X4[0])
        with pytest.warns(UserWarning, match="frobenius_norm is deprecated"):
            lib.frobenius_norm(x, (0, 2))
        with pytest.warns(UserWarning, match="nuclear_norm is deprecated"):
            lib.nuclear_norm(x)
    warnings.simplefilter("ignore")
    check(lambda L, x: L.frobenius_norm(x, (0, 2), True), X4)
    check(lambda L, x: L.nuclear_norm(x), X4)
    check(lambda L, x: L.nuclear_norm(x, True), X4)
    check(lambda L, x: L.nuclear_norm(x, (0, 2)), X4)


# ---------------------------------------------------------------------------- switches, nn.init

DEPRECATED_INITS = [("uniform", (2, 3), ()), ("normal", (2, 3), ()), ("constant", (2, 3), (0.5,)),
                    ("eye", (2, 3), ()), ("dirac", (2, 2, 3), ()), ("xavier_uniform", (2, 3), ()),
                    ("xavier_normal", (2, 3), ()), ("kaiming_uniform", (2, 3), ()),
                    ("kaiming_normal", (2, 3), ()), ("orthogonal", (2, 3), ()),
                    ("sparse", (4, 3), (0.5,))]


@pytest.mark.parametrize("name,shape,args", DEPRECATED_INITS, ids=[c[0] for c in DEPRECATED_INITS])
def test_deprecated_init_names(name, shape, args):
    message = f"`nn.init.{name}` is now deprecated in favor of `nn.init.{name}_`."
    results = []
    for lib in (ember, torch):
        lib.manual_seed(3)
        x = lib.empty(*shape, dtype=lib.float64)
        with pytest.warns(FutureWarning) as record:
            out = getattr(lib.nn.init, name)(x, *args)
        assert str(record[0].message) == message
        assert out is x
        lib.manual_seed(3)
        y = getattr(lib.nn.init, name + "_")(lib.empty(*shape, dtype=lib.float64), *args)
        results.append((x, y))
    (ex, ey), (tx, ty) = results
    assert np.array_equal(ex.numpy(), ey.numpy())  # the same draws as the new name
    if name in ("constant", "eye", "dirac"):  # no random draws: the same values as torch
        assert_same(ex, tx)


def test_anomaly_switches():
    for lib in (ember, torch):
        assert lib.is_anomaly_enabled() is False and lib.is_anomaly_check_nan_enabled() is True
        lib.set_anomaly_enabled(True, False)
        try:
            assert lib.is_anomaly_enabled() is True
            assert lib.is_anomaly_check_nan_enabled() is False
        finally:
            lib.set_anomaly_enabled(False)
        assert lib.is_anomaly_enabled() is False and lib.is_anomaly_check_nan_enabled() is True
    ember.set_anomaly_enabled(True)
    try:
        x = ember.tensor([0.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="nan|NaN"):
            (x / x).sum().backward()
    finally:
        ember.set_anomaly_enabled(False)


def test_warn_always_and_interop_threads():
    assert ember.is_warn_always_enabled() is torch.is_warn_always_enabled() is False
    ember.set_warn_always(True)
    assert ember.is_warn_always_enabled() is True
    ember.set_warn_always(False)
    assert isinstance(ember.get_num_interop_threads(), int)
    with pytest.raises(RuntimeError):
        ember.set_num_interop_threads(0)
    with pytest.raises(RuntimeError):
        torch.set_num_interop_threads(0)


def test_set_default_tensor_type():
    # torch warns once per process (TORCH_WARN_ONCE); ember through Python's warnings filters
    with pytest.warns(UserWarning, match="set_default_tensor_type\\(\\) is deprecated"):
        ember.set_default_tensor_type(ember.DoubleTensor)
    ember.set_default_dtype(ember.float32)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for lib in (ember, torch):
                lib.set_default_tensor_type(lib.DoubleTensor)
                assert lib.get_default_dtype() == lib.float64
                assert lib.ones(1).dtype == lib.float64
                lib.set_default_tensor_type("torch.FloatTensor")
                assert lib.ones(1).dtype == lib.float32
                with pytest.raises(TypeError):
                    lib.set_default_tensor_type(lib.LongTensor)
                with pytest.raises(AttributeError):
                    lib.set_default_tensor_type("torch.NoSuchTensor")
    finally:
        ember.set_default_dtype(ember.float32)
        torch.set_default_dtype(torch.float32)


def test_build_flags():
    # ember's own answers (see ember/_global_switches.py): NumPy's LAPACK and FFT are there
    assert ember.has_lapack is True and ember.has_spectral is True
    assert ember.has_openmp is False
    assert isinstance(ember.has_mkl, bool)


# ---------------------------------------------------------------------------- gradient, vmap

COORDS = np.array([0.0, 0.5, 1.5, 1.75, 3.0])
GRADIENTS = [
    ("default", lambda L, f: L.gradient(f), _arrays((5, 4))),
    ("edge2", lambda L, f: L.gradient(f, edge_order=2), _arrays((5, 4))),
    ("spacing", lambda L, f: L.gradient(f, spacing=0.5, dim=1), _arrays((5, 4))),
    ("spacing_list", lambda L, f: L.gradient(f, spacing=[0.5, 2.0], edge_order=2),
     _arrays((5, 4))),
    ("dim_list", lambda L, f: L.gradient(f, spacing=(3.0,), dim=[-2]), _arrays((3, 5, 4))),
    ("coords", lambda L, f, x: L.gradient(f, spacing=[x.detach()], dim=0),
     _arrays((5, 4)) + [COORDS]),
    ("coords_edge2", lambda L, f, x: L.gradient(f, spacing=[x.detach()], dim=0, edge_order=2),
     _arrays((5, 4)) + [COORDS]),
    ("coords_1d", lambda L, f, x: L.gradient(f, spacing=[x.detach()], edge_order=2),
     _arrays((5,)) + [COORDS]),
    ("two_samples", lambda L, f: L.gradient(f), _arrays((2,))),
    ("int", lambda L: L.gradient(L.tensor([1, 4, 9, 16, 25]), spacing=2), []),
    ("int_edge2", lambda L: L.gradient(L.tensor([1, 4, 9, 16, 25]), edge_order=2), []),
]


@pytest.mark.parametrize("name,fn,arrays", GRADIENTS, ids=[c[0] for c in GRADIENTS])
def test_gradient(name, fn, arrays):
    check(fn, arrays, grad=bool(arrays))


def test_gradient_float32():
    # float32: the same few roundings as torch, up to float32 eps-sized differences
    x = _arrays((6, 3), dtype=np.float32)[0]
    for kwargs in ({}, {"edge_order": 2}, {"spacing": [ember.tensor(COORDS.tolist() + [4.0])],
                                           "dim": 0}):
        tkw = {k: ([torch.tensor(v[0].numpy())] if k == "spacing" else v)
               for k, v in kwargs.items()}
        for e, t in zip(ember.gradient(ember.tensor(x), **kwargs),
                        torch.gradient(torch.tensor(x), **tkw)):
            assert_same(e, t, rtol=1e-5, atol=1e-5)


GRADIENT_ERRORS = [
    ("edge_order_3", lambda L: L.gradient(L.ones(5), edge_order=3)),
    ("too_short", lambda L: L.gradient(L.ones(2), edge_order=2)),
    ("one_sample", lambda L: L.gradient(L.ones(1))),
    ("spacing_len", lambda L: L.gradient(L.ones(3, 4), spacing=[1.0, 2.0], dim=1)),
]


@pytest.mark.parametrize("name,fn", GRADIENT_ERRORS, ids=[c[0] for c in GRADIENT_ERRORS])
def test_gradient_errors(name, fn):
    same_error(fn)


def test_vmap_is_func_vmap():
    assert ember.vmap is ember.func.vmap
    x = _arrays((3, 4))[0]
    assert_same(ember.vmap(lambda r: r.sum())(ember.tensor(x)),
                torch.vmap(lambda r: r.sum())(torch.tensor(x)))


# ---------------------------------------------------------------------------- histogramdd

POINTS = RNG.uniform(-1, 2, size=(40, 2))
POINTS[:3] = [[0.0, 1.0], [2.0, 2.0], [-1.0, 0.5]]  # on edges, and at the ends of the range
HISTOGRAMDD = [
    ("bins_int", lambda L, x: L.histogramdd(x, 3)),
    ("bins_list", lambda L, x: L.histogramdd(x, [3, 5])),
    ("range", lambda L, x: L.histogramdd(x, (2, 4), range=[0.0, 1.0, -0.5, 1.5])),
    ("weight", lambda L, x: L.histogramdd(x, [2, 3], weight=x[:, 0].abs())),
    ("density", lambda L, x: L.histogramdd(x, [4, 2], density=True)),
    ("edges", lambda L, x: L.histogramdd(x, [L.tensor([-1.0, 0.0, 0.5, 2.0], dtype=x.dtype),
                                             L.tensor([0.0, 1.0], dtype=x.dtype)])),
    ("three_d", lambda L, x: L.histogramdd(x.reshape(10, 2, 4)[..., :3].reshape(-1, 3), 2,
                                           density=True)),
    ("batched_points", lambda L, x: L.histogramdd(x.reshape(4, 10, 2), [2, 2])),
    ("float32", lambda L, x: L.histogramdd(x.float(), [3, 3])),
]


@pytest.mark.parametrize("name,fn", HISTOGRAMDD, ids=[c[0] for c in HISTOGRAMDD])
def test_histogramdd(name, fn):
    e, t = fn(ember, ember.tensor(POINTS)), fn(torch, torch.tensor(POINTS))
    assert type(e).__name__ == "histogramdd" and isinstance(e.bin_edges, tuple)
    assert_same(e.hist, t.hist)
    assert len(e.bin_edges) == len(t.bin_edges)
    for a, b in zip(e.bin_edges, t.bin_edges):
        assert_same(a, b)


HISTOGRAMDD_ERRORS = [
    ("bins_len", lambda L: L.histogramdd(L.ones(4, 2), [2, 2, 2])),
    ("range_len", lambda L: L.histogramdd(L.ones(4, 2), (2, 2), range=[0.0, 1.0])),
    ("one_dim", lambda L: L.histogramdd(L.ones(3), 2)),
    ("long", lambda L: L.histogramdd(L.ones(3, 2, dtype=L.long), 2)),
    ("float_bins", lambda L: L.histogramdd(L.ones(3, 2), [2.0, 2])),
    ("zero_bins", lambda L: L.histogramdd(L.ones(3, 2), [2, 0])),
    ("weight_shape", lambda L: L.histogramdd(L.ones(3, 2), 2, weight=L.ones(3, 2))),
    ("min_gt_max", lambda L: L.histogramdd(L.ones(3, 2), 2, range=[0.0, 1.0, 2.0, 1.0])),
]


@pytest.mark.parametrize("name,fn", HISTOGRAMDD_ERRORS, ids=[c[0] for c in HISTOGRAMDD_ERRORS])
def test_histogramdd_errors(name, fn):
    same_error(fn)


# ---------------------------------------------------------------------------- poisson

RATES = np.concatenate([[0.0, 1e-3, 0.5, 9.99, 10.0, 10.5, 1e4], RNG.uniform(0, 40, size=300)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_poisson_draws_equal_torchs(dtype):
    # both sides take float64 uniforms from the same Mersenne Twister words, element by element
    rates = RATES.astype(dtype)[:300].reshape(20, 15)
    ember.manual_seed(11)
    torch.manual_seed(11)
    assert_same(ember.poisson(ember.tensor(rates)), torch.poisson(torch.tensor(rates)))
    assert_same(ember.poisson(ember.tensor(rates).t()), torch.poisson(torch.tensor(rates).t()))
    assert_same(ember.rand(3), torch.rand(3))  # the stream stays in step afterwards
    e_gen, t_gen = ember.Generator().manual_seed(4), torch.Generator().manual_seed(4)
    assert_same(ember.poisson(ember.tensor(rates), e_gen),
                torch.poisson(torch.tensor(rates), t_gen))


def test_poisson_statistics_and_gradient():
    # mean and variance of 4000 draws of rate 3 and 30: within 5 standard errors (the error of
    # the sample variance of a Poisson is about sqrt((2 rate^2 + rate) / n))
    for rate in (3.0, 30.0):
        draws = ember.poisson(ember.full((4000,), rate, dtype=ember.float64)).numpy()
        assert abs(draws.mean() - rate) < 5 * np.sqrt(rate / 4000)
        assert abs(draws.var() - rate) < 5 * np.sqrt((2 * rate * rate + rate) / 4000)
        assert (draws == np.round(draws)).all() and draws.min() >= 0
    x = ember.tensor([1.0, 20.0], requires_grad=True)
    y = ember.poisson(x)
    assert y.grad_fn.name() == "PoissonBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]


def test_poisson_errors():
    same_error(lambda L: L.poisson(L.tensor([1.0, -1.0])))
    same_error(lambda L: L.poisson(L.tensor([1, 2])))
