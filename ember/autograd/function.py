"""The base of every differentiable op (``Node``) and torch's ``autograd.Function`` contract.

An ember op is a small class: ``forward`` computes on backend arrays (``self.xp`` is numpy or
cupy), ``backward`` is written with ember ops on Tensors, so the same formula also builds the
graph of the gradient when ``create_graph=True``.  The object that ran forward becomes the
output's ``grad_fn``: it keeps the edges to the inputs' nodes and the values it saved.

    class Tanh(Node):
        '''y = tanh(x)          dy/dx = 1 - y^2'''

        def forward(self, x):
            y = self.xp.tanh(x)
            self.save(y)
            return y

        def backward(self, grad):
            (y,) = self.saved
            return grad * (1 - y * y)

Non-tensor options (dims, flags) are given to the constructor: ``Sum(dim, keepdim).apply(x)``.
``apply`` takes tensors only.  ``backward`` gets one gradient per output and returns one per
tensor input (a single value for a single input); the engine sums broadcast gradients back to
each input's shape and casts them to its dtype, so ops never do that themselves.

Three variations: a node whose backward needs exactly its inputs sets ``saves_inputs = True``
instead of calling ``save``; an op whose output may be a view of its input is a ``ViewNode``
(forward sets ``self.view_fn``); an op whose outputs never require grad (comparisons,
indices) is a ``NoGradNode``.
"""

import itertools

import numpy as _np

from .. import _device, _tensor
from .._errors import allocation_error, broadcast_failure
from . import anomaly_mode as _anomaly
from .grad_mode import no_grad
from .grad_mode import state as _grad_state

_CPU = _device.CPU
_anomaly_state = _anomaly.state
_FREED = object()  # marks saved values released after backward
_sequence = itertools.count()  # creation order of recorded nodes (the engine runs latest first)


class _HookFlag:
    """Set once any autograd hook is registered (on a tensor, a node or a leaf; retain_grad
    too): until then the engine runs nodes and fills leaves' .grad without looking for hooks,
    which most programs never register."""

    __slots__ = ("registered",)

    def __init__(self):
        self.registered = False


any_hooks = _HookFlag()


class Node:
    """A recorded op: the ``grad_fn`` of the tensors it produced."""

    # the fields every call of apply sets (and every recorded node reads) are slots, which are
    # faster to set and read than a per-instance dict; the rest are class defaults, set on the
    # instance only when used
    __slots__ = ("_edges", "needs_input_grad", "_seq", "_saved", "_saved_versions", "__dict__",
                 "__weakref__")
    _saved_other = False  # save() kept a value that is not an input (maybe the output)
    _out = None  # (array, version counter, version) of a saved output
    _pre_hooks = None  # {output_nr: [hook]} for tensor hooks on non-leaf outputs
    _post_hooks = None
    _trace = None  # creation stack, kept in anomaly mode
    _name = None  # torch's node name when it is not <ClassName>Backward0
    _out_meta = None  # (shape, dtype) per output, for nodes with several outputs
    _autocast = None  # {device type: policy} (ember/amp/policy.py); read only under autocast
    _num_outputs = 1
    saves_inputs = False  # True: recording keeps every input for backward (read with saved)
    # True: backward makes each input's gradient with one op (a product, a convolution) of the
    # gradient and saved values, so autocast may run it in float32 and round each result once
    backward_rounds_once = False
    materialize_grads = True  # outputs that got no gradient receive zeros in backward
    xp = _np  # the array module of the inputs' device (set per call when not CPU)
    device = _CPU  # the inputs' device (set when recording on another device)

    def forward(self, *arrays):
        raise NotImplementedError(f"{type(self).__name__} defines no forward")

    def backward(self, *grads):
        raise RuntimeError(f"the derivative for '{type(self).__name__}' is not implemented")

    def computes_bfloat16(self, *arrays):
        """True when forward has its own loop for these bfloat16 arrays (relu, 2x2 max
        pooling: ember/_kernels.py), so autocast need not run it on float32 copies."""
        return False

    def _broadcast_shapes(self, shapes):
        """The shapes forward broadcasts together, given the inputs' shapes, in the order
        torch's error names them. An op that broadcasts other arrays too (a mask given to the
        constructor) or only some dims (matmul's batch dims) says so here."""
        return shapes

    # ------------------------------------------------------------------ running forward

    def apply(self, *inputs):
        """Run forward on the inputs' arrays, wrap the result, and record the graph if needed.

        Recording (grad mode on and an input requires grad) keeps what backward needs: one
        edge per input, which inputs need a gradient, a sequence number (taken after the edges:
        making an edge can record a refreshed view's node, which must come first), and what
        forward saved."""
        # NOTE: one and two inputs are spelled out: the general helpers cost ~10% of a tiny op
        first = inputs[0]
        dev = first.device
        n = len(inputs)
        if n == 1:
            record = first._requires_grad and _grad_state.enabled
        elif n == 2:
            second = inputs[1]
            if second.device is not dev:
                dev = _common_device(first, second, self)
            record = (first._requires_grad or second._requires_grad) and _grad_state.enabled
        else:
            dev, record = _device_and_record(inputs, self)
        if dev is not _CPU:
            self.xp = _device.xp_for(dev)
            if dev.type == "meta":
                _compute_as_meta(self)
        if record:
            self._saved = ()
        # NOTE: NumPy's errors become torch's here, in one place for every op (a try block
        # costs nothing until it raises)
        if n == 1:
            try:
                out = self.forward(first._data)
            except (ValueError, MemoryError) as e:
                raise _backend_error(e, inputs, self) from None
        elif n == 2:
            try:
                out = self.forward(first._data, second._data)
            except (ValueError, MemoryError) as e:
                raise _backend_error(e, inputs, self) from None
        else:
            out = _forward(self, inputs)
        make = _tensor.make
        if not record:
            if type(out) is tuple:
                return tuple([make(o, dev) for o in out])
            return make(out, dev)

        saved_other = False  # forward saved a value that is not an input (maybe its output)
        if self.saves_inputs:  # x * y, x / y, x @ y: the inputs, in one step
            self._saved = inputs
            self._saved_versions = tuple([(t._vc or t._counter(), t._vc.value) for t in inputs])
        elif self._saved:
            saved_other = self._keep_saved(inputs)
        else:
            self._saved_versions = ()
        if dev is not _CPU:
            self.device = dev
        if n == 1:
            self._edges = (_edge(first),)
            self.needs_input_grad = (first._requires_grad,)
        elif n == 2:
            self._edges = (_edge(first), _edge(second))
            self.needs_input_grad = (first._requires_grad, second._requires_grad)
        else:
            self._edges = tuple([_edge(t) for t in inputs])
            self.needs_input_grad = tuple([t._requires_grad for t in inputs])
        self._seq = next(_sequence)
        if _anomaly_state.enabled:
            self._trace = _anomaly.capture_user_stack()
            if _anomaly_state.check_forward:  # an ember extension, off unless asked for
                _anomaly.check_forward(self, out, self.xp)
        if type(out) is tuple:  # several outputs: each knows its position (output_nr)
            outs = tuple([_integer_outputs_need_no_grad(make(o, dev, True, self, nr))
                          for nr, o in enumerate(out)])
            self._out_meta = tuple([(o._data.shape, o.dtype) for o in outs])
            self._num_outputs = len(outs)
            self._note_saved_output(out, outs)
            return outs
        result = make(out, dev, True, self)
        if result._dtype.category < 2:  # integer and bool results have no gradient
            return _integer_outputs_need_no_grad(result)
        if saved_other:
            self._note_saved_output((out,), (result,))
        return result

    @property
    def _input_meta(self):
        """(shape, dtype) of each input as it was in forward (backward formulas read them)."""
        return [(edge[2], edge[3]) for edge in self._edges]

    def input_shape(self, i):
        """The shape input ``i`` had in forward."""
        return self._edges[i][2]

    def save(self, *values):
        """Keep values for backward (inputs or outputs of forward); read them with ``saved``.
        When the graph is recorded, apply keeps each input as the tensor itself."""
        self._saved = values

    def _keep_saved(self, inputs):
        """What forward saved, each input's array replaced by the input tensor (so backward
        gets the tensor and its version is checked); other values (outputs) stay arrays.
        True if there were such other values."""
        saved = []
        versions = []
        for v in self._saved:
            for t in inputs:
                if v is t._data:
                    saved.append(t)
                    versions.append((t._counter(), t._vc.value))
                    break
            else:
                saved.append(v)
        self._saved = tuple(saved)
        self._saved_versions = tuple(versions)
        if len(versions) < len(saved):
            self._saved_other = True
        return len(versions) < len(saved)

    def _note_saved_output(self, raw_outputs, outputs):
        """If forward saved one of its outputs, remember that output's version counter."""
        for raw, o in zip(raw_outputs, outputs):
            for k, v in enumerate(self._saved):
                if v is raw:
                    # NOTE: numpy returns scalars from 0-dim maths; keep the array the tensor holds
                    self._saved = self._saved[:k] + (o._data,) + self._saved[k + 1:]
                    vc = o._counter()
                    self._out = (vc, vc.value, o.output_nr)
                    return

    @property
    def saved(self):
        """The values saved in forward, as Tensors (inputs are the original tensors)."""
        Tensor = _tensor.Tensor
        saved = self._saved
        if saved is _FREED:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward.\n"
                f"  ember: {self.name()} needs values that the first backward() freed (to save "
                "memory). In a training loop this almost always means a tensor from the "
                "previous iteration is still attached to its graph: a running total "
                "(total_loss += loss: use loss.item()) or a carried state (an RNN's hidden "
                "state: h = h.detach() at the start of each iteration).\n"
                "  retain_graph=True (on the first backward) is really needed only to "
                "backpropagate twice through the same graph, e.g. two losses that share a "
                "network: usually (loss1 + loss2).backward() is simpler and faster.")
        self._check_versions()
        if not self._saved_other:
            return saved  # all inputs, kept as the tensors themselves (the common case)
        out = []
        for v in saved:
            if isinstance(v, Tensor):
                out.append(v)
            elif self._out is not None and _grad_state.enabled:
                # create_graph: the output takes part in the gradient's graph through this node
                out.append(Tensor._make(v, self.device, True, self, self._out[2]))
            else:
                out.append(Tensor._make(v, self.device))
        return out

    def _check_versions(self):
        for counter, version in self._saved_versions:
            if counter.value != version:
                self._raise_modified(counter.value, version)
        if self._out is not None and self._out[0].value != self._out[1]:
            self._raise_modified(self._out[0].value, self._out[1], output=True)

    def _raise_modified(self, now, expected, output=False):
        which = f", which is output {self._out[2]} of {self.name()}," if output else ""
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [saved by {self.name()}]{which} is at version {now}; expected "
            f"version {expected} instead. Hint: enable anomaly detection to find the operation "
            "that failed to compute its gradient, with ember.autograd.set_detect_anomaly(True)."
            "\n  ember: a value this op needs for its gradient was changed in place after the "
            "op ran (x += ..., x.add_(...), x[i] = ..., relu(inplace=True)); use the "
            "out-of-place form (x = x + ...) or .clone() the tensor before changing it.")

    def _release(self):
        """Free saved values after backward (unless retain_graph)."""
        if self._saved:
            self._saved = _FREED

    # ------------------------------------------------------------------ torch's Node API

    def name(self):
        return self._name or type(self).__name__ + "Backward0"

    @property
    def next_functions(self):
        """((node, output_nr), ...) per input, with AccumulateGrad for leaves, as in torch."""
        result = []
        for target, nr, _shape, _dtype in self._edges:
            if nr < 0:  # a leaf
                target, nr = AccumulateGrad(target), 0
            result.append((target, nr))
        return tuple(result)

    @property
    def metadata(self):
        if not hasattr(self, "_metadata"):
            self._metadata = {}
        return self._metadata

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` runs after this node's backward."""
        any_hooks.registered = True
        if self._post_hooks is None:
            self._post_hooks = []
        self._post_hooks.append(fn)
        return _RemovableHandle(self._post_hooks, fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` runs before this node's backward and may replace the grads."""
        return self._add_pre_hook(-1, fn)

    def _add_pre_hook(self, output_nr, fn):
        any_hooks.registered = True
        if self._pre_hooks is None:
            self._pre_hooks = {}
        hooks = self._pre_hooks.setdefault(output_nr, [])
        hooks.append(fn)
        return _RemovableHandle(hooks, fn)

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    def __call__(self, *grads):
        return self.backward(*grads)


class ViewNode(Node):
    """An op whose output may share memory with its first input: view, transpose, expand,
    basic indexing, diagonal, ... Forward sets ``self.view_fn`` (base -> the same view of
    another base) when it made a view; the output then shares the input's memory and version
    counter, and can be redone from the base after in-place changes."""

    view_fn = None

    def apply(self, *inputs):
        out = Node.apply(self, *inputs)
        if self.view_fn is not None:
            _as_view(out, inputs[0], self.view_fn)
        return out


class NoGradNode(Node):
    """An op whose outputs never require grad (comparisons, argmax's indices, isnan, ...):
    it records nothing, whatever the grad mode."""

    def apply(self, *inputs):
        dev = _device_and_record(inputs, self)[0]
        if dev is not _CPU:
            self.xp = _device.xp_for(dev)
            if dev.type == "meta":
                _compute_as_meta(self)
        return _wrap(_forward(self, inputs), dev)


def _compute_as_meta(node):
    """Run ``node`` on meta tensors: its forward computes on the meta arrays (zeros seen at
    every index) as on any array, and each result becomes a meta array again (one element),
    so meta tensors keep costing no memory.  The wrapper is this node's own ``forward``."""
    forward = node.forward

    def forward_as_meta(*arrays):
        return _device.to_meta(forward(*arrays))

    node.forward = forward_as_meta


def _device_and_record(inputs, node):
    """The inputs' common device (torch's error if they differ) and whether to record: grad
    mode is on in this thread and an input requires grad.  (Node.apply spells out one and two
    inputs; this is the general form.)"""
    first = inputs[0]
    dev = first.device
    record = False
    for t in inputs:
        if t.device is not dev:
            dev = _common_device(first, t, node)
        record = record or t._requires_grad
    return dev, record and _grad_state.enabled


def _forward(node, inputs):
    """``node.forward`` on the inputs' arrays; NumPy's errors become torch's."""
    try:
        if len(inputs) == 1:  # isnan, argmax...: no list to build
            return node.forward(inputs[0]._data)
        return node.forward(*[t._data for t in inputs])
    except (ValueError, MemoryError) as e:
        raise _backend_error(e, inputs, node) from None


def _backend_error(error, inputs, node):
    """The exception NumPy raised in ``node.forward`` as torch's: shapes that do not broadcast
    (in the order torch names them, from ``node._broadcast_shapes``) or memory that could not
    be had. Any other error comes back unchanged."""
    if isinstance(error, MemoryError):
        shape, dtype = getattr(error, "shape", None), getattr(error, "dtype", None)
        if shape is None or dtype is None or node.xp is not _np:
            return error
        return allocation_error(error, shape, dtype.itemsize)
    shapes = node._broadcast_shapes([t._data.shape for t in inputs])
    return broadcast_failure(shapes, type(node).__name__.lower()) or error


def _wrap(out, dev):
    """Forward's array (or tuple of arrays) as tensors that record nothing."""
    if type(out) is tuple:
        return tuple([_tensor.make(o, dev) for o in out])
    return _tensor.make(out, dev)


def _integer_outputs_need_no_grad(t):
    """Only floating and complex tensors take part in autograd (as in torch)."""
    if t.dtype.category < 2:
        t.grad_fn = None
        t._requires_grad = False
    return t


def _as_view(out, base, view_fn):
    """Make ``out`` a view of ``base``: one version counter, and a way to redo the view."""
    vc = out._vc = base._counter()
    if _grad_state.enabled:  # the version its graph is valid for (see _refresh_view)
        out._view_version = vc.value
    if base._base is None:
        out._base = base
        out._view_fn = view_fn
    else:  # a view of a view: remember the whole path from the root base
        out._base = base._base
        inner = base._view_fn
        out._view_fn = lambda root: view_fn(inner(root))
        multi = base.__dict__.get("_multi_view")
        if multi is not None:  # a view of a piece of split/unbind is such a piece too
            out._multi_view = multi
    return out


def _refresh_view(view):
    """A view whose memory was changed in place (through its base or another view) takes its
    graph anew from the base, so gradients see the change."""
    seen = view.__dict__.get("_view_version")
    if seen is None or seen == view._counter().value:
        return
    view._view_version = view._counter().value
    base = view._base
    if base._requires_grad and _grad_state.enabled:
        fresh = view._view_fn(base)
        view.grad_fn = fresh.grad_fn
        view.output_nr = fresh.output_nr
        view._requires_grad = True
        if view._retains_grad:  # retain_grad's hook moves to the new node, as in torch
            view._retains_grad = False
            view.retain_grad()


def _edge(t):
    """Where the gradient for input ``t`` goes (its grad_fn, the leaf itself, or nowhere), and
    t's shape and dtype: the engine sums and casts the gradient to them."""
    if t._base is not None:
        _refresh_view(t)
    fn = t.grad_fn
    if fn is not None:
        return (fn, t.output_nr, t._data.shape, t._dtype)
    if t._requires_grad:
        return (t, -1, t._data.shape, t._dtype)  # output_nr -1 marks a leaf for the engine
    return (None, 0, t._data.shape, t._dtype)


def _common_device(a, b, node):
    from .._errors import device_mismatch

    # NOTE: torch lets a 0-dim CPU tensor take part in an op on another device
    if b._data.ndim == 0 and b.device.type == "cpu":
        return a.device
    if a._data.ndim == 0 and a.device.type == "cpu":
        return b.device
    raise device_mismatch(a.device, b.device, type(node).__name__.lower())


class AccumulateGrad:
    """The node that accumulates a leaf tensor's gradient into ``.grad`` (for next_functions)."""

    def __init__(self, variable):
        self.variable = variable
        self.next_functions = ()

    def name(self):
        return "torch::autograd::AccumulateGrad".replace("torch", "ember")

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"

    def __eq__(self, other):
        return isinstance(other, AccumulateGrad) and other.variable is self.variable

    def __hash__(self):
        return id(self.variable)


class _RemovableHandle:
    def __init__(self, hooks, fn):
        self._hooks = hooks
        self._fn = fn

    def remove(self):
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


# ---------------------------------------------------------------------------- autograd.Function

class FunctionCtx:
    """What ``forward`` and ``backward`` of a custom Function share (torch's ``ctx``)."""

    def save_for_backward(self, *tensors):
        """Keep tensors (inputs or outputs) for backward; read them with ``saved_tensors``."""
        for t in tensors:
            if t is not None and not isinstance(t, _tensor.Tensor):
                raise TypeError("save_for_backward can only save variables, but argument "
                                f"{tensors.index(t)} is of type {type(t).__name__}")
        self._to_save = tensors

    def save_for_forward(self, *tensors):
        self._to_save_forward = tensors

    def mark_dirty(self, *tensors):
        """Say which inputs forward changed in place."""
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        """Say which outputs have no gradient (e.g. indices)."""
        self._non_differentiable = tensors

    def set_materialize_grads(self, value):
        """With False, backward may receive None for outputs that got no gradient."""
        self.materialize_grads = value


class BackwardFunction(FunctionCtx, Node):
    """The graph node of one call of a custom Function; it is also the ``ctx``."""

    _to_save = ()
    _dirty = ()
    _non_differentiable = ()

    def __init__(self, function_class):
        self._function_class = function_class
        self._name = function_class.__name__ + "Backward"

    @property
    def saved_tensors(self):
        saved = self._saved
        if saved is _FREED:
            return self.saved  # raises torch's "backward through the graph a second time"
        self._check_versions()
        return tuple(s.unpack(self) if type(s) is _SavedOutput else s for s in saved)

    @property
    def saved_variables(self):
        return self.saved_tensors

    def backward(self, *grads):
        result = self._function_class.backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        if len(result) != len(self._arg_is_tensor):
            raise RuntimeError(f"function {self.name()} returned an incorrect number of "
                               f"gradients (expected {len(self._arg_is_tensor)}, got "
                               f"{len(result)})")
        return tuple(g for g, is_tensor in zip(result, self._arg_is_tensor) if is_tensor)


class _SavedOutput:
    """An output of a custom Function that its ``ctx`` saved: its array, not the tensor (which
    points back at the ctx).  Unpacked as a tensor whose grad_fn is the ctx again when the
    gradient's graph is recorded (create_graph), so double backward flows through it."""

    __slots__ = ("data", "device", "output_nr")

    def __init__(self, t):
        self.data, self.device, self.output_nr = t._data, t.device, t.output_nr

    def unpack(self, ctx):
        if _grad_state.enabled:
            return _tensor.Tensor._make(self.data, self.device, True, ctx, self.output_nr)
        return _tensor.Tensor._make(self.data, self.device)


class Function:
    """Base class for custom differentiable operations, with torch's contract.

    class Exp(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    y = Exp.apply(x)
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode "
                                  "AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        Tensor = _tensor.Tensor
        ctx = BackwardFunction(cls)
        tensors = [a for a in args if isinstance(a, Tensor)]
        ctx._arg_is_tensor = tuple(isinstance(a, Tensor) for a in args)
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        record = _grad_state.enabled and any(t._requires_grad for t in tensors)
        uses_setup_context = cls.setup_context is not Function.setup_context
        with no_grad():
            if uses_setup_context:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        if not record:
            return output
        single = not isinstance(output, tuple)
        outputs = (output,) if single else output
        ctx.device = tensors[0].device
        ctx._edges = [_edge(t) for t in tensors]
        wrapped = []
        for nr, out in enumerate(outputs):
            if not isinstance(out, Tensor):
                wrapped.append(out)
                continue
            if any(out is d for d in ctx._dirty):
                pass  # changed in place: the input itself becomes this output
            elif any(out is t for t in tensors):
                alias = Tensor._make(out._data, out.device)
                alias._vc = out._counter()
                out = alias
            differentiable = out.dtype.category >= 2 and not any(
                out is n for n in ctx._non_differentiable)
            if differentiable:
                out.grad_fn = ctx
                out.output_nr = nr
                out._requires_grad = True
            wrapped.append(out)
        ctx._out_meta = tuple((o._data.shape, o.dtype) if isinstance(o, Tensor) else ((), None)
                              for o in outputs)
        ctx._num_outputs = len(outputs)
        ctx._seq = next(_sequence)
        # an output saved as itself would make a cycle (ctx -> output -> its grad_fn ctx) that
        # only the garbage collector frees: keep its array instead, as built-in nodes do
        ctx._saved = tuple(_SavedOutput(t) if t is not None and t.grad_fn is ctx else t
                           for t in ctx._to_save)
        ctx._saved_versions = tuple((t._counter(), t._vc.value) for t in ctx._to_save
                                    if t is not None)
        ctx._to_save = ctx._dirty = ctx._non_differentiable = ()  # they may hold the outputs
        return wrapped[0] if single else tuple(wrapped)


def once_differentiable(backward):
    """Decorate a Function's backward that cannot itself be differentiated."""
    import functools

    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        with no_grad():
            return backward(ctx, *grads)

    return wrapper
