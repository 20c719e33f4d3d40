"""``NestedIOFunction``: torch's old-style autograd Function, kept for old code.  An
instance is called on inputs that may be nested in lists and tuples; the subclass writes
``forward_extended(*inputs)`` and ``backward_extended(*grad_outputs)`` as instance methods
(``self.save_for_backward``, ``self.saved_tensors``, ``self.mark_dirty``,
``self.mark_non_differentiable`` as on a ctx), with the same nesting in and out.

(torch 2.13 still exports the class but can no longer run it: calling an instance raises
AttributeError there.  ember runs it through an ordinary Function.)
"""

from .. import _pytree, _tensor
from .function import Function

__all__ = ["NestedIOFunction"]


def _tensors(tree):
    return [x for x in _pytree.tree_flatten(tree)[0] if isinstance(x, _tensor.Tensor)]


class _Run(Function):
    """The ordinary Function that runs one NestedIOFunction call: its inputs are the
    flattened tensors of the nested inputs, its outputs those of the nested result."""

    @staticmethod
    def forward(ctx, fn, spec, *leaves):
        ctx.fn = fn
        fn._ctx = ctx
        result = fn.forward_extended(*_pytree.tree_unflatten(list(leaves), spec))
        flat, fn._out_spec = _pytree.tree_flatten(result)
        fn._in_spec = spec
        return tuple(flat)

    @staticmethod
    def backward(ctx, *grads):
        fn = ctx.fn
        result = fn.backward_extended(*_nested(grads, fn._out_spec))
        flat = _pytree.tree_flatten(result)[0]
        return (None, None) + tuple(flat)


def _nested(flat, spec):
    nested = _pytree.tree_unflatten(list(flat), spec)
    return nested if isinstance(nested, tuple) else (nested,)


class NestedIOFunction(Function):
    """Subclass it, write ``forward_extended`` and ``backward_extended``, call an instance:
    ``out = MyFn()(a, [b, c])``."""

    _ctx = None

    def __call__(self, *inputs):
        leaves, spec = _pytree.tree_flatten(inputs)
        outs = _Run.apply(self, spec, *leaves)
        outs = outs if isinstance(outs, tuple) else (outs,)
        return _pytree.tree_unflatten(list(outs), self._out_spec)

    def forward_extended(self, *input):
        """User defined forward."""
        raise NotImplementedError

    def backward_extended(self, *grad_output):
        """User defined backward."""
        raise NotImplementedError

    def save_for_backward(self, *args):
        self._to_save_nested = args
        self._ctx.save_for_backward(*_tensors(args))

    @property
    def saved_tensors(self):
        flat = iter(self._ctx.saved_tensors)
        leaves, spec = _pytree.tree_flatten(self._to_save_nested)
        filled = [next(flat) if isinstance(x, _tensor.Tensor) else x for x in leaves]
        return _pytree.tree_unflatten(filled, spec)

    def mark_dirty(self, *args, **kwargs):
        self._ctx.mark_dirty(*_tensors((args, kwargs)))

    def mark_non_differentiable(self, *args, **kwargs):
        self._ctx.mark_non_differentiable(*_tensors((args, kwargs)))

    @property
    def needs_input_grad(self):
        return self._ctx.needs_input_grad[2:]
