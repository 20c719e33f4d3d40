"""Shape ops that are views: view/reshape/flatten, transpose/permute/movedim, expand,
squeeze/unsqueeze, narrow; and the machinery for in-place changes through a view.

A view shares memory and the version counter with its base (``ViewNode.view_fn`` marks the op
as a view and says how to redo it from the base); changing a view in place changes the base,
and ``rebase_view_history`` keeps the graph of the base right.

Copies that reorder or repeat elements (repeat, tile, flip, roll, ...) live in
``ops/reorder.py``; joining and splitting (cat, stack, split, chunk, unbind, ...) in
``ops/join.py``.  Their functions are re-exported here, so this module's ``METHODS`` table
covers the whole family.
"""

import operator

from .. import _dtype as D
from .._tensor import Size, Tensor
from ..autograd.function import Node, ViewNode, _as_view
from ._numpy_names import REQUIRED, missing, numpy_axis

__all__ = ["clone", "view", "reshape", "flatten", "unflatten", "transpose", "swapaxes",
           "swapdims", "permute", "t", "movedim", "moveaxis", "expand", "broadcast_to",
           "broadcast_shapes", "broadcast_tensors", "squeeze", "unsqueeze", "narrow"]


def _size_args(size):
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f(ember.Size([2, 3]))``; ints only, as torch."""
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = size[0]
    try:
        return tuple(operator.index(s) for s in size)
    except TypeError:
        bad = next(s for s in size if not _is_int(s))
        raise TypeError(f"expected a tuple of ints as the size, but got {type(bad).__name__} "
                        f"({bad!r})") from None


def _is_int(s):
    try:
        operator.index(s)
        return True
    except TypeError:
        return False


def wrap_dim(dim, ndim):
    """A dim in [-ndim, ndim) as a non-negative index; torch's IndexError otherwise."""
    dim = operator.index(dim)
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n


def _dims_list(dims, ndim, what="dims"):
    """A tuple of distinct wrapped dims; torch's error for repeats."""
    out = tuple(wrap_dim(d, ndim) for d in dims)
    for i, d in enumerate(out):
        if d in out[:i]:
            raise RuntimeError(f"dim {d} appears multiple times in the list of {what}")
    return out


class Clone(Node):
    """y = copy of x          dy/dx = identity"""

    def forward(self, x):
        return x.copy()

    def backward(self, grad):
        return grad


class Copy(Node):
    """y = src, replacing the values of ``dst`` (copy_ and fill_ under autograd)

    grad_dst = 0 (its old values are gone), grad_src = grad.
    """

    def __init__(self, name="CopyBackwards"):
        self._name = name

    def forward(self, dst, src):
        return src.copy()

    def backward(self, grad):
        grad_dst = grad.new_zeros(grad.shape) if self.needs_input_grad[0] else None
        return grad_dst, grad


def clone(input, *, memory_format=None):
    """A copy with its own memory. Same as torch.clone (row-major unless ``memory_format`` is
    channels_last; the default keeps no channels-last strides, see ember/_memory_format.py)."""
    if memory_format is not None:
        from .. import _memory_format as M

        if M.check(memory_format, "clone") in (M.channels_last, M.channels_last_3d):
            return M.channels_last_copy(input, memory_format)
    return Clone().apply(input)


# ---------------------------------------------------------------------------- view / reshape

def _infer_size(shape, numel):
    """Resolve one -1 in ``shape``; torch's error when the sizes do not fit."""
    infer = None
    known = 1
    for i, s in enumerate(shape):
        if s == -1:
            if infer is not None:
                raise RuntimeError("only one dimension can be inferred")
            infer = i
        elif s < 0:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {list(shape)}")
        else:
            known *= s
    if infer is None:
        if known != numel:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        return tuple(shape)
    if known == 0:
        if numel == 0:
            raise RuntimeError(
                f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                "unspecified dimension size -1 can be any value and is ambiguous")
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    if numel % known:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    shape = list(shape)
    shape[infer] = numel // known
    return tuple(shape)


class View(ViewNode):
    """y = x with another shape (same memory when possible)          grad_x = grad reshaped back

    ``must_view`` (``.view``): raise when the memory layout does not allow a view; otherwise
    (``.reshape``) fall back to a copy, as torch does.
    """

    _name = "ViewBackward0"

    def __init__(self, shape, must_view):
        self.shape = shape
        self.must_view = must_view

    def forward(self, x):
        shape = _infer_size(self.shape, x.size)
        y = x.reshape(shape)
        if x.size and not self.xp.may_share_memory(x, y):
            if self.must_view:
                strides = [st // x.itemsize for st in x.strides]
                raise RuntimeError(
                    "view size is not compatible with input tensor's size and stride (at least "
                    "one dimension spans across two contiguous subspaces). Use .reshape(...) "
                    f"instead.\n  ember: view({', '.join(map(str, shape))}) must reuse the "
                    f"memory as it is, but this tensor (size {list(x.shape)}, stride {strides})"
                    " is not contiguous: transpose/permute/t()/expand or slicing changed the "
                    "order its elements are read in.\n  hint: use .reshape(...) (a copy only "
                    "when needed) or .contiguous().view(...).")
            self._name = "UnsafeViewBackward0"
            return y  # the layout forced a copy: not a view
        self.view_fn = lambda base: View(shape, True).apply(base)
        return y

    def backward(self, grad):
        return grad.reshape(self.input_shape(0))


class UnsafeView(Node):
    """y = x with another shape, for an x that only the caller holds (a fresh result, as the
    product that matmul folds): torch's _unsafe_view, whose result is not a view of x
    grad_x = grad reshaped back"""

    _name = "UnsafeViewBackward0"

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape(self.shape)

    def backward(self, grad):
        return grad.reshape(self.input_shape(0))


def view(input, *shape):
    """The same memory seen with another shape (one size may be -1). Same as Tensor.view."""
    if len(shape) == 1 and isinstance(shape[0], D.dtype):
        raise NotImplementedError("ember does not support Tensor.view(dtype) (reinterpreting "
                                  "bytes); use .to(dtype) to convert values")
    return View(_size_args(shape), True).apply(input)


def reshape(input, *shape):
    """Another shape: a view when the memory allows, else a copy. Same as torch.reshape."""
    return View(_size_args(shape), False).apply(input)


def view_as(input, other):
    return view(input, other.shape)


def reshape_as(input, other):
    return reshape(input, other.shape)


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims start_dim..end_dim into one (a view when possible). Same as torch.flatten."""
    shape = input._data.shape
    n = len(shape)
    if n == 0:
        return View((1,), False).apply(input)
    start, end = wrap_dim(start_dim, n), wrap_dim(end_dim, n)
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:
        return input
    merged = 1
    for s in shape[start:end + 1]:
        merged *= s
    return View(shape[:start] + (merged,) + shape[end + 1:], False).apply(input)


def unflatten(input, dim, sizes):
    """Split dim ``dim`` into ``sizes`` (one may be -1). Same as torch.unflatten."""
    shape = input._data.shape
    d = wrap_dim(dim, len(shape))
    sizes = _size_args((sizes,))
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if sizes.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in sizes:
        known *= s if s != -1 else 1
    size = shape[d] if shape else 1
    if (-1 not in sizes and known != size) or (-1 in sizes and (known == 0 or size % known)):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({size}) in the input tensor")
    if -1 in sizes:
        sizes = tuple(size // known if s == -1 else s for s in sizes)
    return View(shape[:d] + sizes + shape[d + 1:], True).apply(input)


# ---------------------------------------------------------------------------- dim order

class Transpose(ViewNode):
    """y = x with two dims swapped          grad_x = grad with them swapped back"""

    def __init__(self, dim0, dim1, name="TransposeBackward0"):
        self.dim0 = dim0
        self.dim1 = dim1
        self._name = name

    def forward(self, x):
        d0, d1, name = self.dim0, self.dim1, self._name
        self.view_fn = lambda base: Transpose(d0, d1, name).apply(base)
        if d0 == d1:
            return x[...]
        return x.swapaxes(d0, d1)  # the method: no Python wrapper (numpy and cupy arrays)

    def backward(self, grad):
        if self.dim0 == self.dim1:
            return grad
        return grad.transpose(self.dim0, self.dim1)


def transpose(input, dim0, dim1):
    """Swap two dims (a view). Same as torch.transpose."""
    n = input._data.ndim
    return Transpose(wrap_dim(dim0, n), wrap_dim(dim1, n)).apply(input)


swapaxes = transpose
swapdims = transpose


def t(input):
    """Transpose a matrix (0-D and 1-D tensors are returned as they are, as views)."""
    n = input._data.ndim
    if n > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {n}D")
    if n < 2:
        return Transpose(0, 0, "TBackward0").apply(input)
    return Transpose(0, 1, "TBackward0").apply(input)


class Permute(ViewNode):
    """y = x with dims reordered          grad_x = grad with the inverse order"""

    def __init__(self, dims):
        self.dims = dims

    def forward(self, x):
        dims = self.dims
        self.view_fn = lambda base: Permute(dims).apply(base)
        return x.transpose(dims)

    def backward(self, grad):
        inverse = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inverse[d] = i
        return grad.permute(inverse)


def permute(input, *args, dims=None):
    """Reorder the dims (a view). Same as torch.permute."""
    dims = _size_args(args if dims is None else (dims,))
    n = input._data.ndim
    if len(dims) != n:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {n} is not equal to len(dims) = {len(dims)}")
    dims = tuple(wrap_dim(d, n) for d in dims)
    if len(set(dims)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute(dims).apply(input)


def movedim(input, source, destination):
    """Move dims ``source`` to positions ``destination``, the others keep their order (a view).
    Same as torch.movedim."""
    src = [source] if _is_int(source) else list(source)
    dst = [destination] if _is_int(destination) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) "
                           f"should contain the same number of dims as destination ({dst} dims)")
    n = input._data.ndim
    src = [wrap_dim(d, n) for d in src]
    dst = [wrap_dim(d, n) for d in dst]
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({src})")
    if len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({dst})")
    order = [d for d in range(n) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return Permute(tuple(order)).apply(input)


moveaxis = movedim


# ---------------------------------------------------------------------------- broadcasting

class Expand(ViewNode):
    """y = x broadcast to a larger shape (no copy)          grad_x = grad summed back"""

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        shape = self.shape
        self.view_fn = lambda base: Expand(shape).apply(base)
        if shape == x.shape:
            return x[...]  # a writable view, as nothing repeats
        # NOTE: a strided view rather than xp.broadcast_to, whose result NumPy makes read-only:
        # torch lets some in-place ops (fill_, masked_fill_, x[0] = ...) write through an
        # expand; the others raise torch's overlap error (Tensor._inplace checks it)
        lead = len(shape) - x.ndim
        strides = [0] * lead
        for size, old, stride in zip(shape[lead:], x.shape, x.strides):
            strides.append(0 if old == 1 and size != 1 else stride)
        return self.xp.lib.stride_tricks.as_strided(x, shape, tuple(strides))

    def backward(self, grad):
        return grad  # the engine sums it back to the input's shape


def expand(input, *sizes):
    """Broadcast to ``sizes`` (-1 keeps a dim) without copying. Same as torch.expand."""
    sizes = _size_args(sizes)
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand({input.type()}{{{list(shape)}}}, size={list(sizes)}): the number of sizes "
            f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in "
            f"the tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a "
                                   f"leading, non-existing dimension {i}")
            target.append(s)
            continue
        old = shape[i - lead]
        if s == -1:
            target.append(old)
        elif old == s or (old == 1 and s >= 0):
            target.append(s)
        else:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({old}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                f"{list(shape)}")
    return Expand(tuple(target)).apply(input)


def expand_as(input, other):
    return expand(input, other.shape)


def broadcast_to(input, size):
    """Same as torch.broadcast_to (an expand)."""
    return expand(input, size)


def _broadcast_pair(a, b):
    n = max(len(a), len(b))
    a = (1,) * (n - len(a)) + tuple(a)
    b = (1,) * (n - len(b)) + tuple(b)
    out = []
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                               f"({y}) at non-singleton dimension {i}")
        out.append(y if x == 1 else x)
    return tuple(out)


def broadcast_shapes(*shapes):
    """The shape all ``shapes`` broadcast to. Same as torch.broadcast_shapes."""
    out = ()
    for s in shapes:
        out = _broadcast_pair(out, (s,) if _is_int(s) else tuple(s))
    return Size(out)


def broadcast_tensors(*tensors):
    """Expand all tensors to their common shape (views). Same as torch.broadcast_tensors."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = ()
    for x in tensors:
        shape = _broadcast_pair(shape, x._data.shape)
    return tuple(expand(x, shape) for x in tensors)


# ---------------------------------------------------------------------------- size-1 dims

class Squeeze(ViewNode):
    """y = x without some size-1 dims          grad_x = grad reshaped back"""

    def __init__(self, dims, name):
        self.dims = dims
        self._name = name

    def forward(self, x):
        dims, name = self.dims, self._name
        self.view_fn = lambda base: Squeeze(dims, name).apply(base)
        # NOTE: indexing (not reshape) keeps the other dims' strides, as torch's squeeze does
        return x[tuple(0 if i in dims else slice(None) for i in range(x.ndim)) + (Ellipsis,)]

    def backward(self, grad):
        return grad.reshape(self.input_shape(0))


def squeeze(input, dim=None, *, axis=None):
    """Remove size-1 dims (all, or those of ``dim``, an int or tuple). Same as torch.squeeze."""
    if axis is not None:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("squeeze", dim, axis)
    shape = input._data.shape
    if dim is None:
        dims = tuple(i for i, s in enumerate(shape) if s == 1)
        name = "SqueezeBackward0"
    else:
        many = isinstance(dim, (tuple, list))
        dims = _dims_list(dim if many else (dim,), len(shape))
        dims = tuple(d for d in dims if shape and shape[d] == 1)
        name = "SqueezeBackward2" if many else "SqueezeBackward1"
    return Squeeze(dims, name).apply(input)


class Unsqueeze(ViewNode):
    """y = x with a new size-1 dim          grad_x = grad without it"""

    def __init__(self, dim):
        self.dim = dim

    def forward(self, x):
        dim = self.dim
        self.view_fn = lambda base: Unsqueeze(dim).apply(base)
        return x[(slice(None),) * dim + (None,)]

    def backward(self, grad):
        return grad.squeeze(self.dim)


def unsqueeze(input, dim=REQUIRED, *, axis=None):
    """Insert a size-1 dim at ``dim``. Same as torch.unsqueeze."""
    if axis is not None or dim is REQUIRED:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("unsqueeze", dim, axis, REQUIRED)
    return Unsqueeze(wrap_dim(dim, input._data.ndim + 1)).apply(input)


# ---------------------------------------------------------------------------- slices

def _slice_index(dim, start, stop):
    return (slice(None),) * dim + (slice(start, stop),)


class Slice(ViewNode):
    """y = x[start:stop] along ``dim`` (a view)     grad_x = zeros with grad in [start, stop)"""

    _name = "SliceBackward0"

    def __init__(self, dim, start, stop):
        self.dim = dim
        self.start = start
        self.stop = stop

    def forward(self, x):
        dim, start, stop = self.dim, self.start, self.stop
        self.view_fn = lambda base: Slice(dim, start, stop).apply(base)
        return x[_slice_index(dim, start, stop)]

    def backward(self, grad):
        return SliceScatter(self.input_shape(0), self.dim, self.start,
                            self.stop).apply(grad)


class SliceScatter(Node):
    """y = zeros(shape) with y[start:stop] = x along ``dim``     grad_x = grad[start:stop]"""

    def __init__(self, shape, dim, start, stop):
        self.shape = shape
        self.dim = dim
        self.start = start
        self.stop = stop

    def forward(self, x):
        out = self.xp.zeros(self.shape, dtype=x.dtype)
        out[_slice_index(self.dim, self.start, self.stop)] = x
        return out

    def backward(self, grad):
        return Slice(self.dim, self.start, self.stop).apply(grad)


def narrow(input, dim=REQUIRED, start=REQUIRED, length=REQUIRED, *, axis=None):
    """Elements start..start+length-1 along ``dim`` (a view). Same as torch.narrow."""
    if axis is not None or dim is REQUIRED:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("narrow", dim, axis, REQUIRED)
    if start is REQUIRED:
        raise missing("narrow", "start")
    if length is REQUIRED:
        raise missing("narrow", "length")
    shape = input._data.shape
    if not shape:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, len(shape))
    start, length = operator.index(start), operator.index(length)
    size = shape[d]
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], "
                         f"but got {start})")
    if start < 0:
        start += size
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({size}).")
    return Slice(d, start, start + length).apply(input)


# ---------------------------------------------------------------------------- in-place shape

def _shape_inplace(fn):
    """``x.t_()`` and friends: ``x`` itself becomes the view ``fn(x)`` (shape and graph)."""

    def method(self, *args):
        self._check_inplace()
        out = fn(self, *args)
        self._data = out._data
        self._counter().value += 1
        if out.grad_fn is not None:
            self.grad_fn = out.grad_fn
            self.output_nr = out.output_nr
        if self._base is not None:
            self._view_fn = out._view_fn
            self._view_version = self._counter().value
        return self

    method.__name__ = fn.__name__ + "_"
    method.__doc__ = f"In-place version of :func:`{fn.__name__}` (changes this tensor's shape)."
    return method


# ---------------------------------------------------------------------------- in-place on views

class CopySlices(Node):
    """The base after an in-place change through one of its views.

    grad_base = grad with the view's region zeroed; grad_new_view = the view's region of grad.
    """

    def __init__(self, view_fn):
        self.view_fn_of_base = view_fn

    def forward(self, base, new_view):
        return base  # the values were already written in place

    def backward(self, grad):
        grad_base = grad_view = None
        if self.needs_input_grad[0]:
            mask = grad.new_ones(grad.shape)
            with _no_grad():
                self.view_fn_of_base(mask).zero_()
            grad_base = grad * mask
        if self.needs_input_grad[1]:
            grad_view = self.view_fn_of_base(grad)
        return grad_base, grad_view


def _no_grad():
    from ..autograd.grad_mode import no_grad

    return no_grad()


def check_view_inplace(view):
    """Before an in-place op on ``view`` with grad mode on: torch's errors for the cases the
    graph cannot express (called by ``Tensor._check_inplace``)."""
    base = view._base
    if base._requires_grad:
        if view.__dict__.get("_view_version") is None:
            raise RuntimeError(
                "A view was created in no_grad mode and is being modified inplace with grad "
                "mode enabled. Given that this use case is ambiguous and error-prone, it is "
                "forbidden. You can clarify your code by moving both the view and the inplace "
                "either both inside the no_grad block (if you don't want the inplace to be "
                "tracked) or both outside (if you want the inplace to be tracked).")
        if base.grad_fn is None:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place "
                "operation.\n  ember: change the leaf inside `with ember.no_grad():`, or work "
                "on a clone (x = leaf.clone(); x[...] = ...).")
    if view._requires_grad:
        _check_multi_view(view)


def _check_multi_view(view):
    multi = view.__dict__.get("_multi_view")
    if multi is not None:
        name, nr = multi
        raise RuntimeError(
            f"Output {nr} of {name} is a view and is being modified inplace. This view is the "
            "output of a function that returns multiple views. Such functions do not allow the "
            "output views to be modified inplace. You should replace the inplace operation by "
            "an out-of-place one.\n  ember: clone the piece first (x = x.clone()) or change "
            "the whole tensor it came from.")


def rebase_view_history(view, result):
    """After ``view`` took ``result``'s values in place, make its base's graph include it."""
    _check_multi_view(view)  # a view without grad changed by a value with grad
    base = view._base
    new_base = CopySlices(view._view_fn).apply(_alias(base), result)
    base.grad_fn = new_base.grad_fn
    base.output_nr = 0
    base._requires_grad = True
    fresh = view._view_fn(base)
    view.grad_fn = fresh.grad_fn
    view.output_nr = fresh.output_nr
    view._view_version = view._counter().value


def _alias(t):
    """``t`` under another name, with its graph but without being a view."""
    return Tensor._make(t._data, t.device, t._requires_grad, t.grad_fn, t.output_nr)


def mark_multi_view(outputs, base, name, view_fns):
    """Make each output of a multi-output op (split, unbind) a view of ``base``; like torch,
    such views may not be changed in place while their graph is recorded."""
    for nr, (out, fn) in enumerate(zip(outputs, view_fns)):
        _as_view(out, base, fn)
        out._multi_view = (name, nr)
    return outputs


# the rest of the family, re-exported (they import the helpers above)
from . import join, reorder  # noqa: E402
from .join import *  # noqa: E402, F403
from .reorder import *  # noqa: E402, F403

__all__ += join.__all__ + reorder.__all__

# Tensor methods (installed by ember/_methods.py)
METHODS = {
    "view": view, "reshape": reshape, "view_as": view_as, "reshape_as": reshape_as,
    "flatten": flatten, "unflatten": unflatten, "transpose": transpose, "swapaxes": transpose,
    "swapdims": transpose, "permute": permute, "t": t, "movedim": movedim, "moveaxis": movedim,
    "expand": expand, "expand_as": expand_as, "broadcast_to": broadcast_to,
    "squeeze": squeeze, "unsqueeze": unsqueeze, "narrow": narrow,
    "t_": _shape_inplace(t), "transpose_": _shape_inplace(transpose),
    "swapaxes_": _shape_inplace(transpose), "swapdims_": _shape_inplace(transpose),
    "squeeze_": _shape_inplace(squeeze), "unsqueeze_": _shape_inplace(unsqueeze),
    **join.METHODS, **reorder.METHODS,
}
