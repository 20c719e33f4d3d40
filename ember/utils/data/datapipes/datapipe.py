"""The DataPipe base classes of torch.utils.data: ``IterDataPipe`` (an iterable dataset that
chains: ``dp.map(f).filter(g).batch(4)``) and ``MapDataPipe`` (a map-style one), ``DataChunk``
(a batch), and the registry behind the chaining.

``@functional_datapipe("map")`` on a DataPipe class registers it under that name: afterwards
``dp.map(f, ...)`` on any IterDataPipe is ``MapperIterDataPipe(dp, f, ...)``.  A class built on
``IterDataPipe[int]`` has ``.type`` ``int`` (read by ``runtime_validation``).
"""

import functools
from typing import Any, get_args

from ..dataset import Dataset, IterableDataset, T_co

__all__ = ["DataChunk", "DFIterDataPipe", "IterDataPipe", "MapDataPipe"]


class _DataPipeType:
    """What a DataPipe yields, from its class's ``IterDataPipe[T]``: ``Any`` unless given."""

    def __init__(self, param):
        self.param = param

    def __repr__(self):
        return getattr(self.param, "__name__", repr(self.param))

    def issubtype(self, other):
        """Is ``self`` a subtype of ``other`` (a _DataPipeType or a type)?"""
        other = other.param if isinstance(other, _DataPipeType) else other
        if other is Any or other == self.param:
            return True
        mine, theirs = _plain(self.param), _plain(other)
        return isinstance(mine, type) and isinstance(theirs, type) and issubclass(mine, theirs)

    def issubtype_of_instance(self, value):
        """Does ``value`` fit the type (generic types: only their container type is checked)?"""
        plain = _plain(self.param)
        return self.param is Any or not isinstance(plain, type) or isinstance(value, plain)


def _plain(tp):
    """``List[int]`` -> list; a plain type as it is."""
    return getattr(tp, "__origin__", tp)


def _class_type(cls):
    for base in getattr(cls, "__orig_bases__", ()):
        args = get_args(base)
        if args and getattr(_plain(base), "__name__", "") in ("IterDataPipe", "MapDataPipe"):
            return _DataPipeType(args[0])
    for base in cls.__mro__[1:]:
        if "type" in base.__dict__ and isinstance(base.__dict__["type"], _DataPipeType):
            return base.__dict__["type"]
    return _DataPipeType(Any)


class _Registry:
    """The shared parts of both DataPipe kinds: the functional names, the hooks of
    pickling, the reset at the start of each iteration."""

    functions = {}
    _is_datapipe = True  # read by the DataLoader (shuffle settings, sharding in workers)
    getstate_hook = None
    reduce_ex_hook = None
    repr_hook = None
    str_hook = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.type = _class_type(cls)
        if "__iter__" in cls.__dict__:
            cls.__iter__ = _resetting(cls.__dict__["__iter__"])

    def __getattr__(self, name):
        functions = type(self).functions
        if name in functions:
            return functools.partial(functions[name], self)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}")

    @classmethod
    def register_function(cls, function_name, function):
        cls.functions[function_name] = function

    @classmethod
    def register_datapipe_as_function(cls, function_name, cls_to_register,
                                      enable_df_api_tracing=False):
        """Make ``dp.<function_name>(*args)`` build ``cls_to_register(dp, *args)``."""
        if enable_df_api_tracing:
            raise NotImplementedError("ember's DataPipes have no DataFrame tracing "
                                      "(enable_df_api_tracing=True)")
        if function_name in cls.functions:
            raise Exception(f"Unable to add DataPipe function name {function_name} as it is "  # noqa: TRY002
                            "already taken")
        cls.functions[function_name] = cls_to_register

    def __getstate__(self):
        state = self.__dict__
        if type(self).getstate_hook is not None:
            return type(self).getstate_hook(state)
        return state

    def __reduce_ex__(self, *args, **kwargs):
        if type(self).reduce_ex_hook is not None:
            try:
                return type(self).reduce_ex_hook(self)
            except NotImplementedError:
                pass
        return super().__reduce_ex__(*args, **kwargs)

    @classmethod
    def set_getstate_hook(cls, hook_fn):
        if cls.getstate_hook is not None and hook_fn is not None:
            raise RuntimeError("Attempt to override existing getstate_hook")
        cls.getstate_hook = hook_fn

    @classmethod
    def set_reduce_ex_hook(cls, hook_fn):
        if cls.reduce_ex_hook is not None and hook_fn is not None:
            raise RuntimeError("Attempt to override existing reduce_ex_hook")
        cls.reduce_ex_hook = hook_fn

    def __repr__(self):
        if self.repr_hook is not None:
            return self.repr_hook(self)
        return str(type(self).__qualname__)

    def __str__(self):
        if self.str_hook is not None:
            return self.str_hook(self)
        return str(type(self).__qualname__)

    def __dir__(self):
        return list(super().__dir__()) + list(type(self).functions.keys())

    def reset(self):
        """Called at the start of every iteration (a Shuffler draws its seed here)."""


def _resetting(iter_fn):
    """``__iter__`` that calls ``reset()`` first, as torch's DataPipes do."""

    @functools.wraps(iter_fn)
    def __iter__(self):
        self.reset()
        return iter_fn(self)

    __iter__._resets = True
    return __iter__ if not getattr(iter_fn, "_resets", False) else iter_fn


class IterDataPipe(_Registry, IterableDataset[T_co]):
    """An iterable-style DataPipe: subclasses define ``__iter__``; the registered functional
    names (``map``, ``filter``, ``batch``, ``shuffle``, ``zip``, ...) chain DataPipes."""

    functions = {}

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")


class DFIterDataPipe(IterDataPipe):
    """An IterDataPipe of DataFrames (torch's marker class)."""

    def _is_dfpipe(self):
        return True


class MapDataPipe(_Registry, Dataset[T_co]):
    """A map-style DataPipe: subclasses define ``__getitem__`` and ``__len__``; the registered
    functional names (``map``, ``batch``, ``shuffle``, ``zip``, ``concat``) chain them."""

    functions = {}


class DataChunk(list):
    """A batch made by ``batch``: a list that prints itself indented (``as_str``)."""

    def __init__(self, items):
        super().__init__(items)
        self.items = items

    def as_str(self, indent=""):
        return indent + "[" + ", ".join(str(i) for i in iter(self)) + "]"

    def __iter__(self):
        yield from super().__iter__()

    def raw_iterator(self):
        yield from self.items
