"""grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian: torch.func's autodiff transforms.

ember has one autodiff machine, the reverse-mode tape (``autograd.grad``); every transform is
built on it, with the maths of ``autograd/functional.py`` (Jacobians row by row, Jacobian-vector
products by the double-vjp trick).  All results are exact, not finite differences.

Levels.  torch.func tells transforms apart by nesting levels.  ember does it the simple way:

- a transform calls ``func`` on *fresh* tensors: a leaf ``x.detach().requires_grad_()`` for an
  input that requires no grad, a view ``x.view_as(x)`` of one that does (so an enclosing
  transform, or ordinary autograd, still sees the dependence on ``x``);
- gradients are always taken with ``create_graph=True``, so ``grad(grad(f))`` works;
- when the outermost transform returns, a result whose graph reaches no tensor but the fresh
  leaves (nothing the caller could differentiate) is detached.  A result that depends on a
  tensor the caller made with requires_grad=True (an argument, or one captured by ``func``)
  keeps its graph, as in torch.
"""

import threading

from .. import _pytree, _tensor
from ..autograd import functional as _functional
from ..autograd import grad_mode as _grad_mode

Tensor = _tensor.Tensor

_levels = threading.local()  # how many transforms are running in this thread


def _depth():
    return getattr(_levels, "depth", 0)


class _Level:
    """One transform running: counts the nesting and switches recording on (a transform works
    inside no_grad too, as in torch); remembers the caller's grad mode for the final results."""

    def __enter__(self):
        self.outermost = _depth() == 0
        self.caller_records = _grad_mode.is_grad_enabled()
        _levels.depth = _depth() + 1
        self.fresh = []
        self.grad_mode = _grad_mode.enable_grad()
        self.grad_mode.__enter__()
        return self

    def __exit__(self, *exc):
        self.grad_mode.__exit__(*exc)
        _levels.depth -= 1

    def make_fresh(self, t):
        """The tensor ``func`` sees in place of the input ``t``."""
        if not isinstance(t, Tensor):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(t)}")
        if t.requires_grad and self.caller_records:
            fresh = t.view_as(t)
        else:
            fresh = t.detach().requires_grad_(True)
            self.fresh.append(fresh)
        return fresh

    def release(self, tree):
        """The results as the caller gets them (see the module docstring)."""
        if not self.outermost:
            return tree
        fresh_ids = {id(t) for t in self.fresh}

        def one(t):
            if not isinstance(t, Tensor) or not t.requires_grad:
                return t
            if self.caller_records and _reaches_outside(t, fresh_ids):
                return t
            return t.detach()

        return _pytree.tree_map(one, tree)


def _reaches_outside(t, fresh_ids):
    """Does the graph of ``t`` reach a leaf that is not one of the transform's fresh leaves?"""
    if t.grad_fn is None:
        return id(t) not in fresh_ids
    stack, seen = [t.grad_fn], set()
    while stack:
        node = stack.pop()
        for target, nr, _shape, _dtype in getattr(node, "_edges", ()):
            if target is None:
                continue
            if nr < 0:  # a leaf tensor
                if id(target) not in fresh_ids:
                    return True
            elif id(target) not in seen:
                seen.add(id(target))
                stack.append(target)
    return False


# ---------------------------------------------------------------------------- arguments


def _check_argnums(argnums, num_args):
    if isinstance(argnums, int) and not isinstance(argnums, bool):
        positions = (argnums,)
    elif isinstance(argnums, tuple) and all(isinstance(a, int) for a in argnums):
        positions = argnums
    else:
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    if len(set(positions)) != len(positions):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    for a in positions:
        if not -num_args <= a < num_args:
            raise RuntimeError(f"Got argnum={a}, but only {num_args} positional inputs")
    return [a % num_args for a in positions]


def _chosen(args, argnums):
    """The differentiated part of ``args`` (one argument or a tuple of them), flattened."""
    positions = _check_argnums(argnums, len(args))
    chosen = args[positions[0]] if isinstance(argnums, int) else \
        tuple(args[p] for p in positions)
    leaves, spec = _pytree.tree_flatten(chosen)
    return positions, leaves, spec


def _with_chosen(args, argnums, positions, leaves, spec):
    """``args`` with the differentiated part replaced by ``leaves``."""
    chosen = _pytree.tree_unflatten(leaves, spec)
    new_args = list(args)
    if isinstance(argnums, int):
        new_args[positions[0]] = chosen
    else:
        for p, value in zip(positions, chosen):
            new_args[p] = value
    return new_args


def _split_aux(out, has_aux, api):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) "
                           "if has_aux is True")
    return out


def _zeros_for_unused(grads, inputs):
    return [x.new_zeros(x.shape) if g is None else g for g, x in zip(grads, inputs)]


def _grad_of(outputs, inputs, cotangents):
    """sum_k cotangent_k^T d output_k / d inputs, with the graph kept (see the levels)."""
    from ..autograd import grad

    pairs = [(o, v) for o, v in zip(outputs, cotangents) if o.requires_grad]
    if not pairs:
        return _zeros_for_unused([None] * len(inputs), inputs)
    grads = grad([o for o, _ in pairs], inputs, [v for _, v in pairs], retain_graph=True,
                 create_graph=True, allow_unused=True)
    return _zeros_for_unused(grads, inputs)


# ---------------------------------------------------------------------------- grad, vjp


def grad_and_value(func, argnums=0, has_aux=False):
    """``func``'s gradient w.r.t. the arguments at ``argnums`` and its value:
    ``grad_and_value(f)(x) == (df/dx, f(x))`` (``((df/dx, (f(x), aux))`` with has_aux).
    ``func`` must return a 0-dim tensor."""
    api = "grad_and_value(f)(*args)"

    def wrapper(*args, **kwargs):
        positions, leaves, spec = _chosen(args, argnums)
        with _Level() as level:
            fresh = [level.make_fresh(t) for t in leaves]
            out = func(*_with_chosen(args, argnums, positions, fresh, spec), **kwargs)
            out, aux = _split_aux(out, has_aux, api)
            if not isinstance(out, Tensor):
                raise RuntimeError(f"{api}: Expected f(*args) to return a Tensor, got "
                                   f"{type(out)}")
            if out.dim() != 0:
                raise RuntimeError(f"{api}: Expected f(*args) to return a scalar Tensor, got "
                                   f"tensor with {out.dim()} dims. Maybe you wanted to use the "
                                   "vjp or jacrev APIs instead?")
            grads = _grad_of([out], fresh, [None])
            result = level.release((_pytree.tree_unflatten(grads, spec), out, aux))
        gradient, value, aux = result
        return (gradient, (value, aux)) if has_aux else (gradient, value)

    return wrapper


def grad(func, argnums=0, has_aux=False):
    """The gradient of a scalar function: ``grad(f)(x) == df/dx`` (a tensor shaped like x, or
    the same pytree as the arguments at ``argnums``); ``(df/dx, aux)`` with has_aux.  An input
    that ``func`` does not use gets zeros."""
    both = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        gradient, value = both(*args, **kwargs)
        return (gradient, value[1]) if has_aux else gradient

    return wrapper


def _only_tensors(leaves, api):
    for leaf in leaves:
        if not isinstance(leaf, Tensor):
            raise RuntimeError(f"{api}: expected f(*primals) to return only tensors, got "
                               f"unsupported type {type(leaf)}")


def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)``: ``vjp_fn(cotangents)`` returns, for each primal,
    cotangents^T d func / d primal (a tuple with one entry per primal).  vjp_fn may be called
    several times.  With has_aux, ``(output, vjp_fn, aux)``."""
    leaves, spec = _pytree.tree_flatten(primals)
    level = _Level()
    with level:
        fresh = [level.make_fresh(t) for t in leaves]
        out = func(*_pytree.tree_unflatten(fresh, spec))
        out, aux = _split_aux(out, has_aux, "vjp(f, *primals)")
        outs, out_spec = _pytree.tree_flatten(out)
        _only_tensors(outs, "vjp(f, *primals)")

    def vjp_fn(cotangents):
        vs, v_spec = _pytree.tree_flatten(cotangents)
        if v_spec != out_spec:
            raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree "
                               "structure of outputs to the function. cotangents: "
                               f"{_pytree.spec_str(v_spec)}, primal output: "
                               f"{_pytree.spec_str(out_spec)}")
        for i, (o, v) in enumerate(zip(outs, vs)):
            if tuple(v.shape) != tuple(o.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                                   f"{v.shape} and output[{i}] has a shape of {o.shape}.")
        with _Level():  # counts as a transform while the gradient is taken
            grads = _grad_of(outs, fresh, vs)
        return level.release(_pytree.tree_unflatten(grads, spec))

    released = level.release((out, aux))
    return (released[0], vjp_fn, released[1]) if has_aux else (released[0], vjp_fn)


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``(func(*primals), J tangents)``: the Jacobian-vector product.  ember has no forward-mode
    AD; J v is computed exactly by the double-vjp trick (autograd.functional.jvp): u -> J^T u is
    linear in u, so the gradient of <J^T u, v> w.r.t. u is J v.  ``strict`` is accepted and, as
    in torch 2.13, changes nothing."""
    api = "jvp(f, primals, tangents)"
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{api}: Expected primals to be a tuple. E.g. it should be valid to "
                           "call f(*primals).")
    leaves, spec = _pytree.tree_flatten(primals)
    t_leaves, t_spec = _pytree.tree_flatten(tangents)
    if t_spec != spec:
        raise RuntimeError(f"{api}: Expected primals and tangents to have the same python "
                           "structure. For example, if primals is a tuple of 3 tensors, "
                           "tangents also must be. Got primals with structure "
                           f"{_pytree.spec_str(spec)} and tangents with structure "
                           f"{_pytree.spec_str(t_spec)}")
    for p, t in zip(leaves, t_leaves):
        if tuple(p.shape) != tuple(t.shape):
            raise RuntimeError("Trying to set a forward gradient that has a different size than "
                               "that of the original Tensor, this is not supported. Tensor is "
                               f"of size {list(p.shape)} while the given forward gradient is of "
                               f"size {list(t.shape)}.")
    found = {}

    def flat_fn(*xs):
        out = func(*_pytree.tree_unflatten(list(xs), spec))
        out, found["aux"] = _split_aux(out, has_aux, api)
        outs, found["spec"] = _pytree.tree_flatten(out)
        _only_tensors(outs, api)
        return tuple(outs)

    with _Level() as level:
        fresh = [level.make_fresh(t) for t in leaves]
        outs, jv = _functional.jvp(flat_fn, tuple(fresh), tuple(t_leaves), create_graph=True)
        out = _pytree.tree_unflatten(list(outs), found["spec"])
        jv = _pytree.tree_unflatten(list(jv), found["spec"])
        out, jv, aux = level.release((out, jv, found.get("aux")))
    return (out, jv, aux) if has_aux else (out, jv)


# ---------------------------------------------------------------------------- Jacobians


def _jacobian(func, argnums, has_aux, api):
    """The Jacobian transform shared by jacrev and jacfwd: each output leaf's Jacobian has
    shape output.shape + input.shape, arranged as the arguments at ``argnums`` are (a tuple
    per argnum for a tuple of argnums, the argument's own pytree below that)."""

    def wrapper(*args, **kwargs):
        positions, leaves, spec = _chosen(args, argnums)
        found = {}

        def flat_fn(*xs):
            out = func(*_with_chosen(args, argnums, positions, list(xs), spec), **kwargs)
            out, found["aux"] = _split_aux(out, has_aux, api)
            outs, found["spec"] = _pytree.tree_flatten(out)
            _only_tensors(outs, api)
            return tuple(outs)

        with _Level() as level:
            fresh = [level.make_fresh(t) for t in leaves]
            # autograd.functional.jacobian: one reverse pass per output element (a row of J)
            table = _functional.jacobian(flat_fn, tuple(fresh), create_graph=True)
            per_output = [_pytree.tree_unflatten(list(row), spec) for row in table]
            jac = _pytree.tree_unflatten(per_output, found["spec"])
            jac, aux = level.release((jac, found.get("aux")))
        return (jac, aux) if has_aux else jac

    return wrapper


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """The Jacobian of ``func`` w.r.t. the arguments at ``argnums`` by reverse mode.
    ``chunk_size`` (how many rows torch computes at once) is checked as torch does; ember
    computes one row at a time whatever it is, and ``_preallocate_and_copy`` (torch's memory
    layout choice) changes nothing either."""
    if chunk_size is not None and not (isinstance(chunk_size, int) and chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")
    return _jacobian(func, argnums, has_aux, "jacrev(f)(*args)")


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The Jacobian of ``func`` w.r.t. the arguments at ``argnums``.  torch computes it by
    forward mode; ember, which has none, by reverse mode: the same values and shapes.  With
    randomness='error' (the default), a random op inside ``func`` raises torch's error."""
    from ._vmap import _check_randomness, _random_guard

    _check_randomness(randomness)
    jac = _jacobian(func, argnums, has_aux, "jacfwd(f)(*args)")

    def wrapper(*args, **kwargs):
        with _random_guard(randomness):
            return jac(*args, **kwargs)

    return wrapper


def hessian(func, argnums=0):
    """The Hessian of a scalar function: the Jacobian of its gradient (torch:
    jacfwd(jacrev(func)))."""
    return jacfwd(jacrev(func, argnums), argnums)
