"""nn.Parameter: a tensor that a Module registers as one of its parameters."""

from .. import _unpickler
from .._tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad and is registered when assigned to a Module.

    ``Parameter(data)`` shares memory with ``data``.
    """

    _repr_as_tensor = True  # printed as 'Parameter containing:\ntensor(...)'
    _saved_as_parameter = True  # inherited: a subclass is saved as a Parameter too

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from ..ops.creation import empty

            data = empty(0)
        t = cls._make(data._data, data.device)
        t._vc = data._counter()
        if requires_grad:
            t.requires_grad_(True)
        return t

    def __init__(self, data=None, requires_grad=True):
        pass  # all the work is done in __new__

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (Parameter, (Tensor._make(self._data.copy(), self.device), self.requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = Parameter(Tensor._make(self._data.copy(), self.device), self.requires_grad)
        memo[id(self)] = result
        return result


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module."""

    _repr_as_tensor = True

    def __new__(cls, data=None, *, persistent=True):
        t = cls._make(data._data, data.device)
        t._vc = data._counter()
        t.persistent = persistent
        return t

    def __init__(self, data=None, *, persistent=True):
        pass


_unpickler.register_parameter_class(Parameter)


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet (lazy modules such as LazyLinear).

    ``materialize(shape)`` gives it storage of that shape, in place (an optimizer created
    before keeps the same object), and turns it into a plain Parameter, as torch does.
    """

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        from ..ops.creation import empty

        return Parameter.__new__(cls, empty(0, device=device, dtype=dtype), requires_grad)

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass  # all the work is done in __new__

    def materialize(self, shape, device=None, dtype=None):
        _materialize(self, shape, device, dtype, Parameter)

    def __repr__(self):
        return "<UninitializedParameter>"


class UninitializedBuffer(Tensor):
    """A buffer whose shape is not known yet (lazy norms such as LazyBatchNorm1d).

    ``materialize(shape)`` gives it storage of that shape, in place, and turns it into a plain
    Tensor, as torch does.
    """

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        from ..ops.creation import empty

        data = empty(0, device=device, dtype=dtype)
        t = cls._make(data._data, data.device)
        if requires_grad:
            t.requires_grad_(True)
        t.persistent = persistent
        return t

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        pass  # all the work is done in __new__

    def materialize(self, shape, device=None, dtype=None):
        _materialize(self, shape, device, dtype, Tensor)

    def __repr__(self):
        return "<UninitializedBuffer>"


def _materialize(t, shape, device, dtype, cls):
    """An uninitialised parameter or buffer gets memory of ``shape`` (uninitialised values) and
    becomes a ``cls`` (Parameter or Tensor), the same object, as torch's do."""
    from ..ops.creation import empty

    data = empty(shape, device=device or t.device, dtype=dtype or t.dtype)
    t._data = data._data
    t._dtype = data.dtype
    t.device = data.device
    t.__class__ = cls
