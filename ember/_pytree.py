"""A tiny pytree helper: nested tuples, lists, dicts and namedtuples flattened to a list of
leaves and rebuilt from one.  ember.func (transforms over pytrees of tensors, vmap's in_dims and
out_dims) and ember.utils.checkpoint use it.

A *spec* records the shape of the tree: ``None`` for a leaf, else ``(kind, keys, children)``
where ``kind`` is the container's type, ``keys`` the dict's keys (or None) and ``children`` the
children's specs.  Anything that is not a tuple, list or dict (a tensor, a number, None) is a
leaf.
"""


def _is_namedtuple(obj):
    return isinstance(obj, tuple) and hasattr(type(obj), "_fields")


def tree_flatten(tree):
    """(leaves in depth-first order, spec)."""
    leaves = []
    return leaves, _flatten_into(tree, leaves)


def _flatten_into(tree, leaves):
    if isinstance(tree, dict):
        keys = list(tree)
        return (type(tree), keys, [_flatten_into(tree[k], leaves) for k in keys])
    if isinstance(tree, (tuple, list)):
        return (type(tree), None, [_flatten_into(child, leaves) for child in tree])
    leaves.append(tree)
    return None


def tree_unflatten(leaves, spec):
    """The tree of ``spec`` with ``leaves`` in place of its leaves (depth-first order)."""
    it = iter(leaves)
    return _build(spec, it)


def _build(spec, it):
    if spec is None:
        return next(it)
    kind, keys, children = spec
    values = [_build(child, it) for child in children]
    if keys is not None:
        return kind(zip(keys, values))
    if kind is tuple or kind is list:
        return kind(values)
    if issubclass(kind, tuple) and hasattr(kind, "_fields"):  # a namedtuple
        return kind(*values)
    return kind(values)


def tree_map(fn, tree):
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(leaf) for leaf in leaves], spec)


def num_leaves(spec):
    if spec is None:
        return 1
    return sum(num_leaves(child) for child in spec[2])


def spec_str(spec):
    """The spec written as torch writes a TreeSpec's structure ('*' for a leaf)."""
    if spec is None:
        return "*"
    kind, keys, children = spec
    return f"TreeSpec({kind.__name__}, {keys}, [{', '.join(spec_str(c) for c in children)}])"


def broadcast_prefix(prefix, tree):
    """One value of ``prefix`` per leaf of ``tree``: ``prefix`` has the shape of the tree's top
    levels and each of its leaves stands for the whole subtree below it (vmap's in_dims=(0,
    None) over (a dict, a tensor) maps every tensor of the dict).  None when the shapes do not
    match."""
    out = []
    return out if _broadcast_into(prefix, tree, out) else None


def _broadcast_into(prefix, tree, out):
    prefix_is_node = isinstance(prefix, (tuple, list, dict))
    if not prefix_is_node:
        _, spec = tree_flatten(tree)
        out.extend([prefix] * num_leaves(spec))
        return True
    if isinstance(prefix, dict) != isinstance(tree, dict) or \
            not isinstance(tree, (tuple, list, dict)):
        return False
    if isinstance(prefix, dict):
        if set(prefix) != set(tree):
            return False
        return all(_broadcast_into(prefix[k], tree[k], out) for k in tree)
    if len(prefix) != len(tree):
        return False
    return all(_broadcast_into(p, t, out) for p, t in zip(prefix, tree))
