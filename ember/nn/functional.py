"""nn.functional: the layers' maths as functions (linear, activations, losses, ...)."""

import warnings

from .. import _dtype as D
from .._errors import device_mismatch, dtype_mismatch
from ..ops import binary as _binary
from ..ops import linalg as _linalg
from ..ops import nn as _nn
from ..ops.unary import relu, sigmoid, tanh  # noqa: F401 - part of torch.nn.functional
from .modules.module import current_module_context


def linear(input, weight, bias=None):
    """y = input @ weight^T + bias. Same as torch.nn.functional.linear."""
    if input.device is not weight.device:
        raise device_mismatch(input.device, weight.device, "linear")
    if input.dtype is not weight.dtype:
        raise dtype_mismatch("linear", "mat1", input.dtype, "mat2", weight.dtype)
    # NOTE: the arrays' shapes, not Tensor.shape: that builds a Size each time
    shape, weight_shape = input._data.shape, weight._data.shape
    in_features = weight_shape[-1] if weight_shape else 1
    if not shape or shape[-1] != in_features:
        raise _linear_shape_error(input, weight)
    if bias is not None and len(shape) == 2:
        if len(weight_shape) == 2 and bias.dtype is input.dtype:
            return _linalg.Linear().apply(bias, input, weight)
        return _linalg.addmm(bias, input, weight.t())  # raises addmm's error for these
    out = _linalg.matmul(input, weight.t())
    return out + bias if bias is not None else out


def _linear_shape_error(input, weight):
    rows = 1
    for s in input.shape[:-1]:
        rows *= s
    got = input.shape[-1] if input.ndim else 1
    where = current_module_context()
    place = f"\n  in {where}" if where else ""
    return RuntimeError(
        f"mat1 and mat2 shapes cannot be multiplied ({rows}x{got} and "
        f"{weight.shape[1]}x{weight.shape[0]}){place}: input has {got} features, layer expects "
        f"{weight.shape[1]}\n"
        f"  hint: the input's last dimension must be in_features={weight.shape[1]}; check the "
        "out_features of the layer before, or flatten the input (x.flatten(1)) before this "
        "layer")


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """mean((input - target)^2). Same as torch.nn.functional.mse_loss."""
    if target._data.shape != input._data.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.", stacklevel=2)
    if size_average is not None or reduce is not None:
        from .modules.loss import _legacy_reduction

        reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    input, target = _binary.operands(input, target)
    if input.dtype.category < D.FLOAT:
        raise RuntimeError(f'"mse_cpu" not implemented for \'{input.dtype._short}\'')
    return _binary.apply2(_nn.MseLoss(reduction), input, target)
