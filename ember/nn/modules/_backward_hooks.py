"""Full backward hooks of a Module: hook(module, grad_input, grad_output).

When a module has backward hooks, its call routes the tensors that enter and leave ``forward``
through an identity autograd Function (``BackwardHookFunction``, as torch names its node).  In
backward, the node after the outputs sees ``grad_output`` first (pre-hooks may replace it); the
node before the inputs then sees ``grad_input`` and calls the hooks, which may replace it.
"""

import warnings

from ..._tensor import Tensor
from ...autograd.function import Function


class BackwardHookFunction(Function):
    """Identity on ``tensors``; its backward hands the gradients to ``state``."""

    @staticmethod
    def forward(ctx, state, side, *tensors):
        ctx.state, ctx.side = state, side
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        if ctx.side == "output":
            grads = ctx.state.on_grad_output(grads)
        else:
            grads = ctx.state.on_grad_input(grads)
        return (None, None, *grads)


class BackwardHookState:
    """One module call's bookkeeping between its output and input hooks."""

    def __init__(self, module):
        self.module = module
        self.grad_output = None
        self.input_slots = ()  # for each tensor argument: its place among the wrapped ones
        self.n_wrapped = 0

    def wrap_inputs(self, args):
        """args with every tensor that requires grad passed through the identity node."""
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        self.input_slots = tuple(positions.index(i) if i in positions else None
                                 for i, a in enumerate(args) if isinstance(a, Tensor))
        self.n_wrapped = len(positions)
        if not positions:
            return args
        wrapped = BackwardHookFunction.apply(self, "input", *[args[i] for i in positions])
        args = list(args)
        for i, t in zip(positions, wrapped):
            args[i] = t
        return tuple(args)

    def wrap_outputs(self, output):
        single = isinstance(output, Tensor)
        outs = (output,) if single else output
        if not isinstance(outs, tuple):
            return output
        positions = [i for i, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
        if not positions:
            return output
        wrapped = BackwardHookFunction.apply(self, "output", *[outs[i] for i in positions])
        outs = list(outs)
        for i, t in zip(positions, wrapped):
            outs[i] = t
        return outs[0] if single else tuple(outs)

    def on_grad_output(self, grads):
        module = self.module
        for hook in tuple(module._backward_pre_hooks.values()):
            result = hook(module, grads)
            if result is not None:
                grads = tuple(result) if isinstance(result, (tuple, list)) else (result,)
        self.grad_output = grads
        if self.n_wrapped == 0 and module._full_backward_hooks:
            warnings.warn("Full backward hook is firing when gradients are computed with "
                          "respect to module outputs since no inputs require gradients: its "
                          "grad_input holds None for every input.", stacklevel=2)
            self._call_hooks(tuple(None for _ in self.input_slots))
        return grads

    def on_grad_input(self, grads):
        full = tuple(None if slot is None else grads[slot] for slot in self.input_slots)
        result = self._call_hooks(full)
        if result is None:
            return grads
        if len(result) != len(full):
            raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got "
                               f"{len(result)}, but expected {len(full)}")
        return tuple(result[i] for i, slot in enumerate(self.input_slots) if slot is not None)

    def _call_hooks(self, grad_input):
        module, replaced = self.module, None
        for hook in tuple(module._full_backward_hooks.values()):
            result = hook(module, grad_input if replaced is None else replaced,
                          self.grad_output)
            if result is not None:
                replaced = tuple(result) if isinstance(result, (tuple, list)) else (result,)
        return replaced
