"""The DataPipe decorators of torch.utils.data: registering a functional name, marking a
DataPipe non-deterministic, and checking types of arguments and of yielded values."""

import functools
import inspect
from typing import get_type_hints

from .datapipe import IterDataPipe, MapDataPipe

__all__ = ["argument_validation", "functional_datapipe", "guaranteed_datapipes_determinism",
           "non_deterministic", "runtime_validation", "runtime_validation_disabled"]


class _Switches:
    determinism = False  # inside guaranteed_datapipes_determinism
    runtime_validation = True  # outside runtime_validation_disabled


_switches = _Switches()


class functional_datapipe:
    """``@functional_datapipe("name")`` on a DataPipe class: ``dp.name(*args, **kwargs)`` then
    builds ``cls(dp, *args, **kwargs)``."""

    def __init__(self, name, enable_df_api_tracing=False):
        self.name = name
        self.enable_df_api_tracing = enable_df_api_tracing

    def __call__(self, cls):
        target = cls.cls if isinstance(cls, non_deterministic) else cls
        if isinstance(target, type) and issubclass(target, IterDataPipe):
            IterDataPipe.register_datapipe_as_function(
                self.name, cls, enable_df_api_tracing=self.enable_df_api_tracing)
        elif isinstance(target, type) and issubclass(target, MapDataPipe):
            MapDataPipe.register_datapipe_as_function(self.name, cls)
        elif not isinstance(cls, non_deterministic):
            raise TypeError("`functional_datapipe` can only decorate IterDataPipe")
        return cls


class guaranteed_datapipes_determinism:
    """Inside (``with guaranteed_datapipes_determinism():``) building a DataPipe marked
    ``non_deterministic`` raises TypeError.  The switch is set when the object is created."""

    def __init__(self):
        self.prev = _switches.determinism
        _switches.determinism = True

    def __enter__(self):
        pass

    def __exit__(self, exc_type, exc_value, traceback):
        _switches.determinism = self.prev


class non_deterministic:
    """Mark an IterDataPipe class as non-deterministic (``@non_deterministic``), or decide per
    call with a function of the constructor's arguments that returns True when the result
    would be (``@non_deterministic(fn)``)."""

    cls = None

    def __init__(self, arg):
        if isinstance(arg, type):
            if not issubclass(arg, IterDataPipe):
                raise TypeError("Only `IterDataPipe` can be decorated with `non_deterministic`, "
                                f"but {arg.__name__} is found")
            self.cls = arg
        elif callable(arg):
            self.deterministic_fn = arg
        else:
            raise TypeError(f"{arg} can not be decorated by non_deterministic")

    def __call__(self, *args, **kwargs):
        if self.cls is not None:
            if _switches.determinism:
                raise TypeError(f"{self.cls.__name__} is non-deterministic, but you set "
                                "'guaranteed_datapipes_determinism'. You can turn off "
                                "determinism for this DataPipe if that is acceptable for your "
                                "application")
            return self.cls(*args, **kwargs)
        if not (isinstance(args[0], type) and issubclass(args[0], IterDataPipe)):
            raise TypeError(f"Only `IterDataPipe` can be decorated, but {args[0].__name__} is "
                            "found")
        self.cls = args[0]
        return self.deterministic_wrapper_fn

    def deterministic_wrapper_fn(self, *args, **kwargs):
        res = self.deterministic_fn(*args, **kwargs)
        if not isinstance(res, bool):
            raise TypeError("deterministic_fn of `non_deterministic` decorator is required to "
                            f"return a boolean value, but {type(res)} is found")
        if _switches.determinism and res:
            raise TypeError(f"{self.cls.__name__} is non-deterministic with the inputs, but you "
                            "set 'guaranteed_datapipes_determinism'. You can turn off "
                            "determinism for this DataPipe if that is acceptable for your "
                            "application")
        return self.cls(*args, **kwargs)


def argument_validation(f):
    """Check, at each call of ``f``, that arguments annotated with a DataPipe class (e.g.
    ``dp: IterDataPipe``) are IterDataPipes of a fitting type (TypeError otherwise).  As in
    torch 2.13, a subscripted hint (``IterDataPipe[int]``) is not checked."""
    signature = inspect.signature(f)
    hints = get_type_hints(f)

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        for name, value in bound.arguments.items():
            hint = hints.get(name)
            if not (isinstance(hint, type) and issubclass(hint, (IterDataPipe, MapDataPipe))):
                continue
            if not isinstance(value, IterDataPipe):
                raise TypeError(f"Expected argument '{name}' as a IterDataPipe, but found "
                                f"{type(value)}")
            if not value.type.issubtype(hint.type):
                raise TypeError(f"Expected type of argument '{name}' as a subtype of hint "
                                f"{hint.type}, but found {value.type}")
        return f(*args, **kwargs)

    return wrapper


class runtime_validation_disabled:
    """Inside, ``runtime_validation`` checks nothing.  Set when the object is created."""

    def __init__(self):
        self.prev = _switches.runtime_validation
        _switches.runtime_validation = False

    def __enter__(self):
        pass

    def __exit__(self, exc_type, exc_value, traceback):
        _switches.runtime_validation = self.prev


def runtime_validation(f):
    """Decorate a DataPipe's ``__iter__``: every value it yields must be an instance of the
    DataPipe's type, from ``class P(IterDataPipe[int])`` (RuntimeError otherwise).  (torch
    2.13's DataPipes have lost their ``.type``, so there this raises AttributeError.)"""
    if f.__name__ != "__iter__":
        raise TypeError(f"Can not decorate function {f.__name__} with 'runtime_validation'")

    @functools.wraps(f)
    def wrapper(self):
        if not _switches.runtime_validation:
            yield from f(self)
            return
        for d in f(self):
            if not self.type.issubtype_of_instance(d):
                raise RuntimeError(f"Expected an instance as subtype of {self.type}, but found "
                                   f"{d}({type(d)})")
            yield d

    return wrapper
