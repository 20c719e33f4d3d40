"""Reductions: sum, mean, prod, max/min, var/std, norms, cumulative ops, ...

``dim`` may be None (all dims), an int or a tuple; ``keepdim`` keeps reduced dims as size 1.
Gradients are broadcast back over the reduced dims.
"""

from .. import _dtype as D
from ..autograd.function import Node
from .shape import wrap_dim

__all__ = ["sum", "mean", "sum_to_size"]


def reduce_dims(dim, ndim):
    """``dim`` as a sorted tuple of non-negative dims (all dims for None or ())."""
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


class Sum(Node):
    """y = sum of x over dims          grad_x = grad broadcast over those dims"""

    def __init__(self, dims, keepdim, dtype):
        self.dims = dims
        self.keepdim = keepdim
        self.dtype = dtype

    def forward(self, x):
        return x.sum(axis=self.dims, keepdims=self.keepdim, dtype=self.dtype)

    def backward(self, grad):
        shape, _ = self._input_meta[0]
        grad = unsqueeze_reduced(grad, self.dims, len(shape), self.keepdim)
        return grad.expand(shape)


def _accumulate_dtype(input, dtype):
    """sum/prod of bool and integer tensors is int64, as in torch."""
    if dtype is not None:
        return dtype
    if input.dtype.category <= D.INT:
        return D.int64
    return input.dtype


def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over ``dim`` (all elements by default). Same as torch.sum."""
    dt = _accumulate_dtype(input, dtype)
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
        return x.mean(axis=self.dims, keepdims=self.keepdim)

    def backward(self, grad):
        shape, _ = self._input_meta[0]
        n = 1
        for d in self.dims:
            n *= shape[d]
        grad = unsqueeze_reduced(grad, self.dims, len(shape), self.keepdim)
        return grad.expand(shape) / n


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean over ``dim`` (all elements by default). Same as torch.mean."""
    if dtype is not None:
        input = input.to(dtype)
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
        lead = x.ndim - len(self.shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, s in enumerate(self.shape) if s == 1 and x.shape[lead + i] != 1)
        y = x.sum(axis=axes, keepdims=True) if axes else x
        return y.reshape(self.shape)

    def backward(self, grad):
        return grad.expand(self._input_meta[0][0])


def sum_to_size(input, *size):
    """Sum ``input`` down to ``size`` (the reverse of broadcasting). Same as torch.sum_to_size."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return SumToSize(tuple(size)).apply(input)


# Tensor methods (installed by ember/_methods.py)
METHODS = {"sum": sum, "mean": mean, "sum_to_size": sum_to_size}
