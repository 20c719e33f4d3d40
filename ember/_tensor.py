"""class Tensor: an array, its dtype and device, and its place in the autograd graph.

A Tensor holds a backend array (``_data``: numpy.ndarray on CPU, cupy.ndarray on CUDA) and the
autograd state (``requires_grad``, ``grad``, ``grad_fn``, a version counter shared with its
views).  The maths lives in ``ember/ops``: the methods here are one-line delegations, so the
one place to read an op is its function in ``ops``.
"""

import operator as _operator

import numpy as np

from . import _device
from . import _dtype as D
from . import autograd as _autograd
from .autograd.grad_mode import state as _grad_state

# NOTE: module globals for the names Tensor._make reads on every op (faster than attributes)
_ndarray = np.ndarray
_new = object.__new__
_generic = np.generic  # NumPy's scalar types
_FROM_NP = D._FROM_NP


class _VersionCounter:
    """Counts in-place changes; shared by a tensor and all its views."""

    value = 0  # a class default and no __init__: the cheapest object to make


class Size(tuple):
    """The shape of a tensor: a tuple that prints as ``ember.Size([2, 3])``."""

    def __repr__(self):
        return f"ember.Size({list(self)})"

    __str__ = __repr__

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        out = tuple.__getitem__(self, item)
        return Size(out) if isinstance(item, slice) else out

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))

    def __mul__(self, n):
        return Size(tuple(self) * n)

    __rmul__ = __mul__

    def __reduce__(self):
        return (Size, (tuple(self),))


class Tensor:
    """A multi-dimensional array with autograd, as ``torch.Tensor``.

    ``ember.Tensor(data)`` (the legacy constructor) makes a float tensor; prefer ``ember.tensor``.
    """

    # the fields every op reads or writes are slots; the rarely set ones are class defaults
    # (an instance gets its own value the first time one is assigned)
    __slots__ = ("_data", "_dtype", "device", "_requires_grad", "grad_fn", "_vc", "__weakref__",
                 "__dict__")
    _grad = None
    output_nr = 0
    _base = None  # the tensor whose memory a view shares
    _view_fn = None  # base -> this view, to redo the view after an in-place change
    _hooks = None
    _post_accumulate_hooks = None
    _retains_grad = False
    _repr_as_tensor = True  # prints as 'tensor(...)'; read from the class's own body only
    _saved_as_parameter = False  # ember.save writes torch's _rebuild_parameter for it
    _widened = None  # a float32 array of this bfloat16 tensor's values, made by autocast's cast

    __array_priority__ = 1000  # numpy scalars on the left defer to Tensor's operators

    def __init__(self, *args, device=None):
        from ._legacy import legacy_new

        other = legacy_new(args, None, "cpu", device, "Tensor")
        for name in Tensor.__slots__[:-2]:
            setattr(self, name, getattr(other, name))

    # ------------------------------------------------------------------ construction

    @classmethod
    def _make(cls, data, device, requires_grad=False, grad_fn=None, output_nr=0):
        """Wrap a backend array (the fast internal constructor; no copy, no checks)."""
        if type(data) is not _ndarray and (isinstance(data, _generic) or
                                           not hasattr(data, "__cuda_array_interface__")):
            data = np.asarray(data)  # numpy returns scalars from 0-dim maths
        t = _new(cls)
        t._data = data
        t._dtype = _FROM_NP[data.dtype]
        t.device = device
        t._requires_grad = requires_grad
        t.grad_fn = grad_fn
        if output_nr:
            t.output_nr = output_nr
        t._vc = None  # see _counter()
        return t

    def _counter(self):
        """The version counter shared with this tensor's views, made on first use.

        Most tensors (results never saved for backward, viewed or changed in place) never need
        one, and making it in ``_make`` would cost ~0.1 µs on every op."""
        vc = self._vc
        if vc is None:
            vc = self._vc = _VersionCounter()
        return vc


    # ------------------------------------------------------------------ autograd state

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if self.grad_fn is not None and not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        if value and self.dtype.category < D.FLOAT:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        if self.grad_fn is not None:
            return
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(f"assigned grad has data of a different size: "
                                   f"{value.shape} vs {self.shape}")
            if value.dtype is not self.dtype:
                raise RuntimeError("assigned grad has data of a different type")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def data(self):
        """The same values without autograd history, sharing memory but NOT the version
        counter (torch's documented difference from ``detach()``): an in-place change through
        ``x.data`` is invisible to autograd, so backward cannot tell that saved values changed.
        """
        return Tensor._make(self._data, self.device)

    @data.setter
    def data(self, value):
        """``x.data = y``: ``x`` now holds ``y``'s values (shared; any shape or dtype), keeping
        its own autograd state and version counter."""
        if not isinstance(value, Tensor):
            from ._legacy import _type_name

            raise TypeError(f"Variable data has to be a tensor, but got {_type_name(value)}")
        if (self.device.type == "meta") != (value.device.type == "meta"):
            raise RuntimeError("Attempted to call `variable.set_data(tensor)`, but `variable` "
                               "and `tensor` have incompatible tensor type.")
        if self._requires_grad and value.dtype.category < D.FLOAT:
            raise RuntimeError("data set to a tensor that requires gradients must be floating "
                               "point or complex dtype")
        self._set_payload(value)

    def _set_payload(self, value):
        """Hold ``value``'s array, dtype and device (``x.data = y``; Module.to moves this way)."""
        self._data = value._data
        self._dtype = value.dtype
        self.device = value.device

    def detach(self):
        """A tensor sharing memory (and the version counter) with this one, out of the graph."""
        t = Tensor._make(self._data, self.device)
        t._vc = self._counter()
        return t

    def detach_(self):
        self.grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._base is not None:  # a view changed through its base: hook its current graph
            from .autograd.function import _refresh_view

            _refresh_view(self)
        if self.grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        import weakref

        ref = weakref.ref(self)

        def keep(grad):
            t = ref()
            if t is not None:
                if t._grad is None:
                    t._grad = grad.detach().clone() if not grad._requires_grad else grad
                else:
                    t._grad = t._grad + grad
            return None

        self.grad_fn._add_pre_hook(self.output_nr, keep)

    @property
    def retains_grad(self):
        return self._retains_grad

    def register_hook(self, hook):
        """``hook(grad)`` runs when this tensor's gradient is computed; it may return a new one."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn._add_pre_hook(self.output_nr, hook)
        from .autograd.function import _RemovableHandle

        _autograd.function.any_hooks.registered = True
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _RemovableHandle(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        from .autograd.function import _RemovableHandle

        _autograd.function.any_hooks.registered = True
        if self._post_accumulate_hooks is None:
            self._post_accumulate_hooks = []
        self._post_accumulate_hooks.append(hook)
        return _RemovableHandle(self._post_accumulate_hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute the gradient of this tensor w.r.t. the graph leaves (into their ``.grad``)."""
        if gradient is None and inputs is None:  # loss.backward(): every training step
            _autograd._backward_scalar(self, retain_graph, create_graph)
        else:
            _autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    @property
    def _version(self):
        return self._counter().value

    # ------------------------------------------------------------------ dtype

    # Read-only, as in torch (``x.dtype = ...`` raises; ``x.to(dtype)`` converts).  The value
    # lives in the slot ``_dtype``; the getter is a C attrgetter (~25 ns a read), and the ops on
    # the hot path read ``_dtype`` directly.
    def _dtype_not_writable(self, value):
        raise AttributeError(
            "attribute 'dtype' of 'Tensor' objects is not writable: a tensor's dtype is fixed "
            f"when it is made. To convert, make a new tensor: x = x.to({value!r})")

    dtype = property(_operator.attrgetter("_dtype"), _dtype_not_writable,
                     doc="The element type (an ``ember.dtype``), as ``torch.Tensor.dtype``.")
    del _dtype_not_writable

    # ------------------------------------------------------------------ shape and memory

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None, *, axis=None):
        if axis is not None:  # NumPy's name (ops/_numpy_names.py)
            from .ops._numpy_names import numpy_axis

            dim = numpy_axis("size", dim, axis)
        if dim is None:
            return Size(self._data.shape)
        if self._data.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return self._data.shape[self._wrap_dim(dim)]

    def _wrap_dim(self, dim):
        n = self._data.ndim
        if not -max(n, 1) <= dim < max(n, 1):
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-max(n, 1)}, {max(n, 1) - 1}], but got {dim})")
        return dim % n if n else 0

    def dim(self):
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self):
        return self._data.ndim

    def numel(self):
        return int(self._data.size)

    nelement = numel

    def element_size(self):
        return self.dtype.itemsize

    @property
    def itemsize(self):
        return self.dtype.itemsize

    @property
    def nbytes(self):
        return self.numel() * self.dtype.itemsize

    def stride(self, dim=None):
        item = self._data.itemsize
        strides = tuple(s // item for s in self._data.strides)
        # NOTE: numpy gives size-1 and empty dims arbitrary strides; torch's are contiguous-like
        strides = _torch_like_strides(self._data.shape, strides)
        if self.device.type == "meta":  # NOTE: its one element has strides 0: say contiguous
            strides = _contiguous_strides(self._data.shape)
        if dim is not None and self._data.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return strides if dim is None else strides[self._wrap_dim(dim)]

    def storage_offset(self):
        if self._base is None:
            return 0
        base = self._base._data
        item = self._data.itemsize
        return int((_address(self._data) - _address(base)) // item)

    def data_ptr(self):
        return 0 if self.device.type == "meta" else _address(self._data)

    def is_contiguous(self, memory_format=None):
        if memory_format is None:
            return bool(self._data.flags.c_contiguous) or self.device.type == "meta"
        from . import _memory_format

        return _memory_format.is_contiguous(self, _memory_format.check(memory_format,
                                                                       "is_contiguous"))

    def contiguous(self, memory_format=None):
        if memory_format is not None:
            from . import _memory_format

            fmt = _memory_format.check(memory_format, "contiguous")
            return _memory_format.contiguous(self, fmt)
        if self._data.flags.c_contiguous or self.device.type == "meta":
            return self
        return self.clone()

    def clone(self, *, memory_format=None):
        from .ops.shape import clone

        return clone(self, memory_format=memory_format)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    @property
    def is_xpu(self):
        return False  # ember has no Intel GPU backend

    @property
    def is_mps(self):
        return False  # ember has no Apple Metal backend

    @property
    def is_cpu(self):
        return self.device.type == "cpu"

    @property
    def is_meta(self):
        return self.device.type == "meta"

    @property
    def is_sparse(self):
        return False

    @property
    def is_quantized(self):
        return False

    @property
    def layout(self):
        from . import strided

        return strided

    def get_device(self):
        return self.device.index if self.device.type == "cuda" else -1

    def is_floating_point(self):
        return self.dtype.category == D.FLOAT

    def is_complex(self):
        return self._dtype.category == D.COMPLEX

    def is_signed(self):
        return self.dtype.is_signed

    # ------------------------------------------------------------------ conversions

    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to(device, dtype=None)``, ``to(other)``, keywords as torch."""
        from .ops.convert import to

        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        memory_format = kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
        dtype = D.check_dtype(dtype, "to")
        # torch's overloads: (device, dtype), (dtype) or (tensor), then non_blocking, copy
        rest = list(args)
        if rest and isinstance(rest[0], Tensor):
            other = rest.pop(0)
            dtype, device = other.dtype, other.device
        elif rest and isinstance(rest[0], D.dtype):
            dtype = rest.pop(0)
        elif rest and isinstance(rest[0], (str, _device.device, int)) and rest[0] is not True \
                and rest[0] is not False:
            device = rest.pop(0)
            if rest and isinstance(rest[0], D.dtype):
                dtype = rest.pop(0)
        if len(rest) > 2 or not all(isinstance(a, bool) for a in rest):
            got = ", ".join(type(a).__name__ for a in args)
            raise TypeError(f"to() received an invalid combination of arguments - got ({got})")
        if len(rest) == 2:
            copy = rest[1]
        if memory_format is not None:  # channels_last & co: the strides change, not the values
            return to(self, dtype, device, copy).contiguous(memory_format=memory_format)
        return to(self, dtype, device, copy)

    def type(self, dtype=None, non_blocking=False):
        """Without arguments: the legacy type name (``'torch.FloatTensor'``, as torch: programs
        compare the string); else a conversion to a legacy type, its name, or a dtype."""
        from . import _legacy

        if dtype is None:
            return _legacy.type_name(self)
        return _legacy.convert_type(self, dtype)

    def type_as(self, other):
        return self.to(other.dtype)

    def float(self):
        return self.to(D.float32)

    def double(self):
        return self.to(D.float64)

    def half(self):
        return self.to(D.float16)

    def bfloat16(self):
        return self.to(D.bfloat16)

    def long(self):
        return self.to(D.int64)

    def int(self):
        return self.to(D.int32)

    def short(self):
        return self.to(D.int16)

    def char(self):
        return self.to(D.int8)

    def byte(self):
        return self.to(D.uint8)

    def bool(self):
        return self.to(D.bool)

    def cfloat(self):
        return self.to(D.complex64)

    def cdouble(self):
        return self.to(D.complex128)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False):
        return self.to(_device.device("cuda", device) if isinstance(device, int) else
                       (device or "cuda"))

    def numpy(self, *, force=False):
        """The values as a NumPy array, sharing memory on CPU."""
        if force:
            return self.detach().cpu().resolve_conj()._data
        if self._requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead.\n  ember: this tensor is part of the autograd graph and NumPy "
                "cannot carry gradients. .detach() gives the same values (sharing memory) "
                "outside the graph; for one number to log or print, use .item().")
        if self.device.type != "cpu":
            raise TypeError(
                f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() to "
                "copy the tensor to host memory first.\n  ember: NumPy arrays live in host "
                f"memory and this tensor is on {self.device}: use t.cpu().numpy() "
                "(t.detach().cpu().numpy() if it requires grad).")
        return self._data

    def resolve_conj(self):
        return self

    def resolve_neg(self):
        return self

    def item(self):
        """The single value as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               "to Scalar")
        if self.device.type == "meta":
            raise RuntimeError(_META_ITEM)
        return self._host().reshape(()).item()

    def tolist(self):
        return self._host().tolist()

    def _host(self):
        """The values as a NumPy array (copied from the GPU when needed)."""
        if self.device.type == "cpu":
            return self._data
        if self.device.type == "meta":
            raise NotImplementedError(_META_COPY)
        if isinstance(self._data, np.ndarray):
            return self._data
        return self._data.get()

    def __array__(self, dtype=None, copy=None):
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if self.device.type == "meta":
            raise TypeError("can't convert meta device type tensor to numpy. Use Tensor.cpu() "
                            "to copy the tensor to host memory first.")
        arr = self._host()
        return arr if dtype is None else arr.astype(dtype, copy=False)

    def __dlpack__(self, stream=None, **kwargs):
        if self._requires_grad:
            raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
        # max_version/dl_device/copy pass through: a versioned capsule keeps the array writable
        if stream is not None:
            kwargs["stream"] = stream
        return self._data.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self):
        if self._data.size != 1:
            how_many = "no values" if self._data.size == 0 else "more than one value"
            raise RuntimeError(f"Boolean value of Tensor with {how_many} is ambiguous")
        return bool(self.item())

    def __float__(self):
        return float(self._python_scalar("double"))

    def __int__(self):
        return int(self._python_scalar("int64_t"))

    def __complex__(self):
        return complex(self._python_scalar(None))

    def _python_scalar(self, c_type):
        """The single value for float()/int()/complex(); a complex value only converts to a
        real type when its imaginary part is zero."""
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        value = self.item()
        if c_type is not None and isinstance(value, complex):
            if value.imag != 0:
                raise RuntimeError(f"value cannot be converted to type {c_type} without "
                                   "overflow")
            value = value.real
        return value

    def __index__(self):
        if self.dtype.category > D.INT or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def __hash__(self):
        return id(self)

    def __repr__(self):
        from ._printing import tensor_repr

        return tensor_repr(self)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, protocol):
        # pickling (multiprocessing, copy): values, dtype name, device, requires_grad
        return (_rebuild, (np.array(self._host()), str(self.device), self._requires_grad))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.")
        if id(self) in memo:
            return memo[id(self)]
        if self.device.type == "meta":  # no values to copy: a new one-element meta array
            data = _device.meta_array(self._data.shape, self._data.dtype)
        else:
            data = self._data.copy()
        new = type(self)._make(data, self.device, self._requires_grad)
        if type(self) is not Tensor:
            new.__dict__.update(self.__dict__)
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        memo[id(self)] = new
        return new

    # ------------------------------------------------------------------ in-place core

    def _check_inplace(self):
        if self._requires_grad and self.grad_fn is None and _grad_state.enabled:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation.\n"
                "  ember: change parameters inside `with ember.no_grad():` (as optimizers do), "
                "or use the out-of-place form (x = x + 1).")
        if self._base is not None and _grad_state.enabled:
            _s.check_view_inplace(self)

    def _assign(self, result):
        """Make ``self`` hold ``result`` in place: its values, and its graph if it has one."""
        if result.dtype is not self.dtype and not D.can_cast(result.dtype, self.dtype):
            raise RuntimeError(f"result type {result.dtype._short} can't be cast to the desired "
                               f"output type {self.dtype._short}")
        if result._data.shape != self._data.shape:
            raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the "
                               f"broadcast shape {list(result._data.shape)}")
        self._data[...] = result._data
        self._counter().value += 1
        if result.grad_fn is not None:
            self.grad_fn = result.grad_fn
            self.output_nr = result.output_nr
            self._requires_grad = True
            if self._base is not None:
                _rebase_view(self, result)
        return self

    def _check_no_overlap(self):
        """torch's error for writing into a tensor whose elements share memory (an expand)."""
        if 0 in self._data.strides and _overlaps(self._data) and self.device.type != "meta":
            raise RuntimeError(_OVERLAP_MESSAGE)

    def _inplace(self, fn, *args, **kwargs):
        """Run out-of-place ``fn(self, *args)`` and write the result into ``self``."""
        self._check_inplace()
        if 0 in self._data.strides and _overlaps(self._data):
            return _inplace_overlapping(self, fn, args, kwargs)
        if _grad_state.enabled and (self._requires_grad or _any_requires_grad(args)):
            # the op may save its inputs for backward: give it the values as they are now
            source = self._snapshot()
            args = tuple(source if a is self else a for a in args)
            return self._assign(fn(source, *args, **kwargs))
        return self._assign(fn(self, *args, **kwargs))

    def _snapshot(self):
        """A copy of the current values that keeps this tensor's place in the graph."""
        if self._base is not None:
            from .autograd.function import _refresh_view

            _refresh_view(self)
        t = Tensor._make(self._data.copy(), self.device, self._requires_grad, self.grad_fn,
                         self.output_nr)
        return t

    def fill_(self, value):
        self._check_inplace()
        if isinstance(value, Tensor):
            if value._data.ndim != 0:
                raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                                   f"with {value._data.ndim} dimensions.")
            if value._requires_grad and _grad_state.enabled:
                from .ops.shape import Copy, expand

                value = expand(value.to(self.dtype), self.shape)
                return self._assign(Copy("FillBackward1").apply(self, value))
            value = value.item()
        if self._requires_grad and _grad_state.enabled:
            from .ops.creation import full_like
            from .ops.shape import Copy

            # a node even for a constant: the old values (and their graph) get no gradient
            return self._assign(Copy("FillBackward0").apply(self, full_like(self, value)))
        self._data.fill(value)
        self._counter().value += 1
        return self

    def zero_(self):
        return self.fill_(0)

    def copy_(self, src, non_blocking=False):
        """Copy ``src``'s values into this tensor (broadcasting, casting, moving devices)."""
        self._check_inplace()
        if not isinstance(src, Tensor):
            raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
        self._check_no_overlap()
        if _grad_state.enabled and (self._requires_grad or src._requires_grad):
            from .ops.shape import Copy, expand

            moved = src.to(device=self.device, dtype=self.dtype)
            if moved.shape != self.shape:
                moved = expand(moved, self.shape)
            return self._assign(Copy().apply(self, moved))
        from .ops.convert import check_copy_from_meta, move_array

        data = src._data
        if src.device is not self.device:
            check_copy_from_meta(src.device, self.device)
            data = move_array(data, self.device)
        try:
            self._data[...] = data
        except ValueError:  # src does not broadcast to self's shape
            raise _copy_shape_error(self.shape, src.shape) from None
        self._counter().value += 1
        return self

    def set_(self, source):
        self._data = source._data
        self._dtype = source.dtype
        self._counter().value += 1
        return self

    def new(self, *args, device=None):
        """Legacy ``x.new(2, 3)``, ``x.new([1, 2])``, ``x.new()``: as ``FloatTensor(...)`` with
        this tensor's dtype and device (today's spelling: new_empty, new_tensor)."""
        from ._legacy import NAMES, legacy_new

        return legacy_new(args, self.dtype, self.device.type, device, NAMES[self.dtype.name])

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        from .ops.creation import tensor

        return tensor(
            data, dtype=D.check_dtype(dtype, "new_tensor") or self.dtype,
            device=device or self.device, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        from .ops.creation import zeros

        return zeros(
            *size, dtype=D.check_dtype(dtype, "new_zeros") or self.dtype,
            device=device or self.device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        from .ops.creation import ones

        return ones(
            *size, dtype=D.check_dtype(dtype, "new_ones") or self.dtype,
            device=device or self.device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        from .ops.creation import full

        return full(
            size, fill_value, dtype=D.check_dtype(dtype, "new_full") or self.dtype,
            device=device or self.device, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        from .ops.creation import empty

        return empty(
            *size, dtype=D.check_dtype(dtype, "new_empty") or self.dtype,
            device=device or self.device, requires_grad=requires_grad)

    # ------------------------------------------------------------------ Python operators
    # (the hot path: operator -> op function -> Node.apply; + - * / @ are the op functions
    # themselves, set at the end of this file: one Python call less on every op)

    def __radd__(self, other):
        return _b.add(other, self)

    def __iadd__(self, other):
        return self._inplace(_b.add, other)

    def __rsub__(self, other):
        return _b.sub(other, self)

    def __isub__(self, other):
        return self._inplace(_b.sub, other)

    def __rmul__(self, other):
        return _b.mul(other, self)

    def __imul__(self, other):
        return self._inplace(_b.mul, other)

    def __rtruediv__(self, other):
        return _b.div(other, self)

    def __itruediv__(self, other):
        return self._inplace(_b.div, other)

    def __floordiv__(self, other):
        return _b.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _b.floor_divide(other, self)

    def __ifloordiv__(self, other):
        return self._inplace(_b.floor_divide, other)

    def __mod__(self, other):
        return _b.remainder(self, other)

    def __rmod__(self, other):
        return _b.remainder(other, self)

    def __imod__(self, other):
        return self._inplace(_b.remainder, other)

    def __pow__(self, other):
        return _b.pow(self, other)

    def __rpow__(self, other):
        return _b.pow(other, self)

    def __ipow__(self, other):
        return self._inplace(_b.pow, other)

    def __rmatmul__(self, other):
        return _la.matmul(other, self)

    def __neg__(self):
        return _u.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _u.abs(self)

    def __invert__(self):
        return _u.bitwise_not(self)

    def __and__(self, other):
        return _b.bitwise_and(self, other)

    def __rand__(self, other):
        return _b.bitwise_and(other, self)

    def __iand__(self, other):
        return self._inplace(_b.bitwise_and, other)

    def __or__(self, other):
        return _b.bitwise_or(self, other)

    def __ror__(self, other):
        return _b.bitwise_or(other, self)

    def __ior__(self, other):
        return self._inplace(_b.bitwise_or, other)

    def __xor__(self, other):
        return _b.bitwise_xor(self, other)

    def __rxor__(self, other):
        return _b.bitwise_xor(other, self)

    def __ixor__(self, other):
        return self._inplace(_b.bitwise_xor, other)

    def __lshift__(self, other):
        return _b.bitwise_left_shift(self, other)

    def __rshift__(self, other):
        return _b.bitwise_right_shift(self, other)

    def __eq__(self, other):
        if other is None:  # NOTE: as torch, `t == None` is False (not an element-wise op)
            return False
        return _b.eq(self, other)

    def __ne__(self, other):
        if other is None:
            return True
        return _b.ne(self, other)

    def __lt__(self, other):
        return _b.lt(self, other)

    def __le__(self, other):
        return _b.le(self, other)

    def __gt__(self, other):
        return _b.gt(self, other)

    def __ge__(self, other):
        return _b.ge(self, other)

    def __getitem__(self, index):
        return _i.getitem(self, index)

    def __setitem__(self, index, value):
        _i.setitem(self, index, value)

    # ------------------------------------------------------------------ methods (delegations)
    # binary (ops/binary.py)
    def add(self, other, *, alpha=1):
        return _b.add(self, other, alpha=alpha)

    def add_(self, other, *, alpha=1):
        return self._inplace(_b.add, other, alpha=alpha)

    def sub(self, other, *, alpha=1):
        return _b.sub(self, other, alpha=alpha)

    def sub_(self, other, *, alpha=1):
        return self._inplace(_b.sub, other, alpha=alpha)

    subtract = sub
    subtract_ = sub_

    def mul(self, other):
        return _b.mul(self, other)

    def mul_(self, other):
        return self._inplace(_b.mul, other)

    multiply = mul
    multiply_ = mul_

    def div(self, other, *, rounding_mode=None):
        return _b.div(self, other, rounding_mode=rounding_mode)

    def div_(self, other, *, rounding_mode=None):
        return self._inplace(_b.div, other, rounding_mode=rounding_mode)

    divide = div
    divide_ = div_
    true_divide = div
    true_divide_ = div_

    # ------------------------------------------------------------------ transposes

    @property
    def T(self):
        if self._data.ndim > 2:
            return self.permute(*reversed(range(self._data.ndim)))
        return self.t() if self._data.ndim == 2 else self

    @property
    def mT(self):
        if self._data.ndim < 2:
            raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                               f"Got {self._data.ndim}-D tensor.")
        return self.transpose(-2, -1)

    @property
    def H(self):
        return self.T.conj() if self.is_complex() else self.T

    @property
    def mH(self):
        return self.mT.conj() if self.is_complex() else self.mT

    @property
    def real(self):
        from .ops import unary

        return unary.real(self)

    @property
    def imag(self):
        from .ops import unary

        return unary.imag(self)




# Tensor._make bound once, for the hot paths (each Tensor._make lookup makes a bound method)
make = Tensor._make


def _any_requires_grad(args):
    for a in args:
        if isinstance(a, Tensor) and a._requires_grad:
            return True
    return False


_OVERLAP_MESSAGE = (
    "unsupported operation: more than one element of the written-to tensor refers to a single "
    "memory location. Please clone() the tensor before performing the operation.\n"
    "  ember: this tensor is an expand (or a view of one): its repeated elements are one "
    "value in memory; write into x.clone() (or x.contiguous()) instead.")

# in-place ops that torch still runs on a tensor whose elements share memory (it writes only
# the selected elements); op -> the name in torch's deprecation warning (None: no warning)
_OVERLAP_TOLERATED = {"masked_fill": "masked_fill_", "index_put": "index_put_",
                      "index_fill": "index_fill_", "_put": None, "tril": None, "triu": None}


_META_ITEM = ("Tensor.item() cannot be called on meta tensors\n  ember: a meta tensor has a "
              "shape and a dtype but no values; move a real tensor's values in, e.g. "
              "module.to_empty(device='cpu') then load_state_dict(...)")
_META_COPY = "Cannot copy out of meta tensor; no data!"


def _overlaps(array):
    """Do two elements of ``array`` share memory? (torch's test: a stride 0 over a dim > 1)"""
    for size, stride in zip(array.shape, array.strides):
        if stride == 0 and size > 1:
            return True
    return False


def _warn_expanded_write(op, stacklevel=4):
    """torch's deprecation warning for the in-place ops it still runs on an expand."""
    import warnings

    example = "tensor[indices] = tensor" if op == "index_put_" else "tensor[mask] = scalar"
    warnings.warn(f"Use of {op} on expanded tensors is deprecated. Please clone() the tensor "
                  "before performing this operation. This also applies to advanced indexing "
                  f"e.g. {example}", stacklevel=stacklevel)


def _inplace_overlapping(self, fn, args, kwargs):
    """An in-place op on an expanded tensor: torch's error, or for the few ops torch tolerates,
    write only the elements the op changed (so every alias of a changed value sees it)."""
    if self.device.type == "meta":  # a meta tensor's one element: no values to protect
        return self._assign(fn(self, *args, **kwargs))
    name = getattr(fn, "__name__", "")
    if name not in _OVERLAP_TOLERATED:
        raise RuntimeError(_OVERLAP_MESSAGE)
    if _OVERLAP_TOLERATED[name] is not None:
        _warn_expanded_write(_OVERLAP_TOLERATED[name])
    old = self._data.copy()
    source = Tensor._make(old, self.device, self._requires_grad, self.grad_fn, self.output_nr)
    args = tuple(source if a is self else a for a in args)
    result = fn(source, *args, **kwargs)
    xp = _device.array_module_of(old)
    changed = result._data != old
    if changed.shape != old.shape:
        raise RuntimeError(f"output with shape {list(old.shape)} doesn't match the broadcast "
                           f"shape {list(changed.shape)}")
    xp.copyto(self._data, result._data.astype(old.dtype, copy=False), where=changed)
    self._counter().value += 1
    if result.grad_fn is not None:
        self.grad_fn = result.grad_fn
        self.output_nr = result.output_nr
        self._requires_grad = True
    return self


def _rebase_view(view, result):
    """An in-place change through a view also changes its base, in values and in the graph."""
    from .ops.shape import rebase_view_history

    rebase_view_history(view, result)


def _torch_like_strides(shape, strides):
    # NOTE: numpy keeps the strides of size-1 dims as torch does, except for new size-1 dims
    # (x[None], broadcast), where it has 0 and torch size*stride of the next dim; and empty
    # arrays, where torch reports contiguous strides
    if 0 in shape:
        return _contiguous_strides(shape)
    if 0 not in strides:
        return strides
    out = list(strides)
    for i in range(len(shape) - 1, -1, -1):
        if shape[i] == 1 and out[i] == 0:
            out[i] = shape[i + 1] * out[i + 1] if i + 1 < len(shape) else 1
    return tuple(out)


def _contiguous_strides(shape):
    out = [0] * len(shape)
    expected = 1
    for i in range(len(shape) - 1, -1, -1):
        out[i] = expected
        expected *= max(shape[i], 1)
    return tuple(out)


def _address(arr):
    if isinstance(arr, np.ndarray):
        return arr.__array_interface__["data"][0]
    return arr.data.ptr


def _copy_shape_error(shape, src_shape):
    """torch's error for ``copy_`` from a tensor that does not broadcast to ``shape``."""
    from ._errors import broadcast_failure

    error = broadcast_failure([shape, src_shape], "copy_")
    if error is not None:
        return error
    return RuntimeError(  # they broadcast, but to a larger shape than the destination's
        f"output with shape {list(shape)} doesn't match the broadcast shape "
        f"{list(np.broadcast_shapes(tuple(shape), tuple(src_shape)))}")


def _rebuild(array, device, requires_grad):
    t = Tensor._make(array, _device.device("cpu")).to(device)
    t._requires_grad = requires_grad
    return t


# op modules, imported last: they import Tensor from here
from .ops import binary as _b  # noqa: E402
from .ops import indexing as _i  # noqa: E402
from .ops import linalg as _la  # noqa: E402
from .ops import shape as _s  # noqa: E402
from .ops import unary as _u  # noqa: E402

# a + b is ops.binary.add(a, b) itself: no method that only forwards (see "Python operators")
Tensor.__add__ = _b.add
Tensor.__sub__ = _b.sub
Tensor.__mul__ = _b.mul
Tensor.__truediv__ = _b.div
Tensor.__matmul__ = _la.matmul
