"""gradcheck / gradgradcheck: compare autograd's gradients with finite differences.

Inputs should be float64 (or complex128).  For every input element, the numerical derivative
(central difference with step ``eps``) of every output element is compared with the analytical
Jacobian that backward computes, row by row.  Complex numbers follow torch's convention: a
complex input is moved along its real and its imaginary part, and a complex output is seeded
with 1 and with 1j, so a wrong imaginary part anywhere fails the check.
"""

import numpy as np

from .. import _device, _tensor


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the gradients do not match (a RuntimeError, as in torch)."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _differentiable_outputs(outputs):
    return [o for o in outputs if isinstance(o, _tensor.Tensor) and o.requires_grad]


def _numerical_derivatives(fn, inputs, i, out_index, eps):
    """Central differences of outputs[out_index] w.r.t. input i: d/dx of each output element
    for each input element, shape (n_in, n_out), and for a complex input also d/dy (the
    imaginary part moved); complex outputs keep their imaginary parts."""
    x = inputs[i]
    flat = x._data.reshape(-1)  # a view when contiguous; gradcheck works on its own copies
    n_out = _tensor_outputs(fn, inputs)[out_index].numel()
    steps = (eps, eps * 1j) if x.is_complex() else (eps,)
    derivatives = []
    for step in steps:
        columns = []
        for k in range(flat.size if n_out else 0):
            original = flat[k].item()  # a Python number: on CuPy flat[k] is a view
            flat[k] = original + step
            plus = _host(_tensor_outputs(fn, inputs)[out_index])
            flat[k] = original - step
            minus = _host(_tensor_outputs(fn, inputs)[out_index])
            flat[k] = original
            columns.append((plus - minus) / (2 * eps))
        derivatives.append(np.array(columns).reshape(flat.size, n_out))
    return derivatives


def _host(t):
    """A tensor's values as a flat NumPy array of float64 or complex128 (from the GPU if needed)."""
    wide = np.complex128 if t.is_complex() else np.float64
    return t.detach()._host().astype(wide).reshape(-1)


def _tensor_outputs(fn, inputs):
    # NOTE: not under no_grad: gradgradcheck's function itself calls autograd.grad
    outs = _as_tuple(fn(*inputs))
    return [o for o in outs if isinstance(o, _tensor.Tensor)]


def _seeds(out):
    """The gradients fed to a complex output: 1 and 1j check its real and imaginary parts."""
    return (1, 1j) if out.is_complex() else (1,)


def _analytical_rows(fn, inputs, i, out_index, seed_value):
    """What backward gives for input i when output element j is seeded with ``seed_value``
    (0 elsewhere), for every j: shape (n_in, n_out)."""
    from . import grad as autograd_grad

    outs = [o for o in _as_tuple(fn(*inputs)) if isinstance(o, _tensor.Tensor)]
    out = outs[out_index]
    n_out, n_in = out.numel(), inputs[i].numel()
    wide = np.complex128 if inputs[i].is_complex() else np.float64
    rows = []
    for j in range(n_out):
        if not out.requires_grad:
            rows.append(np.zeros(n_in, wide))
            continue
        seed = _device.xp_for(out.device).zeros(n_out, dtype=out._data.dtype)
        seed[j] = seed_value
        seed_t = _tensor.Tensor._make(seed.reshape(out._data.shape), out.device)
        (g,) = autograd_grad(out, inputs[i], seed_t, retain_graph=True, allow_unused=True)
        rows.append(np.zeros(n_in, wide) if g is None else _host(g))
    return np.array(rows, dtype=wide).T.reshape(n_in, n_out)


def _expected_rows(derivatives, seed_value):
    """The gradient backward must return for a seed ``v`` on each output element: the
    derivative of the real number Re(conj(v) * out) along the input's real part, plus i times
    the one along its imaginary part (torch's convention for complex inputs)."""
    along_x = np.real(np.conj(seed_value) * derivatives[0])
    if len(derivatives) == 1:
        return along_x
    return along_x + 1j * np.real(np.conj(seed_value) * derivatives[1])


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
    outputs = _tensor_outputs(func, inputs)
    for out_index, out in enumerate(outputs):
        for k in tensor_inputs:
            derivatives = _numerical_derivatives(func, inputs, k, out_index, eps)
            for seed_value in _seeds(out):  # both parts of a complex output
                numerical = _expected_rows(derivatives, seed_value)
                analytical = _analytical_rows(func, inputs, k, out_index, seed_value)
                if not np.allclose(analytical, numerical, rtol=rtol, atol=atol):
                    if not raise_exception:
                        return False
                    part = " (imaginary part)" if seed_value == 1j else ""
                    raise GradcheckError(
                        f"Jacobian mismatch for output {out_index}{part} with respect to input "
                        f"{k},\nnumerical:{numerical}\nanalytical:{analytical}\n")
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
