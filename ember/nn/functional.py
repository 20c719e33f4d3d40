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


def _reduce(loss, reduction):
    """Apply a loss's ``reduction``: 'mean', 'sum' or 'none'."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


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


# ============================================================================ activations
#
# Each activation is composed from ember ops, so autograd derives its gradient; the comments
# note where the composition is chosen to give torch's gradient at a kink.  ``inplace=True``
# writes the result into ``input`` (``copy_`` bumps its version, as torch's in-place ops do).

import math as _math  # noqa: E402 - the section's own imports, kept next to it

from ..autograd.grad_mode import state as _grad_state  # noqa: E402
from ..ops import nn as _nn_ops  # noqa: E402
from ..ops.binary_math import where as _where  # noqa: E402
from ..ops.floating import erf as _erf  # noqa: E402
from ..ops.unary import relu as _relu  # noqa: E402


def _write_into(input, result):
    """``input`` overwritten with ``result`` (torch's in-place activations), returned."""
    input.copy_(result)
    return input


def _source(input):
    """The tensor an in-place activation reads: a clone when autograd records, so that the
    values the graph saves are not the ones about to be overwritten."""
    if _grad_state.enabled and input.requires_grad:
        return input.clone()
    return input


def relu(input, inplace=False):  # noqa: F811 - torch's signature over the plain op
    """max(input, 0). Same as torch.nn.functional.relu."""
    if inplace:
        return input.relu_()
    return _relu(input)


def relu_(input):
    return input.relu_()


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope * x. NOTE: the gradient at 0 is negative_slope, as torch."""
    if inplace:
        return _write_into(input, leaky_relu(_source(input), negative_slope))
    return _where(input > 0, input, input * negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, inplace=True)


def elu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha * (exp(x) - 1)."""
    if inplace:
        return _write_into(input, elu(_source(input), alpha))
    return _where(input > 0, input, input.expm1() * alpha)


def elu_(input, alpha=1.0):
    return elu(input, alpha, inplace=True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    """scale * elu(x, alpha) with the self-normalising constants (alpha~1.6733, scale~1.0507)."""
    if inplace:
        return _write_into(input, selu(_source(input)))
    return _where(input > 0, input * _SELU_SCALE, input.expm1() * (_SELU_ALPHA * _SELU_SCALE))


def celu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha * (exp(x / alpha) - 1)."""
    if inplace:
        return _write_into(input, celu(_source(input), alpha))
    return _where(input > 0, input, (input / alpha).expm1() * alpha)


def gelu(input, approximate="none"):
    """x * Phi(x) (Phi: the standard normal CDF), or its tanh approximation
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) when approximate='tanh'."""
    if approximate == "none":
        return input * 0.5 * (1 + _erf(input * _math.sqrt(0.5)))
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * _math.sqrt(2 / _math.pi)
        return input * 0.5 * (1 + inner.tanh())
    raise RuntimeError("approximate argument must be either none or tanh.")


def silu(input, inplace=False):
    """x * sigmoid(x)."""
    if inplace:
        return _write_into(input, silu(_source(input)))
    return input * input.sigmoid()


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    if inplace:
        return _write_into(input, mish(_source(input)))
    return input * softplus(input).tanh()


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (for stability)."""
    scaled = input * beta
    # NOTE: exp sees at most ``threshold``, so the branch where() drops never overflows (an inf
    # there would turn its zero gradient into 0 * inf = NaN).
    smooth = scaled.clamp(max=threshold).exp().log1p() / beta
    return _where(scaled > threshold, input, smooth)


def softsign(input):
    """x / (1 + |x|)."""
    return input / (input.abs() + 1)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """clamp(x, min_val, max_val). NOTE: the gradient is 0 at both bounds, as torch."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if inplace:
        return _write_into(input, hardtanh(_source(input), min_val, max_val))
    inside = (input > min_val) & (input < max_val)
    return _where(inside, input, input.detach().clamp(min_val, max_val))


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):
    """min(max(x, 0), 6) (hardtanh(x, 0, 6), with its gradients)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardsigmoid(input, inplace=False):
    """0 for x <= -3, 1 for x >= 3, x / 6 + 1/2 between."""
    if inplace:
        return _write_into(input, hardsigmoid(_source(input)))
    inside = (input > -3) & (input < 3)
    return _where(inside, input / 6 + 0.5, (input.detach() / 6 + 0.5).clamp(0, 1))


def hardswish(input, inplace=False):
    """x * hardsigmoid(x): 0 for x <= -3, x for x >= 3, x (x + 3) / 6 between.
    NOTE: at the ends the gradient is that of the outer pieces (0 at -3, 1 at 3), as torch."""
    if inplace:
        return _write_into(input, hardswish(_source(input)))
    middle = _where(input < 3, input * (input + 3) / 6, input)
    return _where(input <= -3, input * 0, middle)


def logsigmoid(input):
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|."""
    return -softplus(-input)


def tanh(input):  # noqa: F811 - the same op, documented here
    """Element-wise tanh. Same as torch.nn.functional.tanh."""
    return input.tanh()


def sigmoid(input):  # noqa: F811
    """1 / (1 + exp(-x)). Same as torch.nn.functional.sigmoid."""
    return input.sigmoid()


def threshold(input, threshold, value, inplace=False):
    """x if x > threshold else value."""
    return _threshold(input, threshold, value, inplace)


def threshold_(input, threshold, value):
    return _threshold(input, threshold, value, True)


def _threshold(input, limit, value, inplace):
    if inplace:
        return _write_into(input, _threshold(_source(input), limit, value, False))
    return _where(input > limit, input, value)


def prelu(input, weight):
    """x if x > 0 else a * x, with a learnable ``weight`` a of 1 or C (channel dim 1) values."""
    if weight.numel() != 1 and input.ndim >= 2:
        if weight.numel() != input.shape[1]:
            raise RuntimeError(
                f"Mismatch of parameter numbers and input channel size. Found parameter numbers "
                f"= {weight.numel()} and channel size = {input.shape[1]}.")
        weight = weight.reshape((input.shape[1],) + (1,) * (input.ndim - 2))
    return _where(input > 0, input, weight * input)


def _softmax_dim(name, ndim):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x_i) / sum_j exp(x_j) along ``dim``."""
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim)
    return _nn_ops.softmax(input, dim, dtype=dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along ``dim``."""
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    return _nn_ops.softmax(-input, dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log(softmax(x)) along ``dim``, computed stably in one node."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim)
    return _nn_ops.log_softmax(input, dim, dtype=dtype)


# ============================================================================ dropout

from ..autograd.function import Node as _Node  # noqa: E402
from ..ops.binary import quiet as _quiet  # noqa: E402
from ..ops.creation import empty as _empty  # noqa: E402
from ..ops.creation import empty_like as _empty_like  # noqa: E402


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
    if p == 1:
        return input.mul_(0) if inplace else input * 0
    keep = _empty_like(input).bernoulli_(1 - p)
    alpha = _SELU_ALPHA * _SELU_SCALE  # SELU's negative saturation value is -alpha
    a = 1 / _math.sqrt((alpha * alpha * p + 1) * (1 - p))
    # kept: a x + alpha a p; dropped: alpha a p - alpha a  (= a * (-alpha) + the same shift)
    b = (keep - 1) * (alpha * a) + alpha * a * p
    out = input * (keep * a) + b
    return _write_into(input, out) if inplace else out


# ============================================================================ losses

def _legacy(size_average, reduce, reduction):
    if size_average is None and reduce is None:
        return reduction
    from .modules.loss import _legacy_reduction

    return _legacy_reduction(size_average, reduce, reduction)


def _check_reduction(reduction):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _warn_broadcast(input, target):
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.", stacklevel=3)


def _weighted_reduce(loss, weight, reduction):
    _check_reduction(reduction)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """|input - target|, reduced. Same as torch.nn.functional.l1_loss."""
    _warn_broadcast(input, target)
    reduction = _legacy(size_average, reduce, reduction)
    return _weighted_reduce((input - target).abs(), weight, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where |d| < delta, else delta (|d| - delta / 2), with d = input - target."""
    _warn_broadcast(input, target)
    d = input - target
    a = d.abs()
    loss = _where(a < delta, d * d * 0.5, (a - 0.5 * delta) * delta)
    return _weighted_reduce(loss, weight, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - beta / 2 (l1_loss when beta = 0)."""
    _warn_broadcast(input, target)
    reduction = _legacy(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = input - target
    a = d.abs()
    if beta == 0:
        return _weighted_reduce(a, None, reduction)
    loss = _where(a < beta, d * d * (0.5 / beta), a - 0.5 * beta)
    return _weighted_reduce(loss, None, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-target * input)), reduced (targets are +1 / -1)."""
    reduction = _legacy(size_average, reduce, reduction)
    return _weighted_reduce((-target * input).exp().log1p(), None, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """target * (log(target) - input) (input holds log-probabilities), reduced; 'batchmean'
    divides the sum by the batch size, the mathematical KL divergence."""
    reduction = _legacy(size_average, reduce, reduction)
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.", stacklevel=2)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = target.xlogy(target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _weighted_reduce(loss, None, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) where target = 1, max(0, cos(x1, x2) - margin) where target = -1."""
    reduction = _legacy(size_average, reduce, reduction)
    eps = 1e-12
    dot = (input1 * input2).sum(-1)
    mag = ((input1 * input1).sum(-1) + eps) * ((input2 * input2).sum(-1) + eps)
    cos = dot / mag.sqrt()
    pos = _where(target == 1, 1 - cos, cos * 0)
    neg = _where(target == -1, (cos - margin).clamp(min=0), cos * 0)
    return _weighted_reduce(pos + neg, None, reduction)


class _BinaryCrossEntropy(_Node):
    """l = -(t log(x) + (1 - t) log(1 - x)), each log clamped to >= -100 (so x = 0 or 1 gives a
    finite loss); dl/dx = (x - t) / max(x (1 - x), 1e-12), dl/dt = log(1 - x) - log(x)."""

    @_quiet

    def forward(self, x, t):
        xp = self.xp
        log_x = xp.maximum(xp.log(x), -100)
        log_1mx = xp.maximum(xp.log1p(-x), -100)
        self.save(x, t)
        return ((t - 1) * log_1mx - t * log_x).astype(x.dtype, copy=False)

    def backward(self, grad):
        x, t = self.saved
        grad_x = grad_t = None
        if self.needs_input_grad[0]:
            grad_x = grad * (x - t) / (x * (1 - x)).clamp(min=1e-12)
        if self.needs_input_grad[1]:
            # NOTE: unclamped, as torch: infinite where x is 0 or 1
            grad_t = grad * ((-x).log1p() - x.log())
        return grad_x, grad_t


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """-(t log(x) + (1 - t) log(1 - x)) for probabilities x in [0, 1], reduced."""
    reduction = _legacy(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}) is deprecated. Please ensure they have the same size."
            + _bce_shape_hint(input, target))
    if input.numel() and not bool(((input >= 0) & (input <= 1)).all()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    if target.dtype is not input.dtype:
        target = target.to(input.dtype)
    loss = _BinaryCrossEntropy().apply(input, target)
    return _weighted_reduce(loss, weight, reduction)


def _bce_shape_hint(input, target):
    return (f"\n  ember: input has shape {tuple(input.shape)} and target {tuple(target.shape)}; "
            "make them match, e.g. target.view_as(input) or input.squeeze(-1) for a (N, 1) "
            "model output")


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """-(pos_weight t log(sigmoid(x)) + (1 - t) log(1 - sigmoid(x))), computed from the logits
    x without forming sigmoid(x), so it stays finite for large |x|."""
    reduction = _legacy(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Target size ({target.shape}) must be the same as input size ({input.shape})"
            + _bce_shape_hint(input, target))
    # -log(sigmoid(x)) = softplus(-x); (1 - t) x + softplus(-x) is the loss for pos_weight = 1
    neg_log_sig = softplus(-input)
    if pos_weight is not None:
        loss = (1 - target) * input + ((pos_weight - 1) * target + 1) * neg_log_sig
    else:
        loss = (1 - target) * input + neg_log_sig
    return _weighted_reduce(loss, weight, reduction)


def _nll_check(input, target, weight, hint):
    if input.ndim == 0:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if input.ndim == 1 and target.ndim > 0 or input.ndim == 2 and target.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported"
                           + (hint("shape") if hint else ""))
    if input.ndim >= 2 and target.ndim >= 1 and input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0]}).")
    if input.ndim > 2:
        expected = [input.shape[0], *input.shape[2:]]
        if list(target.shape) != expected:
            raise RuntimeError(f"Expected target size {expected}, got {list(target.shape)}")
    if target.dtype not in (D.int64, D.uint8):
        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {_dtype_title(target.dtype)}"
            + (hint("dtype") if hint else ""))
    classes = input.shape[1] if input.ndim >= 2 else input.shape[0]
    if weight is not None and weight.numel() != classes:
        raise RuntimeError(
            f"weight tensor should be defined either for all {classes} classes or no classes "
            f"but got weight tensor of shape: {list(weight.shape)}")


def _dtype_title(dtype):
    """torch's scalar-type name in errors: Long, Float, Int, Double, ..."""
    names = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
             "float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
             "bool": "Bool"}
    short = str(dtype).split(".")[-1]
    return names.get(short, short)


def _class_last(input, target):
    """(input with the class dim last, target) with a batch dim even for a single sample."""
    if input.ndim == 1:
        return input.unsqueeze(0), target.reshape(1)
    return input.movedim(1, -1), target


def _picked_and_weights(logp, target, weight, ignore_index):
    """-logp[target] and the weight of each sample (0 where target == ignore_index)."""
    classes = logp.shape[-1]
    target = target.long()
    valid = target != ignore_index
    safe = _where(valid, target, 0)
    bad = (safe < 0) | (safe >= classes)
    if bool(bad.any()):
        raise IndexError(f"Target {int(target[bad].reshape(-1)[0].item())} is out of bounds.")
    picked = logp.gather(-1, safe.unsqueeze(-1)).squeeze(-1)
    if weight is None:
        w = valid.to(logp.dtype)
    else:
        w = _where(valid, weight.to(logp.dtype)[safe], 0)
    return _where(valid, -picked * w, 0), w, valid


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean", *, _hint=None):
    """-w[t] * input[t] per sample (input holds log-probabilities, class dim 1); 'mean' divides
    by the total weight of the targets that are not ``ignore_index``."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    _nll_check(input, target, weight, _hint)
    logp, t = _class_last(input, target)
    loss, w, _ = _picked_and_weights(logp, t, weight, ignore_index)
    if reduction == "none":
        return loss.reshape(target.shape)
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / w.sum()


def _cross_entropy_hint(kind):
    if kind == "dtype":
        return ("\n  ember: class-index targets must be int64 (target.long()); for class "
                "probabilities, pass a float target of the same shape as input (N, C)")
    return ("\n  ember: class-index targets have shape (N,); a one-hot (N, C) target needs "
            "float dtype (target.float()) or convert it with target.argmax(1); a (N, 1) target "
            "needs target.squeeze(1)")


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """nll_loss(log_softmax(input, 1), target) for class indices, or
    -sum_c w_c p_c log_softmax(input)_c for class probabilities p (a float target shaped like
    input); ``label_smoothing`` mixes the targets with the uniform distribution."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 1 if input.ndim >= 2 else 0
    logp = _nn_ops.log_softmax(input, class_dim)
    classes = input.shape[class_dim] if input.ndim else 1
    w_shape = [1] * input.ndim
    if input.ndim:
        w_shape[class_dim] = classes
    if target.shape == input.shape:
        if target.dtype.category < D.FLOAT:
            raise RuntimeError("Expected floating point type for target with class probabilities, "
                               f"got {_dtype_title(target.dtype)}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / classes
        terms = logp * target
        if weight is not None:
            terms = terms * weight.reshape(w_shape)
        loss = -terms.sum(class_dim)
        if reduction == "mean":
            return loss.sum() / (input.numel() // classes) if input.numel() else loss.sum() / 0
        return _reduce(loss, reduction)
    nll = nll_loss(logp, target, weight, None, ignore_index, None, reduction,
                   _hint=_cross_entropy_hint)
    if label_smoothing == 0:
        return nll
    terms = logp if weight is None else logp * weight.reshape(w_shape)
    valid = target != ignore_index
    smooth = _where(valid, -terms.sum(class_dim), 0)
    if reduction == "mean":
        if weight is None:
            smooth = smooth.sum() / valid.sum()
        else:
            lp, t = _class_last(logp, target)
            _, w, _ = _picked_and_weights(lp, t, weight, ignore_index)
            smooth = smooth.sum() / w.sum()
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / classes)


# The families below live in their own files (ember/nn/_functional/); their names are part of
# nn.functional as torch's are.
from ._functional.attention import *  # noqa: E402, F403
from ._functional.conv import *  # noqa: E402, F403
from ._functional.distance import *  # noqa: E402, F403
from ._functional.normalization import *  # noqa: E402, F403
from ._functional.padding import *  # noqa: E402, F403
from ._functional.pooling import *  # noqa: E402, F403
from ._functional.sparse import *  # noqa: E402, F403
from ._functional.vision import *  # noqa: E402, F403
