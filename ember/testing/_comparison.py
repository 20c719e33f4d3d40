"""assert_close: are two tensors (or numbers, or sequences/mappings of them) close?

Close means, element by element, ``|actual - expected| <= atol + rtol * |expected|`` (NaN
equals NaN only with ``equal_nan``; equal infinities are close).  Without ``rtol``/``atol``
the tolerances come from the dtype, as torch's table: float16 (1e-3, 1e-5), bfloat16
(1.6e-2, 1e-5), float32 and complex64 (1.3e-6, 1e-5), float64 and complex128 (1e-7, 1e-7),
integers and bool exact.  The message is torch's: how many elements mismatch and where the
greatest absolute and relative differences are.
"""

import collections.abc
import warnings

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor

__all__ = ["assert_close", "assert_allclose"]

_TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
               "float64": (1e-7, 1e-7), "complex64": (1.3e-6, 1e-5),
               "complex128": (1e-7, 1e-7)}


class _Mismatch(Exception):
    """A comparison failed: ``kind`` is the exception class to raise with ``message``."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind
        self.message = message


def _default_tolerances(*dtypes):
    """The largest (rtol, atol) among the dtypes' defaults (exact for integers and bool)."""
    pairs = [_TOLERANCES.get(str(d).removeprefix("torch.").removeprefix("ember."), (0.0, 0.0))
             for d in dtypes]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _tolerances(rtol, atol, *dtypes):
    if rtol is None and atol is None:
        return _default_tolerances(*dtypes)
    if rtol is None or atol is None:
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'atol' if atol is None else 'rtol'}.")
    return rtol, atol


def _close_mask(a, e, rtol, atol, equal_nan):
    """Element-wise closeness, computed in float64/complex128 so that no tolerance rounds."""
    wide = np.complex128 if np.iscomplexobj(a) or np.iscomplexobj(e) else np.float64
    a64, e64 = a.astype(wide), e.astype(wide)
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.abs(a64 - e64) <= atol + rtol * np.abs(e64)
        close |= a64 == e64  # equal infinities
    if equal_nan:
        close |= np.isnan(a64) & np.isnan(e64)
    return close


def _number(x):
    return x.item() if isinstance(x, np.generic) else x


def _compare_tensors(actual, expected, rtol, atol, equal_nan, check_device, check_dtype,
                     check_stride):
    for name, a, e, check in (("shape", actual.shape, expected.shape, True),
                              ("device", actual.device, expected.device, check_device),
                              ("dtype", actual.dtype, expected.dtype, check_dtype),
                              ("stride()", actual.stride(), expected.stride(), check_stride)):
        if check and a != e:
            raise _Mismatch(AssertionError, f"The values for attribute '{name}' do not match: "
                                            f"{a} != {e}.")
    rtol, atol = _tolerances(rtol, atol, actual.dtype, expected.dtype)
    common = D.promote_types(actual.dtype, expected.dtype)
    np_common = D.to_numpy_dtype(common)
    a = np.asarray(actual.detach().cpu()._data).astype(np_common)
    e = np.asarray(expected.detach().cpu()._data).astype(np_common)
    close = _close_mask(a, e, rtol, atol, equal_nan)
    if close.all():
        return
    exact = rtol == 0 and atol == 0
    if actual.dim() == 0:
        raise _Mismatch(AssertionError, _scalar_message(_number(a[()]), _number(e[()]), rtol,
                                                        atol, exact))
    # the differences of the mismatched elements, in the tensors' own precision (integers in
    # int64, their relative difference in float32, as torch reports them)
    a_flat, e_flat = a.ravel(), e.ravel()
    if common.category == D.FLOAT:
        diff_type = rel_type = np_common
    elif common.category == D.COMPLEX:
        diff_type = rel_type = np.float64 if np_common == np.complex128 else np.float32
    else:
        a_flat, e_flat = a_flat.astype(np.int64), e_flat.astype(np.int64)
        diff_type, rel_type = np.int64, np.float32
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        abs_diff = np.abs(a_flat - e_flat).astype(diff_type)
        rel_diff = (abs_diff.astype(np.float64) / np.abs(e_flat).astype(np.float64))
        rel_diff = rel_diff.astype(rel_type)
    matched = close.ravel()
    abs_diff[matched] = 0
    rel_diff[matched] = 0
    mismatches = int((~matched).sum())
    total = matched.size
    lines = [f"Tensor-likes are not {'equal' if exact else 'close'}!", "",
             f"Mismatched elements: {mismatches} / {total} ({mismatches / total * 100:.1f}%)"]
    for kind, diff, tol in (("absolute", abs_diff, atol), ("relative", rel_diff, rtol)):
        wide = diff.astype(np.float64)
        nans = np.isnan(wide)
        flat = int(np.argmax(nans)) if nans.any() else int(np.argmax(wide))  # NaN is greatest
        index = tuple(int(i) for i in np.unravel_index(flat, actual.shape))
        line = f"Greatest {kind} difference: {_number(diff[flat])} at index {index}"
        lines.append(line if exact else f"{line} (up to {tol} allowed)")
    raise _Mismatch(AssertionError, "\n".join(lines))


def _scalar_message(a, e, rtol, atol, exact):
    abs_diff = abs(a - e)
    rel_diff = abs_diff / abs(e) if e != 0 else float("inf")
    if exact:
        return (f"Scalars are not equal!\n\nExpected {e} but got {a}.\n"
                f"Absolute difference: {abs_diff}\nRelative difference: {rel_diff}")
    return (f"Scalars are not close!\n\nExpected {e} but got {a}.\n"
            f"Absolute difference: {abs_diff} (up to {atol} allowed)\n"
            f"Relative difference: {rel_diff} (up to {rtol} allowed)")


_NUMBER_DTYPES = {bool: "bool", int: "int64", float: "float64", complex: "complex128"}


def _compare_numbers(actual, expected, rtol, atol, equal_nan, check_dtype):
    if check_dtype and type(actual) is not type(expected):
        raise _Mismatch(AssertionError, f"The (d)types do not match: {type(actual)} != "
                                        f"{type(expected)}.")
    rtol, atol = _tolerances(rtol, atol, _NUMBER_DTYPES[type(actual)],
                             _NUMBER_DTYPES[type(expected)])
    if _close_mask(np.asarray(actual), np.asarray(expected), rtol, atol, equal_nan).all():
        return
    raise _Mismatch(AssertionError, _scalar_message(actual, expected, rtol, atol,
                                                    rtol == 0 and atol == 0))


def _is_sequence(x):
    return isinstance(x, collections.abc.Sequence) and not isinstance(x, (str, bytes))


def _compare(actual, expected, where, options):
    """Compare one pair, recursing into sequences and mappings; ``where`` is the item path."""
    if _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise _Mismatch(AssertionError, f"The length of the sequences mismatch: "
                                            f"{len(actual)} != {len(expected)}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, where + [repr(i)], options)
        return
    if isinstance(actual, collections.abc.Mapping) and isinstance(expected,
                                                                  collections.abc.Mapping):
        if set(actual) != set(expected):
            raise _Mismatch(AssertionError, f"The keys of the mappings do not match:\n"
                                            f"Missing keys in the actual mapping: "
                                            f"{sorted(set(expected) - set(actual))}\n"
                                            f"Extra keys in the actual mapping: "
                                            f"{sorted(set(actual) - set(expected))}")
        for key in expected:
            _compare(actual[key], expected[key], where + [repr(key)], options)
        return
    if isinstance(actual, np.ndarray) and isinstance(expected, np.ndarray):
        from .. import from_numpy  # NumPy arrays compare as tensors, as in torch

        actual, expected = from_numpy(actual), from_numpy(expected)
    try:
        if isinstance(actual, Tensor) and isinstance(expected, Tensor):
            if not options["allow_subclasses"] and type(actual) is not type(expected):
                raise _Mismatch(TypeError, f"No comparison pair was able to handle inputs of "
                                           f"type {type(actual)} and {type(expected)}.")
            _compare_tensors(actual, expected, options["rtol"], options["atol"],
                             options["equal_nan"], options["check_device"],
                             options["check_dtype"], options["check_stride"])
        elif type(actual) in _NUMBER_DTYPES and type(expected) in _NUMBER_DTYPES:
            _compare_numbers(actual, expected, options["rtol"], options["atol"],
                             options["equal_nan"], options["check_dtype"])
        else:
            raise _Mismatch(TypeError, f"No comparison pair was able to handle inputs of type "
                                       f"{type(actual)} and {type(expected)}.")
    except _Mismatch as failure:
        if where and failure.kind is AssertionError:
            item = "".join(f"[{w}]" for w in where)
            failure.message += f"\n\nThe failure occurred for item {item}"
        raise


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Raise AssertionError unless ``actual`` and ``expected`` are close (see the module's
    docstring); same checks, defaults and message as torch.testing.assert_close.

    ``msg`` replaces the message (a string) or rewrites it (a callable).  ``check_layout``
    has nothing to check: ember has one layout, strided."""
    del check_layout  # every ember tensor is strided
    options = {"allow_subclasses": allow_subclasses, "rtol": rtol, "atol": atol,
               "equal_nan": equal_nan, "check_device": check_device,
               "check_dtype": check_dtype, "check_stride": check_stride}
    try:
        _compare(actual, expected, [], options)
    except _Mismatch as failure:
        message = failure.message
        if failure.kind is AssertionError and msg is not None:
            message = msg(message) if callable(msg) else msg
        raise failure.kind(message) from None


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    """torch's deprecated form: numbers and lists become tensors, dtypes may differ."""
    from .. import as_tensor

    warnings.warn("`torch.testing.assert_allclose()` is deprecated since 1.12 and will be "
                  "removed in a future release. Please use `torch.testing.assert_close()` "
                  "instead.", FutureWarning, stacklevel=2)
    if not isinstance(actual, Tensor):
        actual = as_tensor(actual)
    if not isinstance(expected, Tensor):
        expected = as_tensor(expected, dtype=actual.dtype)
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan,
                 check_device=True, check_dtype=False, check_stride=False, msg=msg or None)
