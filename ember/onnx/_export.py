"""ember.onnx.export: trace the model (ember/onnx/_trace.py), build the ONNX graph
(ember/onnx/_graph.py with the op table in _ops.py and _modules.py), check and write it."""

import inspect
import io
import os
import warnings

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad
from ..ops import join as _join
from ._graph import GraphBuilder, elem_type, fuse_scale_shift, op_name, unsupported
from ._modules import module_emitter
from ._ops import OPS
from ._trace import key_of, trace
from .errors import OnnxExporterError

# NOTE: opset 18 is the default. It is the opset torch's own exporter library is written at
# (torch 2.13's TORCHLIB_OPSET), onnx 1.23 writes opsets up to 28 and onnxruntime 1.32 runs
# every op used here at 18; runtimes of the last three years (onnxruntime >= 1.14) run it,
# where 20+ needs onnxruntime >= 1.17. Opset 17 is the lowest accepted: it is where
# LayerNormalization appears (every transformer needs it).
DEFAULT_OPSET = 18
MIN_OPSET = 17


def _require_onnx():
    try:
        import onnx
    except ImportError:
        raise ImportError(
            "ember.onnx.export needs the onnx package: pip install 'ember[onnx]' "
            "(or pip install onnx)") from None
    return onnx


def _map_tensors(obj, fn):
    """obj with every tensor t (in tuples, lists, dict values) replaced by fn(t)."""
    if isinstance(obj, Tensor):
        return fn(obj)
    if isinstance(obj, tuple):
        return tuple(_map_tensors(o, fn) for o in obj)
    if isinstance(obj, list):
        return [_map_tensors(o, fn) for o in obj]
    if isinstance(obj, dict):
        return {k: _map_tensors(v, fn) for k, v in obj.items()}
    return obj


def _flat(obj):
    out = []
    _map_tensors(obj, out.append)
    return out


def _traceable(t):
    """A fresh tensor with t's values that records the graph: floating tensors require grad
    (so every op on them records its node); integer and bool tensors cannot, and are
    followed through the arrays they share with their results."""
    c = t.detach()
    if t.dtype.is_floating_point:
        c.requires_grad_(True)
    return c


def _resized(t, axes, shrink):
    """t one larger along each of ``axes`` (its first slice repeated, so indices stay in
    range), or one smaller along those with 3 or more elements when ``shrink``: the second
    trace's input."""
    for a in axes:
        if shrink and t.shape[a] >= 3:
            t = t.narrow(a, 0, t.shape[a] - 1)
        else:
            t = _join.cat([t, t.narrow(a, 0, 1)], a)
    return t


def _dynamic_axes(dynamic_axes, names):
    """{name: {dim: symbol}} from torch's two spellings (a dict per name, or a list of dims,
    which get torch's names '<name>_dynamic_axes_<k>')."""
    result = {}
    for name, axes in (dynamic_axes or {}).items():
        if name not in names:
            warnings.warn(f"Provided key {name} for dynamic axes is not a valid input/output "
                          "name", stacklevel=3)
            continue
        if isinstance(axes, dict):
            result[name] = {int(d): str(s) for d, s in axes.items()}
        else:
            result[name] = {int(d): f"{name}_dynamic_axes_{k + 1}" for k, d in enumerate(axes)}
    return result


def _default_input_names(model, n):
    """The names of forward's parameters (as torch's dynamo exporter), then input_<i>."""
    try:
        params = [p.name for p in inspect.signature(model.forward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    return [params[i] if i < len(params) else f"input_{i}" for i in range(n)]


def _run(model, args, kwargs):
    with enable_grad():
        args = _map_tensors(args, _traceable)
        kwargs = _map_tensors(kwargs, _traceable)
        tr, output = trace(model, args, kwargs, _is_leaf)
    return tr, _flat(args) + _flat(kwargs), _flat(output)


def _second_trace(model, args, kwargs, in_names, dyn):
    """Trace again with every dynamic axis one larger, or, if the model refuses that size (a
    sequence already at its block size), with the axes of 3 or more one smaller (sizes 1
    and 2 only grow: they could be mistaken for broadcast dims)."""
    inputs = _flat(args) + _flat(kwargs)
    can_shrink = any(t.shape[a] >= 3 for name, t in zip(in_names, inputs)
                     for a in dyn.get(name, {}))
    for shrink in (False, True):
        position = iter(range(len(inputs)))

        def resize(t, position=position, shrink=shrink):
            name = in_names[next(position)]
            return _resized(t, sorted(dyn[name]), shrink) if name in dyn else t

        try:
            return _run(model, _map_tensors(args, resize), _map_tensors(kwargs, resize))
        except Exception as e:  # noqa: BLE001 - the model's own error at that size
            if shrink or not can_shrink:
                raise OnnxExporterError(
                    "ember.onnx.export: the model fails when a dynamic axis has another size "
                    f"({type(e).__name__}: {e}); ember traces it at two sizes to find what "
                    "follows the axis") from e


def _is_leaf(module):
    return module_emitter(module) is not None


def _pair_traces(tr1, tr2):
    if len(tr1.records) != len(tr2.records) or any(
            type(a.node) is not type(b.node) for a, b in zip(tr1.records, tr2.records)):
        raise OnnxExporterError(
            "ember.onnx.export: the model runs different ops when a dynamic axis has another "
            "size (a Python branch or loop on a size); export it without dynamic_axes")
    for a, b in zip(tr1.records, tr2.records):
        a.twin = b


def _option_arrays(node):
    """The NumPy arrays an op keeps as options (indices, masks): they may be traced values."""
    d = getattr(node, "__dict__", None) or {}
    return [v for v in d.values() if isinstance(v, np.ndarray)]


def export(model, args=(), f=None, *, kwargs=None, verbose=None, input_names=None,
           output_names=None, opset_version=None, dynamo=True, export_params=True,
           dynamic_axes=None, do_constant_folding=True):
    """Write ``model`` as an ONNX file ``f`` (a path or a binary file object); return the
    ``onnx.ModelProto``.

    The model runs once in eval mode on ``args`` (a tensor or a tuple; a trailing dict is
    keyword arguments, as ``kwargs``) while ember records its ops; each op becomes ONNX nodes.
    Parameters and buffers become initializers named as in ``state_dict`` (graph inputs
    instead with ``export_params=False``). ``dynamic_axes`` ({name: {dim: symbol}} or {name:
    [dims]}) makes those dims symbolic: the model is traced a second time with each of them
    one larger, to find which sizes follow them. ``do_constant_folding`` computes ops whose
    inputs are all constants (parameters included) at export time, as torch does (a
    BatchNorm in eval mode becomes one scale and one shift). ``dynamo`` picks torch's
    exporter; ember has one, and ``dynamo=False`` warns as torch does. ``verbose`` prints the
    graph.  Default opset: 18 (see DEFAULT_OPSET)."""
    onnx = _require_onnx()
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    if not MIN_OPSET <= opset <= onnx.defs.onnx_opset_version():
        raise ValueError(f"ember.onnx.export writes opsets {MIN_OPSET} to "
                         f"{onnx.defs.onnx_opset_version()}, got opset_version={opset}")
    if not dynamo:
        warnings.warn("You are using the legacy TorchScript-based ONNX export. Starting in "
                      "PyTorch 2.9, the new torch.export-based ONNX exporter has become the "
                      "default. (ember has one exporter: the same file either way.)",
                      DeprecationWarning, stacklevel=2)
    if isinstance(args, Tensor):
        args = (args,)
    args = tuple(args)
    if kwargs is None and args and isinstance(args[-1], dict):
        args, kwargs = args[:-1], args[-1]
    kwargs = dict(kwargs or {})

    was_training = model.training
    model.eval()
    try:
        proto = _export(onnx, model, args, kwargs, input_names, output_names, opset,
                        export_params, dynamic_axes, do_constant_folding)
    finally:
        model.train(was_training)
    if verbose:
        print(onnx.printer.to_text(proto.graph))
    if f is not None:
        data = proto.SerializeToString()
        if isinstance(f, (str, os.PathLike)):
            with open(f, "wb") as fh:
                fh.write(data)
        elif isinstance(f, io.TextIOBase):
            raise TypeError("ember.onnx.export: f must be a path or a binary file object")
        else:
            f.write(data)
    return proto


def _export(onnx, model, args, kwargs, input_names, output_names, opset, export_params,
            dynamic_axes, fold):
    helper = onnx.helper
    tr, inputs, outputs = _run(model, args, kwargs)
    n_in = len(inputs)
    in_names = list(input_names or [])
    if len(in_names) > n_in:
        raise ValueError(f"ember.onnx.export: {len(in_names)} input_names for {n_in} inputs")
    in_names += _default_input_names(model, n_in)[len(in_names):]
    out_names = list(output_names or [])
    if len(out_names) > len(outputs):
        raise ValueError(f"ember.onnx.export: {len(out_names)} output_names for "
                         f"{len(outputs)} outputs")
    out_names += [f"output_{i}" if len(outputs) > 1 else "output"
                  for i in range(len(out_names), len(outputs))]
    dyn = _dynamic_axes(dynamic_axes, in_names + out_names)

    outputs2 = inputs2 = None
    if any(n in dyn for n in in_names):
        tr2, inputs2, outputs2 = _second_trace(model, args, kwargs, in_names, dyn)
        _pair_traces(tr, tr2)

    g = GraphBuilder(model, opset, fold, export_params)
    state_names = set(model.state_dict())
    for name in out_names:
        if name in in_names or name in state_names or out_names.count(name) > 1:
            raise ValueError(f"ember.onnx.export: output name {name!r} is already the name of "
                             "an input, a parameter, a buffer or another output")
    # the values made inside never take these names
    g.used_names.update(out_names)
    g.used_names.update(state_names)
    graph_inputs = []
    for idx, (name, t) in enumerate(zip(in_names, inputs)):
        g.used_names.add(name)
        g.bind(key_of(t), name, t)
        dims = [dyn.get(name, {}).get(d, s) for d, s in enumerate(t._data.shape)]
        graph_inputs.append(helper.make_tensor_value_info(name, elem_type(t._data.dtype), dims))
        if inputs2 is not None:  # where sizes that follow the dynamic axes can be read
            for axis in dyn.get(name, {}):
                g.input_dims.append((name, axis, t._data.shape[axis],
                                     inputs2[idx]._data.shape[axis]))
    for rec in tr.records:
        for k, t in zip(rec.out_keys, rec.outputs):
            g.arrays[id(t._data)] = k
    # parameters and buffers: initializers named as in state_dict, made when first used
    for name, p in list(model.named_parameters()) + list(model.named_buffers()):
        g.params[key_of(p)] = (name, p)

    # the ops the outputs depend on
    out_keys = [key_of(t) for t in outputs]
    needed_keys = set(out_keys)
    needed = [False] * len(tr.records)
    for i in range(len(tr.records) - 1, -1, -1):
        rec = tr.records[i]
        if any(k in needed_keys for k in rec.out_keys):
            needed[i] = True
            needed_keys.update(rec.in_keys)
            for arr in _option_arrays(rec.node) if rec.kind == "op" else ():
                k = g.arrays.get(id(arr))
                if k is not None:
                    needed_keys.add(k)

    for rec, need in zip(tr.records, needed):
        if not need:
            continue
        if fold and rec.kind == "op" and _same_shapes(rec) and _all_constant(g, rec):
            for k, t in zip(rec.out_keys, rec.outputs):
                g.bind(k, g.const(t._data, "_folded"), t)
            continue
        emit = OPS.get(type(rec.node).__name__) if rec.kind == "op" else module_emitter(rec.node)
        if emit is None:
            raise unsupported(rec, model)
        emit(g, rec)

    if fold:
        g.graph_output_names = {g.name_of_key(k, t) for k, t in zip(out_keys, outputs)}
        fuse_scale_shift(g)

    # outputs: the producing node's value takes the output's name
    graph_outputs = []
    produced = {o for n in g.nodes for o in n.output}
    renamed = {}  # inner name -> the output name it became
    for i, (name, t, key) in enumerate(zip(out_names, outputs, out_keys)):
        inner = g.name_of_key(key, t)
        if inner in produced and inner not in renamed:
            _rename(g.nodes, inner, name)
            renamed[inner] = name
        else:  # a graph input, an initializer, or a value already given to an output
            src = renamed.get(inner, inner)
            g.nodes.append(helper.make_node("Identity", [src], [name], name=f"n.output_{i}"))
        shape2 = outputs2[i]._data.shape if outputs2 is not None else t._data.shape
        dims = []
        for d, (s1, s2) in enumerate(zip(t._data.shape, shape2)):
            if d in dyn.get(name, {}):
                dims.append(dyn[name][d])
            elif s1 != s2:
                dims.append(f"{name}_dim_{d}")
            else:
                dims.append(s1)
        graph_outputs.append(helper.make_tensor_value_info(name, elem_type(t._data.dtype), dims))

    # initializers and parameter inputs that only folded ops read are left out
    read = {v for n in g.nodes for v in n.input}
    inits = [t for t in g.initializers if t.name in read]
    order = {name: i for i, (name, _) in enumerate(g.params.values())}
    param_inputs = sorted([v for v in g.param_inputs if v.name in read],
                          key=lambda v: order[v.name])
    graph = helper.make_graph(g.nodes, type(model).__name__, graph_inputs + param_inputs,
                              graph_outputs, initializer=inits)
    opsets = [helper.make_opsetid("", opset)]
    proto = helper.make_model(graph, opset_imports=opsets, producer_name="ember")
    proto.ir_version = helper.find_min_ir_version_for(opsets)
    onnx.checker.check_model(proto)
    return proto


def _same_shapes(rec):
    """False when an output's shape follows a dynamic axis (such an op is not folded: its
    value at the traced size would be wrong at another)."""
    if rec.twin is None:
        return True
    return all(a._data.shape == b._data.shape for a, b in zip(rec.outputs, rec.twin.outputs))


def _all_constant(g, rec):
    """True when every input of the op (option arrays included) is known at export time."""
    for i in range(len(rec.inputs)):
        if g.inp(rec, i) not in g.foldable:
            return False
    for arr in _option_arrays(rec.node):
        k = g.arrays.get(id(arr))
        if k is not None and k in g.names and g.names[k] not in g.foldable:
            return False
    return True


def _rename(nodes, old, new):
    for n in nodes:
        for i, v in enumerate(n.input):
            if v == old:
                n.input[i] = new
        for i, v in enumerate(n.output):
            if v == old:
                n.output[i] = new


__all__ = ["export", "DEFAULT_OPSET", "op_name"]
