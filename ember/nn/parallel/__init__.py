"""ember.nn.parallel: torch.nn.parallel's DataParallel (one device)."""

from .data_parallel import DataParallel, data_parallel

__all__ = ["DataParallel", "data_parallel"]
