"""SparseAdam: Adam for sparse gradients; ember has none, so it does what torch does with dense
gradients: it refuses them."""

from .._tensor import Tensor
from .optimizer import Optimizer, _check, _value


class SparseAdam(Optimizer):
    """Adam for sparse gradients (``nn.Embedding(sparse=True)``), as torch.optim.SparseAdam.

    ember has no sparse tensors, so every gradient is dense, and torch's SparseAdam refuses
    dense gradients: ``step()`` raises torch's RuntimeError ("SparseAdam does not support dense
    gradients, please consider Adam instead") as soon as a parameter has a gradient. The
    constructor checks its arguments (and refuses complex parameters) as torch does, so code
    that builds one runs; use ``Adam`` to update dense gradients.

    Args:
        params: parameters or parameter groups
        lr (float, default 1e-3), betas (tuple, default (0.9, 0.999)), eps (float, default 1e-8),
        maximize (bool, default False)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        _check(0.0 < _value(lr), f"Invalid learning rate: {lr}")
        _check(0.0 < eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, maximize=maximize))
        complex_params = [[i, j] for i, group in enumerate(self.param_groups)
                          for j, p in enumerate(group["params"]) if p.is_complex()]
        _check(not complex_params, f"Complex params at indices {complex_params}: SparseAdam "
                                   "does not support complex parameters")

    def step(self, closure=None):
        """Run the closure, then refuse the (dense) gradients as torch does."""
        return self._run_step(self._update, closure)

    def _update(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    raise RuntimeError("SparseAdam does not support dense gradients, please "
                                       "consider Adam instead\n  ember: ember has no sparse "
                                       "gradients; use ember.optim.Adam")
