"""ASGD: stochastic gradient descent with a running average of the iterates."""

from ..ops.creation import zeros_like
from .optimizer import Optimizer, _bump, _check, _check_lr, _grad_array, _new_step, _scalar, _value


class ASGD(Optimizer):
    """Averaged SGD (Polyak and Juditsky, 1992), with torch's step-size schedule.

    For each parameter p with gradient g (negated when ``maximize``), at step t = 1, 2, ...:
        g = g + weight_decay * p                       (if weight_decay != 0)
        p = p * (1 - lambd * eta) - eta * g            (eta starts at lr)
        ax = ax + mu * (p - ax)   if mu != 1  else  ax = p       (the averaged iterate)
        eta = lr / (1 + lambd * lr * t)^alpha          (for the next step)
        mu = 1 / max(1, t - t0)

    'eta' and 'mu' are 0-dim state tensors in the step's dtype (float32) on the parameter's
    device, as in torch.

    Args:
        params: parameters or parameter groups
        lr (float or 0-dim Tensor, default 1e-2), lambd (float, default 1e-4),
        alpha (float, default 0.75), t0 (float, default 1e6), weight_decay (float, default 0),
        maximize (bool, default False)
        foreach, capturable, differentiable: accepted as torch accepts them and ignored
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient, in place; returns the closure's loss."""
        return self._run_step(self._update, closure)

    def _update(self):
        for group in self.param_groups:
            lr, lambd, alpha, t0 = _value(group["lr"]), group["lambd"], group["alpha"], group["t0"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = _new_step(p, on_param_device=True)
                    state["eta"] = _scalar(lr, p, on_param_device=True)
                    state["mu"] = _scalar(1.0, p, on_param_device=True)
                    state["ax"] = zeros_like(p)
                state["step"]._data += 1
                t = float(state["step"]._data)
                param, g = p._data, _grad_array(p, group["maximize"])
                if group["weight_decay"] != 0:
                    g = g + group["weight_decay"] * param
                eta = float(state["eta"]._data)
                param *= 1 - lambd * eta
                param -= eta * g
                ax, mu = state["ax"]._data, state["mu"]._data
                if float(mu) != 1:
                    ax += (param - ax) * mu.astype(param.dtype)
                else:
                    ax[...] = param
                state["eta"]._data[...] = lr / ((1 + lambd * lr * t) ** alpha)
                state["mu"]._data[...] = 1 / max(1, t - t0)
                _bump(p)
