"""``ember.autograd.variable.Variable``: the old import path of the legacy ``Variable``
(see ``ember/_legacy.py``), kept as torch keeps ``torch.autograd.variable``."""

from .._legacy import Variable

__all__ = ["Variable"]
