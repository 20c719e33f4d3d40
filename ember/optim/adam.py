"""Adam and AdamW: moving averages of the gradient and of its square."""

import numpy as np

from .. import _kernels
from ..ops.creation import zeros_like
from .optimizer import Optimizer, _bump, _check, _check_lr, _grad_array, _new_step, _value, _xp


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2014), optionally AMSGrad and decoupled weight decay (AdamW).

    For each parameter p with gradient g (negated when ``maximize``), at step t = 1, 2, ...:
        p = p * (1 - lr * weight_decay)        (if decoupled_weight_decay)
        g = g + weight_decay * p               (otherwise, if weight_decay != 0)
        m = beta1 * m + (1 - beta1) * g        (first moment, 'exp_avg')
        v = beta2 * v + (1 - beta2) * g * g    (second moment, 'exp_avg_sq')
        v_max = max(v_max, v)  and use v_max in place of v below     (if amsgrad)
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    Args:
        params: parameters or parameter groups
        lr (float or 0-dim Tensor, default 1e-3), betas (tuple, default (0.9, 0.999)),
        eps (float, default 1e-8), weight_decay (float, default 0), amsgrad (bool, default False),
        maximize (bool, default False), decoupled_weight_decay (bool, default False)
        foreach, fused, capturable, differentiable: accepted as torch accepts them and ignored
            (ember has one implementation, which works on the parameters' arrays in place)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        _check_lr(lr)
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= _value(betas[0]) < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        _check(0.0 <= _value(betas[1]) < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient, in place; returns the closure's loss."""
        return self._run_step(self._update, closure)

    def _update(self):
        for group in self.param_groups:
            lr = _value(group["lr"])
            beta1, beta2 = _value(group["betas"][0]), _value(group["betas"][1])
            weight_decay, eps = group["weight_decay"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = _new_step(p)
                    state["exp_avg"] = zeros_like(p)
                    state["exp_avg_sq"] = zeros_like(p)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = zeros_like(p)
                state["step"]._data += 1
                t = float(state["step"]._data)
                param, g = p._data, _grad_array(p, group["maximize"])
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        param *= 1 - lr * weight_decay
                    else:
                        g = g + weight_decay * param
                xp = _xp(param)
                if not group["amsgrad"] and _kernels.takes(param, g, m, v):  # one loop, the
                    f = np.float32  # same roundings as below (ember/_kernels.py)
                    _kernels.adam_update(param.reshape(-1), g.reshape(-1), m.reshape(-1),
                                         v.reshape(-1), f(1 - beta1), f(beta2), f(1 - beta2),
                                         f((1 - beta2**t) ** 0.5), f(eps),
                                         f(lr / (1 - beta1**t)))
                    _bump(p)
                    continue
                tmp = xp.subtract(g, m)  # m += (1 - beta1) * (g - m), as torch's lerp
                tmp *= 1 - beta1
                m += tmp
                xp.multiply(g, g, out=tmp)  # v = beta2 * v + (1 - beta2) * g * g
                tmp *= 1 - beta2
                v *= beta2
                v += tmp
                if group["amsgrad"]:
                    v_max = state["max_exp_avg_sq"]._data
                    xp.maximum(v_max, v, out=v_max)
                    v = v_max
                xp.sqrt(v, out=tmp)  # denom = sqrt(v) / sqrt(1 - beta2^t) + eps
                tmp /= (1 - beta2**t) ** 0.5
                tmp += eps
                xp.divide(m, tmp, out=tmp)  # p -= lr / (1 - beta1^t) * m / denom
                tmp *= lr / (1 - beta1**t)
                param -= tmp
                _bump(p)


class AdamW(Adam):
    """AdamW (Loshchilov and Hutter, 2017): Adam with decoupled weight decay.

    Same update as ``Adam(..., decoupled_weight_decay=True)``: before the Adam step,
        p = p * (1 - lr * weight_decay)
    and the gradient is left alone. Default weight_decay is 1e-2.

    Args: as ``Adam``, with weight_decay (float, default 1e-2) and no decoupled_weight_decay.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
