"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""

from ..ops.creation import full_like
from .optimizer import Optimizer, _bump, _check, _check_lr, _grad_array, _new_step, _value, _xp


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011).

    For each parameter p with gradient g (negated when ``maximize``), at step t = 1, 2, ...:
        g = g + weight_decay * p                     (if weight_decay != 0)
        lr_t = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g                                ('sum', starts at initial_accumulator_value)
        p = p - lr_t * g / (sqrt(s) + eps)

    The state of every parameter is created in the constructor, as torch does.

    Args:
        params: parameters or parameter groups
        lr (float or 0-dim Tensor, default 1e-2), lr_decay (float, default 0),
        weight_decay (float, default 0), initial_accumulator_value (float, default 0),
        eps (float, default 1e-10), maximize (bool, default False)
        foreach, fused, differentiable: accepted as torch accepts them and ignored
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_lr(lr)
        _check(0.0 <= lr_decay, f"Invalid lr_decay value: {lr_decay}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check(0.0 <= initial_accumulator_value,
               f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = _new_step(p)
                state["sum"] = full_like(p, group["initial_accumulator_value"])

    def step(self, closure=None):
        """Update every parameter that has a gradient, in place; returns the closure's loss."""
        return self._run_step(self._update, closure)

    def _update(self):
        for group in self.param_groups:
            lr, eps = _value(group["lr"]), group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                state["step"]._data += 1
                t = float(state["step"]._data)
                param, g = p._data, _grad_array(p, group["maximize"])
                if group["weight_decay"] != 0:
                    g = g + group["weight_decay"] * param
                clr = lr / (1 + (t - 1) * group["lr_decay"])
                s = state["sum"]._data
                s += g * g
                std = _xp(param).sqrt(s)
                std += eps
                param -= clr * (g / std)
                _bump(p)
