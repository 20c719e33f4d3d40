"""SparseAdam: a named gap (ember has no sparse gradients)."""

from .optimizer import Optimizer, _check, _check_lr


class SparseAdam(Optimizer):
    """Adam for sparse gradients (``nn.Embedding(sparse=True)``), as torch.optim.SparseAdam.

    Not supported: ember has no sparse tensors, so there are no sparse gradients to update.
    The constructor checks its arguments as torch does; ``step()`` raises
    NotImplementedError. Use ``Adam`` (dense gradients) instead.

    Args:
        params: parameters or parameter groups
        lr (float, default 1e-3), betas (tuple, default (0.9, 0.999)), eps (float, default 1e-8),
        maximize (bool, default False)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        _check_lr(lr)
        _check(0.0 < eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, maximize=maximize))

    def step(self, closure=None):
        raise NotImplementedError(
            "SparseAdam is not supported in ember: ember has no sparse gradients.\n"
            "  ember: use ember.optim.Adam, which updates dense gradients the same way.")
