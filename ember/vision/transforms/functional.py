"""torchvision.transforms.functional: each function takes a PIL image or a tensor image
(..., C, H, W) and sends it to the PIL or the tensor version."""

import enum
import numbers

import numpy as np

import ember

from . import _functional_pil as P
from . import _functional_tensor as T
from ._functional_tensor import convert_image_dtype, erase, normalize  # noqa: F401


class InterpolationMode(enum.Enum):
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


def _mode(interpolation):
    if isinstance(interpolation, InterpolationMode):
        return interpolation.value
    if isinstance(interpolation, int):  # Pillow's constants
        return {0: "nearest", 2: "bilinear", 3: "bicubic", 4: "box", 5: "hamming",
                1: "lanczos"}[interpolation]
    return str(interpolation)


def _check(img):
    if P.is_pil(img):
        return True
    if not isinstance(img, ember.Tensor):
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")
    T.check_image(img)
    return False


def get_dimensions(img):
    """[channels, height, width]."""
    if _check(img):
        return [P.channels(img), *P.size_hw(img)]
    return [T.channels(img), *T.size_hw(img)]


def get_image_size(img):
    """[width, height]."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img):
    return get_dimensions(img)[0]


# ------------------------------------------------------------------ conversions

_PIL_DTYPES = {"I": np.int32, "I;16": np.int16, "I;16B": np.int16, "F": np.float32}


def pil_to_tensor(pic):
    """PIL image -> uint8 (or int/float for modes I, I;16, F) tensor (C, H, W), no scaling."""
    if not P.is_pil(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    array = np.array(pic, dtype=_PIL_DTYPES.get(pic.mode), copy=True)
    if array.ndim == 2:
        array = array[:, :, None]
    return ember.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))


def to_tensor(pic):
    """PIL image or HxWxC ndarray -> float tensor (C, H, W); uint8 values are divided by
    255, other dtypes are kept."""
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        if pic.ndim == 2:
            pic = pic[:, :, None]
        img = ember.from_numpy(np.ascontiguousarray(pic.transpose(2, 0, 1)))
        if img.dtype == ember.uint8:
            return img.to(ember.get_default_dtype()).div(255)
        return img
    if not P.is_pil(pic):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    array = np.array(pic, dtype=_PIL_DTYPES.get(pic.mode, np.uint8), copy=True)
    if pic.mode == "1":
        array = array * 255
    if array.ndim == 2:
        array = array[:, :, None]
    img = ember.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))
    if img.dtype == ember.uint8:
        return img.to(ember.get_default_dtype()).div(255)
    return img


_MODES = {1: {np.uint8: "L", np.int16: "I;16", np.int32: "I", np.float32: "F"},
          2: {np.uint8: "LA"}, 3: {np.uint8: "RGB"}, 4: {np.uint8: "RGBA"}}


def to_pil_image(pic, mode=None):
    """Tensor (C, H, W) or ndarray (H, W, C) -> PIL image; float tensors are scaled by 255."""
    P.need_pil()
    if isinstance(pic, ember.Tensor):
        if pic.dim() not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.dim()} dimensions.")
        if pic.dim() == 2:
            pic = pic.unsqueeze(0)
        if pic.is_floating_point() and mode != "F":
            pic = (pic * 255).to(ember.uint8)
        array = pic.cpu().numpy().transpose(1, 2, 0)
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        array = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    bands = array.shape[2]
    if bands == 1:
        array = array[:, :, 0]
    if mode is None:
        mode = _MODES.get(bands, {}).get(array.dtype.type)
        if mode is None:
            raise TypeError(f"Input type {array.dtype} is not supported")
    return P.Image.fromarray(np.ascontiguousarray(array), mode=mode)


# ------------------------------------------------------------------ geometry

def _output_size(h, w, size, max_size):
    """torchvision's rule: an int (or [int]) sets the shorter edge, keeping the aspect."""
    if isinstance(size, int) or len(size) == 1:
        target = size if isinstance(size, int) else size[0]
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = target, int(target * long / short)
        if max_size is not None:
            if max_size <= target:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the "
                                 f"requested size for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        return [new_long, new_short] if w <= h else [new_short, new_long]
    if max_size is not None:
        raise ValueError("max_size should only be passed if size specifies the length of the "
                         "smaller edge, i.e. size should be an int or a sequence of length 1 in "
                         "torchscript mode.")
    return [int(size[0]), int(size[1])]


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    mode = _mode(interpolation)
    _, h, w = get_dimensions(img)
    out = _output_size(h, w, size, max_size)
    if P.is_pil(img):
        return P.resize(img, out, mode)
    return T.resize(img, out, mode, antialias=bool(antialias))


def crop(img, top, left, height, width):
    if _check(img):
        return P.crop(img, top, left, height, width)
    return T.crop(img, top, left, height, width)


def center_crop(img, output_size):
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    _, h, w = get_dimensions(img)
    ch, cw = output_size
    if ch > h or cw > w:
        padding = [(cw - w) // 2 if cw > w else 0, (ch - h) // 2 if ch > h else 0,
                   (cw - w + 1) // 2 if cw > w else 0, (ch - h + 1) // 2 if ch > h else 0]
        img = pad(img, padding, fill=0)
        _, h, w = get_dimensions(img)
        if cw == w and ch == h:
            return img
    top = int(round((h - ch) / 2.0))
    left = int(round((w - cw) / 2.0))
    return crop(img, top, left, ch, cw)


def resized_crop(img, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR,
                 antialias=True):
    img = crop(img, top, left, height, width)
    return resize(img, size, interpolation, antialias=antialias)


def hflip(img):
    return P.hflip(img) if _check(img) else T.hflip(img)


def vflip(img):
    return P.vflip(img) if _check(img) else T.vflip(img)


def pad(img, padding, fill=0, padding_mode="constant"):
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    sides = T.parse_padding(padding)
    if _check(img):
        return P.pad(img, sides, fill, padding_mode)
    return T.pad(img, sides, fill, padding_mode)


def five_crop(img, size):
    """(top-left, top-right, bottom-left, bottom-right, center) crops of size (h, w)."""
    if isinstance(size, numbers.Number):
        size = (int(size), int(size))
    elif len(size) == 1:
        size = (size[0], size[0])
    _, h, w = get_dimensions(img)
    ch, cw = size
    if ch > h or cw > w:
        raise ValueError(f"Requested crop size {size} is bigger than input size {(h, w)}")
    return (crop(img, 0, 0, ch, cw), crop(img, 0, w - cw, ch, cw), crop(img, h - ch, 0, ch, cw),
            crop(img, h - ch, w - cw, ch, cw), center_crop(img, (ch, cw)))


def ten_crop(img, size, vertical_flip=False):
    """five_crop of the image and five_crop of its (horizontal or vertical) flip."""
    flipped = vflip(img) if vertical_flip else hflip(img)
    return five_crop(img, size) + five_crop(flipped, size)


def _centre_matrix(img, angle, translate, scale, shear, center):
    _, h, w = get_dimensions(img)
    if center is None:
        offset = [0.0, 0.0]
    else:
        offset = [center[0] - w * 0.5, center[1] - h * 0.5]
    if isinstance(shear, numbers.Number):
        shear = [shear, 0.0]
    shear = list(shear) + [0.0] * (2 - len(shear))
    return T.affine_matrix(offset, angle, translate, scale, shear)


def affine(img, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST,
           fill=None, center=None):
    """Rotate by angle (degrees, clockwise), scale, shear (degrees) about center, then
    translate by (tx, ty) pixels."""
    if len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    matrix = _centre_matrix(img, angle, translate, scale, shear, center)
    if _check(img):
        return P.affine(img, matrix, _mode(interpolation), fill)
    return T.affine(img, matrix, _mode(interpolation), fill)


def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None,
           fill=None):
    """Rotate counter-clockwise by angle degrees about center (default: the image centre)."""
    if expand:
        if P.is_pil(img):
            kwargs = {} if fill is None else {"fillcolor": P._fill_for(img, fill)}
            return img.rotate(angle, P.resample(_mode(interpolation)), True, center, **kwargs)
        raise NotImplementedError("ember.vision: rotate(expand=True) is supported for PIL "
                                  "images only")
    return affine(img, -angle, [0, 0], 1.0, [0.0, 0.0], interpolation, fill, center)


# ------------------------------------------------------------------ colour

def rgb_to_grayscale(img, num_output_channels=1):
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if _check(img):
        return P.rgb_to_grayscale(img, num_output_channels)
    if T.channels(img) not in (1, 3):
        raise TypeError(f"Input image tensor permitted channel values are [1, 3], but found "
                        f"{T.channels(img)}")
    return T.rgb_to_grayscale(img, num_output_channels)


to_grayscale = rgb_to_grayscale


def adjust_brightness(img, brightness_factor):
    if _check(img):
        return P.adjust_brightness(img, brightness_factor)
    return T.adjust_brightness(img, brightness_factor)


def adjust_contrast(img, contrast_factor):
    if _check(img):
        return P.adjust_contrast(img, contrast_factor)
    return T.adjust_contrast(img, contrast_factor)


def adjust_saturation(img, saturation_factor):
    if _check(img):
        return P.adjust_saturation(img, saturation_factor)
    return T.adjust_saturation(img, saturation_factor)


def adjust_hue(img, hue_factor):
    if _check(img):
        return P.adjust_hue(img, hue_factor)
    return T.adjust_hue(img, hue_factor)


def gaussian_blur(img, kernel_size, sigma=None):
    """Blur with a Gaussian of the given odd kernel_size (and sigma, default
    0.15 * k + 0.35).  PIL images go through a uint8 tensor and back."""
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    kernel_size = list(kernel_size)
    if len(kernel_size) == 1:
        kernel_size = kernel_size * 2
    for k in kernel_size:
        if k % 2 == 0 or k < 0:
            raise ValueError(f"kernel_size should have odd and positive integers. Got "
                             f"{kernel_size}")
    if sigma is None:
        sigma = [k * 0.15 + 0.35 for k in kernel_size]
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    sigma = list(sigma)
    if len(sigma) == 1:
        sigma = sigma * 2
    if any(s <= 0 for s in sigma):
        raise ValueError(f"sigma should have positive values. Got {sigma}")
    if _check(img):
        out = T.gaussian_blur(pil_to_tensor(img), kernel_size, sigma)
        return to_pil_image(out, mode=img.mode)
    return T.gaussian_blur(img, kernel_size, sigma)
