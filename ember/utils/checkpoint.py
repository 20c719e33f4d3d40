"""ember.utils.checkpoint: activation checkpointing, as torch.utils.checkpoint.

``checkpoint(function, *args)`` keeps no activations of ``function`` for backward: backward
runs ``function`` again (with the random state of the first run, so dropout draws the same
masks) and backpropagates through that second run.  Memory for time; the gradients are the
ones plain autograd gives.

Two variants, chosen by ``use_reentrant`` as in torch:

- ``use_reentrant=True`` (torch's older one): a custom Function whose forward runs under
  no_grad and whose backward recomputes on detached inputs and calls ``autograd.backward``
  inside the outer backward.  Parameters used by ``function`` get their ``.grad`` from that
  inner backward; at least one *input* must require grad (else the output does not, with
  torch's warning), and ``autograd.grad`` through it raises torch's error.
- ``use_reentrant=False``: the first run is recorded, the tensors its graph starts from (the
  inputs, and the parameters or other tensors ``function`` captured) are noted, then the graph
  is dropped and one node with edges to exactly those tensors stands for the whole segment.
  Its backward recomputes and sends each of them its gradient, so it works with
  ``autograd.grad``, with inputs that need no grad, and with ``create_graph``.  (torch records
  no activations in the first run either, thanks to saved-tensor hooks that ember lacks: here
  a segment's activations live while its forward runs, which is also what its backward needs.)
"""

import warnings

from .. import _pytree, _random, _tensor
from ..autograd import Function
from ..autograd import function as _function
from ..autograd import grad_mode as _grad_mode

Tensor = _tensor.Tensor

from ._selective_checkpoint import (  # noqa: E402
    SAC_IGNORED_OPS,
    CheckpointPolicy,
    SelectiveCheckpointContext,
    create_selective_checkpoint_contexts,
)

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "noop_context_fn",
           "check_backward_validity", "detach_variable", "get_device_states",
           "set_device_states", "set_checkpoint_early_stop", "set_checkpoint_debug_enabled",
           "CheckpointPolicy", "SelectiveCheckpointContext",
           "create_selective_checkpoint_contexts", "SAC_IGNORED_OPS", "GraphExecGroup"]


class CheckpointError(RuntimeError):
    """The recomputation in backward did not give what the first run gave."""


class _NoopContext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def noop_context_fn():
    """The default ``context_fn``: no context around the forward run or the recomputation."""
    return _NoopContext(), _NoopContext()


_MISSING_USE_REENTRANT = (
    "{}: the use_reentrant parameter should be passed explicitly. Starting in PyTorch 2.9, "
    "calling checkpoint without use_reentrant will raise an exception. use_reentrant=False is "
    "recommended, but if you need to preserve the current default behavior, you can pass "
    "use_reentrant=True. Refer to docs for more details on the differences between the two "
    "variants.")


def _resolve_use_reentrant(use_reentrant, api):
    """torch 2.13, despite its own warning's text, still runs without use_reentrant: it warns
    and takes the old default, True."""
    if use_reentrant is None:
        warnings.warn(_MISSING_USE_REENTRANT.format(api), stacklevel=3)
        return True
    return use_reentrant


class _RngState:
    """The random state to recompute with (only when preserve_rng_state)."""

    def __init__(self, preserve):
        self.states = None
        if preserve:
            self.states = [g.get_state() for g in (_random.default_generator,
                                                   _random.cuda_generator)]

    def restored(self):
        """A context that runs the recomputation from the saved state and puts the current
        state back afterwards (torch's fork_rng)."""
        if self.states is None:
            return _NoopContext()
        states = self.states

        class _Restored:
            def __enter__(self):
                self.now = [g.get_state() for g in (_random.default_generator,
                                                    _random.cuda_generator)]
                _random.default_generator.set_state(states[0])
                _random.cuda_generator.set_state(states[1])

            def __exit__(self, *exc):
                _random.default_generator.set_state(self.now[0])
                _random.cuda_generator.set_state(self.now[1])
                return False

        return _Restored()


def checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn,
               determinism_check="default", debug=False, early_stop=True, **kwargs):
    """``function(*args, **kwargs)`` without keeping its activations for backward.

    Args:
        use_reentrant (bool): which variant (see the module docstring).  Not given: torch
            2.13's warning, then True.
        preserve_rng_state (bool, keyword, default True): recompute with the random state the
            first run had, so random ops (dropout) draw the same numbers.
        context_fn: returns two context managers, entered around the first run and around the
            recomputation (use_reentrant=False only).
        determinism_check ('default' or 'none'): 'default' compares the shape, dtype and device
            of every output of the recomputation with the first run's and raises
            CheckpointError on a difference (use_reentrant=False only).
        debug (bool): the CheckpointError lists every output of both runs
            (use_reentrant=False only).
        early_stop (bool): torch's permission to stop recomputing once the needed tensors are
            back; ember's recomputation always runs the whole function (same results).
    """
    preserve = kwargs.pop("preserve_rng_state", True)
    use_reentrant = _resolve_use_reentrant(use_reentrant, "torch.utils.checkpoint")
    if _settings.debug is not None:  # set_checkpoint_debug_enabled overrides the argument
        debug = _settings.debug
    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when "
                             "use_reentrant=False.")
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        return _checkpoint_reentrant(function, args, preserve)
    if determinism_check not in ("default", "none"):
        raise ValueError("determinism_check should be one of ['default', 'none'], but got "
                         f"{determinism_check}")
    del early_stop  # see the docstring: the recomputation is always whole
    return _checkpoint_without_reentrant(function, args, kwargs, preserve, context_fn,
                                         determinism_check, debug)


# ---------------------------------------------------------------------------- reentrant


class CheckpointFunction(Function):
    """use_reentrant=True: forward under no_grad (Function.apply runs it so), backward
    recomputes on detached inputs and backpropagates inside the outer backward."""

    @staticmethod
    def forward(ctx, run, *args):
        ctx.run = run
        ctx.save_for_backward(*[a for a in args if isinstance(a, Tensor)])
        outputs = run.function(*args)
        # NOTE: a tensor returned as it is (an input, a captured parameter) becomes a new
        # tensor sharing its memory: the node's output must not be that tensor itself
        if isinstance(outputs, tuple):
            return tuple(o.detach() if isinstance(o, Tensor) else o for o in outputs)
        return outputs.detach() if isinstance(outputs, Tensor) else outputs

    @staticmethod
    def backward(ctx, *grads):
        from ..autograd import backward

        if _inside_autograd_grad():
            raise RuntimeError(
                "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() or "
                "passing an `inputs` parameter to .backward(). To resolve this error, you can "
                "either set use_reentrant=False, or call .backward() without passing the "
                "`inputs` argument.")
        run = ctx.run
        saved = iter(ctx.saved_tensors)
        inputs = []
        for a in run.args:
            if isinstance(a, Tensor):
                a = next(saved).detach().requires_grad_(a.requires_grad)
            inputs.append(a)
        with run.rng.restored(), _grad_mode.enable_grad():
            outputs = run.function(*inputs)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        pairs = [(o, g) for o, g in zip(outputs, grads)
                 if isinstance(o, Tensor) and o.requires_grad and g is not None]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not "
                               "necessary")
        backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None,) + tuple(x.grad if isinstance(x, Tensor) else None for x in inputs)


def _inside_autograd_grad():
    """Is the backward that runs this node an ``autograd.grad`` (or ``backward(inputs=)``)?
    The engine's ``run_backward`` got ``inputs`` then; this reads it from the caller frames."""
    import sys

    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code is _engine_run_backward_code():
            return frame.f_locals.get("inputs") is not None
        frame = frame.f_back
    return False


def _engine_run_backward_code():
    from ..autograd import engine

    return engine.run_backward.__code__


class _Run:
    """What a checkpointed call needs again in backward."""

    def __init__(self, function, args, kwargs, preserve):
        self.function = function
        self.args = args
        self.kwargs = kwargs
        self.rng = _RngState(preserve)


def _checkpoint_reentrant(function, args, preserve):
    if _grad_mode.is_grad_enabled() and not any(
            isinstance(a, Tensor) and a.requires_grad for a in args):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                      stacklevel=3)
    return CheckpointFunction.apply(_Run(function, args, {}, preserve), *args)


# ---------------------------------------------------------------------------- non-reentrant


class Checkpoint(Function):
    """use_reentrant=False: one node for the whole segment.  Its inputs are the tensors the
    segment's graph started from (see _boundary): the arguments that require grad, the leaves
    ``function`` captured (parameters), and stand-ins for captured non-leaf tensors."""

    @staticmethod
    def forward(ctx, run, *boundary):
        ctx.run = run
        ctx.save_for_backward(*[a for a in run.args if isinstance(a, Tensor)])
        return tuple(run.outputs)

    @staticmethod
    def backward(ctx, *grads):
        from ..autograd import grad

        run = ctx.run
        saved = [a for a in ctx.saved_tensors]
        create_graph = _grad_mode.is_grad_enabled()  # the engine records: create_graph=True
        if create_graph:
            # the gradient must stay a function of the arguments themselves (for the next
            # order), so the recomputation runs on views of them instead of detached copies
            _check_independent(run.boundary, run.kinds, saved, "backward(create_graph=True) "
                               "through checkpoint(use_reentrant=False): an argument computed "
                               "(with grad) from a tensor the function also uses")
        it = iter(saved)
        inputs = [_input_again(next(it), create_graph) if isinstance(a, Tensor) else a
                  for a in run.args]
        with run.rng.restored(), _grad_mode.enable_grad(), run.recompute_context:
            outputs = run.function(*inputs, **run.kwargs)
        outs, _ = _pytree.tree_flatten(outputs)
        if run.determinism_check == "default":
            _check_same_metadata(run.outputs, outs, run.debug)
        # each boundary entry's gradient in the recomputed graph: an argument's arrives at its
        # new copy (or view), a captured tensor's (or stand-in's) at the tensor itself
        targets = [inputs[where] if kind == "arg" else b
                   for (kind, where), b in zip(run.kinds, run.boundary)]
        pairs = [(o, g) for o, g in zip(outs, grads)
                 if isinstance(o, Tensor) and o.requires_grad and g is not None]
        if not pairs:
            return (None,) * (1 + len(targets))
        found = grad([o for o, _ in pairs], targets, [g for _, g in pairs],
                     create_graph=create_graph, allow_unused=True)
        return (None,) + tuple(found)


def _detached(t):
    """A new leaf sharing ``t``'s values, requiring grad as ``t`` does."""
    return t.detach().requires_grad_(t.requires_grad)


def _input_again(t, create_graph):
    """The argument for the recomputation: a detached copy, or with create_graph a view that
    keeps the gradient connected to ``t``."""
    if create_graph and t.requires_grad:
        return t.view_as(t)
    return _detached(t)


def _standin(node, nr, shape, dtype, device):
    """A tensor that is output ``nr`` of the recorded ``node``: it lets a custom Function have
    an edge to a node whose tensor ember does not hold (one captured by ``function``)."""
    from ..ops.creation import zeros

    t = zeros(shape, dtype=dtype, device=device)
    t.grad_fn = node
    t.output_nr = nr
    t._requires_grad = True
    return t


def _boundary(outputs, start, args, detached_args):
    """The tensors the segment's graph (nodes numbered from ``start`` on) starts from, and
    what each is: ("arg", i) for the detached copy of argument i (given as the argument
    itself), ("captured", None) for a leaf ``function`` captured, ("standin", None) for an
    output of a node recorded before the segment (a captured non-leaf tensor)."""
    arg_of = {id(d): i for i, d in enumerate(detached_args) if isinstance(d, Tensor)}
    found = {}

    def leaf(target):
        if id(target) in arg_of:
            i = arg_of[id(target)]
            found.setdefault(("arg", i), args[i])
        else:
            found.setdefault((id(target), -1), target)

    stack = []
    for o in outputs:
        if o.grad_fn is None:  # a leaf returned as it is (an argument, a parameter)
            leaf(o)
        else:
            stack.append(o.grad_fn)
    seen = set()
    while stack:
        node = stack.pop()
        for target, nr, shape, dtype in getattr(node, "_edges", ()):
            if target is None:
                continue
            if nr < 0:  # a leaf tensor
                leaf(target)
            elif target._seq < start:  # recorded before the segment
                if (id(target), nr) not in found:
                    found[(id(target), nr)] = _standin(target, nr, shape, dtype, node.device)
            elif id(target) not in seen:
                seen.add(id(target))
                stack.append(target)
    kinds = []
    for key in found:
        if key[0] == "arg":
            kinds.append(key)
        else:
            kinds.append(("captured" if key[1] < 0 else "standin", None))
    return list(found.values()), kinds


def _check_independent(boundary, kinds, args, what):
    """The recomputation asks for the gradients of the boundary's tensors at once.  If one of
    them lies in the recorded history of another (a stand-in's, or with create_graph an
    argument's), backward would also flow through that history and count a gradient twice;
    ember refuses that case instead.  ``args``: the arguments whose history counts too."""
    keys, starts = set(), []
    for b, (kind, _) in zip(boundary, kinds):
        if kind == "standin":
            keys.add((id(b.grad_fn), b.output_nr))
            starts.append(b.grad_fn)
        elif kind == "captured":
            keys.add((id(b), -1))
    for a in args:
        if a.requires_grad:
            keys.add((id(a.grad_fn), a.output_nr) if a.grad_fn is not None else (id(a), -1))
            if a.grad_fn is not None:
                starts.append(a.grad_fn)
    for start in starts:
        stack, seen = [start], set()
        while stack:
            node = stack.pop()
            for target, nr, _shape, _dtype in getattr(node, "_edges", ()):
                if target is None:
                    continue
                if (id(target), max(nr, -1)) in keys:
                    raise NotImplementedError(
                        f"ember cannot recompute {what} without counting a gradient twice. "
                        "Pass that tensor as an argument of the function.")
                if nr >= 0 and id(target) not in seen:
                    seen.add(id(target))
                    stack.append(target)


def _checkpoint_without_reentrant(function, args, kwargs, preserve, context_fn,
                                  determinism_check, debug):
    forward_context, recompute_context = context_fn()
    run = _Run(function, args, kwargs, preserve)
    if not _grad_mode.is_grad_enabled():
        with forward_context:
            return function(*args, **kwargs)
    detached_args = [_detached(a) if isinstance(a, Tensor) else a for a in args]
    start = next(_function._sequence)  # nodes recorded from now on belong to the segment
    with forward_context:
        outputs = function(*detached_args, **kwargs)
    outs, spec = _pytree.tree_flatten(outputs)
    recorded = [o for o in outs if isinstance(o, Tensor) and o.requires_grad]
    if not recorded:
        return outputs
    run.boundary, run.kinds = _boundary(recorded, start, args, detached_args)
    _check_independent(run.boundary, run.kinds, (), "checkpoint(use_reentrant=False) of a "
                       "function that uses a tensor it did not get as an argument, computed "
                       "(with grad) from another tensor the function also uses")
    run.outputs = [o.detach() if isinstance(o, Tensor) else o for o in outs]
    run.recompute_context = recompute_context
    run.determinism_check = determinism_check
    run.debug = debug
    # the recorded graph is dropped here: the node below holds only the detached outputs
    new_outs = Checkpoint.apply(run, *run.boundary)
    kept = [n if isinstance(o, Tensor) and o.requires_grad else o
            for o, n in zip(outs, new_outs)]
    return _pytree.tree_unflatten(kept, spec)


def _metadata(t):
    if not isinstance(t, Tensor):
        return None
    return {"shape": t.shape, "dtype": t.dtype, "device": t.device}


def _check_same_metadata(first, again, debug):
    """torch's determinism check: the recomputed tensors must have the first run's shape,
    dtype and device."""
    pairs = list(zip(first, again))
    bad = [k for k, (a, b) in enumerate(pairs) if _metadata(a) != _metadata(b)]
    if len(first) != len(again) and not bad:
        bad = [min(len(first), len(again))]
    if not bad:
        return
    shown = range(len(pairs)) if debug else bad
    lines = [f"tensor at position {k}:\nsaved metadata: {_metadata(pairs[k][0])}\n"
             f"recomputed metadata: {_metadata(pairs[k][1])}\n" for k in shown if k < len(pairs)]
    tip = ("" if debug else "\nTip: To see a more detailed error message, either pass "
           "`debug=True` to\n`torch.utils.checkpoint.checkpoint(...)`.")
    raise CheckpointError("torch.utils.checkpoint: Recomputed values for the following tensors "
                          "have different metadata than during the forward pass.\n"
                          + "".join(lines) + tip)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run ``functions`` (a Sequential or a list of modules/functions) one after another on
    ``input``, in ``segments`` checkpointed chunks; the last chunk is run normally (its
    activations are needed at once by backward).  kwargs: ``preserve_rng_state``."""
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    use_reentrant = _resolve_use_reentrant(use_reentrant,
                                           "torch.utils.checkpoint.checkpoint_sequential")
    if hasattr(functions, "children") and not isinstance(functions, (list, tuple)):
        functions = list(functions.children())
    functions = list(functions)
    size = len(functions) // segments
    if size == 0:
        raise ValueError("range() arg 3 must not be zero")

    def run_part(begin, end):
        def part(x):
            for fn in functions[begin:end]:
                x = fn(x)
            return x
        return part

    end = -1
    for begin in range(0, size * (segments - 1), size):
        end = begin + size - 1
        input = checkpoint(run_part(begin, end + 1), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return run_part(end + 1, len(functions))(input)


# ---------------------------------------------------------------------------- helpers


class _Settings:
    """The switches set by the context managers below (None: defer to the argument)."""

    debug = None
    early_stop = None


_settings = _Settings()


class _Setting:
    """A context that sets one field of ``_settings`` and puts the old value back."""

    def __init__(self, field, value):
        self.field = field
        self.value = value

    def __enter__(self):
        self.before = getattr(_settings, self.field)
        setattr(_settings, self.field, self.value)
        return self

    def __exit__(self, *exc):
        setattr(_settings, self.field, self.before)
        return False


def set_checkpoint_debug_enabled(enabled):
    """A context in which every ``checkpoint`` runs with ``debug=enabled`` whatever its own
    argument says (``None``: each call's own argument again)."""
    return _Setting("debug", enabled)


def set_checkpoint_early_stop(enable):
    """A context that sets whether non-reentrant checkpoints may stop recomputing once the
    tensors backward needs are back.  ember's recomputation always runs the whole function
    (the gradients are the same either way), so the switch is recorded and has no effect."""
    return _Setting("early_stop", enable)


def detach_variable(inputs):
    """The tuple ``inputs`` with each tensor replaced by a detached copy that requires grad
    as the original did (other values unchanged)."""
    if not isinstance(inputs, tuple):
        raise RuntimeError("Only tuple of tensors is supported. Got Unsupported input type: "
                           f"{type(inputs).__name__}")
    return tuple(_detached(x) if isinstance(x, Tensor) else x for x in inputs)


def check_backward_validity(inputs):
    """Warn (as torch) when no tensor in ``inputs`` requires grad: checkpoint's gradients
    would all be None."""
    if not any(x.requires_grad for x in inputs if isinstance(x, Tensor)):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                      stacklevel=2)


def get_device_states(*args):
    """The random states to restore for a recomputation: the ids of the accelerator devices
    the tensors in ``args`` (nested containers too) live on, and the generator state of each.
    CPU and meta tensors add nothing (the CPU state is saved separately)."""
    ids = []
    for leaf in _pytree.tree_flatten(args)[0]:
        if isinstance(leaf, Tensor) and leaf.device.type not in ("cpu", "meta"):
            ids.append(leaf.get_device())
    return ids, [_random.cuda_generator.get_state() for _ in ids]


def set_device_states(devices, states, *, device_type=None):
    """Put back states from ``get_device_states`` (ember has one accelerator generator)."""
    if device_type == "meta":
        return
    for _device, state in zip(devices, states):
        _random.cuda_generator.set_state(state)


class GraphExecGroup:
    """A context inside which backward calls over checkpointed regions count as one graph
    execution (torch then recomputes each region at most once).  ember recomputes a region
    in every backward that reaches it; the gradients are the same, so the group only checks
    torch's rule that groups do not nest."""

    _current = None

    def __enter__(self):
        if GraphExecGroup._current is not None:
            raise RuntimeError("GraphExecGroup contexts cannot be nested. Already inside group "
                               f"{GraphExecGroup._current}")
        GraphExecGroup._current = self
        return self

    def __exit__(self, *exc):
        GraphExecGroup._current = None
        return False
