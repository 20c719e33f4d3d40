"""torch's small tail of top-level names and Tensor methods (issue 20), each written with ember
ops that already exist: igamma/igammac (= special.gammainc/gammaincc), index_reduce (with
scatter_reduce), nonzero_static, empty_permuted, cond, the element-wise Python-function
methods (apply_, map_, map2_), the deprecated resize/resize_as, new_empty_strided, dim_order,
and the answers to questions about memory and backends that have one answer in ember
(is_pinned, is_nested, ...).
"""

import warnings

from .. import _device
from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from .creation import empty, full, tensor
from .scatter import scatter_reduce
from .selection import nonzero
from .shape import permute, reshape
from .special_functions import gammainc, gammaincc
from .toplevel_tail import empty_strided

__all__ = ["igamma", "igammac", "index_reduce", "nonzero_static", "empty_permuted", "cond",
           "set_flush_denormal", "init_num_threads"]


# ---------------------------------------------------------------------------- aliases

def igamma(input, other, *, out=None):
    """The regularized lower incomplete gamma function P(input, other). Same as
    torch.igamma (= torch.special.gammainc)."""
    return gammainc(input, other, out=out)


def igammac(input, other, *, out=None):
    """The regularized upper incomplete gamma function Q(input, other) = 1 - P. Same as
    torch.igammac (= torch.special.gammaincc)."""
    return gammaincc(input, other, out=out)


# ---------------------------------------------------------------------------- index_reduce

_INDEX_REDUCTIONS = ("prod", "mean", "amax", "amin")
_warned = []  # torch warns once per process that index_reduce is in beta


def index_reduce(input, dim, index, source, reduce, *, include_self=True, out=None):
    """Reduce slice k of ``source`` (along ``dim``) into slice ``index[k]`` of ``input``:
    prod, mean, amax or amin, with input's own values when ``include_self``.  It is
    scatter_reduce with the 1-D index spread over the other dims of ``source``."""
    return _index_reduce(input, dim, index, source, reduce, include_self, "index_reduce", out)


def _index_reduce(input, dim, index, source, reduce, include_self, api, out=None):
    if reduce not in _INDEX_REDUCTIONS:
        raise RuntimeError(f"{api}(): Expected reduce to be one of prod, mean, amax or amin "
                           f"but got {reduce}.")
    if index.dtype not in (D.int32, D.int64):
        raise RuntimeError(f"index_reduce_(): Expected dtype int32/int64 for index but got: "
                           f"{index.dtype._short}")
    dim = dim + source.dim() if dim < 0 else dim
    if index.dim() > 1:
        raise IndexError("index_reduce_(): Index is supposed to be a vector")
    if index.numel() != (source.shape[dim] if source.dim() else 1):
        raise RuntimeError(f"index_reduce_(): Number of indices ({index.numel()}) should be "
                           f"equal to source.size(dim): ({source.shape[dim]}), for dim: {dim}")
    size = input.shape[dim] if input.dim() else 1
    if index.numel() and (int(index.max()) >= size or int(index.min()) < -size):
        raise IndexError("index out of range in self")
    if not _warned:
        _warned.append(True)
        warnings.warn("index_reduce() is in beta and the API may change at any time.",
                      stacklevel=3)
    # the index of source's element (.., k, ..) is index[k]: a column along dim, broadcast
    column = [1] * source.dim()
    column[dim] = -1
    spread = reshape(index.to(D.int64), column).expand(source.shape)
    result = scatter_reduce(input, dim, spread, source, reduce, include_self=include_self)
    if out is not None:
        out.copy_(result)
        return out
    return result


def _index_reduce_method(self, dim, index, source, reduce, *, include_self=True):
    return _index_reduce(self, dim, index, source, reduce, include_self, "index_reduce")


def _index_reduce_inplace(self, dim, index, source, reduce, *, include_self=True):
    return self._inplace(_index_reduce, dim, index, source, reduce, include_self,
                         "index_reduce_")


# ---------------------------------------------------------------------------- factories, nonzero

def nonzero_static(input, *, size, fill_value=-1):
    """The indices of the non-zero elements as a (size, ndim) tensor: the first ``size`` of
    nonzero(input), padded with rows of ``fill_value``."""
    if not isinstance(size, int) or size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    found = nonzero(input)
    if found.shape[0] >= size:
        return found[:size].clone()
    pad = full((size - found.shape[0], input.dim()), fill_value, dtype=D.int64,
               device=input.device)
    from .join import cat

    return cat([found, pad])


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None,
                   requires_grad=False, pin_memory=False):
    """A tensor of ``size`` whose memory holds the dims in the order ``physical_layout``
    (outermost first): new memory of the permuted shape, viewed back with the inverse
    permutation.  ``empty_permuted((N, C, H, W), (0, 2, 3, 1))`` is channels-last."""
    size, order = tuple(size), tuple(physical_layout)
    if len(size) != len(order):
        raise RuntimeError("Number of dimensions in size does not match the length of the "
                           f"physical_layout; i.e. len(size) = {len(size)} is not equal to "
                           f"len(physical_layout) = {len(order)}")
    if sorted(order) != list(range(len(order))):
        raise RuntimeError("Duplicate dim not allowed" if len(set(order)) < len(order)
                           else f"Dimension out of range (got {order})")
    memory = empty([size[d] for d in order], dtype=dtype, layout=layout, device=device,
                   pin_memory=pin_memory)
    inverse = [order.index(d) for d in range(len(order))]
    result = permute(memory, inverse)
    if requires_grad:
        result.requires_grad_(True)
    return result


# ---------------------------------------------------------------------------- cond

def cond(pred, true_fn, false_fn, operands=()):
    """``true_fn(*operands)`` if ``pred`` else ``false_fn(*operands)``: torch.cond's eager
    meaning (ember has no compiler to trace both branches).  ``pred`` is a bool, a number or
    a one-element tensor."""
    if isinstance(pred, Tensor):
        if pred.numel() != 1:
            raise RuntimeError(f"Expected pred to be bool or single-element tensor, but got "
                               f"{pred}.")
        pred = bool(pred.item())
    return true_fn(*operands) if pred else false_fn(*operands)


# ---------------------------------------------------------------------------- runtime switches

def set_flush_denormal(mode):
    """torch makes the CPU treat denormal floats as zero when the CPU supports it and says
    whether it could.  NumPy gives no control over that, so ember can keep denormals (True for
    ``mode=False``) but not flush them (False for ``mode=True``)."""
    return not mode


def init_num_threads():
    """torch initialises its thread pool for the calling thread; ember's NumPy needs nothing
    (see ember.set_num_threads)."""
    return None


# ---------------------------------------------------------------------------- Tensor methods

def _apply_elementwise(self, api, fn, others=()):
    """``fn`` on each element (as a Python number) of self and of ``others`` broadcast to
    self's shape, written back into self.  CPU only, as torch."""
    if self.requires_grad:
        raise RuntimeError(f"Can't call {api}() on Variable that requires grad. Use "
                           f"var.detach().{api}() instead.")
    if self.device.type != "cpu":
        raise RuntimeError(f"{api}_ is only implemented on CPU tensors")
    columns = [self._data.ravel().tolist()]
    for other in others:
        columns.append(other.expand(self.shape)._data.ravel().tolist())
    values = [fn(*row) for row in zip(*columns)]
    with no_grad():
        self.copy_(tensor(values, dtype=self.dtype).reshape(self.shape))
    return self


def apply_(self, callable):
    """Replace each element x by ``callable(x)`` (a Python function, element by element;
    slow, CPU only). Same as torch.Tensor.apply_."""
    return _apply_elementwise(self, "apply_", callable)


def map_(self, tensor, callable):
    """Replace each element x by ``callable(x, y)``, y the matching element of ``tensor``
    (broadcast to self's shape). Same as torch.Tensor.map_."""
    return _apply_elementwise(self, "map_", callable, (tensor,))


def map2_(self, x, y, callable):
    """Replace each element a by ``callable(a, b, c)`` with b, c from ``x`` and ``y``
    (broadcast). Same as torch.Tensor.map2_."""
    return _apply_elementwise(self, "map2_", callable, (x, y))


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def resize(self, *sizes):
    """Deprecated in torch: ``self`` reshaped to ``sizes`` (the number of elements must stay
    the same; torch warns and says so)."""
    warnings.warn("non-inplace resize is deprecated", stacklevel=2)
    return _resize(self, sizes)


def resize_as(self, tensor):
    """Deprecated in torch: ``self.resize(tensor.size())``."""
    warnings.warn("non-inplace resize_as is deprecated", stacklevel=2)
    return _resize(self, tuple(tensor.shape))


def _resize(self, sizes):
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    if _numel(sizes) != self.numel():
        shown = "x".join(str(s) for s in sizes)
        mine = "x".join(str(s) for s in self.shape)
        raise RuntimeError(f"requested resize to {shown} ({_numel(sizes)} elements in total), "
                           f"but the given tensor has a size of {mine} ({self.numel()} "
                           "elements). autograd's resize can only change the shape of a given "
                           "tensor, while preserving the number of elements. ")
    return reshape(self.contiguous(), sizes)


def new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False,
                      layout=None, pin_memory=False):
    """empty_strided with self's dtype and device unless given."""
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError(f"dimensionality of sizes ({len(size)}) must match dimensionality "
                           f"of strides ({len(stride)})")
    return empty_strided(size, stride, dtype=D.check_dtype(dtype, "new_empty_strided")
                         or self.dtype, layout=layout, device=device or self.device,
                         requires_grad=requires_grad, pin_memory=pin_memory)


def dim_order(self, *, ambiguity_check=False):
    """The dims from outermost to innermost in memory (largest stride first; ties keep the
    dims' order).  ``ambiguity_check=True`` raises when the order is not unique (a dim of
    size 1, or two equal strides)."""
    strides = self.stride()
    order = tuple(sorted(range(self.dim()), key=lambda d: -strides[d]))
    if not isinstance(ambiguity_check, bool):
        raise NotImplementedError("ember's dim_order takes ambiguity_check as a bool (not a "
                                  "list of memory formats)")
    if ambiguity_check and (1 in self.shape or len(set(strides)) < len(strides)):
        raise RuntimeError("The tensor does not have unique dim order, or cannot map to exact "
                           "one of the given memory formats.")
    return order


def const_data_ptr(self):
    """The address of the first element (data_ptr; ember has no read-only pointers)."""
    return self.data_ptr()


def is_pinned(self, device=None):
    """False: NumPy memory is never pinned (page-locked) for an accelerator (``device``, torch's
    deprecated argument, must still name a device)."""
    if device is not None:
        _device.device(device)
    return False


def pin_memory(self, device=None):
    """torch copies the tensor into page-locked memory for fast accelerator transfers.  Without
    an accelerator torch raises; with one, ember's copy is the tensor itself (NumPy has no
    pinned memory; the values are the same).  ``device``: the accelerator to pin for."""
    if device is not None:
        _device.device(device)
    if not _device.cuda_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")
    return self


def _false(self):
    return False


METHODS = {
    "igamma": igamma, "igammac": igammac, "index_reduce": _index_reduce_method,
    "nonzero_static": nonzero_static, "apply_": apply_, "map_": map_, "map2_": map2_,
    "resize": resize, "resize_as": resize_as, "new_empty_strided": new_empty_strided,
    "dim_order": dim_order, "const_data_ptr": const_data_ptr, "is_pinned": is_pinned,
    "pin_memory": pin_memory,
    "index_reduce_": _index_reduce_inplace,
    # backends and layouts ember never has
    "is_nested": property(_false), "is_xla": property(_false), "is_ipu": property(_false),
    "is_maia": property(_false), "is_mtia": property(_false), "is_mkldnn": property(_false),
    "name": property(lambda self: None),  # torch's named-tensor name of a plain tensor
}
INPLACE = {"igamma_": igamma, "igammac_": igammac}
