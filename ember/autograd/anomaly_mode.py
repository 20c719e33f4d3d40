"""Anomaly detection: find the op whose backward produced NaN or Inf.

Off by default and free when off: ops look at one flag.  When on, every recorded op remembers
the stack of the user code that created it, and (with ``check_nan=True``, the default) the
engine checks each gradient a backward formula returns, as torch does.  Forward values are not
checked: inf and NaN are legitimate there (``scores.masked_fill(mask, -inf).softmax(-1)``).

ember extension, off unless asked for: ``detect_anomaly(check_forward=True)`` also checks the
forward outputs of recorded ops, naming the first op that produced a NaN/Inf and the line of
your code that called it.
"""

import functools
import os
import traceback

# ember's own files, found by the package's folder (a checkout may itself sit in a folder
# named "ember", so the path's text says nothing)
_EMBER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class _AnomalyState:
    """Process-wide, as torch's anomaly mode is."""

    __slots__ = ("enabled", "check_nan", "check_forward")

    def __init__(self):
        self.enabled = False
        self.check_nan = True
        self.check_forward = False


state = _AnomalyState()


def is_anomaly_enabled():
    return state.enabled


def is_anomaly_check_nan_enabled():
    return state.check_nan


class detect_anomaly:
    """Context manager (and decorator) that turns anomaly detection on.

    While on, a backward that produces NaN/Inf raises a RuntimeError naming the op and showing
    the line of your code that created it.  ``check_forward=True`` (an ember extension) also
    checks the outputs of recorded ops in forward.
    """

    def __init__(self, check_nan=True, check_forward=False):
        self.check_nan = check_nan
        self.check_forward = check_forward

    def __enter__(self):
        self._prev = (state.enabled, state.check_nan, state.check_forward)
        state.enabled = True
        state.check_nan = self.check_nan
        state.check_forward = self.check_forward
        return self

    def __exit__(self, *exc):
        state.enabled, state.check_nan, state.check_forward = self._prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan, self.check_forward):
                return func(*args, **kwargs)

        return wrapper


class set_detect_anomaly:
    """``set_detect_anomaly(True)`` switches anomaly detection on (also as a context manager)."""

    def __init__(self, mode, check_nan=True, check_forward=False):
        self._prev = (state.enabled, state.check_nan, state.check_forward)
        state.enabled = bool(mode)
        state.check_nan = check_nan
        state.check_forward = bool(mode) and check_forward

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        state.enabled, state.check_nan, state.check_forward = self._prev
        return False


def capture_user_stack():
    """The stack of the code that created an op, without ember's own frames."""
    frames = traceback.extract_stack()[:-1]
    user = [f for f in frames if not os.path.abspath(f.filename).startswith(_EMBER_DIR)]
    return user or frames


def where_created(trace):
    """The creation stack of an op as traceback lines (the innermost four frames)."""
    return "".join(f'  File "{f.filename}", line {f.lineno}, in {f.name}\n    {f.line}\n'
                   for f in trace[-4:])


def check_forward(node, out, xp):
    """Raise if a recorded op's forward returned NaN/Inf (detect_anomaly(check_forward=True))."""
    outs = out if type(out) is tuple else (out,)
    for i, value in enumerate(outs):
        kind = getattr(getattr(value, "dtype", None), "kind", "")
        if kind not in ("f", "c") or bool(xp.isfinite(value).all()):
            continue
        bad = "nan" if bool(xp.isnan(value).any()) else "inf"
        raise RuntimeError(
            f"Function '{node.name()}' returned {bad} values in its {i}th output in forward.\n"
            "  ember (anomaly mode, check_forward=True): this is the first op that produced "
            f"{bad}; it was called here (most recent call last):\n"
            + where_created(node._trace or capture_user_stack()) +
            "  hint: look at this op's inputs: log/sqrt of zero or negative numbers, division "
            "by zero, exp overflow; clamp the input or add a small eps.")
