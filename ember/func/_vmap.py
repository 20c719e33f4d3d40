"""vmap: torch.func's vectorizing map, done as a loop.

torch runs ``func`` once on "batched tensors"; ember calls ``func`` once per sample (each mapped
input with its batch dim selected away) and stacks the results along ``out_dims``.  The values
are the same; the cost is one call per sample.  Because the loop is made of ordinary
differentiable ops (select, stack), vmap composes with grad, jacrev and itself:
``vmap(grad(loss), in_dims=(None, 0))`` gives per-sample gradients.

Differences from torch's batched tensors, by construction of the loop: ``func`` may call
``.item()`` or branch on values (torch refuses); ``chunk_size`` changes nothing; with
``out_dims=None`` for an output, every sample must return equal values (torch asks that the
output not depend on the mapped inputs; ember checks the values instead); a batch of 0 samples
calls ``func`` once on zeros to learn the output shapes.
"""

import contextlib

import numpy as np

from .. import _pytree, _random, _tensor

Tensor = _tensor.Tensor

_RANDOM_ERROR = ("vmap: called random operation while in randomness error mode. Please either "
                 "use the 'same' or 'different' randomness flags on vmap or perform the "
                 "randomness operation out of vmap")


def _check_randomness(randomness):
    if randomness not in ("error", "different", "same"):
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")


def _generator_states():
    return [g.get_state()._data for g in (_random.default_generator, _random.cuda_generator)]


@contextlib.contextmanager
def _random_guard(randomness):
    """With randomness='error': raise torch's error if the block drew random numbers (seen as
    a change of the generators' states; the states are put back first)."""
    if randomness != "error":
        yield
        return
    before = _generator_states()
    yield
    after = _generator_states()
    if any(not np.array_equal(a, b) for a, b in zip(before, after)):
        _random.default_generator.set_state(before[0])
        _random.cuda_generator.set_state(before[1])
        raise RuntimeError(_RANDOM_ERROR)


def _name(func):
    return getattr(func, "__name__", repr(func))


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``func`` mapped over a batch dim of its inputs: ``vmap(f)(x)[i] == f(x[i])``.

    Args:
        in_dims (int, None or a pytree of them, default 0): per positional argument, the dim
            to map over (None: pass the argument whole to every call).  A prefix of the
            arguments' structure: ``(0, None)`` maps every tensor of a first argument that is a
            dict.
        out_dims (int, None or a pytree, default 0): where the batch dim goes in each output.
        randomness ('error', 'different' or 'same'): 'error' raises if ``func`` draws random
            numbers; 'different' draws fresh numbers per sample; 'same' gives every sample the
            same numbers.
        chunk_size (int or None): torch's memory knob; checked, no effect on the loop.
    """
    _check_randomness(randomness)
    if chunk_size is not None and not (isinstance(chunk_size, int) and chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    def wrapped(*args, **kwargs):
        where = f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>)"
        if not args:
            raise ValueError(f"vmap({_name(func)})(<inputs>): got no inputs. Maybe you forgot to "
                             "add inputs, or you are trying to vmap over a function with no "
                             "inputs. The latter is unsupported.")
        leaves, spec = _pytree.tree_flatten(args)
        dims = _in_dims_per_leaf(in_dims, args, where)
        size = _batch_size(leaves, dims, where)
        samples = []
        first_state = _generator_states() if randomness == "same" else None
        for i in range(max(size, 1)):
            if size == 0:  # nothing to map: one call on zeros tells the output structure
                picked = [x.new_zeros(_without(x.shape, d)) if d is not None else x
                          for x, d in zip(leaves, dims)]
            else:
                picked = [_take(x, d, i) if d is not None else x for x, d in zip(leaves, dims)]
            if first_state is not None:  # 'same': every sample starts from the same state
                _random.default_generator.set_state(first_state[0])
                _random.cuda_generator.set_state(first_state[1])
            with _random_guard(randomness):
                samples.append(func(*_pytree.tree_unflatten(picked, spec), **kwargs))
        return _stack_outputs(func, samples, out_dims, size)

    return wrapped


def _take(x, dim, i):
    """Sample ``i`` of ``x`` along ``dim`` (a view, as torch's select)."""
    return x[(slice(None),) * dim + (i,)]


def _without(shape, dim):
    return tuple(s for k, s in enumerate(shape) if k != dim)


def _in_dims_per_leaf(in_dims, args, where):
    if not isinstance(in_dims, (int, tuple)) or isinstance(in_dims, bool):
        raise ValueError(f"{where}: expected `in_dims` to be int or a (potentially nested) tuple "
                         f"matching the structure of inputs, got: {type(in_dims)}.")
    prefix = in_dims if isinstance(in_dims, tuple) else (in_dims,) * len(args)
    dims = _pytree.broadcast_prefix(prefix, args)
    if dims is None:
        dims_spec = _pytree.spec_str(_pytree.tree_flatten(prefix)[1])
        args_spec = _pytree.spec_str(_pytree.tree_flatten(args)[1])
        raise ValueError(f"{where}: in_dims is not compatible with the structure of `inputs`. "
                         f"in_dims has structure {dims_spec} but inputs has structure "
                         f"{args_spec}.")
    leaves = _pytree.tree_flatten(args)[0]
    normalized = []
    for x, d in zip(leaves, dims):
        if d is None:
            normalized.append(None)
            continue
        if not isinstance(d, int) or isinstance(d, bool):
            raise ValueError(f"{where}: in_dim must be int or None, got {type(d)}")
        if not isinstance(x, Tensor):
            raise ValueError(f"{where}: Got in_dim={d} for an input but the input is of type "
                             f"{type(x)}. We cannot vmap over non-Tensor arguments, please use "
                             "None as the respective in_dim")
        if not -x.dim() <= d < x.dim():
            raise ValueError(f"{where}: Got in_dim={d} for some input, but that input is a Tensor "
                             f"of dimensionality {x.dim()} so expected in_dim to satisfy "
                             f"-{x.dim()} <= in_dim < {x.dim()}.")
        normalized.append(d % x.dim())
    return normalized


def _batch_size(leaves, dims, where):
    sizes = [x.shape[d] for x, d in zip(leaves, dims) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    return sizes[0]


def _stack_outputs(func, samples, out_dims, size):
    """The per-sample outputs stacked along each output's out_dim."""
    from ..ops.join import stack

    flat = [_pytree.tree_flatten(s) for s in samples]
    out_spec = flat[0][1]
    dims = _pytree.broadcast_prefix(out_dims, samples[0])
    if dims is None:
        raise ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims})(<inputs>): out_dims is "
                         "not compatible with the structure of `outputs`. out_dims has structure "
                         f"{_pytree.spec_str(_pytree.tree_flatten(out_dims)[1])} but outputs has "
                         f"structure {_pytree.spec_str(out_spec)}.")
    results = []
    for k, d in enumerate(dims):
        values = [leaves[k] for leaves, _ in flat]
        if d is None:
            results.append(_same_for_all(func, values))
            continue
        if not isinstance(values[0], Tensor):
            raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` must only return "
                             f"Tensors, got type {type(values[0])}. Did you mean to set "
                             "out_dims= to None for output?")
        stacked = stack(values, dim=d)  # stack checks d against the output's dims, as torch
        if size == 0:
            stacked = stacked.narrow(d % stacked.dim(), 0, 0)
        results.append(stacked)
    return _pytree.tree_unflatten(results, out_spec)


def _same_for_all(func, values):
    first = values[0]
    if isinstance(first, Tensor):
        for v in values[1:]:
            if not (v.shape == first.shape and bool((v == first).all())):
                raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` can not return a "
                                 "BatchedTensor when out_dim is None")
    return first
