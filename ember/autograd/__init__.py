"""ember.autograd: backward, grad, grad modes, custom Functions, gradcheck, anomaly mode."""

import numpy as _np

from .. import _device, _dtype, _tensor
from .._legacy import Variable
from . import diagnostics, functional
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .diagnostics import set_graph_growth_warning
from .engine import run_backward
from .function import Function, FunctionCtx, Node, _refresh_view, once_differentiable
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import gradcheck, gradgradcheck

__all__ = ["backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "is_inference_mode_enabled", "detect_anomaly",
           "set_detect_anomaly", "Node", "Function", "FunctionCtx", "once_differentiable",
           "functional", "gradcheck", "gradgradcheck", "set_graph_growth_warning",
           "Variable"]

# issue 20's tail: the legacy nested Function, the engine switches, the old variable()
# the module ember.autograd.variable (old import path of Variable) is loaded first, so that
# the function below, as torch's, is what the name means afterwards
from . import variable as _variable_module  # noqa: E402, F401
from .engine_switches import enforce_grad_layout_policy, set_multithreading_enabled  # noqa: E402
from .nested_io import NestedIOFunction  # noqa: E402

__all__ += ["NestedIOFunction", "enforce_grad_layout_policy", "set_multithreading_enabled",
            "variable"]


def variable(*args, **kwargs):
    """Removed from torch long ago: raises torch's RuntimeError pointing to tensor()."""
    raise RuntimeError("torch.autograd.variable(...) is deprecated, use torch.tensor(...) "
                       "instead")


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, (tuple, list)):
        return tuple(x)
    return (x,)


def _seed_grads(outputs, grad_outputs, create_graph):
    """The gradients to start from: ones for scalar outputs, else those the user gave."""
    grads = []
    for i, out in enumerate(outputs):
        g = grad_outputs[i] if grad_outputs is not None else None
        if g is None:
            grads.append(_ones_seed(out))
            continue
        if not isinstance(g, _tensor.Tensor):
            from ..ops.creation import tensor

            g = tensor(g, dtype=out.dtype, device=out.device)
        elif g.shape != out.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} "
                               f"and output[{i}] has a shape of {out.shape}.")
        if not create_graph:
            g = g.detach()
        grads.append(g)
    return grads


def _ones_seed(out):
    """The implicit gradient of a scalar output: a one of its dtype and shape."""
    data = out._data
    if data.size != 1:
        raise RuntimeError("grad can be implicitly created only for scalar outputs\n"
                           "  ember: backward() on a tensor of shape "
                           f"{list(out.shape)} needs gradient=... of the same shape; "
                           "to train, reduce the loss to one number first "
                           "(loss.mean() or loss.sum()).")
    if out._dtype.category < _dtype.FLOAT:  # neither floating nor complex
        raise RuntimeError("grad can be implicitly created only for real scalar outputs "
                           f"but got {out.dtype}")
    if out.device is _device.CPU and data.ndim == 0:  # a loss: copy a kept one, the fastest way
        one = _CPU_ONES.get(data.dtype)
        if one is None:
            one = _CPU_ONES[data.dtype] = _np.ones((), data.dtype)
        return _tensor.make(one.copy(), out.device)
    xp = _device.xp_for(out.device)
    # NOTE: built directly (xp.ones is slow Python on tiny arrays); a one-element array's shape
    # is all ones, which is what ndmin gives
    return _tensor.make(xp.array(1, dtype=data.dtype, ndmin=data.ndim), out.device)


_CPU_ONES = {}  # numpy dtype -> a 0-dim one, copied for each loss.backward()


def _refresh_views(tensors):
    """A view whose base changed in place after it was made takes its graph anew before it
    is a root (or an input) of backward, as it does before it enters an op."""
    for t in tensors:
        if t._base is not None:
            _refresh_view(t)


def _check_outputs(outputs):
    for i, out in enumerate(outputs):
        if out._base is not None:  # a view changed through its base: take its graph anew
            _refresh_view(out)
        if not out._requires_grad:
            raise diagnostics.no_grad_fn_error(i, out)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    """Accumulate the gradients of ``tensors`` w.r.t. the graph leaves into their ``.grad``."""
    if grad_tensors is None and grad_variables is None and inputs is None and \
            isinstance(tensors, _tensor.Tensor):
        _backward_scalar(tensors, retain_graph, create_graph)
        return
    outputs = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors if grad_tensors is not None else grad_variables)
    if retain_graph is None:
        retain_graph = create_graph
    _check_outputs(outputs)
    grads = _seed_grads(outputs, grad_tensors, create_graph)
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        _refresh_views(inputs)
    run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs, accumulate=True,
                 allow_unused=True)


def _backward_scalar(out, retain_graph, create_graph):
    """``loss.backward()``, the call of every training step, without the general bookkeeping
    of several outputs, given gradients and ``inputs``."""
    if out._base is not None:  # a view changed through its base: take its graph anew
        _refresh_view(out)
    if not out._requires_grad:
        raise diagnostics.no_grad_fn_error(0, out)
    if retain_graph is None:
        retain_graph = create_graph
    run_backward((out,), (_ones_seed(out),), retain_graph, create_graph, None, True, True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` w.r.t. ``inputs``, returned (``.grad`` is not touched)."""
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    grad_outputs = _as_tuple(grad_outputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    if retain_graph is None:
        retain_graph = create_graph
    for t in inputs:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    _refresh_views(inputs)
    _check_outputs(outputs)
    grads = _seed_grads(outputs, grad_outputs, create_graph)
    result = run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs,
                          accumulate=False, allow_unused=allow_unused)
    if materialize_grads:
        from ..ops.creation import zeros_like

        result = tuple(zeros_like(t) if g is None else g for t, g in zip(inputs, result))
    return result
