"""Op table entries for the differentiable structural, statistical and strided ops: diff,
rot90, block_diag, cartesian_prod, combinations, diagflat, quantile/nanquantile, cov,
corrcoef, Tensor.unfold, as_strided and the *_scatter family.

Integer and bool inputs, empty inputs, out=, views sharing memory and the counting ops
(bincount, histc, histogram, isin, tril_indices, windows) are in tests/test_structure_ops.py.
"""


from opinfo import OpInfo

NAN = float("nan")


def _with_fweights(rng, dtype):
    """A (3, 6) input and integer frequency weights (not differentiated)."""
    return [rng.uniform(-2, 2, size=(3, 6)).astype(dtype), rng.integers(0, 4, size=6)]


def _with_nans(rng, dtype):
    """Rows with some NaNs and a row of only NaNs (nanquantile skips them)."""
    x = rng.uniform(-2, 2, size=(4, 6)).astype(dtype)
    x[0, 1] = x[0, 4] = x[2, 0] = NAN
    x[3] = NAN
    return [x]


def _q(lib, x, values):
    """The q tensor in x's dtype (quantile insists on it)."""
    return lib.tensor(values, dtype=x.dtype)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")

OPS = [
    # ------------------------------------------------------------------ differences
    OpInfo("diff", lambda lib, x: lib.diff(x), samples=[(3, 5), (6,), (2, 1)],
           errors=[lambda lib: lib.diff(lib.tensor(1.0)),
                   lambda lib: lib.diff(lib.ones(3), n=-1),
                   lambda lib: lib.diff(lib.ones(2, 3), prepend=lib.ones(3)),
                   lambda lib: lib.diff(lib.ones(2, 3), dim=2)]),
    OpInfo("diff_n_dim", lambda lib, x: x.diff(n=2, dim=0), samples=[(5, 3), (2, 4)]),
    OpInfo("diff_prepend_append",
           lambda lib, x, p, a: lib.diff(x, 2, 0, prepend=p, append=a),
           samples=[((4, 3), (1, 3), (2, 3))]),
    OpInfo("diff_n_past_length", lambda lib, x: lib.diff(x, n=4), samples=[(2, 3)],
           gradcheck=False),  # an empty result: nothing to check by finite differences
    # ------------------------------------------------------------------ rotations, blocks
    OpInfo("rot90", lambda lib, x: lib.rot90(x), samples=[(3, 4), (2, 3, 4)],
           errors=[lambda lib: lib.rot90(lib.ones(2, 3), 1, (0, 1, 1)),
                   lambda lib: lib.rot90(lib.ones(3)),
                   lambda lib: lib.rot90(lib.ones(2, 3), 1, (0, 0)),
                   lambda lib: lib.rot90(lib.ones(2, 3), 1, (-2, 0)),
                   lambda lib: lib.rot90(lib.ones(2, 3), 1, (0, 2))]),
    OpInfo("rot90_k", lambda lib, x: x.rot90(-1, [2, 0]), samples=[(2, 3, 4)]),
    OpInfo("rot90_k2", lambda lib, x: lib.rot90(x, 2, (1, -1)), samples=[(2, 3, 4)]),
    OpInfo("rot90_k0", lambda lib, x: lib.rot90(x, 4), samples=[(3, 2)]),
    OpInfo("block_diag", lambda lib, a, b, c: lib.block_diag(a, b, c),
           samples=[((2, 3), (), (4,)), ((1, 1), (2, 2), (3, 1))],
           errors=[lambda lib: lib.block_diag(lib.ones(1, 1, 1))]),
    OpInfo("cartesian_prod", lambda lib, a, b, c: lib.cartesian_prod(a, b, c),
           samples=[((3,), (2,), (4,))],
           errors=[lambda lib: lib.cartesian_prod(lib.ones(2, 2)),
                   lambda lib: lib.cartesian_prod(lib.ones(2), lib.ones(2, dtype=lib.float64))]),
    OpInfo("cartesian_prod_one", lambda lib, a: lib.cartesian_prod(a), samples=[(3,)]),
    OpInfo("combinations", lambda lib, x: lib.combinations(x), samples=[(4,), (2,)],
           errors=[lambda lib: lib.combinations(lib.ones(2, 2)),
                   lambda lib: lib.combinations(lib.ones(3), -1)]),
    OpInfo("combinations_replacement", lambda lib, x: lib.combinations(x, 3, True),
           samples=[(3,)]),
    OpInfo("diagflat", lambda lib, x: lib.diagflat(x, 1), samples=[(2, 3), (3,), ()]),
    OpInfo("diagflat_below", lambda lib, x: x.diagflat(-2), samples=[(3,)]),
    # ------------------------------------------------------------------ quantiles
    OpInfo("quantile", lambda lib, x: lib.quantile(x, 0.3), samples=[(4, 5), (7,), ()],
           errors=[lambda lib: lib.quantile(lib.ones(3), 1.5),
                   lambda lib: lib.quantile(lib.ones(3), lib.tensor([0.2, 1.5])),
                   lambda lib: lib.quantile(lib.ones(3), lib.tensor([[0.2]])),
                   lambda lib: lib.quantile(lib.ones(3), lib.tensor([0.2], dtype=lib.float64)),
                   lambda lib: lib.quantile(lib.ones(0), 0.5),
                   lambda lib: lib.quantile(lib.tensor([1, 2]), 0.5),
                   lambda lib: lib.quantile(lib.ones(3), 0.5, interpolation="cubic"),
                   lambda lib: lib.nanquantile(lib.ones(2, 3), 0.5, dim=2)]),
    *[OpInfo(f"quantile_{how}",
             lambda lib, x, how=how: lib.quantile(x, _q(lib, x, [0.0, 0.25, 0.5, 0.9, 1.0]),
                                                  dim=1, keepdim=True, interpolation=how),
             samples=[(3, 5), (2, 4, 3)])
      for how in _INTERPOLATIONS],
    OpInfo("quantile_method", lambda lib, x: x.quantile(_q(lib, x, 0.75), dim=-1),
           samples=[(3, 4)]),
    OpInfo("quantile_keepdim_all", lambda lib, x: lib.quantile(x, _q(lib, x, [0.2, 0.6]),
                                                               keepdim=True),
           samples=[(3, 4)]),
    OpInfo("nanquantile", lambda lib, x: lib.nanquantile(x, _q(lib, x, [0.1, 0.5]), dim=1),
           samples=[(3, 5)]),
    *[OpInfo(f"nanquantile_nans_{how}",
             lambda lib, x, how=how: x.nanquantile(0.4, dim=1, interpolation=how),
             # NOTE: finite differences at NaN inputs are NaN: torch's and ember's gradient
             # there (0) is compared instead
             samples=[_with_nans], gradcheck=False)
      for how in _INTERPOLATIONS],
    OpInfo("quantile_nans", lambda lib, x: lib.quantile(x, 0.5, dim=1), samples=[_with_nans],
           gradcheck=False),
    # ------------------------------------------------------------------ covariance
    OpInfo("cov", lambda lib, x: lib.cov(x), samples=[(3, 6), (5,), (1, 4)],
           errors=[lambda lib: lib.cov(lib.ones(2, 2, 2)),
                   lambda lib: lib.cov(lib.ones(2, 3, dtype=lib.bool)),
                   lambda lib: lib.cov(lib.ones(2, 3), fweights=lib.ones(3)),
                   lambda lib: lib.cov(lib.ones(2, 3), fweights=lib.tensor([1, -2, 3])),
                   lambda lib: lib.cov(lib.ones(2, 3), aweights=lib.tensor([1, 2, 3])),
                   lambda lib: lib.cov(lib.ones(2, 3), aweights=lib.tensor([1.0, -2, 3])),
                   lambda lib: lib.cov(lib.ones(2, 3), fweights=lib.tensor([1, 2])),
                   lambda lib: lib.cov(lib.ones(2, 3), fweights=lib.tensor([[1, 2, 3]]))]),
    OpInfo("cov_correction", lambda lib, x: x.cov(correction=0), samples=[(3, 6)]),
    OpInfo("cov_aweights", lambda lib, x, w: lib.cov(x, correction=2, aweights=w),
           samples=[((3, 6), (6,))], domain=(0.2, 2.0)),
    OpInfo("cov_fweights", lambda lib, x, f: lib.cov(x, fweights=f), samples=[_with_fweights]),
    OpInfo("cov_both_weights", lambda lib, x, f: lib.cov(x, fweights=f, aweights=x[0].abs()),
           samples=[_with_fweights]),
    OpInfo("corrcoef", lambda lib, x: lib.corrcoef(x), samples=[(3, 6), (2, 5)],
           errors=[lambda lib: lib.corrcoef(lib.ones(2, 2, 2))]),
    OpInfo("corrcoef_method", lambda lib, x: x.corrcoef(), samples=[(4, 8)]),
    # ------------------------------------------------------------------ strided views
    OpInfo("unfold", lambda lib, x: x.unfold(1, 3, 2), samples=[(4, 7), (2, 3, 2)],
           errors=[lambda lib: lib.ones(4, 6).unfold(1, 7, 3),
                   lambda lib: lib.ones(4, 6).unfold(1, 2, 0),
                   lambda lib: lib.ones(4, 6).unfold(1, -2, 1),
                   lambda lib: lib.ones(4, 6).unfold(2, 1, 1),
                   lambda lib: lib.tensor(3.0).unfold(0, 2, 1)]),
    OpInfo("unfold_overlapping", lambda lib, x: x.unfold(0, 2, 1), samples=[(5,), (4, 3)]),
    OpInfo("unfold_0d", lambda lib, x: x.unfold(0, 1, 1), samples=[()]),
    OpInfo("unfold_twice", lambda lib, x: x.unfold(0, 2, 2).unfold(1, 3, 1),
           samples=[(4, 5)]),
    OpInfo("as_strided", lambda lib, x: lib.as_strided(x, (3, 3), (1, 2), 1),
           samples=[(12,), (3, 4)],
           errors=[lambda lib: lib.ones(4, 6).as_strided((2, 2), (1, 30)),
                   lambda lib: lib.ones(4, 6).as_strided((2, 2), (1, -1)),
                   lambda lib: lib.ones(4, 6).as_strided((2, 2), (1, 1), -1),
                   lambda lib: lib.ones(4, 6).as_strided((2, 2), (1,))]),
    OpInfo("as_strided_overlapping", lambda lib, x: x.as_strided((3, 4), (1, 1)),
           samples=[(6,), (2, 4)]),
    OpInfo("as_strided_of_slice", lambda lib, x: x[1:].as_strided((2, 2), (1, 3)),
           samples=[(3, 4)]),
    # ------------------------------------------------------------------ *_scatter
    OpInfo("select_scatter", lambda lib, x, s: lib.select_scatter(x, s, 1, -1),
           samples=[((3, 4), (3,)), ((2, 3, 2), (2, 2))],
           errors=[lambda lib: lib.select_scatter(lib.ones(4, 6), lib.ones(5), 0, -1),
                   lambda lib: lib.select_scatter(lib.ones(4, 6), lib.ones(6), 0, 7)]),
    OpInfo("select_scatter_0", lambda lib, x, s: x.select_scatter(s, 0, 1),
           samples=[((3, 4), (4,))]),
    OpInfo("slice_scatter", lambda lib, x, s: lib.slice_scatter(x, s, 1, 1, None, 3),
           samples=[((4, 6), (4, 2))],
           errors=[lambda lib: lib.slice_scatter(lib.ones(4, 6), lib.ones(4, 3), 1, 1, None, 3),
                   lambda lib: lib.slice_scatter(lib.ones(4, 6), lib.ones(4, 0), 1, 1, None, 0)]),
    OpInfo("slice_scatter_negative", lambda lib, x, s: x.slice_scatter(s, start=-3, end=-1),
           samples=[((5, 2), (2, 2))]),
    OpInfo("diagonal_scatter", lambda lib, x, s: lib.diagonal_scatter(x, s, 1),
           samples=[((4, 6), (4,)), ((3, 3), (2,))],
           errors=[lambda lib: lib.diagonal_scatter(lib.ones(4, 6), lib.ones(3), 1)]),
    OpInfo("diagonal_scatter_dims", lambda lib, x, s: x.diagonal_scatter(s, -1, 2, 0),
           samples=[((3, 2, 4), (2, 3))]),
    # NOTE: torch 2.13's gradient for input is the region's gradient instead of everything
    # else's (AsStridedScatterBackward0 swaps the two), and it refuses non-contiguous inputs
    # that require grad; ember's gradients are checked by finite differences here and
    # against torch's for src in tests/test_structure_ops.py
    OpInfo("as_strided_scatter",
           lambda lib, x, s: lib.as_strided_scatter(x, s, (2, 2), (1, 2), 1),
           samples=[((3, 4), (2, 2))], grad=False, gradgrad=False,
           errors=[lambda lib: lib.as_strided_scatter(lib.ones(4, 6), lib.ones(3, 2), (2, 2),
                                                      (1, 2), 1)]),
    OpInfo("as_strided_scatter_of_slice",
           lambda lib, x, s: x[1:].as_strided_scatter(s, (3,), (3,)),
           samples=[((3, 4), (3,))], grad=False, gradgrad=False),
]
