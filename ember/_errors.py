"""One voice for ember's errors: PyTorch's exception class and first line, then ember's
explanation and the fix.  Ops call these helpers where a backend error surfaces, so the checks
cost nothing on the happy path.
"""


def _fmt_shape(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def broadcast_error(shape_a, shape_b, op=None):
    """torch's message for two shapes that do not broadcast, with the dimension at fault."""
    ndim = max(len(shape_a), len(shape_b))
    a = (1,) * (ndim - len(shape_a)) + tuple(shape_a)
    b = (1,) * (ndim - len(shape_b)) + tuple(shape_b)
    for i in range(ndim - 1, -1, -1):
        if a[i] != b[i] and a[i] != 1 and b[i] != 1:
            where = f" in {op}" if op else ""
            return RuntimeError(
                f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) at "
                f"non-singleton dimension {i}\n"
                f"  ember: shapes {_fmt_shape(shape_a)} and {_fmt_shape(shape_b)} cannot be "
                f"broadcast together{where}; each dimension (aligned from the right) must be "
                "equal or 1. Check the shapes with .shape, and use .unsqueeze(), .view() or "
                ".reshape() to line them up.")
    return RuntimeError(f"shapes {_fmt_shape(shape_a)} and {_fmt_shape(shape_b)} cannot be "
                        "broadcast together")


def _broadcast_pair(a, b):
    """The shape of ``a`` and ``b`` broadcast together, or None where they do not."""
    ndim = max(len(a), len(b))
    a = (1,) * (ndim - len(a)) + tuple(a)
    b = (1,) * (ndim - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x != y and x != 1 and y != 1:
            return None
        out.append(y if x == 1 else x)
    return tuple(out)


def broadcast_failure(shapes, op=None):
    """torch's error for the first of ``shapes`` that does not broadcast with those before it
    (torch's "tensor a" is the shape so far, "tensor b" the next one); None if all broadcast."""
    so_far = ()
    for shape in shapes:
        joined = _broadcast_pair(so_far, shape)
        if joined is None:
            return broadcast_error(so_far, shape, op)
        so_far = joined
    return None


def _no_context():
    return ""


# Only nn.Module knows which layer is running, and nn sits above the tensor core: nn registers
# its answer here when it is imported, so the core names the layer without importing nn.
_context_provider = _no_context


def set_context_provider(fn):
    """Make ``fn() -> str`` name the layer an error happens in; returns the previous one."""
    global _context_provider
    previous, _context_provider = _context_provider, fn
    return previous


def _module_context():
    """'model.fc2 (Linear(...))' when the error happens inside a Module's forward, else ''."""
    return _context_provider()


def device_mismatch(dev_a, dev_b, op=None):
    if dev_a.type == "meta" or dev_b.type == "meta":  # torch's words differ for meta tensors
        return RuntimeError(
            f"Tensor on device {dev_b} is not on the expected device {dev_a}!\n  ember: a meta "
            "tensor has a shape and a dtype but no values; an op can mix it only with other "
            "meta tensors (and 0-dim CPU tensors). Build the model on one device, or give the "
            "meta model real tensors with module.to_empty(device=...).")
    where = _module_context() or op
    place = f"\n  in {where}: one tensor is on {dev_a}, another on {dev_b}" if where else ""
    return RuntimeError(
        f"Expected all tensors to be on the same device, but found at least two devices, "
        f"{dev_a} and {dev_b}!{place}\n"
        "  hint: move the model and every batch to one device: model.to(device) once, and "
        "x = x.to(device) for each input and target in the loop.")


def dtype_mismatch(op, name_a, dtype_a, name_b, dtype_b):
    """torch's ``mat1 and mat2 must have the same dtype`` with the float64-numpy explanation."""
    where = _module_context() or op
    place = (f"\n  in {where}: input is {dtype_a.name}, weight is {dtype_b.name}" if where
             else "")
    if "Double" in (dtype_a._short, dtype_b._short):
        hint = ("\n  hint: float64 data usually comes from NumPy (np.array defaults to float64) "
                "while layers are float32. Convert the data with ember.from_numpy(x).float() "
                "(or x.astype(np.float32)), or the model with model.double().")
    else:
        hint = (f"\n  hint: convert one side with .to({dtype_b}) or .to({dtype_a}) so both "
                "have the same dtype.")
    return RuntimeError(
        f"{name_a} and {name_b} must have the same dtype, but got {dtype_a._short} and "
        f"{dtype_b._short}" + place + hint)


def _bytes_in_words(n):
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if n < 1024 or unit == "EiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024


def allocation_error(error, shape, itemsize):
    """NumPy's failure to make an array of ``shape`` (MemoryError, or ValueError "array is too
    big") as torch's RuntimeError; any other error unchanged."""
    numel = 1
    for s in shape:
        numel *= s
    nbytes = numel * itemsize
    if nbytes >= 2**63:  # more bytes than a 64-bit size can count
        return RuntimeError(
            f"Storage size calculation overflowed with sizes={list(shape)}\n"
            f"  ember: {numel} elements of {itemsize} bytes need more than 2**63 bytes; "
            "check the sizes (a product of dimensions, or a stray large number).")
    if not isinstance(error, MemoryError):
        return error
    return RuntimeError(
        f"DefaultCPUAllocator: can't allocate memory: you tried to allocate {nbytes} bytes. "
        "Error code 12 (Cannot allocate memory)\n"
        f"  ember: a tensor of shape {_fmt_shape(shape)} needs {_bytes_in_words(nbytes)}, more "
        "than this machine can give; check the sizes, or work on smaller batches.")
