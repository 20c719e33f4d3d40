"""Op table entries for indexing: getitem/setitem, gather/scatter, index_*, masks, take/put,
sorting and searching, diagonals and triangles.

Index inputs are drawn per sample by callables ``sample(rng, dtype) -> [arrays]``; integer and
bool arrays never require grad.  Sorting samples are continuous random values (no ties).
"""

import numpy as np

from opinfo import OpInfo


def _f(rng, dtype, *shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, shape).astype(dtype)


def _perm_rows(rng, n, rows, cols):
    """An index (rows, cols) whose columns hold distinct values in [0, n) (no duplicates)."""
    return np.stack([rng.permutation(n)[:rows] for _ in range(cols)], axis=1)


def _setitem(index):
    def fn(lib, x, v):
        y = x.clone()
        y[index] = v
        return y
    return fn


def _setitem_tensor(lib, x, i, v):
    y = x.clone()
    y[i] = v
    return y


def _mask(rng, *shape):
    return rng.uniform(size=shape) > 0.5


_NO_GRAD = dict(grad=False, gradcheck=False, gradgrad=False)

# float16 keeps 11 significant bits: 4096 values in [0.5, 1.5) added into 2 places stop near
# 2048 each when added up in float16; torch adds them up in float32
LONG = 4096
HALF_LARGE = dict(dtypes=("float16",), noncontiguous=False, **_NO_GRAD)


def _half_large(rng, dtype, rows=LONG):
    """x (2, 3), an index sending each of ``rows`` rows to row 0 or 1, src (rows, 3)."""
    return [_f(rng, dtype, 2, 3, low=0.5, high=1.5), rng.integers(0, 2, (rows, 3)),
            _f(rng, dtype, rows, 3, low=0.5, high=1.5)]

OPS = [
    # ------------------------------------------------------------------ x[index]
    OpInfo("getitem_int", lambda lib, x: x[1], samples=[(3, 4), (5,)],
           errors=[lambda lib: lib.ones(3)[3], lambda lib: lib.ones(3)[0, 0]]),
    OpInfo("getitem_slice", lambda lib, x: x[1:3, ::2], samples=[(4, 5)],
           errors=[lambda lib: lib.ones(3)[::-1]]),
    OpInfo("getitem_neg", lambda lib, x: x[-1, -3:], samples=[(3, 4)]),
    OpInfo("getitem_none_ellipsis", lambda lib, x: x[None, ..., 1, None], samples=[(2, 3, 4)]),
    OpInfo("getitem_index", lambda lib, x, i: x[i],
           samples=[lambda rng, dt: [_f(rng, dt, 4, 3), np.array([0, 2, 2, -1])],
                    lambda rng, dt: [_f(rng, dt, 4, 3), rng.integers(0, 4, (2, 3))]],
           errors=[lambda lib: lib.ones(3)[lib.tensor([3])],
                   lambda lib: lib.ones(3)[lib.tensor([0.0])]]),
    OpInfo("getitem_two_indices", lambda lib, x, i, j: x[i, j],
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4), rng.integers(0, 3, (2, 1)),
                                     rng.integers(0, 4, (3,))]],
           errors=[lambda lib: lib.ones(3, 4)[lib.tensor([0, 1]), lib.tensor([0, 1, 2])]]),
    OpInfo("getitem_slice_index", lambda lib, x, i: x[:, i, 1:],
           samples=[lambda rng, dt: [_f(rng, dt, 2, 4, 3), rng.integers(0, 4, (2, 2))]]),
    OpInfo("getitem_split_indices", lambda lib, x, i, j: x[i, :, j],
           samples=[lambda rng, dt: [_f(rng, dt, 3, 2, 4), rng.integers(0, 3, (2,)),
                                     rng.integers(0, 4, (2,))]]),
    OpInfo("getitem_list", lambda lib, x: x[[0, 2, 2]], samples=[(3, 2)]),
    OpInfo("getitem_mask", lambda lib, x, m: x[m],
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4), _mask(rng, 3, 4)],
                    lambda rng, dt: [_f(rng, dt, 3, 4), _mask(rng, 3)]],
           errors=[lambda lib: lib.ones(3, 4)[lib.tensor([True, False])]]),
    OpInfo("getitem_bool_scalar", lambda lib, x: x[True], samples=[(2, 3)]),
    # ------------------------------------------------------------------ x[index] = value
    OpInfo("setitem_slice", _setitem((slice(0, 2), 1)), samples=[((3, 4), (2,)), ((3, 4), ())],
           errors=[lambda lib: lib.ones(3, 4).__setitem__(0, lib.ones(3))]),
    OpInfo("setitem_index", _setitem_tensor,
           samples=[lambda rng, dt: [_f(rng, dt, 4, 3), np.array([3, 0]), _f(rng, dt, 2, 3)],
                    lambda rng, dt: [_f(rng, dt, 4, 3), np.array([1, 2]), _f(rng, dt, 3)]]),
    OpInfo("setitem_mask", _setitem_tensor,
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4), _mask(rng, 3, 4), _f(rng, dt)]]),
    # ------------------------------------------------------------------ gather / scatter
    OpInfo("gather", lambda lib, x, i: lib.gather(x, 0, i),
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4), rng.integers(0, 3, (2, 4))],
                    lambda rng, dt: [_f(rng, dt, 3, 4), rng.integers(0, 3, (3, 2))]],
           errors=[lambda lib: lib.ones(3, 4).gather(0, lib.tensor([[5]])),
                   lambda lib: lib.ones(3, 4).gather(0, lib.tensor([0])),
                   lambda lib: lib.ones(3, 4).gather(0, lib.tensor([[0.0]]))]),
    OpInfo("gather_dim1", lambda lib, x, i: x.gather(-1, i),
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4), rng.integers(0, 4, (2, 5))]]),
    OpInfo("scatter", lambda lib, x, i, s: lib.scatter(x, 0, i, s),
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4), _perm_rows(rng, 3, 2, 4),
                                     _f(rng, dt, 2, 4)],
                    lambda rng, dt: [_f(rng, dt, 3, 4), _perm_rows(rng, 3, 2, 3),
                                     _f(rng, dt, 2, 3)]],
           errors=[lambda lib: lib.zeros(3, 4).scatter(0, lib.tensor([[0, 5]]),
                                                       lib.ones(1, 2)),
                   lambda lib: lib.zeros(3, 4).scatter(0, lib.tensor([[0, 1]]),
                                                       lib.ones(1, 2, dtype=lib.float64))]),
    OpInfo("scatter_value", lambda lib, x, i: x.scatter(1, i, 1.5),
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4), rng.integers(0, 4, (3, 2))]]),
    OpInfo("scatter_reduce_add", lambda lib, x, i, s: x.scatter(0, i, s, reduce="add"),
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4), rng.integers(0, 3, (4, 4)),
                                     _f(rng, dt, 4, 4)]], **_NO_GRAD),
    OpInfo("scatter_", lambda lib, x, i, s: x.clone().scatter_(1, i, s),
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4), _perm_rows(rng, 4, 3, 3).T,
                                     _f(rng, dt, 3, 3)]]),
    OpInfo("scatter_add", lambda lib, x, i, s: lib.scatter_add(x, 0, i, s),
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4), rng.integers(0, 3, (5, 4)),
                                     _f(rng, dt, 5, 4)],
                    lambda rng, dt: [_f(rng, dt, 3, 4), rng.integers(0, 3, (2, 3)),
                                     _f(rng, dt, 2, 3)]]),
    OpInfo("scatter_add_", lambda lib, x, i, s: x.clone().scatter_add_(1, i, s),
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4), rng.integers(0, 4, (3, 6)),
                                     _f(rng, dt, 3, 6)]]),
    *[OpInfo(f"scatter_reduce_{reduce}_{'self' if include else 'noself'}",
             (lambda r, inc: lambda lib, x, i, s: x.scatter_reduce(0, i, s, r,
                                                                   include_self=inc))(
                 reduce, include),
             samples=[lambda rng, dt: [_f(rng, dt, 3, 4, low=0.5, high=2),
                                       rng.integers(0, 3, (5, 4)),
                                       _f(rng, dt, 5, 4, low=0.5, high=2)]],
             errors=[lambda lib: lib.zeros(3).scatter_reduce(0, lib.tensor([0]),
                                                             lib.ones(1), "foo")])
      for reduce in ("sum", "prod", "mean", "amax", "amin") for include in (True, False)],
    OpInfo("take_along_dim", lambda lib, x, i: lib.take_along_dim(x, i, 1),
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4), rng.integers(0, 4, (3, 2))],
                    lambda rng, dt: [_f(rng, dt, 3, 4), rng.integers(0, 4, (1, 5))]],
           errors=[lambda lib: lib.take_along_dim(lib.ones(3, 4), lib.tensor([0]), 1)]),
    OpInfo("take_along_dim_flat", lambda lib, x, i: lib.take_along_dim(x, i),
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4), rng.integers(0, 12, (5,))]]),
    # ------------------------------------------------------------------ index_*
    OpInfo("index_select", lambda lib, x, i: lib.index_select(x, 1, i),
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4), np.array([3, 0, 3])],
                    lambda rng, dt: [_f(rng, dt, 3, 4), np.array(2)]],
           errors=[lambda lib: lib.ones(3).index_select(0, lib.tensor([3])),
                   lambda lib: lib.ones(3).index_select(0, lib.tensor([[0]])),
                   lambda lib: lib.ones(3).index_select(0, lib.tensor([0.0]))]),
    OpInfo("index_add", lambda lib, x, i, s: lib.index_add(x, 0, i, s, alpha=2),
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4), np.array([2, 0, 2]), _f(rng, dt, 3, 4)]],
           errors=[lambda lib: lib.zeros(3, 4).index_add(0, lib.tensor([0, 1]),
                                                         lib.ones(2, 3)),
                   lambda lib: lib.zeros(3, 4).index_add(0, lib.tensor([0, 5]),
                                                         lib.ones(2, 4))]),
    OpInfo("index_add_", lambda lib, x, i, s: x.clone().index_add_(1, i, s),
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4), np.array([1, 1]), _f(rng, dt, 3, 2)]]),
    # float16, > 2048 terms added into one place
    OpInfo("scatter_add_half_large", lambda lib, x, i, s: x.scatter_add(0, i, s),
           samples=[_half_large], **HALF_LARGE),
    OpInfo("scatter_reduce_sum_half_large", lambda lib, x, i, s: x.scatter_reduce(0, i, s, "sum"),
           samples=[_half_large], **HALF_LARGE),
    OpInfo("scatter_reduce_mean_half_large",
           lambda lib, x, i, s: x.scatter_reduce(0, i, s, "mean", include_self=False),
           samples=[_half_large], **HALF_LARGE),
    OpInfo("index_add_half_large", lambda lib, x, i, s: x.index_add(0, i[:, 0], s),
           samples=[_half_large], **HALF_LARGE),
    OpInfo("index_copy", lambda lib, x, i, s: x.index_copy(1, i, s),
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4), np.array([3, 0]), _f(rng, dt, 3, 2)]],
           errors=[lambda lib: lib.zeros(3, 4).index_copy(0, lib.tensor([0, 5]),
                                                          lib.ones(2, 4))]),
    OpInfo("index_fill", lambda lib, x, i: x.index_fill(0, i, -0.5),
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4), np.array([2, 0])]]),
    OpInfo("index_fill_tensor", lambda lib, x, i, v: x.index_fill(1, i, v),
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4), np.array([1, 3, 1]), _f(rng, dt)]],
           errors=[lambda lib: lib.zeros(3).index_fill(0, lib.tensor([0]), lib.ones(2))]),
    OpInfo("index_fill_", lambda lib, x, i: x.clone().index_fill_(1, i, 2.0),
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4), np.array([-1])]]),
    # ------------------------------------------------------------------ masks
    OpInfo("masked_fill", lambda lib, x, m: x.masked_fill(m, 0.25),
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4), _mask(rng, 3, 4)],
                    lambda rng, dt: [_f(rng, dt, 3, 4), _mask(rng, 4)],
                    lambda rng, dt: [_f(rng, dt, 4), _mask(rng, 2, 4)]],
           errors=[lambda lib: lib.zeros(3).masked_fill(lib.ones(3), 1.0),
                   lambda lib: lib.zeros(4).masked_fill_(lib.ones(2, 4, dtype=lib.bool), 1.0)]),
    OpInfo("masked_fill_tensor", lambda lib, x, m, v: lib.masked_fill(x, m, v),
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4), _mask(rng, 3, 4), _f(rng, dt)]]),
    OpInfo("masked_fill_", lambda lib, x, m: x.clone().masked_fill_(m, -2.0),
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4), _mask(rng, 3, 1)]]),
    OpInfo("masked_select", lambda lib, x, m: lib.masked_select(x, m),
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4), _mask(rng, 3, 4)],
                    lambda rng, dt: [_f(rng, dt, 4), _mask(rng, 2, 4)]]),
    OpInfo("masked_scatter", lambda lib, x, m, s: x.masked_scatter(m, s),
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4), _mask(rng, 3, 4), _f(rng, dt, 4, 4)],
                    lambda rng, dt: [_f(rng, dt, 4), _mask(rng, 2, 4), _f(rng, dt, 8)]],
           errors=[lambda lib: lib.zeros(3, 4).masked_scatter(lib.ones(3, 4, dtype=lib.bool),
                                                              lib.ones(5))]),
    # ------------------------------------------------------------------ take / put
    OpInfo("take", lambda lib, x, i: lib.take(x, i),
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4), rng.integers(-12, 12, (2, 3))]],
           errors=[lambda lib: lib.ones(3).take(lib.tensor([3])),
                   lambda lib: lib.ones(3).take(lib.tensor([0], dtype=lib.int32))]),
    OpInfo("put", lambda lib, x, i, s: x.put(i, s),
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4), rng.permutation(12)[:5].reshape(5),
                                     _f(rng, dt, 5)]]),
    OpInfo("put_accumulate", lambda lib, x, i, s: x.clone().put_(i, s, accumulate=True),
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4), rng.integers(0, 12, (2, 3)),
                                     _f(rng, dt, 2, 3)]]),
    # ------------------------------------------------------------------ nonzero / where
    OpInfo("nonzero", lambda lib, x: lib.nonzero(x),
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4) * _mask(rng, 3, 4)],
                    lambda rng, dt: [np.array(2.0, dtype=dt)]], **_NO_GRAD),
    OpInfo("nonzero_tuple", lambda lib, x: x.nonzero(as_tuple=True),
           samples=[lambda rng, dt: [_f(rng, dt, 3, 4) * _mask(rng, 3, 4)],
                    lambda rng, dt: [np.array(0.0, dtype=dt)]], **_NO_GRAD),
    OpInfo("argwhere", lambda lib, x: lib.argwhere(x),
           samples=[lambda rng, dt: [_f(rng, dt, 2, 3, 2) * _mask(rng, 2, 3, 2)]], **_NO_GRAD),
    OpInfo("where_cond", lambda lib, x: lib.where(x > 0),
           samples=[(3, 4)], **_NO_GRAD),
    # ------------------------------------------------------------------ sorting / searching
    OpInfo("sort", lambda lib, x: lib.sort(x), samples=[(3, 5), (6,), ()]),
    OpInfo("sort_desc_dim0", lambda lib, x: x.sort(0, descending=True), samples=[(4, 3)]),
    OpInfo("sort_stable", lambda lib, x: lib.sort(x, stable=True, descending=True),
           samples=[lambda rng, dt: [rng.integers(0, 3, (3, 6)).astype(dt)]], **_NO_GRAD),
    OpInfo("argsort", lambda lib, x: lib.argsort(x, dim=0, descending=True),
           samples=[(4, 3)], **_NO_GRAD),
    OpInfo("argsort_stable", lambda lib, x: x.argsort(stable=True),
           samples=[lambda rng, dt: [rng.integers(0, 3, (2, 7)).astype(dt)]], **_NO_GRAD),
    OpInfo("msort", lambda lib, x: lib.msort(x), samples=[(4, 3)]),
    OpInfo("topk", lambda lib, x: lib.topk(x, 2), samples=[(3, 5), (4,)],
           errors=[lambda lib: lib.topk(lib.ones(3), 4)]),
    OpInfo("topk_smallest_dim0", lambda lib, x: x.topk(3, dim=0, largest=False),
           samples=[(4, 3)]),
    OpInfo("kthvalue", lambda lib, x: lib.kthvalue(x, 2), samples=[(3, 5), (4,)],
           errors=[lambda lib: lib.kthvalue(lib.ones(3), 4)]),
    OpInfo("kthvalue_keepdim", lambda lib, x: x.kthvalue(3, 0, keepdim=True), samples=[(4, 3)]),
    OpInfo("unique", lambda lib, x: lib.unique(x, return_inverse=True, return_counts=True),
           samples=[lambda rng, dt: [rng.integers(0, 4, (3, 4)).astype(dt)]], **_NO_GRAD),
    OpInfo("unique_plain", lambda lib, x: x.unique(), samples=[(6,)], **_NO_GRAD),
    OpInfo("unique_dim", lambda lib, x: lib.unique(x, dim=0, return_inverse=True,
                                                   return_counts=True),
           samples=[lambda rng, dt: [rng.integers(0, 2, (5, 2)).astype(dt)]], **_NO_GRAD),
    OpInfo("unique_consecutive",
           lambda lib, x: lib.unique_consecutive(x, return_inverse=True, return_counts=True),
           samples=[lambda rng, dt: [rng.integers(0, 2, (3, 4)).astype(dt)]], **_NO_GRAD),
    OpInfo("unique_consecutive_dim",
           lambda lib, x: x.unique_consecutive(return_counts=True, dim=1),
           samples=[lambda rng, dt: [rng.integers(0, 2, (2, 6)).astype(dt)]], **_NO_GRAD),
    OpInfo("searchsorted", lambda lib, s, v: lib.searchsorted(s, v),
           samples=[lambda rng, dt: [np.sort(_f(rng, dt, 6)), _f(rng, dt, 2, 3)],
                    lambda rng, dt: [np.sort(_f(rng, dt, 2, 5), -1), _f(rng, dt, 2, 3)]],
           errors=[lambda lib: lib.searchsorted(lib.ones(2, 3), lib.ones(3))], **_NO_GRAD),
    OpInfo("searchsorted_right", lambda lib, s, v: lib.searchsorted(s, v, right=True,
                                                                    out_int32=True),
           samples=[lambda rng, dt: [np.array([0.0, 1, 1, 2], dtype=dt),
                                     np.array([1.0, 0.5, 2, 3], dtype=dt)],
                    lambda rng, dt: [np.array([[0.0, 1, 1], [1, 2, 2]], dtype=dt),
                                     np.array([[1.0], [2]], dtype=dt)]], **_NO_GRAD),
    OpInfo("bucketize", lambda lib, v, b: lib.bucketize(v, b),
           samples=[lambda rng, dt: [np.array([[1.0, 0.5], [2, 3]], dtype=dt),
                                     np.array([0.0, 1, 2], dtype=dt)]],
           errors=[lambda lib: lib.bucketize(lib.ones(3), lib.ones(2, 2))], **_NO_GRAD),
    # ------------------------------------------------------------------ diagonals / triangles
    OpInfo("tril", lambda lib, x: lib.tril(x), samples=[(3, 4), (2, 3, 3)],
           errors=[lambda lib: lib.tril(lib.ones(3))]),
    OpInfo("tril_offset", lambda lib, x: x.tril(-1), samples=[(4, 3)]),
    OpInfo("triu", lambda lib, x: lib.triu(x, diagonal=1), samples=[(3, 4), (2, 3, 3)]),
    OpInfo("triu_", lambda lib, x: x.clone().triu_(-1), samples=[(3, 4)]),
    OpInfo("diag_1d", lambda lib, x: lib.diag(x), samples=[(3,)]),
    OpInfo("diag_1d_offset", lambda lib, x: x.diag(-2), samples=[(3,)]),
    OpInfo("diag_2d", lambda lib, x: lib.diag(x, 1), samples=[(3, 4), (4, 3)],
           errors=[lambda lib: lib.diag(lib.ones(2, 2, 2))]),
    OpInfo("diag_embed", lambda lib, x: lib.diag_embed(x), samples=[(2, 3), (3,)]),
    OpInfo("diag_embed_dims", lambda lib, x: lib.diag_embed(x, offset=1, dim1=0, dim2=2),
           samples=[(2, 3)]),
    OpInfo("diagonal", lambda lib, x: lib.diagonal(x), samples=[(3, 4), (4, 3)],
           errors=[lambda lib: lib.diagonal(lib.ones(2, 2), 0, 1, 1)]),
    OpInfo("diagonal_dims", lambda lib, x: x.diagonal(offset=-1, dim1=2, dim2=0),
           samples=[(3, 2, 4)]),
    OpInfo("trace", lambda lib, x: lib.trace(x), samples=[(3, 3), (3, 4)],
           errors=[lambda lib: lib.trace(lib.ones(2, 2, 2))]),
]
