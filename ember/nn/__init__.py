"""ember.nn: modules, parameters, functional and init, as torch.nn."""

from . import functional, init, utils
from .modules import *  # noqa: F403
from .modules import __all__ as _modules_all
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer", "functional",
           "init", *_modules_all]

from . import parallel  # noqa: E402
from .parallel import DataParallel  # noqa: E402

__all__ += ["parallel", "DataParallel"]


def __getattr__(name):
    """Only called for a name this module lacks: torch's name and ember.check in the error."""
    from .._missing import missing_name

    raise missing_name(__name__, name)
