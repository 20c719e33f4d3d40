"""Norms and distances: linalg.vector_norm, linalg.matrix_norm, linalg.norm, cdist.

One primitive, ``VectorNorm``; matrix norms are built from it and from the singular values,
and cdist is the vector norm of all pairwise differences.
"""

import math

from .. import _dtype as D
from .._compat import max_or
from ..autograd.function import Node
from ._numpy_names import numpy_names
from .decompositions import svdvals
from .reduction import reduce_dims, unsqueeze_reduced, widened
from .shape import wrap_dim

__all__ = []  # public through ops/linalg.py (torch.*) and ember/linalg.py (torch.linalg.*)

_INF = math.inf


class VectorNorm(Node):
    """y = (sum |x|^p)^(1/p) over dims; p = inf: max |x|, p = -inf: min |x|, p = 0: the
    number of non-zeros.
    grad_x = grad * sgn(x) |x|^(p-1) / y^(p-1)   (p = 2: grad * x / y)
    NOTE: as in torch, the gradient is 0 where y = 0 (and where x = 0 for p < 1); for
    p = +-inf it is shared evenly by the entries where |x| = y; for p = 0 it is 0."""

    _name = "LinalgVectorNormBackward0"

    def __init__(self, ord, dims, keepdim):
        self.ord = ord
        self.dims = dims
        self.keepdim = keepdim

    def forward(self, x):
        # 16-bit floats: the whole norm in float32, rounded once (the sum of |x|^p would stop
        # growing in 16 bits, and x * x overflows float16 from |x| = 256)
        y = widened(self.norm, x)
        self.save(x, y)
        return y

    def norm(self, x):
        xp, p, dims, keep = self.xp, self.ord, self.dims, self.keepdim
        a = xp.abs(x)
        if p == _INF:
            y = max_or(xp, a, dims, keep, 0)
        elif p == -_INF:
            y = a.min(axis=dims, keepdims=keep)
        elif p == 0:
            y = (a != 0).sum(axis=dims, keepdims=keep)
        elif p == 1:
            y = a.sum(axis=dims, keepdims=keep)
        elif p == 2:
            y = xp.sqrt((a * a).sum(axis=dims, keepdims=keep))
        else:
            y = (a ** p).sum(axis=dims, keepdims=keep) ** (1 / p)
        return xp.asarray(y).astype(a.dtype, copy=False)

    def backward(self, grad):
        x, y = self.saved
        p = self.ord
        if p == 0:
            return x * 0
        grad = unsqueeze_reduced(grad, self.dims, x.ndim, self.keepdim)
        y = unsqueeze_reduced(y, self.dims, x.ndim, self.keepdim)
        if p == 1:
            return grad * x.sign()
        if p in (_INF, -_INF):
            hit = (x.abs() == y).to(x.dtype)
            return grad * x.sign() * hit / hit.sum(self.dims, keepdim=True)
        zero = y == 0
        if p == 2:
            return x * (grad / y.masked_fill(zero, 1)).masked_fill(zero, 0)
        scale = (grad / y.masked_fill(zero, 1) ** (p - 1)).masked_fill(zero, 0)
        a = x.abs()
        if p < 1:  # |x|^(p-1) is infinite at x = 0, where torch's gradient is 0
            a = a.masked_fill(x == 0, 1)
        return x.sign() * a ** (p - 1) * scale


def _check_float(x, op):
    if x.dtype.category < D.FLOAT:
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got "
                           f"{x.dtype._short}")


def _with_dtype(x, dtype, op):
    if dtype is None or dtype is x.dtype:
        return x
    if D.promote_types(x.dtype, dtype) is not dtype:
        raise RuntimeError(f"{op}: the dtype of the input ({x.dtype._short}) should be "
                           f"convertible without narrowing to the specified dtype "
                           f"({dtype._short})")
    return x.to(dtype)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None, axis=None,
                keepdims=None):
    """||x||_ord over ``dim`` (all dims when None), as if x were a flat vector:
    (sum |x|^ord)^(1/ord); inf: max |x|; -inf: min |x|; 0: count of non-zeros.
    Same as torch.linalg.vector_norm."""
    if axis is not None or keepdims is not None:  # NumPy's names (ops/_numpy_names.py)
        dim, keepdim = numpy_names("linalg.vector_norm", dim, keepdim, axis, keepdims)
    _check_float(x, "linalg.vector_norm")
    x = _with_dtype(x, dtype, "linalg.vector_norm")
    if isinstance(dim, int):
        dim = (dim,)
    dims = reduce_dims(dim, x.ndim)
    if x.ndim == 0:
        dims = ()
    if (ord < 0 or ord == float("inf")) and x.numel() == 0:
        # NOTE: min/max have no identity: reducing over an empty dim is an error, as in torch
        name = "inf" if ord == float("inf") else "-inf" if ord == float("-inf") else ord
        if dim is None:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {name} norm on an empty "
                               "tensor because the operation does not have an identity")
        for d in dims:
            if x.shape[d] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {name} norm on the "
                                   f"dimension {d} because this dimension is empty and the "
                                   "operation does not have an identity")
    y = VectorNorm(float(ord), dims, keepdim).apply(x)
    return _finish(y, out)


def _finish(result, out):
    if out is None:
        return result
    from .binary import write_out

    return write_out(result, out)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """The norm of each matrix in the two dims ``dim``:
    'fro' sqrt(sum |a_ij|^2); 'nuc' sum of singular values; 2 / -2 largest / smallest
    singular value; 1 / -1 max / min column sum of |a_ij|; inf / -inf max / min row sum.
    Same as torch.linalg.matrix_norm."""
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    _check_float(A, "linalg.matrix_norm")
    A = _with_dtype(A, dtype, "linalg.matrix_norm")
    d0, d1 = (wrap_dim(d, A.ndim) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, "
                           f"{dim[1]})")
    if ord == "fro":
        return _finish(vector_norm(A, 2, (d0, d1), keepdim), out)
    if ord not in ("nuc", 1, -1, 2, -2, _INF, -_INF):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    # move the two matrix dims last
    rest = [i for i in range(A.ndim) if i not in (d0, d1)]
    A = A.permute(*rest, d0, d1)
    if ord == "nuc":
        y = svdvals(A).sum(-1)
    elif ord in (2, -2):
        s = svdvals(A)
        y = s[..., 0] if ord == 2 else s[..., -1]
    else:  # 1 / -1: over columns (sum down each column); inf / -inf: over rows
        sums = A.abs().sum(-2 if ord in (1, -1) else -1)
        y = vector_norm(sums, _INF if ord > 0 else -_INF, -1)
    if keepdim:
        for d in sorted((d0, d1)):
            y = y.unsqueeze(d)
    return _finish(y, out)


def norm(A, ord=None, dim=None, keepdim=False, *, out=None, dtype=None):
    """A vector norm (``dim`` an int, or no ``dim`` with ord=None: all entries) or a matrix
    norm (``dim`` a pair, or a 2-D input with ``ord`` given). Same as torch.linalg.norm."""
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None:
        matrix = len(dim) == 2
        if len(dim) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. "
                               f"Got {list(dim)}")
    elif ord is not None:
        if A.ndim not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must "
                               f"be 1D or 2D. Got {A.ndim}D.")
        matrix = A.ndim == 2
    else:
        matrix = False
    if matrix:
        return matrix_norm(A, "fro" if ord is None else ord, dim or (-2, -1), keepdim,
                           dtype=dtype, out=out)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: Order {ord} not supported.")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype, out=out)


_CDIST_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                "donot_use_mm_for_euclid_dist")


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """Pairwise distances y[..., i, j] = ||x1[..., i, :] - x2[..., j, :]||_p (batch dims
    broadcast). Same as torch.cdist, computed directly rather than with torch's
    |a|^2 + |b|^2 - 2 a.b shortcut for p = 2 (the values agree to float32 rounding)."""
    if x1.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D")
    if x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X2 got: {x2.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if x1.dtype is not x2.dtype:
        raise RuntimeError(f"expected scalar type {x1.dtype._short} but found "
                           f"{x2.dtype._short}")
    if x1.dtype.category != D.FLOAT:
        raise RuntimeError(f"cdist only supports floating-point dtypes, X1 got: "
                           f"{x1.dtype._short}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    # every mode computes the distances directly: the values agree with torch's matrix-product
    # shortcut to rounding, whichever mode torch picks
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return vector_norm(diff, p, -1)
