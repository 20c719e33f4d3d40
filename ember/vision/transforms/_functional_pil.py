"""Image transforms on PIL images (Pillow does the pixel work)."""

import numpy as np

try:
    from PIL import Image, ImageEnhance, ImageOps
except ImportError:  # Pillow is the optional extra `vision`
    Image = ImageEnhance = ImageOps = None

_RESAMPLE = {"nearest": 0, "bilinear": 2, "bicubic": 3, "box": 4, "hamming": 5, "lanczos": 1}


def need_pil():
    if Image is None:
        raise ImportError("ember.vision needs Pillow for PIL images: pip install Pillow "
                          "(or pip install 'ember[vision]')")


def is_pil(img):
    return Image is not None and isinstance(img, Image.Image)


def size_hw(img):
    return [img.size[1], img.size[0]]


def channels(img):
    return len(img.getbands())


def resample(interpolation):
    if interpolation == "nearest-exact":
        interpolation = "nearest"
    return _RESAMPLE[interpolation]


def resize(img, size, interpolation="bilinear"):
    return img.resize((size[1], size[0]), resample(interpolation))


def crop(img, top, left, height, width):
    return img.crop((left, top, left + width, top + height))


def hflip(img):
    return img.transpose(Image.FLIP_LEFT_RIGHT)


def vflip(img):
    return img.transpose(Image.FLIP_TOP_BOTTOM)


def pad(img, padding, fill=0, padding_mode="constant"):
    """padding is (left, top, right, bottom)."""
    left, top, right, bottom = padding
    if padding_mode == "constant" and min(padding) >= 0:
        if img.mode == "P":
            palette = img.getpalette()
            out = ImageOps.expand(img, border=(left, top, right, bottom), fill=fill)
            out.putpalette(palette)
            return out
        return ImageOps.expand(img, border=(left, top, right, bottom), fill=fill)
    array = np.asarray(img)
    h, w = array.shape[:2]
    array = array[max(-top, 0):h - max(-bottom, 0), max(-left, 0):w - max(-right, 0)]
    widths = [(max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0))]
    widths += [(0, 0)] * (array.ndim - 2)
    if padding_mode == "constant":
        array = np.pad(array, widths, mode="constant", constant_values=fill)
    else:
        array = np.pad(array, widths, mode=padding_mode)
    return Image.fromarray(array, mode=img.mode if img.mode != "P" else None)


def rgb_to_grayscale(img, num_output_channels=1):
    gray = img.convert("L")
    if num_output_channels == 3:
        return Image.merge("RGB", [gray, gray, gray])
    return gray


def adjust_brightness(img, factor):
    return ImageEnhance.Brightness(img).enhance(factor)


def adjust_contrast(img, factor):
    return ImageEnhance.Contrast(img).enhance(factor)


def adjust_saturation(img, factor):
    return ImageEnhance.Color(img).enhance(factor)


def adjust_hue(img, hue_factor):
    """Add hue_factor turns to the H channel of the HSV image (uint8 arithmetic wraps)."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if img.mode in ("L", "1", "I", "F"):
        return img
    mode = img.mode
    h, s, v = img.convert("HSV").split()
    shifted = np.array(h, dtype=np.uint8)
    shifted += np.uint8(int(hue_factor * 255) % 256)
    h = Image.fromarray(shifted, "L")
    return Image.merge("HSV", (h, s, v)).convert(mode)


def affine(img, matrix, interpolation="nearest", fill=None):
    """matrix: the 3x3 forward map about the image centre; Pillow wants the inverse's first
    two rows, in pixel coordinates whose origin is the top-left corner."""
    w, h = img.size
    shift = np.array([[1.0, 0, w * 0.5], [0, 1.0, h * 0.5], [0, 0, 1.0]])
    full = shift @ matrix @ np.linalg.inv(shift)
    inverse = np.linalg.inv(full)
    coeffs = tuple(float(c) for c in inverse[:2].reshape(-1))
    kwargs = {} if fill is None else {"fillcolor": _fill_for(img, fill)}
    return img.transform((w, h), Image.AFFINE, coeffs, resample(interpolation), **kwargs)


def _fill_for(img, fill):
    bands = channels(img)
    if isinstance(fill, (int, float)):
        fill = [fill] * bands
    fill = tuple(int(f) if img.mode != "F" else float(f) for f in fill)
    return fill[0] if bands == 1 else fill
