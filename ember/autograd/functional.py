"""ember.autograd.functional: jacobian, hessian, vjp, jvp, hvp, vhp of Python functions.

Each is built from ``autograd.grad``: a Jacobian is computed one output element (row) at a
time; a Jacobian-vector product uses the double-vjp trick (the vjp is linear in its cotangent,
so differentiating it w.r.t. the cotangent gives J v).
"""

from .. import _tensor


def _as_tuple(x):
    return (tuple(x), True) if isinstance(x, (tuple, list)) else ((x,), False)


def _prepare(inputs, create_graph):
    """Fresh leaves that require grad (the user's tensors are not modified)."""
    return tuple(t.detach().requires_grad_(True) if not create_graph or not t.requires_grad
                 else t.view_as(t) for t in inputs)


def _grad(outputs, inputs, grad_outputs, create_graph, strict, what):
    from . import grad

    if not outputs.requires_grad:
        if strict:
            raise RuntimeError(f"The output of the user-provided function is independent of "
                               f"input 0. This is not allowed in strict mode. ({what})")
        return tuple(None for _ in inputs)
    grads = grad(outputs, inputs, grad_outputs, create_graph=create_graph, retain_graph=True,
                 allow_unused=True)
    if strict and any(g is None for g in grads):
        i = next(k for k, g in enumerate(grads) if g is None)
        raise RuntimeError(f"The output of the user-provided function is independent of input "
                           f"{i}. This is not allowed in strict mode.")
    return grads


def _zeros_for(grads, inputs):
    from ..ops.creation import zeros_like

    return tuple(zeros_like(x) if g is None else g for g, x in zip(grads, inputs))


def _finish(t, create_graph):
    return t if create_graph else t.detach()


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): the vector-Jacobian product."""
    inputs, is_tuple = _as_tuple(inputs)
    inputs = _prepare(inputs, create_graph)
    outputs = func(*inputs)
    outs, out_tuple = _as_tuple(outputs)
    if v is None:
        if len(outs) != 1 or outs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function "
                               "returns a single Tensor with a single element.")
        v = None
    vs = (None,) * len(outs) if v is None else _as_tuple(v)[0]
    total = [None] * len(inputs)
    for out, vec in zip(outs, vs):
        grads = _grad(out, inputs, vec, create_graph, strict, "vjp")
        total = [g if t is None else (t if g is None else t + g) for t, g in zip(total, grads)]
    result = tuple(_finish(g, create_graph) for g in _zeros_for(total, inputs))
    out_value = tuple(_finish(o, create_graph) for o in outs)
    return (out_value if out_tuple else out_value[0]), (result if is_tuple else result[0])


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v): the Jacobian-vector product (by the double-vjp trick)."""
    from ..ops.creation import zeros_like
    from . import grad

    inputs, is_tuple = _as_tuple(inputs)
    inputs = _prepare(inputs, True)
    if v is None:
        if len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the "
                               "user-provided function is a single Tensor with a single "
                               "element.")
        vs = (inputs[0].new_ones(inputs[0].shape),)
    else:
        vs = _as_tuple(v)[0]
    outputs = func(*inputs)
    outs, out_tuple = _as_tuple(outputs)
    results = []
    for out in outs:
        u = zeros_like(out).requires_grad_(True)
        if not out.requires_grad:
            results.append(zeros_like(out))
            continue
        g = grad(out, inputs, u, create_graph=True, allow_unused=True)
        pairs = [(gi, vi) for gi, vi in zip(g, vs) if gi is not None and gi.requires_grad]
        if not pairs:
            results.append(zeros_like(out))
            continue
        total = sum((gi * vi).sum() for gi, vi in pairs)
        (jv,) = grad(total, u, create_graph=create_graph, allow_unused=True)
        results.append(zeros_like(out) if jv is None else _finish(jv, create_graph))
    out_value = tuple(_finish(o, create_graph) for o in outs)
    return ((out_value if out_tuple else out_value[0]),
            (tuple(results) if out_tuple else results[0]))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: shape output.shape + input.shape per pair."""
    from ..ops.creation import zeros
    from ..ops.shape import stack

    inputs, is_tuple = _as_tuple(inputs)
    inputs = _prepare(inputs, create_graph)
    outputs = func(*inputs)
    outs, out_tuple = _as_tuple(outputs)
    table = []
    for out in outs:
        rows = []
        flat = out.reshape(-1)
        for k in range(flat.numel()):
            grads = _grad(flat[k], inputs, None, create_graph, strict, "jacobian")
            rows.append(_zeros_for(grads, inputs))
        per_input = []
        for i, x in enumerate(inputs):
            if rows:
                block = stack([r[i] for r in rows]).reshape(tuple(out.shape) + tuple(x.shape))
            else:
                block = zeros(tuple(out.shape) + tuple(x.shape), dtype=x.dtype)
            per_input.append(_finish(block, create_graph))
        table.append(tuple(per_input) if is_tuple else per_input[0])
    return tuple(table) if out_tuple else table[0]


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar function ``func`` at ``inputs``."""
    inputs_t, is_tuple = _as_tuple(inputs)

    def gradient(*xs):
        out = func(*xs)
        if not isinstance(out, _tensor.Tensor) or out.numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor "
                               "with a single element")
        from . import grad

        grads = grad(out.reshape(()), xs, create_graph=True, allow_unused=True)
        return tuple(_zeros_for(grads, xs)) if is_tuple else _zeros_for(grads, xs)[0]

    return jacobian(gradient, inputs_t if is_tuple else inputs_t[0], create_graph=create_graph,
                    strict=strict)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H)."""
    from . import grad

    inputs_t, is_tuple = _as_tuple(inputs)
    xs = _prepare(inputs_t, True)
    out = func(*xs)
    grads = _zeros_for(grad(out, xs, create_graph=True, allow_unused=True), xs)
    vs = _as_tuple(v)[0] if v is not None else tuple(x.new_ones(x.shape) for x in xs)
    total = sum((g * vi).sum() for g, vi in zip(grads, vs))
    result = _zeros_for(grad(total, xs, create_graph=create_graph, allow_unused=True), xs)
    result = tuple(_finish(r, create_graph) for r in result)
    return _finish(out, create_graph), (result if is_tuple else result[0])


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v) (equal to v^T H for the symmetric Hessian)."""
    return vhp(func, inputs, v, create_graph, strict)
