"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay."""

from .optimizer import Optimizer, required


class SGD(Optimizer):
    """Stochastic gradient descent.

    For each parameter p with gradient g (negated when ``maximize``):
        g = g + weight_decay * p                          (if weight_decay != 0)
        b = g                     on the first step       (if momentum != 0)
        b = momentum * b + (1 - dampening) * g   after
        g = g + momentum * b  if nesterov  else  g = b
        p = p - lr * g

    Args:
        params: parameters or parameter groups
        lr (float, default 1e-3): learning rate
        momentum (float, default 0), dampening (float, default 0),
        weight_decay (float, default 0), nesterov (bool, default False),
        maximize (bool, default False)
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        if lr is not required and _value(lr) < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient, in place."""
        return self._run_step(self._update, closure)

    def _update(self):
        for group in self.param_groups:
            lr = _value(group["lr"])
            momentum = group["momentum"]
            dampening = group["dampening"]
            weight_decay = group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad if not group["maximize"] else -p.grad
                if weight_decay != 0:
                    g = g + weight_decay * p
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = g.clone()
                    else:
                        buf.mul_(momentum).add_(g, alpha=1 - dampening)
                    g = g + momentum * buf if group["nesterov"] else buf
                p.add_(g, alpha=-lr)


def _value(lr):
    """A learning rate given as a float or a 0-dim tensor, as a float."""
    return lr.item() if hasattr(lr, "item") else lr
