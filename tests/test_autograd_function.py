"""Custom autograd.Function with torch's contract, autograd.functional, anomaly mode, memory."""

import gc
import tracemalloc
import weakref

import numpy as np
import pytest
import torch

import ember

from conftest import assert_same, pair


def _exp_function(lib):
    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    return Exp


def test_custom_function_forward_backward_like_torch():
    e, t = pair([0.5, -1.0, 2.0], requires_grad=True)
    ye = _exp_function(ember).apply(e)
    yt = _exp_function(torch).apply(t)
    assert_same(ye, yt)
    assert ye.grad_fn.name() == "ExpBackward"
    (ye * ye).sum().backward()
    (yt * yt).sum().backward()
    assert_same(e.grad, t.grad)


def test_custom_function_non_tensor_args_and_needs_input_grad():
    seen = {}

    def make(lib, store):
        class Scale(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, factor, y):
                ctx.factor = factor
                store["needs"] = ctx.needs_input_grad
                return x * factor + y

            @staticmethod
            def backward(ctx, grad):
                return grad * ctx.factor, None, grad

        return Scale

    e, t = pair([1.0, 2.0], requires_grad=True)
    e2, t2 = pair([3.0, 4.0])
    out_e = make(ember, seen).apply(e, 3.0, e2)
    assert seen["needs"] == (True, False, False)
    out_t = make(torch, {}).apply(t, 3.0, t2)
    out_e.sum().backward()
    out_t.sum().backward()
    assert_same(e.grad, t.grad)


def test_custom_function_wrong_number_of_gradients():
    class Bad(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, grad):
            return grad

    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(x, ember.ones(2)).sum().backward()


def test_custom_function_mark_non_differentiable_and_setup_context():
    class SortValues(ember.autograd.Function):
        @staticmethod
        def forward(x):
            return x * 2, (x > 0)

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.mark_non_differentiable(output[1])

        @staticmethod
        def backward(ctx, grad, grad_mask):
            return grad * 2

    x = ember.tensor([1.0, -1.0], requires_grad=True)
    y, mask = SortValues.apply(x)
    assert y.requires_grad and not mask.requires_grad
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_once_differentiable_backward_runs_without_graph():
    class Square(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @ember.autograd.function.once_differentiable
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            assert not ember.is_grad_enabled()
            return 2 * x * grad

    x = ember.tensor([3.0], requires_grad=True)
    Square.apply(x).sum().backward()
    assert x.grad.item() == 6.0


def test_jacobian_and_hessian_match_torch():
    def f_e(x):
        return (x ** 3).sum() + x[0] * x[1]

    a = np.array([1.0, 2.0, 0.5])
    e, t = pair(a)
    he = ember.autograd.functional.hessian(f_e, e)
    ht = torch.autograd.functional.hessian(f_e, t)
    assert_same(he, ht)
    je = ember.autograd.functional.jacobian(lambda x: x.exp() * 2, e)
    jt = torch.autograd.functional.jacobian(lambda x: x.exp() * 2, t)
    assert_same(je, jt)


def test_vjp_jvp_hvp_match_torch():
    a = np.array([[1.0, 2.0], [0.5, -1.0]])
    v = np.array([[1.0, -1.0], [2.0, 0.5]])
    e, t = pair(a)
    ve, vt = pair(v)
    for name in ("vjp", "jvp"):
        out_e, res_e = getattr(ember.autograd.functional, name)(lambda x: x.tanh() * x, e, ve)
        out_t, res_t = getattr(torch.autograd.functional, name)(lambda x: x.tanh() * x, t, vt)
        assert_same(out_e, out_t)
        assert_same(res_e, res_t)
    _, hv_e = ember.autograd.functional.hvp(lambda x: (x ** 3).sum(), e, ve)
    _, hv_t = torch.autograd.functional.hvp(lambda x: (x ** 3).sum(), t, vt)
    assert_same(hv_e, hv_t)


def test_hessian_vector_product_of_small_mlp_matches_torch():
    rng = np.random.default_rng(0)
    w1, b1, w2 = rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=(1, 4))
    x = rng.normal(size=(5, 3))
    v = rng.normal(size=(4, 3))

    def hvp(lib):
        W1 = lib.tensor(w1, requires_grad=True)
        B1, W2, X, V = lib.tensor(b1), lib.tensor(w2), lib.tensor(x), lib.tensor(v)
        loss = ((X @ W1.T + B1).tanh() @ W2.T).pow(2).mean()
        (g,) = lib.autograd.grad(loss, W1, create_graph=True)
        (hv,) = lib.autograd.grad((g * V).sum(), W1)
        return hv

    assert_same(hvp(ember), hvp(torch))


def test_gradient_penalty_matches_torch():
    rng = np.random.default_rng(1)
    w, x = rng.normal(size=(3, 2)), rng.normal(size=(4, 3))

    def penalty_grad(lib):
        W = lib.tensor(w, requires_grad=True)
        X = lib.tensor(x, requires_grad=True)
        out = (X @ W).tanh().sum()
        (gx,) = lib.autograd.grad(out, X, create_graph=True)
        penalty = ((gx.pow(2).sum(1) + 1e-12).sqrt() - 1).pow(2).mean()
        penalty.backward()
        return W.grad

    assert_same(penalty_grad(ember), penalty_grad(torch))


def test_gradcheck_and_gradgradcheck_catch_a_wrong_backward():
    x = ember.tensor([0.3, -0.7, 1.1], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda t: (t * t).tanh(), (x,))
    assert ember.autograd.gradgradcheck(lambda t: (t * t).tanh(), (x,))

    class Wrong(ember.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 3

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    assert not ember.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False)
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        ember.autograd.gradcheck(Wrong.apply, (x,))


def test_detect_anomaly_names_op_and_user_line():
    x = ember.tensor([0.0, 1.0], requires_grad=True)
    with ember.autograd.detect_anomaly():
        y = x.sqrt()  # the line anomaly mode must point at
        with pytest.raises(RuntimeError) as err:
            (y * 0).sum().backward()
    text = str(err.value)
    assert "SqrtBackward0" in text and "returned nan values" in text  # 0 / (2 sqrt(0))
    assert "test_autograd_function.py" in text and "x.sqrt()" in text


def test_anomaly_mode_off_by_default_and_restored():
    assert not ember.autograd.anomaly_mode.is_anomaly_enabled()
    with ember.autograd.set_detect_anomaly(True):
        assert ember.autograd.anomaly_mode.is_anomaly_enabled()
    assert not ember.autograd.anomaly_mode.is_anomaly_enabled()


def test_graph_is_freed_after_backward():
    x = ember.tensor(np.ones(1000, dtype=np.float32), requires_grad=True)
    y = (x * 2).tanh()
    node = weakref.ref(y.grad_fn)
    y.sum().backward()
    del y
    assert node() is None  # no reference cycle keeps the node alive


def test_training_loop_memory_stays_flat():
    w = ember.tensor(np.ones((20, 20), dtype=np.float32), requires_grad=True)
    x = ember.tensor(np.ones((8, 20), dtype=np.float32))

    def step():
        loss = (x @ w).tanh().pow(2).mean()
        loss.backward()
        w.grad = None

    for _ in range(200):
        step()
    gc.collect()
    tracemalloc.start()
    start, _ = tracemalloc.get_traced_memory()
    for _ in range(10_000):
        step()
    end, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert end - start < 200_000, f"memory grew by {end - start} bytes over 10,000 steps"


def test_mark_dirty_in_place_function_matches_torch():
    def make(lib):
        class AddOneInPlace(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, grad):
                return grad

        return AddOneInPlace

    results = []
    for lib in (ember, torch):
        leaf = lib.tensor([1.0, 2.0], requires_grad=True)
        y = leaf * 2
        out = make(lib).apply(y)
        assert out is y or out.data_ptr() == y.data_ptr()
        (out * out).sum().backward()
        results.append(leaf.grad)
    assert_same(results[0], results[1])


def test_set_materialize_grads_false_passes_none():
    seen = []

    class TwoOutputs(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            seen.append((g1 is None, g2 is None))
            return g1 * 2 if g1 is not None else None

    x = ember.tensor([1.0], requires_grad=True)
    a, _ = TwoOutputs.apply(x)
    a.sum().backward()
    assert seen == [(False, True)]
    assert x.grad.item() == 2.0


def test_grad_mode_forms():
    x = ember.ones(2, requires_grad=True)
    with ember.inference_mode():
        assert (x * 2).requires_grad is False
    ember.set_grad_enabled(False)
    assert not ember.is_grad_enabled()
    ember.set_grad_enabled(True)
    assert ember.is_grad_enabled()

    @ember.inference_mode()
    def f(t):
        return t * 2

    @ember.enable_grad()
    def g(t):
        return t * 2

    assert f(x).requires_grad is False
    with ember.no_grad():
        assert g(x).requires_grad is True


def test_a_function_that_saves_its_output_is_freed_without_the_garbage_collector():
    """ctx -> saved output -> its grad_fn ctx would be a reference cycle; ember keeps the
    output's array instead (as built-in nodes do), so reference counting frees the graph."""
    class Exp(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            ctx.mark_non_differentiable()
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    x = ember.tensor([0.5, 1.0], dtype=ember.float64, requires_grad=True)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        y = Exp.apply(x)
        node, out = weakref.ref(y.grad_fn), weakref.ref(y)
        del y
        assert node() is None and out() is None
    finally:
        if was_enabled:
            gc.enable()
    # the saved output still works, to first and second order (against torch's exp)
    assert ember.autograd.gradcheck(Exp.apply, (x,))
    assert ember.autograd.gradgradcheck(Exp.apply, (x,))
    (g,) = ember.autograd.grad(Exp.apply(x).sum(), x, create_graph=True)
    (gg,) = ember.autograd.grad(g.sum(), x)
    t = torch.tensor([0.5, 1.0], dtype=torch.float64, requires_grad=True)
    (tg,) = torch.autograd.grad(t.exp().sum(), t, create_graph=True)
    (tgg,) = torch.autograd.grad(tg.sum(), t)
    assert_same(gg, tgg)


def test_gradcheck_checks_both_parts_of_complex_gradients_like_torch():
    """z * 1j has the gradient grad * conj(1j) = -1j * grad; a backward returning +1j * grad
    is wrong in its imaginary part only, and torch's gradcheck rejects it: so must ember's."""
    def z_times_i(lib, sign):
        class TimesI(lib.autograd.Function):
            @staticmethod
            def forward(ctx, z):
                return z * 1j

            @staticmethod
            def backward(ctx, grad):
                return grad * (sign * 1j)

        return TimesI.apply

    results = {}
    for lib in (torch, ember):
        z = lib.tensor([1 + 2j, 3 - 1j], dtype=lib.complex128, requires_grad=True)
        results[lib] = [lib.autograd.gradcheck(z_times_i(lib, sign), (z,),
                                               raise_exception=False) for sign in (1, -1)]
    assert results[ember] == results[torch] == [False, True]
    # a real output of a complex input, and second order, pass as in torch
    z = ember.tensor([1 + 2j, 3 - 1j], dtype=ember.complex128, requires_grad=True)
    assert ember.autograd.gradcheck(lambda t: (t * t.conj()).real.sum() + t.exp().abs(), (z,))
    assert ember.autograd.gradgradcheck(lambda t: t.exp() * t, (z,))
