"""ember.utils: helpers outside the tensor core, as torch.utils (safetensors, ...)."""
