"""Two of torch.autograd's engine switches, kept per thread as torch keeps them.  ember's
engine is one plain loop on the calling thread that accumulates row-major gradients, so
neither switch changes a result here; each is recorded and can be read back, so code that
sets them runs unchanged.

- ``set_multithreading_enabled(mode)``: torch runs backward on per-device worker threads
  unless ``mode`` is False; ember always runs it on the calling thread.
- ``enforce_grad_layout_policy(enable)``: torch makes accumulated gradients take their
  parameter's strides unless ``enable`` is False; ember's gradients are always row-major.

Both work as a function call (the setting holds until changed), as a context manager
(restored on exit) and as a decorator, like set_grad_enabled.
"""

import functools
import threading

__all__ = ["enforce_grad_layout_policy", "set_multithreading_enabled"]


class _Switches(threading.local):
    def __init__(self):
        self.multithreading = True
        self.grad_layout_policy = True


switches = _Switches()


class _Switch:
    """Sets ``switches.<field>`` at construction; exiting (or a decorated call's end) puts the
    previous value back."""

    field = None

    def __init__(self, mode):
        self.mode = bool(mode)
        self.prev = getattr(switches, self.field)
        setattr(switches, self.field, self.mode)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        setattr(switches, self.field, self.prev)
        return False

    def __call__(self, func):
        setattr(switches, self.field, self.prev)  # as a decorator: only inside calls
        cls, mode = type(self), self.mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with cls(mode):
                return func(*args, **kwargs)

        return wrapper

    def clone(self):
        return type(self)(self.mode)


class set_multithreading_enabled(_Switch):
    """Whether backward may run on worker threads (ember: always the calling thread)."""

    field = "multithreading"


class enforce_grad_layout_policy(_Switch):
    """Whether accumulated gradients are made to follow their parameter's strides (ember's
    gradients are row-major either way)."""

    field = "grad_layout_policy"


def is_multithreading_enabled():
    return switches.multithreading


def is_grad_layout_policy_enforced():
    return switches.grad_layout_policy
