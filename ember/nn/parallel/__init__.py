"""ember.nn.parallel: torch.nn.parallel's DataParallel (one device) and DistributedDataParallel."""

from .data_parallel import DataParallel, data_parallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "data_parallel", "DistributedDataParallel"]
