"""NAdam: Adam with Nesterov momentum."""

from ..ops.creation import zeros_like
from .optimizer import (
    Optimizer,
    _bump,
    _check,
    _check_lr,
    _grad_array,
    _new_step,
    _scalar,
    _value,
    _xp,
)


class NAdam(Optimizer):
    """NAdam (Dozat, 2016), with torch's momentum schedule.

    For each parameter p with gradient g (negated when ``maximize``), at step t = 1, 2, ...:
        p = p * (1 - lr * weight_decay)                (if decoupled_weight_decay)
        g = g + weight_decay * p                       (otherwise, if weight_decay != 0)
        mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay))
        prod_t = mu_1 * ... * mu_t                     ('mu_product')
        m = beta1 * m + (1 - beta1) * g                ('exp_avg')
        v = beta2 * v + (1 - beta2) * g * g            ('exp_avg_sq')
        d = sqrt(v / (1 - beta2^t)) + eps
        p = p - lr * (1 - mu_t) / (1 - prod_t) * g / d
              - lr * mu_{t+1} / (1 - prod_t * mu_{t+1}) * m / d

    Args:
        params: parameters or parameter groups
        lr (float or 0-dim Tensor, default 2e-3), betas (tuple, default (0.9, 0.999)),
        eps (float, default 1e-8), weight_decay (float, default 0),
        momentum_decay (float, default 4e-3), decoupled_weight_decay (bool, default False),
        maximize (bool, default False)
        foreach, capturable, differentiable: accepted as torch accepts them and ignored
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        _check_lr(lr)
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check(0.0 <= momentum_decay, f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient, in place; returns the closure's loss."""
        return self._run_step(self._update, closure)

    def _update(self):
        for group in self.param_groups:
            lr, (beta1, beta2), eps = _value(group["lr"]), group["betas"], group["eps"]
            weight_decay, momentum_decay = group["weight_decay"], group["momentum_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = _new_step(p)
                    state["mu_product"] = _scalar(1.0, p)
                    state["exp_avg"] = zeros_like(p)
                    state["exp_avg_sq"] = zeros_like(p)
                state["step"]._data += 1
                t = float(state["step"]._data)
                param, g = p._data, _grad_array(p, group["maximize"])
                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        param *= 1 - lr * weight_decay
                    else:
                        g = g + weight_decay * param
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
                state["mu_product"]._data *= mu  # kept in the step's dtype, as torch
                mu_product = float(state["mu_product"]._data)
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                m += (1 - beta1) * (g - m)  # torch's lerp
                v *= beta2
                v += (1 - beta2) * g * g
                d = _xp(param).sqrt(v / (1 - beta2**t))
                d += eps
                param += (-lr * (1.0 - mu) / (1.0 - mu_product)) * (g / d)
                param += (-lr * mu_next / (1.0 - mu_product * mu_next)) * (m / d)
                _bump(p)
