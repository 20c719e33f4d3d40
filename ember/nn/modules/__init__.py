"""The layers of ember.nn, one file per family."""

from .linear import Identity, Linear
from .loss import MSELoss
from .module import Module

__all__ = ["Module", "Linear", "Identity", "MSELoss"]
