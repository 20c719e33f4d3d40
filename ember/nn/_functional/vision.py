"""nn.functional, vision: interpolate, pixel_shuffle, grid_sample, affine_grid.

interpolate resizes one spatial dim at a time: nearest modes pick input samples, the other
modes mix a few neighbouring samples with fixed weights (``ember.ops.resample``).
pixel_shuffle and channel_shuffle are reshapes and permutes.  grid_sample and affine_grid are
written with ember ops, so their gradients (to the input and to the grid or theta) come from
autograd.
"""

import warnings

from ... import _dtype as D
from ..._errors import _module_context
from ...ops import resample as R
from ...ops.binary_math import where as _where
from ...ops.creation import linspace as _linspace
from ...ops.creation import ones as _ones
from ...ops.join import stack as _stack
from ...ops.scatter import gather as _gather
from .pooling import _adaptive_avg

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle",
           "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle", "grid_sample",
           "affine_grid"]

_LINEAR = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_NAMES = {"linear": "UpsampleLinear1DBackward0", "bilinear": "UpsampleBilinear2DBackward0",
          "bicubic": "UpsampleBicubic2DBackward0", "trilinear": "UpsampleTrilinear3DBackward0"}
_ALL_MODES = ("nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
              "nearest-exact")


# ---------------------------------------------------------------------------- interpolate

def _target_sizes(input, n, size, scale_factor, recompute_scale_factor):
    """Output size per spatial dim, and the scale to place samples by (None: from the sizes)."""
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        sizes = (size,) * n if isinstance(size, int) else tuple(size)
        if len(sizes) != n:
            raise ValueError(
                "Input and output must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {spatial} and output size of {size}. Please "
                "provide input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                "(o1, o2, ...,oK) format.")
        return tuple(int(s) for s in sizes), (None,) * n
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    scales = (scale_factor,) * n if isinstance(scale_factor, (int, float)) else tuple(
        scale_factor)
    if len(scales) != n:
        raise ValueError(
            "Input and scale_factor must have the same number of spatial dimensions, but got "
            f"input with spatial dimensions of {spatial} and scale_factor of shape "
            f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
            "scale_factor in (s1, s2, ...,sK) format.")
    sizes = tuple(R.output_length(s, f) for s, f in zip(spatial, scales))
    if recompute_scale_factor:
        return sizes, (None,) * n
    return sizes, tuple(float(f) for f in scales)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims of (N, C, *spatial) to ``size`` or by ``scale_factor``.
    Same as torch.nn.functional.interpolate.

    Output sample i of a dim sits at src = i * scale (align_corners) or (i + 0.5) * scale - 0.5
    in the input, scale = in / out (or 1 / scale_factor).  'nearest' copies x[floor(i * scale)],
    'nearest-exact' x[floor((i + 0.5) * scale)]; 'linear' modes mix the two neighbours of src,
    'bicubic' four (Keys, a = -0.75); 'area' averages (adaptive_avg_pool).  Every mode is
    linear in the input, so the gradient is the transposed mixing.
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    n = input.dim() - 2
    if n not in (1, 2, 3):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for "
            f"the modes: {_ALL_MODES} (got {mode})")
    sizes, scales = _target_sizes(input, n, size, scale_factor, recompute_scale_factor)
    if antialias and not (mode in ("bilinear", "bicubic") and input.dim() == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos "
                         "modes and requires a 4-D tensor as input")
    if antialias:
        raise NotImplementedError("ember: interpolate(antialias=True) is not supported; resize "
                                  "without antialias, or blur (avg_pool2d) before downsampling")
    if mode in _LINEAR and _LINEAR[mode] != n:
        need = _LINEAR[mode] + 2
        where = _module_context()
        place = f"in {where}: " if where else ""
        raise NotImplementedError(
            f"Got {input.dim()}D input, but {mode} mode needs {need}D input\n  ember: {place}"
            f"input has shape {list(input.shape)}; interpolate resizes the dims after (N, C)\n"
            f"  hint: {'add the batch dim with x.unsqueeze(0), or ' if input.dim() < need else ''}"
            f"use the mode for {input.dim() - 2} spatial dims: "
            f"{[m for m, k in _LINEAR.items() if k == input.dim() - 2] or ['nearest']}")
    if mode == "area":
        return _adaptive_avg(n, input, sizes)
    _check_sizes(input, sizes)
    if mode in ("nearest", "nearest-exact"):
        return _resize_nearest(input, sizes, scales, mode == "nearest-exact")
    if mode not in _LINEAR:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for "
            f"the modes: {_ALL_MODES} (got {mode})")
    if input.dtype.category < D.FLOAT:
        raise NotImplementedError(f'"upsample_{mode}{n}d" not implemented for '
                                  f"'{input.dtype._short}'")
    for d in range(n):
        in_size = input.shape[2 + d]
        if mode == "bicubic":
            taps = R.cubic_taps(in_size, sizes[d], align_corners, scales[d])
        else:
            taps = R.linear_taps(in_size, sizes[d], align_corners, scales[d])
        name = _NAMES[mode] if d == n - 1 else None
        input = R.resample_axis(input, 2 + d, taps, name)
    return input


def _check_sizes(input, sizes):
    """torch's error for an empty input or output size (0 from size=0, or a scale_factor too
    small or negative): resampling needs at least one sample on each side."""
    spatial = tuple(input.shape[2:])
    if min(spatial) > 0 and min(sizes) > 0:
        return
    names = ("D", "H", "W")[3 - len(sizes):]
    given = ", ".join(f"{a}: {s}" for a, s in zip(names, spatial))
    wanted = ", ".join(f"{a}: {s}" for a, s in zip(names, sizes))
    joint = " and" if len(sizes) == 1 else ""  # torch's 1-D message has the "and"
    raise RuntimeError(
        f"Input and output sizes should be greater than 0, but got input ({given}){joint} "
        f"output ({wanted})\n  ember: interpolate makes sizes {list(sizes)} from input sizes "
        f"{list(spatial)}; give a size of at least 1 per dim, or a positive scale_factor "
        "large enough to leave one sample.")


def _resize_nearest(input, sizes, scales, exact):
    n = len(sizes)
    name = f"UpsampleNearestExact{n}DBackward0" if exact else f"UpsampleNearest{n}DBackward0"
    for d in range(len(sizes)):
        in_size = input.shape[2 + d]
        if sizes[d] == in_size and scales[d] in (None, 1.0):
            continue
        index = R.nearest_indices(in_size, sizes[d], scales[d], exact)
        input = R.PickAxis(2 + d, index, in_size, name).apply(input)
    return input


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of interpolate (warns, as torch)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: interpolate(mode='nearest')."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: interpolate(mode='bilinear', align_corners=True)."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---------------------------------------------------------------------------- shuffles

def pixel_shuffle(input, upscale_factor):
    """(*, C r^2, H, W) -> (*, C, H r, W r): out[c, h r + i, w r + j] = x[c r^2 + i r + j, h, w].
    Same as torch.nn.functional.pixel_shuffle (a reshape and a permute)."""
    r = upscale_factor
    if input.dim() < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
            f"of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    k = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H r, W r) -> (*, C r^2, H, W), the inverse of pixel_shuffle. Same as torch's."""
    r = downscale_factor
    if input.dim() < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    for what, size, d in (("height", h, -2), ("width", w, -1)):
        if size % r:
            raise RuntimeError(f"pixel_unshuffle expects {what} to be divisible by "
                               f"downscale_factor, but input.size({d})={size} is not divisible "
                               f"by {r}")
    k = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)


def channel_shuffle(input, groups):
    """(N, g k, *) -> (N, k g, *): channel i k + j moves to j g + i (ShuffleNet's mixing of
    grouped channels). Same as torch.nn.functional.channel_shuffle."""
    if input.dim() <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    n, c, *rest = input.shape
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {groups} groups.")
    x = input.reshape(n, groups, c // groups, *rest).transpose(1, 2)
    return x.reshape(n, c, *rest)


native_channel_shuffle = channel_shuffle


# ---------------------------------------------------------------------------- grid_sample

_GRID_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False "
                 "since 1.3.0. Please specify align_corners=True if the old behavior is desired. "
                 "See the documentation of grid_sample for details.")


def _pixel_coords(g, size, align_corners, padding_mode):
    """Grid values in [-1, 1] -> input pixel coordinates, with the padding mode applied.

    align_corners: -1 and 1 are the centres of the corner pixels, x = (g + 1) / 2 (size - 1);
    otherwise they are the outer edges of the corner pixels, x = ((g + 1) size - 1) / 2.
    'border' clamps to [0, size - 1]; 'reflection' mirrors at the borders, then clamps.
    """
    if align_corners:
        x = (g + 1) / 2 * (size - 1)
    else:
        x = ((g + 1) * size - 1) / 2
    if padding_mode == "reflection":
        if align_corners:
            x = _reflect(x, 0, 2 * (size - 1))
        else:
            x = _reflect(x, -1, 2 * size - 1)
    if padding_mode in ("border", "reflection"):
        x = x.clamp(0, size - 1)
    return x


def _reflect(x, twice_low, twice_high):
    """Mirror x into [low, high] (given doubled so half-pixel borders stay integers)."""
    if twice_low == twice_high:
        return x * 0
    low = twice_low / 2
    span = (twice_high - twice_low) / 2
    x = (x - low).abs()
    flips = (x / span).floor()
    extra = x - flips * span
    return _where(flips % 2 == 0, extra + low, span - extra + low)


def _pick(flat, iy, ix, h, w):
    """input[n, :, iy, ix] for integer coordinate tensors (N, Ho, Wo), zero outside."""
    inside = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)
    where = (iy.clamp(0, h - 1) * w + ix.clamp(0, w - 1)).long()
    n, c = flat.shape[0], flat.shape[1]
    where = where.reshape(n, 1, -1).expand(n, c, where[0].numel())
    values = _gather(flat, 2, where).reshape(n, c, *iy.shape[1:])
    return values * inside.unsqueeze(1).to(flat.dtype)


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """out[n, c, i, j] = input[n, c] sampled at the point grid[n, i, j] = (x, y) in [-1, 1].
    Same as torch.nn.functional.grid_sample for 4-D inputs.

    'bilinear': with x0 = floor(x), tx = x - x0 (likewise y), the four neighbours mixed by
    (1 - tx)(1 - ty), tx (1 - ty), (1 - tx) ty, tx ty; 'nearest': the pixel at round(x, y).
    Points outside read 0 ('zeros'), the border ('border'), or the mirror image ('reflection').
    Gradients: to input, the same weights scattered back; to grid, through tx and ty.
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_GRID_WARNING, stacklevel=2)
        align_corners = False
    if input.dim() != grid.dim() or input.shape[0] != grid.shape[0]:
        raise RuntimeError(
            "grid_sampler(): expected grid and input to have same batch size, but got input "
            f"with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    if grid.shape[-1] != input.dim() - 2:
        raise RuntimeError(
            f"grid_sampler(): expected grid to have size {input.dim() - 2} in last dimension, "
            f"but got grid with sizes {list(grid.shape)}")
    if input.dim() != 4:
        raise NotImplementedError("ember: grid_sample supports 4-D input (N, C, H, W) only; "
                                  "5-D (volumetric) sampling is not implemented")
    if mode == "bicubic":
        raise NotImplementedError("ember: grid_sample(mode='bicubic') is not implemented; use "
                                  "'bilinear' or 'nearest'")
    if input.dtype is not grid.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype._short} but found "
                           f"{grid.dtype._short}")
    n, c, h, w = input.shape
    x = _pixel_coords(grid[..., 0], w, align_corners, padding_mode)
    y = _pixel_coords(grid[..., 1], h, align_corners, padding_mode)
    flat = input.reshape(n, c, h * w)
    if mode == "nearest":
        # NOTE: round half to even, as torch's nearbyint
        return _pick(flat, y.detach().round(), x.detach().round(), h, w)
    x0 = x.detach().floor()
    y0 = y.detach().floor()
    tx = (x - x0).unsqueeze(1)
    ty = (y - y0).unsqueeze(1)
    top = _pick(flat, y0, x0, h, w) * (1 - tx) + _pick(flat, y0, x0 + 1, h, w) * tx
    bottom = _pick(flat, y0 + 1, x0, h, w) * (1 - tx) + _pick(flat, y0 + 1, x0 + 1, h, w) * tx
    return top * (1 - ty) + bottom * ty


def _base_coords(size, align_corners, like):
    """size points spread over [-1, 1]: the pixel centres (corners with align_corners)."""
    if size <= 1:  # NOTE: a single point sits at the centre, 0, in both conventions
        return _linspace(0, 0, size, dtype=like.dtype, device=like.device)
    points = _linspace(-1, 1, size, dtype=like.dtype, device=like.device)
    if not align_corners:
        points = points * ((size - 1) / size)
    return points


def affine_grid(theta, size, align_corners=None):
    """The sampling grid of affine maps: grid[n, i, j] = theta[n] @ (x_j, y_i, 1), with x, y the
    pixel centres of an output of ``size`` in [-1, 1] coordinates. Same as torch's; (N, 2, 3)
    theta for 4-D sizes, (N, 3, 4) for 5-D sizes.  The gradient to theta comes from matmul."""
    if align_corners is None:
        warnings.warn(_GRID_WARNING, stacklevel=2)
        align_corners = False
    if theta.dtype.category != D.FLOAT:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(size)
    if len(size) not in (4, 5):
        raise NotImplementedError(
            "affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
            f"respectively. Got size {size}.")
    k = len(size) - 2
    if theta.dim() != 3 or tuple(theta.shape[1:]) != (k, k + 1):
        raise ValueError(f"Expected a batch of {k}D affine matrices of shape Nx{k}x{k + 1} for "
                         f"size {size}. Got {theta.shape}.")
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{size[0]}, {(k + 1)}] but got: [{theta.shape[0]}, {k + 1}].")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size "
                      "grids when align_corners=True. This is not an intended use case of "
                      "affine_grid. See the documentation of affine_grid for details.",
                      stacklevel=2)
    # coordinates per output point, x first (the last dim varies fastest)
    axes = [_base_coords(s, align_corners, theta) for s in reversed(spatial)]
    grids = []
    for d, points in enumerate(axes):
        shape = [1] * k
        shape[k - 1 - d] = spatial[k - 1 - d]
        grids.append(points.reshape(shape).expand(*spatial))
    grids.append(_ones(*spatial, dtype=theta.dtype, device=theta.device))
    base = _stack(grids, -1).reshape(1, -1, k + 1)
    out = base @ theta.transpose(1, 2)
    return out.reshape(size[0], *spatial, k)
