"""ember.amp: torch.amp's automatic mixed precision.

``autocast`` (autocast_mode.py) runs the ops that torch lists in lower precision or float32,
by the one table in policy.py; ``GradScaler`` (grad_scaler.py) scales the loss so float16
gradients do not underflow, skipping steps whose gradients overflowed.
"""

from . import policy as _policy
from .autocast_mode import (
    autocast,
    custom_bwd,
    custom_fwd,
    is_autocast_available,
)
from .grad_scaler import GradScaler

__all__ = ["autocast", "GradScaler", "is_autocast_available", "custom_fwd", "custom_bwd"]



def _install_policy():
    """Put policy.py's table on ember's ops (ember/__init__.py calls this once, last, when
    every function the table names exists)."""
    _policy.install()
