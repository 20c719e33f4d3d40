"""Joining and splitting tensors: cat, stack (and h/v/d/column_stack), split, chunk,
tensor_split, unbind, atleast_1d/2d/3d, meshgrid.

cat and split are each other's gradient, and so are stack and unbind.  The pieces of
split/chunk/unbind are views of the input; tensor_split's pieces are plain slices (views too).
"""

import operator

from .. import _dtype as D
from ..autograd.function import Node
from ._numpy_names import numpy_axis
from .shape import Slice, _is_int, _size_args, expand, mark_multi_view, reshape, unsqueeze, wrap_dim

__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack",
           "column_stack", "row_stack", "split", "chunk", "tensor_split", "hsplit", "vsplit",
           "dsplit", "unbind", "atleast_1d", "atleast_2d", "atleast_3d", "meshgrid"]


def _tensor_list(tensors, name):
    if len(tensors) == 0:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return list(tensors)


def _common_dtype(tensors):
    dtype = tensors[0].dtype
    for x in tensors[1:]:
        dtype = D.promote_types(dtype, x.dtype)
    return dtype


# ---------------------------------------------------------------------------- cat / split

class Cat(Node):
    """y = [x_1, x_2, ...] joined along ``dim``          grad_x_i = grad's slice of x_i

    ``keep[i]`` is False for the legacy empty 1-D inputs (shape (0,)) that torch skips.
    """

    def __init__(self, dim, dtype, keep):
        self.dim = dim
        self.dtype = dtype
        self.keep = keep

    def forward(self, *arrays):
        np_dtype = D.to_numpy_dtype(self.dtype)
        parts = [a.astype(np_dtype, copy=False) for a, k in zip(arrays, self.keep) if k]
        if not parts:
            return self.xp.zeros((0,), dtype=np_dtype)
        return self.xp.concatenate(parts, axis=self.dim)

    def backward(self, grad):
        sizes = [meta[0][self.dim] for meta, k in zip(self._input_meta, self.keep) if k]
        pieces = iter(Split(sizes, self.dim, "SplitWithSizesBackward0").apply(grad)
                      if sizes else ())
        return tuple(next(pieces) if k else grad.new_zeros((0,)) for k in self.keep)


def cat(tensors, dim=0, *, out=None, axis=None):
    """Join tensors along an existing dim (dtypes promote). Same as torch.cat.

    NOTE: as in torch, 1-D empty tensors (shape (0,)) are skipped whatever the others' shapes.
    """
    if axis is not None:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("cat", dim, axis, 0)
    tensors = list(tensors)
    if not tensors:
        raise ValueError("ember.cat(): expected a non-empty list of Tensors")
    keep = [x._data.shape != (0,) for x in tensors]
    ref = None
    for i, x in enumerate(tensors):
        if x._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
        if keep[i] and ref is None:
            ref = i
    dtype = _common_dtype(tensors)
    if ref is None:
        d = wrap_dim(dim, 1)
    else:
        shape = tensors[ref]._data.shape
        d = wrap_dim(dim, len(shape))
        for i, x in enumerate(tensors):
            if not keep[i]:
                continue
            other = x._data.shape
            if len(other) != len(shape):
                raise RuntimeError(f"Tensors must have same number of dimensions: got "
                                   f"{len(shape)} and {len(other)}")
            for k, (a, b) in enumerate(zip(shape, other)):
                if k != d and a != b:
                    raise RuntimeError(
                        f"Sizes of tensors must match except in dimension {d}. Expected size "
                        f"{a} but got size {b} for tensor number {i} in the list.")
    result = Cat(d, dtype, keep).apply(*tensors)
    if out is not None:
        from .binary import write_out

        return write_out(result, out)
    return result


concat = cat


def concatenate(tensors, axis=0, out=None):
    return cat(tensors, axis, out=out)


def _fill_missing(node, grads):
    """Zeros for the outputs that got no gradient (only those are made, at their shapes)."""
    if all(g is not None for g in grads):
        return grads
    from .creation import zeros

    return [zeros(node._out_meta[i][0], dtype=node._out_meta[i][1], device=node.device)
            if g is None else g for i, g in enumerate(grads)]


class Split(Node):
    """(y_1, y_2, ...) = consecutive pieces of x along ``dim`` (views)     grad_x = cat(grads)"""

    materialize_grads = False  # backward makes zeros only for the pieces that need them

    def __init__(self, sizes, dim, name):
        self.sizes = sizes
        self.dim = dim
        self._name = name

    def forward(self, x):
        index = (slice(None),) * self.dim
        out = []
        start = 0
        for s in self.sizes:
            out.append(x[index + (slice(start, start + s),)])
            start += s
        return tuple(out)

    def backward(self, *grads):
        return cat(_fill_missing(self, grads), self.dim)


def _split(input, sizes, dim, name):
    outs = Split(sizes, dim, name).apply(input)
    fns = []
    start = 0
    for s in sizes:
        fns.append(lambda base, a=start, b=start + s: Slice(dim, a, b).apply(base))
        start += s
    return mark_multi_view(outs, input, name.replace("Backward0", ""), fns)


def split(tensor, split_size_or_sections, dim=0):
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the given
    sizes (views). Same as torch.split."""
    shape = tensor._data.shape
    if not shape:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, len(shape))
    n = shape[d]
    if _is_int(split_size_or_sections):
        size = operator.index(split_size_or_sections)
        if size < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got "
                               f"split_size={size}")
        if size == 0 and n != 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}")
        if n == 0:
            sizes = [0]
        else:
            sizes = [size] * (n // size) + ([n % size] if n % size else [])
        return _split(tensor, sizes, d, "SplitBackward0")
    sizes = list(_size_args((split_size_or_sections,)))
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative "
                           f"entries, but got split_sizes={sizes}")
    if sum(sizes) != n:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input "
                           f"tensor's size at dimension {d}), but got split_sizes={sizes}")
    return _split(tensor, sizes, d, "SplitWithSizesBackward0")


def chunk(input, chunks, dim=0, *, axis=None):
    """At most ``chunks`` pieces of equal size (the last may be smaller). Same as torch.chunk."""
    if axis is not None:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("chunk", dim, axis, 0)
    shape = input._data.shape
    if not shape:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = wrap_dim(dim, len(shape))
    n = shape[d]
    if n == 0:  # as torch: ``chunks`` empty pieces
        return _split(input, [0] * chunks, d, "SplitWithSizesBackward0")
    return split(input, (n + chunks - 1) // chunks, dim)


def tensor_split(input, indices_or_sections, dim=0, *, axis=None):
    """``sections`` nearly equal pieces, or the pieces between ``indices`` (views).
    Same as torch.tensor_split."""
    if axis is not None:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("tensor_split", dim, axis, 0)
    shape = input._data.shape
    if not shape:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    d = wrap_dim(dim, len(shape))
    n = shape[d]
    spec = indices_or_sections
    if hasattr(spec, "_data"):  # a tensor: 0-dim = sections, 1-dim = indices
        if spec.dtype.category != D.INT:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have "
                               f"integer dtype, but got {spec.dtype}")
        spec = int(spec.item()) if spec._data.ndim == 0 else spec.tolist()
    if _is_int(spec):
        sections = operator.index(spec)
        if sections <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
        small, extra = divmod(n, sections)
        bounds = [0]
        for i in range(sections):
            bounds.append(bounds[-1] + small + (1 if i < extra else 0))
    else:
        bounds = [0] + [operator.index(i) for i in spec] + [n]
    pieces = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        start, stop, _ = slice(a, b).indices(n)
        pieces.append(Slice(d, start, max(start, stop)).apply(input))
    return tuple(pieces)


def _split_dim(name, input, indices_or_sections, dim, need):
    n = input._data.ndim
    if n < need:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {need} dimension, but "
                           f"got a tensor with {n} dimensions!".replace("torch.", "ember."))
    if _is_int(indices_or_sections) and input._data.shape[dim] % indices_or_sections:
        raise RuntimeError(
            f"ember.{name} attempted to split along dimension {dim}, but the size of the "
            f"dimension {input._data.shape[dim]} is not divisible by the split_size "
            f"{indices_or_sections}!")
    return tensor_split(input, indices_or_sections, dim)


def hsplit(input, indices_or_sections):
    return _split_dim("hsplit", input, indices_or_sections, 1 if input._data.ndim > 1 else 0, 1)


def vsplit(input, indices_or_sections):
    return _split_dim("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections):
    return _split_dim("dsplit", input, indices_or_sections, 2, 3)


# ---------------------------------------------------------------------------- stack / unbind

class Stack(Node):
    """y = x_1, x_2, ... stacked along a new ``dim``          grad_x_i = grad[..., i, ...]"""

    def __init__(self, dim, dtype):
        self.dim = dim
        self.dtype = dtype

    def forward(self, *arrays):
        np_dtype = D.to_numpy_dtype(self.dtype)
        return self.xp.stack([a.astype(np_dtype, copy=False) for a in arrays], axis=self.dim)

    def backward(self, grad):
        return Unbind(self.dim).apply(grad)


def stack(tensors, dim=0, *, out=None, axis=None):
    """Join equal-shaped tensors along a new dim. Same as torch.stack."""
    if axis is not None:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("stack", dim, axis, 0)
    tensors = _tensor_list(tensors, "stack")
    shape = tensors[0]._data.shape
    for i, x in enumerate(tensors[1:], 1):
        if x._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(shape)} at entry 0 and {list(x._data.shape)} at entry {i}")
    d = wrap_dim(dim, len(shape) + 1)
    result = Stack(d, _common_dtype(tensors)).apply(*tensors)
    if out is not None:
        from .binary import write_out

        return write_out(result, out)
    return result


class Unbind(Node):
    """(y_0, y_1, ...) = x[..., i, ...] for each i along ``dim`` (views)   grad_x = stack(grads)"""

    materialize_grads = False

    def __init__(self, dim):
        self.dim = dim

    def forward(self, x):
        index = (slice(None),) * self.dim
        # NOTE: the trailing Ellipsis keeps 0-dim results as array views, not numpy scalars
        return tuple(x[index + (i, Ellipsis)] for i in range(x.shape[self.dim]))

    def backward(self, *grads):
        return stack(_fill_missing(self, grads), self.dim)


def unbind(input, dim=0, *, axis=None):
    """The slices along ``dim``, without that dim (views). Same as torch.unbind."""
    if axis is not None:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("unbind", dim, axis, 0)
    shape = input._data.shape
    if not shape:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = wrap_dim(dim, len(shape))
    outs = Unbind(d).apply(input)
    index = (slice(None),) * d
    fns = [lambda base, i=i: base[index + (i,)] for i in range(shape[d])]
    return mark_multi_view(outs, input, "Unbind", fns)


# ---------------------------------------------------------------------------- at least n-D

def _each(tensors, one):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(one(x) for x in tensors[0])
    if len(tensors) == 1:
        return one(tensors[0])
    return tuple(one(x) for x in tensors)


def _at_least_1d(x):
    return reshape(x, (1,)) if x._data.ndim == 0 else x


def _at_least_2d(x):
    n = x._data.ndim
    if n == 0:
        return reshape(x, (1, 1))
    return unsqueeze(x, 0) if n == 1 else x


def _at_least_3d(x):
    n = x._data.ndim
    if n == 0:
        return reshape(x, (1, 1, 1))
    if n == 1:
        return unsqueeze(unsqueeze(x, 0), -1)
    return unsqueeze(x, -1) if n == 2 else x


def atleast_1d(*tensors):
    """Each tensor with at least 1 dim (0-D becomes shape (1,)). Same as torch.atleast_1d."""
    return _each(tensors, _at_least_1d)


def atleast_2d(*tensors):
    """Each tensor with at least 2 dims ((n,) becomes (1, n)). Same as torch.atleast_2d."""
    return _each(tensors, _at_least_2d)


def atleast_3d(*tensors):
    """At least 3 dims: (n,) -> (1, n, 1), (m, n) -> (m, n, 1). Same as torch.atleast_3d."""
    return _each(tensors, _at_least_3d)


def hstack(tensors, *, out=None):
    """cat along dim 1 (dim 0 for 1-D tensors). Same as torch.hstack."""
    tensors = [_at_least_1d(x) for x in _tensor_list(tensors, "hstack")]
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1, out=out)


def vstack(tensors, *, out=None):
    """cat along dim 0 of the tensors made at least 2-D. Same as torch.vstack."""
    return cat([_at_least_2d(x) for x in _tensor_list(tensors, "vstack")], 0, out=out)


row_stack = vstack


def dstack(tensors, *, out=None):
    """cat along dim 2 of the tensors made at least 3-D. Same as torch.dstack."""
    return cat([_at_least_3d(x) for x in _tensor_list(tensors, "dstack")], 2, out=out)


def column_stack(tensors, *, out=None):
    """cat along dim 1, 0-D and 1-D tensors becoming columns. Same as torch.column_stack."""
    tensors = _tensor_list(tensors, "column_stack")
    cols = [reshape(x, (x._data.size, 1)) if x._data.ndim <= 1 else x for x in tensors]
    return cat(cols, 1, out=out)


# ---------------------------------------------------------------------------- meshgrid

def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D tensors (views, expanded). Same as torch.meshgrid.

    indexing='ij': output k varies along dim k; 'xy': the first two dims are swapped.
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    tensors = _tensor_list(tensors, "meshgrid")
    if indexing is None:
        import warnings

        warnings.warn("ember.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'ember.meshgrid: indexing must be one of "xy" or "ij", but '
                           f"received: {indexing}")
    for x in tensors:
        if x._data.ndim > 1:
            raise RuntimeError(f"ember.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               f"but got: {x}")
        if x.dtype is not tensors[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    swap = indexing == "xy" and len(tensors) >= 2
    if swap:
        tensors[0], tensors[1] = tensors[1], tensors[0]
    shape = tuple(x._data.size for x in tensors)
    grids = []
    for k, x in enumerate(tensors):
        view_shape = [1] * len(tensors)
        view_shape[k] = -1
        grids.append(expand(reshape(x, tuple(view_shape)), shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


METHODS = {
    "split": split, "chunk": chunk, "tensor_split": tensor_split, "hsplit": hsplit,
    "vsplit": vsplit, "dsplit": dsplit, "unbind": unbind,
}
