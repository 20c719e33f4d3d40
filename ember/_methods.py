"""The Tensor methods that are ops: torch's method name -> the op function that does it.

Each op is written once, as a function in ``ember/ops`` whose first argument is the tensor;
this table makes it a method too (``x.exp()`` is ``ember.exp(x)``).  In-place variants
(``x.exp_()``) run the same function and write the result back (``Tensor._inplace``).
"""

from . import _random
from ._tensor import Tensor
from .ops import binary, indexing, linalg, reduction, shape, unary


def _inplace(fn):
    def method(self, *args, **kwargs):
        return self._inplace(fn, *args, **kwargs)

    method.__name__ = fn.__name__ + "_"
    method.__doc__ = f"In-place version of :func:`{fn.__name__}`."
    return method


METHODS = {
    # binary
    "pow": binary.pow, "floor_divide": binary.floor_divide, "remainder": binary.remainder,
    "fmod": binary.fmod, "eq": binary.eq, "ne": binary.ne, "lt": binary.lt, "le": binary.le,
    "gt": binary.gt, "ge": binary.ge, "greater": binary.gt, "greater_equal": binary.ge,
    "less": binary.lt, "less_equal": binary.le, "not_equal": binary.ne,
    "bitwise_and": binary.bitwise_and, "bitwise_or": binary.bitwise_or,
    "bitwise_xor": binary.bitwise_xor, "logical_and": binary.logical_and,
    "logical_or": binary.logical_or, "logical_xor": binary.logical_xor,
    # unary
    "neg": unary.neg, "negative": unary.neg, "abs": unary.abs, "absolute": unary.abs,
    "exp": unary.exp, "log": unary.log, "tanh": unary.tanh, "sigmoid": unary.sigmoid,
    "relu": unary.relu, "sqrt": unary.sqrt, "sign": unary.sign, "trunc": unary.trunc,
    "conj": unary.conj, "bitwise_not": unary.bitwise_not,
    # reductions
    "sum": reduction.sum, "mean": reduction.mean, "sum_to_size": reduction.sum_to_size,
    # shape
    "view": shape.view, "reshape": shape.reshape, "transpose": shape.transpose,
    "swapaxes": shape.transpose, "swapdims": shape.transpose, "permute": shape.permute,
    "t": shape.t, "expand": shape.expand, "broadcast_to": shape.broadcast_to,
    "squeeze": shape.squeeze, "unsqueeze": shape.unsqueeze,
    # indexing
    "masked_fill": indexing.masked_fill, "index_put": indexing.index_put,
    # linear algebra
    "matmul": linalg.matmul, "mm": linalg.mm, "addmm": linalg.addmm,
    # random fills (in place by nature)
    "uniform_": _random.uniform_, "normal_": _random.normal_,
}

INPLACE = {
    "pow_": binary.pow, "floor_divide_": binary.floor_divide, "remainder_": binary.remainder,
    "fmod_": binary.fmod,
    "neg_": unary.neg, "negative_": unary.neg, "abs_": unary.abs, "absolute_": unary.abs,
    "exp_": unary.exp, "log_": unary.log, "tanh_": unary.tanh, "sigmoid_": unary.sigmoid,
    "relu_": unary.relu, "sqrt_": unary.sqrt, "sign_": unary.sign, "trunc_": unary.trunc,
    "masked_fill_": indexing.masked_fill, "index_put_": indexing.index_put,
}


def install():
    for name, fn in METHODS.items():
        setattr(Tensor, name, fn)
    for name, fn in INPLACE.items():
        setattr(Tensor, name, _inplace(fn))
