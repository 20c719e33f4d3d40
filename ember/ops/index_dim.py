"""index_select, index_add, index_copy, index_fill: whole slices along one dim, picked by a
1-D index.

For ``dim = 0``:  index_select: ``y[i] = x[index[i]]``;  index_add: ``y[index[i]] += src[i]``.
Each one's gradient is another of them: index_select <-> index_add.
"""

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.function import Node
from ._numpy_names import REQUIRED, missing, numpy_axis
from .binary import write_out
from .scatter import _check_bounds, _index_tensor
from .shape import wrap_dim

__all__ = ["index_select", "index_add", "index_copy", "index_fill"]


def _dim_index(input, dim, index):
    """(slice(None),) * dim + (index,): the places of the selected slices along ``dim``."""
    return (slice(None),) * dim + (index,)


class IndexSelect(Node):
    """y = the slices index[0], index[1], ... of x along dim     grad_x = zeros.index_add(grad)"""

    def __init__(self, dim, index):
        self.dim = dim
        self.index = index

    def forward(self, x):
        return self.xp.take(x, self.index, axis=self.dim)

    def backward(self, grad):
        zeros = grad.new_zeros(self.input_shape(0))
        return IndexAdd(self.dim, self.index, 1).apply(zeros, grad)


def _vector_index(index, op, like, dtypes, message):
    idx = _index_tensor(index, op, like, dtypes, message)
    if idx.ndim > 1:
        return None
    return idx.reshape(-1)


def index_select(input, dim=REQUIRED, index=REQUIRED, *, out=None, axis=None):
    """y = the slices of ``input`` along ``dim`` at the positions in ``index`` (1-D)."""
    if axis is not None or dim is REQUIRED:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("index_select", dim, axis, REQUIRED)
    if index is REQUIRED:
        raise missing("index_select", "index")
    if out is not None:
        if isinstance(out, Tensor) and isinstance(input, Tensor) and out.dtype is not input.dtype:
            raise RuntimeError("index_select(): self and result must have the same scalar type")
        return write_out(index_select(input, dim, index), out, "index_select")
    idx = _vector_index(index, "index_select", input, (D.int64, D.int32),
                        "index_select(): Expected dtype int32 or int64 for index")
    if idx is None:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if input.ndim == 0:
        return index_select(input.reshape(1), 0, index).reshape(())
    dim = wrap_dim(dim, input.ndim)
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= input.shape[dim]):
        raise IndexError("index out of range in self")
    return IndexSelect(dim, idx).apply(input)


def _check_source(op, input, dim, idx, source):
    if source.dtype is not input.dtype:
        raise RuntimeError(f"{op}(): self ({input.dtype._short}) and source "
                           f"({source.dtype._short}) must have the same scalar type")
    expected = list(input.shape)
    if expected:
        expected[dim] = idx.size
    if list(source.shape) != expected and not (source.ndim == 0 and idx.size == 1):
        raise RuntimeError(
            "source tensor shape must match self tensor shape, excluding the specified "
            f"dimension. Got self.shape = {list(input.shape)} source.shape = "
            f"{list(source.shape)}")


class IndexAdd(Node):
    """y = x with y[index[i]] += alpha * source[i] along dim
    grad_x = grad,  grad_source = alpha * grad.index_select(dim, index)"""

    def __init__(self, dim, index, alpha):
        self.dim = dim
        self.index = index
        self.alpha = alpha

    def forward(self, x, source):
        # NOTE: 16-bit floats are added up in float32 (as in torch), rounded once at the end
        y = x.astype(D.accumulator_dtype(x.dtype), order="C")  # a copy, as x.copy()
        if self.alpha != 1:
            source = source * self.alpha
        if source.dtype != y.dtype:
            source = source.astype(y.dtype)
        self.xp.add.at(y, _dim_index(y, self.dim, self.index), source)
        return y.astype(x.dtype, copy=False)

    def backward(self, grad):
        grad_source = None
        if self.needs_input_grad[1]:
            grad_source = IndexSelect(self.dim, self.index).apply(grad)
            if self.alpha != 1:
                grad_source = grad_source * self.alpha
        return grad, grad_source


def index_add(input, dim=REQUIRED, index=REQUIRED, source=REQUIRED, *, alpha=1, axis=None):
    """y = input with y[index[i]] += alpha * source[i] along ``dim``."""
    if axis is not None or dim is REQUIRED:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("index_add", dim, axis, REQUIRED)
    if index is REQUIRED:
        raise missing("index_add", "index")
    if source is REQUIRED:
        raise missing("index_add", "source")
    got = getattr(index, "dtype", D.int64)._short
    idx = _vector_index(index, "index_add_", input, (D.int64, D.int32),
                        f"index_add_(): Expected dtype int32/int64 for index but got: {got}")
    if idx is None:
        raise IndexError("index_add_(): Index is supposed to be a vector")
    dim = wrap_dim(dim, input.ndim)
    _check_source("index_add_", input, dim, idx, source)
    _check_bounds(idx, input.shape[dim] if input.ndim else 1, dim)
    return IndexAdd(dim, idx, alpha).apply(input, source)


class IndexCopy(Node):
    """y = x with y[index[i]] = source[i] along dim
    grad_x = grad with those slices zeroed,  grad_source = grad.index_select(dim, index)"""

    def __init__(self, dim, index):
        self.dim = dim
        self.index = index

    def forward(self, x, source):
        y = x.copy()
        y[_dim_index(y, self.dim, self.index)] = source
        return y

    def backward(self, grad):
        grad_x = grad_source = None
        if self.needs_input_grad[0]:
            grad_x = IndexFill(self.dim, self.index).apply(grad, grad.new_zeros(()))
        if self.needs_input_grad[1]:
            grad_source = IndexSelect(self.dim, self.index).apply(grad)
        return grad_x, grad_source


def index_copy(input, dim=REQUIRED, index=REQUIRED, source=REQUIRED, *, axis=None):
    """y = input with y[index[i]] = source[i] along ``dim``."""
    if axis is not None or dim is REQUIRED:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("index_copy", dim, axis, REQUIRED)
    if index is REQUIRED:
        raise missing("index_copy", "index")
    if source is REQUIRED:
        raise missing("index_copy", "source")
    got = getattr(index, "dtype", D.int64)._short
    idx = _vector_index(index, "index_copy_", input, (D.int64,),
                        f"index_copy_(): Expected a long tensor for index, but got {got}")
    if idx is None:
        raise IndexError("index_copy_(): Index should have dimension 1 or 0")
    dim = wrap_dim(dim, input.ndim)
    if source.dtype is not input.dtype:
        raise RuntimeError("index_copy_(): self and source expected to have the same dtype, "
                           f"but got (self) {input.dtype._short} and (source) "
                           f"{source.dtype._short}")
    expected = list(input.shape)
    if expected:
        expected[dim] = idx.size
    if list(source.shape) != expected and not (source.ndim == 0 and idx.size == 1):
        raise RuntimeError("index_copy_(): Source/destination tensor must have same slice "
                           f"shapes. Destination shape: {list(input.shape)}, source shape: "
                           f"{list(source.shape)} at dimension {dim}")
    _check_bounds(idx, input.shape[dim] if input.ndim else 1, dim, IndexError, "index_copy_(): ",
                  negative=True)
    return IndexCopy(dim, idx).apply(input, source)


class IndexFill(Node):
    """y = x with the slices index[i] along dim set to value
    grad_x = grad with those slices zeroed,  grad_value = sum of grad over them"""

    def __init__(self, dim, index):
        self.dim = dim
        self.index = index

    def forward(self, x, value):
        y = x.copy()
        y[_dim_index(y, self.dim, self.index)] = value
        return y

    def backward(self, grad):
        grad_x = grad_value = None
        if self.needs_input_grad[0]:
            grad_x = IndexFill(self.dim, self.index).apply(grad, grad.new_zeros(()))
        if self.needs_input_grad[1]:
            # NOTE: a slice listed twice in index still receives the value once
            unique = self.xp.unique(self.index % self.input_shape(0)[self.dim])
            grad_value = IndexSelect(self.dim, unique).apply(grad).sum()
        return grad_x, grad_value


def index_fill(input, dim=REQUIRED, index=REQUIRED, value=REQUIRED, *, axis=None):
    """y = input with the slices at ``index`` along ``dim`` set to ``value``."""
    if axis is not None or dim is REQUIRED:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("index_fill", dim, axis, REQUIRED)
    if index is REQUIRED:
        raise missing("index_fill", "index")
    if value is REQUIRED:
        raise missing("index_fill", "value")
    idx = _vector_index(index, "index_fill_", input, (D.int64,),
                        "index_fill_(): Expected dtype int64 for index.")
    if idx is None:
        raise RuntimeError("Index has to be a vector/scalar")
    dim = wrap_dim(dim, input.ndim)
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.ndim} dimension(s).")
        value = value if value.dtype is input.dtype else value.to(input.dtype)
    else:
        from .indexing import _scalar

        value = _scalar(value, input)
    _check_bounds(idx, input.shape[dim] if input.ndim else 1, dim, IndexError, negative=True)
    return IndexFill(dim, idx).apply(input, value)


# Tensor methods (installed by ember/_methods.py through ops/indexing.py)
METHODS = {
    "index_select": index_select, "index_add": index_add, "index_copy": index_copy,
    "index_fill": index_fill,
}
INPLACE = {"index_add_": index_add, "index_copy_": index_copy, "index_fill_": index_fill}
