"""The op table: one small function per ember Node class, emitting its ONNX nodes.

Each function gets the GraphBuilder ``g`` and the Record ``rec`` (the node with its options,
its input and output tensors) and binds the record's outputs with ``g.out``.  ``OPS`` maps the
node's class name to the function; ``MODULES`` (ember/onnx/_modules.py) does the same for the
modules recorded whole.
"""

import math

import numpy as np

from ._graph import unsupported

OPS = {}
_INT64_MAX = np.iinfo(np.int64).max  # Slice's "to the end"


def maps(*names):
    """Register the decorated function for the ember Node classes ``names``."""
    def register(fn):
        for n in names:
            OPS[n] = fn
        return fn
    return register


def out_dtype(rec, i=0):
    return rec.outputs[i]._data.dtype


# ---------------------------------------------------------------------------- element-wise

_UNARY = {"Neg": "Neg", "Sqrt": "Sqrt", "Exp": "Exp", "Log": "Log", "Tanh": "Tanh",
          "Sigmoid": "Sigmoid", "Relu": "Relu", "Erf": "Erf", "Abs": "Abs",
          "Reciprocal": "Reciprocal", "Sin": "Sin", "Cos": "Cos", "Floor": "Floor",
          "Ceil": "Ceil", "Sign": "Sign", "LogicalNot": "Not", "BitwiseNot": "Not"}


@maps(*_UNARY)
def unary(g, rec):
    """One ONNX op of the same meaning (Not only for bool: ~ on integers is not mapped)."""
    name = type(rec.node).__name__
    if name == "BitwiseNot" and out_dtype(rec) != np.bool_:
        raise unsupported(rec, g.model, "bitwise not of integers")
    g.out(rec, g.node(_UNARY[name], [g.inp(rec, 0)]))


@maps("Rsqrt")
def rsqrt(g, rec):
    """1 / sqrt(x)."""
    g.out(rec, g.node("Reciprocal", [g.node("Sqrt", [g.inp(rec, 0)])]))


_BINARY = {"Add": "Add", "Sub": "Sub", "Mul": "Mul", "Div": "Div", "Pow": "Pow",
           "Maximum": "Max", "Minimum": "Min"}


@maps(*_BINARY)
def binary(g, rec):
    """a op b, each operand cast to the result dtype (ember promoted them in forward)."""
    dt = out_dtype(rec)
    if type(rec.node).__name__ == "Div" and getattr(rec.node, "rounding_mode", None):
        raise unsupported(rec, g.model, f"rounding_mode={rec.node.rounding_mode!r}")
    a, b = g.input_as(rec, 0, dt), g.input_as(rec, 1, dt)
    g.out(rec, g.node(_BINARY[type(rec.node).__name__], [a, b]))


@maps("AddAlpha", "SubAlpha")
def binary_alpha(g, rec):
    """a + alpha * b  (a - alpha * b)."""
    dt = out_dtype(rec)
    a, b = g.input_as(rec, 0, dt), g.input_as(rec, 1, dt)
    scaled = g.node("Mul", [b, g.const(np.asarray(rec.node.alpha, dtype=dt))])
    op = "Add" if type(rec.node).__name__ == "AddAlpha" else "Sub"
    g.out(rec, g.node(op, [a, scaled]))


@maps("PowScalar")
def pow_scalar(g, rec):
    """a ** e: x * x for e = 2 (exact, as ember's), Pow otherwise."""
    x = g.inp(rec, 0)
    e = rec.node.exponent
    if e == 2:
        g.out(rec, g.node("Mul", [x, x]))
    elif e == 1:
        g.out(rec, g.node("Identity", [x]))
    else:
        g.out(rec, g.node("Pow", [x, g.const(np.asarray(e, dtype=out_dtype(rec)))]))


_COMPARE = {"equal": "Equal", "greater": "Greater", "less": "Less",
            "greater_equal": "GreaterOrEqual", "less_equal": "LessOrEqual",
            "logical_and": "And", "logical_or": "Or", "logical_xor": "Xor"}


@maps("Elementwise")
def elementwise(g, rec):
    """Comparisons and logic (no gradient): operands cast to their common dtype first."""
    fn = rec.node.fn
    a_dt, b_dt = rec.inputs[0]._data.dtype, rec.inputs[1]._data.dtype
    if fn in ("bitwise_and", "bitwise_or", "bitwise_xor") and a_dt == b_dt == np.bool_:
        fn = "logical_" + fn[len("bitwise_"):]
    if fn.startswith("logical_"):
        common = np.dtype(bool)
    else:
        common = np.result_type(a_dt, b_dt)
    a, b = g.input_as(rec, 0, common), g.input_as(rec, 1, common)
    if fn == "not_equal":
        g.out(rec, g.node("Not", [g.node("Equal", [a, b])]))
    elif fn in _COMPARE:
        g.out(rec, g.node(_COMPARE[fn], [a, b]))
    else:
        raise unsupported(rec, g.model, f"element-wise {fn}")


@maps("Clamp")
def clamp(g, rec):
    """min(max(x, lo), hi) as Clip (a missing bound is left out)."""
    dt = out_dtype(rec)
    lo = "" if rec.node.lo is None else g.const(np.asarray(rec.node.lo, dtype=dt))
    hi = "" if rec.node.hi is None else g.const(np.asarray(rec.node.hi, dtype=dt))
    g.out(rec, g.node("Clip", [g.input_as(rec, 0, dt), lo, hi]))


@maps("Where")
def where(g, rec):
    """condition ? a : b, the condition an option array (a traced bool tensor or constant)."""
    dt = out_dtype(rec)
    cond = g.array(rec, "condition")
    g.out(rec, g.node("Where", [cond, g.input_as(rec, 0, dt), g.input_as(rec, 1, dt)]))


@maps("MaskedFill")
def masked_fill(g, rec):
    """mask ? value : x."""
    dt = out_dtype(rec)
    mask = g.array(rec, "mask")
    g.out(rec, g.node("Where", [mask, g.input_as(rec, 1, dt), g.input_as(rec, 0, dt)]))


@maps("Gelu")
def gelu(g, rec):
    """x * Phi(x): the Gelu op from opset 20, else 0.5 x (1 + erf(x / sqrt 2))."""
    x = g.inp(rec, 0)
    if g.opset >= 20:
        g.out(rec, g.node("Gelu", [x]))
        return
    dt = out_dtype(rec)
    erf = g.node("Erf", [g.node("Mul", [x, g.const(np.asarray(math.sqrt(0.5), dtype=dt))])])
    one_plus = g.node("Add", [erf, g.const(np.asarray(1, dtype=dt))])
    half_x = g.node("Mul", [x, g.const(np.asarray(0.5, dtype=dt))])
    g.out(rec, g.node("Mul", [half_x, one_plus]))


@maps("ToCopy")
def to_copy(g, rec):
    """Tensor.to(dtype): Cast (the device does not exist in ONNX)."""
    g.out(rec, g.input_as(rec, 0, out_dtype(rec)))


@maps("Clone", "Copy", "Contiguous")
def identity(g, rec):
    """A copy: Identity (the value of the last input, for Copy's dst.copy_(src))."""
    src = len(rec.inputs) - 1
    g.out(rec, g.node("Identity", [g.input_as(rec, src, out_dtype(rec))]))


# ---------------------------------------------------------------------------- shapes

@maps("View", "UnsafeView", "Reshape", "Squeeze", "Unsqueeze", "Flatten", "Unflatten", "Alias")
def reshape(g, rec):
    """Any op that only relabels the dims: Reshape to the traced output shape."""
    g.out(rec, g.node("Reshape", [g.inp(rec, 0), g.target_shape(rec)]))


@maps("Expand")
def expand(g, rec):
    """Expand to the traced shape (dynamic dims read from the input's shape)."""
    g.out(rec, g.node("Expand", [g.inp(rec, 0), g.target_shape(rec, minus_one=False)]))


@maps("Transpose")
def transpose(g, rec):
    ndim = rec.inputs[0]._data.ndim
    perm = list(range(ndim))
    if ndim:
        a, b = rec.node.dim0 % ndim, rec.node.dim1 % ndim
        perm[a], perm[b] = perm[b], perm[a]
    g.out(rec, g.node("Transpose", [g.inp(rec, 0)], perm=perm))


@maps("Permute")
def permute(g, rec):
    ndim = rec.inputs[0]._data.ndim
    g.out(rec, g.node("Transpose", [g.inp(rec, 0)], perm=[d % ndim for d in rec.node.dims]))


@maps("BasicIndex")
def basic_index(g, rec):
    """x[ints, slices, None, ...]: one Slice over the indexed dims, then Reshape to the traced
    output shape (which drops the int-indexed dims and inserts the None dims). A slice bound
    that follows a dynamic axis (x[:, :t] with t = idx.size(1)) is read at run time."""
    index = _as_tuple(rec.node.index)
    other = _as_tuple(rec.twin.node.index) if rec.twin is not None else index
    ndim = rec.inputs[0]._data.ndim
    n_real = sum(1 for i in index if i is not None and i is not Ellipsis)
    starts, ends, axes, steps = [], [], [], []
    dim = 0
    for item, item2 in zip(index, other):
        if item is None:
            continue
        if item is Ellipsis:
            dim += ndim - n_real
            continue
        if isinstance(item, slice):
            if item != slice(None):
                step = 1 if item.step is None else item.step
                if step < 0:
                    raise unsupported(rec, g.model, "a negative slice step")
                starts.append(_bound(g, rec, item.start, item2.start, 0))
                ends.append(_bound(g, rec, item.stop, item2.stop, _INT64_MAX))
                axes.append(dim)
                steps.append(step)
        elif isinstance(item, (int, np.integer)):
            if item != item2:
                raise unsupported(rec, g.model, "an integer index that follows a dynamic axis")
            starts.append(int(item))
            ends.append(int(item) + 1 if int(item) != -1 else _INT64_MAX)
            axes.append(dim)
            steps.append(1)
        else:
            raise unsupported(rec, g.model, f"an index of type {type(item).__name__}")
        dim += 1
    x = g.inp(rec, 0)
    if axes:
        x = g.node("Slice", [x, g.int_list(starts), g.int_list(ends), g.ints(axes),
                             g.ints(steps)])
    in_shape = rec.inputs[0]._data.shape
    if rec.outputs[0]._data.shape != in_shape or not axes:
        sliced_same_rank = all(isinstance(i, slice) or i is Ellipsis for i in index)
        if sliced_same_rank:
            g.out(rec, x if axes else g.node("Identity", [x]))
            return
        x = g.node("Reshape", [x, g.target_shape(rec)])
    g.out(rec, x)


def _as_tuple(index):
    return index if isinstance(index, tuple) else (index,)


def _bound(g, rec, v1, v2, default):
    """A slice bound: an int, or (when the two traces differ) the graph input size that
    follows it."""
    if v1 == v2:
        return default if v1 is None else int(v1)
    size = None
    if v1 is not None and v2 is not None and v1 >= 0 and v2 >= 0:
        size = g.dynamic_size(v1, v2)
    if size is None:
        raise unsupported(rec, g.model, f"a slice bound that follows a dynamic axis in a way "
                                        f"the exporter cannot read ({v1} vs {v2})")
    return size


@maps("Tril")
def tril(g, rec):
    """tril/triu: Trilu with diagonal k."""
    k = g.const(np.asarray(rec.node.k, dtype=np.int64))
    g.out(rec, g.node("Trilu", [g.inp(rec, 0), k], upper=int(rec.node.upper)))


@maps("Split")
def split(g, rec):
    """Pieces of the given sizes along dim."""
    ndim = rec.inputs[0]._data.ndim
    sizes = list(rec.node.sizes)
    outs = g.node("Split", [g.inp(rec, 0), g.ints(sizes)], n_out=len(sizes),
                  axis=rec.node.dim % ndim)
    g.out(rec, outs)


@maps("Unbind")
def unbind(g, rec):
    """Split into size-1 pieces, each squeezed."""
    ndim = rec.inputs[0]._data.ndim
    axis = rec.node.dim % ndim
    n = rec.inputs[0]._data.shape[axis]
    pieces = g.node("Split", [g.inp(rec, 0), g.ints([1] * n)], n_out=n, axis=axis)
    if n == 1:
        pieces = [pieces]
    g.out(rec, [g.node("Squeeze", [p, g.ints([axis])]) for p in pieces])


@maps("Cat")
def cat(g, rec):
    dt = out_dtype(rec)
    ndim = rec.outputs[0]._data.ndim
    parts = [g.input_as(rec, i, dt) for i, k in enumerate(rec.node.keep) if k]
    g.out(rec, g.node("Concat", parts, axis=rec.node.dim % ndim))


@maps("Stack")
def stack(g, rec):
    dt = out_dtype(rec)
    ndim = rec.outputs[0]._data.ndim
    axis = rec.node.dim % ndim
    parts = [g.node("Unsqueeze", [g.input_as(rec, i, dt), g.ints([axis])])
             for i in range(len(rec.inputs))]
    g.out(rec, g.node("Concat", parts, axis=axis))


# ---------------------------------------------------------------------------- reductions

def _reduce_axes(rec):
    ndim = rec.inputs[0]._data.ndim
    dims = rec.node.dims
    if dims is None:
        dims = tuple(range(ndim))
    return [d % ndim for d in dims] if ndim else []


@maps("Sum", "Mean")
def reduce(g, rec):
    """ReduceSum / ReduceMean over the traced dims (axes as an input, opset 18's form)."""
    dt = out_dtype(rec)
    x = g.input_as(rec, 0, dt)
    axes = _reduce_axes(rec)
    if not axes:
        g.out(rec, g.node("Identity", [x]))
        return
    op = "ReduceSum" if type(rec.node).__name__ == "Sum" else "ReduceMean"
    if op == "ReduceMean" and g.opset < 18:
        y = g.node(op, [x], axes=axes, keepdims=int(rec.node.keepdim))
    else:
        y = g.node(op, [x, g.ints(axes)], keepdims=int(rec.node.keepdim))
    g.out(rec, y)


@maps("Softmax", "LogSoftmax")
def softmax(g, rec):
    ndim = rec.inputs[0]._data.ndim
    op = type(rec.node).__name__
    g.out(rec, g.node(op, [g.inp(rec, 0)], axis=rec.node.dim % max(ndim, 1)))


# ---------------------------------------------------------------------------- layers

@maps("Linear")
def linear(g, rec):
    """bias + x @ W^T as Gemm(x, W, b, transB=1) (inputs are bias, x, W)."""
    g.out(rec, g.node("Gemm", [g.inp(rec, 1), g.inp(rec, 2), g.inp(rec, 0)], transB=1))


@maps("Matmul", "Mm", "Bmm")
def matmul(g, rec):
    g.out(rec, g.node("MatMul", [g.inp(rec, 0), g.inp(rec, 1)]))


@maps("Conv")
def conv(g, rec):
    """Conv with the node's geometry: kernel, strides, dilations, pads (begins, then ends)."""
    geo = rec.node.geo
    inputs = [g.inp(rec, i) for i in range(len(rec.inputs))]
    g.out(rec, g.node("Conv", inputs, kernel_shape=list(geo.kernel), strides=list(geo.stride),
                      dilations=list(geo.dilation), pads=list(geo.lo) + list(geo.hi),
                      group=geo.groups))


def _pool_pads(w):
    # the window pads ``padding`` at the start and enough at the end to reach the last window
    # (ceil_mode), which ONNX's pads express directly
    return list(w.padding) + [p - s - lo for p, s, lo in zip(w.padded, w.size, w.padding)]


@maps("MaxPool")
def max_pool(g, rec):
    """The maxima of the windows (the indices output is not mapped)."""
    w = rec.node.window
    y = g.node("MaxPool", [g.inp(rec, 0)], kernel_shape=list(w.kernel), strides=list(w.stride),
               dilations=list(w.dilation), pads=_pool_pads(w))
    g.out(rec, y)


@maps("AvgPool")
def avg_pool(g, rec):
    """AveragePool; the extra end padding of ceil_mode is expressed with ceil_mode=1."""
    w = rec.node.window
    if rec.node.divisor_override is not None:
        raise unsupported(rec, g.model, "divisor_override")
    ceil = any(p != s + 2 * lo for p, s, lo in zip(w.padded, w.size, w.padding))
    y = g.node("AveragePool", [g.inp(rec, 0)], kernel_shape=list(w.kernel),
               strides=list(w.stride), pads=list(w.padding) * 2, ceil_mode=int(ceil),
               count_include_pad=int(rec.node.count_include_pad))
    g.out(rec, y)


@maps("Normalize")
def normalize(g, rec):
    """layer_norm as LayerNormalization over the trailing axes (batch_norm in eval mode is
    not this node: it is traced as the element-wise ops of (x - mean) * scale + shift)."""
    node = rec.node
    ndim = rec.inputs[0]._data.ndim
    axes = sorted(a % ndim for a in node.axes)
    if node.per_group or axes != list(range(axes[0], ndim)) or \
            list(node.param_view) != list(rec.inputs[0]._data.shape[axes[0]:]):
        raise unsupported(rec, g.model, "a normalization other than layer_norm")
    dt = out_dtype(rec)
    shape = rec.inputs[0]._data.shape[axes[0]:]
    i = 1
    if node.has_weight:
        scale = g.inp(rec, i)
        i += 1
    else:
        scale = g.const(np.ones(shape, dtype=dt))
    bias = g.inp(rec, i) if node.has_bias else g.const(np.zeros(shape, dtype=dt))
    g.out(rec, g.node("LayerNormalization", [g.inp(rec, 0), scale, bias], axis=axes[0],
                      epsilon=float(node.eps)))


@maps("Embedding")
def embedding(g, rec):
    """weight[indices]: Gather along dim 0 (the indices are the traced integer tensor)."""
    if rec.node.ignore is not None:
        raise unsupported(rec, g.model, "embedding with filler positions")
    idx = g.array(rec, "indices")
    g.out(rec, g.node("Gather", [g.inp(rec, 0), idx], axis=0))


@maps("ScaledDotProductAttention")
def attention(g, rec):
    """softmax(scale q k^T + bias) v, spelled out (MatMul, Mul, Add, Softmax, MatMul).
    NOTE: a row masked everywhere gives NaN in ONNX's Softmax where ember gives 0."""
    node = rec.node
    if node.has_keep:
        raise unsupported(rec, g.model, "attention dropout (export in eval mode)")
    dt = out_dtype(rec)
    q, k, v = g.inp(rec, 0), g.inp(rec, 1), g.inp(rec, 2)
    nd = rec.inputs[1]._data.ndim
    perm = list(range(nd - 2)) + [nd - 1, nd - 2]
    s = g.node("MatMul", [q, g.node("Transpose", [k], perm=perm)])
    s = g.node("Mul", [s, g.const(np.asarray(node.scale, dtype=dt))])
    if node.has_bias:
        s = g.node("Add", [s, g.input_as(rec, 3, dt)])
    p = g.node("Softmax", [s], axis=-1)
    g.out(rec, g.node("MatMul", [p, v]))


@maps("PickAxis")
def pick_axis(g, rec):
    """Nearest-neighbour resampling of one dim: Gather of the traced source positions."""
    g.check_static(rec, "interpolate", rec.node.axis)
    g.out(rec, g.node("Gather", [g.inp(rec, 0), g.ints(rec.node.index)], axis=rec.node.axis))


@maps("ResampleAxis")
def resample_axis(g, rec):
    """Linear/cubic/area resampling of one dim: sum over taps t of
    Gather(x, index[:, t]) * weight[:, t] (weights shaped to broadcast along the axis)."""
    g.check_static(rec, "interpolate", rec.node.axis)
    node = rec.node
    dt = out_dtype(rec)
    ndim = rec.inputs[0]._data.ndim
    axis = node.axis % ndim
    x = g.inp(rec, 0)
    total = None
    for t in range(node.index.shape[1]):
        picked = g.node("Gather", [x, g.ints(node.index[:, t])], axis=axis)
        w = np.asarray(node.weight[:, t], dtype=dt).reshape((-1,) + (1,) * (ndim - 1 - axis))
        term = g.node("Mul", [picked, g.const(w)])
        total = term if total is None else g.node("Add", [total, term])
    g.out(rec, total)


# ---------------------------------------------------------------------------- more ops

@maps("Expm1")
def expm1(g, rec):
    """exp(x) - 1 (ONNX has no expm1: small |x| lose relative digits, not absolute ones)."""
    g.out(rec, g.node("Sub", [g.node("Exp", [g.inp(rec, 0)]), g.scalar(1, rec.outputs[0])]))


@maps("Log1p")
def log1p(g, rec):
    """log(1 + x)."""
    g.out(rec, g.node("Log", [g.node("Add", [g.inp(rec, 0), g.scalar(1, rec.outputs[0])])]))


@maps("ConstantPad")
def constant_pad(g, rec):
    """Pad with a constant: ONNX pads are all begins, then all ends (negative ones crop)."""
    ndim = rec.inputs[0]._data.ndim
    lead = ndim - len(rec.node.pads)
    begins = [0] * lead + [a for a, _ in rec.node.pads]
    ends = [0] * lead + [b for _, b in rec.node.pads]
    value = g.scalar(rec.node.value, rec.outputs[0])
    g.out(rec, g.node("Pad", [g.inp(rec, 0), g.ints(begins + ends), value], mode="constant"))


_EXTREMES = {"_amax": "ReduceMax", "_amin": "ReduceMin"}


@maps("Extreme")
def extreme(g, rec):
    """amax/amin (and max()/min() of everything) as ReduceMax/ReduceMin."""
    op = _EXTREMES.get(getattr(rec.node.fn, "__name__", ""))
    if op is None:
        raise unsupported(rec, g.model, f"the reduction {rec.node.name()}")
    axes = _reduce_axes(rec)
    x = g.inp(rec, 0)
    if not axes:
        g.out(rec, g.node("Identity", [x]))
        return
    g.out(rec, g.node(op, [x, g.ints(axes)], keepdims=int(rec.node.keepdim)))


_FINDERS = {"_argmax_at": "ArgMax", "_argmin_at": "ArgMin"}


@maps("Locate")
def locate(g, rec):
    """argmax/argmin along dim (kept): the first position, as NumPy's and torch's."""
    op = _FINDERS.get(getattr(rec.node.finder, "__name__", ""))
    if op is None:
        raise unsupported(rec, g.model, "this position finder")
    ndim = rec.inputs[0]._data.ndim
    g.out(rec, g.node(op, [g.inp(rec, 0)], axis=rec.node.dim % ndim, keepdims=1))


@maps("TakeAlong")
def take_along(g, rec):
    """x at index along dim (max(dim).values): GatherElements, squeezed unless keepdim."""
    axis = rec.node.dim % rec.inputs[0]._data.ndim
    y = g.node("GatherElements", [g.inp(rec, 0), g.array(rec, "index")], axis=axis)
    if not rec.node.keepdim:
        y = g.node("Squeeze", [y, g.ints([axis])])
    g.out(rec, y)


@maps("Var", "Std")
def variance(g, rec):
    """sum((x - mean)^2) / (n - correction) over dims (n from the traced shape); Std its
    square root."""
    axes = _reduce_axes(rec)
    shape = rec.inputs[0]._data.shape
    if rec.twin is not None:
        for a in axes:
            if shape[a] != rec.twin.inputs[0]._data.shape[a]:
                raise unsupported(rec, g.model, "a variance over a dynamic axis")
    n = int(np.prod([shape[a] for a in axes])) if axes else 1
    x = g.inp(rec, 0)
    d = g.node("Sub", [x, g.node("ReduceMean", [x, g.ints(axes)], keepdims=1)])
    s = g.node("ReduceSum", [g.node("Mul", [d, d]), g.ints(axes)],
               keepdims=int(rec.node.keepdim))
    dof = max(n - rec.node.correction, 0)
    y = g.node("Div", [s, g.scalar(dof, rec.outputs[0])])
    if type(rec.node).__name__ == "Std":
        y = g.node("Sqrt", [y])
    g.out(rec, y)


@maps("Flip")
def flip(g, rec):
    """Reverse dims: Slice from the end with step -1."""
    ndim = rec.inputs[0]._data.ndim
    axes = [d % ndim for d in rec.node.dims]
    if not axes:
        g.out(rec, g.node("Identity", [g.inp(rec, 0)]))
        return
    n = len(axes)
    g.out(rec, g.node("Slice", [g.inp(rec, 0), g.ints([-1] * n), g.ints([-_INT64_MAX] * n),
                                g.ints(axes), g.ints([-1] * n)]))


_NORMS = {1: "ReduceL1", 2: "ReduceL2"}


@maps("VectorNorm")
def vector_norm(g, rec):
    """The 1- and 2-norms over dims (ReduceL1 / ReduceL2)."""
    op = _NORMS.get(rec.node.ord)
    if op is None:
        raise unsupported(rec, g.model, f"vector norm of order {rec.node.ord}")
    x = g.inp(rec, 0)
    axes = _reduce_axes(rec)
    g.out(rec, g.node(op, [x, g.ints(axes)], keepdims=int(rec.node.keepdim)))


@maps("Cumsum")
def cumsum(g, rec):
    ndim = max(rec.inputs[0]._data.ndim, 1)
    x = g.input_as(rec, 0, out_dtype(rec))
    axis = g.const(np.asarray(rec.node.dim % ndim, dtype=np.int64))
    g.out(rec, g.node("CumSum", [x, axis], reverse=int(rec.node.reverse)))


@maps("Einsum")
def einsum(g, rec):
    eq = ",".join(rec.node.inputs) + "->" + rec.node.output
    dt = out_dtype(rec)
    g.out(rec, g.node("Einsum", [g.input_as(rec, i, dt) for i in range(len(rec.inputs))],
                      equation=eq))


@maps("Repeat")
def repeat(g, rec):
    """Tensor.repeat: Tile (after adding the leading dims repeat adds)."""
    reps = list(rec.node.reps)
    x = g.inp(rec, 0)
    lead = len(reps) - rec.inputs[0]._data.ndim
    if lead:
        x = g.node("Unsqueeze", [x, g.ints(list(range(lead)))])
    g.out(rec, g.node("Tile", [x, g.ints(reps)]))


@maps("AdvancedIndex")
def advanced_index(g, rec):
    """x[..., idx, ...] with one integer index array among full slices: Gather."""
    index = rec.node.index if isinstance(rec.node.index, tuple) else (rec.node.index,)
    arrays = [k for k, i in enumerate(index) if isinstance(i, np.ndarray)]
    rest_full = all(isinstance(i, slice) and i == slice(None)
                    for k, i in enumerate(index) if k not in arrays)
    if len(arrays) != 1 or not rest_full or index[arrays[0]].dtype.kind not in "iu":
        raise unsupported(rec, g.model, "indexing other than one integer array")
    k = arrays[0]

    def get(node):
        return (node.index if isinstance(node.index, tuple) else (node.index,))[k]

    idx = g.array(rec, get)
    g.out(rec, g.node("Gather", [g.inp(rec, 0), idx], axis=k))
