"""Gather and scatter: an index per element, along one dim.

For ``dim = 0`` on a 2-D tensor:  gather: ``y[i][j] = x[index[i][j]][j]``;  scatter:
``y[index[i][j]][j] = src[i][j]``.  Each one's gradient is the other's: gather <-> scatter_add.
"""

import numpy as np

from .. import _dtype as D
from .._compat import ufunc_at
from .._tensor import Tensor
from ..autograd.function import Node
from ._numpy_names import REQUIRED, missing, numpy_axis
from .binary import write_out
from .shape import wrap_dim

__all__ = ["gather", "scatter", "scatter_add", "scatter_reduce", "take_along_dim"]


# ---------------------------------------------------------------------------- helpers

def _coords(xp, index, dim):
    """Every position of ``index`` as a full coordinate tuple, with index's values along dim."""
    n = index.ndim
    coords = []
    for d, size in enumerate(index.shape):
        if d == dim:
            coords.append(index)
        else:
            coords.append(xp.arange(size).reshape((1,) * d + (size,) + (1,) * (n - d - 1)))
    return tuple(coords)


def _leading(shape):
    """The slices that cut a larger tensor down to ``shape`` (from the start of each dim)."""
    return tuple(slice(0, s) for s in shape)


def _pad_to(grad, shape):
    """``grad`` placed at the start of zeros of ``shape`` (a gradient for a larger input)."""
    if tuple(grad.shape) == tuple(shape):
        return grad
    from .indexing import _put

    return _put(grad.new_zeros(shape), _leading(grad.shape), grad, False)


def _widened_copy(x):
    """A copy of ``x`` to add into, in its accumulator dtype (float32 for 16-bit floats, as in
    torch): many additions into one place are then not each rounded to 16 bits."""
    return x.astype(D.accumulator_dtype(x.dtype), order="C")  # a copy, as x.copy()


def _add_at(xp, y, coords, values):
    """y[coords] += values, repeated coordinates adding up, in y's (accumulator) dtype."""
    xp.add.at(y, coords, values.astype(y.dtype, copy=False))


def _check_bounds(index, size, dim, error=RuntimeError, prefix="", negative=False):
    """Every index value in [0, size) (or [-size, size) when ``negative``), else torch's error."""
    if not index.size:
        return
    low, high = int(index.min()), int(index.max())
    if low < (-size if negative else 0) or high >= size:
        bad = high if high >= size else low
        raise error(f"{prefix}index {bad} is out of bounds for dimension {dim} with size {size}")


def _index_tensor(index, op, like, dtypes=(D.int64, D.int32), message=None):
    """The backend array of an integer index tensor on ``like``'s device; torch's errors."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index.dtype not in dtypes:
        raise RuntimeError(message or f"{op}(): Expected dtype int64 for index")
    if index.device is not like.device:
        from .._errors import device_mismatch

        raise device_mismatch(like.device, index.device, op)
    return index._data


def _gather_checks(op, input, dim, index, src=None):
    """torch's shape rules for gather/scatter: same ndim, index no larger than self (and src)."""
    if index.ndim != input.ndim and index.size:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for d in range(index.ndim):
        too_big_self = d != dim and index.shape[d] > input.shape[d]
        too_big_src = src is not None and index.shape[d] > src.shape[d]
        if too_big_self or too_big_src:
            if src is None:
                raise RuntimeError(
                    f"Size does not match at dimension {d} expected index {list(index.shape)} "
                    f"to be no larger than self {list(input.shape)} apart from dimension {dim}")
            raise RuntimeError(
                f"Expected index {list(index.shape)} to be no larger than self "
                f"{list(input.shape)} apart from dimension {dim} and to be no larger size than "
                f"src {list(src.shape)}")
    _check_bounds(index, input.shape[dim] if input.ndim else 1, dim)


# ---------------------------------------------------------------------------- gather / scatter

class Gather(Node):
    """y[i][j] = x[index[i][j]][j]  (dim = 0)      grad_x = zeros.scatter_add(dim, index, grad)"""

    def __init__(self, dim, index):
        self.dim = dim
        self.index = index

    def forward(self, x):
        return x[_coords(self.xp, self.index, self.dim)]

    def backward(self, grad):
        zeros = grad.new_zeros(self.input_shape(0))
        return ScatterAdd(self.dim, self.index).apply(zeros, grad)


def gather(input, dim=REQUIRED, index=REQUIRED, *, sparse_grad=False, out=None, axis=None):
    """y[i][j] = input[index[i][j]][j] for dim = 0 (index picks along ``dim``).
    ``sparse_grad`` asks torch for a sparse gradient; ember's is dense, with the same values."""
    if axis is not None or dim is REQUIRED:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("gather", dim, axis, REQUIRED)
    if index is REQUIRED:
        raise missing("gather", "index")
    if out is not None:
        return write_out(gather(input, dim, index), out, "gather", same_dtype=True)
    idx = _index_tensor(index, "gather", input)
    if input.ndim == 0:
        return gather(input.reshape(1), 0, index.reshape(1)).reshape(index.shape)
    dim = wrap_dim(dim, input.ndim)
    _gather_checks("gather", input, dim, idx)
    return Gather(dim, idx).apply(input)


class ScatterValue(Node):
    """y = x with y[index[i][j]][j] = value  (dim = 0)          grad_x = grad, 0 at those places"""

    _name = "ScatterBackward1"

    def __init__(self, dim, index, value):
        self.dim = dim
        self.index = index
        self.value = value

    def forward(self, x):
        y = x.copy()
        y[_coords(self.xp, self.index, self.dim)] = self.value
        return y

    def backward(self, grad):
        return ScatterValue(self.dim, self.index, 0).apply(grad)


class Scatter(Node):
    """y = x with y[index[i][j]][j] = src[i][j]  (dim = 0)
    grad_x = grad with the scattered places zeroed,  grad_src = grad.gather(dim, index)"""

    _name = "ScatterBackward0"

    def __init__(self, dim, index, reduce=None):
        self.dim = dim
        self.index = index
        self.reduce = reduce

    def forward(self, x, src):
        coords = _coords(self.xp, self.index, self.dim)
        src = src[_leading(self.index.shape)]
        if self.reduce == "add":
            y = _widened_copy(x)
            _add_at(self.xp, y, coords, src)
            return y.astype(x.dtype, copy=False)
        y = x.copy()
        if self.reduce is None:
            y[coords] = src
        else:
            ufunc_at(self.xp, "multiply", y, coords, src)
        return y

    def backward(self, grad):
        if self.reduce is not None:
            raise RuntimeError("derivative for aten::scatter is not implemented")
        grad_x = grad_src = None
        if self.needs_input_grad[0]:
            grad_x = ScatterValue(self.dim, self.index, 0).apply(grad)
        if self.needs_input_grad[1]:
            grad_src = _pad_to(Gather(self.dim, self.index).apply(grad), self.input_shape(1))
        return grad_x, grad_src


def scatter(input, dim=REQUIRED, index=REQUIRED, src=None, *, value=None, reduce=None, axis=None):
    """y = input with y[index[i][j]][j] = src[i][j] for dim = 0 (or ``value`` everywhere there).

    ``reduce='add'`` or ``'multiply'`` combines with the values already there.
    """
    if axis is not None or dim is REQUIRED:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("scatter", dim, axis, REQUIRED)
    if index is REQUIRED:
        raise missing("scatter", "index")
    idx = _index_tensor(index, "scatter", input)
    if src is None:
        src = value
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce}")
    dim = wrap_dim(dim, input.ndim)
    if not isinstance(src, Tensor):
        _gather_checks("scatter", input, dim, idx)
        if reduce is not None:
            src = input.new_full(index.shape, src)
        else:
            return ScatterValue(dim, idx, src).apply(input)
    if src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    _gather_checks("scatter", input, dim, idx, src)
    return Scatter(dim, idx, reduce).apply(input, src)


class ScatterAdd(Node):
    """y = x with y[index[i][j]][j] += src[i][j]  (dim = 0)
    grad_x = grad,  grad_src = grad.gather(dim, index)"""

    def __init__(self, dim, index):
        self.dim = dim
        self.index = index

    def forward(self, x, src):
        y = _widened_copy(x)
        _add_at(self.xp, y, _coords(self.xp, self.index, self.dim),
                src[_leading(self.index.shape)])
        return y.astype(x.dtype, copy=False)

    def backward(self, grad):
        grad_src = None
        if self.needs_input_grad[1]:
            grad_src = _pad_to(Gather(self.dim, self.index).apply(grad), self.input_shape(1))
        return grad, grad_src


def scatter_add(input, dim=REQUIRED, index=REQUIRED, src=REQUIRED, *, axis=None):
    """y = input with y[index[i][j]][j] += src[i][j] for dim = 0 (repeated indices add up)."""
    if axis is not None or dim is REQUIRED:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("scatter_add", dim, axis, REQUIRED)
    if index is REQUIRED:
        raise missing("scatter_add", "index")
    if src is REQUIRED:
        raise missing("scatter_add", "src")
    idx = _index_tensor(index, "scatter", input)
    dim = wrap_dim(dim, input.ndim)
    if src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    _gather_checks("scatter_add", input, dim, idx, src)
    return ScatterAdd(dim, idx).apply(input, src)


class ScatterReduce(Node):
    """y[index[i][j]][j] = reduce over {x[index[i][j]][j] (if include_self), all src[i][j] sent
    there} (dim = 0); places nothing is sent to keep x.

    sum:  grad_x = grad,              grad_src = grad.gather(index)
    mean: grad_x = grad / count,      grad_src = (grad / count).gather(index)
    prod: grad_x = grad * y / x,      grad_src = (grad * y).gather(index) / src
    amax/amin: the gradient is shared equally among the values equal to the result.
    (Without include_self, x gets no gradient where something was sent.)
    """

    def __init__(self, dim, index, reduce, include_self):
        self.dim = dim
        self.index = index
        self.reduce = reduce
        self.include_self = include_self

    def forward(self, x, src):
        xp = self.xp
        coords = _coords(xp, self.index, self.dim)
        src_in = src
        src = src[_leading(self.index.shape)]
        reduce = self.reduce
        hit = xp.zeros(x.shape, dtype=bool)  # the places something is sent to
        hit[coords] = True
        self.hit = hit
        if reduce in ("sum", "mean"):
            y = _widened_copy(x)
            if not self.include_self:
                y[coords] = 0
            _add_at(xp, y, coords, src)
            y = y.astype(x.dtype, copy=False)
            if reduce == "mean":
                # NOTE: as in torch, the sum and the count are each rounded to x's dtype first
                count = xp.ones(x.shape, dtype=D.accumulator_dtype(x.dtype))
                if not self.include_self:
                    count[coords] = 0
                xp.add.at(count, coords, 1)
                count = xp.maximum(count, 1).astype(x.dtype, copy=False)
                y = y // count if y.dtype.kind in "iu" else y / count
                self.count = count
        elif reduce == "prod":
            y = x.copy()
            if not self.include_self:
                y[coords] = 1
            ufunc_at(xp, "multiply", y, coords, src)
        else:
            y = x.copy()
            if not self.include_self:
                y[coords] = _lowest(xp, y.dtype) if reduce == "amax" else _highest(xp, y.dtype)
            ufunc = xp.maximum if reduce == "amax" else xp.minimum
            ufunc.at(y, coords, src)
        self.save(x, src_in, y)
        return y

    def backward(self, grad):
        x, src, y = self.saved
        dim, index = self.dim, self.index
        src = src[_leading(index.shape)]
        hit = Tensor._make(self.hit, grad.device)
        keep_x = hit if not self.include_self else None  # where x took no part
        reduce = self.reduce
        if reduce == "sum":
            grad_x, grad_src = grad, Gather(dim, index).apply(grad)
        elif reduce == "mean":
            scaled = grad / Tensor._make(self.count, grad.device)
            grad_x, grad_src = scaled, Gather(dim, index).apply(scaled)
        elif reduce == "prod":
            grad_x = (grad * y / x).masked_fill(~hit, 0) + grad.masked_fill(hit, 0)
            grad_src = Gather(dim, index).apply(grad * y) / src
        else:
            picked = Gather(dim, index).apply(y)
            src_is_max = (src == picked).to(grad.dtype)
            x_is_max = (x == y).to(grad.dtype)
            if keep_x is not None:
                x_is_max = x_is_max.masked_fill(keep_x, 0)
            count = ScatterAdd(dim, index).apply(x_is_max, src_is_max)
            share = (grad / count).masked_fill(count == 0, 0)
            grad_x = share * x_is_max
            grad_src = Gather(dim, index).apply(share) * src_is_max
            keep_x = None
        if keep_x is not None:
            grad_x = grad_x.masked_fill(keep_x, 0)
        return grad_x, _pad_to(grad_src, self.input_shape(1))


def _lowest(xp, dtype):
    return -xp.inf if dtype.kind == "f" else xp.iinfo(dtype).min


def _highest(xp, dtype):
    return xp.inf if dtype.kind == "f" else xp.iinfo(dtype).max


def scatter_reduce(input, dim=REQUIRED, index=REQUIRED, src=REQUIRED, reduce=REQUIRED, *,
                   include_self=True, axis=None):
    """Reduce (sum, prod, mean, amax, amin) every src[i][j] into y[index[i][j]][j] (dim = 0),
    together with input's value there when ``include_self``."""
    if axis is not None or dim is REQUIRED:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("scatter_reduce", dim, axis, REQUIRED)
    if index is REQUIRED:
        raise missing("scatter_reduce", "index")
    if src is REQUIRED:
        raise missing("scatter_reduce", "src")
    if reduce is REQUIRED:
        raise missing("scatter_reduce", "reduce")
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    idx = _index_tensor(index, "scatter", input)
    dim = wrap_dim(dim, input.ndim)
    if src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    _gather_checks("scatter_reduce", input, dim, idx, src)
    return ScatterReduce(dim, idx, reduce, include_self).apply(input, src)


def take_along_dim(input, indices, dim=None, *, out=None, axis=None):
    """y = input.gather(dim, indices) with input and indices broadcast apart from ``dim``;
    without ``dim``, over the flattened input."""
    if axis is not None:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("take_along_dim", dim, axis)
    if out is not None:
        return write_out(take_along_dim(input, indices, dim), out, "take_along_dim",
                         same_dtype=True)
    if not isinstance(indices, Tensor) or indices.dtype is not D.int64:
        raise RuntimeError("torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{getattr(indices, 'dtype', D.int64)._short}")
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    if input.ndim != indices.ndim:
        raise RuntimeError(
            "torch.take_along_dim(): input and indices should have the same number of "
            f"dimensions, but got {input.ndim} dimensions for input, and {indices.ndim} "
            "dimensions for indices")
    dim = wrap_dim(dim, input.ndim)
    a, b = list(input.shape), list(indices.shape)
    a[dim] = b[dim] = 1
    from .._errors import broadcast_error

    try:
        common = list(_broadcast_shapes(a, b))
    except ValueError:
        raise broadcast_error(input.shape, indices.shape, "take_along_dim") from None
    input_shape, index_shape = list(common), list(common)
    input_shape[dim], index_shape[dim] = input.shape[dim], indices.shape[dim]
    if tuple(input_shape) != tuple(input.shape):
        input = input.expand(input_shape)
    if tuple(index_shape) != tuple(indices.shape):
        indices = indices.expand(index_shape)
    size = input.shape[dim]
    if indices._data.size and int(indices._data.min()) < 0:  # negative indices count from the end
        indices = Tensor._make(indices._data % max(size, 1), indices.device)
    return gather(input, dim, indices)


def _broadcast_shapes(a, b):
    return np.broadcast_shapes(tuple(a), tuple(b))


# Tensor methods (installed by ember/_methods.py through ops/indexing.py)
METHODS = {
    "gather": gather, "scatter": scatter, "scatter_add": scatter_add,
    "scatter_reduce": scatter_reduce, "take_along_dim": take_along_dim,
}
INPLACE = {"scatter_": scatter, "scatter_add_": scatter_add, "scatter_reduce_": scatter_reduce}
