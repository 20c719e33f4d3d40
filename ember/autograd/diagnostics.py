"""Autograd mistakes explained: backward on a tensor without a graph, and a graph that grows.

Everything here runs only when something went wrong (an error is being raised) or once per
backward call (the growth watch: a counter and a weak reference), never per op.

The graph-growth watch catches the classic training-loop leak: a tensor that outlives its
iteration keeps that iteration's whole graph alive (``total_loss += loss`` instead of
``total_loss += loss.item()``, ``losses.append(loss)``, an RNN hidden state never detached).
To stay cheap (a countdown per ``backward()``), it looks at every ``SAMPLE_EVERY``-th call
only; two signs, over the last ``GROWTH_STEPS`` sampled calls:

1. the graph being differentiated grew each time and reaches into nodes created before the
   previous sampled backward (an earlier iteration's history), or
2. the roots of those calls, each built after the sampled backward before it, are all still
   alive (something keeps every iteration's loss and its graph).

It warns once (``UserWarning``) at the user's ``backward()`` line, quoting the lines of the loop
that look like the cause.  ``ember.autograd.set_graph_growth_warning(False)`` switches it off.
"""

import ast
import linecache
import os
import sys
import warnings
import weakref

GROWTH_STEPS = 4
SAMPLE_EVERY = 8
_EMBER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class _GrowthWatch:
    def __init__(self):
        self.enabled = True  # the engine looks at this and counts down; False after warning
        self.reset()

    def reset(self):
        self.countdown = SAMPLE_EVERY
        self.last_size = 0  # the size of the latest sampled graph
        self.grew = 0  # how many sampled calls in a row had a larger graph reaching back
        self.roots = []  # weak references to the roots of consecutive fresh sampled calls
        self.mark = -1  # a sequence number taken at the end of the latest sampled backward


watch = _GrowthWatch()


def set_graph_growth_warning(enabled):
    """Switch the warning about graphs that grow across iterations on (default) or off."""
    watch.enabled = bool(enabled)
    watch.reset()


def after_backward(root_node, oldest_seq, sequence):
    """Called by the engine after every SAMPLE_EVERY-th backward: warn if the graph grows.

    The graph's size is measured without counting nodes: the span of sequence numbers from
    its oldest node to its root, constant when each iteration builds the same graph anew."""
    watch.countdown = SAMPLE_EVERY
    nodes_run = root_node._seq - oldest_seq
    reaches_back = oldest_seq < watch.mark  # holds nodes from before the last sample
    fresh = root_node._seq > watch.mark  # this root was built after the last sample
    watch.mark = next(sequence)
    watch.grew = watch.grew + 1 if (nodes_run > watch.last_size and reaches_back) else 0
    watch.last_size = nodes_run
    roots = watch.roots if fresh else []
    roots.append(weakref.ref(root_node))
    watch.roots = roots = roots[-GROWTH_STEPS:]
    growing = watch.grew >= GROWTH_STEPS - 1
    kept = len(roots) == GROWTH_STEPS and all(ref() is not None for ref in roots)
    if growing or kept:
        watch.enabled = False  # once
        _warn(growing)


def _warn(growing):
    filename, lineno = _user_frame()
    if growing:
        what = ("the graph backward() runs through keeps growing from one iteration to the "
                "next and still holds nodes from earlier iterations")
    else:
        what = ("the losses of earlier iterations (and their whole graphs) are all still "
                "alive")
    suspects = _suspect_lines(filename, lineno)
    where = "".join(f"\n    line {n}: {text}" for n, text in suspects)
    if where:
        where = "\n  lines in this loop that keep tensors across iterations:" + where
    message = (
        f"ember: {what}, so every iteration keeps the graph of the ones before it: memory "
        "grows and each step gets slower." + where +
        "\n  fix: keep numbers, not tensors, across iterations: total_loss += loss.item(), "
        "losses.append(loss.item()); detach carried state each iteration (h = h.detach()). "
        "(ember.autograd.set_graph_growth_warning(False) turns this warning off.)")
    warnings.warn_explicit(message, UserWarning, filename, lineno)


def _user_frame():
    """File and line of the innermost caller outside ember (the user's backward() call)."""
    frame = sys._getframe(1)
    while frame is not None:
        if not os.path.abspath(frame.f_code.co_filename).startswith(_EMBER_DIR):
            return frame.f_code.co_filename, frame.f_lineno
        frame = frame.f_back
    return "<unknown>", 0


def _suspect_lines(filename, lineno):
    """Lines of the innermost loop around ``lineno`` that carry a tensor to the next
    iteration: ``x += y`` / ``x = x + y`` (y not .item()) and ``list.append(y)``."""
    tree = _parse(filename)
    if tree is None:
        return []
    loops = [n for n in ast.walk(tree) if isinstance(n, (ast.For, ast.While)) and
             n.lineno <= lineno <= (n.end_lineno or n.lineno)]
    if not loops:
        return []
    loop = max(loops, key=lambda n: n.lineno)
    found = []
    for node in ast.walk(loop):
        value = None
        if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add):
            value = node.value
        elif (isinstance(node, ast.Assign) and len(node.targets) == 1 and
              isinstance(node.targets[0], ast.Name) and
              _uses_attached(node.value, node.targets[0].id)):
            value = node.value  # x = f(x): x carries its graph to the next iteration
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and
              node.func.attr == "append" and node.args):
            value = node.args[0]
        if value is not None and not _is_number(value):
            text = linecache.getline(filename, node.lineno).strip()
            found.append((node.lineno, text))
    return sorted(set(found))


def _uses_attached(expr, name):
    """Whether ``expr`` reads variable ``name`` other than through .detach()/.item()."""
    cut = set()
    for node in ast.walk(expr):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and
                node.func.attr in ("detach", "item", "tolist", "numpy")):
            cut.update(id(n) for n in ast.walk(node.func.value))
    return any(isinstance(n, ast.Name) and n.id == name and id(n) not in cut
               for n in ast.walk(expr))


def _is_number(node):
    """An expression that is a Python number: a constant or ``.item()``/``float(...)``."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("item", "tolist"):
            return True
        if isinstance(func, ast.Name) and func.id in ("float", "int", "len"):
            return True
    return False


def _parse(filename):
    lines = linecache.getlines(filename)
    if not lines:
        return None
    try:
        return ast.parse("".join(lines))
    except SyntaxError:
        return None


# ---------------------------------------------------------------------------- no grad_fn

def no_grad_fn_error(index, tensor):
    """torch's error for backward() on a tensor outside any graph, with the likely cause."""
    from .grad_mode import state as grad_state

    shape = list(tensor.shape)
    lines = [f"element {index} of tensors does not require grad and does not have a grad_fn",
             f"  ember: the tensor backward() started from (shape {shape}, {tensor.dtype}) "
             "was computed from tensors of which none requires grad, so there is no graph to "
             "differentiate."]
    if not grad_state.enabled:
        lines.append("  cause: backward() is running inside torch.no_grad() / "
                     "inference_mode(): nothing computed in that block is recorded.")
    filename, lineno = _user_frame()
    for n, text in _graph_breaks(filename, lineno):
        lines.append(f"  line {n}: {text}")
    lines.append(
        "  fix: compute the loss outside no_grad(), from the model's output itself (not from "
        ".detach(), .item(), .numpy() or ember.tensor(...) copies of it), and check that the "
        "parameters have requires_grad=True.")
    lines.append(
        "  setting loss.requires_grad = True does not fix this: the error goes away but the "
        "model's parameters still get no gradient and training silently does nothing.")
    return RuntimeError("\n".join(lines))


_BREAKS = {"detach": "detaches a tensor from the graph (.detach())",
           "item": "turns a tensor into a Python number (.item()): no graph",
           "numpy": "turns a tensor into a NumPy array (.numpy()): no graph",
           "detach_": "detaches a tensor in place (.detach_())",
           "no_grad": "starts a no_grad() block: nothing inside is recorded",
           "inference_mode": "starts an inference_mode() block: nothing inside is recorded",
           "requires_grad_": "changes requires_grad"}


def _graph_breaks(filename, lineno):
    """Lines before the backward() call, in the same function, that cut the graph."""
    tree = _parse(filename)
    if tree is None:
        return []
    scopes = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef,
                                                          ast.AsyncFunctionDef)) and
              n.lineno <= lineno <= (n.end_lineno or n.lineno)]
    scope = max(scopes, key=lambda n: n.lineno) if scopes else tree
    found = {}
    for node in ast.walk(scope):
        if not isinstance(node, ast.Call) or getattr(node, "lineno", lineno) >= lineno:
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name in _BREAKS:
            text = linecache.getline(filename, node.lineno).strip()
            found[node.lineno] = f"{text}    <- {_BREAKS[name]}"
    return sorted(found.items())[-3:]
