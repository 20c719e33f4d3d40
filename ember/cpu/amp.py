"""ember.cpu.amp: torch.cpu.amp's deprecated spellings of ``autocast('cpu')`` and
``GradScaler('cpu')`` (same FutureWarning as torch, then ember.amp's behaviour)."""

import warnings

from .. import amp

__all__ = ["autocast", "GradScaler"]


class autocast(amp.autocast):
    """``ember.cpu.amp.autocast(enabled=True, dtype=bfloat16, cache_enabled=True)``."""

    def __init__(self, enabled=True, dtype=None, cache_enabled=True):
        warnings.warn("`torch.cpu.amp.autocast(args...)` is deprecated. Please use "
                      "`torch.amp.autocast('cpu', args...)` instead.", FutureWarning,
                      stacklevel=2)
        from .. import bfloat16

        super().__init__("cpu", dtype=bfloat16 if dtype is None else dtype, enabled=enabled,
                         cache_enabled=cache_enabled)


class GradScaler(amp.GradScaler):
    """``ember.cpu.amp.GradScaler(init_scale=2.**16, ..., enabled=True)``."""

    def __init__(self, init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        warnings.warn("`torch.cpu.amp.GradScaler(args...)` is deprecated. Please use "
                      "`torch.amp.GradScaler('cpu', args...)` instead.", FutureWarning,
                      stacklevel=2)
        super().__init__("cpu", init_scale=init_scale, growth_factor=growth_factor,
                         backoff_factor=backoff_factor, growth_interval=growth_interval,
                         enabled=enabled)
