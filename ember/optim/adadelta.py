"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from ..ops.creation import zeros_like
from .optimizer import Optimizer, _bump, _check, _check_lr, _grad_array, _new_step, _value, _xp


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012).

    For each parameter p with gradient g (negated when ``maximize``):
        g = g + weight_decay * p                                  (if weight_decay != 0)
        v = rho * v + (1 - rho) * g * g                           ('square_avg')
        d = sqrt(u + eps) / sqrt(v + eps) * g                     (the update)
        u = rho * u + (1 - rho) * d * d                           ('acc_delta')
        p = p - lr * d

    Args:
        params: parameters or parameter groups
        lr (float or 0-dim Tensor, default 1.0), rho (float, default 0.9),
        eps (float, default 1e-6), weight_decay (float, default 0), maximize (bool, default False)
        foreach, capturable, differentiable: accepted as torch accepts them and ignored
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        _check_lr(lr)
        _check(0.0 <= rho <= 1.0, f"Invalid rho value: {rho}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient, in place; returns the closure's loss."""
        return self._run_step(self._update, closure)

    def _update(self):
        for group in self.param_groups:
            lr, rho, eps = _value(group["lr"]), group["rho"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = _new_step(p)
                    state["square_avg"] = zeros_like(p)
                    state["acc_delta"] = zeros_like(p)
                state["step"]._data += 1
                param, g = p._data, _grad_array(p, group["maximize"])
                xp = _xp(param)
                if group["weight_decay"] != 0:
                    g = g + group["weight_decay"] * param
                v, u = state["square_avg"]._data, state["acc_delta"]._data
                v *= rho
                v += (1 - rho) * g * g
                d = xp.sqrt(u + eps)
                d /= xp.sqrt(v + eps)
                d *= g
                u *= rho
                u += (1 - rho) * d * d
                param -= lr * d
                _bump(p)
