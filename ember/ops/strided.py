"""Views and copies described by strides: Tensor.unfold (sliding windows, a view), as_strided
(any size/stride over the tensor's storage, a view), and the ``*_scatter`` family
(select_scatter, slice_scatter, diagonal_scatter, as_strided_scatter: a copy of ``input`` with
``src`` written where the named view of it would be).

Storage, as torch: a tensor that is not a view owns its storage, whose elements are numbered
from 0 in memory order; a view (``t._base`` set) shares its base's storage and starts at
``t.storage_offset()``.  ``as_strided(size, stride, offset)`` counts in those element units
from the storage's start, whatever part of it the input shows.
"""

import math
import operator

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Node, ViewNode
from .binary import write_out
from .shape import wrap_dim

__all__ = ["as_strided", "as_strided_", "resize_as_", "resize_as_sparse_", "select_scatter",
           "slice_scatter", "diagonal_scatter", "as_strided_scatter"]


# ---------------------------------------------------------------------------- storage geometry

def _storage(t):
    """The tensor owning ``t``'s storage (``t`` itself unless ``t`` is a view)."""
    return t if t._base is None else t._base


def _storage_numel(t):
    """How many elements the storage under ``t`` holds (reachable from its owner's start)."""
    owner = _storage(t)._data
    if owner.flags.c_contiguous:
        return owner.size
    if owner.size == 0:
        return 0
    item = owner.itemsize
    return 1 + sum((n - 1) * (s // item) for n, s in zip(owner.shape, owner.strides))


def _positions(size, stride, offset):
    """The storage index of every element of the view (size, stride, offset), as int64."""
    pos = np.full(tuple(size), offset, dtype=np.int64)
    for d, (n, s) in enumerate(zip(size, stride)):
        shape = [1] * len(size)
        shape[d] = n
        pos = pos + (np.arange(n, dtype=np.int64) * s).reshape(shape)
    return pos


def index_tensor(array, device):
    """A NumPy int64 array (positions, counts) as a tensor on ``device``."""
    if device.type != "cpu":
        from .convert import move_array

        array = move_array(array, device)
    return Tensor._make(array, device)


def _geometry(t):
    """(size, stride, storage offset) of ``t``, as torch reports them."""
    return tuple(t._data.shape), tuple(t.stride()), t.storage_offset()


def _ints(values, what):
    try:
        return tuple(operator.index(v) for v in values)
    except TypeError:
        raise TypeError(f"as_strided(): argument '{what}' must be tuple of ints") from None


def _check_strided(size, stride, offset, storage_numel, itemsize):
    """torch's checks of an as_strided geometry against the storage it reads."""
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, "
                           f"got strides: {list(stride)}")
    if any(n < 0 for n in size):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and "
                           f"strides={list(stride)}")
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    if 0 in size:
        return
    need = offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))
    if need > storage_numel:
        raise RuntimeError(
            f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, "
            f"and itemsize {itemsize} requiring a storage size of {need * itemsize} are out of "
            f"bounds for storage of size {storage_numel * itemsize}")


# ---------------------------------------------------------------------------- as_strided

class AsStrided(ViewNode):
    """y = the storage seen with (size, stride, offset)          (a view)

    grad_x: the gradient is summed into a zero storage at the positions y reads (a position
    read twice gets both), then read back at the positions x occupies.  NOTE: as torch, where
    x itself covers a storage element more than once (an expanded x), that element's gradient
    is split evenly between the places of x that show it.
    """

    def __init__(self, storage, size, stride, offset, in_geometry, storage_numel):
        self.storage = storage  # the array owning the memory (from its first element)
        self.size, self.stride, self.offset = size, stride, offset
        self.in_geometry = in_geometry  # (size, stride, offset) of x in the same storage
        self.storage_numel = storage_numel

    def forward(self, x):
        xp, item = self.xp, x.itemsize
        # a flat view of the whole storage, from its first element
        flat = xp.lib.stride_tricks.as_strided(self.storage, (self.storage_numel,), (item,))
        start = flat[self.offset:] if self.storage_numel else flat
        size, stride, offset = self.size, self.stride, self.offset
        self.view_fn = lambda base: as_strided(base, size, stride, offset)
        return xp.lib.stride_tricks.as_strided(start, size, [s * item for s in stride])

    def backward(self, grad):
        from .index_dim import index_add

        out_pos = _positions(self.size, self.stride, self.offset).reshape(-1)
        dev = grad.device
        storage = grad.new_zeros((self.storage_numel,))
        storage = index_add(storage, 0, index_tensor(out_pos, dev), grad.reshape(-1))
        in_pos = _positions(*self.in_geometry)
        grad_x = storage[index_tensor(in_pos, dev)]
        counts = np.bincount(in_pos.reshape(-1), minlength=self.storage_numel)[in_pos]
        if counts.size and counts.max() > 1:
            grad_x = grad_x / index_tensor(counts, dev).to(grad.dtype)
        return grad_x


def as_strided(input, size, stride, storage_offset=None):
    """A view of ``input``'s storage with the given sizes and strides (in elements), starting
    ``storage_offset`` elements from the storage's start (default: where ``input`` starts).
    Same as torch.as_strided: the view may overlap itself; writing to it writes the storage."""
    size, stride = _ints(size, "size"), _ints(stride, "stride")
    geometry = _geometry(input)
    offset = geometry[2] if storage_offset is None else operator.index(storage_offset)
    numel = _storage_numel(input)
    _check_strided(size, stride, offset, numel, input._data.itemsize)
    owner = _storage(input)._data
    return AsStrided(owner, size, stride, offset, geometry, numel).apply(input)


# ---------------------------------------------------------------------------- unfold

class Unfold(ViewNode):
    """y = the windows of x along ``dim``: y[..., i, ..., k] = x[..., i * step + k, ...]
    (window i becomes dim ``dim``, its elements a new last dim; a view)

    grad_x = each window's gradient added back where the window came from (windows that
    overlap, step < size, add up): ``UnfoldBackward``, whose own gradient is this unfold.
    """

    _name = "UnfoldBackward0"

    def __init__(self, dim, size, step):
        self.dim, self.size, self.step = dim, size, step

    def forward(self, x):
        dim, size, step = self.dim, self.size, self.step
        self.view_fn = lambda base: Unfold(dim, size, step).apply(base)
        if x.ndim == 0:  # a 0-dim tensor has one window of its one element
            return x.reshape(1)
        shape = list(x.shape)
        strides = list(x.strides)
        windows = (shape[dim] - size) // step + 1
        shape[dim], strides[dim] = windows, strides[dim] * step
        return self.xp.lib.stride_tricks.as_strided(x, shape + [size], strides + [x.strides[dim]])

    def backward(self, grad):
        shape = self.input_shape(0)
        return UnfoldBackward(shape, self.dim, self.size, self.step).apply(grad)


class UnfoldBackward(Node):
    """y = zeros of x's shape with each window of g added back at its place (the adjoint of
    unfold); its gradient is unfold of the incoming gradient."""

    def __init__(self, shape, dim, size, step):
        self.shape, self.dim, self.size, self.step = shape, dim, size, step

    def forward(self, g):
        if not self.shape:  # a 0-dim x: its one window
            return g.reshape(())
        out = self.xp.zeros(self.shape, dtype=g.dtype)
        dim, step = self.dim, self.step
        windows = g.shape[dim]
        # one strided add per offset k inside the window: windows i go to i * step + k
        moved = self.xp.moveaxis(out, dim, -1)
        g = self.xp.moveaxis(g, dim, -2)
        for k in range(self.size):
            moved[..., k:k + step * (windows - 1) + 1:step] += g[..., k]
        return out

    def backward(self, grad):
        return Unfold(self.dim, self.size, self.step).apply(grad)


def unfold(input, dimension, size, step):
    """Windows of ``size`` elements every ``step`` along ``dimension``, as a new last dim (a
    view). Same as Tensor.unfold."""
    dimension, size, step = operator.index(dimension), operator.index(size), operator.index(step)
    ndim = input._data.ndim
    dim = wrap_dim(dimension, ndim)
    length = input._data.shape[dim] if ndim else 1
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {dim} is {length} but size is "
                           f"{size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    return Unfold(dim, size, step).apply(input)


# ---------------------------------------------------------------------------- *_scatter

class ScatterInto(Node):
    """y = a copy of x with src written at the places ``index`` names: y.flat[index] = src
    (``index`` has src's shape; entry i is a position in x's elements in row-major order, or
    -1 for an element of src that lands outside x)

    grad_x = grad with those places zeroed (the same op with a zero src);
    grad_src = grad read at those places (0 where src lands outside x).
    """

    def __init__(self, index, name):
        self.index = index  # int64 NumPy array of src's shape
        self._name = name

    def forward(self, x, src):
        xp = self.xp
        out = x.copy()  # row-major (C order), whatever the layout of x
        flat = out.reshape(-1)
        index = self.index.reshape(-1)
        values = src.reshape(-1)
        inside = index >= 0
        if not inside.all():
            index, values = index[inside], values[xp.asarray(inside)]
        flat[xp.asarray(index)] = values
        return out

    def backward(self, grad):
        from .join import cat
        from .selection import take

        grad_x = grad_src = None
        dev = grad.device
        if self.needs_input_grad[0]:
            zeros = grad.new_zeros(self.input_shape(1))
            grad_x = ScatterInto(self.index, self._name).apply(grad, zeros)
        if self.needs_input_grad[1]:
            index = self.index
            flat = grad.reshape(-1)
            if (index < 0).any():  # read a zero appended after the last element instead
                flat = cat([flat, flat.new_zeros((1,))])
                index = np.where(index < 0, grad.numel(), index)
            grad_src = take(flat, index_tensor(index, dev))
        return grad_x, grad_src


def _element_ids(input):
    """Each element's position in ``input`` (row-major), laid out in ``input``'s shape."""
    return np.arange(input.numel(), dtype=np.int64).reshape(input._data.shape)


def _scatter(input, src, index, name):
    """y = input with src written at ``index``; torch's error when src has the wrong shape."""
    if not isinstance(src, Tensor):
        raise TypeError(f"{name}(): argument 'src' (position 2) must be Tensor, not "
                        f"{type(src).__name__}")
    if tuple(src._data.shape) != index.shape:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src._data.shape)}, slice size = {list(index.shape)}")
    if src.dtype is not input.dtype:  # src is written in input's dtype, as torch
        src = src.to(input.dtype)
    node = "".join(part.capitalize() for part in name.split("_")) + "Backward0"
    return ScatterInto(np.ascontiguousarray(index), node).apply(input, src)


def select_scatter(input, src, dim, index):
    """A copy of ``input`` with ``src`` written at ``input.select(dim, index)``.
    Same as torch.select_scatter."""
    ids = _element_ids(input)
    if ids.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, ids.ndim)
    size = ids.shape[d]
    index = operator.index(index)
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(ids.shape)} at dimension {d}")
    return _scatter(input, src, np.take(ids, index % size, axis=d), "select_scatter")


def slice_scatter(input, src, dim=0, start=None, end=None, step=1, *, out=None):
    """A copy of ``input`` with ``src`` written at ``input[..., start:end:step, ...]`` (the
    slice along ``dim``). Same as torch.slice_scatter."""
    ids = _element_ids(input)
    if ids.ndim == 0:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, ids.ndim)
    step = operator.index(step)
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    region = ids[(slice(None),) * d + (slice(start, end, step),)]
    result = _scatter(input, src, region, "slice_scatter")
    return write_out(result, out, "slice_scatter")


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """A copy of ``input`` with ``src`` written on ``input.diagonal(offset, dim1, dim2)``.
    Same as torch.diagonal_scatter."""
    from .diagonal import diagonal

    ids = diagonal(Tensor._make(_element_ids(input), input.device), offset, dim1, dim2)
    return _scatter(input, src, np.asarray(ids.cpu()._data), "diagonal_scatter")


def as_strided_scatter(input, src, size, stride, storage_offset=None):
    """A copy of ``input`` with ``src`` written where ``input.as_strided(size, stride,
    storage_offset)`` would look (in the storage under ``input``; what falls outside ``input``
    itself is dropped). Same as torch.as_strided_scatter."""
    size, stride = _ints(size, "size"), _ints(stride, "stride")
    in_size, in_stride, in_offset = _geometry(input)
    offset = in_offset if storage_offset is None else operator.index(storage_offset)
    numel = _storage_numel(input)
    _check_strided(size, stride, offset, numel, input._data.itemsize)
    # storage position -> the element of input there (-1: no element of input there)
    owner_of = np.full(numel, -1, dtype=np.int64)
    owner_of[_positions(in_size, in_stride, in_offset).reshape(-1)] = np.arange(input.numel())
    index = owner_of[_positions(size, stride, offset)]
    return _scatter(input, src, index, "as_strided_scatter")


# ---------------------------------------------------------------------------- in place

def as_strided_(input, size, stride, storage_offset=None):
    """``input`` itself becomes ``as_strided(input, size, stride, storage_offset)``."""
    from .shape import _shape_inplace

    return _shape_inplace(as_strided)(input, size, stride, storage_offset)


def resize_(input, *sizes):
    """Give ``input`` the shape ``sizes`` in place, its values kept in memory order; when it
    grows, the new elements are uninitialised (NumPy's empty), as torch's.  A tensor whose
    values it cannot keep in place (not contiguous, or growing) gets new memory: views made
    before no longer see it (torch grows the storage they share instead)."""
    from .shape import _size_args

    shape = _size_args(sizes)
    if input._requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    if any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{min(shape)}: {list(shape)}")
    data = input._data
    numel = math.prod(shape)
    if numel == data.size and data.flags.c_contiguous:
        input._data = data.reshape(shape)
    else:
        flat = data.reshape(-1)
        new = np.empty_like(flat, shape=(numel,))
        keep = min(numel, flat.size)
        new[:keep] = flat[:keep]
        input._data = new.reshape(shape)
    input._counter().value += 1
    return input


def resize_as_(input, the_template):
    """resize_ to ``the_template``'s shape. Same as torch.resize_as_."""
    return resize_(input, *the_template.shape)


def resize_as_sparse_(input, the_template):
    raise NotImplementedError("resize_as_sparse_ is for sparse tensors, and ember has no sparse "
                              "layout (as torch, it does not run on a dense tensor)")


METHODS = {
    "unfold": unfold,
    "as_strided": as_strided,
    "select_scatter": select_scatter,
    "slice_scatter": slice_scatter,
    "diagonal_scatter": diagonal_scatter,
    "as_strided_scatter": as_strided_scatter,
    # in place, changing the tensor's shape (not through Tensor._inplace, which keeps it)
    "as_strided_": as_strided_,
    "resize_": resize_,
    "resize_as_": resize_as_,
    "resize_as_sparse_": resize_as_sparse_,
}
INPLACE = {}
