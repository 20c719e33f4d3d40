"""nn.Module: the base of every layer and model.

Parameters, buffers and submodules are registered by assigning them as attributes, as in
torch; ``__call__`` runs the hooks around the user's ``forward`` and keeps the stack of modules
being called, so errors can name the layer they happened in (``model.fc2``).
"""

import threading
import warnings
from collections import OrderedDict, namedtuple

from ... import _errors
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...autograd.grad_mode import state as _grad_state
from ..parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter
from ._backward_hooks import BackwardHookState


# One stack per thread: two threads running two models must each name their own layer.
class _Calling(threading.local):
    """The modules whose forward is running in this thread, outermost first."""

    def __init__(self):
        self.stack = []


_calling = _Calling()


def current_module_context():
    """'model.fc2 (Linear(in_features=128, out_features=10, bias=True))' for errors, or ''."""
    stack = _calling.stack
    if not stack:
        return ""
    root, inner = stack[0], stack[-1]
    path = "model"
    for name, m in root.named_modules():
        if m is inner:
            path = "model" + ("." + name if name else "")
            break
    return f"{path} ({_one_line_repr(inner)})"


def _one_line_repr(module):
    extra = module.extra_repr()
    if module._modules:
        return module._get_name() + "(...)"
    return f"{module._get_name()}({extra})"


_errors.set_context_provider(current_module_context)


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class _RemovableHandle:
    def __init__(self, store, key):
        self.store = store
        self.key = key

    def remove(self):
        self.store.pop(self.key, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


_hook_ids = [0]


def _next_hook_id():
    _hook_ids[0] += 1
    return _hook_ids[0]


def _register(store, hook, prepend):
    key = _next_hook_id()
    store[key] = hook
    if prepend:
        store.move_to_end(key, last=False)
    return _RemovableHandle(store, key)


class Module:
    """Base class for all layers and models; subclass it and define ``forward``."""

    training: bool
    _version = 1
    call_super_init = False

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() takes 1 positional argument but "
                            f"{len(args) + 1} were given")
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_hooks_with_kwargs", set())  # keys of hooks given kwargs
        object.__setattr__(self, "_backward_hooks", OrderedDict())
        object.__setattr__(self, "_full_backward_hooks", OrderedDict())
        object.__setattr__(self, "_backward_pre_hooks", OrderedDict())

    def forward(self, *input):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  '"forward" function')

    # ------------------------------------------------------------------ calling

    def __call__(self, *args, **kwargs):
        if self._forward_pre_hooks:
            for key, hook in tuple(self._forward_pre_hooks.items()):
                if key in self._hooks_with_kwargs:
                    result = hook(self, args, kwargs)
                    if result is not None:
                        args, kwargs = result
                    continue
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        hooks = None
        if (self._full_backward_hooks or self._backward_pre_hooks) and _grad_state.enabled:
            hooks = BackwardHookState(self)
            args = hooks.wrap_inputs(args)
        stack = _calling.stack  # one thread-local read per call
        stack.append(self)
        try:
            output = self.forward(*args, **kwargs)
        finally:
            stack.pop()
        if self._forward_hooks:
            for key, hook in tuple(self._forward_hooks.items()):
                if key in self._hooks_with_kwargs:
                    result = hook(self, args, kwargs, output)
                else:
                    result = hook(self, args, output)
                if result is not None:
                    output = result
        if hooks is not None:
            output = hooks.wrap_outputs(output)
        return output

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """hook(module, args) -> None or new args; with_kwargs: hook(module, args, kwargs) ->
        None or (args, kwargs). Runs before forward."""
        handle = _register(self._forward_pre_hooks, hook, prepend)
        if with_kwargs:
            self._hooks_with_kwargs.add(handle.key)
        return handle

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False):
        """hook(module, args, output) -> None or a new output (with_kwargs: hook(module, args,
        kwargs, output)). Runs after forward."""
        handle = _register(self._forward_hooks, hook, prepend)
        if with_kwargs:
            self._hooks_with_kwargs.add(handle.key)
        return handle

    def register_full_backward_hook(self, hook, prepend=False):
        """hook(module, grad_input, grad_output) -> None or a new grad_input, called when the
        gradients with respect to the module's inputs are computed."""
        return _register(self._full_backward_hooks, hook, prepend)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """hook(module, grad_output) -> None or a new grad_output, called when the gradients
        with respect to the module's outputs are computed."""
        return _register(self._backward_pre_hooks, hook, prepend)

    # ------------------------------------------------------------------ registration

    def __setattr__(self, name, value):
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._discard(name, keep=self._parameters)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(ember.nn.Parameter or None expected)")
            params[name] = None
        elif isinstance(value, Module):
            if "_modules" not in self.__dict__:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._discard(name, keep=self._modules)
            self._modules[name] = value
        elif "_modules" in self.__dict__ and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module "
                                f"'{name}' (ember.nn.Module or None expected)")
            self._modules[name] = None
        elif isinstance(value, Buffer):
            self._discard(name, keep=self._buffers)
            self.register_buffer(name, value, value.persistent)
        elif "_buffers" in self.__dict__ and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(ember.Tensor or None expected)")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _discard(self, name, keep):
        """Forget ``name`` everywhere but in ``keep`` (re-assigning keeps its place, as torch)."""
        for store in (self.__dict__, self._parameters, self._buffers, self._modules):
            if store is not keep:
                store.pop(name, None)
        if keep is not self._buffers:
            self._non_persistent_buffers_set.discard(name)

    def __getattr__(self, name):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        keys = set(object.__dir__(self))
        keys |= set(self._parameters) | set(self._buffers) | set(self._modules)
        return sorted(k for k in keys if not k[0].isdigit())

    def register_parameter(self, name, param):
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name(name, self, "parameter")
        if param is None:
            self._parameters[name] = None
            return
        if not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (ember.nn.Parameter or None required)")
        if param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be "
                f"created explicitly. To express '{name}' as a function of another Tensor, "
                "compute the value in the forward() method.")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name(name, self, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer "
                            f"'{name}' (ember Tensor or None required)")
        if isinstance(tensor, Buffer):
            tensor = tensor.detach()
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        _check_name(name, self, "module")
        self._modules[name] = module

    register_module = add_module

    # ------------------------------------------------------------------ traversal

    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in get_members(module):
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield (module_prefix + "." + name if module_prefix else name), value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        yield from self._named_members(lambda m: m._parameters.items(), prefix, recurse,
                                       remove_duplicate)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        yield from self._named_members(lambda m: m._buffers.items(), prefix, recurse,
                                       remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        for _, m in self.named_children():
            yield m

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def get_submodule(self, target):
        if target == "":
            return self
        module = self
        for item in target.split("."):
            if not hasattr(module, item) or not isinstance(getattr(module, item), Module):
                raise AttributeError(f"{module._get_name()} has no attribute `{item}`")
            module = getattr(module, item)
        return module

    def get_parameter(self, target):
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if name not in module._parameters:
            raise AttributeError(f"{module._get_name()} has no parameter `{name}`")
        return module._parameters[name]

    def get_buffer(self, target):
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if name not in module._buffers:
            raise AttributeError(f"{module._get_name()} has no buffer `{name}`")
        return module._buffers[name]

    # ------------------------------------------------------------------ state

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """Parameters and persistent buffers by dotted name, in registration order."""
        if args:
            # the old positional form (destination, prefix, keep_vars), deprecated but still
            # honoured by torch
            warnings.warn("Positional args are being deprecated, use kwargs instead. Refer to "
                          "https://pytorch.org/docs/main/generated/torch.nn.Module.html"
                          "#torch.nn.Module.state_dict for details.", FutureWarning,
                          stacklevel=2)
            if destination is None:
                destination = args[0]
            if len(args) > 1 and prefix == "":
                prefix = args[1]
            if len(args) > 2 and keep_vars is False:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".",
                                  keep_vars=keep_vars)
        return destination

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy values from ``state_dict`` into this module's parameters and buffers; with
        ``assign=True`` the module takes the checkpoint's tensors themselves (their dtype and
        device), each parameter keeping its ``requires_grad``."""
        if not hasattr(state_dict, "keys"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor):
                errors.append(f'While copying the parameter named "{key}", expected '
                              f"ember.Tensor or Tensor-like object from checkpoint but received "
                              f"{type(value)}")
                continue
            lazy = isinstance(target, (UninitializedParameter, UninitializedBuffer))
            if lazy and not assign:  # a lazy module: take the shape
                target.materialize(value.shape)
            elif not lazy and value.shape != target.shape:
                errors.append(f"size mismatch for {key}: copying a param with shape "
                              f"{value.shape} from checkpoint, the shape in current model is "
                              f"{target.shape}.")
                continue
            if assign:
                self._assign_from_state_dict(key, target, value)
                continue
            with no_grad():
                target.copy_(value)
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: " +
                              ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: " +
                              ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            message = (f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" +
                       "\n\t".join(errors))
            hint = _prefix_hint(missing, unexpected)
            raise RuntimeError(message + hint)
        return _IncompatibleKeys(missing, unexpected)

    def _assign_from_state_dict(self, key, target, value):
        """Put ``value`` itself where ``key`` points (load_state_dict(assign=True))."""
        path, _, name = key.rpartition(".")
        owner = self.get_submodule(path)
        if isinstance(target, Parameter):
            # a plain tensor becomes a Parameter; either way it keeps the module's grad flag
            if isinstance(value, Parameter):
                value.requires_grad_(target.requires_grad)
            else:
                value = Parameter(value, requires_grad=target.requires_grad)
        setattr(owner, name, value)

    # ------------------------------------------------------------------ modes and moves

    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.detach_()
                    p.grad.zero_()

    def apply(self, fn):
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def _apply(self, fn, recurse=True):
        """Change every parameter and buffer in place (same Parameter objects) with ``fn``."""
        if recurse:
            for module in self.children():
                module._apply(fn)
        with no_grad():
            for name, p in self._parameters.items():
                if p is None:
                    continue
                new = fn(p)
                if (new.device.type == "meta") != (p.device.type == "meta"):
                    # as torch: no payload swap between meta and real tensors, a new Parameter
                    self._parameters[name] = Parameter(new, p.requires_grad)
                    if p.grad is not None:
                        self._parameters[name]._grad = fn(p.grad)
                    continue
                p.data = new
                if p.grad is not None:
                    p._grad = fn(p.grad)
            for name, b in self._buffers.items():
                if b is not None:
                    self._buffers[name] = fn(b)
        return self

    def to(self, *args, **kwargs):
        """Move and/or cast parameters and buffers in place (a dtype casts floating ones only)."""
        dtype, device = _parse_to(args, kwargs)
        memory_format = kwargs.get("memory_format")

        def convert(t):
            if memory_format is not None and t.dim() in (4, 5):  # as torch: 4-d/5-d tensors
                t = t.to(memory_format=memory_format)
            if dtype is not None and (t.is_floating_point() or t.is_complex()):
                return t.to(device=device, dtype=dtype)
            return t.to(device=device)

        return self._apply(convert)

    def to_empty(self, *, device, recurse=True):
        """Give every parameter and buffer new, uninitialised memory (zeros in ember) of the
        same shape and dtype on ``device``: how a model built on the ``meta`` device (shapes
        only) gets real tensors, to be filled by ``load_state_dict`` or an init."""
        from ...ops.creation import empty_like

        return self._apply(lambda t: empty_like(t, device=device), recurse=recurse)

    def cpu(self):
        return self._apply(lambda t: t.cpu())

    def compile(self, *args, **kwargs):
        """torch compiles the module's calls in place; ember has no compiler (see
        ember.compiler): the arguments are checked as ember.compile checks them and the module
        keeps running eagerly.  Returns None, as torch."""
        from ...compiler import compile as compile_

        compile_(self, *args, **kwargs)

    def cuda(self, device=None):
        return self._apply(lambda t: t.cuda(device))

    def type(self, dst_type):
        return self._apply(lambda t: t.type(dst_type))

    def float(self):
        return self._apply(lambda t: t.float() if t.is_floating_point() else t)

    def double(self):
        return self._apply(lambda t: t.double() if t.is_floating_point() else t)

    def half(self):
        return self._apply(lambda t: t.half() if t.is_floating_point() else t)

    def bfloat16(self):
        return self._apply(lambda t: t.bfloat16() if t.is_floating_point() else t)

    # ------------------------------------------------------------------ printing

    def extra_repr(self):
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        for name, module in self._modules.items():
            text = _indent(repr(module), 2)
            lines.append(f"({name}): {text}")
        main = self._get_name() + "("
        if lines:
            if len(lines) == 1 and not self._modules:
                main += lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"


def _indent(text, spaces):
    first, *rest = text.split("\n")
    return "\n".join([first] + [" " * spaces + line for line in rest])


def _check_name(name, module, kind):
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain "."')
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if hasattr(module, name) and name not in module._parameters and \
            name not in module._buffers and name not in module._modules:
        raise KeyError(f"attribute '{name}' already exists")


def _parse_to(args, kwargs):
    """(dtype, device) from Module.to's overloads: to(device), to(dtype), to(tensor), keywords."""
    from ..._dtype import dtype as dtype_class

    dtype = kwargs.get("dtype")
    device = kwargs.get("device")
    for a in args:
        if isinstance(a, dtype_class):
            dtype = a
        elif isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        else:
            device = a
    return dtype, device


def _prefix_hint(missing, unexpected):
    """ember's hint for the common ``module.`` prefix left by data-parallel wrappers."""
    stripped = {k[len("module."):] for k in unexpected if k.startswith("module.")}
    if stripped and stripped & set(missing):
        return ("\n  ember: the checkpoint's keys start with 'module.' (saved from a "
                "DataParallel/DistributedDataParallel wrapper). Strip it: "
                "{k.removeprefix('module.'): v for k, v in state_dict.items()}.")
    return ""
