"""nn.functional, normalization: layer_norm, batch_norm, instance_norm, group_norm, rms_norm,
local_response_norm, normalize.

layer_norm, batch_norm (training), instance_norm and group_norm run the fused ``Normalize`` node
(ember/ops/normalization.py); the others are short compositions of ember ops, so autograd
derives their gradients.
"""

from ... import _dtype as D
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...autograd.grad_mode import state as _grad_state
from ...ops.normalization import Normalize
from ..modules.module import current_module_context

__all__ = ["layer_norm", "batch_norm", "instance_norm", "group_norm", "rms_norm",
           "local_response_norm", "normalize"]


# ---------------------------------------------------------------------------- checks and errors

def _explain(detail, hint):
    """ember's lines under torch's first line: where (the layer, inside a model), what, the fix."""
    where = current_module_context()
    place = f"\n  in {where}: {detail}" if where else f"\n  ember: {detail}"
    return place + f"\n  hint: {hint}"


def _mixed(input, t):
    """torch's CPU rule: parameters and statistics have the input's dtype (or float32 for a
    16-bit input)."""
    if t is None or t.dtype is input.dtype:
        return False
    return not (input.dtype in (D.float16, D.bfloat16) and t.dtype is D.float32)


def _check_param_dtype(input, param):
    if not _mixed(input, param):
        return
    if input.dtype in (D.float32, D.float16, D.bfloat16):  # torch's two wordings
        first = "mixed dtype (CPU): expect parameter to have scalar type of Float"
    else:
        first = "mixed dtype (CPU): all inputs must share same datatype."
    raise RuntimeError(
        first + _explain(f"input is {input.dtype}, a parameter or statistic is {param.dtype}",
                         f"convert the data with .to({param.dtype}) or the model with "
                         f"model.to({input.dtype}) so both have the same dtype"))


def _as_shape(normalized_shape):
    if isinstance(normalized_shape, int):
        return (normalized_shape,)
    return tuple(int(s) for s in normalized_shape)


def _check_trailing(input, shape, weight, bias, form):
    """layer_norm's and rms_norm's checks: the input ends with ``shape``, params have it."""
    if not shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")
    k = len(shape)
    if input.ndim < k or tuple(input._data.shape[-k:]) != shape:
        got = list(input._data.shape)
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"{form(shape)}, but got input of size{got}"
            + _explain(f"the input's last {k} dimension(s) must be {list(shape)}, got input of "
                       f"shape {got}",
                       "normalized_shape is the size of the trailing dimensions being normalised "
                       f"(the features); build the layer with {got[-k:] if k <= len(got) else got}"
                       " or check the layer before"))
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p._data.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got "
                               f"{name} of shape {list(p.shape)} and normalized_shape = "
                               f"{list(shape)}")
        _check_param_dtype(input, p)


def _check_channels(input, channels, running_mean, running_var, weight, bias):
    """batch_norm's checks: every per-channel tensor has one value per channel (dim 1)."""
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != channels:
            raise RuntimeError(
                f"{name} should contain {channels} elements not {t.numel()}"
                + _explain(f"the input has {channels} channels (dim 1 of shape "
                           f"{list(input.shape)}), the layer expects num_features={t.numel()}",
                           f"the layer before produces {channels} channels: build this layer "
                           f"with num_features={channels}, or change the layer before to "
                           f"produce {t.numel()}"))
        _check_param_dtype(input, t)


def _view(ndim, channels):
    """The shape that broadcasts a per-channel vector against an (N, C, *) input."""
    return (channels,) + (1,) * (ndim - 2)


# ---------------------------------------------------------------------------- layer_norm

def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing dims ``normalized_shape``:
    (x - mean) / sqrt(var + eps) * weight + bias (biased variance). Same as torch's."""
    shape = _as_shape(normalized_shape)
    _check_trailing(input, shape, weight, bias, lambda s: "[*, " + ", ".join(map(str, s)) + "]")
    ndim, k = input.ndim, len(shape)
    node = Normalize(tuple(range(ndim - k, ndim)), eps, shape, tuple(range(ndim - k)),
                     weight is not None, bias is not None, "NativeLayerNormBackward0")
    return node.apply(*[t for t in (input, weight, bias) if t is not None])


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x^2) + eps) * weight over the trailing dims ``normalized_shape``; eps None
    means the dtype's machine epsilon (torch.finfo(dtype).eps). Same as torch's."""
    shape = _as_shape(normalized_shape)
    _check_trailing(input, shape, weight, None, lambda s: "[*" + ", ".join(map(str, s)) + "]")
    if eps is None:
        eps = D.finfo(input.dtype).eps
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out * weight if weight is not None else out


# ---------------------------------------------------------------------------- batch_norm

def _verify_batch_size(input):
    values = input.shape[0] if input.ndim else 1
    for s in input.shape[2:]:
        values *= s
    if values == 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size {input.shape}"
            + _explain("a batch of one sample has no spread to normalise by",
                       "train with batches of 2 or more samples (drop_last=True in the "
                       "DataLoader avoids a last batch of one), or call model.eval() to use "
                       "the running statistics"))


def _check_stats_need_no_grad(running_mean, running_var):
    if not _grad_state.enabled:
        return
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t.requires_grad:
            raise RuntimeError(
                f"The function 'native_batch_norm' is not differentiable with respect to "
                f"argument '{name}'. This input cannot have requires_grad True.")


def _with_stats(input, mean, var, weight, bias, eps):
    """(x - mean) / sqrt(var + eps) * weight + bias with given per-channel statistics, as
    x * scale + shift: two passes over x, differentiable to every argument."""
    view = _view(input.ndim, input.shape[1] if input.ndim > 1 else 1)
    scale = (var + eps).rsqrt()
    if weight is not None:
        scale = scale * weight
    shift = -mean * scale
    if bias is not None:
        shift = shift + bias
    return input * scale.reshape(view).to(input.dtype) + shift.reshape(view).to(input.dtype)


def _update(running, batch_stat, momentum):
    """running = (1 - momentum) * running + momentum * batch_stat, in place (no graph)."""
    with no_grad():
        new = Tensor._make(batch_stat, running.device).to(running.dtype)
        running.mul_(1 - momentum).add_(new * momentum)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalise each channel (dim 1) over the batch and spatial dims.

    training: with the batch's mean and biased variance; running_mean/running_var (when given)
    move towards the batch mean and the unbiased batch variance by ``momentum``.
    eval: with running_mean and running_var.  Same as torch.nn.functional.batch_norm."""
    if training:
        _verify_batch_size(input)
    if (running_mean is None) != (running_var is None) and training:
        raise ValueError("running_mean and running_var must either both be None or neither be "
                         "None")
    channels = input.shape[1] if input.ndim > 1 else 0
    _check_channels(input, channels, running_mean, running_var, weight, bias)
    _check_stats_need_no_grad(running_mean, running_var)
    if not training:
        for name, t in (("running_mean", running_mean), ("running_var", running_var)):
            if t is None:
                raise RuntimeError(f"{name} must be defined in evaluation mode")
        return _with_stats(input, running_mean, running_var, weight, bias, eps)
    axes = (0,) + tuple(range(2, input.ndim))
    node = Normalize(axes, eps, _view(input.ndim, channels), axes, weight is not None,
                     bias is not None, "NativeBatchNormBackward0")
    out = node.apply(*[t for t in (input, weight, bias) if t is not None])
    if running_mean is not None:
        count = input.numel() // channels
        _update(running_mean, node.mean.reshape(channels), momentum)
        _update(running_var, node.var.reshape(channels) * (count / (count - 1)), momentum)
    return out


# ---------------------------------------------------------------------------- instance_norm

def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalise each channel of each sample over its spatial dims (dims 2, 3, ...).

    With use_input_stats=False the running statistics are used instead; with it True and
    running stats given, they move towards the batch average of the per-sample mean and
    unbiased variance. Same as torch.nn.functional.instance_norm."""
    if use_input_stats:
        values = 1
        for s in input.shape[2:]:
            values *= s
        if values == 1:
            raise ValueError("Expected more than 1 spatial element when training, got input "
                             f"size {input.shape}")
    channels = input.shape[1]
    batch = input.shape[0]
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t.numel() != channels:
            raise RuntimeError(f"{name} should contain {batch * channels} elements not "
                               f"{batch * t.numel()}")
    _check_channels(input, channels, None, None, weight, bias)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError("Expected running_mean and running_var to be defined when "
                               "use_input_stats is false")
        return _with_stats(input, running_mean, running_var, weight, bias, eps)
    axes = tuple(range(2, input.ndim))
    node = Normalize(axes, eps, _view(input.ndim, channels), (0,) + axes, weight is not None,
                     bias is not None)
    out = node.apply(*[t for t in (input, weight, bias) if t is not None])
    if running_mean is not None:
        count = input.numel() // (batch * channels)
        mean = node.mean.reshape(batch, channels).mean(axis=0)
        var = (node.var.reshape(batch, channels) * (count / (count - 1))).mean(axis=0)
        _update(running_mean, mean, momentum)
        _update(running_var, var, momentum)
    return out


# ---------------------------------------------------------------------------- group_norm

def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Split the channels (dim 1) into ``num_groups`` groups and normalise each group of each
    sample over its channels and spatial dims; then * weight + bias per channel."""
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.ndim}")
    shape = tuple(input.shape)
    batch, channels = shape[0], shape[1]
    if channels % num_groups:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got input "
            f"of shape {list(shape)} and num_groups={num_groups}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and (p.ndim != 1 or p.numel() != channels):
            raise RuntimeError(
                f"Expected {name} to be a vector of size equal to the number of channels in "
                f"input, but got {name} of shape {list(p.shape)} and input of shape "
                f"{list(shape)}")
        _check_param_dtype(input, p)
    # (N, groups, channels per group, spatial): normalised over the last two dims, weight and
    # bias (one per channel) applied inside the one node, so that 16-bit inputs are rounded
    # once, from float32, as torch does
    spatial = 1
    for s in shape[2:]:
        spatial *= s
    grouped = input.reshape(batch, num_groups, channels // num_groups, spatial)
    node = Normalize((2, 3), eps, (num_groups, channels // num_groups, 1), (0, 3),
                     weight is not None, bias is not None, "NativeGroupNormBackward0")
    return node.apply(*[t for t in (grouped, weight, bias) if t is not None]).reshape(shape)


# ---------------------------------------------------------------------------- the others

def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """x_c / (k + alpha / size * sum of x_j^2 over the ``size`` channels j around c)^beta;
    the window is zero-padded (size // 2 before, (size - 1) // 2 after) and the sum always
    divided by ``size``, as torch's average pooling does."""
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          "
                         f"input (got {input.ndim} dimensions)")
    if input.numel() == 0:
        return input
    from ...ops.join import cat

    square = input * input
    channels = input.shape[1]
    before = input.new_zeros((input.shape[0], size // 2) + tuple(input.shape[2:]))
    after = input.new_zeros((input.shape[0], (size - 1) // 2) + tuple(input.shape[2:]))
    padded = cat([before, square, after], 1)
    window = padded[:, 0:channels]
    for offset in range(1, size):  # one slice per window position, not per element
        window = window + padded[:, offset:offset + channels]
    div = (window * (alpha / size) + k) ** beta
    return input / div


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p, eps) along ``dim``. Same as torch.nn.functional.normalize."""
    norm = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    if out is None:
        return input / norm
    return out.copy_(input / norm)

