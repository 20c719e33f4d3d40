"""ember.amp: torch.amp's ``autocast`` and ``GradScaler``, without mixed precision yet.

``enabled=False`` behaves exactly as in torch (autocast changes nothing; the scaler's ``scale``
returns its input, ``step`` calls ``optimizer.step()``, ``update`` does nothing).  Where a
CPU-only torch disables them by itself (``autocast('cuda')`` or ``GradScaler('cuda')`` without
a GPU: a warning, then disabled), ember does the same.  Asking for real mixed precision
(``enabled=True`` where torch would honour it) raises NotImplementedError naming the gap.
"""

from .autocast_mode import autocast, is_autocast_available
from .grad_scaler import GradScaler

__all__ = ["autocast", "GradScaler", "is_autocast_available"]
