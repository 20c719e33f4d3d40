"""PyTorch's tensor repr: ``tensor([1., 2.], requires_grad=True)``, and ``set_printoptions``.

How a tensor prints, step by step:

1. Choose the values that will be shown: all of them, or, past ``threshold`` elements, only the
   first and last ``edgeitems`` along every dimension (the rest becomes ``...``).
2. One ``_Formatter`` looks at those values and picks a style shared by every element, so the
   columns line up: integers as they are; floats that are all whole numbers as ``1.``; other
   floats with ``precision`` decimals, or in scientific notation (``1.0000e-05``) when the
   values span more than 1000x, exceed 1e8, or go below 1e-4.  The widest element sets the
   width that every element is padded to.  Complex tensors use one formatter for the real parts
   and one for the imaginary parts.
3. Rows are nested with brackets; a row longer than ``linewidth`` wraps onto further lines.
4. Suffixes follow: ``device=``, ``size=``, ``dtype=`` (when the dtype can't be told from the
   values), ``grad_fn=`` or ``requires_grad=True``.
"""

import math
from contextlib import contextmanager

import numpy as np

from . import _dtype as D


class _PrintOptions:
    precision = 4  # digits after the decimal point
    threshold = 1000  # more elements than this are summarised with '...'
    edgeitems = 3  # elements shown at each end of a summarised dimension
    linewidth = 80  # characters per line before a row wraps
    sci_mode = None  # True/False forces scientific notation on/off; None decides per tensor


PRINT_OPTS = _PrintOptions()

_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}


def set_printoptions(
    precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None
):
    """Set how tensors print. Same as torch.set_printoptions.

    Args:
        precision: digits after the decimal point (default 4)
        threshold: number of elements above which a tensor is summarised (default 1000)
        edgeitems: elements shown at the start and end of each summarised dimension (default 3)
        linewidth: characters per line (default 80)
        profile: 'default', 'short' or 'full' (never summarise); set first, then the others
        sci_mode: True or False to force scientific notation on or off; None (the default)
            lets each tensor decide. Unlike the other options it is reset by every call.
    """
    if profile is not None:
        for name, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, name, value)
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    """The current print options as a dict (the keywords of ``set_printoptions``)."""
    return dict(
        precision=PRINT_OPTS.precision,
        threshold=PRINT_OPTS.threshold,
        edgeitems=PRINT_OPTS.edgeitems,
        linewidth=PRINT_OPTS.linewidth,
        sci_mode=PRINT_OPTS.sci_mode,
    )


@contextmanager
def printoptions(**kwargs):
    """``with printoptions(precision=2): ...`` sets options for the block, then restores them."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


# ---------------------------------------------------------------------------- element style


class _Formatter:
    """One style (and one width) for all the elements of a tensor, chosen from ``values``."""

    def __init__(self, values):
        self.floating = values.dtype.kind == "f"
        self.int_mode = True  # floats that are all whole numbers print as '3.'
        self.sci_mode = False
        self.width = 1
        values = values.ravel()
        if not self.floating:
            for v in values.tolist():
                self.width = max(self.width, len(str(v)))
        else:
            # NOTE: zeros, nan and inf take no part in the choice of style or width
            shown = values[np.isfinite(values) & (values != 0)]
            if shown.size == 0:
                return  # nothing to decide from (the sci_mode option is not applied either)
            magnitudes = np.abs(shown).astype(np.float64)
            smallest, largest = magnitudes.min(), magnitudes.max()
            self.int_mode = bool(np.all(shown == np.ceil(shown)))
            wide_range = largest / smallest > 1000.0 or largest > 1.0e8
            if self.int_mode:
                self.sci_mode = bool(wide_range)
            else:
                self.sci_mode = bool(wide_range or smallest < 1.0e-4)
            if PRINT_OPTS.sci_mode is not None:
                self.sci_mode = PRINT_OPTS.sci_mode
            for v in shown.tolist():
                if self.sci_mode:
                    text = f"{v:.{PRINT_OPTS.precision}e}"
                elif self.int_mode:
                    text = f"{v:.0f}."
                else:
                    text = f"{v:.{PRINT_OPTS.precision}f}"
                self.width = max(self.width, len(text))

    def format(self, value):
        """One element (a Python number) as text, padded on the left to the common width."""
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:.{PRINT_OPTS.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            if math.isfinite(value):
                text += "."
        else:
            text = f"{value:.{PRINT_OPTS.precision}f}"
        return text.rjust(self.width)


def _complex_str(value, real_formatter, imag_formatter):
    real = real_formatter.format(value.real)
    imag = (imag_formatter.format(value.imag) + "j").lstrip()
    if imag[0] in "+-":
        return real + imag
    return real + "+" + imag


# ---------------------------------------------------------------------------- layout


def _shown_values(array):
    """The values a summarised tensor shows: the first and last ``edgeitems`` of each dim."""
    e = PRINT_OPTS.edgeitems
    for axis, n in enumerate(array.shape):
        if n > 2 * e:
            keep = list(range(e)) + list(range(n - e, n))
            array = np.take(array, keep, axis=axis)
    return array


class _Layout:
    """Writes the nested, bracketed body of a non-empty tensor with its formatters."""

    def __init__(self, array, summarize):
        self.summarize = summarize
        self.complex = array.dtype.kind == "c"
        shown = _shown_values(array) if summarize else array
        if self.complex:
            self.formatters = (_Formatter(shown.real), _Formatter(shown.imag))
        else:
            self.formatters = (_Formatter(shown),)

    def element(self, value):
        if self.complex:
            return _complex_str(value, *self.formatters)
        return self.formatters[0].format(value)

    def element_width(self):
        """Characters an element takes in a row, counting its ', ' separator."""
        if self.complex:
            return self.formatters[0].width + 2 + self.formatters[1].width + 1
        return self.formatters[0].width + 2

    def cut(self, n):
        """Whether a dimension of length ``n`` is shortened to its edges and '...'."""
        return self.summarize and n > 2 * PRINT_OPTS.edgeitems

    def body(self, array, indent):
        if array.ndim == 0:
            return self.element(array.item())
        if array.ndim == 1:
            return self.row(array, indent)
        e = PRINT_OPTS.edgeitems
        n = array.shape[0]
        if self.cut(n):
            parts = [self.body(array[i], indent + 1) for i in range(e)]
            parts.append("...")
            parts += [self.body(array[i], indent + 1) for i in range(n - e, n)]
        else:
            parts = [self.body(array[i], indent + 1) for i in range(n)]
        # sub-tensors are separated by one blank line per dimension below the first
        separator = "," + "\n" * (array.ndim - 1) + " " * (indent + 1)
        return "[" + separator.join(parts) + "]"

    def row(self, array, indent):
        """A 1-d row; it wraps to as many lines as ``linewidth`` needs."""
        e = PRINT_OPTS.edgeitems
        n = array.shape[0]
        if self.summarize and e == 0:
            items = ["..."]
        elif self.cut(n):
            items = [self.element(v) for v in array[:e].tolist()]
            items.append(" ...")
            items += [self.element(v) for v in array[n - e :].tolist()]
        else:
            items = [self.element(v) for v in array.tolist()]
        per_line = max(1, int((PRINT_OPTS.linewidth - indent) // self.element_width()))
        lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


# ---------------------------------------------------------------------------- the repr


def _values(t):
    """The tensor's values as a NumPy array the formatters can read (16- and 8-bit floats
    widened)."""
    array = np.asarray(t.detach()._host())
    if t.dtype in (D.float16, D.bfloat16) or (t.dtype.category == D.FLOAT and
                                               t.dtype.itemsize == 1):
        array = array.astype(np.float32)
    return array


def _prefix(t):
    # Only a class that sets _repr_as_tensor in its own body (Tensor, nn's Parameter and Buffer)
    # prints as 'tensor(': the flag is not inherited, so other subclasses show their name.
    cls = type(t)
    if vars(cls).get("_repr_as_tensor", False):
        return "tensor("
    return cls.__name__ + "("


def _join_suffixes(text, suffixes, indent):
    """Append ', suffix' for each suffix, moving one to a new line where the line is full."""
    # NOTE: the length of the last line is counted with two extra characters, as torch does
    line_length = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if line_length + len(suffix) + 2 > PRINT_OPTS.linewidth:
            text += ",\n" + " " * indent + suffix
            line_length = indent + len(suffix)
        else:
            text += ", " + suffix
            line_length += len(suffix) + 2
    return text + ")"


def _meta_repr(t, prefix, indent):
    """A meta tensor has no values: ``tensor(..., device='meta', size=(2, 3))``."""
    suffixes = ["device='meta'", f"size={tuple(t.shape)}"]
    if t.dtype is not D.get_default_dtype():
        suffixes.append(f"dtype={t.dtype}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _join_suffixes(prefix + "...", suffixes, indent)


def tensor_repr(t):
    """The text ``repr(t)`` and ``str(t)`` give, as torch prints it."""
    prefix = _prefix(t)
    indent = len(prefix)
    if t.device.type == "meta":
        return _meta_repr(t, prefix, indent)
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    default = D.get_default_dtype()
    if t.numel() == 0:
        body = "[]"
        if t.dim() != 1:
            suffixes.append(f"size={tuple(t.shape)}")
        # no values to tell the dtype from: anything but the default float is named
        if t.dtype is not default:
            suffixes.append(f"dtype={t.dtype}")
    else:
        if PRINT_OPTS.edgeitems == 0:
            suffixes.append(f"size={tuple(t.shape)}")
        if t.dtype not in (default, D.default_complex_dtype(), D.int64, D.bool):
            suffixes.append(f"dtype={t.dtype}")
        array = _values(t)
        summarize = array.size > PRINT_OPTS.threshold
        body = _Layout(array, summarize).body(array, indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _join_suffixes(prefix + body, suffixes, indent)
