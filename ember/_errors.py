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
