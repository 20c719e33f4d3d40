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
"""

import numpy as _np

from .. import _device, _tensor
from . import anomaly_mode as _anomaly
from .grad_mode import state as _grad_state

_FREED = object()  # marks saved values released after backward


class Node:
    """A recorded op: the ``grad_fn`` of the tensors it produced."""

    # defaults shared by all nodes; set on the instance only when used
    _saved = ()
    _saved_versions = ()
    _out = None  # (array, version counter, version) of a saved output
    _inputs = None  # the input tensors, only while forward runs and only when recording
    _pre_hooks = None  # {output_nr: [hook]} for tensor hooks on non-leaf outputs
    _post_hooks = None
    _trace = None  # creation stack, kept in anomaly mode
    _name = None  # torch's node name when it is not <ClassName>Backward0
    _edges = ()
    _input_meta = ()
    needs_input_grad = ()
    differentiable = True  # False for ops like argmax whose outputs never require grad
    xp = _np  # the array module of the inputs' device (set per call when not CPU)
    view_fn = None  # set by view ops (forward): base -> view, so outputs share the base

    def forward(self, *arrays):
        raise NotImplementedError(f"{type(self).__name__} defines no forward")

    def backward(self, *grads):
        raise RuntimeError(f"the derivative for '{type(self).__name__}' is not implemented")

    # ------------------------------------------------------------------ running forward

    def apply(self, *inputs):
        """Run forward on the inputs' arrays, wrap the result, and record the graph if needed."""
        make = _tensor.Tensor._make
        first = inputs[0]
        dev = first.device
        requires_grad = first._requires_grad
        for t in inputs[1:]:
            if t.device is not dev:
                dev = _common_device(first, t, self)
            requires_grad = requires_grad or t._requires_grad
        record = requires_grad and _grad_state.enabled and self.differentiable
        if dev is not _device.CPU:
            self.xp = _device.xp_for(dev)
        if record:
            self._inputs = inputs
        if len(inputs) == 1:
            out = self.forward(first._data)
        else:
            out = self.forward(*[t._data for t in inputs])
        if not record:
            if type(out) is tuple:
                return tuple(make(o, dev) for o in out)
            if self.view_fn is not None:
                return _as_view(make(out, dev), first, self.view_fn)
            return make(out, dev)

        # record the graph: edges to the inputs' nodes, their shapes and dtypes
        self._inputs = None
        self.device = dev
        edges = []
        meta = []
        needs = []
        for t in inputs:
            edges.append(_edge(t))
            meta.append((t._data.shape, t.dtype))
            needs.append(t._requires_grad)
        self._edges = edges
        self._input_meta = meta
        self.needs_input_grad = tuple(needs)
        if _anomaly.state.enabled:
            self._trace = _anomaly.capture_user_stack()
        if type(out) is tuple:
            outs = tuple(make(o, dev, True, self, nr) for nr, o in enumerate(out))
            self._out_meta = tuple((o._data.shape, o.dtype) for o in outs)
            self._note_saved_output(out, outs)
            return outs
        result = make(out, dev, True, self)
        if self._saved:
            self._note_saved_output((out,), (result,))
        if self.view_fn is not None:
            _as_view(result, first, self.view_fn)
        return result

    def save(self, *values):
        """Keep values for backward (inputs or outputs of forward); read them with ``saved``."""
        inputs = self._inputs
        if inputs is None:
            return  # not recording: nothing will run backward
        saved = []
        versions = []
        for v in values:
            for t in inputs:
                if v is t._data:
                    saved.append(t)
                    versions.append((t._vc, t._vc.value))
                    break
            else:
                saved.append(v)
        self._saved = tuple(saved)
        self._saved_versions = tuple(versions)

    def _note_saved_output(self, raw_outputs, outputs):
        """If forward saved one of its outputs, remember that output's version counter."""
        for raw, o in zip(raw_outputs, outputs):
            for k, v in enumerate(self._saved):
                if v is raw:
                    # NOTE: numpy returns scalars from 0-dim maths; keep the array the tensor holds
                    self._saved = self._saved[:k] + (o._data,) + self._saved[k + 1:]
                    self._out = (o._vc, o._vc.value, o.output_nr)
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
                "if you need to access saved tensors after calling backward.")
        self._check_versions()
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
        for target, nr in self._edges:
            if isinstance(target, _tensor.Tensor):
                target = AccumulateGrad(target)
            result.append((target, nr))
        return tuple(result)

    @property
    def metadata(self):
        if not hasattr(self, "_metadata"):
            self._metadata = {}
        return self._metadata

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` runs after this node's backward."""
        if self._post_hooks is None:
            self._post_hooks = []
        self._post_hooks.append(fn)
        return _RemovableHandle(self._post_hooks, fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` runs before this node's backward and may replace the grads."""
        return self._add_pre_hook(-1, fn)

    def _add_pre_hook(self, output_nr, fn):
        if self._pre_hooks is None:
            self._pre_hooks = {}
        hooks = self._pre_hooks.setdefault(output_nr, [])
        hooks.append(fn)
        return _RemovableHandle(hooks, fn)

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    def __call__(self, *grads):
        return self.backward(*grads)


def _as_view(out, base, view_fn):
    """Make ``out`` a view of ``base``: one version counter, and a way to redo the view."""
    out._vc = base._vc
    if base._base is None:
        out._base = base
        out._view_fn = view_fn
    else:  # a view of a view: remember the whole path from the root base
        out._base = base._base
        inner = base._view_fn
        out._view_fn = lambda root: view_fn(inner(root))
    return out


def _edge(t):
    """Where the gradient for input ``t`` goes: its grad_fn, the leaf itself, or nowhere."""
    if t.grad_fn is not None:
        return (t.grad_fn, t.output_nr)
    if t._requires_grad:
        return (t, 0)
    return (None, 0)


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
