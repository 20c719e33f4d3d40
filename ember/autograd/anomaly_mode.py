"""Anomaly detection: find the op whose backward produced NaN or Inf.

Off by default and free when off: ops look at one flag.  When on, every recorded op remembers
the stack of the user code that created it, and the engine checks each gradient it computes.
With ``check_nan=True`` (the default) the forward outputs of recorded ops are checked too, so
the first op that produced a NaN/Inf is named, with the line of your code that called it.
"""

import traceback


class _AnomalyState:
    __slots__ = ("enabled", "check_nan")

    def __init__(self):
        self.enabled = False
        self.check_nan = True


state = _AnomalyState()


def is_anomaly_enabled():
    return state.enabled


def is_anomaly_check_nan_enabled():
    return state.check_nan


class detect_anomaly:
    """Context manager (and decorator) that turns anomaly detection on.

    While on, a backward that produces NaN/Inf raises a RuntimeError naming the op and showing
    the line of your code that created it.
    """

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = (state.enabled, state.check_nan)
        state.enabled = True
        state.check_nan = self.check_nan
        return self

    def __exit__(self, *exc):
        state.enabled, state.check_nan = self._prev
        return False

    def __call__(self, func):
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return func(*args, **kwargs)

        return wrapper


class set_detect_anomaly:
    """``set_detect_anomaly(True)`` switches anomaly detection on (also as a context manager)."""

    def __init__(self, mode, check_nan=True):
        self._prev = (state.enabled, state.check_nan)
        state.enabled = bool(mode)
        state.check_nan = check_nan

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        state.enabled, state.check_nan = self._prev
        return False


def capture_user_stack():
    """The stack of the code that created an op, without ember's own frames."""
    frames = traceback.extract_stack()[:-1]
    user = [f for f in frames if "/ember/" not in f.filename.replace("\\", "/")]
    return user or frames


def where_created(trace):
    """The creation stack of an op as traceback lines (the innermost four frames)."""
    return "".join(f'  File "{f.filename}", line {f.lineno}, in {f.name}\n    {f.line}\n'
                   for f in trace[-4:])


def check_forward(node, out, xp):
    """Raise if a recorded op's forward returned NaN/Inf (anomaly mode with check_nan)."""
    outs = out if type(out) is tuple else (out,)
    for i, value in enumerate(outs):
        kind = getattr(getattr(value, "dtype", None), "kind", "")
        if kind not in ("f", "c") or bool(xp.isfinite(value).all()):
            continue
        bad = "nan" if bool(xp.isnan(value).any()) else "inf"
        raise RuntimeError(
            f"Function '{node.name()}' returned {bad} values in its {i}th output in forward.\n"
            "  ember (anomaly mode, check_nan=True): this is the first op that produced "
            f"{bad}; it was called here (most recent call last):\n"
            + where_created(node._trace or capture_user_stack()) +
            "  hint: look at this op's inputs: log/sqrt of zero or negative numbers, division "
            "by zero, exp overflow; clamp the input or add a small eps.")
