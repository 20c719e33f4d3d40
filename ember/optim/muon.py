"""Muon: momentum, then the update orthogonalized by a Newton-Schulz iteration (2-D
parameters only), as torch.optim.Muon (torch 2.13)."""

import math

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..ops.creation import zeros_like
from ..ops.linalg import addmm
from .optimizer import Optimizer, _check, _value

__all__ = ["Muon"]

EPS = 1e-7
DEFAULT_A, DEFAULT_B, DEFAULT_C = 3.4445, -4.7750, 2.0315
DEFAULT_NS_STEPS = 5


def zeropower_via_newtonschulz(grad, ns_coefficients, ns_steps, eps):
    """An approximately orthogonal matrix with G's singular vectors (U S' V^T, S' near 1):
    X = G / ||G|| (G transposed when it is tall, so X X^T is the small Gram matrix), then
    ``ns_steps`` times the quintic Newton-Schulz step
        A = X X^T,   X = a X + (b A + c A A) X
    whose coefficients push every singular value in (0, 1] towards 1.  As torch, in bfloat16
    precision (the iteration tolerates the rounding; it is what makes it cheap on
    accelerators): every step's result is rounded to bfloat16 (see _bf16)."""
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if grad.dim() != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = ns_coefficients
    tall = grad.shape[0] > grad.shape[1]
    x = _bf16(grad.float())
    if tall:
        x = x.T
    x = _bf16(x / _bf16(x.norm()).clamp(min=eps))
    for _ in range(ns_steps):
        gram = _bf16(x @ x.T)
        poly = _bf16(addmm(gram, gram, gram, beta=b, alpha=c))  # b A + c A A
        x = _bf16(addmm(x, poly, x, beta=a))  # a X + (b A + c A A) X
    x = x.T if tall else x
    return x.to(D.bfloat16)


def _bf16(t):
    """``t`` (float32) rounded to bfloat16 values, kept in float32.  torch's bfloat16 ops on
    the CPU compute in float32 and round each result once; computing in float32 and rounding
    after each op gives the same numbers."""
    return t.to(D.bfloat16).float()


def _adjusted_lr(lr, adjust_lr_fn, shape):
    """The learning rate scaled so that the update's RMS does not depend on the matrix's
    shape (A x B): 'original' (Keller Jordan's) sqrt(max(1, A/B)), 'match_rms_adamw'
    (Moonshot's) 0.2 sqrt(max(A, B)), which makes AdamW's lr and weight decay fit."""
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        return lr * math.sqrt(max(1, rows / cols))
    return lr * 0.2 * math.sqrt(max(rows, cols))


class Muon(Optimizer):
    """Muon, for the 2-D weights of hidden layers (biases, embeddings and other parameters
    belong to another optimizer, e.g. AdamW).

    For each parameter p (an A x B matrix) with gradient g:
        B = B + (1 - momentum) (g - B)                        (the momentum buffer, from 0)
        u = g + momentum (B - g)  if nesterov  else  B
        O = NewtonSchulz(u)                                   (see zeropower_via_newtonschulz)
        p = p (1 - lr weight_decay)                           (decoupled weight decay)
        p = p - adjusted_lr O                                 (see _adjusted_lr)

    Args:
        params: 2-D parameters or parameter groups
        lr (float or 1-element Tensor, default 1e-3), weight_decay (default 0.1),
        momentum (default 0.95), nesterov (default True),
        ns_coefficients (a, b, c; default (3.4445, -4.775, 2.0315)), eps (default 1e-7),
        ns_steps (default 5), adjust_lr_fn (None = 'original', or 'match_rms_adamw')
    """

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(DEFAULT_A, DEFAULT_B, DEFAULT_C), eps=EPS,
                 ns_steps=DEFAULT_NS_STEPS, adjust_lr_fn=None):
        _check(not isinstance(lr, Tensor) or lr.numel() == 1, "Tensor lr must be 1-element")
        _check(0.0 <= _value(lr), f"Learning rate should be >= 0 but is: {lr}")
        _check(0.0 <= momentum, f"momentum should be >= 0 but is: {momentum}")
        _check(0.0 <= weight_decay, f"weight decay should be >= 0 but is: {weight_decay}")
        _check(adjust_lr_fn is None or adjust_lr_fn in ("original", "match_rms_adamw"),
               f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps,
                        adjust_lr_fn=adjust_lr_fn)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.dim() != 2:
                    raise ValueError("Muon only supports 2D parameters whereas we found a "
                                     f"parameter with size: {p.size()}")

    def step(self, closure=None):
        """Update every parameter that has a gradient, in place; returns the closure's loss."""
        return self._run_step(self._update, closure)

    def _update(self):
        with no_grad():
            for group in self.param_groups:
                lr = _value(group["lr"])
                momentum = group["momentum"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    if p.is_complex():
                        raise RuntimeError("Muon does not support complex parameters")
                    grad = p.grad
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = zeros_like(grad)
                    buf = state["momentum_buffer"]
                    buf.lerp_(grad, 1 - momentum)
                    update = grad.lerp(buf, momentum) if group["nesterov"] else buf
                    update = zeropower_via_newtonschulz(update, group["ns_coefficients"],
                                                        group["ns_steps"], group["eps"])
                    p.mul_(1 - lr * group["weight_decay"])
                    p.add_(update, alpha=-_adjusted_lr(lr, group["adjust_lr_fn"], p.shape))
