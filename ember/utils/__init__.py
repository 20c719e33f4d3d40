"""ember.utils: helpers outside the tensor core, as torch.utils (data, safetensors, ...)."""

from . import data
