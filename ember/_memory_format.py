"""Memory formats: ``ember.contiguous_format``, ``channels_last``, ``channels_last_3d``,
``preserve_format``, accepted wherever torch accepts ``memory_format=``.

What they mean in ember: a tensor's values and shape never depend on the format; only the order
of its elements in memory (its strides) does.  NumPy arrays can have any strides, so
``x.contiguous(memory_format=ember.channels_last)`` really gives torch's channels-last strides
(the channels dim varies fastest: NHWC in memory, still indexed NCHW), and
``x.is_contiguous(memory_format=...)`` answers from the strides as torch does; ``x.to``,
``x.clone``, ``zeros_like``/``empty_like``/... and ``Module.to`` with ``channels_last`` give
channels-last strides too.  Ember's kernels gain no speed from it (NumPy has no
NHWC-specialised convolution); it exists so that scripts that ask for it run and print the same
strides.  One difference: torch's default ``preserve_format`` keeps a channels-last input's
strides in ``clone()``/``*_like``; ember's copies are row-major then (same values).
"""

__all__ = ["memory_format", "contiguous_format", "channels_last", "channels_last_3d",
           "preserve_format"]


class memory_format:
    """One of the memory formats (compare by identity), as torch.memory_format."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"ember.{self.name}"  # as dtypes print: ember.float32

    def __reduce__(self):
        return self.name  # the module-level instance of that name


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")

# the dims in memory order (slowest first) for the channels-last formats
_ORDER = {channels_last: (4, (0, 2, 3, 1)), channels_last_3d: (5, (0, 2, 3, 4, 1))}


def check(fmt, fn):
    """``fmt`` itself, or torch's TypeError when it is not a memory format."""
    if fmt is None or isinstance(fmt, memory_format):
        return fmt
    raise TypeError(f"{fn}(): argument 'memory_format' must be torch.memory_format, not "
                    f"{type(fmt).__name__}")


def _rank_of(fmt, ndim):
    rank, order = _ORDER[fmt]
    if ndim != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {fmt.name} format")
    return order


def is_contiguous(tensor, fmt):
    """Whether ``tensor``'s strides are those of ``fmt`` (size-1 dims may have any stride)."""
    if fmt is None or fmt is contiguous_format or fmt is preserve_format:
        return bool(tensor._data.flags.c_contiguous)
    rank, order = _ORDER[fmt]
    if tensor.dim() != rank:
        return False
    shape, strides = tensor.shape, tensor.stride()
    expected = 1
    for d in reversed(order):  # fastest dim first
        if shape[d] != 1 and strides[d] != expected:
            return False
        expected *= shape[d]
    return True


def channels_last_copy(tensor, fmt):
    """A differentiable copy of ``tensor`` with ``fmt``'s (channels-last) strides."""
    order = _rank_of(fmt, tensor.dim())
    back = sorted(range(len(order)), key=order.__getitem__)  # the inverse permutation
    # NOTE: permuting to memory order, copying row-major and permuting back leaves the values
    # and shape unchanged and the strides channels-last; autograd goes through both permutes.
    return tensor.permute(*order).clone().permute(*back)


def laid_out(array, fmt):
    """A NumPy/CuPy array with ``fmt``'s strides (itself for the row-major formats)."""
    if fmt not in _ORDER:
        return array
    order = _rank_of(fmt, array.ndim)
    back = sorted(range(len(order)), key=order.__getitem__)
    return array.transpose(order).copy().transpose(back)


def contiguous(tensor, fmt):
    """``tensor`` laid out in ``fmt`` (itself when it already is): a differentiable copy."""
    if fmt is None or fmt is contiguous_format or fmt is preserve_format:
        return tensor if tensor._data.flags.c_contiguous else tensor.clone()
    if is_contiguous(tensor, fmt):
        return tensor
    return channels_last_copy(tensor, fmt)
