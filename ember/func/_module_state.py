"""functional_call and stack_module_state: running a module with tensors it does not own.

Both work on any object with nn.Module's interface (named_parameters, named_buffers,
get_submodule and the ``_parameters``/``_buffers`` dicts), so this file needs no import of
ember.nn (the tensor core sits below nn; see tests/test_layering.py).
"""

from .. import _tensor

Tensor = _tensor.Tensor


def _merge_dicts(parameter_and_buffer_dicts):
    if isinstance(parameter_and_buffer_dicts, dict):
        return dict(parameter_and_buffer_dicts)
    if isinstance(parameter_and_buffer_dicts, (tuple, list)):
        merged = {}
        repeated = []
        for d in parameter_and_buffer_dicts:
            for key, value in d.items():
                if key in merged:
                    repeated.append(key)
                merged[key] = value
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of "
                             "functional call is ambiguous")
        return merged
    raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of "
                     f"dicts, but got {type(parameter_and_buffer_dicts)}")


def _swap_in(module, name, value):
    """Put ``value`` where the module keeps ``name``; returns how to undo it."""
    owner_path, _, leaf = name.rpartition(".")
    owner = module.get_submodule(owner_path) if owner_path else module
    for store in (owner._parameters, owner._buffers):
        if leaf in store:
            original = store[leaf]
            store[leaf] = value

            def undo(store=store, leaf=leaf, original=original):
                store[leaf] = original
            return undo
    # a name the module does not have (strict=False): a plain attribute for the call, as torch
    had = leaf in owner.__dict__
    original = owner.__dict__.get(leaf)
    object.__setattr__(owner, leaf, value)

    def undo_attribute():
        if had:
            object.__setattr__(owner, leaf, original)
        else:
            object.__delattr__(owner, leaf)
    return undo_attribute


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """``module(*args, **kwargs)`` run with the tensors of ``parameter_and_buffer_dicts`` (one
    dict, or several whose keys do not overlap) in place of its parameters and buffers of the
    same names.  The module's own tensors are put back afterwards, even if the call raises;
    gradients flow to the given tensors.

    Args:
        tie_weights (bool, default True): a tensor given for one of several names the module
            shares one parameter under is used for all of them (False: only for that name).
        strict (bool, default False): every parameter and buffer must be given, and no other
            name (without strict, another name becomes a plain attribute for the call).
    """
    given = _merge_dicts(parameter_and_buffer_dicts)
    current = dict(module.named_parameters(remove_duplicate=False))
    current.update(module.named_buffers(remove_duplicate=False))
    unexpected = sorted(k for k in given if k not in current)
    missing = sorted(k for k in current if k not in given)
    if tie_weights:
        given = _tie(given, current)
        missing = [k for k in missing if k not in given]
    if strict and (unexpected or missing):
        lines = []
        if unexpected:
            lines.append("Unexpected key(s): " + ", ".join(f"'{k}'" for k in unexpected) + ".")
        if missing:
            lines.append("Missing key(s): " + ", ".join(f"'{k}'" for k in missing) + ".")
        raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t"
                           + "\n\t".join(lines))
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    undo = []
    try:
        for name, value in given.items():
            undo.append(_swap_in(module, name, value))
        return module(*args, **(kwargs or {}))
    finally:
        for step in reversed(undo):
            step()


def _tie(given, current):
    """``given`` extended to every other name of a shared (tied) tensor."""
    names_of = {}
    for name, t in current.items():
        names_of.setdefault(id(t), []).append(name)
    result = dict(given)
    for names in names_of.values():
        named = [n for n in names if n in given]
        if len(names) < 2 or not named:
            continue
        values = {id(given[n]) for n in named}
        if len(values) > 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(named)}, "
                             "which are tied. Consider using tie_weights=False")
        for n in names:
            result.setdefault(n, given[named[0]])
    return result


def stack_module_state(models):
    """The parameters and buffers of same-class models stacked along a new first dim:
    ``(params, buffers)``, two dicts name -> tensor of shape (len(models), ...).  The stacked
    parameters are new leaves that require grad where the first model's do; buffers do not.
    With vmap and functional_call this runs an ensemble as one batched model."""
    from ..ops.join import stack

    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    first = models[0]
    if not (all(m.training for m in models) or not any(m.training for m in models)):
        raise RuntimeError("stack_module_state: Expected all models to have the same "
                           "training/eval mode.")
    if any(type(m) is not type(first) for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    params = {}
    for name, p in first.named_parameters():
        stacked = stack([dict(m.named_parameters())[name].detach() for m in models])
        params[name] = stacked.requires_grad_(p.requires_grad)
    buffers = {}
    for name, _ in first.named_buffers():
        buffers[name] = stack([dict(m.named_buffers())[name].detach() for m in models])
    return params, buffers
