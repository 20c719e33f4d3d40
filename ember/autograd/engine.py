"""The backward engine: walks the graph from the outputs to the leaves.

1. Seed the roots with ones (or the given gradients).
2. With ``inputs`` (``autograd.grad``, ``backward(inputs=...)``), mark the nodes that lie on a
   path to one of them; the others never run, and hooks off that path never fire.
3. Run the nodes that received a gradient, latest created first (a heap on the sequence
   number; no recursion, so deep graphs do not hit Python's recursion limit).  A node takes its
   sequence number after its edges exist, so every edge goes from a later node to an earlier
   one: when a node pops, every node that could still send it a gradient (all of them later)
   has run.  Its buffer then holds the whole gradient, and its backward and hooks run once:
   the order torch reaches by counting dependencies, without a counting pass over the graph.
4. Call each node's backward, reduce each gradient to its input's shape and dtype, and pass it
   on: into the next node's buffer (summing contributions), or into ``.grad`` of a leaf.
5. Free saved values unless ``retain_graph``; a second backward then raises torch's error.
6. Tell the graph-growth watch (``diagnostics.py``) how far back the graph reached: one that grows
   across training iterations is the classic ``total_loss += loss`` leak, warned about once.

Backward formulas run under no_grad unless ``create_graph=True``, so the first-order pass
records nothing and the second-order pass records the graph of the gradient.
"""

import threading
from heapq import heappop, heappush

import numpy as np

from .. import _parallel, _tensor
from .._compat import add_into
from .._device import array_module_of as array_module
from .._dtype import accumulator_dtype
from . import anomaly_mode as _anomaly
from . import diagnostics as _diagnostics
from .function import BackwardFunction, _sequence
from .function import any_hooks as _any_hooks
from .grad_mode import state as _grad_state

_anomaly_state = _anomaly.state


class _FinalCallbacks(threading.local):
    """The functions queued during this thread's backward, run once it has finished (per
    thread: another thread's backward must not run them)."""

    def __init__(self):
        self.queue = []


_final = _FinalCallbacks()


def queue_callback(callback):
    """Run ``callback()`` once the backward now running has finished (torch's
    ``Variable._execution_engine.queue_callback``).  A gradient hook uses it to act after every
    gradient of the pass is in ``.grad``: DistributedDataParallel waits there for its
    all-reduces.  Callbacks run in the order queued; one may queue another."""
    _final.queue.append(callback)


def _run_final_callbacks(queue):
    i = 0
    try:
        while i < len(queue):  # a callback may queue more
            queue[i]()
            i += 1
    finally:
        queue.clear()


def run_backward(roots, root_grads, retain_graph, create_graph, inputs=None, accumulate=True,
                 allow_unused=False):
    """Backpropagate from ``roots``.  With ``accumulate`` leaves' ``.grad`` grow; otherwise
    the gradients of ``inputs`` are returned (``autograd.grad``)."""
    wanted = captured = reached = runs = None
    if inputs is not None:
        wanted = {}  # (id of node, output_nr) or (id of leaf, -1) -> positions in ``inputs``
        captured = {}  # position in ``inputs`` -> its gradient
        for i, t in enumerate(inputs):
            key = (id(t.grad_fn), t.output_nr) if t.grad_fn is not None else (id(t), -1)
            wanted.setdefault(key, []).append(i)

    buffers = {}  # node -> [gradient per output], summed as the node's consumers send them
    root_nodes = []
    for root, grad in zip(roots, root_grads):
        node = root.grad_fn
        if node is None:  # a leaf as root: its gradient is the seed itself
            _deliver_to_leaf(root, grad, create_graph, accumulate, wanted, captured)
            continue
        slot = buffers.get(node)
        if slot is None:
            slot = buffers[node] = [None] * node._num_outputs
            root_nodes.append(node)
        nr = root.output_nr
        slot[nr] = grad if slot[nr] is None else slot[nr] + grad

    if wanted is not None:
        reached, runs = _paths_to_inputs(root_nodes, wanted)
    ready = []  # a heap of the nodes that received a gradient: the latest created pops first
    for node in root_nodes:
        heappush(ready, (-node._seq, node))

    check_nan = _anomaly_state.enabled and _anomaly_state.check_nan
    # no capture (autograd.grad), no NaN check, no hook anywhere: nodes and leaves just run
    plain = wanted is None and not check_nan and not _any_hooks.registered
    into_grad = plain and accumulate  # loss.backward(): straight into the leaves' .grad
    prev_enabled = _grad_state.enabled
    _grad_state.enabled = create_graph
    node = None
    try:
        while ready:
            node = heappop(ready)[1]
            grads = buffers.pop(node)
            if plain and len(grads) == 1:
                input_grads = node.backward(grads[0])  # the common case, spelled out
                if type(input_grads) is not tuple:
                    input_grads = (input_grads,)
            else:
                if node._pre_hooks is not None:
                    grads = _run_pre_hooks(node, grads)
                if wanted is None:
                    input_grads = _call_backward(node, grads, check_nan)
                else:
                    _capture_nonleaf(node, grads, wanted, captured)
                    if node not in runs:  # its gradient was wanted; nothing below it is
                        continue
                    input_grads = _call_pruned(node, grads, check_nan, wanted, reached)
            if not retain_graph and node._saved:
                node._release()
            for (target, nr, shape, dtype), g in zip(node._edges, input_grads):
                if nr < 0:  # a leaf (see function._edge)
                    if g is not None:
                        if g._data.shape != shape or g._dtype is not dtype:
                            g = _fit(g, shape, dtype)
                        if into_grad:
                            _accumulate(target, g, create_graph)
                        else:
                            _deliver_to_leaf(target, g, create_graph, accumulate, wanted, captured)
                    continue
                if g is None or target is None:
                    continue
                if reached is not None and target not in reached:
                    continue  # leads to no input: pruned
                if g._data.shape != shape or g._dtype is not dtype:
                    g = _fit(g, shape, dtype)
                slot = buffers.get(target)
                if slot is None:  # the first gradient for this node: schedule it
                    heappush(ready, (-target._seq, target))
                    if target._num_outputs == 1:
                        buffers[target] = [g]
                        continue
                    buffers[target] = slot = [None] * target._num_outputs
                    slot[nr] = g
                else:
                    slot[nr] = g if slot[nr] is None else slot[nr] + g
    except BaseException:
        _final.queue.clear()  # a failed backward runs none of its end-of-backward callbacks
        raise
    finally:
        _grad_state.enabled = prev_enabled
    queue = _final.queue
    if queue:  # queued by hooks during this backward (DistributedDataParallel's)
        _run_final_callbacks(queue)

    watch = _diagnostics.watch
    if accumulate and watch.enabled and node is not None:
        watch.countdown -= 1
        if watch.countdown == 0:  # see diagnostics.py
            _diagnostics.after_backward(root_nodes[0], node._seq, _sequence)  # node: the oldest
    if inputs is None:
        return None
    results = []
    for i, t in enumerate(inputs):
        g = captured.get(i)
        if g is None and not allow_unused:
            raise RuntimeError(
                "One of the differentiated Tensors appears to not have been used in the graph. "
                "Set allow_unused=True if this is the desired behavior.")
        if accumulate and g is not None and t.grad_fn is not None:
            _accumulate(t, g, create_graph)  # backward(inputs=[non-leaf]) fills its .grad
        results.append(g)
    return tuple(results)


def _paths_to_inputs(root_nodes, wanted):
    """The nodes that take part when only ``wanted`` inputs need gradients (torch's exec_info).

    ``runs``: nodes with an edge to a wanted leaf or to a reached node (their backward runs);
    ``reached``: those plus the nodes whose output gradient is itself wanted (captured).
    A node is decided after all the nodes it feeds (an iterative post-order walk)."""
    reached, runs, done = set(), set(), set()
    stack = list(root_nodes)
    while stack:
        node = stack[-1]
        if node in done:
            stack.pop()
            continue
        below = [t for t, nr, _s, _d in node._edges if nr >= 0 and t is not None and
                 t not in done]
        if below:
            stack.extend(below)
            continue
        stack.pop()
        done.add(node)
        for t, nr, _s, _d in node._edges:
            if (t in reached) if nr >= 0 else ((id(t), -1) in wanted):
                runs.add(node)
                reached.add(node)
                break
        else:
            if any((id(node), k) in wanted for k in range(node._num_outputs)):
                reached.add(node)
    return reached, runs


def _call_pruned(node, grads, check_nan, wanted, reached):
    """Run a node's backward computing only the input gradients on a path to ``inputs``: its
    ``needs_input_grad`` is narrowed for the call (a saliency map computes no weight gradient),
    and what it returns for the other inputs is dropped (its post hooks see None there).
    A custom Function's ctx keeps the flags it had in forward, as in torch."""
    if isinstance(node, BackwardFunction):
        return _call_backward(node, grads, check_nan)
    full = node.needs_input_grad
    node.needs_input_grad = tuple(
        need and ((t in reached) if nr >= 0 else ((id(t), -1) in wanted))
        for need, (t, nr, _s, _d) in zip(full, node._edges))
    try:
        return _call_backward(node, grads, check_nan, node.needs_input_grad)
    finally:
        node.needs_input_grad = full


def _call_backward(node, grads, check_nan, mask=None):
    """Run one node's backward and return one gradient (or None) per input edge."""
    if len(grads) == 1:
        result = node.backward(grads[0])
    else:
        if node.materialize_grads and any(g is None for g in grads):
            grads = [_zeros_for(node, i) if g is None else g for i, g in enumerate(grads)]
        result = node.backward(*grads)
    if type(result) is not tuple:
        result = (result,)
    if mask is not None:
        result = tuple([g if keep else None for g, keep in zip(result, mask)])
    if check_nan:
        _check_anomaly(node, result)
    if node._post_hooks is not None:
        for hook in node._post_hooks:
            replaced = hook(result, tuple(grads))
            if replaced is not None:
                result = tuple(replaced)
    return result


def _zeros_for(node, output_nr):
    from ..ops.creation import zeros

    shape, dtype = node._out_meta[output_nr]
    return zeros(shape, dtype=dtype, device=node.device)


def _fit(grad, shape, dtype):
    """Sum a broadcast gradient back to the input's shape and cast it to the input's dtype."""
    if grad._data.shape != shape:
        if _grad_state.enabled:  # create_graph: the sum takes part in the gradient's graph
            grad = grad.sum_to_size(shape)
        else:  # first order (a bias's gradient at every step): the sum on arrays, no node
            data = grad._data
            grad = _tensor.make(sum_to_shape(data, shape, array_module(data)), grad.device)
    if grad.dtype is not dtype:
        grad = grad.to(dtype)
    return grad


def sum_to_shape(x, shape, xp):
    """Array ``x`` summed over the dims that broadcasting added or stretched to reach ``shape``
    (a broadcast input's gradient; also SumToSize's forward)."""
    lead = x.ndim - len(shape)
    axes = list(range(lead))  # the dims broadcasting added in front, and those it stretched
    for i, s in enumerate(shape):
        if s == 1 and x.shape[lead + i] != 1:
            axes.append(lead + i)
    if not axes:
        return x.reshape(shape)
    if x.dtype.itemsize == 2:
        # 16-bit floats are added up in float32 and rounded once, as torch does (a float16
        # bias's gradient over 4096 rows would stop at 2048). NOTE: the itemsize test keeps
        # float32/float64 off this path: the lookup and dtype= cost them ~100 ns per gradient.
        acc = accumulator_dtype(x.dtype)
        y = xp.add.reduce(x, axis=tuple(axes), dtype=acc, keepdims=True)
        return y.astype(x.dtype, copy=False).reshape(shape)
    return xp.add.reduce(x, axis=tuple(axes), keepdims=True).reshape(shape)


def _deliver_to_leaf(leaf, grad, create_graph, accumulate, wanted, captured):
    """A leaf's gradient: its hooks, then captured (``inputs``) and/or added into ``.grad``."""
    indices = None
    if wanted is not None:
        indices = wanted.get((id(leaf), -1))
        if indices is None:
            return  # not one of the inputs: off the path, its hooks do not fire
    if leaf._hooks:
        for hook in leaf._hooks:
            replaced = hook(grad)
            if replaced is not None:
                grad = replaced
    if indices is not None:
        for i in indices:
            captured[i] = grad if captured.get(i) is None else captured[i] + grad
    if not accumulate:
        return
    _accumulate(leaf, grad, create_graph)
    if leaf._post_accumulate_hooks:
        for hook in leaf._post_accumulate_hooks:
            hook(leaf)


def _copy(array):
    """A copy of a gradient's array (NumPy's on two threads when big: ember/_parallel.py)."""
    return _parallel.copied(array) if type(array) is np.ndarray else array.copy()


def _accumulate(leaf, grad, create_graph):
    """Add ``grad`` into ``leaf.grad``: in place when possible, with a graph under create_graph."""
    current = leaf._grad
    if current is None:
        if create_graph:
            leaf._grad = grad
        else:
            # a fresh array: the same gradient object may also flow to another leaf
            leaf._grad = _tensor.Tensor._make(_copy(grad._data), grad.device)
    elif create_graph or current._requires_grad or grad._requires_grad:
        leaf._grad = current + grad
    else:
        add_into(current._data, grad._data)


def _capture_nonleaf(node, grads, wanted, captured):
    for nr, g in enumerate(grads):
        indices = wanted.get((id(node), nr))
        if indices is not None:
            for i in indices:
                captured[i] = g


def _run_pre_hooks(node, grads):
    grads = list(grads)
    for nr, hooks in node._pre_hooks.items():
        if nr == -1:
            for hook in hooks:
                replaced = hook(tuple(grads))
                if replaced is not None:
                    grads = list(replaced)
            continue
        for hook in hooks:
            if grads[nr] is None:
                continue
            replaced = hook(grads[nr])
            if replaced is not None:
                grads[nr] = replaced
    return grads


def _check_anomaly(node, grads):
    """Anomaly mode: a backward formula that returned NaN is named, with the line that created
    the op (NaN only, as torch: an infinite gradient can be legitimate)."""
    for i, g in enumerate(grads):
        if g is None or not g.dtype.is_floating_point and not g.dtype.is_complex:
            continue
        if bool(node.xp.isnan(g._data).any()):
            where = ""
            if node._trace:
                where = ("\n  ember: the op was created here (most recent call last):\n" +
                         _anomaly.where_created(node._trace))
            raise RuntimeError(
                f"Function '{node.name()}' returned nan values in its {i}th output." + where)
