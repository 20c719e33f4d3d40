"""LazyModuleMixin: what the lazy layers share (LazyConv*, LazyConvTranspose*, LazyBatchNorm*,
LazyInstanceNorm*; LazyLinear predates it and does the same by hand).

A lazy layer is built without its input size: its parameters are UninitializedParameters (and
its running statistics UninitializedBuffers). The first call reads the size from the input,
materialises them in place (an optimizer built before keeps the same objects), initialises them
as the ordinary layer does, and the module's class becomes that layer (``cls_to_become``), as in
torch. ``load_state_dict`` before the first call materialises them from the checkpoint's shapes.
"""

from ...autograd.grad_mode import no_grad
from ..parameter import UninitializedBuffer, UninitializedParameter


class LazyModuleMixin:
    """Mixed in before the ordinary layer: ``class LazyConv1d(LazyModuleMixin, Conv1d)``.

    A subclass writes ``initialize_parameters(input)`` (materialise from the input's shape) and
    ``_sizes_from_parameters()`` (the size attributes, read back from the materialised shapes).
    """

    cls_to_become = None

    def has_uninitialized_params(self):
        """True while a parameter or buffer still waits for its shape."""
        tensors = list(self._parameters.values()) + list(self._buffers.values())
        return any(isinstance(t, (UninitializedParameter, UninitializedBuffer)) for t in tensors)

    def initialize_parameters(self, *args, **kwargs):
        raise NotImplementedError(f"initialize_parameters is not implemented for "
                                  f"{type(self).__name__}")

    def _sizes_from_parameters(self):
        pass

    def forward(self, *args, **kwargs):
        """First call: materialise, become ``cls_to_become``, then run its forward."""
        with no_grad():
            self.initialize_parameters(*args, **kwargs)
        if self.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        self._sizes_from_parameters()  # also right when load_state_dict materialised them
        if self.cls_to_become is not None:
            self.__class__ = self.cls_to_become
        return self.forward(*args, **kwargs)
