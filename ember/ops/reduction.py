"""Reductions: sum, mean, prod, nansum/nanmean, var/std, norm, logsumexp, all/any,
count_nonzero.

``dim`` may be None (all dims), an int or a tuple; ``keepdim`` keeps reduced dims as size 1.
Gradients are broadcast back over the reduced dims (``unsqueeze_reduced``).  The reductions
that pick elements (max, min, amax, argmax, median, mode, cummax, ...) live in ``extrema.py``,
the running sums and products (cumsum, cumprod) in ``cumulative.py``; both are re-exported
from here, so this module's ``__all__`` and ``METHODS`` list the whole family.
"""

import contextlib
import math
import warnings

import numpy as np

from .. import _dtype as D
from ..autograd.engine import sum_to_shape
from ..autograd.function import Node, NoGradNode
from ._numpy_names import REQUIRED, numpy_axis, numpy_names
from .shape import wrap_dim
from .unary import float_input

__all__ = ["sum", "mean", "sum_to_size", "prod", "nansum", "nanmean", "var", "std", "var_mean",
           "std_mean", "norm", "logsumexp", "all", "any", "count_nonzero"]


def reduce_dims(dim, ndim):
    """``dim`` as a sorted tuple of non-negative dims (all dims for None or ()).

    A 0-dim tensor accepts dim 0 or -1 and has no dims to reduce: ().
    """
    if ndim == 0 and dim is not None:
        for d in dim if isinstance(dim, (tuple, list)) else (dim,):
            wrap_dim(d, 0)
        return ()
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (tuple, list)):
        dims = tuple(wrap_dim(d, ndim) for d in dim)
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"dim {dims[0]} appears multiple times in the list of dims")
        return tuple(sorted(dims)) if dims else tuple(range(ndim))
    return (wrap_dim(dim, ndim),)


def unsqueeze_reduced(grad, dims, ndim, keepdim):
    """Put back the reduced dims (as size 1) so the gradient broadcasts over them."""
    if keepdim or not dims or ndim == 0:
        return grad
    shape = list(grad.shape)
    for d in dims:
        shape.insert(d, 1)
    return grad.reshape(shape)


def reduced_count(shape, dims):
    """How many elements each output element of a reduction over ``dims`` gathers."""
    n = 1
    for d in dims:
        n *= shape[d]
    return n


def summed(xp, x, dims, keepdim, dtype=None):
    """``x`` added up over ``dims`` into ``dtype`` (x's own by default). 16-bit floats are
    accumulated in float32 and rounded once at the end (``D.accumulator_dtype``), as in torch."""
    if dtype is None:
        dtype = x.dtype
    acc = D.accumulator_dtype(dtype)
    if xp is np and D.is_bfloat16(x):
        x = D.cast(x, D.float32)  # widening by bit arithmetic: ~3x faster than in the reduce
    y = xp.add.reduce(x, axis=dims, dtype=acc, keepdims=keepdim)
    return y if acc is dtype else y.astype(dtype)


def widened(fn, x):
    """``fn(x)`` computed on x in its accumulator dtype (float32 for 16-bit floats) and
    rounded back to x's dtype once: for reductions (var, std, norms) whose every step would
    otherwise lose precision in 16 bits. Other dtypes call ``fn(x)`` as it is."""
    acc = D.accumulator_dtype(x.dtype)
    if acc is x.dtype:
        return fn(x)
    wide = D.cast(x, D.float32) if D.is_bfloat16(x) else x.astype(acc)
    return fn(wide).astype(x.dtype)


def quiet(xp):
    """Silence NumPy's warnings for 0/0 and x/0: torch returns nan/inf without a warning."""
    errstate = getattr(xp, "errstate", None)
    return errstate(divide="ignore", invalid="ignore") if errstate else contextlib.nullcontext()


# ---------------------------------------------------------------------------- sum, mean

class Sum(Node):
    """y = sum of x over dims          grad_x = grad broadcast over those dims"""

    def __init__(self, dims, keepdim, dtype):
        self.dims = dims
        self.keepdim = keepdim
        self.dtype = dtype

    def forward(self, x):
        if not self.dims:  # a 0-dim input: nothing to add up (the ufunc costs ~0.8 µs even so)
            return x.copy() if x.dtype == self.dtype else x.astype(self.dtype)
        if self.dtype.itemsize == 2:  # float16/bfloat16 add up in float32 (see ``summed``)
            return summed(self.xp, x, self.dims, self.keepdim, self.dtype)
        # NOTE: float32/float64 skip ``summed``: its call and dtype lookup cost them ~70 ns (3-5%
        # of loss.sum()), this itemsize test ~25 ns; and the ufunc, not ndarray.sum, for the same
        return self.xp.add.reduce(x, axis=self.dims, dtype=self.dtype, keepdims=self.keepdim)

    def backward(self, grad):
        shape = self.input_shape(0)
        if grad._data.shape == shape:  # nothing was reduced (a 0-dim input, or size-1 dims)
            return grad
        return _spread(grad, self.dims, shape, self.keepdim)


def _spread(grad, dims, shape, keepdim):
    """The gradient of a sum: ``grad`` broadcast back over the reduced dims to ``shape``."""
    if grad._data.shape == shape:  # nothing was reduced (a 0-dim input, or size-1 dims)
        return grad
    if grad._data.ndim != 0:  # a 0-dim gradient (all dims reduced) expands as it is
        grad = unsqueeze_reduced(grad, dims, len(shape), keepdim)
    return grad.expand(shape)


def _accumulate_dtype(input, dtype, fn):
    """sum/prod/cumsum of bool and integer tensors is int64, as in torch."""
    if dtype is not None:
        return D.check_dtype(dtype, fn)
    if input.dtype.category <= D.INT:
        return D.int64
    return input.dtype


def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Sum over ``dim`` (all elements by default). Same as torch.sum."""
    if axis is not None or keepdims is not None:  # NumPy's names (ops/_numpy_names.py)
        dim, keepdim = numpy_names("sum", dim, keepdim, axis, keepdims)
    if dim is None and dtype is None and input._dtype.category >= D.FLOAT:
        # NOTE: loss.sum(), the common call, without the checks and conversions below
        return Sum(tuple(range(input._data.ndim)), keepdim, input._data.dtype).apply(input)
    dt = _accumulate_dtype(input, dtype, "sum")
    node = Sum(reduce_dims(dim, input._data.ndim), keepdim, D.to_numpy_dtype(dt))
    if dim is not None:
        node._name = "SumBackward1"
    return node.apply(input)


class Mean(Node):
    """y = mean of x over dims          grad_x = grad / n broadcast over those dims"""

    def __init__(self, dims, keepdim):
        self.dims = dims
        self.keepdim = keepdim

    def forward(self, x):
        if x.size == 0:  # nan (0 / 0), without NumPy's "mean of empty slice" warning
            with quiet(self.xp):
                return x.sum(axis=self.dims, keepdims=self.keepdim) / x.dtype.type(0)
        acc = D.accumulator_dtype(x.dtype)
        y = x.mean(axis=self.dims, keepdims=self.keepdim, dtype=acc)
        return y if acc is x.dtype else y.astype(x.dtype)

    def backward(self, grad):
        shape = self.input_shape(0)
        n = reduced_count(shape, self.dims)
        if n != 1:
            grad = grad / n  # divide the small gradient, before it is spread
        return _spread(grad, self.dims, shape, self.keepdim)


def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Mean over ``dim`` (all elements by default). Same as torch.mean."""
    if axis is not None or keepdims is not None:  # NumPy's names (ops/_numpy_names.py)
        dim, keepdim = numpy_names("mean", dim, keepdim, axis, keepdims)
    if dtype is not None:
        input = input.to(D.check_dtype(dtype, "mean"))
    if input.dtype.category < D.FLOAT:
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {input.dtype._short}")
    node = Mean(reduce_dims(dim, input._data.ndim), keepdim)
    if dim is not None:
        node._name = "MeanBackward1"
    return node.apply(input)


class SumToSize(Node):
    """y = x summed down to a broadcastable-from shape          grad_x = grad expanded"""

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return sum_to_shape(x, self.shape, self.xp)

    def backward(self, grad):
        return grad.expand(self.input_shape(0))


def sum_to_size(input, *size):
    """Sum ``input`` down to ``size`` (the reverse of broadcasting). Same as torch.sum_to_size."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return SumToSize(tuple(size)).apply(input)


class Nansum(Node):
    """y = sum of the non-NaN elements of x          grad_x = grad where x is not NaN, else 0"""

    def __init__(self, dims, keepdim, dtype):
        self.dims = dims
        self.keepdim = keepdim
        self.dtype = dtype

    def forward(self, x):
        self.save(x)
        acc = D.accumulator_dtype(self.dtype)
        y = self.xp.nansum(x, axis=self.dims, keepdims=self.keepdim, dtype=acc)
        return y if acc is self.dtype else y.astype(self.dtype)

    def backward(self, grad):
        (x,) = self.saved
        grad = unsqueeze_reduced(grad, self.dims, x.dim(), self.keepdim)
        return grad * (x == x)  # NOTE: x == x is False exactly at NaN


def nansum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Sum over ``dim`` treating NaN as 0. Same as torch.nansum."""
    if axis is not None or keepdims is not None:  # NumPy's names (ops/_numpy_names.py)
        dim, keepdim = numpy_names("nansum", dim, keepdim, axis, keepdims)
    dt = _accumulate_dtype(input, dtype, "nansum")
    node = Nansum(reduce_dims(dim, input._data.ndim), keepdim, D.to_numpy_dtype(dt))
    return node.apply(input)


def nanmean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Mean of the non-NaN elements over ``dim`` (NaN where there are none)."""
    if axis is not None or keepdims is not None:  # NumPy's names (ops/_numpy_names.py)
        dim, keepdim = numpy_names("nanmean", dim, keepdim, axis, keepdims)
    if dtype is not None:
        input = input.to(D.check_dtype(dtype, "nanmean"))
    if input.dtype.category < D.FLOAT:
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype "
                           f"but got {input.dtype._short}")
    count = sum(input == input, dim, keepdim)
    return nansum(input, dim, keepdim) / count


# ---------------------------------------------------------------------------- prod

class Prod(Node):
    """y = product of x over dims          grad_x = grad * y / x = grad * prod_{j != i} x_j
    NOTE: where x has zeros, y / x is 0 / 0; the product of the others is computed directly."""

    def __init__(self, dims, keepdim, dtype):
        self.dims = dims
        self.keepdim = keepdim
        self.dtype = dtype

    def forward(self, x):
        # NOTE: 16-bit floats multiply in float32 too, one rule for every reduction (torch's
        # CPU prod rounds each partial product to 16 bits: it drifts from the exact product)
        dtype = x.dtype if self.dtype is None else self.dtype
        acc = D.accumulator_dtype(dtype)
        y = x.prod(axis=self.dims, keepdims=self.keepdim, dtype=acc)
        if acc is not dtype:
            y = y.astype(dtype)
        self.save(x, y)
        return y

    def backward(self, grad):
        x, y = self.saved
        dims = self.dims
        grad = unsqueeze_reduced(grad, dims, x.dim(), self.keepdim)
        y = unsqueeze_reduced(y, dims, x.dim(), self.keepdim)
        if not (x == 0).any():
            return grad * y / x
        return grad * cumulative.product_of_others(x, dims)


def prod(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Product of all elements, or over one ``dim``. Same as torch.prod."""
    if axis is not None or keepdims is not None:  # NumPy's names (ops/_numpy_names.py)
        dim, keepdim = numpy_names("prod", dim, keepdim, axis, keepdims)
    dt = D.to_numpy_dtype(_accumulate_dtype(input, dtype, "prod"))
    if dim is None:
        return Prod(tuple(range(input.dim())), False, dt).apply(input)
    if not isinstance(dim, int):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    node = Prod((wrap_dim(dim, input.dim()),), keepdim, dt)
    node._name = "ProdBackward1"
    return node.apply(input)


# ---------------------------------------------------------------------------- var, std

class Var(Node):
    """y = sum((x - mean)^2) / (N - correction)
    grad_x = grad * 2 (x - mean) / (N - correction)"""

    def __init__(self, dims, correction, keepdim):
        self.dims = dims
        self.correction = correction
        self.keepdim = keepdim

    def dof(self, shape):
        """Degrees of freedom N - correction (never below 0: the result is then inf or nan)."""
        n = reduced_count(shape, self.dims) - self.correction
        return n if n > 0 else 0

    def variance(self, x):
        xp = self.xp
        dims = self.dims
        with quiet(xp):
            n = reduced_count(x.shape, dims)
            d = x - x.sum(axis=dims, keepdims=True) / x.dtype.type(n)
            squares = (d * d.conj()).real if x.dtype.kind == "c" else d * d
            return squares.sum(axis=dims, keepdims=self.keepdim) / squares.dtype.type(
                self.dof(x.shape))

    def forward(self, x):
        self.save(x)
        return widened(self.variance, x)

    def centered(self, grad, x):
        """grad spread over the reduced dims, and x - mean(x)."""
        grad = unsqueeze_reduced(grad, self.dims, x.dim(), self.keepdim)
        return grad, x - x.mean(self.dims, keepdim=True)

    def backward(self, grad):
        (x,) = self.saved
        grad, d = self.centered(grad, x)
        dof = self.dof(x.shape)
        return grad * d * (2 / dof if dof else math.inf)


class Std(Var):
    """y = sqrt(var(x))          grad_x = grad * (x - mean) / ((N - correction) y)
    NOTE: 0 where y = 0 (a constant slice), as in torch."""

    def deviation(self, x):
        with quiet(self.xp):
            return self.xp.sqrt(self.variance(x))

    def forward(self, x):
        y = widened(self.deviation, x)  # the square root too, before rounding to 16 bits
        self.save(x, y)
        return y

    def backward(self, grad):
        x, y = self.saved
        grad, d = self.centered(grad, x)
        y = unsqueeze_reduced(y, self.dims, x.dim(), self.keepdim)
        dof = self.dof(x.shape)
        scale = grad / (y * dof).masked_fill(y == 0, 1)
        return scale.masked_fill(y == 0, 0) * d


def _var_args(name, input, dim, unbiased, correction):
    """The dims and correction of torch's three var/std signatures."""
    if isinstance(dim, bool):  # var(input, unbiased)
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments: give either "
                        "unbiased or correction, not both")
    if correction is None:
        correction = 1 if unbiased is None else int(unbiased)
    if input.dtype.category < D.FLOAT:
        raise RuntimeError("std and var only support floating point and complex dtypes")
    dims = reduce_dims(dim, input.dim())
    # NOTE: torch counts N as input numel / output numel, which is 0 for an empty output
    out_numel = reduced_count(input.shape, [d for d in range(input.dim()) if d not in dims])
    n = input.numel() // out_numel if out_numel else 0
    if n - correction <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly "
                      "less than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=3)
    return dims, correction


def var(
    input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None
):
    """Variance over ``dim`` with ``correction`` (1: unbiased, the default). Same as torch.var."""
    if axis is not None or keepdims is not None:  # NumPy's names (ops/_numpy_names.py)
        dim, keepdim = numpy_names("var", dim, keepdim, axis, keepdims)
    dims, correction = _var_args("var", input, dim, unbiased, correction)
    return Var(dims, correction, keepdim).apply(input)


def std(
    input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None
):
    """Standard deviation over ``dim`` (sqrt of ``var``). Same as torch.std."""
    if axis is not None or keepdims is not None:  # NumPy's names (ops/_numpy_names.py)
        dim, keepdim = numpy_names("std", dim, keepdim, axis, keepdims)
    dims, correction = _var_args("std", input, dim, unbiased, correction)
    return Std(dims, correction, keepdim).apply(input)


def var_mean(
    input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None
):
    """(var, mean) over ``dim``. Same as torch.var_mean."""
    if axis is not None or keepdims is not None:  # NumPy's names (ops/_numpy_names.py)
        dim, keepdim = numpy_names("var_mean", dim, keepdim, axis, keepdims)
    dims, correction = _var_args("var_mean", input, dim, unbiased, correction)
    return Var(dims, correction, keepdim).apply(input), Mean(dims, keepdim).apply(input)


def std_mean(
    input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None
):
    """(std, mean) over ``dim``. Same as torch.std_mean."""
    if axis is not None or keepdims is not None:  # NumPy's names (ops/_numpy_names.py)
        dim, keepdim = numpy_names("std_mean", dim, keepdim, axis, keepdims)
    dims, correction = _var_args("std_mean", input, dim, unbiased, correction)
    return Std(dims, correction, keepdim).apply(input), Mean(dims, keepdim).apply(input)


# ---------------------------------------------------------------------------- norm

def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """The p-norm of ``input`` over ``dim`` (all elements by default) as a flat vector:
    (sum |x|^p)^(1/p); p = 'fro' is the 2-norm, p = 'nuc' the nuclear norm of a matrix
    (sum of singular values). Same as torch.norm; the maths is in ``norms.py``."""
    from . import norms  # norms.py builds on this module

    if p == "nuc":
        if dim is not None and (not isinstance(dim, (tuple, list)) or len(dim) != 2):
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim}")
        return norms.matrix_norm(input, "nuc", dim or (-2, -1), keepdim, dtype=dtype, out=out)
    if p == "fro" or p is None:
        p = 2
    if isinstance(p, str):
        raise RuntimeError(f"linalg.vector_norm: Order {p} not supported.")
    return norms.vector_norm(input, p, dim, keepdim, dtype=dtype, out=out)


# ---------------------------------------------------------------------------- logsumexp

class Logsumexp(Node):
    """y = log(sum(exp(x))) over dims, computed as m + log(sum(exp(x - m))) with m = max(x)
    grad_x = grad * exp(x - y)   (the softmax of x)"""

    def __init__(self, dims, keepdim):
        self.dims = dims
        self.keepdim = keepdim

    def forward(self, x):
        xp = self.xp
        dims = self.dims
        if x.size:
            m = x.max(axis=dims, keepdims=True)
            # NOTE: an infinite max is not subtracted (inf - inf would be nan)
            m = xp.where(xp.isfinite(m), m, 0).astype(x.dtype)
        else:
            m = xp.zeros([1 if d in dims else s for d, s in enumerate(x.shape)], x.dtype)
        with quiet(xp):
            # NOTE: as torch, only the sum is widened: exp, log and + m round to x's dtype
            y = xp.log(summed(xp, xp.exp(x - m), dims, True)) + m
        if not self.keepdim:
            y = y.reshape([s for d, s in enumerate(y.shape) if d not in dims])
        self.save(x, y)
        return y

    def backward(self, grad):
        x, y = self.saved
        grad = unsqueeze_reduced(grad, self.dims, x.dim(), self.keepdim)
        y = unsqueeze_reduced(y, self.dims, x.dim(), self.keepdim)
        return grad * (x - y).exp()


def logsumexp(input, dim=REQUIRED, keepdim=False, *, axis=None, keepdims=None):
    """log(sum(exp(input))) over ``dim``, without overflow. Same as torch.logsumexp."""
    if axis is not None or keepdims is not None or dim is REQUIRED:
        dim, keepdim = numpy_names("logsumexp", dim, keepdim, axis, keepdims, REQUIRED)
    input = float_input(input)
    if isinstance(dim, int):
        dim = (dim,)
    return Logsumexp(reduce_dims(dim, input.dim()), keepdim).apply(input)


# ---------------------------------------------------------------------------- all, any, count

class Truth(NoGradNode):
    """y = all / any of x over dims (bool; uint8 stays uint8, as in torch). No gradient."""


    def __init__(self, fn, dims, keepdim):
        self.fn = fn
        self.dims = dims
        self.keepdim = keepdim

    def forward(self, x):
        y = getattr(self.xp, self.fn)(x, axis=self.dims, keepdims=self.keepdim)
        return y.astype(x.dtype) if x.dtype == self.xp.uint8 else y


def _truth(fn, input, dim, keepdim):
    # NOTE: torch reads dim=() here as "no dims": the truth value of every element
    dims = () if isinstance(dim, (tuple, list)) and not dim else reduce_dims(dim, input.dim())
    return Truth(fn, dims, keepdim).apply(input)


def all(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """True where every element over ``dim`` is non-zero. Same as torch.all."""
    if axis is not None or keepdims is not None:  # NumPy's names (ops/_numpy_names.py)
        dim, keepdim = numpy_names("all", dim, keepdim, axis, keepdims)
    return _truth("all", input, dim, keepdim)


def any(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """True where some element over ``dim`` is non-zero. Same as torch.any."""
    if axis is not None or keepdims is not None:  # NumPy's names (ops/_numpy_names.py)
        dim, keepdim = numpy_names("any", dim, keepdim, axis, keepdims)
    return _truth("any", input, dim, keepdim)


def count_nonzero(input, dim=None, *, axis=None):
    """Number of non-zero elements over ``dim`` (int64). Same as torch.count_nonzero."""
    if axis is not None:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("count_nonzero", dim, axis)
    return sum(input != 0, dim)


# ---------------------------------------------------------------------------- the family

from . import cumulative, extrema  # noqa: E402 - both use the helpers above
from .cumulative import *  # noqa: E402, F403
from .extrema import *  # noqa: E402, F403

__all__ += cumulative.__all__ + extrema.__all__

# Tensor methods (installed by ember/_methods.py)
METHODS = {
    "sum": sum, "mean": mean, "sum_to_size": sum_to_size, "prod": prod, "nansum": nansum,
    "nanmean": nanmean, "var": var, "std": std, "norm": norm, "logsumexp": logsumexp,
    "all": all, "any": any, "count_nonzero": count_nonzero,
    **cumulative.METHODS, **extrema.METHODS,
}
INPLACE = cumulative.INPLACE
