"""Structural ops built from other ops (so their gradients come for free): diff, rot90,
block_diag, cartesian_prod, combinations, diagflat; and the index/membership helpers isin,
tril_indices, triu_indices (no gradients).
"""

import itertools
import operator

import numpy as np

from .. import _device
from .. import _dtype as D
from .._tensor import Tensor
from ._numpy_names import numpy_axis
from .binary import write_out
from .shape import narrow, transpose, wrap_dim
from .strided import index_tensor

__all__ = ["diff", "isin", "rot90", "tril_indices", "triu_indices", "block_diag",
           "cartesian_prod", "combinations", "diagflat"]


# ---------------------------------------------------------------------------- diff

def _one_difference(x, d):
    """x[1:] - x[:-1] along dim d (for bool: x[1:] != x[:-1], i.e. xor, as torch)."""
    length = x.shape[d]
    after, before = narrow(x, d, 1, length - 1), narrow(x, d, 0, length - 1)
    if x.dtype is D.bool:
        return after != before
    return after - before


def diff(input, n=1, dim=-1, prepend=None, append=None, *, out=None, axis=None):
    """The n-th forward difference along ``dim``: out[i] = x[i + 1] - x[i], applied n times,
    after ``prepend`` and ``append`` are joined to ``input`` along ``dim``.
    Same as torch.diff."""
    if axis is not None:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("diff", dim, axis, -1)
    from .join import cat

    if input._data.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    n = operator.index(n)
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = wrap_dim(dim, input._data.ndim)
    parts = [input]
    for name, extra in (("prepend", prepend), ("append", append)):
        if extra is None:
            continue
        if not isinstance(extra, Tensor):
            raise TypeError(f"diff(): argument '{name}' must be Tensor, not "
                            f"{type(extra).__name__}")
        if extra._data.ndim != input._data.ndim:
            raise RuntimeError("diff expects prepend or append to be the same dimension as "
                               "input")
        if name == "prepend":
            parts.insert(0, extra)
        else:
            parts.append(extra)
    x = cat(parts, d) if len(parts) > 1 else input
    for _ in range(n):
        if x.shape[d] == 0:
            break
        x = _one_difference(x, d)
    return write_out(x, out, "diff")


# ---------------------------------------------------------------------------- isin

def _as_tensor(value, like):
    """A Python number as a 0-dim tensor on ``like``'s device (tensors pass through)."""
    from .creation import tensor

    if isinstance(value, Tensor):
        return value
    return tensor(value, device=like.device)


def isin(elements, test_elements, *, assume_unique=False, invert=False, out=None):
    """True where an element of ``elements`` equals some element of ``test_elements``
    (compared in their promoted dtype; NaN equals nothing); ``invert`` gives the opposite.
    Either side may be a Python number. Same as torch.isin."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError(f"isin() received an invalid combination of arguments - got "
                        f"({type(elements).__name__}, {type(test_elements).__name__}), but "
                        "expected one of: (Tensor elements, Tensor test_elements), (Number "
                        "element, Tensor test_elements), (Tensor elements, Number test_element)")
    like = elements if isinstance(elements, Tensor) else test_elements
    elements, test_elements = _as_tensor(elements, like), _as_tensor(test_elements, like)
    dtype = D.promote_types(elements.dtype, test_elements.dtype)
    for t in (elements, test_elements):
        if t.dtype is D.bool or t.dtype.is_complex:
            raise RuntimeError(f"Unsupported input type encountered for isin(): "
                               f"{t.dtype._short}")
    xp = _device.xp_for(like.device)
    np_dtype = D.to_numpy_dtype(dtype)
    found = xp.isin(elements._data.astype(np_dtype), test_elements._data.astype(np_dtype),
                    assume_unique=bool(assume_unique), invert=bool(invert))
    result = Tensor._make(xp.asarray(found).reshape(elements._data.shape), like.device)
    return write_out(result, out, "isin")


# ---------------------------------------------------------------------------- rot90

def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane of ``dims``, from the first dim towards
    the second (a copy). Same as torch.rot90.

    One turn is "flip dims[1], then swap the two dims"; two turns flip both; three turns
    flip dims[0], then swap.
    """
    from .reorder import flip

    dims = list(dims)
    ndim = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {ndim}")
    d0, d1 = wrap_dim(dims[0], ndim), wrap_dim(dims[1], ndim)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} "
                           f"and dim1 = {dims[1]}")
    k = operator.index(k) % 4
    if k == 1:
        return transpose(flip(input, (d1,)), d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return transpose(flip(input, (d0,)), d0, d1)
    return input.clone()


# ---------------------------------------------------------------------------- triangle indices

def _triangle_indices(name, row, col, offset, dtype, device, upper):
    from .creation import _finish

    row, col, offset = operator.index(row), operator.index(col), operator.index(offset)
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    dtype = D.check_dtype(dtype, name) or D.int64
    if dtype not in (D.int32, D.int64):
        raise NotImplementedError(f'"{name}" not implemented for \'{dtype._short}\'')
    # row-major order: row by row, each row's columns from left to right
    if upper:
        rows, cols = np.triu_indices(row, offset, col)
    else:
        rows, cols = np.tril_indices(row, offset, col)
    return _finish(np.stack([rows, cols]).reshape(2, -1), dtype, device, False)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (row, column) indices of the lower triangle of a ``row`` x ``col`` matrix (elements
    with column - row <= offset), as a 2 x N tensor in row-major order. Same as
    torch.tril_indices."""
    return _triangle_indices("tril_indices", row, col, offset, dtype, device, upper=False)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (row, column) indices of the upper triangle (column - row >= offset), as a 2 x N
    tensor in row-major order. Same as torch.triu_indices."""
    return _triangle_indices("triu_indices", row, col, offset, dtype, device, upper=True)


# ---------------------------------------------------------------------------- block_diag

def block_diag(*tensors):
    """The block-diagonal matrix with the given tensors (0-d: 1x1, 1-d: one row) on its
    diagonal and zeros elsewhere, in their promoted dtype. Same as torch.block_diag.

    Each block is padded with zeros to the full width, then the rows are joined.
    """
    from .creation import zeros
    from .join import cat
    from .padding import ConstantPad

    if not tensors:
        return zeros(1, 0)
    blocks = []
    for i, t in enumerate(tensors):
        ndim = t._data.ndim
        if ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {ndim} dimensions")
        blocks.append(t.reshape(1, 1) if ndim == 0 else t.reshape(1, -1) if ndim == 1 else t)
    dtype = blocks[0].dtype
    for b in blocks[1:]:
        dtype = D.promote_types(dtype, b.dtype)
    width = sum(b.shape[1] for b in blocks)
    rows = []
    left = 0
    for b in blocks:
        if b.dtype is not dtype:
            b = b.to(dtype)
        right = width - left - b.shape[1]
        rows.append(ConstantPad([(0, 0), (left, right)]).apply(b))
        left += b.shape[1]
    return cat(rows, 0)


# ---------------------------------------------------------------------------- products

def _check_vector(t):
    if t._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")


def cartesian_prod(*tensors):
    """Every tuple (a, b, ...) with a from the first tensor, b from the second, ...: one row
    per tuple, in the order of itertools.product. Same as torch.cartesian_prod."""
    from .join import meshgrid, stack

    for t in tensors:
        _check_vector(t)
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """Every length-``r`` combination of the elements of a 1-D tensor (as
    itertools.combinations, or combinations_with_replacement), one row each.
    Same as torch.combinations."""
    _check_vector(input)
    r = operator.index(r)
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input.new_zeros((0,))
    choose = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    rows = list(choose(range(input.shape[0]), r))
    index = np.array(rows, dtype=np.int64).reshape(len(rows), r)
    return input[index_tensor(index, input.device)]


def diagflat(input, offset=0):
    """A square matrix with the flattened input on diagonal ``offset``, zeros elsewhere.
    Same as torch.diagflat."""
    from .diagonal import diag

    return diag(input.reshape(-1), offset)


METHODS = {
    "diff": diff,
    "rot90": rot90,
    "diagflat": diagflat,
}
INPLACE = {}
