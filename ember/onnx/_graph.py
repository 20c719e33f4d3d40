"""GraphBuilder: turns a Trace (ember/onnx/_trace.py) into an ONNX GraphProto.

It names every traced tensor, makes initializers (parameters and buffers under their
state_dict names; other constants as ``_const_N``), folds ops whose inputs are all constants
into their traced value (``do_constant_folding``), and asks the op table (ember/onnx/_ops.py)
to emit the ONNX nodes of every other op that the outputs depend on.

Dynamic axes: when the model was traced a second time with the dynamic axes one larger, each
record has a ``twin``.  A dim that differs between the two traces depends on a dynamic axis;
the shape targets of Reshape/Expand then read it at run time (``Shape`` + ``Gather`` of the
input dim that has the same sizes in both traces) or leave it to Reshape's -1.
"""

import numpy as np

from .errors import OnnxExporterError, UnsupportedOperatorError


def _onnx():
    import onnx
    return onnx


def elem_type(np_dtype):
    """The ONNX TensorProto element type of a NumPy dtype."""
    onnx = _onnx()
    if np_dtype == np.dtype(bool):
        return onnx.TensorProto.BOOL
    return onnx.helper.np_dtype_to_tensor_dtype(np.dtype(np_dtype))


class GraphBuilder:
    """Collects nodes, initializers and names while the ops are emitted in trace order."""

    def __init__(self, model, opset, fold, export_params=True):
        self.model = model
        self.opset = opset
        self.fold = fold
        self.export_params = export_params
        self.nodes = []
        self.initializers = []
        self.names = {}  # trace key -> ONNX value name
        self.arrays = {}  # id(backend array) -> trace key (for options holding arrays)
        self.constant = {}  # ONNX name -> value, for names known before running the graph
        self.foldable = set()  # constant names that constant folding may compute through
        self.used_names = set()
        self.graph_output_names = set()  # inner names of the model's outputs (kept by passes)
        self.params = {}  # trace key -> (state_dict name, tensor): set by export
        self.param_inputs = []  # value infos of the parameters (export_params=False)
        self.input_dims = []  # (graph input name, axis, size in trace 1, size in trace 2)
        self._sizes = {}  # (graph input name, axis) -> its 1-element size value
        self._count = 0

    # ------------------------------------------------------------------ names and values

    def fresh(self, hint):
        """A new unique value name starting with ``hint``."""
        hint = hint.replace("/", ".") or "v"
        name = hint
        while name in self.used_names:
            self._count += 1
            name = f"{hint}_{self._count}"
        self.used_names.add(name)
        return name

    def bind(self, key, name, t=None):
        self.names[key] = name
        if t is not None:
            self.arrays[id(t._data)] = key

    def const(self, value, hint="_const", foldable=True):
        """An initializer holding ``value`` (a NumPy array); returns its name."""
        onnx = _onnx()
        value = np.asarray(value)
        name = self.fresh(hint)
        self.initializers.append(onnx.numpy_helper.from_array(c_order(value), name))
        self.constant[name] = value
        if foldable:
            self.foldable.add(name)
        return name

    def ints(self, values):
        """An int64 1-D constant (shapes, axes, starts, ...)."""
        return self.const(np.asarray(values, dtype=np.int64).reshape(-1))

    def scalar(self, value, like):
        """A 0-dim constant of the dtype of the traced tensor ``like``."""
        return self.const(np.asarray(value, dtype=like._data.dtype))

    def name_of_key(self, key, t):
        """The ONNX name of the traced tensor ``t`` known by ``key``."""
        if key in self.names:
            return self.names[key]
        if key in self.params:
            return self._param(key, t)
        # a tensor outside the recorded ops: a detach()-ed or aliased tensor shares an array
        alias = self.arrays.get(id(t._data))
        if alias is not None and alias in self.names:
            return self.names[alias]
        if t.requires_grad:
            raise OnnxExporterError(
                f"ember.onnx.export: a tensor of shape {tuple(t.shape)} used by the model was "
                "computed from the inputs or parameters by something the exporter could not "
                "record (an op outside ember's autograd nodes); it cannot be exported")
        name = self.const(t._data)
        self.bind(key, name, t)
        return name

    def _param(self, key, t):
        """A parameter or buffer, when first used: an initializer under its state_dict name
        (with export_params=False a graph input of that name)."""
        onnx = _onnx()
        name, p = self.params[key]
        if self.export_params:
            self.initializers.append(onnx.numpy_helper.from_array(c_order(p._data), name))
            self.constant[name] = p._data
            if self.fold:
                self.foldable.add(name)
        else:
            self.param_inputs.append(onnx.helper.make_tensor_value_info(
                name, elem_type(p._data.dtype), list(p._data.shape)))
        self.bind(key, name, t)
        return name

    def inp(self, rec, i):
        """The ONNX name of input ``i`` of a record."""
        known = rec.in_keys[i] in self.names
        name = self.name_of_key(rec.in_keys[i], rec.inputs[i])
        if not known and name in self.constant and rec.twin is not None:
            a, b = rec.inputs[i]._data, rec.twin.inputs[i]._data
            if np.shape(a) != np.shape(b):
                name = self._dynamic_constant(rec, a, b)
                self.bind(rec.in_keys[i], name)
        return name

    def array(self, rec, attr):
        """The ONNX name of the backend array ``rec.node.<attr>`` (or ``attr(rec.node)``)
        held as an op option (an embedding's indices, a mask): a traced tensor's value if it
        is one, else a constant."""
        get = attr if callable(attr) else (lambda node: getattr(node, attr))
        arr = get(rec.node)
        key = self.arrays.get(id(arr))
        if key is not None and key in self.names:
            return self.names[key]
        if rec.twin is not None and np.shape(arr) != np.shape(get(rec.twin.node)):
            return self._dynamic_constant(rec, arr, get(rec.twin.node))
        return self.const(np.asarray(arr))

    def dynamic_size(self, v1, v2):
        """A 1-element int64 value for a size that is v1 in the first trace and v2 in the
        second: a graph input's dynamic dim with those sizes, read at run time (None if no
        input has one)."""
        for name, axis, s1, s2 in self.input_dims:
            if (s1, s2) == (v1, v2):
                if (name, axis) not in self._sizes:
                    self._sizes[name, axis] = self.dim_of(name, axis)
                return self._sizes[name, axis]
        return None

    def dim_of(self, name, axis):
        """The size of dim ``axis`` of value ``name`` at run time, as a 1-element int64.
        NOTE: Shape's start/end, not Gather on the shape: onnxruntime 1.32's extended
        optimizations rewrite Gather(Shape(x), [i]) into a Slice that fails at run time."""
        return self.node("Shape", [name], start=axis, end=axis + 1)

    def int_list(self, values):
        """A 1-D int64 value from ints and 1-element size values (names)."""
        if all(isinstance(v, (int, np.integer)) for v in values):
            return self.ints(values)
        return self.node("Concat", [v if isinstance(v, str) else self.ints([v])
                                    for v in values], axis=0)

    def _dynamic_constant(self, rec, a, b):
        """A tensor made inside forward whose shape follows a dynamic axis (a and b: its
        values in the two traces). Two kinds are rebuilt at run time, with their sizes read
        from the graph inputs: one value everywhere (zeros, ones, full: ConstantOfShape) and
        0, 1, 2, ... (arange: Range). Anything else is an error."""
        onnx = _onnx()
        a, b = np.asarray(a), np.asarray(b)
        sizes = []
        if a.ndim == b.ndim:
            for d1, d2 in zip(a.shape, b.shape):
                sizes.append(d1 if d1 == d2 else self.dynamic_size(d1, d2))
        if not sizes or any(s is None for s in sizes):
            self._same_shape(rec, a, b)
        if a.size and b.size and (a == a.flat[0]).all() and (b == a.flat[0]).all():
            value = onnx.numpy_helper.from_array(a.reshape(-1)[:1].copy())
            return self.node("ConstantOfShape", [self.int_list(sizes)], value=value)
        if a.ndim == 1 and np.array_equal(a, np.arange(a.size)) and \
                np.array_equal(b, np.arange(b.size)):
            n = self.node("Squeeze", [sizes[0], self.ints([0])])
            zero = self.const(np.asarray(0, dtype=np.int64))
            one = self.const(np.asarray(1, dtype=np.int64))
            return self.cast_to(self.node("Range", [zero, n, one]), np.int64, a.dtype)
        self._same_shape(rec, a, b)

    def _same_shape(self, rec, a, b):
        """A constant of the trace must not change with the dynamic axes."""
        if np.shape(a) != np.shape(b):
            raise OnnxExporterError(
                f"ember.onnx.export: {op_name(rec)} in module '{rec.module}' reads a tensor "
                f"made inside forward whose shape follows a dynamic axis ({np.shape(a)} at one "
                f"size, {np.shape(b)} at another; e.g. arange(x.size(1))); the exporter "
                "records it as a constant. Pass it as an input, slice it from a buffer, or "
                "leave that axis static")

    # ------------------------------------------------------------------ nodes

    def node(self, op, inputs, n_out=1, hint=None, **attrs):
        """Append an ONNX node; returns its output name (a list when n_out > 1)."""
        onnx = _onnx()
        outs = [self.fresh(hint or op) for _ in range(n_out)]
        self.nodes.append(onnx.helper.make_node(op, list(inputs), outs,
                                                name=self.fresh("n." + op), **attrs))
        return outs[0] if n_out == 1 else outs

    def out(self, rec, names):
        """Bind the record's outputs to ONNX names (one name or a list)."""
        if isinstance(names, str):
            names = [names]
        for key, t, name in zip(rec.out_keys, rec.outputs, names):
            self.bind(key, name, t)

    def cast_to(self, name, src_dtype, dst_dtype):
        """``name`` cast to ``dst_dtype`` when the dtypes differ."""
        if np.dtype(src_dtype) == np.dtype(dst_dtype):
            return name
        return self.node("Cast", [name], to=elem_type(dst_dtype))

    def input_as(self, rec, i, dtype):
        """Input ``i`` of ``rec`` cast to ``dtype`` when needed."""
        return self.cast_to(self.inp(rec, i), rec.inputs[i]._data.dtype, dtype)

    # ------------------------------------------------------------------ dynamic shapes

    def target_shape(self, rec, src=0, out=0, minus_one=True):
        """A 1-D int64 value for the shape of output ``out`` (for Reshape or Expand); dims
        that depend on a dynamic axis are read from input ``src`` at run time."""
        out1 = tuple(rec.outputs[out]._data.shape)
        twin = rec.twin
        out2 = tuple(twin.outputs[out]._data.shape) if twin is not None else out1
        dyn = [i for i in range(len(out1)) if out1[i] != out2[i]]
        if not dyn:
            return self.ints(out1)
        if minus_one and len(dyn) == 1:
            s = list(out1)
            s[dyn[0]] = -1
            return self.ints(s)
        in1 = tuple(rec.inputs[src]._data.shape)
        in2 = tuple(twin.inputs[src]._data.shape)
        parts = []
        left = [i for i in dyn]
        for i in range(len(out1)):
            if i not in dyn:
                parts.append(out1[i])
                continue
            same = [j for j in range(len(in1)) if in1[j] == out1[i] and in2[j] == out2[i]]
            size = None if same else self.dynamic_size(out1[i], out2[i])
            if same:
                j = i if i in same else same[0]  # the same position first
                parts.append(self.dim_of(self.inp(rec, src), j))
                left.remove(i)
            elif size is not None:
                parts.append(size)
                left.remove(i)
            else:
                parts.append(None)
        if len(left) > 1 or (left and not minus_one):
            raise OnnxExporterError(
                f"ember.onnx.export: the output shape of {op_name(rec)} (in module "
                f"'{rec.module}') depends on the dynamic axes in a way the exporter cannot "
                f"express ({out1} at one size, {out2} at another)")
        return self.int_list([p if p is not None else -1 for p in parts])

    def check_static(self, rec, what, axis):
        """Raise if dim ``axis`` of the op's input or output changes with the dynamic axes
        (for ops whose mapping bakes that size in)."""
        if rec.twin is None:
            return
        for a, b in zip(rec.inputs[:1] + rec.outputs, rec.twin.inputs[:1] + rec.twin.outputs):
            if a._data.shape[axis] != b._data.shape[axis]:
                raise OnnxExporterError(
                    f"ember.onnx.export: {what} in module '{rec.module}' has an output whose "
                    f"shape changes with the dynamic axes ({tuple(a.shape)} vs "
                    f"{tuple(b.shape)}); the exporter maps it with fixed sizes")


def op_name(rec):
    if rec.kind == "module":
        return type(rec.node).__name__
    return f"{type(rec.node).__name__} ({rec.node.name()})"


def unsupported(rec, model, detail=""):
    path = rec.module
    try:
        where = type(model.get_submodule(path)).__name__ if path else type(model).__name__
    except Exception:  # noqa: BLE001 - a path the model no longer has: name it anyway
        where = "?"
    shown = path if path else "<top-level model>"
    return UnsupportedOperatorError(
        f"ember.onnx.export: no ONNX mapping for the op {op_name(rec)}, called in module "
        f"'{shown}' ({where}){': ' + detail if detail else ''}. Rewrite that part with ops the "
        f"exporter maps (see ember.onnx.supported_ops()) or export from torch.")


def fuse_scale_shift(g):
    """Fold a per-channel scale and shift that follow a Conv or a Gemm into its weight and
    bias: y = (x * W + b) * s + t = x * (W s) + (b s + t). An eval-mode BatchNorm traces as
    exactly this (its statistics folded into s and t), so after this pass it costs nothing,
    as in torch's export. Only when the Conv/Gemm output feeds the Mul alone, the Mul the Add
    alone, and s and t are constants of one value per output channel."""
    onnx = _onnx()
    consumers = {}
    for n in g.nodes:
        for v in n.input:
            consumers.setdefault(v, []).append(n)
    outputs = set(g.graph_output_names)
    removed = set()
    for n in list(g.nodes):
        if n.op_type not in ("Conv", "Gemm") or id(n) in removed:
            continue
        y = n.output[0]
        mul = _only_consumer(consumers, y, "Mul", outputs)
        if mul is None:
            continue
        add = _only_consumer(consumers, mul.output[0], "Add", outputs - {mul.output[0]})
        s = _other_input(mul, y)
        t = _other_input(add, mul.output[0]) if add is not None else None
        w = n.input[1]
        if s not in g.constant or t not in g.constant or w not in g.constant:
            continue
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        if n.op_type == "Gemm" and (attrs.get("transB") != 1 or set(attrs) != {"transB"}):
            continue
        weight = g.constant[w]
        channels = weight.shape[0]
        rank = weight.ndim if n.op_type == "Conv" else 2
        scale = _per_channel(g.constant[s], channels, rank, n.op_type)
        shift = _per_channel(g.constant[t], channels, rank, n.op_type)
        if scale is None or shift is None:
            continue
        bias = g.constant.get(n.input[2]) if len(n.input) > 2 and n.input[2] else \
            np.zeros(channels, weight.dtype)
        if bias is None:
            continue
        dt = weight.dtype
        w_new = (weight * scale.reshape((channels,) + (1,) * (weight.ndim - 1))).astype(dt)
        b_new = (bias * scale + shift).astype(dt)
        layer = w.rsplit(".", 1)[0]
        inputs = [n.input[0], g.const(w_new, "_fused." + w),
                  g.const(b_new, f"_fused.{layer}.bias")]
        fused = onnx.helper.make_node(n.op_type, inputs, [add.output[0]], name=n.name)
        fused.attribute.extend(n.attribute)
        i = g.nodes.index(n)
        g.nodes[i] = fused
        g.nodes.remove(mul)
        g.nodes.remove(add)
        removed.update((id(mul), id(add)))


def _only_consumer(consumers, value, op, outputs):
    users = consumers.get(value, [])
    if len(users) != 1 or users[0].op_type != op or value in outputs:
        return None
    return users[0]


def _other_input(node, value):
    if node is None or len(node.input) != 2:
        return None
    a, b = node.input
    return b if a == value else (a if b == value else None)


def _per_channel(value, channels, rank, op):
    """``value`` as one number per output channel, if it broadcasts that way against the
    output (Conv: shape (C, 1, ...) or less; Gemm: shape (C,) or (1, C)); else None."""
    v = np.asarray(value)
    if op == "Conv":
        squeezed = v.reshape(v.shape[:1]) if v.ndim and all(d == 1 for d in v.shape[1:]) \
            else None
        if squeezed is None or v.ndim != rank - 1:
            return None
    else:
        if v.ndim == 0 or any(d != 1 for d in v.shape[:-1]):
            return None
        squeezed = v.reshape(v.shape[-1:])
    if squeezed.shape == (1,):
        return np.broadcast_to(squeezed, (channels,))
    return squeezed if squeezed.shape == (channels,) else None


def c_order(value):
    """``value`` as a C-ordered array of the same shape (np.ascontiguousarray would make a
    0-dim array 1-dim)."""
    value = np.asarray(value)
    return value if value.flags.c_contiguous else value.copy(order="C")
