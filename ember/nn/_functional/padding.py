"""nn.functional, padding: pad (constant, reflect, replicate, circular)."""

from ... import _device
from ..._errors import _fmt_shape
from ...ops import padding as _padding
from ...ops.index_dim import IndexSelect as _IndexSelect

__all__ = ["pad"]

_INDEX_MAPS = {"reflect": _padding.reflect_index, "replicate": _padding.replicate_index,
               "circular": _padding.circular_index}


def pad(input, pad, mode="constant", value=None):
    """Pad the last len(pad) // 2 dims of ``input``: pad = (left, right) for the last dim, then
    (top, bottom) for the one before, and so on.  Same as torch.nn.functional.pad.

    mode 'constant' fills with ``value`` (default 0) on any number of dims, and negative pads
    crop; 'reflect' mirrors the input without repeating the edge, 'replicate' repeats the edge,
    'circular' wraps around.  Those three pad the last 1, 2 or 3 dims of an input that has one
    or two more dims (channels, or batch and channels).
    """
    pad = _check_pad(input, pad)
    pairs = [(pad[2 * j], pad[2 * j + 1]) for j in range(len(pad) // 2)]  # last dim first
    if mode == "constant":
        return _constant(input, pairs[::-1], 0 if value is None else value)
    if mode not in _INDEX_MAPS:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    n = len(pairs)
    if n not in (1, 2, 3) or input.ndim not in (n + 1, n + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {input.ndim}D "
                                  "input tensor.")
    _check_index_mode(input, pairs, mode)
    xp = _device.xp_for(input.device)
    out = input
    for j, (before, after) in enumerate(pairs):
        dim = input.ndim - 1 - j
        index = _INDEX_MAPS[mode](input.shape[dim], before, after)
        out = _IndexSelect(dim, xp.asarray(index, dtype="int64")).apply(out)
    return out


def _check_pad(input, pad):
    pad = list(pad)
    for k, p in enumerate(pad):
        if not isinstance(p, int) and not (hasattr(p, "ndim") and p.ndim == 0):
            raise TypeError("pad(): argument 'pad' (position 2) must be tuple of ints, but found "
                            f"element of type {type(p).__name__} at pos {k}")
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{input.ndim}")
    return pad


def _constant(input, pairs, value):
    """Constant padding of the dims pairs cover (first padded dim first)."""
    lead = input.ndim - len(pairs)
    for size, (before, after) in zip(input.shape[lead:], pairs):
        if size + min(before, 0) + min(after, 0) < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
    if not any(a or b for a, b in pairs):
        return input.clone()
    return _padding.ConstantPad(pairs, value).apply(input)


def _check_index_mode(input, pairs, mode):
    """torch's checks for reflect / replicate / circular (pairs: last dim first)."""
    n = len(pairs)
    spatial = input.shape[input.ndim - n:]
    if mode != "circular" and 0 in input.shape[1:]:
        raise RuntimeError(f"Expected {n + 1}D or {n + 2}D (batch mode) tensor with possibly 0 "
                           "batch size and other non-zero dimensions for input, but got: "
                           f"{_fmt_shape(input.shape)}")
    for j, (before, after) in enumerate(pairs):
        dim = input.ndim - 1 - j
        size = input.shape[dim]
        if mode == "reflect" and (before >= size or after >= size):
            raise RuntimeError(
                f"Argument #{4 + 2 * j}: Padding size should be less than the corresponding "
                f"input dimension, but got: padding ({before}, {after}) at dimension {dim} of "
                f"input {_fmt_shape(input.shape)}\n  ember: 'reflect' mirrors the input without "
                "its edge, so each pad must be smaller than the size it pads; use 'replicate' or "
                "'circular', or pad less.")
        if mode == "circular":
            kept = size - max(-before, 0) - max(-after, 0)
            if kept < 0:
                raise RuntimeError("Negative padding value is resulting in an empty dimension")
            if before > kept or after > kept:
                raise RuntimeError("Padding value causes wrapping around more than once.")
    if mode != "circular":
        names = "DHW"[3 - n:]
        out = [s + a + b for s, (a, b) in zip(spatial, pairs[::-1])]
        if min(out) < 1:
            given = ", ".join(f"{c}: {s}" for c, s in zip(names, spatial))
            calc = ", ".join(f"{c}: {s}" for c, s in zip(names, out))
            raise RuntimeError(f"input ({given}) is too small. Calculated output {calc}")
