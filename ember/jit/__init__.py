"""ember.jit: TorchScript's common names, for programs that script or trace a model.

ember has no TorchScript compiler.  ``script`` and ``trace`` give back the function or module
itself, which computes what the scripted one would; ``trace`` runs it once on the example
inputs first (torch records that run, so a function that fails on them fails here too).
``is_scripting()`` and ``is_tracing()`` are False, as in eager torch; ``ignore``, ``unused``,
``export`` and ``Final`` only mark code for the compiler and change nothing.  ``save`` and
``load`` would need TorchScript archives and raise NotImplementedError (use ember.save /
ember.load with a state_dict).
"""

import typing
import warnings

__all__ = ["script", "trace", "ignore", "unused", "export", "is_scripting", "is_tracing",
           "Final", "annotate", "save", "load", "TracerWarning"]

Final = typing.Final


class TracerWarning(Warning):
    """torch.jit.TracerWarning: a trace may not generalise beyond its example inputs."""


def is_scripting():
    """False: ember never compiles TorchScript (torch: True only inside scripted code)."""
    return False


def is_tracing():
    return False


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """torch.jit.script without a compiler: ``obj`` (a function or module) itself.
    ``optimize`` is deprecated in torch too; ``_frames_up``/``_rcb`` find the source for the
    compiler; ``example_inputs`` give it types.  None of them changes a result."""
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None,
          check_tolerance=1e-05, strict=True, _force_outplace=False, _module_class=None,
          _compilation_unit=None, example_kwarg_inputs=None, _store_inputs=True):
    """torch.jit.trace without a compiler: runs ``func`` once on the example inputs (a tensor,
    a tuple of positional inputs, or ``example_kwarg_inputs``) and returns ``func`` itself.
    With ``check_trace`` it also runs on each of ``check_inputs``.  ``strict`` (default True)
    refuses a dict output, and warns about a list, as torch does.  The other arguments steer
    torch's tracer (optimize is deprecated; check_tolerance compares two traces) and change
    no result."""
    if example_inputs is None and example_kwarg_inputs is None:
        raise TypeError("'NoneType' object is not iterable")
    out = _run(func, example_inputs, example_kwarg_inputs)
    if strict:
        _check_container(out)
    if check_trace and check_inputs:
        for inputs in check_inputs:
            _run(func, inputs, None)
    return func


def _run(func, example_inputs, example_kwarg_inputs):
    if example_kwarg_inputs is not None:
        return func(**example_kwarg_inputs)
    if not isinstance(example_inputs, tuple):
        example_inputs = (example_inputs,)
    return func(*example_inputs)


def _check_container(out):
    text = ("Encountering a {} at the output of the tracer might cause the trace to be "
            "incorrect, this is only valid if the container structure does not change based on "
            "the module's inputs. Consider using a constant container instead (e.g. for `list`, "
            "use a `tuple` instead. for `dict`, use a `NamedTuple` instead). If you absolutely "
            "need this and know the side effects, pass strict=False to trace() to allow this "
            "behavior.")
    if isinstance(out, dict):
        raise RuntimeError(text.format("dict"))
    if isinstance(out, list):
        warnings.warn(text.format("list"), TracerWarning, stacklevel=3)


def ignore(drop=False, **kwargs):
    """Marks a function the compiler leaves as Python: ``@ignore`` or ``@ignore(drop=...)``.
    ember compiles nothing, so the function is returned as it is."""
    if callable(drop):
        return drop
    if drop:
        warnings.warn("ignore(True) has been deprecated. TorchScript will now drop the function "
                      f"call on compilation. Use torch.jit.unused now. {kwargs}", FutureWarning,
                      stacklevel=2)
    return lambda fn: fn


def unused(fn):
    """Marks a function the compiler replaces by an exception; in eager code it runs."""
    return fn


def export(fn):
    """Marks a method the compiler compiles as an entry point; nothing to do here."""
    return fn


def annotate(the_type, the_value):
    """A type hint for the compiler; returns the value."""
    return the_value


def save(m, f, _extra_files=None):
    raise NotImplementedError(
        "ember.jit.save: ember has no TorchScript, so it cannot write a TorchScript archive of "
        f"{type(m).__name__}. Save its weights with ember.save(model.state_dict(), f) instead.")


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    raise NotImplementedError(
        f"ember.jit.load: ember has no TorchScript, so it cannot run the TorchScript archive "
        f"{f!r}. Load a state_dict saved with torch.save through ember.load instead.")
