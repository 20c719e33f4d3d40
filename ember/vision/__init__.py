"""ember.vision: torchvision's models, transforms, datasets and utils
(``import ember.vision as torchvision``)."""

from . import datasets, models, transforms, utils

__version__ = "0.0.0+ember"


def __getattr__(name):
    """Only called for a name this module lacks: torch's name and ember.check in the error."""
    from .._missing import missing_name

    raise missing_name(__name__, name)
