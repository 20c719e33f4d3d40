"""RAdam: Adam whose adaptive step is switched on only once its variance is tractable."""

from ..ops.creation import zeros_like
from .optimizer import Optimizer, _bump, _check, _check_lr, _grad_array, _new_step, _value, _xp


class RAdam(Optimizer):
    """RAdam (Liu et al., 2019).

    For each parameter p with gradient g (negated when ``maximize``), at step t = 1, 2, ...:
        p = p * (1 - lr * weight_decay)                (if decoupled_weight_decay)
        g = g + weight_decay * p                       (otherwise, if weight_decay != 0)
        m = beta1 * m + (1 - beta1) * g                ('exp_avg')
        v = beta2 * v + (1 - beta2) * g * g            ('exp_avg_sq')
        m_hat = m / (1 - beta1^t)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
        if rho_t > 5:
            r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
            p = p - lr * m_hat * r * sqrt(1 - beta2^t) / (sqrt(v) + eps)
        else:
            p = p - lr * m_hat

    Args:
        params: parameters or parameter groups
        lr (float or 0-dim Tensor, default 1e-3), betas (tuple, default (0.9, 0.999)),
        eps (float, default 1e-8), weight_decay (float, default 0),
        decoupled_weight_decay (bool, default False), maximize (bool, default False)
        foreach, capturable, differentiable: accepted as torch accepts them and ignored
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        _check_lr(lr)
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient, in place; returns the closure's loss."""
        return self._run_step(self._update, closure)

    def _update(self):
        for group in self.param_groups:
            lr, (beta1, beta2), eps = _value(group["lr"]), group["betas"], group["eps"]
            weight_decay = group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = _new_step(p)
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
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                m += (1 - beta1) * (g - m)  # torch's lerp
                v *= beta2
                v += (1 - beta2) * g * g
                bias_correction2 = 1 - beta2**t
                m_hat = m / (1 - beta1**t)
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * t * (beta2**t) / bias_correction2
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    adaptive = _xp(param).sqrt(v)
                    adaptive += eps
                    adaptive = bias_correction2**0.5 / adaptive
                    param -= m_hat * lr * adaptive * rect
                else:
                    param -= m_hat * lr
                _bump(p)
