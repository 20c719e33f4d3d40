"""ember.utils: helpers outside the tensor core, as torch.utils (data, safetensors, ...)."""

from . import checkpoint, data, viz
from ._summary import summary
