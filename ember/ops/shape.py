"""Shape ops: views (view, reshape, transpose, permute, expand, squeeze, unsqueeze), copies, and
joining/splitting tensors.

A view shares memory and the version counter with its base (``Node.view_fn`` marks the op
as a view and says how to redo it from the base); changing a view in place changes the base,
and ``rebase_view_history`` keeps the graph of the base right.
"""

from .. import _dtype as D
from .._tensor import Size, Tensor
from ..autograd.function import Node

__all__ = ["clone", "view", "reshape", "transpose", "swapaxes", "swapdims", "permute", "t",
           "expand", "broadcast_to", "squeeze", "unsqueeze"]


def _size_args(size):
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f(ember.Size([2, 3]))``."""
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = size[0]
    return tuple(int(s) for s in size)


def wrap_dim(dim, ndim):
    """A dim in [-ndim, ndim) as a non-negative index; torch's IndexError otherwise."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n


class Clone(Node):
    """y = copy of x          dy/dx = identity"""

    def forward(self, x):
        return x.copy()

    def backward(self, grad):
        return grad


def clone(input, *, memory_format=None):
    """A copy with its own memory. Same as torch.clone."""
    return Clone().apply(input)


def _infer_size(shape, numel):
    """Resolve one -1 in ``shape``; torch's error when the sizes do not fit."""
    shape = list(shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape[shape.index(-1)] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


class View(Node):
    """y = x with another shape (same memory)          grad_x = grad reshaped back"""

    _name = "ViewBackward0"

    def __init__(self, shape, must_view):
        self.shape = shape
        self.must_view = must_view

    def forward(self, x):
        shape = _infer_size(self.shape, x.size)
        y = x.reshape(shape)
        if not self.xp.may_share_memory(x, y) and x.size:
            if self.must_view:
                raise RuntimeError(
                    "view size is not compatible with input tensor's size and stride (at least "
                    "one dimension spans across two contiguous subspaces). Use .reshape(...) "
                    "instead.")
            self._name = "CloneBackward0"
            return y  # reshape had to copy: not a view
        self.view_fn = lambda base: base.view(shape)
        return y

    def backward(self, grad):
        return grad.reshape(self._input_meta[0][0])


def view(input, *shape):
    """The same memory seen with another shape (or, given a dtype, reinterpreted)."""
    if len(shape) == 1 and isinstance(shape[0], D.dtype):
        raise NotImplementedError("ember does not support Tensor.view(dtype) (reinterpreting "
                                  "bytes); use .to(dtype) to convert values")
    return View(_size_args(shape), True).apply(input)


def reshape(input, *shape):
    """Another shape: a view when the memory allows, else a copy. Same as torch.reshape."""
    return View(_size_args(shape), False).apply(input)


class Transpose(Node):
    """y = x with two dims swapped          grad_x = grad with them swapped back"""

    def __init__(self, dim0, dim1, name="TransposeBackward0"):
        self.dim0 = dim0
        self.dim1 = dim1
        self._name = name

    def forward(self, x):
        d0, d1 = self.dim0, self.dim1
        self.view_fn = lambda base: base.transpose(d0, d1)
        return self.xp.swapaxes(x, d0, d1)

    def backward(self, grad):
        return grad.transpose(self.dim0, self.dim1)


def transpose(input, dim0, dim1):
    """Swap two dims (a view). Same as torch.transpose."""
    n = input._data.ndim
    return Transpose(wrap_dim(dim0, n), wrap_dim(dim1, n)).apply(input)


swapaxes = transpose
swapdims = transpose


def t(input):
    """Transpose a matrix (0-D and 1-D tensors are returned as they are)."""
    n = input._data.ndim
    if n > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {n}D")
    if n < 2:
        return View(input._data.shape, True).apply(input)
    return Transpose(0, 1, "TBackward0").apply(input)


class Permute(Node):
    """y = x with dims reordered          grad_x = grad with the inverse order"""

    def __init__(self, dims):
        self.dims = dims

    def forward(self, x):
        dims = self.dims
        self.view_fn = lambda base: base.permute(dims)
        return x.transpose(dims)

    def backward(self, grad):
        inverse = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inverse[d] = i
        return grad.permute(inverse)


def permute(input, *dims):
    """Reorder the dims (a view). Same as torch.permute."""
    dims = _size_args(dims)
    n = input._data.ndim
    if len(dims) != n:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {n} is not equal to len(dims) = {len(dims)}")
    dims = tuple(wrap_dim(d, n) for d in dims)
    if len(set(dims)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute(dims).apply(input)


class Expand(Node):
    """y = x broadcast to a larger shape (no copy)          grad_x = grad summed back"""

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        shape = self.shape
        self.view_fn = lambda base: base.expand(shape)
        return self.xp.broadcast_to(x, shape)

    def backward(self, grad):
        return grad  # the engine sums it back to the input's shape


def expand(input, *sizes):
    """Broadcast to ``sizes`` (-1 keeps a dim) without copying. Same as torch.expand."""
    sizes = _size_args(sizes)
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand(ember.{input.type().split('.')[-1]}{{{list(shape)}}}, size={list(sizes)}): "
            "the number of sizes provided "
            f"({len(sizes)}) must be greater or equal to the number of dimensions in the tensor "
            f"({len(shape)})")
    lead = len(sizes) - len(shape)
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a "
                                   "leading, non-existing dimension 0")
            target.append(s)
            continue
        old = shape[i - lead]
        if s == -1:
            target.append(old)
        elif old == 1 or old == s:
            target.append(s)
        else:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({old}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                f"{list(shape)}")
    return Expand(tuple(target)).apply(input)


def broadcast_to(input, size):
    return expand(input, size)


class Squeeze(Node):
    """y = x without some size-1 dims          grad_x = grad reshaped back"""

    def __init__(self, dims, name):
        self.dims = dims
        self._name = name

    def forward(self, x):
        shape = tuple(s for i, s in enumerate(x.shape) if i not in self.dims)
        self.view_fn = lambda base: base.view(shape)
        return x.reshape(shape)

    def backward(self, grad):
        return grad.reshape(self._input_meta[0][0])


def squeeze(input, dim=None):
    """Remove size-1 dims (all, or those of ``dim``, an int or tuple). Same as torch.squeeze."""
    shape = input._data.shape
    if dim is None:
        dims = tuple(i for i, s in enumerate(shape) if s == 1)
        name = "SqueezeBackward0"
    else:
        given = dim if isinstance(dim, (tuple, list)) else (dim,)
        dims = tuple(wrap_dim(d, len(shape)) for d in given)
        dims = tuple(d for d in dims if len(shape) and shape[d] == 1)
        name = "SqueezeBackward1" if not isinstance(dim, (tuple, list)) else "SqueezeBackward2"
    return Squeeze(dims, name).apply(input)


class Unsqueeze(Node):
    """y = x with a new size-1 dim          grad_x = grad without it"""

    def __init__(self, dim):
        self.dim = dim

    def forward(self, x):
        dim = self.dim
        self.view_fn = lambda base: base.unsqueeze(dim)
        return self.xp.expand_dims(x, dim)

    def backward(self, grad):
        return grad.squeeze(self.dim)


def unsqueeze(input, dim):
    """Insert a size-1 dim at ``dim``. Same as torch.unsqueeze."""
    return Unsqueeze(wrap_dim(dim, input._data.ndim + 1)).apply(input)


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
        mask = grad.new_ones(grad.shape)
        with _no_grad():
            self.view_fn_of_base(mask).zero_()
        grad_base = grad * mask if self.needs_input_grad[0] else None
        grad_view = self.view_fn_of_base(grad) if self.needs_input_grad[1] else None
        return grad_base, grad_view


def _no_grad():
    from ..autograd.grad_mode import no_grad

    return no_grad()


def rebase_view_history(view, result):
    """After ``view`` took ``result``'s values in place, make its base's graph include it."""
    base = view._base
    if base._requires_grad and base.grad_fn is None:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place "
            "operation.")
    node = CopySlices(view._view_fn)
    new_base = node.apply(_alias(base), result)
    base.grad_fn = new_base.grad_fn
    base.output_nr = 0
    base._requires_grad = True
    fresh = view._view_fn(_alias(base))
    view.grad_fn = fresh.grad_fn
    view.output_nr = fresh.output_nr


def _alias(t):
    """``t`` under another name, with its graph but without being a view."""
    return Tensor._make(t._data, t.device, t._requires_grad, t.grad_fn, t.output_nr)


# Tensor methods (installed by ember/_methods.py)
METHODS = {
    "view": view, "reshape": reshape, "transpose": transpose, "swapaxes": transpose,
    "swapdims": transpose, "permute": permute, "t": t, "expand": expand,
    "broadcast_to": broadcast_to, "squeeze": squeeze, "unsqueeze": unsqueeze,
}
