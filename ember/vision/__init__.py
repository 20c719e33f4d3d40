"""ember.vision: torchvision's models, transforms, datasets and utils
(``import ember.vision as torchvision``)."""

from . import datasets, models, transforms, utils

__version__ = "0.0.0+ember"
