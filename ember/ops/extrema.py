"""Reductions that pick elements: max/min, amax/amin, argmax/argmin, median, nanmedian, mode,
cummax/cummin.

With a ``dim``, an op first finds the chosen positions (``Locate``, integer output, no
gradient) and then takes the values there (``TakeAlong``); the gradient of taking is putting
``grad`` back at those positions (``PutAlong``), and the two are each other's gradient, so
double backward works.  Without a ``dim`` (x.max(), x.median(), amax, amin) the gradient is
shared evenly among the elements equal to the result (``Extreme``), as torch does.
"""

from .. import _dtype as D
from .. import return_types
from .._compat import accumulate
from .._tensor import Tensor
from ..autograd.function import Node, NoGradNode
from ._numpy_names import REQUIRED, numpy_axis, numpy_names
from .reduction import reduce_dims, unsqueeze_reduced
from .shape import wrap_dim

__all__ = ["max", "min", "amax", "amin", "argmax", "argmin", "median", "nanmedian", "mode",
           "cummax", "cummin"]


# ---------------------------------------------------------------------------- primitives

class Locate(NoGradNode):
    """The positions along ``dim`` that ``finder(xp, x, dim)`` chooses (int64, no gradient)."""


    def __init__(self, finder, dim):
        self.finder = finder
        self.dim = dim

    def forward(self, x):
        return self.finder(self.xp, x, self.dim).astype(self.xp.int64, copy=False)


class TakeAlong(Node):
    """y = x at ``index`` along ``dim``          grad_x = grad put (added) back at ``index``"""

    def __init__(self, index, dim, keepdim, name):
        self.index = index
        self.dim = dim
        self.keepdim = keepdim
        self._name = name

    def forward(self, x):
        y = self.xp.take_along_axis(x, self.index, axis=self.dim)
        return y if self.keepdim else y.squeeze(self.dim)

    def backward(self, grad):
        shape = self.input_shape(0)
        return PutAlong(self.index, self.dim, self.keepdim, shape).apply(grad)


class PutAlong(Node):
    """y = zeros of ``shape`` with g added at ``index`` along ``dim``
    grad_g = grad taken at ``index``"""

    def __init__(self, index, dim, keepdim, shape):
        self.index = index
        self.dim = dim
        self.keepdim = keepdim
        self.shape = shape

    def forward(self, g):
        xp = self.xp
        if not self.keepdim:
            g = xp.expand_dims(g, self.dim)
        # the full index of every element of g: its own position, with index along dim
        where = []
        for d, n in enumerate(self.index.shape):
            if d == self.dim:
                where.append(self.index)
            else:
                where.append(xp.arange(n).reshape([-1 if k == d else 1
                                                   for k in range(self.index.ndim)]))
        y = xp.zeros(self.shape, g.dtype)
        xp.add.at(y, tuple(where), g)
        return y

    def backward(self, grad):
        return TakeAlong(self.index, self.dim, self.keepdim, None).apply(grad)


class Extreme(Node):
    """y = max (min, median, ...) of x over dims, found by ``fn(xp, x, dims, keepdim)``
    grad_x = grad shared evenly among the elements of x equal to y"""

    def __init__(self, fn, dims, keepdim, name, nan_equal=True):
        self.fn = fn
        self.dims = dims
        self.keepdim = keepdim
        self._name = name
        self.nan_equal = nan_equal  # a NaN result ties with the NaNs of x (not for amax/amin)

    def forward(self, x):
        y = self.fn(self.xp, x, self.dims, self.keepdim)
        self.save(x, y)
        return y

    def backward(self, grad):
        x, y = self.saved
        grad = unsqueeze_reduced(grad, self.dims, x.dim(), self.keepdim)
        y = unsqueeze_reduced(y, self.dims, x.dim(), self.keepdim)
        tie = x == y
        if self.nan_equal:
            tie = tie | ((x != x) & (y != y))
        count = tie.sum(self.dims, keepdim=True)
        return grad * tie / count


def _pick(op, input, finder, dim, keepdim, name, result):
    """(values, indices) of ``input`` at the positions ``finder`` chooses along ``dim``."""
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    if input.dim() == 0:  # a scalar is a slice of length 1
        wrap_dim(dim, 0)
        values, indices = _pick(op, input.reshape(1), finder, 0, True, name, result)
        return result((values.reshape(()), indices.reshape(())))
    dim = wrap_dim(dim, input.dim())
    if input.shape[dim] == 0 and result not in (return_types.cummax, return_types.cummin):
        raise IndexError(f"{op}(): Expected reduction dim {dim} to have non-zero size.")
    index = Locate(finder, dim).apply(input)
    values = TakeAlong(index._data, dim, keepdim, name).apply(input)
    if not keepdim and result not in (return_types.cummax, return_types.cummin):
        index = index.squeeze(dim)
    return result((values, index))


def _check_numel(op, input, dims):
    """torch's errors for a max-like reduction of an empty tensor or over an empty dim."""
    if input.numel() == 0:
        if len(dims) == input.dim():
            raise RuntimeError(f"{op}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' "
                               "argument.")
        for d in dims:
            if input.shape[d] == 0:
                raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")


# ---------------------------------------------------------------------------- finders

def _argmax_at(xp, x, dim):
    return xp.argmax(x, axis=dim, keepdims=True)  # NOTE: the first NaN, else the first max


def _argmin_at(xp, x, dim):
    return xp.argmin(x, axis=dim, keepdims=True)


def _median_at(xp, x, dim, skip_nan=False):
    """The lower median's position; a NaN propagates (its first position) unless skipped."""
    order = xp.argsort(x, axis=dim, kind="stable")  # NaN sorts last
    nan = x != x
    if skip_nan:
        count = (~nan).sum(axis=dim, keepdims=True)
        k = xp.maximum((count - 1) // 2, 0)
    else:
        k = xp.full(order.shape[:dim] + (1,) + order.shape[dim + 1:], (x.shape[dim] - 1) // 2)
    index = xp.take_along_axis(order, k, axis=dim)
    if not skip_nan and x.dtype.kind in "fc":
        index = xp.where(nan.any(axis=dim, keepdims=True),
                         xp.argmax(nan, axis=dim, keepdims=True), index)
    return index


def _nanmedian_at(xp, x, dim):
    return _median_at(xp, x, dim, skip_nan=True)


def _mode_at(xp, x, dim):
    """The most frequent value (the smallest of equally frequent ones), at its last position."""
    a = xp.moveaxis(x, dim, -1)
    order = xp.argsort(a, axis=-1, kind="stable")
    s = xp.take_along_axis(a, order, axis=-1)
    n = s.shape[-1]
    pos = xp.arange(n)
    starts = xp.ones(s.shape, dtype=bool)
    starts[..., 1:] = s[..., 1:] != s[..., :-1]
    run_start = accumulate(xp, "maximum", xp.where(starts, pos, 0), -1)
    run_length = pos - run_start + 1
    # the first place where a run reaches the longest length ends the smallest such value's run
    end = xp.argmax(run_length, axis=-1)[..., None]
    return xp.moveaxis(xp.take_along_axis(order, end, axis=-1), -1, dim)


def _running_at(xp, x, dim, ufunc):
    """For cummax/cummin: the last position so far holding the running max/min (ties: the
    latest); after a NaN, the first NaN."""
    best = accumulate(xp, ufunc, x, dim)
    hit = x == best
    if x.dtype.kind in "fc":
        nan = x != x
        hit = hit | (nan & (xp.cumsum(nan, axis=dim) == 1))
    pos = xp.arange(x.shape[dim]).reshape([-1 if d == dim else 1 for d in range(x.ndim)])
    return accumulate(xp, "maximum", xp.where(hit, pos, 0), dim)


def _cummax_at(xp, x, dim):
    return _running_at(xp, x, dim, "maximum")


def _cummin_at(xp, x, dim):
    return _running_at(xp, x, dim, "minimum")


# ---------------------------------------------------------------------------- full reductions

def _amax(xp, x, dims, keepdim):
    return x.max(axis=dims, keepdims=keepdim)


def _amin(xp, x, dims, keepdim):
    return x.min(axis=dims, keepdims=keepdim)


def _lower_median(xp, x, dims, keepdim, skip_nan=False):
    s = xp.sort(x.reshape(-1))  # NaN sorts last
    if s.size == 0:
        return xp.asarray(float("nan")).astype(x.dtype)
    if skip_nan:
        count = int((s == s).sum())
        return s[(count - 1) // 2 if count else 0]
    if s[-1] != s[-1]:
        return s[-1]
    return s[(s.size - 1) // 2]


def _lower_nanmedian(xp, x, dims, keepdim):
    return _lower_median(xp, x, dims, keepdim, skip_nan=True)


def _full(fn, name, input):
    """max()/min()/median() of all elements."""
    return Extreme(fn, tuple(range(input.dim())), False, name).apply(input)


# ---------------------------------------------------------------------------- public ops

def _other(input, other):
    from .binary_math import maximum, minimum

    return maximum, minimum


def max(input, dim=None, keepdim=False, *, other=None, axis=None, keepdims=None):
    """max(input): the largest element; max(input, dim, keepdim=False): (values, indices)
    along ``dim``; max(input, other): the element-wise maximum. Same as torch.max."""
    if axis is not None or keepdims is not None:  # NumPy's names (ops/_numpy_names.py)
        dim, keepdim = numpy_names("max", dim, keepdim, axis, keepdims)
    if isinstance(dim, Tensor):
        dim, other = None, dim
    if other is not None:
        return _other(input, other)[0](input, other)
    if dim is None:
        _check_numel("max", input, tuple(range(input.dim())))
        return _full(_amax, "MaxBackward1", input)
    return _pick("max", input, _argmax_at, dim, keepdim, "MaxBackward0", return_types.max)


def min(input, dim=None, keepdim=False, *, other=None, axis=None, keepdims=None):
    """min(input), min(input, dim, keepdim=False) -> (values, indices), or min(input, other).
    Same as torch.min."""
    if axis is not None or keepdims is not None:  # NumPy's names (ops/_numpy_names.py)
        dim, keepdim = numpy_names("min", dim, keepdim, axis, keepdims)
    if isinstance(dim, Tensor):
        dim, other = None, dim
    if other is not None:
        return _other(input, other)[1](input, other)
    if dim is None:
        _check_numel("min", input, tuple(range(input.dim())))
        return _full(_amin, "MinBackward1", input)
    return _pick("min", input, _argmin_at, dim, keepdim, "MinBackward0", return_types.min)


def amax(input, dim=(), keepdim=False, *, axis=None, keepdims=None):
    """Largest value over ``dim`` (all dims for ()); the gradient is shared among ties.
    Same as torch.amax."""
    if axis is not None or keepdims is not None:  # NumPy's names (ops/_numpy_names.py)
        dim, keepdim = numpy_names("amax", dim, keepdim, axis, keepdims, ())
    dims = reduce_dims(dim, input.dim())
    _check_numel("amax", input, dims)
    return Extreme(_amax, dims, keepdim, "AmaxBackward0", nan_equal=False).apply(input)


def amin(input, dim=(), keepdim=False, *, axis=None, keepdims=None):
    """Smallest value over ``dim`` (all dims for ()). Same as torch.amin."""
    if axis is not None or keepdims is not None:  # NumPy's names (ops/_numpy_names.py)
        dim, keepdim = numpy_names("amin", dim, keepdim, axis, keepdims, ())
    dims = reduce_dims(dim, input.dim())
    _check_numel("amin", input, dims)
    return Extreme(_amin, dims, keepdim, "AminBackward0", nan_equal=False).apply(input)


def _arg(op, finder, input, dim, keepdim):
    if input.dtype is D.bool:
        raise RuntimeError(f"{op}(): does not support bool input")
    if dim is None:
        if input.numel() == 0:
            raise IndexError(f"{op}(): Expected reduction dim to be specified for "
                             "input.numel() == 0.")
        index = Locate(finder, 0).apply(input.reshape(-1)).reshape(())
        return index.reshape([1] * input.dim()) if keepdim else index
    values, index = _pick(op, input, finder, dim, keepdim, None, return_types.max)
    return index


def argmax(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Position of the largest element (of the flattened tensor when dim is None).
    Same as torch.argmax."""
    if axis is not None or keepdims is not None:  # NumPy's names (ops/_numpy_names.py)
        dim, keepdim = numpy_names("argmax", dim, keepdim, axis, keepdims)
    return _arg("argmax", _argmax_at, input, dim, keepdim)


def argmin(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Position of the smallest element. Same as torch.argmin."""
    if axis is not None or keepdims is not None:  # NumPy's names (ops/_numpy_names.py)
        dim, keepdim = numpy_names("argmin", dim, keepdim, axis, keepdims)
    return _arg("argmin", _argmin_at, input, dim, keepdim)


def _check_sortable(op, input):
    if input.dtype is D.bool:
        raise NotImplementedError(f"\"{op}_cpu\" not implemented for 'Bool'")


_ALL = object()  # "no dim given": median(input) differs from median(input, dim=None)


def median(input, dim=_ALL, keepdim=False, *, axis=None, keepdims=None):
    """median(input): the lower median of all elements (NaN if any is NaN);
    median(input, dim, keepdim=False): (values, indices). Same as torch.median."""
    if axis is not None or keepdims is not None:  # NumPy's names (ops/_numpy_names.py)
        dim, keepdim = numpy_names("median", dim, keepdim, axis, keepdims, _ALL)
    _check_sortable("median", input)
    if dim is _ALL:
        return _full(_lower_median, "MedianBackward0", input)
    return _pick("median", input, _median_at, dim, keepdim, "MedianBackward1",
                 return_types.median)


def nanmedian(input, dim=_ALL, keepdim=False, *, axis=None, keepdims=None):
    """The lower median ignoring NaN (NaN where all are NaN). Same as torch.nanmedian."""
    if axis is not None or keepdims is not None:  # NumPy's names (ops/_numpy_names.py)
        dim, keepdim = numpy_names("nanmedian", dim, keepdim, axis, keepdims, _ALL)
    _check_sortable("nanmedian", input)
    if dim is _ALL:
        return _full(_lower_nanmedian, "NanmedianBackward0", input)
    return _pick("nanmedian", input, _nanmedian_at, dim, keepdim, "NanmedianBackward1",
                 return_types.nanmedian)


def mode(input, dim=-1, keepdim=False, *, axis=None, keepdims=None):
    """(values, indices): the most frequent value along ``dim`` (the smallest of equally
    frequent ones) and its last position. Same as torch.mode."""
    if axis is not None or keepdims is not None:  # NumPy's names (ops/_numpy_names.py)
        dim, keepdim = numpy_names("mode", dim, keepdim, axis, keepdims, -1)
    return _pick("mode", input, _mode_at, dim, keepdim, "ModeBackward0", return_types.mode)


def cummax(input, dim=REQUIRED, *, axis=None):
    """(values, indices): the running maximum along ``dim`` and where it was reached.
    Same as torch.cummax."""
    if axis is not None or dim is REQUIRED:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("cummax", dim, axis, REQUIRED)
    return _pick("cummax", input, _cummax_at, dim, True, "CummaxBackward0", return_types.cummax)


def cummin(input, dim=REQUIRED, *, axis=None):
    """(values, indices): the running minimum along ``dim``. Same as torch.cummin."""
    if axis is not None or dim is REQUIRED:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("cummin", dim, axis, REQUIRED)
    return _pick("cummin", input, _cummin_at, dim, True, "CumminBackward0", return_types.cummin)


# Tensor methods (installed by ember/_methods.py through reduction.METHODS)
METHODS = {
    "max": max, "min": min, "amax": amax, "amin": amin, "argmax": argmax, "argmin": argmin,
    "median": median, "nanmedian": nanmedian, "mode": mode, "cummax": cummax,
    "cummin": cummin,
}
