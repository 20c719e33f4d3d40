"""Adafactor: Adam-like steps whose second moment of a matrix is stored as a row and a column."""

from .. import _dtype
from ..ops.creation import zeros, zeros_like
from .optimizer import Optimizer, _bump, _check, _grad_array, _new_step, _value, _xp


class Adafactor(Optimizer):
    """Adafactor (Shazeer and Stern, 2018), as torch.optim.Adafactor computes it.

    For each parameter p with gradient g (negated when ``maximize``), at step t = 1, 2, ...:
        w     = t ** beta2_decay                      (the weight of the new square; 1 at t=1)
        rho   = min(lr, 1 / sqrt(t))                  (relative step size)
        alpha = max(eps2, RMS(p)) * rho               (RMS(p) = ||p|| / sqrt(numel), before decay)
        p     = p * (1 - lr * weight_decay)
        if p has 2 or more dims (factored over its last two dims, rows i and columns j):
            R = R + w * (mean_j g^2 - R)              ('row_var', shape (..., m, 1))
            C = C + w * (mean_i g^2 - C)              ('col_var', shape (..., 1, n))
            V = R C / max(mean_i R, eps1)             (outer product: the estimated g^2)
        else:
            V = V + w * (g^2 - V)                     ('variance')
        U = g / sqrt(max(V, eps1^2))                  (eps1 None: the dtype's machine epsilon)
        p = p - alpha / max(1, RMS(U) / d) * U        (updates clipped to RMS d)

    Args:
        params: parameters or parameter groups
        lr (float or 0-dim Tensor, default 1e-2): the largest relative step, and the weight
            decay's factor
        beta2_decay (float, default -0.8), eps (tuple (eps1, eps2), default (None, 1e-3)),
        d (float, default 1.0: the clipping threshold), weight_decay (float, default 0),
        maximize (bool, keyword-only, default False)
        foreach: accepted as torch accepts it and ignored (one loop serves both)
    """

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, *, foreach=None, maximize=False):
        from .._tensor import Tensor

        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        _check(0.0 <= _value(lr), f"Learning rate should be >= 0 but is: {lr}")
        _check(0.0 >= beta2_decay, f"beta2_decay should be <= 0 but is: {beta2_decay}")
        _check(eps[0] is None or 0.0 <= eps[0], f"epsilon1 should be >= 0 but is: {eps[0]}")
        _check(0.0 <= eps[1], f"epsilon2 should be >= 0 but is: {eps[1]}")
        _check(1.0 <= d, f"Clipping threshold d should be >= 1 but is: {d}")
        _check(0.0 <= weight_decay, f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient, in place; returns the closure's loss."""
        return self._run_step(self._update, closure)

    def _init_state(self, group):
        """The parameters with a gradient; their state is made first (torch checks them all
        before it updates any)."""
        params = []
        for p in group["params"]:
            if p.grad is None:
                continue
            if p.is_complex():
                raise RuntimeError("Adafactor does not support complex parameters")
            params.append(p)
            state = self.state[p]
            if not state:
                state["step"] = _new_step(p)
                if p.grad.ndim > 1:
                    shape = list(p.grad.shape)
                    state["row_var"] = zeros(shape[:-1] + [1], dtype=p.grad.dtype,
                                             device=p.grad.device)
                    state["col_var"] = zeros(shape[:-2] + [1, shape[-1]], dtype=p.grad.dtype,
                                             device=p.grad.device)
                else:
                    state["variance"] = zeros_like(p.grad)
        return params

    def _update(self):
        for group in self.param_groups:
            params = self._init_state(group)
            lr, eps1, eps2 = _value(group["lr"]), group["eps"][0], group["eps"][1]
            for p in params:
                state = self.state[p]
                param, g = p._data, _grad_array(p, group["maximize"])
                xp = _xp(param)
                if eps1 is None:
                    # NOTE: as torch, the first parameter's dtype fixes eps1 for its group
                    eps1 = _dtype.finfo(p.dtype).eps
                state["step"]._data += 1
                t = float(state["step"]._data)
                weight = t ** group["beta2_decay"]
                rho = min(lr, 1 / t**0.5)
                alpha = max(eps2, float(xp.linalg.norm(param)) / param.size**0.5) * rho
                if group["weight_decay"] != 0:
                    param *= 1 - lr * group["weight_decay"]
                if g.ndim > 1:
                    row, col = state["row_var"]._data, state["col_var"]._data
                    row += weight * ((g * g).mean(axis=-1, keepdims=True) - row)  # lerp
                    col += weight * ((g * g).mean(axis=-2, keepdims=True) - col)
                    estimate = row @ col
                    estimate /= xp.maximum(row.mean(axis=-2, keepdims=True), eps1)
                else:
                    variance = state["variance"]._data
                    variance += weight * (g * g - variance)
                    estimate = variance.copy()
                # eps1 is squared because the square root follows
                update = g / xp.sqrt(xp.maximum(estimate, eps1 * eps1))
                denom = max(1.0, float(xp.linalg.norm(update)) / (update.size**0.5 * group["d"]))
                param -= (alpha / denom) * update
                _bump(p)
