"""The backward engine: walks the graph from the outputs to the leaves.

1. Seed the roots with ones (or the given gradients).
2. Run nodes latest-created first.  Every node gets a sequence number when it is recorded, and a
   node's inputs were always created before it, so this order is topological: when a node runs,
   every node that feeds it a gradient has already run.  A heap keeps the nodes that have
   received a gradient; no recursion, so deep graphs do not hit Python's recursion limit.
3. Call each node's backward, reduce each gradient to its input's shape and dtype, and pass it
   on: into the next node's buffer (summing contributions), or into ``.grad`` of a leaf.
4. Free saved values unless ``retain_graph``; a second backward then raises torch's error.
5. Tell the graph-growth watch (``diagnostics.py``) how far back the graph reached: one that grows
   across training iterations is the classic ``total_loss += loss`` leak, warned about once.

Backward formulas run under no_grad unless ``create_graph=True``, so the first-order pass
records nothing and the second-order pass records the graph of the gradient.
"""

from heapq import heappop, heappush

from .. import _tensor
from .._compat import add_into
from .._device import array_module_of as array_module
from . import anomaly_mode as _anomaly
from . import diagnostics as _diagnostics
from .function import _sequence
from .function import any_hooks as _any_hooks
from .grad_mode import state as _grad_state

_anomaly_state = _anomaly.state


def run_backward(roots, root_grads, retain_graph, create_graph, inputs=None, accumulate=True,
                 allow_unused=False):
    """Backpropagate from ``roots``.  With ``accumulate`` leaves' ``.grad`` grow; otherwise
    the gradients of ``inputs`` are returned (``autograd.grad``)."""
    wanted = captured = None  # (id of node or leaf, output_nr) -> positions in ``inputs``
    if inputs is not None:
        wanted = {}
        captured = {}  # position in ``inputs`` -> its gradient
        for i, t in enumerate(inputs):
            key = (id(t.grad_fn), t.output_nr) if t.grad_fn is not None else (id(t), 0)
            wanted.setdefault(key, []).append(i)

    buffers = {}  # node -> [gradient per output]
    heap = []  # (-sequence number, node): the latest-created node pops first
    for root, grad in zip(roots, root_grads):
        node = root.grad_fn
        if node is None:  # a leaf as root: its gradient is the seed itself
            _deliver_to_leaf(root, grad, create_graph, accumulate, wanted, captured)
            continue
        slot = buffers.get(node)
        if slot is None:
            slot = buffers[node] = [None] * node._num_outputs
            heappush(heap, (-node._seq, node))
        nr = root.output_nr
        slot[nr] = grad if slot[nr] is None else slot[nr] + grad

    check_nan = _anomaly_state.enabled and _anomaly_state.check_nan
    # no capture (autograd.grad), no NaN check, no hook anywhere: nodes and leaves just run
    plain = wanted is None and not check_nan and not _any_hooks.registered
    into_grad = plain and accumulate  # loss.backward(): straight into the leaves' .grad
    prev_enabled = _grad_state.enabled
    _grad_state.enabled = create_graph
    node = None
    try:
        while heap:
            node = heappop(heap)[1]
            grads = buffers.pop(node)
            if plain and len(grads) == 1:
                input_grads = node.backward(grads[0])  # the common case, spelled out
                if type(input_grads) is not tuple:
                    input_grads = (input_grads,)
            else:
                input_grads = _run_node(node, grads, wanted, captured, check_nan)
            if not retain_graph and node._saved:
                node._release()
            for (target, nr, shape, dtype), g in zip(node._edges, input_grads):
                if g is None or target is None:
                    continue
                if g._data.shape != shape or g.dtype is not dtype:
                    g = _fit(g, shape, dtype)
                if nr < 0:  # a leaf (see function._edge)
                    if into_grad:
                        _accumulate(target, g, create_graph)
                    else:
                        _deliver_to_leaf(target, g, create_graph, accumulate, wanted, captured)
                    continue
                slot = buffers.get(target)
                if slot is None:  # the first gradient for this node: schedule it
                    heappush(heap, (-target._seq, target))
                    if target._num_outputs == 1:
                        buffers[target] = [g]
                        continue
                    buffers[target] = slot = [None] * target._num_outputs
                    slot[nr] = g
                else:
                    slot[nr] = g if slot[nr] is None else slot[nr] + g
    finally:
        _grad_state.enabled = prev_enabled

    watch = _diagnostics.watch
    if accumulate and watch.enabled and node is not None:
        watch.countdown -= 1
        if watch.countdown == 0:  # the last node run is the oldest: see diagnostics.py
            _diagnostics.after_backward(roots[0].grad_fn or node, node._seq, _sequence)
    if inputs is None:
        return None
    results = []
    for i in range(len(inputs)):
        g = captured.get(i)
        if g is None and not allow_unused:
            raise RuntimeError(
                "One of the differentiated Tensors appears to not have been used in the graph. "
                "Set allow_unused=True if this is the desired behavior.")
        results.append(g)
    return tuple(results)


def _run_node(node, grads, wanted, captured, check_nan):
    """The general path of one node: capture for autograd.grad, pre hooks, backward with
    missing gradients filled in, the anomaly check, post hooks."""
    if wanted is not None:
        _capture_nonleaf(node, grads, wanted, captured)
    if node._pre_hooks is not None:
        grads = _run_pre_hooks(node, grads)
    return _call_backward(node, grads, check_nan)


def _call_backward(node, grads, check_nan):
    """Run one node's backward and return one gradient (or None) per input edge."""
    if len(grads) == 1:
        result = node.backward(grads[0])
    else:
        if node.materialize_grads and any(g is None for g in grads):
            grads = [_zeros_for(node, i) if g is None else g for i, g in enumerate(grads)]
        result = node.backward(*grads)
    if type(result) is not tuple:
        result = (result,)
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
    return xp.add.reduce(x, axis=tuple(axes), keepdims=True).reshape(shape)


def _deliver_to_leaf(leaf, grad, create_graph, accumulate, wanted, captured):
    if wanted is not None:
        indices = wanted.get((id(leaf), 0))
        if indices is not None:
            for i in indices:
                captured[i] = grad if captured.get(i) is None else captured[i] + grad
    if not accumulate:
        return
    if leaf._hooks:
        for hook in leaf._hooks:
            replaced = hook(grad)
            if replaced is not None:
                grad = replaced
    if wanted is not None and (id(leaf), 0) not in wanted:
        return  # backward(inputs=...) accumulates only into the given inputs
    _accumulate(leaf, grad, create_graph)
    if leaf._post_accumulate_hooks:
        for hook in leaf._post_accumulate_hooks:
            hook(leaf)


def _accumulate(leaf, grad, create_graph):
    """Add ``grad`` into ``leaf.grad``: in place when possible, with a graph under create_graph."""
    current = leaf._grad
    if current is None:
        if create_graph:
            leaf._grad = grad
        else:
            # a fresh array: the same gradient object may also flow to another leaf
            leaf._grad = _tensor.Tensor._make(grad._data.copy(), grad.device)
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
    for i, g in enumerate(grads):
        if g is None or not g.dtype.is_floating_point and not g.dtype.is_complex:
            continue
        xp = node.xp
        if not bool(xp.isfinite(g._data).all()):
            where = ""
            if node._trace:
                where = ("\n  ember: the op was created here (most recent call last):\n" +
                         _anomaly.where_created(node._trace))
            bad = "nan" if bool(xp.isnan(g._data).any()) else "inf"
            raise RuntimeError(
                f"Function '{node.name()}' returned {bad} values in its {i}th output." + where)
