"""Switches for recording the autograd graph: no_grad, enable_grad, set_grad_enabled,
inference_mode.  Each works as a context manager and as a decorator, like torch's.

The modes belong to the thread that sets them, as in torch: a ``no_grad`` block (or the
engine running backward, or a comparison) in one thread never changes what another thread
records.  The flags live in one thread-local object read on every op (``state.enabled``);
each thread sees its own attributes, starting from grad mode on and inference mode off.
"""

import functools
import threading


class _GradState(threading.local):
    """Per-thread grad and inference mode (``__init__`` runs once in each thread that reads it)."""

    def __init__(self):
        self.enabled = True
        self.inference = False


state = _GradState()


def is_grad_enabled():
    """True when ops record the graph for backward."""
    return state.enabled


def is_inference_mode_enabled():
    return state.inference


class _GradModeContext:
    """Base: a context manager that sets the grad flag and restores it, usable as decorator."""

    def _new_value(self):
        raise NotImplementedError  # each subclass says what the flag becomes

    def __enter__(self):
        self._prev = state.enabled
        state.enabled = self._new_value()
        return None

    def __exit__(self, *exc):
        state.enabled = self._prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._args()):
                return func(*args, **kwargs)

        return wrapper

    def _args(self):
        return ()

    def clone(self):
        return self.__class__(*self._args())


class no_grad(_GradModeContext):
    """Ops inside do not record the graph (for evaluation and in-place parameter updates)."""

    def _new_value(self):
        return False


class enable_grad(_GradModeContext):
    """Record the graph again inside a no_grad block."""

    def _new_value(self):
        return True


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(False)`` switches recording off; works as a function call too."""

    def __init__(self, mode):
        self.mode = bool(mode)
        self._prev = state.enabled
        state.enabled = self.mode  # torch applies the setting at construction

    def _new_value(self):
        return self.mode

    def __enter__(self):
        # the constructor already set the flag; entering keeps it
        return None

    def __exit__(self, *exc):
        state.enabled = self._prev
        return False

    def __call__(self, func):
        state.enabled = self._prev  # used as a decorator: the constructor's change is undone
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return func(*args, **kwargs)

        return wrapper

    def _args(self):
        return (self.mode,)


class inference_mode(_GradModeContext):
    """Like no_grad (ember has no extra inference-mode speed-ups); ``inference_mode(False)``
    records as usual."""

    def __init__(self, mode=True):
        self.mode = bool(mode)

    def __new__(cls, mode=True):
        if callable(mode) and not isinstance(mode, bool):  # used as a bare @inference_mode
            return cls(True)(mode)
        return super().__new__(cls)

    def _new_value(self):
        return state.enabled if not self.mode else False

    def __enter__(self):
        self._prev_inference = state.inference
        state.inference = self.mode or state.inference
        return super().__enter__()

    def __exit__(self, *exc):
        state.inference = self._prev_inference
        return super().__exit__(*exc)

    def _args(self):
        return (self.mode,)
