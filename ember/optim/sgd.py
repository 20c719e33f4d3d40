"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay."""

import numpy as np

from .. import _kernels
from .._compat import add_into
from .._parallel import halves, is_big
from .optimizer import Optimizer, _bump, _check, _check_lr, _grad_array, _value


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
        lr (float or 0-dim Tensor, default 1e-3): learning rate
        momentum (float, default 0), dampening (float, default 0),
        weight_decay (float, default 0), nesterov (bool, default False),
        maximize (bool, default False)
        foreach, fused, differentiable: accepted as torch accepts them and ignored (ember has
            one implementation, which works on the parameters' arrays in place)
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        _check_lr(lr)
        _check(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient, in place; returns the closure's loss."""
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
                param = p._data
                g = _grad_array(p, group["maximize"])
                if weight_decay != 0:
                    g = g + weight_decay * param
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = p.grad.detach().clone()
                        buf._data[...] = g
                    elif (dampening == 0 and not group["nesterov"]
                          and _kernels.takes(param, g, buf._data)):
                        _momentum_loop(param, g, buf._data, momentum, lr)
                        _bump(p)
                        continue
                    else:
                        buf._data *= momentum
                        buf._data += g if dampening == 0 else (1 - dampening) * g
                    g = g + momentum * buf._data if group["nesterov"] else buf._data
                add_into(param, -lr * g)
                _bump(p)


def _momentum_loop(param, g, buf, momentum, lr):
    """The momentum update below as one loop (_kernels.sgd_momentum_update), the two halves
    of a big parameter on two threads: buf = buf * momentum + g; param += -lr * buf, with the
    NumPy passes' float32 roundings.
    NOTE: the passes read and wrote ResNet-18's 44 MB of parameters, buffers and gradients
    ~4 times a step (~21 ms); the loop reads each once."""
    f = np.float32
    flat = param.reshape(-1), g.reshape(-1), buf.reshape(-1)
    halves(param.size, lambda lo, hi: _kernels.sgd_momentum_update(
        *flat, f(momentum), f(-lr), lo, hi), is_big(param, g, buf))
