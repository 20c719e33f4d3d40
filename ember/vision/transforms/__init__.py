"""torchvision.transforms: image transforms for PIL images and tensor images (..., C, H, W)."""

from . import functional
from ._basic import (
    CenterCrop,
    Compose,
    ConvertImageDtype,
    FiveCrop,
    Grayscale,
    Lambda,
    Normalize,
    Pad,
    PILToTensor,
    Resize,
    TenCrop,
    ToPILImage,
    ToTensor,
)
from ._random import (
    RandomAffine,
    RandomApply,
    RandomChoice,
    RandomCrop,
    RandomHorizontalFlip,
    RandomResizedCrop,
    RandomRotation,
    RandomVerticalFlip,
)
from ._random_color import ColorJitter, GaussianBlur, RandomErasing, RandomGrayscale
from .functional import InterpolationMode


def __getattr__(name):
    """Only called for a name this module lacks: torch's name and ember.check in the error."""
    from ..._missing import missing_name

    raise missing_name(__name__, name)
