"""ember.optim: optimizers that update parameters in place, as torch.optim."""

from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD"]
