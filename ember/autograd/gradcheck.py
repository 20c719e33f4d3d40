"""gradcheck / gradgradcheck: compare autograd's gradients with finite differences.

Inputs should be float64 (or complex128).  For every input element, the numerical derivative
(central difference with step ``eps``) of every output element is compared with the analytical
Jacobian that backward computes, row by row.
"""

import numpy as np

from .. import _device, _tensor


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the gradients do not match (a RuntimeError, as in torch)."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _differentiable_outputs(outputs):
    return [o for o in outputs if isinstance(o, _tensor.Tensor) and o.requires_grad]


def _numerical_jacobian(fn, inputs, i, out_index, eps):
    """d outputs[out_index] / d inputs[i] by central differences, shape (n_in, n_out)."""
    x = inputs[i]
    flat = x._data.reshape(-1)  # a view when contiguous; gradcheck works on its own copies
    n_out = _tensor_outputs(fn, inputs)[out_index].numel()
    if flat.size == 0 or n_out == 0:
        return np.zeros((flat.size, n_out))
    columns = []
    for k in range(flat.size):
        original = flat[k].item()  # a Python number: on CuPy flat[k] is a view
        flat[k] = original + eps
        plus = _host64(_tensor_outputs(fn, inputs)[out_index])
        flat[k] = original - eps
        minus = _host64(_tensor_outputs(fn, inputs)[out_index])
        flat[k] = original
        columns.append((plus - minus) / (2 * eps))
    return np.array(columns).reshape(flat.size, -1)


def _host64(t):
    """A tensor's values as a flat float64 NumPy array (copied from the GPU when needed)."""
    return t.detach()._host().astype(np.float64).reshape(-1)


def _tensor_outputs(fn, inputs):
    # NOTE: not under no_grad: gradgradcheck's function itself calls autograd.grad
    outs = _as_tuple(fn(*inputs))
    return [o for o in outs if isinstance(o, _tensor.Tensor)]


def _analytical_jacobian(fn, inputs, i, out_index):
    from . import grad as autograd_grad

    outs = [o for o in _as_tuple(fn(*inputs)) if isinstance(o, _tensor.Tensor)]
    out = outs[out_index]
    n_out = out.numel()
    if n_out == 0 or inputs[i].numel() == 0:
        return np.zeros((inputs[i].numel(), n_out))
    rows = []
    for j in range(n_out):
        seed = _device.xp_for(out.device).zeros(n_out, dtype=out._data.dtype)
        seed[j] = 1
        seed_t = _tensor.Tensor._make(seed.reshape(out._data.shape), out.device)
        if not out.requires_grad:
            rows.append(np.zeros(inputs[i].numel()))
            continue
        (g,) = autograd_grad(out, inputs[i], seed_t, retain_graph=True, allow_unused=True)
        rows.append(np.zeros(inputs[i].numel()) if g is None else
                    _host64(g))
    return np.array(rows).T.reshape(inputs[i].numel(), n_out)


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False,
              check_forward_ad=False, check_backward_ad=True, fast_mode=False, masked=None):
    """True if autograd's gradients of ``func`` at ``inputs`` match finite differences."""
    inputs = tuple(t.detach().clone().requires_grad_(t.requires_grad)
                   if isinstance(t, _tensor.Tensor) else t for t in _as_tuple(inputs))
    tensor_inputs = [k for k, t in enumerate(inputs)
                     if isinstance(t, _tensor.Tensor) and t.requires_grad]
    for k in tensor_inputs:
        if inputs[k].dtype.name not in ("float64", "complex128"):
            import warnings

            warnings.warn(f"Input #{k} requires gradient and is not a double precision floating "
                          "point or complex. This check will likely fail if all the inputs are "
                          "not of double precision floating point or complex.", stacklevel=2)
    n_outputs = len(_tensor_outputs(func, inputs))
    for out_index in range(n_outputs):
        for k in tensor_inputs:
            numerical = _numerical_jacobian(func, inputs, k, out_index, eps)
            analytical = _analytical_jacobian(func, inputs, k, out_index)
            if not np.allclose(analytical, numerical, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                raise GradcheckError(
                    f"Jacobian mismatch for output {out_index} with respect to input {k},\n"
                    f"numerical:{numerical}\nanalytical:{analytical}\n")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, **kwargs):
    """gradcheck of the first derivative: checks second-order gradients."""
    from . import grad as autograd_grad

    inputs = _as_tuple(inputs)
    diff_inputs = [t for t in inputs if isinstance(t, _tensor.Tensor) and t.requires_grad]
    outputs = _tensor_outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            _tensor.Tensor._make(rng.standard_normal(o._data.shape).astype(o._data.dtype),
                                 o.device).requires_grad_(True) for o in outputs)
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def first_derivative(*args):
        xs, gs = args[:n_in], args[n_in:]
        outs = [o for o in _as_tuple(func(*xs)) if isinstance(o, _tensor.Tensor)]
        wanted = [x for x in xs if isinstance(x, _tensor.Tensor) and x.requires_grad]
        grads = autograd_grad(outs, wanted, gs, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    del diff_inputs
    return gradcheck(first_derivative, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
