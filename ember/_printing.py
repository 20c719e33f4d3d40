"""PyTorch's tensor repr: ``tensor([1., 2.], requires_grad=True)``."""

import numpy as np


def tensor_repr(t):
    body = np.array2string(np.asarray(t._host()), separator=", ", precision=4,
                           prefix="tensor(")
    suffix = []
    if t.device.type != "cpu":
        suffix.append(f"device='{t.device}'")
    if t.dtype.name not in ("float32", "int64", "bool"):
        suffix.append(f"dtype={t.dtype}")
    if t.grad_fn is not None:
        suffix.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffix.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + s for s in suffix) + ")"
