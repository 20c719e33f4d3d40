"""Loss layers: each one calls its function in nn.functional with its ``reduction``."""

from .. import functional as F
from .module import Module


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        self.reduction = _legacy_reduction(size_average, reduce, reduction)


def _legacy_reduction(size_average, reduce, reduction):
    """torch's deprecated size_average/reduce flags, mapped to ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


class MSELoss(_Loss):
    """Mean squared error: mean((input - target)^2) (or sum, or none, by ``reduction``).

    Shape: input (*), target (*) of the same shape -> scalar (or (*) with reduction='none').
    """

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)
