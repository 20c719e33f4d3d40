"""torch's smaller top-level names, each written with ember ops that already exist (no new
maths): predicates (is_nonzero, is_same_size, ...), aliases (ravel, adjoint, trapz, unsafe_*),
compositions (dist, addr, trapezoid, cholesky_solve, unravel_index, ...), a few factories
(frombuffer, empty_strided) and the ``*_copy`` variants of the views (the view, then a copy).
"""

import operator
import warnings

import numpy as np

from .. import _dtype as D
from ..autograd.function import NoGradNode
from .binary import write_out
from .complex_views import _tensor_argument, view_as_complex, view_as_real
from .creation import empty, tensor
from .cumulative import cumsum
from .diagonal import diagonal
from .indexing import select
from .inverse import solve as _solve
from .join import chunk, split, unbind
from .linalg import outer
from .norms import vector_norm
from .shape import expand, flatten, narrow, permute, squeeze, t, transpose, unsqueeze, view
from .strided import as_strided, unfold

__all__ = [
    "is_nonzero", "is_same_size", "is_signed", "is_inference", "get_device", "adjoint", "ravel",
    "dist", "nextafter", "trapezoid", "trapz", "cumulative_trapezoid", "addr", "cholesky_solve",
    "cholesky_inverse", "split_with_sizes", "unsafe_chunk", "unsafe_split",
    "unsafe_split_with_sizes", "frombuffer", "empty_strided", "fill", "detach", "unravel_index",
    "newaxis",
]

newaxis = None  # torch.newaxis, as numpy's: x[:, torch.newaxis] adds a dim


# ---------------------------------------------------------------------------- predicates

def is_nonzero(input):
    """bool(input) for a one-element tensor. Same as torch.is_nonzero."""
    n = input.numel()
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input._data.reshape(()) != 0)


def is_same_size(input, other):
    """Whether both tensors have the same shape. Same as torch.is_same_size."""
    return tuple(input.shape) == tuple(other.shape)


def is_signed(input):
    return input.is_signed()


def is_inference(input):
    """False: ember's inference_mode is no_grad (see autograd/grad_mode.py) and makes no
    separate kind of tensor."""
    _tensor_argument(input, "is_inference")
    return False


def get_device(input):
    return input.get_device()


def detach(input):
    return input.detach()


# ---------------------------------------------------------------------------- aliases

def adjoint(input):
    """The conjugate transpose of the last two dims. Same as torch.adjoint."""
    if input.ndim < 2:
        raise RuntimeError("tensor.adjoint() is only supported on matrices or batches of "
                           f"matrices. Got {input.ndim}-D tensor.")
    return transpose(input, -2, -1).conj()


def ravel(input):
    """The elements in row-major order as one dim (a view when possible). Same as
    torch.ravel."""
    return flatten(input)


def split_with_sizes(input, split_sizes, dim=0):
    """Pieces of the given sizes along ``dim`` (views). Same as torch.split_with_sizes."""
    sizes = [operator.index(s) for s in split_sizes]
    n = input.shape[dim]
    if sum(sizes) != n or any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input "
                           f"tensor's size at dimension {dim}), but got split_sizes={sizes}")
    return split(input, sizes, dim)


# torch's unsafe_* differ from the plain ones only in autograd bookkeeping of the views they
# return (torch lets them be changed in place); ember returns the same pieces.
def unsafe_chunk(input, chunks, dim=0):
    return chunk(input, chunks, dim)


def unsafe_split(input, split_size, dim=0):
    return split(input, split_size, dim)


def unsafe_split_with_sizes(input, split_sizes, dim=0):
    return split_with_sizes(input, split_sizes, dim)


# ---------------------------------------------------------------------------- compositions

def dist(input, other, p=2):
    """The p-norm of input - other. Same as torch.dist."""
    return vector_norm(input - other, p)


class NextAfter(NoGradNode):
    """The next representable float after x towards y (torch defines no gradient)."""

    def forward(self, x, y):
        return self.xp.nextafter(x, y)


def nextafter(input, other, *, out=None):
    """The next float after input towards other, element-wise. Same as torch.nextafter."""
    dtype = D.result_type(input, other)
    if dtype.category != D.FLOAT or dtype == D.float16 or dtype == D.bfloat16:
        raise NotImplementedError(f"\"nextafter_cpu\" not implemented for '{dtype._short}'")
    return write_out(NextAfter().apply(input.to(dtype), other.to(dtype)), out)


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * outer(vec1, vec2). Same as torch.addr (beta = 0 ignores input,
    NaNs included)."""
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.ndim}-D")
    if input.dtype.category <= D.INT and (isinstance(beta, float) or isinstance(alpha, float)):
        which = "beta" if isinstance(beta, float) else "alpha"
        raise RuntimeError(f"For integral input tensors, argument {which} must not be a "
                           "floating point number.")
    product = outer(vec1, vec2)
    if input.dtype == D.bool:  # torch: logical and/or
        product = product & bool(alpha)
        result = product if not beta else (input & True) | product
        return write_out(result.expand(input.shape) if result.ndim < 2 else result, out)
    scaled = product if alpha == 1 else product * alpha
    if beta == 0:
        # input's values (even NaN and inf) are not read; its gradient is zero, as torch's
        ignored = (input * 0).nan_to_num(0.0, 0.0, 0.0)
        result = ignored + scaled
    else:
        result = (input if beta == 1 else input * beta) + scaled
    return write_out(result, out)


def _trapezoid_terms(y, x, dx, dim, fn):
    """The areas of the trapezoids between neighbouring samples along ``dim``."""
    if y.dtype.category < D.FLOAT:
        y = y.to(D.get_default_dtype())
    n = y.shape[dim]
    left, right = narrow(y, dim, 0, max(n - 1, 0)), narrow(y, dim, min(1, n), max(n - 1, 0))
    if x is None:
        return (left + right) * (dx / 2)
    if x.ndim == 1:
        if x.shape[0] != n:
            raise RuntimeError(f"{fn}: There must be one `x` value for each sample point")
        widths = x[1:] - x[:-1]
        shape = [1] * y.ndim
        shape[dim] = max(n - 1, 0)
        widths = widths.reshape(shape)
    else:
        widths = narrow(x, dim, 1, x.shape[dim] - 1) - narrow(x, dim, 0, x.shape[dim] - 1)
    return (left + right) * widths / 2


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The integral of y (samples along ``dim``) by the trapezoid rule, with sample points x
    or spacing dx (default 1). Same as torch.trapezoid."""
    if x is not None and dx is not None:
        raise TypeError("trapezoid() received an invalid combination of arguments: both x "
                        "and dx were given")
    return _trapezoid_terms(y, x, 1 if dx is None else dx, dim, "trapezoid").sum(dim)


def trapz(y, x=None, *, dx=None, dim=-1):
    """torch.trapz: the older name of trapezoid."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running integral of y by the trapezoid rule (one fewer element along ``dim``).
    Same as torch.cumulative_trapezoid."""
    if x is not None and dx is not None:
        raise TypeError("cumulative_trapezoid() received an invalid combination of arguments: "
                        "both x and dx were given")
    terms = _trapezoid_terms(y, x, 1 if dx is None else dx, dim, "cumulative_trapezoid")
    return cumsum(terms, dim)


def cholesky_solve(B, L, upper=False, *, out=None):
    """X with A X = B, where A = L L^H (or U^H U with upper=True) from its Cholesky factor.
    Same as torch.cholesky_solve."""
    for name, m in (("b", B), ("u", L)):
        if m.ndim < 2:
            raise RuntimeError(f"{name} should have at least 2 dimensions, but has {m.ndim} "
                               "dimensions instead")
    # X = A^-1 B with A rebuilt from the factor: the gradient then reaches every entry of the
    # factor (torch's cholesky_solve gradient is not restricted to the triangle either)
    A = L.mH @ L if upper else L @ L.mH
    X = _solve(A, B)
    return write_out(X, out)


def cholesky_inverse(L, upper=False, *, out=None):
    """The inverse of A = L L^H (or U^H U) from its Cholesky factor. Same as
    torch.cholesky_inverse."""
    if L.ndim < 2:
        raise RuntimeError("cholesky_inverse: The input tensor A must have at least 2 "
                           "dimensions.")
    eye = _identity_like(L)
    return cholesky_solve(eye.expand(L.shape), L, upper, out=out)


def _identity_like(L):
    n = L.shape[-1]
    return tensor(np.eye(n), dtype=L.dtype, device=L.device)


def fill(input, value):
    """A new tensor of input's shape and dtype filled with value (gradient flows to a tensor
    value, not to input). Same as torch.fill."""
    result = input.clone()
    result.fill_(value)
    return result


def unravel_index(indices, shape):
    """The coordinates in a tensor of ``shape`` of flat (row-major) indices, one tensor per dim.
    Same as torch.unravel_index."""
    if not hasattr(indices, "_data"):
        raise TypeError(f"expected 'indices' to be a tensor, but got {type(indices).__name__}")
    if indices.dtype.category > D.INT or indices.dtype == D.bool:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    sizes = [shape] if isinstance(shape, int) else [operator.index(s) for s in shape]
    if any(s < 0 for s in sizes):
        raise ValueError("'shape' cannot have negative values, but got "
                         f"{tuple(sizes)}")
    flat = indices.to(D.int64)
    coords = []
    for size in reversed(sizes):  # the last dim moves fastest
        coords.append(flat % size if size else flat * 0)
        flat = flat // size if size else flat
    return tuple(reversed(coords))


# ---------------------------------------------------------------------------- factories

def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-D tensor sharing the memory of a Python buffer (bytes, bytearray, array, ...).
    Same as torch.frombuffer (a read-only buffer gives a read-only tensor in ember; torch
    warns and lets it be written)."""
    length = memoryview(buffer).nbytes
    item = dtype.itemsize
    if length == 0 or count == 0:
        raise ValueError(f"both buffer length ({length}) and count ({count}) must not be 0")
    if offset < 0 or offset >= length:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than "
                         f"buffer length ({length} bytes) minus 1")
    if count < 0 and (length - offset) % item:
        raise ValueError(f"buffer length ({length - offset} bytes) after offset ({offset} "
                         f"bytes) must be a multiple of element size ({item})")
    if count > 0 and count * item > length - offset:
        raise ValueError(f"requested buffer length ({count} * {item} bytes) after offset "
                         f"({offset} bytes) must not be greater than actual buffer length "
                         f"({length} bytes)")
    array = np.frombuffer(buffer, dtype=dtype.np, count=count, offset=offset)
    if not array.flags.writeable:
        warnings.warn("The given buffer is not writable, and PyTorch does not support "
                      "non-writable tensors.", UserWarning, stacklevel=2)
    from .._device import device as _device
    from .._tensor import Tensor
    t = Tensor._make(array, _device("cpu"))
    if requires_grad:
        t.requires_grad_(True)
    return t


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False):
    """A tensor of ``size`` whose elements sit ``stride`` apart in new memory (filled with
    zeros in ember). Same as torch.empty_strided."""
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    # the storage must reach the farthest element
    needed = 1 + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else 0
    storage = empty(needed, dtype=dtype, layout=layout, device=device, pin_memory=pin_memory)
    result = as_strided(storage, size, stride)
    if requires_grad:
        result.requires_grad_(True)
    return result


# ---------------------------------------------------------------------------- *_copy variants

def _copies(view_fn):
    """The ``*_copy`` form of a view op: the view, then new memory (gradient as the view's)."""
    def copy_variant(input, *args, out=None, **kwargs):
        result = view_fn(input, *args, **kwargs)
        if isinstance(result, tuple):
            return tuple(piece.clone() for piece in result)
        return write_out(result.clone(), out)

    copy_variant.__name__ = view_fn.__name__ + "_copy"
    copy_variant.__doc__ = (f"{view_fn.__name__}, then a copy (new memory). Same as "
                            f"torch.{copy_variant.__name__}.")
    return copy_variant


def _slice(input, dim=0, start=None, end=None, step=1):
    """input[..., start:end:step, ...] along ``dim`` (basic indexing: a view)."""
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    return input[(slice(None),) * (dim % input.ndim) + (slice(start, end, step),)]


_slice.__name__ = "slice"


def _alias(input):
    return input


_alias.__name__ = "alias"

# torch name -> the view op it copies
_VIEWS = {
    "view_copy": view, "permute_copy": permute, "transpose_copy": transpose, "t_copy": t,
    "squeeze_copy": squeeze, "unsqueeze_copy": unsqueeze, "expand_copy": expand,
    "diagonal_copy": diagonal, "select_copy": select, "split_copy": split,
    "unbind_copy": unbind, "unfold_copy": unfold, "narrow_copy": narrow,
    "as_strided_copy": as_strided, "alias_copy": _alias, "detach_copy": detach,
    "view_as_real_copy": view_as_real, "view_as_complex_copy": view_as_complex,
    "split_with_sizes_copy": split_with_sizes, "slice_copy": _slice,
}
for _name, _view in _VIEWS.items():
    globals()[_name] = _copies(_view)
__all__ += list(_VIEWS)

METHODS = {
    "is_nonzero": is_nonzero, "is_same_size": is_same_size, "is_inference": is_inference,
    "adjoint": adjoint, "ravel": ravel, "dist": dist, "nextafter": nextafter, "addr": addr,
    "cholesky_solve": cholesky_solve, "cholesky_inverse": cholesky_inverse,
    "split_with_sizes": split_with_sizes, "unsafe_chunk": unsafe_chunk,
    "unsafe_split": unsafe_split, "unsafe_split_with_sizes": unsafe_split_with_sizes,
    "narrow_copy": globals()["narrow_copy"],
}
INPLACE = {"addr_": addr, "nextafter_": nextafter}
