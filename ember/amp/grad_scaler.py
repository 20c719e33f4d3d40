"""GradScaler: torch's dynamic loss scaling for float16 training.

float16 gradients underflow to zero when they are small.  The scaler multiplies the loss by a
large factor S before backward, so every gradient is S times larger, then divides the gradients
by S (``unscale_``) before the optimizer uses them.  If any gradient came out inf or NaN, S was
too large: the step is skipped and S shrinks (``backoff_factor``).  After ``growth_interval``
steps in a row without inf/NaN, S grows (``growth_factor``), so it stays near the largest safe
value.  The rule, per ``update()``:

    found inf/NaN:  S = S * backoff_factor,  tracker = 0
    otherwise:      tracker = tracker + 1; when tracker reaches growth_interval,
                    S = S * growth_factor (only if that is finite) and tracker = 0

S is a float32 0-dim tensor and the tracker an int32 0-dim tensor, both made by the first
``scale()`` on the loss's device (as torch).  A scaler built with ``enabled=False``, or for
'cuda' on a machine without CUDA (after a warning), does nothing: ``scale`` returns its input.
"""

import warnings

import numpy as np

from .. import _device
from .. import _dtype as D

__all__ = ["GradScaler", "OptState"]


class OptState:
    """Where an optimizer is in the iteration: nothing done, unscaled, stepped."""

    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _fresh_optimizer_state():
    return {"stage": OptState.READY, "found_inf_per_device": {}}


_FIX = "This may indicate your script did not use scaler.scale(loss or outputs) earlier in the " \
       "iteration."


class GradScaler:
    """``GradScaler(device='cuda', init_scale=2.**16, growth_factor=2.0, backoff_factor=0.5,
    growth_interval=2000, enabled=True)``: the loop is

        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)      # optional: to clip or read the true gradients
        scaler.step(optimizer)          # skipped when a gradient is inf/NaN
        scaler.update()
    """

    def __init__(self, device="cuda", init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        self._device = device
        self._enabled = enabled
        if enabled and device == "cuda" and not _device.cuda_available():
            # NOTE: a CPU-only torch does exactly this (warns, then runs disabled)
            warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  "
                          "Disabling.", stacklevel=2)
            self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
        self._init_scale = init_scale
        self._scale = None  # float32 0-dim tensor, made by the first scale()
        self._growth_factor = growth_factor
        self._backoff_factor = backoff_factor
        self._growth_interval = growth_interval
        self._init_growth_tracker = 0
        self._growth_tracker = None  # int32 0-dim tensor
        self._per_optimizer_states = {}

    def _optimizer_state(self, optimizer):
        return self._per_optimizer_states.setdefault(id(optimizer), _fresh_optimizer_state())

    def _check_scale_growth_tracker(self, funcname):
        if self._scale is None:
            raise AssertionError(f"Attempted {funcname} but _scale is None.  " + _FIX)
        return self._scale, self._growth_tracker

    # ------------------------------------------------------------------ the four calls

    def scale(self, outputs):
        """``outputs`` times the current scale (a tensor, or tensors in lists/tuples)."""
        if not self._enabled:
            return outputs
        from .. import _tensor, float32, full, int32

        if isinstance(outputs, _tensor.Tensor):
            if self._scale is None:
                self._scale = full((), self._init_scale, dtype=float32, device=outputs.device)
                self._growth_tracker = full((), self._init_growth_tracker, dtype=int32,
                                            device=outputs.device)
            return outputs * self._scale.to(outputs.device)
        if isinstance(outputs, (list, tuple)):
            scaled = [self.scale(o) for o in outputs]
            return type(outputs)(scaled)
        if hasattr(outputs, "__iter__"):
            return map(self.scale, outputs)
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def unscale_(self, optimizer):
        """Divide the optimizer's gradients by the scale, in place, and note whether any is
        inf or NaN.  Once per optimizer per iteration (step() calls it if you did not)."""
        if not self._enabled:
            return
        self._check_scale_growth_tracker("unscale_")
        state = self._optimizer_state(optimizer)
        if state["stage"] == OptState.UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the "
                               "last update().")
        if state["stage"] == OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        # NOTE: 1 / S is computed in float64 and rounded to float32, as torch does (S is a power
        # of two in practice, so it is exact either way)
        inv_scale = np.float32(1.0 / float(self._scale._data))
        state["found_inf_per_device"] = self._unscale_grads(optimizer, inv_scale)
        state["stage"] = OptState.UNSCALED

    def _unscale_grads(self, optimizer, inv_scale):
        """Multiply every gradient by inv_scale; {device: 1.0 if one had inf/NaN else 0.0}."""
        from .. import tensor

        found = {}
        for group in optimizer.param_groups:
            for param in group["params"]:
                grad = param.grad
                if grad is None:
                    continue
                if grad.dtype is D.float16:
                    raise ValueError("Attempting to unscale FP16 gradients.")
                values = grad._data
                finite = bool(np.isfinite(values.astype(np.float32, copy=False)).all())
                # NOTE: unscaled even when not finite (torch too): the step is skipped anyway
                scaled = values.astype(np.float32, copy=False) * inv_scale
                values[...] = scaled.astype(values.dtype, copy=False)
                grad._counter().value += 1  # changed in place: a new version
                device = grad.device
                found[device] = max(found.get(device, 0.0), 0.0 if finite else 1.0)
        return {dev: tensor(value, device=dev) for dev, value in found.items()}

    def step(self, optimizer, *args, **kwargs):
        """Unscale (if not done), then ``optimizer.step(*args, **kwargs)`` only if no gradient
        was inf/NaN; returns what optimizer.step returned, or None when skipped."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is "
                               "enabled.")
        self._check_scale_growth_tracker("step")
        state = self._optimizer_state(optimizer)
        if state["stage"] == OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] == OptState.READY:
            self.unscale_(optimizer)
        if not state["found_inf_per_device"]:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        retval = None
        if sum(float(v) for v in state["found_inf_per_device"].values()) == 0:
            retval = optimizer.step(*args, **kwargs)
        state["stage"] = OptState.STEPPED
        return retval

    def update(self, new_scale=None):
        """The scale for the next iteration: ``new_scale`` if given (a float or a 1-element
        tensor), else the backoff/growth rule of this module's docstring."""
        if not self._enabled:
            return
        scale, tracker = self._check_scale_growth_tracker("update")
        if new_scale is not None:
            if isinstance(new_scale, float):
                scale._data[...] = new_scale
            else:
                reason = ("new_scale should be a float or a 1-element torch.cuda.FloatTensor or "
                          "torch.FloatTensor with requires_grad=False.")
                if (new_scale.device.type != self._device or new_scale.numel() != 1
                        or new_scale.requires_grad):
                    raise AssertionError(reason)
                scale._data[...] = new_scale._data.reshape(())
        else:
            found = [float(v) for s in self._per_optimizer_states.values()
                     for v in s["found_inf_per_device"].values()]
            if not found:
                raise AssertionError("No inf checks were recorded prior to update.")
            self._update_scale(scale, tracker, sum(found) > 0)
        self._per_optimizer_states = {}

    def _update_scale(self, scale, tracker, found_inf):
        s = np.float32(scale._data)
        if found_inf:
            scale._data[...] = s * np.float32(self._backoff_factor)
            tracker._data[...] = 0
            return
        count = int(tracker._data) + 1
        if count == self._growth_interval:
            grown = s * np.float32(self._growth_factor)
            if np.isfinite(grown):
                scale._data[...] = grown
            count = 0
        tracker._data[...] = count

    # ------------------------------------------------------------------ getters and state

    def get_scale(self):
        """The current scale as a Python float (1.0 when disabled)."""
        if not self._enabled:
            return 1.0
        return float(self._init_scale if self._scale is None else self._scale._data)

    def get_growth_factor(self):
        return self._growth_factor

    def set_growth_factor(self, new_factor):
        self._growth_factor = new_factor

    def get_backoff_factor(self):
        return self._backoff_factor

    def set_backoff_factor(self, new_factor):
        self._backoff_factor = new_factor

    def get_growth_interval(self):
        return self._growth_interval

    def set_growth_interval(self, new_interval):
        self._growth_interval = new_interval

    def _get_growth_tracker(self):
        if not self._enabled:
            return 0
        if self._growth_tracker is None:
            return self._init_growth_tracker
        return int(self._growth_tracker._data)

    def is_enabled(self):
        return self._enabled

    def state_dict(self):
        """{'scale', 'growth_factor', 'backoff_factor', 'growth_interval', '_growth_tracker'}
        as Python numbers (torch's structure); ``{}`` when disabled."""
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._get_growth_tracker()}

    def load_state_dict(self, state_dict):
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._init_scale = float(state_dict["scale"])
        if self._scale is not None:
            self._scale._data[...] = state_dict["scale"]
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._init_growth_tracker = int(state_dict["_growth_tracker"])
        if self._growth_tracker is not None:
            self._growth_tracker._data[...] = state_dict["_growth_tracker"]

    def __getstate__(self):
        state = self.__dict__.copy()
        if self._enabled:
            # torch refuses to pickle a scaler mid-iteration; outside one, only settings travel
            if self._per_optimizer_states:
                raise RuntimeError("A GradScaler instance may only be pickled at the beginning "
                                   "of an iteration, or at the end after scaler.update().")
            state["_init_scale"] = self.get_scale()
            state["_init_growth_tracker"] = self._get_growth_tracker()
            state["_scale"] = None
            state["_growth_tracker"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
