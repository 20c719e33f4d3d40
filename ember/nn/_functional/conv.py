"""nn.functional, convolutions: conv1d/2d/3d, conv_transpose1d/2d/3d, unfold, fold.

These functions check the arguments (torch's errors, with ember's explanation of where and the
fix), turn stride/padding/dilation into one ``Geometry`` and call the primitives of
``ember.ops.conv``, where the maths and the gradients live.  Unbatched inputs (C, *spatial)
get a batch dim of 1 for the computation.
"""

from ..._errors import _fmt_shape, device_mismatch, dtype_mismatch
from ...ops import conv as _conv
from ..modules.module import current_module_context

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "unfold", "fold"]


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation: out[n, o, l] = bias[o] + sum_{c, k} weight[o, c, k] *
    input_padded[n, c, l * stride + k * dilation] (channels split into ``groups``).
    input (N, C_in, L) or (C_in, L); weight (C_out, C_in / groups, kW).  ``padding`` is an int,
    a tuple, 'valid' (no padding) or 'same' (output as long as the input, stride 1 only)."""
    return _convolution("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation, as conv1d over (H, W).  input (N, C_in, H, W) or (C_in, H, W);
    weight (C_out, C_in / groups, kH, kW).  Same as torch.nn.functional.conv2d."""
    return _convolution("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D cross-correlation, as conv1d over (D, H, W).  input (N, C_in, D, H, W) or unbatched;
    weight (C_out, C_in / groups, kD, kH, kW).  Same as torch.nn.functional.conv3d."""
    return _convolution("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """The transposed 1-D convolution (the gradient of conv1d w.r.t. its input): every input
    value is spread through the kernel, out[n, c, l * stride + k * dilation - padding] +=
    weight[i, c, k] * input[n, i, l].  weight (C_in, C_out / groups, kW); output length
    (L - 1) * stride - 2 * padding + dilation * (kW - 1) + output_padding + 1."""
    return _transposed("conv_transpose1d", 1, input, weight, bias, stride, padding,
                       output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """The transposed 2-D convolution, as conv_transpose1d over (H, W)."""
    return _transposed("conv_transpose2d", 2, input, weight, bias, stride, padding,
                       output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """The transposed 3-D convolution, as conv_transpose1d over (D, H, W)."""
    return _transposed("conv_transpose3d", 3, input, weight, bias, stride, padding,
                       output_padding, groups, dilation)


# ---------------------------------------------------------------------------- checks

def _ntuple(value, n, name):
    """An int or a sequence of n ints as a tuple of n ints (torch's message otherwise)."""
    if isinstance(value, int):
        return (value,) * n
    value = tuple(value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} "
                           "values to match the convolution dimensions, but got "
                           f"{name}={list(value)}")
    return value


def _check_dims(op, nd, input):
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {op}, "
                           f"but got input of size: {_fmt_shape(input.shape)}")


def _check_positive(stride, padding, dilation, groups):
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")


def _where(op):
    return current_module_context() or op


def _check_same_kind(op, input, weight, bias):
    """Devices and dtypes of input, weight and bias agree (torch's errors, ember's hint)."""
    for other in (weight, bias):
        if other is not None and other.device is not input.device:
            raise device_mismatch(input.device, other.device, op)
    # NOTE: torch looks at the bias first
    if bias is not None and bias.dtype is not input.dtype:
        raise _with_first_line(
            f"Input type ({input.dtype._short.lower()}) and bias type "
            f"({bias.dtype._short.lower()}) should be the same",
            dtype_mismatch(op, "input", input.dtype, "bias", bias.dtype))
    if weight.dtype is not input.dtype:
        raise _with_first_line(
            f"expected scalar type {input.dtype._short} but found {weight.dtype._short}",
            dtype_mismatch(op, "input", input.dtype, "weight", weight.dtype))


def _with_first_line(first, error):
    """``error`` (same class) with torch's first line in place of its own."""
    rest = str(error).split("\n", 1)
    return type(error)(first + ("\n" + rest[1] if len(rest) > 1 else ""))


def _check_channels(op, input, weight, groups, transposed):
    """torch's channel checks, then which layer, what it expects, what it got, and the fix."""
    if not transposed and weight.shape[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at "
                           f"dimension 0, but got weight of size {_fmt_shape(weight.shape)} "
                           "instead")
    if not transposed and weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{_fmt_shape(weight.shape)}] "
                           "instead")
    expected = weight.shape[0] if transposed else weight.shape[1] * groups
    got = input.shape[1]
    if got == expected:
        return
    given = "transposed=1" if transposed else f"groups={groups}"
    where = current_module_context()
    if where:
        place = f"\n  in {where}: input has {got} channels, layer expects {expected}"
        fix = (f"make the layer before produce {expected} channels, or build this layer with "
               f"in_channels={got}")
    else:
        place = (f"\n  in {op}: input has {got} channels, the weight expects {expected} "
                 f"(weight.shape[{0 if transposed else 1}]"
                 f"{'' if transposed or groups == 1 else ' * groups'})")
        fix = f"pass an input with {expected} channels or a weight made for {got}"
    raise RuntimeError(
        f"Given {given}, weight of size {_fmt_shape(weight.shape)}, expected "
        f"input{_fmt_shape(input.shape)} to have {expected} channels, but got {got} channels "
        f"instead{place}\n  hint: dim 1 of the input is its channels (N, C, *spatial); {fix}. "
        "Images stored channels-last (N, H, W, C) need x.permute(0, 3, 1, 2) first.")


def _check_bias(weight, bias, out_channels, transposed):
    if bias is not None and tuple(bias.shape) != (out_channels,):
        given = "transposed=1, " if transposed else ""
        raise RuntimeError(f"Given {given}weight of size {_fmt_shape(weight.shape)}, expected "
                           f"bias to be 1-dimensional with {out_channels} elements, but got bias "
                           f"of size {_fmt_shape(bias.shape)} instead")


def _same_padding(kernel, stride, dilation):
    """'same': total padding dilation * (k - 1) per dim, the odd one extra on the right."""
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return tuple(t // 2 for t in total), tuple(t - t // 2 for t in total)


def _join(sizes):
    return "(" + " x ".join(str(s) for s in sizes) + ")"


# ---------------------------------------------------------------------------- the two entries

def _convolution(op, nd, input, weight, bias, stride, padding, dilation, groups):
    _check_dims(op, nd, input)
    if weight.ndim != nd + 2:
        raise RuntimeError(f"expected stride to be a single integer value or a list of "
                           f"{weight.ndim - 2} values to match the convolution dimensions, but "
                           f"got stride={list(_ntuple(stride, nd, 'stride'))}")
    stride = _ntuple(stride, nd, "stride")
    dilation = _ntuple(dilation, nd, "dilation")
    kernel = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            lo = hi = (0,) * nd
        elif padding == "same":
            _check_positive(stride, (), dilation, groups)
            lo, hi = _same_padding(kernel, stride, dilation)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        lo = hi = _ntuple(padding, nd, "padding")
    _check_positive(stride, lo, dilation, groups)
    _check_same_kind(op, input, weight, bias)
    unbatched = input.ndim == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    _check_channels(op, input, weight, groups, transposed=False)
    _check_bias(weight, bias, weight.shape[0], transposed=False)
    in_size = tuple(input.shape[2:])
    padded = [i + a + b for i, a, b in zip(in_size, lo, hi)]
    span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    if any(p < s for p, s in zip(padded, span)):
        raise _too_small(op, padded, span, in_size, kernel)
    geo = _conv.Geometry(kernel, stride, dilation, lo, hi, groups, in_size)
    node = _conv.Conv(geo)
    out = node.apply(input, weight) if bias is None else node.apply(input, weight, bias)
    return out.squeeze(0) if unbatched else out


def _too_small(op, padded, span, in_size, kernel):
    return RuntimeError(
        f"Calculated padded input size per channel: {_join(padded)}. Kernel size: "
        f"{_join(span)}. Kernel size can't be greater than actual input size\n"
        f"  in {_where(op)}: the input's spatial size {_join(in_size)} with its padding is "
        f"{_join(padded)}, smaller than the (dilated) kernel {_join(span)} of "
        f"kernel_size={kernel}\n"
        "  hint: feed a larger input, add padding (e.g. padding='same'), or remove a pooling / "
        "strided layer before this one that shrinks the input too much.")


def _transposed(op, nd, input, weight, bias, stride, padding, output_padding, groups,
                dilation):
    _check_dims(op, nd, input)
    if isinstance(padding, str):
        raise TypeError(f"{op}(): argument 'padding' must be tuple of ints, not str")
    stride = _ntuple(stride, nd, "stride")
    padding = _ntuple(padding, nd, "padding")
    dilation = _ntuple(dilation, nd, "dilation")
    output_padding = _ntuple(output_padding, nd, "output_padding")
    _check_positive(stride, padding, dilation, groups)
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{_fmt_shape(weight.shape)}] "
                           "instead")
    if any(op_ >= max(s, d) for op_, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(_output_padding_message(output_padding, stride, dilation))
    _check_same_kind(op, input, weight, bias)
    unbatched = input.ndim == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    _check_channels(op, input, weight, groups, transposed=True)
    _check_bias(weight, bias, weight.shape[1] * groups, transposed=True)
    kernel = tuple(weight.shape[2:])
    in_size = tuple(input.shape[2:])
    # the transposed convolution's output is the input of the convolution it reverses
    out_size = tuple((i - 1) * s - 2 * p + d * (k - 1) + o + 1 for i, s, p, d, k, o
                     in zip(in_size, stride, padding, dilation, kernel, output_padding))
    if any(o <= 0 for o in out_size):
        extra = (1,) if nd == 1 else ()  # torch runs 1-d as 2-d with a height of 1
        raise RuntimeError(
            f"Given input size per channel: {_join(extra + in_size)}. Calculated output size per "
            f"channel: {_join(extra + out_size)}. Output size is too small\n"
            f"  in {_where(op)}: padding={padding} removes more than the transposed convolution "
            "adds\n  hint: use a smaller padding or a larger stride.")
    geo = _conv.Geometry(kernel, stride, dilation, padding, padding, groups, out_size, in_size)
    node = _conv.ConvTranspose(geo)
    out = node.apply(input, weight) if bias is None else node.apply(input, weight, bias)
    return out.squeeze(0) if unbatched else out


def _output_padding_message(output_padding, stride, dilation):
    names = ["height", "width"] if len(stride) < 3 else ["depth", "height", "width"]
    pad = ([0] * (2 - len(stride))) + list(output_padding)  # 1-d runs as 2-d in torch
    strides = ([1] * (2 - len(stride))) + list(stride)
    dils = ([1] * (2 - len(stride))) + list(dilation)
    parts = ([f"output_padding_{n}: {v}" for n, v in zip(names, pad)]
             + [f"stride_{n}: {v}" for n, v in zip(names, strides)]
             + [f"dilation_{n}: {v}" for n, v in zip(names, dils)])
    return ("output padding must be smaller than either stride or dilation, but got "
            + " ".join(parts))


# ---------------------------------------------------------------------------- unfold / fold

def _block_args(kernel_size, dilation, padding, stride):
    args = []
    for name, value in (("kernel_size", kernel_size), ("dilation", dilation),
                        ("padding", padding), ("stride", stride)):
        value = (value, value) if isinstance(value, int) else tuple(value)
        if len(value) != 2:
            raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(value)}")
        args.append(value)
    kernel, dilation, padding, stride = args
    checks = (("kernel size", "kernel", kernel, "should be greater than zero", 1),
              ("stride", "stride", stride, "should be greater than zero", 1),
              ("padding", "pad", padding, "should be non-negative", 0),
              ("dilation", "dilation", dilation, "should be greater than zero", 1))
    for what, short, value, rule, least in checks:
        if min(value) < least:
            raise RuntimeError(f"{what} {rule}, but got {short}_height: {value[0]} "
                               f"{short}_width: {value[1]}")
    return kernel, dilation, padding, stride


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding local blocks (im2col): input (N, C, H, W) or (C, H, W) -> (N, C * kH *
    kW, L) with out[n, (c, i, j), l] = input_padded[n, c, h_l * sH + i * dH, w_l * sW + j * dW]
    for the L block positions (h_l, w_l), row-major.  Same as torch.nn.functional.unfold."""
    if input.ndim not in (3, 4) or 0 in input.shape[1:]:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and "
                           "other non-zero dimensions for input, but got: "
                           f"{_fmt_shape(input.shape)}")
    kernel, dilation, padding, stride = _block_args(kernel_size, dilation, padding, stride)
    unbatched = input.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    in_size = tuple(input.shape[2:])
    geo = _conv.Geometry(kernel, stride, dilation, padding, padding, 1, in_size)
    if min(geo.out_size) < 1:
        raise RuntimeError(
            f"Given input with spatial size {in_size}, kernel_size={kernel}, dilation={dilation}"
            f", padding={padding}, calculated shape of the array of sliding blocks as "
            f"{geo.out_size}, but its components must be at least one.")
    out = _conv.Unfold(geo).apply(input)
    return out.squeeze(0) if unbatched else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Combine sliding local blocks into a tensor (col2im, the adjoint of unfold): input
    (N, C * kH * kW, L) or (C * kH * kW, L) -> (N, C, *output_size); values of overlapping
    blocks are summed.  Same as torch.nn.functional.fold."""
    if input.ndim not in (2, 3) or 0 in input.shape[1:]:
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 "
                           "batch size and non-zero dimensions for input, but got: "
                           f"{_fmt_shape(input.shape)}")
    size = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
    if len(size) != 2:
        raise RuntimeError(f"It is expected output_size equals to 2, but got size {len(size)}")
    kernel, dilation, padding, stride = _block_args(kernel_size, dilation, padding, stride)
    unbatched = input.ndim == 2
    if unbatched:
        input = input.unsqueeze(0)
    if input.shape[1] % (kernel[0] * kernel[1]):
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={input.shape[1]} and "
                           f"kernel_size={kernel}.")
    geo = _conv.Geometry(kernel, stride, dilation, padding, padding, 1, size)
    blocks = [max(o, 0) for o in geo.out_size]
    if blocks[0] * blocks[1] != input.shape[2]:
        raise RuntimeError(
            f"Given output_size={size}, kernel_size={kernel}, dilation={dilation}, padding="
            f"{padding}, stride={stride}, expected size of input's dimension 2 to match the "
            f"calculated number of sliding blocks {blocks[0]} * {blocks[1]} = "
            f"{blocks[0] * blocks[1]}, but got input.size(2)={input.shape[2]}.")
    out = _conv.Fold(geo).apply(input)
    return out.squeeze(0) if unbatched else out
