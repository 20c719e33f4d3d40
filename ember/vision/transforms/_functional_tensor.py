"""Image transforms on tensors (..., C, H, W), written with ember ops (so they run on CuPy too).

Images are float in [0, 1] or integer in [0, max of the dtype] (uint8: [0, 255]).  Integer
images are computed in float32 and cast back, as torchvision does.
"""

import math

import numpy as np

import ember

from ... import nn

F = nn.functional


def is_image(img):
    return isinstance(img, ember.Tensor) and img.dim() >= 2


def check_image(img):
    if not isinstance(img, ember.Tensor):
        raise TypeError(f"Input image tensor should be a tensor. Got {type(img)}.")
    if img.dim() < 2:
        raise TypeError(f"Tensor is not a torch image. Got {img.dim()} dimensions; an image is "
                        "(..., C, H, W) or (H, W)")


def max_value(dtype):
    """The value of a white pixel: 1.0 for float images, the dtype's maximum for integers."""
    if dtype.is_floating_point:
        return 1.0
    if dtype == ember.bool:
        return 1
    return ember.iinfo(dtype).max


def size_hw(img):
    return [int(img.shape[-2]), int(img.shape[-1])]


def channels(img):
    return 1 if img.dim() == 2 else int(img.shape[-3])


def convert_image_dtype(image, dtype=ember.float32):
    """Change dtype and rescale values: float <-> [0, 1]; integers <-> [0, max].

    int -> float: x / max.  float -> int: floor(x * (max + 1 - 0.001)), so 1.0 maps to max.
    int -> int: x * (max_out + 1) / (max_in + 1) (a bit shift for the usual dtypes).
    """
    if image.dtype == dtype:
        return image
    if image.is_floating_point():
        if dtype.is_floating_point:
            return image.to(dtype)
        if (image.dtype == ember.float32 and dtype in (ember.int32, ember.int64)) or (
                image.dtype == ember.float64 and dtype == ember.int64):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed "
                               "safely.")
        return (image * (max_value(dtype) + 1.0 - 1e-3)).to(dtype)
    in_max = max_value(image.dtype)
    if dtype.is_floating_point:
        return image.to(dtype) / in_max
    out_max = max_value(dtype)
    if in_max > out_max:
        factor = (in_max + 1) // (out_max + 1)
        return ember.div(image, factor, rounding_mode="floor").to(dtype)
    factor = (out_max + 1) // (in_max + 1)
    return image.to(dtype) * factor


def _to_float(img):
    return img if img.is_floating_point() else img.to(ember.float32)


def _back(result, like):
    """Round float results back to an integer image's dtype (clamped to its range)."""
    if like.is_floating_point():
        return result.to(like.dtype)
    return result.round().clamp(0, max_value(like.dtype)).to(like.dtype)


def normalize(tensor, mean, std, inplace=False):
    """out[c] = (x[c] - mean[c]) / std[c]."""
    check_image(tensor)
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.dim() < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tuple(tensor.shape)}")
    mean = ember.as_tensor(mean, dtype=tensor.dtype, device=tensor.device)
    std = ember.as_tensor(std, dtype=tensor.dtype, device=tensor.device)
    if bool((std == 0).any()):
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to "
                         "division by zero.")
    if mean.dim() == 1:
        mean = mean.view(-1, 1, 1)
    if std.dim() == 1:
        std = std.view(-1, 1, 1)
    if inplace:
        return tensor.sub_(mean).div_(std)
    return (tensor - mean) / std


def hflip(img):
    return img.flip(-1)


def vflip(img):
    return img.flip(-2)


def _pad_indices(n, before, after, mode):
    """Source index of each padded position along one axis, for edge/reflect/symmetric."""
    idx = np.arange(-before, n + after)
    if mode == "edge":
        return np.clip(idx, 0, n - 1)
    period = 2 * n - 2 if mode == "reflect" else 2 * n
    idx = np.mod(idx, max(period, 1))
    if mode == "reflect":
        return np.where(idx >= n, period - idx, idx)
    return np.where(idx >= n, period - 1 - idx, idx)


def parse_padding(padding):
    """torchvision's padding forms -> (left, top, right, bottom)."""
    if isinstance(padding, int):
        return [padding] * 4
    padding = list(padding)
    if len(padding) == 1:
        return padding * 4
    if len(padding) == 2:
        return [padding[0], padding[1], padding[0], padding[1]]
    if len(padding) == 4:
        return padding
    raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                     f"{len(padding)} element tuple")


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad the last two dims.  Modes: constant (fill), edge, reflect (no edge repeat),
    symmetric (edge repeated).  Negative padding crops."""
    left, top, right, bottom = parse_padding(padding)
    if padding_mode == "constant":
        return F.pad(img, (left, right, top, bottom), value=float(fill or 0))
    # crop first for negative amounts, then index the positive ones
    h, w = size_hw(img)
    img = img[..., max(-top, 0):h - max(-bottom, 0), max(-left, 0):w - max(-right, 0)]
    h, w = size_hw(img)
    rows = _pad_indices(h, max(top, 0), max(bottom, 0), padding_mode)
    cols = _pad_indices(w, max(left, 0), max(right, 0), padding_mode)
    rows = ember.as_tensor(rows, device=img.device)
    cols = ember.as_tensor(cols, device=img.device)
    return img.index_select(-2, rows).index_select(-1, cols)


def crop(img, top, left, height, width):
    """img[..., top:top+height, left:left+width]; regions outside the image are zero."""
    h, w = size_hw(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        inside = img[..., max(top, 0):min(bottom, h), max(left, 0):min(right, w)]
        return F.pad(inside, (max(-left, 0), max(right - w, 0), max(-top, 0),
                              max(bottom - h, 0)))
    return img[..., top:bottom, left:right]


def _linear_weights(n_in, n_out, antialias, device, dtype):
    """(n_out, n_in) matrix of a triangle filter: output i samples the input at
    c = (i + 0.5) * n_in / n_out (pixel centres).  Weight of input j: max(0, 1 - |j + 0.5 - c|
    / support), each row normalised to sum 1; support = max(scale, 1) with antialias (a wider
    filter averages all the pixels that shrink into one), else 1 (plain bilinear)."""
    scale = n_in / n_out
    support = max(scale, 1.0) if antialias else 1.0
    centre = (np.arange(n_out) + 0.5) * scale
    if not antialias or scale <= 1:
        # plain bilinear clamps the sample point to the first and last pixel centres
        centre = np.clip(centre, 0.5, n_in - 0.5)
    pos = np.arange(n_in) + 0.5
    weights = np.maximum(0.0, 1.0 - np.abs(pos[None, :] - centre[:, None]) / support)
    weights = weights / weights.sum(axis=1, keepdims=True)
    return ember.as_tensor(weights, dtype=dtype, device=device)


def resize(img, size, interpolation="bilinear", antialias=True):
    """Resize to size = [h, w].  bilinear: out = Wh @ x @ Ww^T with the triangle-filter
    matrices above; nearest: out[i] = x[floor(i * n_in / n_out)]."""
    h, w = size_hw(img)
    oh, ow = size
    if (oh, ow) == (h, w):
        return img
    if interpolation == "nearest":
        rows = np.floor(np.arange(oh) * (h / oh)).astype(np.int64).clip(0, h - 1)
        cols = np.floor(np.arange(ow) * (w / ow)).astype(np.int64).clip(0, w - 1)
        rows = ember.as_tensor(rows, device=img.device)
        cols = ember.as_tensor(cols, device=img.device)
        return img.index_select(-2, rows).index_select(-1, cols)
    if interpolation == "bicubic":
        x = _to_float(img)
        batch = x.reshape(-1, 1, h, w)
        out = F.interpolate(batch, size=(oh, ow), mode="bicubic", align_corners=False)
        return _back(out.reshape(*img.shape[:-2], oh, ow), img)
    if interpolation != "bilinear":
        raise NotImplementedError(f"ember.vision: tensor resize with interpolation "
                                  f"'{interpolation}' is not supported; use bilinear, nearest "
                                  "or bicubic")
    x = _to_float(img)
    wh = _linear_weights(h, oh, antialias, img.device, x.dtype)
    ww = _linear_weights(w, ow, antialias, img.device, x.dtype)
    return _back(wh @ x @ ww.T, img)


def rgb_to_grayscale(img, num_output_channels=1):
    """L = 0.2989 R + 0.587 G + 0.114 B (ITU-R 601-2 luma), repeated num_output_channels."""
    if channels(img) == 1:
        gray = img
    else:
        r, g, b = img.unbind(dim=-3)
        gray = (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype).unsqueeze(-3)
    if num_output_channels == 3:
        return gray.expand(*gray.shape[:-3], 3, *gray.shape[-2:]).clone()
    return gray


def _blend(img1, img2, ratio):
    """ratio * img1 + (1 - ratio) * img2, clamped to the image range."""
    bound = max_value(img1.dtype)
    out = (ratio * _to_float(img1) + (1.0 - ratio) * _to_float(img2)).clamp(0, bound)
    return out.to(img1.dtype)


def adjust_brightness(img, brightness_factor):
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    return _blend(img, ember.zeros_like(img), brightness_factor)


def adjust_contrast(img, contrast_factor):
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    gray = rgb_to_grayscale(img) if channels(img) == 3 else img
    mean = _to_float(gray).mean(dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, contrast_factor)


def adjust_saturation(img, saturation_factor):
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    if channels(img) == 1:
        return img
    return _blend(img, rgb_to_grayscale(img), saturation_factor)


def _rgb_to_hsv(img):
    r, g, b = img.unbind(dim=-3)
    maxc = img.amax(dim=-3)
    minc = img.amin(dim=-3)
    delta = maxc - minc
    s = delta / ember.where(maxc == 0, ember.ones_like(maxc), maxc)
    safe = ember.where(delta == 0, ember.ones_like(delta), delta)
    rc, gc, bc = (maxc - r) / safe, (maxc - g) / safe, (maxc - b) / safe
    h = ember.where(maxc == r, bc - gc, ember.where(maxc == g, 2.0 + rc - bc, 4.0 + gc - rc))
    h = ember.where(delta == 0, ember.zeros_like(h), h)
    h = ember.remainder(h / 6.0, 1.0)
    return h, s, maxc


def _hsv_to_rgb(h, s, v):
    i = ember.floor(h * 6.0)
    f = h * 6.0 - i
    i = ember.remainder(i, 6.0)
    p = (v * (1.0 - s)).clamp(0.0, 1.0)
    q = (v * (1.0 - s * f)).clamp(0.0, 1.0)
    t = (v * (1.0 - s * (1.0 - f))).clamp(0.0, 1.0)
    choices = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = []
    for channel in range(3):
        value = ember.zeros_like(v)
        for sector, triple in enumerate(choices):
            value = ember.where(i == sector, triple[channel], value)
        out.append(value)
    return ember.stack(out, dim=-3)


def adjust_hue(img, hue_factor):
    """Shift the hue (HSV) by hue_factor turns, in [-0.5, 0.5]."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if channels(img) == 1:
        return img
    x = convert_image_dtype(img, ember.float32)
    h, s, v = _rgb_to_hsv(x)
    out = _hsv_to_rgb(ember.remainder(h + hue_factor, 1.0), s, v)
    return convert_image_dtype(out, img.dtype)


def gaussian_kernel1d(kernel_size, sigma):
    """k[i] = exp(-x_i^2 / (2 sigma^2)) normalised to sum 1, x_i = i - (kernel_size - 1) / 2."""
    half = (kernel_size - 1) * 0.5
    x = np.linspace(-half, half, kernel_size)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def gaussian_blur(img, kernel_size, sigma):
    """Separable Gaussian blur with reflect padding: conv along H, then along W."""
    x = _to_float(img)
    shape = x.shape
    c = channels(x)
    batch = x.reshape(-1, c, shape[-2], shape[-1])
    kx = ember.as_tensor(gaussian_kernel1d(kernel_size[0], sigma[0]), dtype=x.dtype,
                         device=x.device)
    ky = ember.as_tensor(gaussian_kernel1d(kernel_size[1], sigma[1]), dtype=x.dtype,
                         device=x.device)
    px, py = kernel_size[0] // 2, kernel_size[1] // 2
    batch = F.pad(batch, (px, px, py, py), mode="reflect")
    batch = F.conv2d(batch, ky.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)
    batch = F.conv2d(batch, kx.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return _back(batch.reshape(shape), img)


def erase(img, i, j, h, w, v, inplace=False):
    """img[..., i:i+h, j:j+w] = v."""
    if not inplace:
        img = img.clone()
    img[..., i:i + h, j:j + w] = v
    return img


def affine_matrix(center, angle, translate, scale, shear):
    """The 3x3 forward matrix M = T * C * R(angle) * S(scale) * SHy * SHx * C^-1 (degrees,
    angle clockwise in image coordinates, x right and y down)."""
    rot = math.radians(angle)
    sx, sy = (math.radians(s) for s in shear)
    rotation = np.array([[math.cos(rot), -math.sin(rot)], [math.sin(rot), math.cos(rot)]])
    shear_y = np.array([[1.0, 0.0], [-math.tan(sy), 1.0]])
    shear_x = np.array([[1.0, -math.tan(sx)], [0.0, 1.0]])
    m = np.eye(3)
    m[:2, :2] = scale * rotation @ shear_y @ shear_x
    cx, cy = center
    to_centre = np.array([[1.0, 0, cx], [0, 1.0, cy], [0, 0, 1.0]])
    back = np.array([[1.0, 0, -cx], [0, 1.0, -cy], [0, 0, 1.0]])
    move = np.array([[1.0, 0, translate[0]], [0, 1.0, translate[1]], [0, 0, 1.0]])
    return move @ to_centre @ m @ back


def affine(img, matrix, interpolation="nearest", fill=None):
    """Warp with a 3x3 forward matrix whose coordinates are relative to the image centre:
    each output pixel p takes the input at M^-1 p (grid_sample, zeros outside, then fill)."""
    h, w = size_hw(img)
    inverse = np.linalg.inv(matrix)
    xs = np.arange(w) - w * 0.5 + 0.5
    ys = np.arange(h) - h * 0.5 + 0.5
    gx, gy = np.meshgrid(xs, ys)
    points = np.stack([gx, gy, np.ones_like(gx)], axis=-1) @ inverse.T
    grid = np.stack([points[..., 0] / (w * 0.5), points[..., 1] / (h * 0.5)], axis=-1)
    x = _to_float(img)
    shape = x.shape
    batch = x.reshape(-1, channels(x), h, w)
    grid = ember.as_tensor(grid[None], dtype=x.dtype, device=x.device)
    grid = grid.expand(batch.shape[0], h, w, 2)
    mode = "nearest" if interpolation == "nearest" else "bilinear"
    out = F.grid_sample(batch, grid, mode=mode, padding_mode="zeros", align_corners=False)
    if fill is not None and fill != 0:
        mask = F.grid_sample(ember.ones_like(batch[:, :1]), grid, mode=mode,
                             padding_mode="zeros", align_corners=False)
        fill_t = ember.as_tensor(fill, dtype=x.dtype, device=x.device).reshape(1, -1, 1, 1)
        out = out * mask + fill_t * (1.0 - mask)
    return _back(out.reshape(shape), img)
