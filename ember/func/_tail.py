"""torch.func's smaller names: linearize, functionalize, replace_all_batch_norm_modules_,
debug_unwrap."""

from .. import _pytree, _tensor
from ._transforms import jvp

__all__ = ["debug_unwrap", "functionalize", "linearize", "replace_all_batch_norm_modules_"]


def linearize(func, *primals):
    """``(func(*primals), jvp_fn)``: ``jvp_fn(*tangents)`` is the Jacobian of ``func`` at
    ``primals`` times ``tangents`` (torch traces the linear map once; ember computes each
    product with ``jvp`` at the same point, which gives the same values)."""
    output = func(*primals)
    output = _pytree.tree_map(
        lambda t: t.detach() if isinstance(t, _tensor.Tensor) else t, output)
    leaves, spec = _pytree.tree_flatten(primals)

    def jvp_fn(*tangents):
        t_leaves, t_spec = _pytree.tree_flatten(tangents)
        if t_spec != spec:
            raise RuntimeError(f"Expected the tangents {_pytree.spec_str(t_spec)} to have the "
                               f"same argspec as the primals {_pytree.spec_str(spec)}")
        for k, (p, t) in enumerate(zip(leaves, t_leaves)):
            if tuple(p.shape) != tuple(t.shape):
                raise RuntimeError(f"tangent:{k} with shape {t.shape} in flattened pytree "
                                   "doesn't match the shape "
                                   f"{p.shape} of the corresponding primal.")
            if t.dtype != p.dtype:
                raise RuntimeError(f"tangent:{k} with dtype {t.dtype} in flattened pytree "
                                   f"doesn't match the dtype {p.dtype} of the corresponding "
                                   "primal.")
        return jvp(func, primals, tangents)[1]

    return output, jvp_fn


_REMOVE = ("mutations", "mutations_and_views")


def functionalize(func, *, remove="mutations"):
    """``func`` itself: torch rewrites in-place and out= ops (and with
    remove='mutations_and_views' views) into out-of-place ones for its compilers; the values
    are the same, and ember runs eagerly, so there is nothing to rewrite."""
    if remove not in _REMOVE:
        raise RuntimeError(
            f"functionalize(f, remove='mutations'): received invalid argument for "
            f"remove={remove}. Valid options are:\n     remove='mutations': all inplace and "
            "out= operators will be removed from the program, and replaced with their "
            "out-of-place equivalents.\n     remove='mutations_and_views': In addition to the "
            "above, all aliasing operators {view} will be replaced with their non-aliasing "
            "counterparts, {view}_copy.\n")
    return func


def replace_all_batch_norm_modules_(root):
    """In place: every batch norm module in ``root`` stops tracking running statistics
    (running_mean, running_var and num_batches_tracked become None), so it always normalises
    with the batch's own statistics, as vmap over models needs.  Returns ``root``."""
    for module in root.modules():
        # NOTE: found by class name, as the core (ember.func) never imports nn; InstanceNorm
        # shares the statistics fields but is not a _BatchNorm, and torch leaves it alone too
        is_batch_norm = any(c.__name__ == "_BatchNorm" for c in type(module).__mro__)
        if is_batch_norm and module.track_running_stats:
            module.running_mean = None
            module.running_var = None
            module.num_batches_tracked = None
            module.track_running_stats = False
    return root


def debug_unwrap(tensor, *, recurse=True):
    """The tensor under torch.func's wrappers.  ember's transforms work on plain tensors
    (there is no wrapper to remove), so this is ``tensor`` itself."""
    del recurse  # no wrapper levels to walk
    return tensor
