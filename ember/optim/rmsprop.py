"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

from ..ops.creation import zeros_like
from .optimizer import Optimizer, _bump, _check, _check_lr, _grad_array, _new_step, _value, _xp


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e), optionally centered and with momentum.

    For each parameter p with gradient g (negated when ``maximize``):
        g = g + weight_decay * p                       (if weight_decay != 0)
        v = alpha * v + (1 - alpha) * g * g            ('square_avg')
        a = alpha * a + (1 - alpha) * g                ('grad_avg', if centered)
        s = sqrt(v - a * a) + eps  if centered  else  sqrt(v) + eps
        b = momentum * b + g / s;  p = p - lr * b      (if momentum > 0, 'momentum_buffer')
        p = p - lr * g / s                             (otherwise)

    Args:
        params: parameters or parameter groups
        lr (float or 0-dim Tensor, default 1e-2), alpha (float, default 0.99),
        eps (float, default 1e-8), weight_decay (float, default 0), momentum (float, default 0),
        centered (bool, default False), maximize (bool, default False)
        foreach, capturable, differentiable: accepted as torch accepts them and ignored
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        _check_lr(lr)
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= momentum, f"Invalid momentum value: {momentum}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check(0.0 <= alpha, f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient, in place; returns the closure's loss."""
        return self._run_step(self._update, closure)

    def _update(self):
        for group in self.param_groups:
            lr, alpha, eps = _value(group["lr"]), group["alpha"], group["eps"]
            momentum, weight_decay = group["momentum"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = _new_step(p)
                    state["square_avg"] = zeros_like(p)
                    if momentum > 0:
                        state["momentum_buffer"] = zeros_like(p)
                    if group["centered"]:
                        state["grad_avg"] = zeros_like(p)
                state["step"]._data += 1
                param, g = p._data, _grad_array(p, group["maximize"])
                xp = _xp(param)
                if weight_decay != 0:
                    g = g + weight_decay * param
                v = state["square_avg"]._data
                v *= alpha
                v += (1 - alpha) * g * g
                if group["centered"]:
                    a = state["grad_avg"]._data
                    a += (1 - alpha) * (g - a)  # torch's lerp
                    s = xp.sqrt(v - a * a)
                else:
                    s = xp.sqrt(v)
                s += eps
                if momentum > 0:
                    b = state["momentum_buffer"]._data
                    b *= momentum
                    b += g / s
                    param -= lr * b
                else:
                    param -= lr * (g / s)
                _bump(p)
