"""nn.functional: the layers' maths as functions. linear and dropout live here; the other
families (activations, losses, convolutions, ...) live in ember/nn/_functional/ and are
re-exported at the end of this file."""

from .._errors import device_mismatch, dtype_mismatch
from ..ops import linalg as _linalg

# NOTE: the activations come first: layers (e.g. TransformerEncoderLayer's default
# activation=F.relu) read them while this module is still being imported
from ._functional.activation import *  # noqa: F403
from .modules.module import current_module_context


def linear(input, weight, bias=None):
    """y = input @ weight^T + bias. Same as torch.nn.functional.linear."""
    if input.device is not weight.device:
        raise device_mismatch(input.device, weight.device, "linear")
    if input._dtype is not weight._dtype:
        raise dtype_mismatch("linear", "mat1", input.dtype, "mat2", weight.dtype)
    # NOTE: the arrays' shapes, not Tensor.shape: that builds a Size each time
    shape, weight_shape = input._data.shape, weight._data.shape
    in_features = weight_shape[-1] if weight_shape else 1
    if not shape or shape[-1] != in_features:
        raise _linear_shape_error(input, weight)
    if bias is not None and len(shape) == 2:
        if len(weight_shape) == 2 and bias._dtype is input._dtype:
            return _linalg.Linear().apply(bias, input, weight)
        return _linalg.addmm(bias, input, weight.t())  # raises addmm's error for these
    if bias is not None and len(shape) > 2 and len(weight_shape) == 2 and bias.dtype is input.dtype:
        # NOTE: (N, L, E) inputs as one (N * L, E) matrix, as torch folds them: one large
        # product, and the weight's gradient without a batch of (E, F) products to sum
        rows = input.reshape(-1, shape[-1])
        return _linalg.Linear().apply(bias, rows, weight).reshape(shape[:-1] + weight_shape[:1])
    out = _linalg.matmul(input, weight.t())
    return out + bias if bias is not None else out


def bilinear(input1, input2, weight, bias=None):
    """y_k = x1^T W_k x2 + b_k for each output k.  Same as torch.nn.functional.bilinear.

    Shapes: input1 (*, in1), input2 (*, in2), weight (out, in1, in2), bias (out) -> (*, out).
    Computed as one matmul, (x1 @ W viewed as in1 x (out * in2)), then a product with x2
    summed over in2; autograd gives the gradients (grad_x1 = sum_k g_k W_k x2, ...).
    """
    _check_bilinear(input1, input2, weight, bias)
    out_features, in1, in2 = weight.shape
    lead = input1.shape[:-1]
    x1 = input1.reshape(-1, in1)
    x2 = input2.reshape(-1, in2)
    mixed = x1 @ weight.permute(1, 0, 2).reshape(in1, out_features * in2)
    y = (mixed.reshape(-1, out_features, in2) * x2.unsqueeze(1)).sum(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(*lead, out_features)


def _check_bilinear(input1, input2, weight, bias):
    if input1.ndim != input2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.ndim} and "
                           f"{input2.ndim}")
    for d in range(input1.ndim - 1):
        if input1.shape[d] != input2.shape[d]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {d}: "
                               f"got {input1.shape[d]} and {input2.shape[d]}")
    where = current_module_context()
    place = f"\n  in {where}" if where else ""
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-D (out, in1, in2), got "
                           f"{weight.ndim}-D")
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{input1.shape[-1]} but expected {weight.shape[1]}{place}\n"
                           f"  hint: input1's last dimension must be "
                           f"in1_features={weight.shape[1]}")
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{input2.shape[-1]} but expected {weight.shape[2]}{place}\n"
                           f"  hint: input2's last dimension must be "
                           f"in2_features={weight.shape[2]}")
    if bias is not None and bias.shape[0] != weight.shape[0]:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{bias.shape[0]} but expected {weight.shape[0]}")


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


# ============================================================================ dropout

import math as _math  # noqa: E402 - the section's own imports, kept next to it

from .. import _dtype as D  # noqa: E402
from .. import _random  # noqa: E402
from ..ops.creation import empty as _empty  # noqa: E402
from ._functional.activation import _SELU_ALPHA, _SELU_SCALE, _write_into  # noqa: E402


def _check_dropout_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _apply_noise(input, noise_shape, p, inplace):
    """input * mask / (1 - p), mask ~ Bernoulli(1 - p) of ``noise_shape`` (broadcast to input).

    NOTE: the mask is drawn as ``empty(...).bernoulli_(1 - p)`` and scaled before the product,
    in that order, so that under the same seed ember's dropout equals torch's bit for bit.
    """
    if p == 1:
        noise = input.new_zeros(())
    elif input.dtype in (D.float32, D.float64) and input.device.type == "cpu":
        # the same draws and values in one pass: 0, or 1 divided by (1 - p) in the input's
        # dtype (what div_ computes)
        noise = _empty(noise_shape, dtype=input.dtype, device=input.device)
        scale = noise._data.dtype.type(1) / noise._data.dtype.type(1 - p)
        _random.scaled_bernoulli_(noise, 1 - p, scale)
    else:
        noise = _empty(noise_shape, dtype=input.dtype, device=input.device).bernoulli_(1 - p)
        noise.div_(1 - p)
    return input.mul_(noise) if inplace else input * noise


def dropout(input, p=0.5, training=True, inplace=False):
    """Zeroes each element with probability p and scales the rest by 1 / (1 - p) (training only)."""
    _check_dropout_p(p)
    if not training or p == 0 or input.numel() == 0:
        return input
    return _apply_noise(input, input.shape, p, inplace)


def _feature_dropout(input, p, training, inplace, name, batched_ndim):
    """Drops whole channels: one draw per (N, C), broadcast over the spatial dims."""
    _check_dropout_p(p)
    if input.ndim not in (batched_ndim - 1, batched_ndim):
        raise RuntimeError(
            f"{name}: Expected {batched_ndim - 1}D or {batched_ndim}D input, but received a "
            f"{input.ndim}D input.")
    if not training or p == 0 or input.numel() == 0:
        return input
    batched = input.ndim == batched_ndim
    x = input if batched else input.unsqueeze(0)
    out = _apply_noise(x, tuple(x.shape[:2]) + (1,) * (x.ndim - 2), p, inplace and batched)
    if batched:
        return out
    out = out.squeeze(0)
    return _write_into(input, out) if inplace else out


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Channel dropout for (N, C, L) or (C, L) inputs."""
    return _feature_dropout(input, p, training, inplace, "dropout1d", 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Channel dropout for (N, C, H, W) or (C, H, W) inputs."""
    return _feature_dropout(input, p, training, inplace, "dropout2d", 4)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Channel dropout for (N, C, D, H, W) or (C, D, H, W) inputs."""
    return _feature_dropout(input, p, training, inplace, "dropout3d", 5)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout that keeps SELU's zero mean and unit variance: dropped values become
    -alpha*scale, then an affine map a * x + b restores the statistics."""
    _check_dropout_p(p)
    if not training or p == 0 or input.numel() == 0:
        return input
    return _alpha_noise(input, input.shape, p, inplace)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """alpha_dropout of whole channels: one draw per (N, C) = input.shape[:2], broadcast over
    the remaining dims (as torch, an unbatched input's first two dims are taken as N, C)."""
    _check_dropout_p(p)
    if not training or p == 0 or input.numel() == 0:
        return input
    if input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return _alpha_noise(input, tuple(input.shape[:2]) + (1,) * (input.ndim - 2), p, inplace)


def _alpha_noise(input, noise_shape, p, inplace):
    """input * keep * a + b, keep ~ Bernoulli(1 - p) of ``noise_shape`` (drawn as torch draws
    it, so the same seed gives torch's mask)."""
    if p == 1:
        return input.mul_(0) if inplace else input * 0
    keep = _empty(noise_shape, dtype=input.dtype, device=input.device).bernoulli_(1 - p)
    alpha = _SELU_ALPHA * _SELU_SCALE  # SELU's negative saturation value is -alpha
    a = 1 / _math.sqrt((alpha * alpha * p + 1) * (1 - p))
    # kept: a x + alpha a p; dropped: alpha a p - alpha a  (= a * (-alpha) + the same shift)
    b = (keep - 1) * (alpha * a) + alpha * a * p
    out = input * (keep * a) + b
    return _write_into(input, out) if inplace else out


# The families below live in their own files (ember/nn/_functional/); their names are part of
# nn.functional as torch's are.
from ._functional.attention import *  # noqa: E402, F403
from ._functional.conv import *  # noqa: E402, F403
from ._functional.ctc import *  # noqa: E402, F403
from ._functional.distance import *  # noqa: E402, F403
from ._functional.fractional import *  # noqa: E402, F403
from ._functional.likelihood_loss import *  # noqa: E402, F403
from ._functional.loss import *  # noqa: E402, F403
from ._functional.margin_loss import *  # noqa: E402, F403
from ._functional.normalization import *  # noqa: E402, F403
from ._functional.padding import *  # noqa: E402, F403
from ._functional.pooling import *  # noqa: E402, F403
from ._functional.sparse import *  # noqa: E402, F403
from ._functional.vision import *  # noqa: E402, F403


def __getattr__(name):
    """Only called for a name this module lacks: torch's name and ember.check in the error."""
    from .._missing import missing_name

    raise missing_name(__name__, name)
