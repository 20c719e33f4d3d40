"""nn.Container: torch's deprecated base for modules holding named submodules (nn.Module does
all of it now)."""

import warnings

from .module import Module

__all__ = ["Container"]


class Container(Module):
    """``Container(name=module, ...)``: a Module with those submodules.  Deprecated, as in torch
    (a FutureWarning): subclass nn.Module instead."""

    def __init__(self, **kwargs):
        warnings.warn("`nn.Container` is deprecated. All of its functionality is now implemented "
                      "in `nn.Module`. Subclass that instead.", FutureWarning, stacklevel=2)
        super().__init__()
        for key, value in kwargs.items():
            self.add_module(key, value)
