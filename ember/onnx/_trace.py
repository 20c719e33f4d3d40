"""The tracer behind ember.onnx.export: it records the op nodes ember already builds.

Every differentiable op in ember is a ``Node`` whose ``apply`` runs forward (see
ember/autograd/function.py).  While ``trace`` runs, and only then, ``Node.apply`` and
``NoGradNode.apply`` are replaced by wrappers that call the original and append a ``Record``:
the node object (which keeps its options: stride, padding, dims, ...), the input tensors, the
output tensors and the path of the module that was running.  The class attributes are put back
in a ``finally`` block, so outside an export the hot path is exactly the usual one.

Some modules are recorded whole instead of op by op (``is_leaf``; see _modules.py: an LSTM
becomes one ONNX LSTM node): while one of them runs, the ops inside it are not recorded.

Tensors are identified by where they come from: a tensor made by a recorded node is known by
(that node, output number), which also follows in-place updates (``x += y`` gives ``x`` the new
node as grad_fn); other tensors are known by the tensor object, and the backend arrays of every
tensor seen are indexed too, so that options holding arrays (an embedding's indices, a masked
fill's mask) and ``detach()``-ed tensors (which share their array) are found again.
"""

import sys
import threading
import warnings

from .._tensor import Tensor
from ..autograd import function as _function
from ..jit import TracerWarning

_state = {"exporting": False}


def is_in_onnx_export():
    """True while ember.onnx.export is tracing the model (a model may branch on it)."""
    return _state["exporting"]


class Record:
    """One recorded op: ``node`` (an ember Node, or a module recorded whole), its input and
    output tensors, and the module path where it ran ("" for the top model)."""

    __slots__ = ("node", "inputs", "outputs", "module", "kind", "twin", "in_keys", "out_keys")

    def __init__(self, node, inputs, outputs, module, kind, in_keys=None):
        self.node = node
        self.inputs = inputs
        self.outputs = outputs
        # keys are taken now: an in-place op later gives the same tensor another key
        self.in_keys = in_keys or tuple([key_of(t) for t in inputs])
        self.out_keys = tuple([key_of(t) for t in outputs])
        self.module = module
        self.kind = kind  # "op" for a Node, "module" for a leaf module
        self.twin = None  # the same record in the trace at other dynamic sizes (or None)


def key_of(t):
    """How a tensor is known in the trace (see the module docstring)."""
    fn = t.grad_fn
    if fn is not None:
        return ("f", id(fn), t.output_nr)
    return ("t", id(t))


class Trace:
    """What one run of the model recorded, in execution order."""

    def __init__(self):
        self.records = []
        self.keep = []  # every tensor seen, kept alive so that ids stay unique
        self.path = []  # module path stack
        self.leaf_depth = 0
        self.leaf_inputs = []  # (tensors, keys) of the leaf module running

    def add(self, node, inputs, outputs, kind, in_keys=None):
        outs = outputs if isinstance(outputs, tuple) else (outputs,)
        self.keep.extend(inputs)
        self.keep.extend(outs)
        self.records.append(Record(node, tuple(inputs), outs, self.current_path(), kind,
                                   in_keys))

    def current_path(self):
        return self.path[-1] if self.path else ""


def _warn_bool(self):
    warnings.warn(
        "Converting a tensor to a Python boolean might cause the trace to be incorrect. We "
        "can't record the data flow of Python values, so this value will be treated as a "
        "constant in the future. This means that the trace might not generalize to other "
        "inputs!", TracerWarning, stacklevel=2)


def _flatten_tensors(obj, out):
    if isinstance(obj, Tensor):
        out.append(obj)
    elif isinstance(obj, (tuple, list)):
        for o in obj:
            _flatten_tensors(o, out)
    elif isinstance(obj, dict):
        for o in obj.values():
            _flatten_tensors(o, out)
    return out


def trace(model, args, kwargs, is_leaf):
    """Run ``model(*args, **kwargs)`` recording every op; returns (Trace, output).
    ``is_leaf(module)``: record that module whole instead of its ops."""
    tr = Trace()
    node_apply = _function.Node.apply
    nograd_apply = _function.NoGradNode.apply
    tensor_bool = Tensor.__bool__

    thread = threading.get_ident()  # other threads' ops run as usual, unrecorded

    def recording_apply(self, *inputs):
        out = node_apply(self, *inputs)
        if not tr.leaf_depth and threading.get_ident() == thread:
            tr.add(self, inputs, out, "op")
        return out

    def recording_nograd_apply(self, *inputs):
        out = nograd_apply(self, *inputs)
        if not tr.leaf_depth and threading.get_ident() == thread:
            tr.add(self, inputs, out, "op")
        return out

    def warning_bool(self):
        # NOTE: ember's own checks (inside ember's ops) are not the model's branches
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if not tr.leaf_depth and not caller.startswith("ember.") and \
                threading.get_ident() == thread:
            _warn_bool(self)
        return tensor_bool(self)

    handles = []
    for name, module in model.named_modules():
        leaf = is_leaf(module)

        def pre(mod, a, name=name, leaf=leaf):
            tr.path.append(name)
            if leaf:
                if not tr.leaf_depth:  # the inputs' keys before the module changes them
                    tensors = tuple(_flatten_tensors(a, []))
                    tr.leaf_inputs.append((tensors, tuple([key_of(t) for t in tensors])))
                tr.leaf_depth += 1

        def post(mod, a, output, name=name, leaf=leaf):
            tr.path.pop()
            if leaf:
                tr.leaf_depth -= 1
                if not tr.leaf_depth:
                    tensors, keys = tr.leaf_inputs.pop()
                    tr.path.append(name)
                    tr.add(mod, tensors, tuple(_flatten_tensors(output, [])), "module", keys)
                    tr.path.pop()

        handles.append(module.register_forward_pre_hook(pre))
        handles.append(module.register_forward_hook(post))
    _function.Node.apply = recording_apply
    _function.NoGradNode.apply = recording_nograd_apply
    Tensor.__bool__ = warning_bool
    _state["exporting"] = True
    try:
        output = model(*args, **kwargs)
    finally:
        _function.Node.apply = node_apply
        _function.NoGradNode.apply = nograd_apply
        Tensor.__bool__ = tensor_bool
        _state["exporting"] = False
        for h in handles:
            h.remove()
    return tr, output
