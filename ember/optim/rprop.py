"""Rprop: per-coordinate step sizes that grow while the gradient keeps its sign."""

from ..ops.creation import full_like, zeros_like
from .optimizer import Optimizer, _bump, _check, _check_lr, _grad_array, _new_step, _value, _xp


class Rprop(Optimizer):
    """Resilient backpropagation (Riedmiller and Braun, 1993), as torch implements it.

    For each parameter p with gradient g (negated when ``maximize``), per coordinate:
        s = sign(g * prev)                       ('prev' is the last gradient kept, starts at 0)
        step_size = step_size * etaplus    where s > 0      (starts at lr)
                    step_size * etaminus   where s < 0
                    step_size              where s == 0
        step_size = clamp(step_size, step_size_min, step_size_max)
        g = 0 where s < 0                        (skip the update after a sign change)
        p = p - sign(g) * step_size
        prev = g

    Args:
        params: parameters or parameter groups
        lr (float or 0-dim Tensor, default 1e-2), etas (tuple, default (0.5, 1.2)),
        step_sizes (tuple, default (1e-6, 50)), maximize (bool, default False)
        foreach, capturable, differentiable: accepted as torch accepts them and ignored
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_lr(lr)
        _check(0.0 < etas[0] < 1.0 < etas[1], f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient, in place; returns the closure's loss."""
        return self._run_step(self._update, closure)

    def _update(self):
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = _new_step(p)
                    state["prev"] = zeros_like(p)
                    state["step_size"] = full_like(p, _value(group["lr"]))
                state["step"]._data += 1
                param, g = p._data, _grad_array(p, group["maximize"])
                xp = _xp(param)
                prev, step_size = state["prev"]._data, state["step_size"]._data
                s = xp.sign(g * prev)
                factor = xp.where(s > 0, etaplus, xp.where(s < 0, etaminus, 1.0))
                step_size *= factor.astype(step_size.dtype)
                xp.clip(step_size, step_size_min, step_size_max, out=step_size)
                g = xp.where(s < 0, 0, g).astype(param.dtype)
                param -= xp.sign(g) * step_size
                prev[...] = g
                _bump(p)
