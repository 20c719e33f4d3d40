"""Seeing the autograd graph: ``make_dot`` draws it (Graphviz DOT), ``explain`` prints it as text.

The graph is read the way the engine reads it: from a tensor's ``grad_fn`` down through each
node's ``next_functions`` to the leaves.  ``make_dot`` follows torchviz's conventions, so pictures
look like the ones in PyTorch tutorials:

- the output tensor is a green box (``darkolivegreen1``), the base of a view a darker green,
- each op is a grey box with PyTorch's node name (``AddmmBackward0``); ember adds the shape and
  dtype of the value the op produced,
- a leaf that requires grad appears as an ``AccumulateGrad`` op fed by a light-blue box with the
  parameter's name (from ``params``) and shape,
- with ``show_saved=True`` the values an op saved for backward are orange boxes.

``make_dot`` returns a ``graphviz.Digraph`` when the ``graphviz`` package is installed
(``pip install ember[viz]``); otherwise an ember ``Digraph`` holding the same DOT text.  Rendering
to SVG/PNG needs the Graphviz ``dot`` program as well.

``explain(tensor)`` prints the same graph as an indented tree with shape, dtype and device per
node; ``explain(tensor.grad_fn)`` (any node) shows the maths of that op's gradient and the Python
source of its ``backward``, so you can jump from the picture to the formula.
"""

import inspect
import shutil

from .. import _tensor
from ..autograd.function import AccumulateGrad, BackwardFunction

__all__ = ["make_dot", "explain", "Digraph"]

_NODE_STYLE = dict(style="filled", shape="box", align="left", fontsize="10", ranksep="0.1",
                   height="0.2", fontname="monospace")
_OUTPUT_COLOR = "darkolivegreen1"
_BASE_COLOR = "darkolivegreen3"
_PARAM_COLOR = "lightblue"
_SAVED_COLOR = "orange"


def _size_to_str(shape):
    return "(" + ", ".join(str(int(s)) for s in shape) + ")"


def _dtype_name(dtype):
    return str(dtype).split(".")[-1]


class Digraph:
    """DOT text of a directed graph, with the part of ``graphviz.Digraph``'s API ``make_dot``
    uses (``node``, ``edge``, ``source``, ``render``, ``pipe``).  Used when the ``graphviz``
    package is not installed; the text can be pasted into any Graphviz viewer."""

    def __init__(self, node_attr=None, graph_attr=None):
        self.node_attr = dict(node_attr or {})
        self.graph_attr = dict(graph_attr or {})
        self.body = []

    def node(self, name, label=None, **attrs):
        if label is not None:
            attrs = {"label": label, **attrs}
        self.body.append(f"\t{_quote(name)}{_attr_list(attrs)}\n")

    def edge(self, tail_name, head_name, **attrs):
        self.body.append(f"\t{_quote(tail_name)} -> {_quote(head_name)}{_attr_list(attrs)}\n")

    @property
    def source(self):
        lines = ["digraph {\n"]
        if self.graph_attr:
            lines.append(f"\tgraph{_attr_list(self.graph_attr)}\n")
        if self.node_attr:
            lines.append(f"\tnode{_attr_list(self.node_attr)}\n")
        return "".join(lines + self.body) + "}\n"

    def __str__(self):
        return self.source

    def _missing(self):
        return ImportError(
            "rendering the graph needs the graphviz Python package and the Graphviz 'dot' "
            "program: pip install graphviz (or pip install ember[viz]) and install Graphviz "
            "(apt install graphviz / brew install graphviz / conda install graphviz). "
            "Without them, .source holds the DOT text.")

    def render(self, *args, **kwargs):
        raise self._missing()

    def pipe(self, *args, **kwargs):
        raise self._missing()


def _quote(text):
    text = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def _attr_list(attrs):
    if not attrs:
        return ""
    return " [" + " ".join(f"{key}={_quote(value)}" for key, value in attrs.items()) + "]"


def _new_graph():
    graph_attr = dict(size="12,12")
    try:
        import graphviz
    except ImportError:
        return Digraph(node_attr=_NODE_STYLE, graph_attr=graph_attr)
    return graphviz.Digraph(node_attr=_NODE_STYLE, graph_attr=graph_attr)


def _attrs_of(node, max_attr_chars):
    """The op's options (set in its constructor) as 'name: value' lines, for show_attrs."""
    lines = []
    for key, value in vars(node).items():
        if key.startswith("_") or key in ("device", "xp", "needs_input_grad", "view_fn"):
            continue
        if isinstance(value, (bool, int, float, str, tuple, list, type(None))):
            text = str(value)
            if len(text) > max_attr_chars:
                text = text[:max_attr_chars - 3] + "..."
            lines.append(f"{key}: {text}")
    return lines


def make_dot(var, params=None, show_attrs=False, show_saved=False, max_attr_chars=50):
    """The autograd graph that produced ``var`` (a tensor or a tuple of tensors), as Graphviz.

    Args:
        var: the output tensor(s) whose graph to draw.
        params (dict, optional): name -> tensor, e.g. ``dict(model.named_parameters())``, to
            label the leaves with their names.
        show_attrs (bool): also show each op's options (dim, shape, ...). Default: False.
        show_saved (bool): also show the values each op saved for backward. Default: False.
        max_attr_chars (int): longest option text shown. Default: 50.

    Returns a ``graphviz.Digraph`` (ember's ``Digraph`` with the same DOT text when graphviz is
    not installed); ``.source`` is the DOT text, ``.render(format='svg')`` draws it.
    """
    Tensor = _tensor.Tensor
    param_names = {id(v): name for name, v in (params or {}).items()}
    dot = _new_graph()
    seen = set()
    outputs = tuple(var) if isinstance(var, (tuple, list)) else (var,)

    def var_label(t, name=None):
        if name is None:
            name = param_names.get(id(t), "")
        return f"{name}\n {_size_to_str(t.shape)}"

    def op_label(node, meta):
        lines = [node.name()]
        if meta is not None:
            lines.append(f"{_size_to_str(meta[0])} {_dtype_name(meta[1])}")
        if show_attrs:
            lines.extend(_attrs_of(node, max_attr_chars))
        return "\n".join(lines)

    # the shape and dtype each (node, output_nr) produced: the consumer's input meta says it
    produced = {}
    todo = []
    for out in outputs:
        if out.grad_fn is not None:
            produced[(id(out.grad_fn), out.output_nr)] = (tuple(out.shape), out.dtype)

    def add_ops():
        while todo:
            node = todo.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            meta = produced.get((id(node), 0))
            if node._out_meta is not None:
                meta = node._out_meta[0]
            dot.node(str(id(node)), op_label(node, meta))
            if show_saved:
                add_saved(node)
            for target, nr, shape, dtype in node._edges:
                if target is None:
                    continue
                if isinstance(target, Tensor):
                    add_leaf(target, node)
                    continue
                produced.setdefault((id(target), nr), (shape, dtype))
                dot.edge(str(id(target)), str(id(node)))
                todo.append(target)

    def add_leaf(leaf, consumer):
        acc = f"{id(leaf)}_grad_accumulator"
        if acc not in seen:
            seen.add(acc)
            dot.node(acc, AccumulateGrad(leaf).name().split("::")[-1])
            dot.node(str(id(leaf)), var_label(leaf), fillcolor=_PARAM_COLOR)
            dot.edge(str(id(leaf)), acc)
        dot.edge(acc, str(id(consumer)))

    def add_saved(node):
        saved = node._saved
        if not isinstance(saved, tuple):
            return  # freed by an earlier backward
        for k, value in enumerate(saved):
            shape = value.shape if isinstance(value, Tensor) else getattr(value, "shape", ())
            key = f"{id(node)}_saved_{k}"
            dot.node(key, f"saved {k}\n {_size_to_str(shape)}", fillcolor=_SAVED_COLOR)
            dot.edge(key, str(id(node)), dir="none")

    def add_base_tensor(t, color):
        if id(t) in seen:
            return
        seen.add(id(t))
        dot.node(str(id(t)), var_label(t, param_names.get(id(t), "")), fillcolor=color)
        if t.grad_fn is not None:
            todo.append(t.grad_fn)
            add_ops()
            dot.edge(str(id(t.grad_fn)), str(id(t)))
        if t._base is not None:
            add_base_tensor(t._base, _BASE_COLOR)
            dot.edge(str(id(t._base)), str(id(t)), style="dotted")

    for out in outputs:
        add_base_tensor(out, _OUTPUT_COLOR)
    return dot


def has_dot_program():
    """Whether the Graphviz ``dot`` program is on PATH (needed to render pictures)."""
    return shutil.which("dot") is not None


# ---------------------------------------------------------------------------- explain

def _describe_tensor(t):
    dtype = _dtype_name(t.dtype)
    return f"[{', '.join(str(s) for s in t.shape)}] {dtype} {t.device}"


def _describe_meta(meta, device):
    shape, dtype = meta
    return f"[{', '.join(str(s) for s in shape)}] {_dtype_name(dtype)} {device}"


def explain(obj, params=None, source=False):
    """A text picture of the graph behind a tensor, or the gradient formula of one node.

    ``explain(loss)`` draws the tree from ``loss.grad_fn`` to the leaves, one line per node
    with its output's shape, dtype and device; a node reached twice is shown once and then
    referred to as ``(shown above)``.  With ``source=True`` the Python source of each op's
    backward follows the tree.  ``explain(loss.grad_fn)`` (or any node from
    ``next_functions``) shows that op's docstring (the maths) and its ``backward`` source.
    Returns the text (print it).
    """
    Tensor = _tensor.Tensor
    if not isinstance(obj, Tensor):
        return _explain_node(obj)
    names = {id(v): name for name, v in (params or {}).items()}
    lines = [f"tensor {_describe_tensor(obj)}" + ("" if obj.requires_grad else
                                                    "  (no graph: requires_grad=False)")]
    if obj.grad_fn is None:
        if obj.requires_grad:
            lines.append("└── leaf tensor: backward() accumulates its gradient into .grad")
        return "\n".join(lines) + "\n"

    seen = set()
    ops = []
    # explicit stack (deep graphs must not hit Python's recursion limit): (item, meta, prefix,
    # is_last)
    stack = [(obj.grad_fn, (tuple(obj.shape), obj.dtype), "", True)]
    while stack:
        item, meta, prefix, last = stack.pop()
        branch = "└── " if last else "├── "
        if isinstance(item, Tensor):
            name = names.get(id(item))
            label = f"AccumulateGrad -> leaf{' ' + name if name else ''}"
            lines.append(f"{prefix}{branch}{label} {_describe_tensor(item)}")
            continue
        if id(item) in seen:
            lines.append(f"{prefix}{branch}{item.name()} (shown above)")
            continue
        seen.add(id(item))
        ops.append(item)
        if item._out_meta is not None:
            meta = item._out_meta[0]
        lines.append(f"{prefix}{branch}{item.name()} -> {_describe_meta(meta, item.device)}")
        children = [(t, (shape, dtype)) for t, _nr, shape, dtype in item._edges
                    if t is not None]
        child_prefix = prefix + ("    " if last else "│   ")
        for k in range(len(children) - 1, -1, -1):  # pushed in reverse: popped in order
            target, child_meta = children[k]
            stack.append((target, child_meta, child_prefix, k == len(children) - 1))
    text = "\n".join(lines) + "\n"
    if source:
        shown = set()
        for node in ops:
            if type(node) in shown and not isinstance(node, BackwardFunction):
                continue
            shown.add(type(node))
            text += "\n" + _explain_node(node)
    return text


def _explain_node(node):
    """The maths (docstring) and backward source of one node's op class."""
    if isinstance(node, AccumulateGrad):
        return (f"AccumulateGrad of a leaf {_describe_tensor(node.variable)}\n"
                "  adds the incoming gradient into the leaf's .grad (a copy the first time, in "
                "place afterwards); see _accumulate in ember/autograd/engine.py\n")
    if isinstance(node, BackwardFunction):
        cls = node._function_class
        backward = cls.backward
    else:
        cls = type(node)
        backward = cls.backward
    header = f"{node.name()} ({cls.__module__}.{cls.__qualname__})"
    doc = inspect.getdoc(cls) or "(no docstring)"
    try:
        src_lines, start = inspect.getsourcelines(backward)
        where = f"{inspect.getsourcefile(backward)}:{start}"
        src = "".join(src_lines)
    except (OSError, TypeError):
        where, src = "(source not available)", ""
    return f"{header}\n{_indent(doc)}\nbackward, {where}:\n{src}"


def _indent(text):
    return "\n".join("    " + line for line in text.splitlines())
