"""GradScaler: torch's loss scaler, disabled-mode only until ember has mixed precision."""

import warnings

from .. import _device

__all__ = ["GradScaler"]

_GAP = ("ember does not do mixed precision yet: GradScaler(enabled=True) scales float16 "
        "gradients, and ember's autocast cannot make them; pass enabled=False (scale() then "
        "returns the loss unchanged and step() calls optimizer.step())")


class GradScaler:
    """``GradScaler(device='cuda', init_scale=2.**16, growth_factor=2.0, backoff_factor=0.5,
    growth_interval=2000, enabled=True)``.

    Disabled (``enabled=False``, or 'cuda' without a GPU, as torch), every method is the
    identity torch's disabled scaler is: ``scale(outputs)`` returns ``outputs``,
    ``step(optimizer)`` returns ``optimizer.step()``, ``update()`` and ``unscale_()`` do
    nothing, ``get_scale()`` is 1.0 and ``state_dict()`` is ``{}``."""

    def __init__(self, device="cuda", init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        self._device = device
        if enabled and device == "cuda" and not _device.cuda_available():
            # NOTE: a CPU-only torch does exactly this (warns, then runs disabled)
            warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  "
                          "Disabling.", stacklevel=2)
            enabled = False
        if enabled:
            raise NotImplementedError(_GAP)
        self._enabled = False
        # kept for the getters/setters; a disabled scaler never uses them
        self._settings = {"init_scale": init_scale, "growth_factor": growth_factor,
                          "backoff_factor": backoff_factor, "growth_interval": growth_interval}

    def is_enabled(self):
        return self._enabled

    def scale(self, outputs):
        """The outputs unchanged (a disabled scaler multiplies by nothing)."""
        return outputs

    def unscale_(self, optimizer):
        """Nothing to unscale."""
        return None

    def step(self, optimizer, *args, **kwargs):
        """``optimizer.step(*args, **kwargs)`` and its return value."""
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None):
        """Nothing to update (``new_scale`` is ignored as by torch's disabled scaler)."""
        del new_scale
        return None

    def get_scale(self):
        return 1.0

    def get_growth_factor(self):
        return self._settings["growth_factor"]

    def set_growth_factor(self, new_factor):
        self._settings["growth_factor"] = new_factor

    def get_backoff_factor(self):
        return self._settings["backoff_factor"]

    def set_backoff_factor(self, new_factor):
        self._settings["backoff_factor"] = new_factor

    def get_growth_interval(self):
        return self._settings["growth_interval"]

    def set_growth_interval(self, new_interval):
        self._settings["growth_interval"] = new_interval

    def state_dict(self):
        """``{}``: a disabled scaler has no state (as torch)."""
        return {}

    def load_state_dict(self, state_dict):
        """Nothing to load into a disabled scaler (as torch)."""
        del state_dict
