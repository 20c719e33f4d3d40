"""nn.functional, pooling: max/avg/adaptive pools, max_unpool, lp_pool.

Each function checks its arguments as torch does (torch's exception class and first line) and
runs the primitives of ``ember.ops.pooling``.  Pools work on the last 1, 2 or 3 dims, so a
batched (N, C, ...) and an unbatched (C, ...) input take the same path.
"""

from ... import _dtype as D
from ..._errors import _module_context
from ...autograd.grad_mode import state as _grad_state
from ...ops import pooling as P
from ...ops.resample import AdaptiveMaxIndices as _AdaptiveMaxIndices
from ...ops.resample import area_taps as _area_taps
from ...ops.resample import resample_axis as _resample_axis
from ...ops.unary import relu as _relu

__all__ = [
    "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
    "max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d_with_indices",
    "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices",
    "max_unpool1d", "max_unpool2d", "max_unpool3d", "lp_pool1d", "lp_pool2d", "lp_pool3d",
]

_AXES = {1: ("kW",), 2: ("kH", "kW"), 3: ("kT", "kH", "kW")}
_WORDS = {1: "one", 2: "two", 3: "three"}


def _ints(value, n, op, what):
    """An int or a tuple of 1 or n ints -> a tuple of n ints."""
    if isinstance(value, int):
        return (value,) * n
    value = tuple(value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise RuntimeError(f"{op}: {what} must either be a single int, or a tuple of "
                           f"{_WORDS[n]} ints")
    return tuple(int(v) for v in value)


def _explain(first_line, input, hint):
    """torch's first line, then the layer (when inside a Module), the input's shape and a fix."""
    where = _module_context()
    place = f"in {where}: " if where else ""
    return RuntimeError(f"{first_line}\n  ember: {place}input has shape {list(input.shape)}"
                        f"\n  hint: {hint}")


def _check_dims(input, n, op):
    """Pools take an unbatched (n + 1 dims) or a batched (n + 2 dims) input."""
    ndim = input.dim()
    if ndim in (n + 1, n + 2) and (input.numel() > 0 or op.startswith("adaptive_")):
        return
    if op.startswith("max_pool1d"):
        first = (f"max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch "
                 f"size for input, but got:{list(input.shape)}")
    elif op.startswith(("avg_pool1d", "adaptive_")) and n == 1:
        first = (f"Expected 2 to 3 dimensions, but got {ndim}-dimensional tensor for argument "
                 f"#1 'self' (while checking arguments for {op})")
    elif op.startswith("adaptive_"):
        got = ": " if op.startswith("adaptive_max") else " "
        first = f"{op}(): Expected {n + 1}D or {n + 2}D tensor, but got{got}{list(input.shape)}"
    else:
        first = f"non-empty {n + 1}D or {n + 2}D (batch mode) tensor expected for input"
    dims = ", ".join(["N", "C"] + [("D", "H", "W")[3 - n + d] if n > 1 else "L"
                                   for d in range(n)])
    if ndim == n:
        hint = (f"{op.split('_with')[0]} expects ({dims}) or the same without N; add the "
                "channel dim with x.unsqueeze(0) (or x.unsqueeze(1) for a batch)")
    else:
        hint = (f"{op.split('_with')[0]} expects ({dims}) or the same without N"
                + ("; the input is empty" if input.numel() == 0 and ndim in (n + 1, n + 2)
                   else f"; check the layer before (a {ndim}-D output here)"))
    raise _explain(first, input, hint)


def _window(input, n, op, kernel_size, stride, padding, dilation, ceil_mode):
    """Check a pool's arguments and return its ``Window`` (torch's errors and messages)."""
    _check_dims(input, n, op)
    kernel = _ints(kernel_size, n, op, "kernel_size")
    stride = kernel if stride is None or stride == [] or stride == () else _ints(
        stride, n, op, "stride")
    padding = _ints(padding, n, op, "padding")
    dilation = _ints(dilation, n, op, "dilation")
    one = ("kH: 1 ",) if n == 1 else ("",)  # torch runs 1d pools as 2d ones of height 1
    if min(kernel) <= 0:
        sizes = one[0] + " ".join(f"{a}: {k}" for a, k in zip(_AXES[n], kernel))
        raise RuntimeError(f"kernel size should be greater than zero, but got {sizes}")
    if min(stride) <= 0:
        raise RuntimeError("stride should not be zero")
    if min(padding) < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {min(padding)}")
    if min(dilation) <= 0:
        sizes = one[0].replace("kH", "dilationH") + " ".join(
            f"dilation{a[1:]}: {d}" for a, d in zip(_AXES[n], dilation))
        raise RuntimeError(f"dilation should be greater than zero, but got {sizes}")
    for k, p, d in zip(kernel, padding, dilation):
        if p > (d * (k - 1) + 1) // 2:
            raise _explain(
                "pad should be at most half of effective kernel size, but got "
                f"pad={p}, kernel_size={k} and dilation={d}", input,
                "padding adds that many samples on each side of every pooled dim; keep "
                "padding <= kernel_size // 2")
    size = tuple(input.shape[-n:])
    if op == "avg_pool3d" and any(s < k for s, k in zip(size, kernel)):
        raise _explain(f"input image (T: {size[0]} H: {size[1]} W: {size[2]}) smaller than kernel "
                       f"size (kT: {kernel[0]} kH: {kernel[1]} kW: {kernel[2]})", input,
                       "avg_pool3d needs every pooled dim at least as large as the kernel")
    window = P.Window(size, kernel, stride, padding, dilation, ceil_mode)
    if min(window.out) < 1 and op == "max_pool1d":
        raise _explain(f"max_pool1d() Invalid computed output size: {window.out[0]}", input,
                       "the window (kernel_size, dilation) is larger than the padded input")
    if min(window.out) < 1:
        channels = input.shape[-n - 1]
        flat = (1,) if n == 1 else ()  # torch runs 1d pools as 2d ones of height 1
        got = "x".join(str(s) for s in (channels,) + flat + size)
        want = "x".join(str(s) for s in (channels,) + flat + window.out)
        raise _explain(
            f"Given input size: ({got}). Calculated output size: ({want}). Output size is too "
            "small", input, "the window (kernel_size, dilation) is larger than the padded "
            "input; use a smaller kernel, add padding, or pool a larger input (is there one "
            "pooling layer too many?)")
    return window


def _check_dtype(input, kernel, integers, half=True):
    """torch's pools run on floats; max pools (not 1d) also on integers, avg pools on int64."""
    category = input.dtype.category
    if category >= D.FLOAT and category != D.COMPLEX and (half or input.dtype.itemsize > 2):
        return
    if integers == "all" and input.dtype is not D.bool:
        return
    if integers == "int64" and input.dtype is D.int64:
        return
    raise NotImplementedError(f'"{kernel}" not implemented for \'{input.dtype._short}\'')


# ---------------------------------------------------------------------------- max pools

def _check_max_pool1d(input, kernel_size, stride, padding, dilation):
    """torch's own checks (and words) for max_pool1d without indices."""
    _check_dims(input, 1, "max_pool1d")
    values = {}
    for what, value in (("kernel_size", kernel_size), ("stride", stride), ("padding", padding),
                        ("dilation", dilation)):
        value = () if value is None else (value,) if isinstance(value, int) else tuple(value)
        if len(value) > 1:
            raise RuntimeError(f"max_pool1d() {what} must be an int, list of ints or tuple of "
                               f"ints of size 1 but got size {len(value)}")
        values[what] = value[0] if value else None
    k, s, p, d = values["kernel_size"], values["stride"], values["padding"], values["dilation"]
    s = k if s is None else s
    for what, value in (("kernel_size", k), ("stride", s)):
        if value <= 0:
            raise RuntimeError(f"max_pool1d() {what} must be greater than zero, but got {value}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise _explain(f"max_pool1d() padding should be at most half of kernel size, but got "
                       f"padding={p} and kernel_size={k}", input,
                       "keep padding <= kernel_size // 2")
    if d <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d}")


def _max_pool(n, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    if n == 1 and not return_indices:
        _check_max_pool1d(input, kernel_size, stride, padding, dilation)
    op = f"max_pool{n}d" if n > 1 or not return_indices else "max_pool1d_with_indices"
    window = _window(input, n, op, kernel_size, stride, padding, dilation, ceil_mode)
    _check_dtype(input, "max_pool1d_impl" if n == 1 else f"max_pool{n}d",
                 "none" if n == 1 else "all")
    if not return_indices and not (input.requires_grad and _grad_state.enabled):
        return P.MaxPoolValues(window).apply(input)
    values, indices = P.MaxPool(window, f"MaxPool{n}DWithIndicesBackward0").apply(input)
    return (values, indices) if return_indices else values


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over windows of the last dim of (N, C, L) or (C, L). Same as F.max_pool1d."""
    return _max_pool(1, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over windows of the last 2 dims of (N, C, H, W) or (C, H, W). Same as F.max_pool2d.

    out[h, w] = max over i < kH, j < kW of xpad[h sH + i dH, w sW + j dW]  (padding is -inf);
    the gradient goes to the position of the maximum (``indices``, flat over H x W).
    """
    return _max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over windows of the last 3 dims of (N, C, D, H, W) or (C, D, H, W)."""
    return _max_pool(3, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# ---------------------------------------------------------------------------- average pools

def _avg_pool(n, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    if n == 2 and input.dim() == 2:  # torch's message for an input that lacks channels
        raise IndexError("Dimension out of range (expected to be in range of [-2, 1], but got "
                         "-3)\n  ember: avg_pool2d expects (N, C, H, W) or (C, H, W)")
    window = _window(input, n, f"avg_pool{n}d", kernel_size, stride, padding, 1, ceil_mode)
    _check_dtype(input, "avg_pool3d_out_frame" if n == 3 else "avg_pool2d", "int64", n != 3)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    return P.AvgPool(window, count_include_pad, divisor_override,
                     f"AvgPool{n}DBackward0").apply(input)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """Mean over windows of the last dim of (N, C, L) or (C, L). Same as F.avg_pool1d."""
    return _avg_pool(1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over windows of the last 2 dims. Same as F.avg_pool2d.

    out[h, w] = sum of the window / divisor, the divisor being divisor_override if given, else
    the window's size clipped to the padded input (count_include_pad) or to the input itself.
    grad: grad[h, w] / divisor added to each sample of the window.
    """
    return _avg_pool(2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over windows of the last 3 dims. Same as F.avg_pool3d."""
    return _avg_pool(3, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


# ---------------------------------------------------------------------------- adaptive pools

def _output_size(input, n, op, output_size):
    """output_size as a tuple of n ints (None keeps the input's size)."""
    if isinstance(output_size, int) or output_size is None:
        out = (output_size,) * n
    else:
        out = tuple(output_size)
        if len(out) != n:
            raise RuntimeError(f"{op}: output_size must be {n}")
    out = tuple(input.shape[-n + d] if s is None else int(s) for d, s in enumerate(out))
    if min(out) < 0:
        raise RuntimeError(f"{op}: elements of output_size must be greater than or equal to 0 "
                           f"but received {out}")
    return out


def _check_adaptive(input, n, op):
    _check_dims(input, n, op)
    for d in range(input.dim() - n - 1 if input.dim() == n + 2 else 0, input.dim()):
        if input.shape[d] == 0:
            raise RuntimeError(
                f"{op}(): Expected input to have non-zero size for non-batch dimensions, but "
                f"input has sizes {list(input.shape)} with dimension {d} being empty")


def _adaptive_avg(n, input, output_size):
    op = f"adaptive_avg_pool{n}d"
    _check_adaptive(input, n, op)
    _check_dtype(input, op, "none")
    out = _output_size(input, n, op, output_size)
    size = tuple(input.shape[-n:])
    if all(o > 0 and s % o == 0 for s, o in zip(size, out)):
        # even windows: an ordinary average pool with kernel = stride = L / out
        kernel = tuple(s // o for s, o in zip(size, out))
        window = P.Window(size, kernel, kernel, (0,) * n)
        return P.AvgPool(window, True, None, f"AdaptiveAvgPool{n}DBackward0").apply(input)
    # uneven windows: per dim, each output is a weighted sum of inputs (one small matrix)
    for d in range(n):
        input = _resample_axis(input, input.dim() - n + d, _area_taps(size[d], out[d]),
                               f"AdaptiveAvgPool{n}DBackward0")
    return input


def adaptive_avg_pool1d(input, output_size):
    """Average over ``output_size`` near-equal windows of the last dim. Same as torch's."""
    return _adaptive_avg(1, input, output_size)


def adaptive_avg_pool2d(input, output_size):
    """Average over near-equal windows of the last 2 dims: output i of a dim of length L
    covers inputs floor(i L / out) .. ceil((i + 1) L / out) - 1. Same as torch's."""
    return _adaptive_avg(2, input, output_size)


def adaptive_avg_pool3d(input, output_size):
    """Average over near-equal windows of the last 3 dims. Same as torch's."""
    return _adaptive_avg(3, input, output_size)


def _adaptive_max(n, input, output_size, return_indices):
    op = f"adaptive_max_pool{n}d"
    _check_adaptive(input, n, op)
    _check_dtype(input, op, "none")
    out = _output_size(input, n, op, output_size)
    size = tuple(input.shape[-n:])
    name = f"AdaptiveMaxPool{n}DBackward0"
    if all(o > 0 and s % o == 0 for s, o in zip(size, out)):
        # even windows: an ordinary max pool with kernel = stride = L / out
        kernel = tuple(s // o for s, o in zip(size, out))
        values, indices = P.MaxPool(P.Window(size, kernel, kernel, (0,) * n), name).apply(input)
        return (values, indices) if return_indices else values
    indices = _AdaptiveMaxIndices(out).apply(input)
    values = P.PoolGather(indices._data, n, name).apply(input)
    return (values, indices) if return_indices else values


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max over ``output_size`` near-equal windows of the last dim. Same as torch's."""
    return _adaptive_max(1, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max over near-equal windows of the last 2 dims (the windows of adaptive_avg_pool2d)."""
    return _adaptive_max(2, input, output_size, return_indices)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max over near-equal windows of the last 3 dims. Same as torch's."""
    return _adaptive_max(3, input, output_size, return_indices)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool3d(input, output_size, True)


# ---------------------------------------------------------------------------- unpool, lp_pool

def _max_unpool(n, input, indices, kernel_size, stride, padding, output_size):
    op = f"max_unpool{n}d"
    kernel = _ints(kernel_size, n, op, "kernel_size")
    stride = kernel if stride is None else _ints(stride, n, op, "stride")
    padding = _ints(padding, n, op, "padding")
    if indices.dtype.name != "int64":
        raise RuntimeError(f"elements in indices should be type int64 but got: "
                           f"{indices.dtype._short}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    size = tuple(input.shape[-n:])
    default = tuple((s - 1) * st - 2 * p + k for s, st, p, k in zip(size, stride, padding,
                                                                       kernel))
    if output_size is None:
        out = default
    else:
        out = tuple(output_size)
        if len(out) == n + 2 or (len(out) == n + 1 and input.dim() == n + 1):
            out = out[-n:]
        if len(out) != n:
            raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} "
                             f"elements, but it has a length of '{len(out)}'")
        for d, (o, f, st) in enumerate(zip(out, default, stride)):
            if not f - st <= o <= f + st:
                raise ValueError(f'invalid output_size "{tuple(output_size)}" (dim {d} must be '
                                 f"between {f - st} and {f + st})")
    return P.MaxUnpool(indices._data, out, f"MaxUnpool{n}DBackward0").apply(input)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Put each value back at its max_pool1d index in a zero tensor. Same as torch's."""
    return _max_unpool(1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """y = zeros; y[..., indices] = input (flat over H x W). The inverse of max_pool2d's
    selection; grad_input = grad taken at indices."""
    return _max_unpool(2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Put each value back at its max_pool3d index in a zero tensor. Same as torch's."""
    return _max_unpool(3, input, indices, kernel_size, stride, padding, output_size)


def _lp_pool(n, input, norm_type, kernel_size, stride, ceil_mode):
    kernel = _ints(kernel_size, n, f"lp_pool{n}d", "kernel_size")
    count = 1
    for k in kernel:
        count *= k
    mean = _avg_pool(n, input.pow(norm_type), kernel, stride, 0, ceil_mode, True, None)
    # sign(s) relu(|s|) is s with the gradient at 0 set to 0 (as torch's lp_pool)
    total = (mean.sign() * _relu(mean.abs())) * count
    return total.pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over the window of x^p)^(1/p) along the last dim. Same as F.lp_pool1d."""
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over the window of x^p)^(1/p) over the last 2 dims. Same as F.lp_pool2d.
    p = inf is max pooling, p = 1 sum pooling; the gradient follows from pow and the sum."""
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over the window of x^p)^(1/p) over the last 3 dims. Same as F.lp_pool3d."""
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode)
