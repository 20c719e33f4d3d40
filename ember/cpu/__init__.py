"""ember.cpu: torch.cpu's namespace (for now its ``amp`` spellings)."""

from . import amp  # noqa: F401 - torch.cpu.amp (deprecated spellings of ember.amp)
