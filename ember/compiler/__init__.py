"""ember.compiler (and ember.compile): torch.compile's names, without a compiler.

ember runs every program eagerly on NumPy; there is nothing to compile.  ``compile`` checks
its arguments as torch does where that is cheap (the mode's name, mode and options together,
the backend's name), says once per process (a UserWarning) that the code runs eagerly, and
returns the module or function itself: a compiled program computes what the eager one does,
so the results are torch's.  Unlike torch, a module comes back as itself, not wrapped in an
OptimizedModule, so its state_dict keys have no ``_orig_mod.`` prefix (programs that load
such checkpoints strip that prefix or accept both).
"""

import warnings

__all__ = ["compile", "disable", "is_compiling", "is_dynamo_compiling", "is_exporting",
           "reset", "allow_in_graph", "assume_constant_result", "list_backends",
           "InvalidBackend"]

_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")

# torch 2.13's registered backends (torch._dynamo.list_backends(exclude_tags=()))
_BACKENDS = ("aot_eager", "aot_eager_decomp_partition", "aot_eager_decomp_partition_crossref",
             "aot_eager_decomp_partition_with_mode", "aot_eager_default_partitioner", "aot_ts",
             "cudagraphs", "dynamo_accuracy_minifier_backend", "dynamo_minifier_backend",
             "eager", "eager_debug", "eager_noexcept", "inductor", "invoke_subgraph", "openxla",
             "openxla_eval", "pre_dispatch_eager", "ts", "tvm")

_noted = False  # the eager-run note is given once per process


class InvalidBackend(RuntimeError):
    """An unknown backend name (torch._dynamo.exc.InvalidBackend is a RuntimeError too)."""


def _note_eager(what):
    global _noted
    if not _noted:
        _noted = True
        warnings.warn(f"ember.compile: ember has no compiler; {what} runs eagerly (the same "
                      "results, no speed-up). This note is shown once.", UserWarning,
                      stacklevel=3)


def _check_options(backend, mode, options):
    if backend is None:
        backend = "inductor"
    if isinstance(backend, str):
        if backend not in _BACKENDS:
            raise InvalidBackend(f"Invalid backend: '{backend}', see "
                                 "`torch._dynamo.list_backends()` for available backends.")
    elif not callable(backend):
        raise InvalidBackend(f"Invalid backend: {backend!r}")
    if backend == "inductor":
        if mode is not None and options is not None:
            raise RuntimeError("Either mode or options can be specified, but both can't be "
                               "specified at the same time.")
        if mode is not None and mode not in _MODES:
            raise RuntimeError(f"Unrecognized mode={mode}, should be one of: "
                               + ", ".join(_MODES))


def compile(model=None, *, fullgraph=False, dynamic=None, backend=None, mode=None, options=None,
            name=None, disable=False, recompile_limit=None, isolate_recompiles=False,
            shapes_spec=None):
    """torch.compile without a compiler: returns ``model`` (a module or function) itself,
    after checking ``backend``, ``mode`` and ``options`` as torch does.  Works as
    ``compile(model)``, ``@compile`` and ``@compile(mode=...)``.  With disable=True, nothing
    is checked or noted.  fullgraph, dynamic, name, recompile_limit, isolate_recompiles and
    shapes_spec steer torch's compiler and change no result."""
    if model is None:
        def decorator(fn):
            return compile(fn, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                           options=options, name=name, disable=disable,
                           recompile_limit=recompile_limit,
                           isolate_recompiles=isolate_recompiles, shapes_spec=shapes_spec)
        return decorator
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is "
                             "provided.")
    if disable:
        return model
    _check_options(backend, mode, options)
    _note_eager(type(model).__name__ if not hasattr(model, "__name__") else model.__name__)
    return model


def disable(fn=None, recursive=True, *, reason=None):
    """torch.compiler.disable: keeps ``fn`` out of compilation.  ember compiles nothing, so
    ``fn`` comes back as it is (``recursive`` and ``reason`` only steer torch's compiler)."""
    if fn is None:
        return lambda f: disable(f, recursive, reason=reason)
    return fn


def is_compiling():
    """False: ember never traces a program (torch: True while dynamo traces)."""
    return False


def is_dynamo_compiling():
    return False


def is_exporting():
    return False


def reset():
    """torch clears its compile caches; ember has none."""


def allow_in_graph(fn):
    return fn


def assume_constant_result(fn):
    return fn


def list_backends(exclude_tags=("debug", "experimental")):
    """torch's default list (the backends without the debug and experimental tags); with
    exclude_tags=() every registered name."""
    if exclude_tags:
        return ["cudagraphs", "inductor", "openxla", "tvm"]
    return list(_BACKENDS)
