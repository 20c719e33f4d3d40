"""Adamax: Adam with the infinity norm in place of the second moment."""

from ..ops.creation import zeros_like
from .optimizer import Optimizer, _bump, _check, _check_lr, _grad_array, _new_step, _value, _xp


class Adamax(Optimizer):
    """Adamax (Kingma and Ba, 2014, section 7).

    For each parameter p with gradient g (negated when ``maximize``), at step t = 1, 2, ...:
        g = g + weight_decay * p                        (if weight_decay != 0)
        m = beta1 * m + (1 - beta1) * g                 ('exp_avg')
        u = max(beta2 * u, |g| + eps)                   ('exp_inf')
        p = p - lr / (1 - beta1^t) * m / u

    Args:
        params: parameters or parameter groups
        lr (float or 0-dim Tensor, default 2e-3), betas (tuple, default (0.9, 0.999)),
        eps (float, default 1e-8), weight_decay (float, default 0), maximize (bool, default False)
        foreach, capturable, differentiable: accepted as torch accepts them and ignored
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient, in place; returns the closure's loss."""
        return self._run_step(self._update, closure)

    def _update(self):
        for group in self.param_groups:
            lr, (beta1, beta2), eps = _value(group["lr"]), group["betas"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = _new_step(p)
                    state["exp_avg"] = zeros_like(p)
                    state["exp_inf"] = zeros_like(p)
                state["step"]._data += 1
                t = float(state["step"]._data)
                param, g = p._data, _grad_array(p, group["maximize"])
                xp = _xp(param)
                if group["weight_decay"] != 0:
                    g = g + group["weight_decay"] * param
                m, u = state["exp_avg"]._data, state["exp_inf"]._data
                m += (1 - beta1) * (g - m)  # torch's lerp
                u *= beta2
                xp.maximum(u, xp.abs(g) + eps, out=u)
                param -= lr / (1 - beta1**t) * (m / u)
                _bump(p)
