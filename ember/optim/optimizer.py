"""The Optimizer base class: parameter groups, per-parameter state, state_dict, hooks.

Each algorithm subclasses it and writes only its update: a short loop over the parameters that
have a gradient, working in place on their backing arrays (``p._data``, the NumPy or CuPy array)
with in-place array operations. That records nothing in the autograd graph (as torch's
``no_grad`` step), keeps each parameter's identity, and is as fast as the array library allows.
After changing a parameter the loop calls ``_bump(p)``: the version counter moves on, as after
torch's in-place ops, so a graph that saved the old values refuses to run backward.
"""

import functools
import warnings
from collections import OrderedDict, defaultdict
from copy import deepcopy
from itertools import chain

from .. import _dtype
from .._device import array_module_of
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad


class _RequiredParameter:
    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of tensors, of (name, tensor) pairs, or of dicts (parameter groups
            with their own options)
        defaults: the default options of each group
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        self._step_pre_hooks = OrderedDict()
        self._step_post_hooks = OrderedDict()
        self._state_dict_pre_hooks = OrderedDict()
        self._state_dict_post_hooks = OrderedDict()
        self._load_state_dict_pre_hooks = OrderedDict()
        self._load_state_dict_post_hooks = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {_type_name(params)}")
        _hook_step(type(self))
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Add a group of parameters with its own options (missing ones from ``defaults``)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        tensors, names = [], []
        for p in params:
            if isinstance(p, tuple):  # (name, tensor) from named_parameters()
                names.append(p[0])
                p = p[1]
            tensors.append(p)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            param_group["param_names"] = names
        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _type_name(p))
            if not self.defaults.get("differentiable") and not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        if len({id(p) for p in tensors}) != len(tensors):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see github.com/pytorch/pytorch/"
                          "issues/40967 for more information", stacklevel=3)
        existing = set()
        for group in self.param_groups:
            existing.update(id(p) for p in group["params"])
        if existing & {id(p) for p in tensors}:
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters (to None by default)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        p.grad.detach_()
                        p.grad.zero_()

    def step(self, closure=None):
        raise NotImplementedError(f"{type(self).__name__} must define step()")

    def _run_step(self, update, closure):
        """The closure (under enable_grad, as torch), then ``update()``, which changes the
        parameters' arrays in place; returns the closure's loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        update()
        return loss

    def register_step_pre_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` runs before each step; may return new args."""
        return _add_hook(self._step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` runs after each step."""
        return _add_hook(self._step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        return _add_hook(self._state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        return _add_hook(self._state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        return _add_hook(self._load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        return _add_hook(self._load_state_dict_post_hooks, hook, prepend)

    # ------------------------------------------------------------------ state_dict

    def state_dict(self):
        """{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]} as torch.

        Parameters are numbered in the order of the groups; the state's tensors are the
        optimizer's own (not copies), as in torch.
        """
        for hook in tuple(self._state_dict_pre_hooks.values()):
            hook(self)
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {index[id(p)]: s for p, s in self.state.items() if id(p) in index}
        state_dict = {"state": state, "param_groups": groups}
        for hook in tuple(self._state_dict_post_hooks.values()):
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict):
        """Load a state_dict made by ``state_dict()`` (ember's, or torch's with ember tensors).

        Floating state tensors take their parameter's dtype and device, except ``step``.
        """
        state_dict = state_dict.copy()
        for hook in tuple(self._load_state_dict_pre_hooks.values()):
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        state_dict = deepcopy(state_dict)
        groups = self.param_groups
        saved_groups = state_dict["param_groups"]
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for g, sg in zip(groups, saved_groups):
            if len(g["params"]) != len(sg["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't "
                                 "match the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        self.state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                p = id_map[k]
                self.state[p] = {key: _cast_state(val, p, key) for key, val in v.items()}
        new_groups = []
        for g, sg in zip(groups, saved_groups):
            new = dict(sg)
            new["params"] = g["params"]
            if "param_names" in g and "param_names" not in sg:
                new["param_names"] = g["param_names"]
            new_groups.append(new)
        self.param_groups = new_groups
        for hook in tuple(self._load_state_dict_post_hooks.values()):
            hook(self)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_step_pre_hooks", "_step_post_hooks", "_state_dict_pre_hooks",
                     "_state_dict_post_hooks", "_load_state_dict_pre_hooks",
                     "_load_state_dict_post_hooks"):
            setattr(self, name, OrderedDict())

    def __repr__(self):
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _hook_step(cls):
    """Wrap ``cls.step`` once so that the step hooks run around it, for every subclass (a
    user's too), as torch patches the class of each new optimizer."""
    if getattr(cls.step, "hooked", False):
        return
    step = cls.step

    @functools.wraps(step)
    def step_with_hooks(*args, **kwargs):
        self = args[0]  # the hooks see the step's arguments with the optimizer first
        for hook in tuple(self._step_pre_hooks.values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"{step} must return None or a tuple of "
                                       f"(new_args, new_kwargs), but got {result}.")
                args, kwargs = result
        out = step(*args, **kwargs)
        for hook in tuple(self._step_post_hooks.values()):
            hook(self, args, kwargs)
        return out

    step_with_hooks.hooked = True
    cls.step = step_with_hooks


# ---------------------------------------------------------------------- helpers for algorithms


def _value(x):
    """A hyper-parameter given as a float or a 1-element tensor, as a Python number."""
    return x.item() if isinstance(x, Tensor) else x


def _check_lr(lr):
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= _value(lr):
        raise ValueError(f"Invalid learning rate: {lr}")


def _check(ok, message):
    """Raise torch's ValueError for an invalid hyper-parameter."""
    if not ok:
        raise ValueError(message)


def _new_step(p, on_param_device=False):
    """The per-parameter step counter: a 0-dim tensor (float32, or float64 when the default
    dtype is float64), as torch stores it in the state. Like torch's, it lives on the CPU
    (reading it needs no device sync) unless ``on_param_device`` (ASGD keeps its scalars there).
    """
    from ..ops.creation import zeros

    scalar = _dtype.float64 if _dtype.get_default_dtype() is _dtype.float64 else _dtype.float32
    return zeros((), dtype=scalar, device=p.device if on_param_device else "cpu")


def _scalar(value, p, on_param_device=False):
    """A 0-dim state tensor holding ``value`` (in the step counter's dtype and place)."""
    t = _new_step(p, on_param_device)
    t._data[...] = value
    return t


def _grad_array(p, maximize):
    """The gradient's backend array, negated (in a new array) when maximizing."""
    g = p.grad._data
    return -g if maximize else g


def _bump(p):
    """Count one in-place change of ``p`` (torch bumps the version counter the same way)."""
    p._counter().value += 1


def _cast_state(value, param, key):
    """Loaded state follows its parameter: floating tensors take its dtype and device, other
    tensors its device; 'step' stays as saved (as torch, without capturable/fused); lists and
    dicts (LBFGS's history) are cast item by item."""
    if key == "step":
        if not isinstance(value, Tensor):
            return _scalar(float(value), param)  # an old state_dict with a Python number
        return value
    if isinstance(value, Tensor):
        if value.is_floating_point():
            return value.to(dtype=param.dtype, device=param.device)
        return value.to(device=param.device)
    if isinstance(value, dict):
        return {k: _cast_state(v, param, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(v, param, None) for v in value)
    return value


class _Handle:
    """What ``register_*_hook`` returns: ``handle.remove()`` takes the hook out."""

    def __init__(self, store, key):
        self.store = store
        self.key = key

    def remove(self):
        self.store.pop(self.key, None)


_ids = [0]


def _add_hook(store, hook, prepend=False):
    _ids[0] += 1
    store[_ids[0]] = hook
    if prepend:
        store.move_to_end(_ids[0], last=False)
    return _Handle(store, _ids[0])


def _type_name(x):
    if isinstance(x, Tensor):
        return "ember." + x.type().split(".")[-1]
    return type(x).__name__


def _xp(array):
    """numpy or cupy: the module that owns ``array``."""
    return array_module_of(array)
