"""NumPy's spellings that torch accepts: ``axis=`` for ``dim=`` and ``keepdims=`` for
``keepdim=`` (``x.sum(axis=1, keepdims=True)``, ``torch.cat(ts, axis=0)``).

torch takes them on every op with a ``dim``/``keepdim`` argument.  In ember each such op has
two keyword-only parameters ``axis=None``/``keepdims=None`` and, first thing, one cheap test
(``if axis is not None ...``) that hands them to the helpers here, so the common call with
torch's own names costs nothing more.  Giving both spellings of one argument is torch's
TypeError.
"""

__all__ = ["REQUIRED", "missing", "numpy_axis", "numpy_names"]


class _Required:
    """The default of a ``dim`` that must be given (as ``dim=`` or ``axis=``)."""

    def __repr__(self):
        return "REQUIRED"


REQUIRED = _Required()


def _given(value, default):
    """Whether an argument was passed: it differs from its default (checked without
    comparing tensors, which ``max(input, other)`` may pass in ``dim``'s place)."""
    if value is default:
        return False
    return not (isinstance(value, (int, tuple)) and isinstance(default, (int, tuple))
                and value == default)


def missing(fn, name):
    """torch's TypeError for a required argument left out (an op whose ``dim`` may come as
    ``axis=`` gives its later arguments the default REQUIRED too)."""
    return TypeError(f'{fn}() missing 1 required positional arguments: "{name}"')


def numpy_axis(fn, dim, axis, default=None):
    """``dim``, or ``axis`` when only that spelling was given."""
    if axis is not None:
        if _given(dim, default):
            raise TypeError(f"{fn}() got an unexpected keyword argument 'axis'")
        dim = axis
    if dim is REQUIRED:
        raise TypeError(f'{fn}() missing 1 required positional arguments: "dim"')
    return dim


def numpy_names(fn, dim, keepdim, axis, keepdims, default=None):
    """(dim, keepdim), taking ``axis``/``keepdims`` when torch's names were not given."""
    dim = numpy_axis(fn, dim, axis, default)
    if keepdims is not None:
        if keepdim:
            raise TypeError(f"{fn}() got an unexpected keyword argument 'keepdims'")
        keepdim = keepdims
    return dim, keepdim
