"""Selective activation checkpointing (SAC): torch.utils.checkpoint's policy per op.

Plain ``checkpoint(fn, x, use_reentrant=False)`` recomputes every op of ``fn`` in backward.
With ``context_fn=functools.partial(create_selective_checkpoint_contexts, policy_fn)`` a
policy decides, op by op, which outputs the first run keeps (``MUST_SAVE``/``PREFER_SAVE``):
in the recomputation those ops are not run again, their kept outputs are handed back
instead, and every other op is recomputed as usual.

How ember sees "an op": torch's policy gets an ``OpOverload`` (``torch.ops.aten.mm.default``);
ember has no dispatcher, so its policy gets the class of the ember primitive that ran (the
node class, e.g. ``ember.ops.linalg.Matmul``; ``op.__name__`` names it).  While one of the two
contexts is entered, ``Node.apply`` (and ``NoGradNode.apply``) are wrapped so that each op
passes through here; outside them nothing is wrapped, so the common path costs nothing.
Custom ``autograd.Function`` subclasses are not seen by the policy (always recomputed).

Like torch 2.13, the policy runs once per op in the first run, after the op, with
``ctx.op_output`` set (``ctx.is_recompute`` is always False); outputs are matched in the
recomputation by op and by how many times that op ran before.
"""

import enum
from collections import defaultdict

from ..autograd import function as _function

__all__ = ["CheckpointPolicy", "SelectiveCheckpointContext",
           "create_selective_checkpoint_contexts", "SAC_IGNORED_OPS"]


class SelectiveCheckpointContext:
    """What the policy function gets first: ``is_recompute`` (always False, as torch 2.13:
    the policy runs in the first run only) and ``op_output`` (the op's output)."""

    def __init__(self, *, is_recompute, op_output=None):
        self.is_recompute = is_recompute
        self.op_output = op_output


class CheckpointPolicy(enum.Enum):
    """What to do with one op's output: ``*_SAVE`` keeps it in the first run (the
    recomputation does not run the op), ``*_RECOMPUTE`` runs the op again in backward.
    ``*_CPU_OFFLOAD`` keeps it too (ember's outputs already live where they are computed).
    ``MUST_`` and ``PREFER_`` mean the same in eager mode (``MUST_`` forbids a compiler to
    override it)."""

    MUST_SAVE = 0
    PREFER_SAVE = 1
    MUST_RECOMPUTE = 2
    PREFER_RECOMPUTE = 3
    MUST_CPU_OFFLOAD = 4
    PREFER_CPU_OFFLOAD = 5


_KEEP = (CheckpointPolicy.MUST_SAVE, CheckpointPolicy.PREFER_SAVE,
         CheckpointPolicy.MUST_CPU_OFFLOAD, CheckpointPolicy.PREFER_CPU_OFFLOAD)

# ops never shown to the policy.  torch leaves out detach and metadata queries; in ember those
# are not recorded ops at all, so the set is empty (kept for code that adds to or reads it)
SAC_IGNORED_OPS = set()

_RECOMPUTE = object()  # storage entry: the policy chose to recompute
_CONSUMED = object()  # storage entry: its kept output was handed out once already


def _policy_from_bool(keep):
    """Old policies returned a bool: True = MUST_SAVE, False = PREFER_RECOMPUTE."""
    return CheckpointPolicy.MUST_SAVE if keep else CheckpointPolicy.PREFER_RECOMPUTE


class _Kept:
    """One op's kept output: the arrays forward returned, the values it saved for backward,
    and each output tensor's version (a later in-place change would make the kept value
    differ from what the recomputation must see)."""

    def __init__(self, out, saved, outputs):
        self.out = out
        self.saved = saved
        self.versions = [(t._counter(), t._vc.value) for t in outputs]

    def mutated(self):
        return any(counter.value != version for counter, version in self.versions)


_NODE_CLASSES = (_function.Node, _function.NoGradNode)


class _OpHook:
    """A context that routes every ember op through ``handle(node, inputs, apply)`` while it
    is entered (by wrapping the ``apply`` of Node and NoGradNode; nested use is counted)."""

    def __enter__(self):
        self._originals = [cls.__dict__["apply"] for cls in _NODE_CLASSES]
        hook = self

        def wrap(original):
            def apply(node, *inputs):
                if hook.busy:  # an op run inside another op's handling is not seen again
                    return original(node, *inputs)
                hook.busy = True
                try:
                    return hook.handle(node, inputs, original)
                finally:
                    hook.busy = False
            return apply

        self.busy = False
        for cls, original in zip(_NODE_CLASSES, self._originals):
            cls.apply = wrap(original)
        return self

    def __exit__(self, *exc):
        for cls, original in zip(_NODE_CLASSES, self._originals):
            cls.apply = original
        return False


class _Caching(_OpHook):
    """The first run: each op runs, then the policy decides whether its output is kept."""

    def __init__(self, policy_fn, storage):
        self.policy_fn = policy_fn
        self.storage = storage

    def __enter__(self):
        self.counter = defaultdict(int)
        return super().__enter__()

    def handle(self, node, inputs, apply):
        op = type(node)
        if op in SAC_IGNORED_OPS:
            return apply(node, *inputs)
        forward = node.forward
        seen = {}

        def forward_and_note(*arrays):
            out = forward(*arrays)
            seen["out"] = out
            seen["saved"] = getattr(node, "_saved", ())
            return out

        node.forward = forward_and_note
        result = apply(node, *inputs)
        del node.forward  # the instance attribute goes; the class's forward is seen again
        index = self.counter[op]
        self.counter[op] += 1
        policy = self.policy_fn(SelectiveCheckpointContext(is_recompute=False, op_output=result),
                                op, *inputs)
        if isinstance(policy, bool):
            policy = _policy_from_bool(policy)
        if policy in _KEEP:
            outputs = result if isinstance(result, tuple) else (result,)
            self.storage[op][index] = _Kept(seen["out"], seen["saved"], outputs)
        else:
            self.storage[op][index] = _RECOMPUTE
        return result


_MISMATCH = ("This can happen if the operations in the checkpointed region are "
             "nondeterministic or depend on global state that changed between forward and "
             "backward.")


class _Cached(_OpHook):
    """The recomputation: an op whose output was kept is not run; the node is recorded as
    usual (so the gradient flows through it) with the kept output and saved values."""

    def __init__(self, storage, allow_cache_entry_mutation):
        self.storage = storage
        self.allow_mutation = allow_cache_entry_mutation

    def __enter__(self):
        self.counter = defaultdict(int)
        return super().__enter__()

    def handle(self, node, inputs, apply):
        op = type(node)
        if op in SAC_IGNORED_OPS:
            return apply(node, *inputs)
        index = self.counter[op]
        self.counter[op] += 1
        entries = self.storage.get(op)
        if entries is None:
            raise RuntimeError(f"{op.__name__} encountered during backward but not found in "
                               f"storage. {_MISMATCH}")
        entry = entries.get(index)
        if entry is None:
            raise RuntimeError(f"{op.__name__} invocation index {index} encountered during "
                               f"backward but not found in storage. {_MISMATCH}")
        if entry is _CONSUMED:
            raise RuntimeError("Trying to backward an extra time. You are only allowed to "
                               "backward once on any region computed under selective "
                               "activation checkpoint.")
        if entry is _RECOMPUTE:
            return apply(node, *inputs)
        if entry.mutated() and not self.allow_mutation:
            raise RuntimeError(
                "Tensor cached during selective activation checkpoint has been mutated")
        entries[index] = _CONSUMED

        def kept_forward(*arrays):
            if entry.saved:
                node.save(*entry.saved)
            return entry.out

        node.forward = kept_forward
        try:
            return apply(node, *inputs)
        finally:
            del node.forward


def create_selective_checkpoint_contexts(policy_fn_or_list, allow_cache_entry_mutation=False):
    """The two contexts for ``checkpoint(..., use_reentrant=False, context_fn=...)`` that
    make checkpointing selective.

    Args:
        policy_fn_or_list: ``policy_fn(ctx, op, *args)`` returning a CheckpointPolicy (or a
            bool: True = MUST_SAVE) for each op of the first run, or a list of ops (ember node
            classes) whose outputs are kept (MUST_SAVE; the others PREFER_RECOMPUTE).
        allow_cache_entry_mutation (bool): allow a kept output to be changed in place after
            the op (the recomputation then sees the changed value); by default that raises.
    """
    if isinstance(policy_fn_or_list, list):
        for op in policy_fn_or_list:
            if not (isinstance(op, type) and issubclass(op, _function.Node)):
                raise ValueError(f"Expected op in `op_list` to be an OpOverload but got: {op} "
                                 f"of type {type(op)}. (ember: an op is the class of an ember "
                                 "primitive, e.g. ember.ops.linalg.Matmul)")
        ops = list(policy_fn_or_list)

        def policy_fn(ctx, op, *args, **kwargs):
            if op in ops:
                return CheckpointPolicy.MUST_SAVE
            return CheckpointPolicy.PREFER_RECOMPUTE
    elif callable(policy_fn_or_list):
        policy_fn = policy_fn_or_list
    else:
        raise TypeError("policy_fn_or_list must be either a function or a list of ops.")
    storage = defaultdict(dict)
    return _Caching(policy_fn, storage), _Cached(storage, allow_cache_entry_mutation)
