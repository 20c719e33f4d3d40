"""ember.serialization: save/load of checkpoints in PyTorch's format, and the allowlist of
globals that ``load(weights_only=True)`` accepts (``add_safe_globals``, as torch)."""

import contextlib

from . import _unpickler
from ._load import load
from ._save import save

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals",
           "safe_globals"]


def _qualified(entry):
    if isinstance(entry, tuple):
        obj, name = entry
        return name, obj
    return f"{entry.__module__}.{entry.__qualname__}", entry


def add_safe_globals(safe_globals):
    """Allow these classes/functions (or (object, "module.name") pairs) in weights-only loads."""
    for entry in safe_globals:
        name, obj = _qualified(entry)
        _unpickler._user_safe[name] = obj


def get_safe_globals():
    return list(_unpickler._user_safe.values())


def clear_safe_globals():
    _unpickler._user_safe.clear()


@contextlib.contextmanager
def safe_globals(safe_globals):
    """Allow the given globals for the loads inside the ``with`` block only."""
    saved = dict(_unpickler._user_safe)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _unpickler._user_safe.clear()
        _unpickler._user_safe.update(saved)
