"""ember.func against torch.func, side by side: grad, grad_and_value, vjp, jvp, jacrev, jacfwd,
hessian, vmap, functional_call, stack_module_state.

Most checks run the same lambda with ``lib`` = ember and ``lib`` = torch on float64 inputs and
compare every tensor of the results (values within float64's tolerances of conftest: the
transforms are exact, only the summation order of the ops differs), their shapes, dtypes and
pytree structure; errors must have torch's class and, where ember copies it, its message.
"""

import re

import numpy as np
import pytest
import torch
import torch.func as tf

import ember
import ember.func as ef

from conftest import assert_same

FUNC = {ember: ef, torch: tf}


def data(*shape, seed=0):
    return np.random.default_rng(seed + len(shape)).standard_normal(shape)


def both_tensors(array, requires_grad=False):
    return (ember.tensor(array, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


def assert_tree_same(e, t):
    """The same pytree on both sides, tensors compared with assert_same."""
    if isinstance(t, torch.Tensor):
        assert_same(e, t)
    elif isinstance(t, dict):
        assert isinstance(e, dict) and list(e) == list(t)
        for k in t:
            assert_tree_same(e[k], t[k])
    elif isinstance(t, (tuple, list)):
        assert type(e) is type(t) and len(e) == len(t), (type(e), type(t))
        for a, b in zip(e, t):
            assert_tree_same(a, b)
    else:
        assert e == t


def run_both(fn, *arrays, requires_grad=False):
    """fn(lib, func, *tensors) on both libraries, results compared."""
    results = []
    for lib in (ember, torch):
        tensors = [lib.tensor(a, requires_grad=requires_grad) for a in arrays]
        results.append(fn(lib, FUNC[lib], *tensors))
    assert_tree_same(*results)
    return results


def raises_both(fn, *arrays, match=None):
    """fn raises the same exception class in both libraries (and ember's message matches
    ``match`` if given, else torch's message exactly)."""
    caught = []
    for lib in (ember, torch):
        tensors = [lib.tensor(a) for a in arrays]
        with pytest.raises(Exception) as info:
            fn(lib, FUNC[lib], *tensors)
        caught.append(info.value)
    e, t = caught
    assert type(e) is type(t) or isinstance(e, type(t)), (type(e), type(t), e, t)
    if match is None:
        assert str(e).replace("ember", "torch") == str(t), (str(e), str(t))
    else:
        assert re.search(match, str(e)), str(e)


# ---------------------------------------------------------------------------- grad


@pytest.mark.parametrize("fn", [
    lambda lib, x: (x ** 3).sum(),
    lambda lib, x: lib.tanh(x).mean() * x.sum(),
    lambda lib, x: (x @ x.T).trace() if x.dim() == 2 else x.dot(x),
    lambda lib, x: lib.logsumexp(x, 0).sum(),
])
@pytest.mark.parametrize("shape", [(4,), (3, 2)])
def test_grad_values(fn, shape):
    run_both(lambda lib, F, x: F.grad(lambda v: fn(lib, v))(x), data(*shape))


def test_grad_argnums_and_unused_inputs_get_zeros():
    def f(x, y, z):
        return (x * y).sum() * 2

    run_both(lambda lib, F, x, y, z: F.grad(f, argnums=1)(x, y, z), data(3), data(3, seed=1),
             data(3, seed=2))
    run_both(lambda lib, F, x, y, z: F.grad(f, argnums=(0, 2))(x, y, z), data(3),
             data(3, seed=1), data(3, seed=2))
    run_both(lambda lib, F, x, y, z: F.grad(f, argnums=-2)(x, y, z), data(3), data(3, seed=1),
             data(3, seed=2))


def test_grad_over_a_pytree_argument():
    def f(params, x):
        return ((params["w"] @ x + params["b"][0]) ** 2).sum()

    run_both(lambda lib, F, w, b, x: F.grad(f)({"w": w, "b": [b]}, x), data(2, 3), data(2),
             data(3))


def test_grad_has_aux_and_grad_and_value():
    def f(x):
        y = (x ** 2).sum()
        return y, {"y": y, "x2": x * 2}

    run_both(lambda lib, F, x: F.grad(f, has_aux=True)(x), data(3))
    run_both(lambda lib, F, x: F.grad_and_value(f, has_aux=True)(x), data(3))
    run_both(lambda lib, F, x: F.grad_and_value(lambda v: (v ** 3).sum())(x), data(3))


def test_grad_results_carry_no_graph_unless_the_caller_differentiates():
    for lib in (ember, torch):
        F = FUNC[lib]
        x = lib.tensor(data(3))
        g = F.grad(lambda v: (v ** 3).sum())(x)
        assert not g.requires_grad and g.grad_fn is None
        value = F.grad_and_value(lambda v: (v ** 3).sum())(x)[1]
        assert not value.requires_grad
        aux = F.grad(lambda v: ((v ** 2).sum(), v * 2), has_aux=True)(x)[1]
        assert not aux.requires_grad


def test_grad_composes_with_ordinary_autograd():
    # an argument that requires grad: the gradient keeps its graph (a Hessian-vector product)
    results = []
    for lib in (ember, torch):
        F = FUNC[lib]
        w = lib.tensor(data(3), requires_grad=True)
        g = F.grad(lambda v: (v ** 3).sum())(w)
        assert g.requires_grad
        (g * lib.tensor(data(3, seed=5))).sum().backward()
        results.append(w.grad)
    assert_same(*results)
    # a captured tensor that requires grad: the gradient depends on it
    results = []
    for lib in (ember, torch):
        F = FUNC[lib]
        w = lib.tensor(data(3), requires_grad=True)
        x = lib.tensor(data(3, seed=1))
        g = F.grad(lambda v, w=w: ((v * w).sum()) ** 2)(x)
        assert g.requires_grad
        g.sum().backward()
        results.append(w.grad)
    assert_same(*results)


def test_grad_of_grad_and_inside_no_grad():
    run_both(lambda lib, F, x: F.grad(F.grad(lambda v: (v ** 4).sum()))(x), np.array(1.5))
    run_both(lambda lib, F, x: F.grad(lambda v: F.grad(lambda u: (u ** 3).sum())(v).sum())(x),
             data(3))
    run_both(lambda lib, F, x: F.grad(F.grad(F.grad(lambda v: lib.sin(v) * v)))(x),
             np.array(0.7))
    for lib in (ember, torch):
        with lib.no_grad():
            g = FUNC[lib].grad(lambda v: (v ** 2).sum())(lib.tensor([1.0, 2.0]))
        assert g.tolist() == [2.0, 4.0] and not g.requires_grad


@pytest.mark.parametrize("fn, args", [
    (lambda lib, F, x: F.grad(lambda v: v * 2)(x), ()),          # not a scalar
    (lambda lib, F, x: F.grad(lambda v: 3.0)(x), ()),            # not a tensor
    (lambda lib, F, x: F.grad(lambda v: (v.sum(), 1))(x), ()),   # a tuple without has_aux
    (lambda lib, F, x: F.grad(lambda v: (v.sum(),), has_aux=True)(x), ()),
    (lambda lib, F, x: F.grad(lambda v: v.sum(), argnums=2)(x), ()),
    (lambda lib, F, x: F.grad(lambda v: v.sum(), argnums=(0, 0))(x), ()),
    (lambda lib, F, x: F.grad(lambda v: v.sum(), argnums=1.0)(x), ()),
    (lambda lib, F, x: F.grad(lambda v: v.sum())(), ()),
    (lambda lib, F, x: F.grad(lambda v: v.sum())(3.0), ()),
])
def test_grad_errors_as_torch(fn, args):
    raises_both(fn, data(3))


def test_grad_of_an_integer_tensor_raises_as_torch():
    raises_both(lambda lib, F, x: F.grad(lambda v: v.sum())(lib.arange(3)), data(1),
                match="floating point")


# ---------------------------------------------------------------------------- vjp, jvp


def test_vjp_values_several_calls_and_structures():
    def f(x, y):
        return x * y, {"s": (x ** 2).sum()}

    outs = []
    for lib in (ember, torch):
        F = FUNC[lib]
        x, y = lib.tensor(data(3)), lib.tensor(data(3, seed=1))
        out, fn = F.vjp(f, x, y)
        first = fn((lib.ones(3, dtype=lib.float64), {"s": lib.tensor(2.0, dtype=lib.float64)}))
        second = fn((lib.tensor(data(3, seed=4)), {"s": lib.tensor(0.0, dtype=lib.float64)}))
        assert not out[0].requires_grad and not first[0].requires_grad
        outs.append((out, first, second))
    assert_tree_same(*outs)


def test_vjp_has_aux():
    outs = []
    for lib in (ember, torch):
        out, fn, aux = FUNC[lib].vjp(lambda v: (v.sin(), v.sum()), lib.tensor(data(3)),
                                     has_aux=True)
        outs.append((out, fn(lib.ones(3, dtype=lib.float64)), aux))
    assert_tree_same(*outs)


# match: None for torch's message exactly; a pattern where torch's message prints its own
# TreeSpec objects (ember prints its pytree specs there)
STRUCTURE_V = "Expected pytree structure of cotangents to be the same as pytree structure"


@pytest.mark.parametrize("fn, match", [
    (lambda lib, F, x: F.vjp(lambda v: v ** 2, x)[1](lib.ones(4, dtype=lib.float64)), None),
    (lambda lib, F, x: F.vjp(lambda v: v ** 2, x)[1]((lib.ones(3, dtype=lib.float64),)),
     STRUCTURE_V),
    (lambda lib, F, x: F.vjp(lambda v: 3, x), None),
])
def test_vjp_errors_as_torch(fn, match):
    raises_both(fn, data(3), match=match)


def test_jvp_values_pytrees_and_aux():
    run_both(lambda lib, F, x, t: F.jvp(lambda v: v ** 2, (x,), (t,)), data(3), data(3, seed=1))
    run_both(lambda lib, F, x, y, t, u: F.jvp(lambda a, b: (a * b, (a @ b).sin()), (x, y),
                                              (t, u)),
             data(3), data(3, seed=1), data(3, seed=2), data(3, seed=3))
    run_both(lambda lib, F, x, t: F.jvp(lambda v: (v.exp(), v.sum()), (x,), (t,), has_aux=True),
             data(2, 2), data(2, 2, seed=1))
    run_both(lambda lib, F, x, t: F.jvp(lambda d: d["a"] * 3, ({"a": x},), ({"a": t},)),
             data(3), data(3, seed=1))


def test_jvp_of_a_constant_output_is_zero():
    run_both(lambda lib, F, x, t: F.jvp(lambda v: v.new_ones(2), (x,), (t,)), data(3),
             data(3, seed=1))


STRUCTURE_T = r"jvp\(f, primals, tangents\): Expected primals and tangents to have the same"


@pytest.mark.parametrize("fn, match", [
    (lambda lib, F, x: F.jvp(lambda v: v ** 2, x, (x,)), None),
    (lambda lib, F, x: F.jvp(lambda v: v ** 2, (x,), (x, x)), STRUCTURE_T),
    (lambda lib, F, x: F.jvp(lambda v: v ** 2, (x,), x), STRUCTURE_T),
    (lambda lib, F, x: F.jvp(lambda v: v ** 2, (x,), (x[:2],)), None),
    (lambda lib, F, x: F.jvp(lambda v: 3, (x,), (x,)), None),
])
def test_jvp_errors_as_torch(fn, match):
    raises_both(fn, data(3), match=match)


# ---------------------------------------------------------------------------- Jacobians


@pytest.mark.parametrize("jac", ["jacrev", "jacfwd"])
def test_jacobians(jac):
    run_both(lambda lib, F, x: getattr(F, jac)(lambda v: v.sin() * v.sum())(x), data(4))
    run_both(lambda lib, F, x: getattr(F, jac)(lambda v: v @ v.T)(x), data(2, 3))
    run_both(lambda lib, F, x, y: getattr(F, jac)(lambda a, b: (a * b, a.sum()),
                                                  argnums=(0, 1))(x, y), data(3), data(3, seed=1))
    run_both(lambda lib, F, x: getattr(F, jac)(lambda v: {"a": v * 2, "b": [v.sum()]})(x),
             data(3))
    run_both(lambda lib, F, x: getattr(F, jac)(lambda d: d["a"] * d["b"])(
        {"a": x, "b": x.cos()}), data(3))
    run_both(lambda lib, F, x: getattr(F, jac)(lambda v: (v.exp(), v.sum()), has_aux=True)(x),
             data(3))
    run_both(lambda lib, F, x: getattr(F, jac)(lambda v: v.sum())(x), data(2, 2))


def test_jacrev_chunk_size_and_jacfwd_randomness_as_torch():
    run_both(lambda lib, F, x: F.jacrev(lambda v: v * 2, chunk_size=1)(x), data(3))
    raises_both(lambda lib, F, x: F.jacrev(lambda v: v, chunk_size=0)(x), data(3))
    raises_both(lambda lib, F, x: F.jacfwd(lambda v: v + lib.rand(()))(x), data(3))
    raises_both(lambda lib, F, x: F.jacfwd(lambda v: v, randomness="x")(x), data(3))


def test_a_random_op_under_jacfwd_does_not_move_the_generator():
    ember.manual_seed(3)
    with pytest.raises(RuntimeError):
        ef.jacfwd(lambda v: v + ember.rand(()))(ember.ones(2))
    after = ember.rand(())
    ember.manual_seed(3)
    assert after.item() == ember.rand(()).item()


def test_hessian():
    run_both(lambda lib, F, x: F.hessian(lambda v: (v ** 3).sum() + (v[0] * v[1]))(x), data(3))
    run_both(lambda lib, F, x, y: F.hessian(lambda a, b: (a * b).sum() * a.sum(),
                                            argnums=(0, 1))(x, y), data(2), data(2, seed=1))


# ---------------------------------------------------------------------------- vmap


def test_vmap_basics():
    run_both(lambda lib, F, x: F.vmap(lambda v: v.sum())(x), data(4, 3))
    run_both(lambda lib, F, x: F.vmap(lambda v: v.sum(), in_dims=1)(x), data(4, 3))
    run_both(lambda lib, F, x: F.vmap(lambda v: v * 2, in_dims=-1, out_dims=1)(x), data(2, 3, 4))
    run_both(lambda lib, F, x, y: F.vmap(lambda a, b: a @ b, in_dims=(0, None))(x, y),
             data(5, 2, 3), data(3, 4))
    run_both(lambda lib, F, x: F.vmap(lambda a, k: a * k, in_dims=(0, None))(x, 3), data(4))
    run_both(lambda lib, F, x: F.vmap(lambda v: (v, v.sum()), out_dims=(1, 0))(x), data(2, 3))


def test_vmap_nested_pytrees():
    def f(d):
        return {"a": d["a"] * d["b"][0], "b": [d["a"].sum()]}

    run_both(lambda lib, F, x, y: F.vmap(f, in_dims=({"a": 0, "b": [None]},),
                                         out_dims={"a": 1, "b": [0]})({"a": x, "b": [y]}),
             data(4, 2), data(2))
    run_both(lambda lib, F, x, y: F.vmap(f, in_dims=(0,))({"a": x, "b": (y,)}), data(4, 2),
             data(4, 2, seed=1))


def test_vmap_of_vmap_and_out_dims_none():
    run_both(lambda lib, F, x, y: F.vmap(F.vmap(lambda a, b: a * b), in_dims=(0, None))(x, y),
             data(2, 3), data(3))
    run_both(lambda lib, F, x, y: F.vmap(F.vmap(lambda a, b: a.dot(b), in_dims=(None, 0)),
                                         in_dims=(0, None))(x, y), data(2, 3), data(4, 3))
    run_both(lambda lib, F, x, y: F.vmap(lambda a, b: (a * 2, b), in_dims=(0, None),
                                         out_dims=(0, None))(x, y), data(3), data(2))


def test_vmap_of_empty_batch():
    run_both(lambda lib, F, x: F.vmap(lambda v: v * 2)(x), data(0, 3))


def test_per_sample_gradients_with_functional_call():
    # the torch.func tutorial's recipe: vmap(grad(loss)) over the batch, parameters broadcast
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    tm.double()
    em = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.Tanh(), ember.nn.Linear(4, 2))
    em.double()
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    x, y = data(6, 3), data(6, 2, seed=1)
    results = []
    for lib, model in ((ember, em), (torch, tm)):
        F = FUNC[lib]
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss(p, xb, yb, F=F, model=model, lib=lib):
            out = F.functional_call(model, p, (xb.unsqueeze(0),))
            return lib.nn.functional.mse_loss(out, yb.unsqueeze(0))

        results.append(F.vmap(F.grad(loss), in_dims=(None, 0, 0))(params, lib.tensor(x),
                                                                  lib.tensor(y)))
    assert_tree_same(*results)
    assert results[0]["0.weight"].shape == (6, 4, 3)


@pytest.mark.parametrize("fn", [
    lambda lib, F, x: F.vmap(lambda v: v + lib.rand(()))(x),
    lambda lib, F, x: F.vmap(lambda v: v)(x, x),
    lambda lib, F, x: F.vmap(lambda a, b: a)(x, x[:2]),
    lambda lib, F, x: F.vmap(lambda a, b: a)(x, 3),
    lambda lib, F, x: F.vmap(lambda v: 3)(x),
    lambda lib, F, x: F.vmap(lambda v: v, in_dims=1)(x),
    lambda lib, F, x: F.vmap(lambda v: v, in_dims=None)(x),
    lambda lib, F, x: F.vmap(lambda v: v, in_dims=[0])(x),
    lambda lib, F, x: F.vmap(lambda v: v, in_dims=(0, 0))(x),
    lambda lib, F, x: F.vmap(lambda v: v, in_dims=(None,))(x),
    lambda lib, F, x: F.vmap(lambda v: v, chunk_size=0)(x),
    lambda lib, F, x: F.vmap(lambda v: v, randomness="foo")(x),
    lambda lib, F, x: F.vmap(lambda v: v, out_dims=None)(x),
    lambda lib, F, x: F.vmap(lambda v: v.sum(), out_dims=(0, 0))(x),
    lambda lib, F, x: F.vmap(lambda v: v.sum(), out_dims=2)(x),
    lambda lib, F, x: F.vmap(lambda v: v)(),
    lambda lib, F, x: F.vmap(lambda v: v)(x[0]),
])
def test_vmap_errors_as_torch(fn):
    # the structure messages name torch's TreeSpec; ember writes its own (same class)
    caught = []
    for lib in (ember, torch):
        with pytest.raises(Exception) as info:
            fn(lib, FUNC[lib], lib.tensor(data(3)))
        caught.append(info.value)
    e, t = caught
    assert type(e) is type(t), (e, t)
    first_e, first_t = str(e).split("structure")[0], str(t).split("structure")[0]
    assert first_e.replace("ember", "torch") == first_t, (str(e), str(t))


def test_vmap_randomness_same_and_different():
    for lib in (ember, torch):
        F = FUNC[lib]
        same = F.vmap(lambda v, lib=lib: v + lib.rand(()), randomness="same")(lib.zeros(4))
        assert (same == same[0]).all()
        different = F.vmap(lambda v, lib=lib: v + lib.rand(()),
                           randomness="different")(lib.zeros(4))
        assert len(set(different.tolist())) == 4


def test_vmap_composes_with_autograd():
    results = []
    for lib in (ember, torch):
        x = lib.tensor(data(3, 2), requires_grad=True)
        out = FUNC[lib].vmap(lambda v: (v ** 2).sum())(x)
        out.sum().backward()
        results.append((out, x.grad))
    assert_tree_same(*results)


def test_vmap_of_jacrev_and_hessian():
    run_both(lambda lib, F, x: F.vmap(F.jacrev(lambda v: v.sin() * v.sum()))(x), data(2, 3))
    run_both(lambda lib, F, x: F.vmap(F.hessian(lambda v: (v ** 3).sum()))(x), data(2, 3))


# ---------------------------------------------------------------------------- modules


def linear_pair():
    tm = torch.nn.Linear(3, 2).double()
    em = ember.nn.Linear(3, 2).double()
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return em, tm


def test_functional_call_values_gradients_and_restore():
    results = []
    for lib, model in zip((ember, torch), linear_pair()):
        F = FUNC[lib]
        original = model.weight
        params = {"weight": lib.tensor(data(2, 3, seed=7), requires_grad=True),
                  "bias": lib.tensor(data(2, seed=8), requires_grad=True)}
        out = F.functional_call(model, params, (lib.tensor(data(4, 3)),))
        out.sum().backward()
        assert model.weight is original and model.weight.grad is None
        one = F.functional_call(model, {"weight": params["weight"].detach()},
                                lib.tensor(data(4, 3)))
        two = F.functional_call(model, ({"weight": params["weight"].detach()},
                                        {"bias": params["bias"].detach()}),
                                args=(), kwargs={"input": lib.tensor(data(4, 3))})
        results.append((out, params["weight"].grad, params["bias"].grad, one, two))
    assert_tree_same(*results)


def test_functional_call_other_names_become_attributes_for_the_call():
    results = []
    for lib, model in zip((ember, torch), linear_pair()):
        seen = []
        model.register_forward_pre_hook(lambda m, args, seen=seen: seen.append(m.foo.sum().item()))
        x = lib.tensor(data(4, 3))
        results.append(FUNC[lib].functional_call(model, {"foo": lib.ones(2)}, (x,)))
        assert seen == [2.0] and not hasattr(model, "foo")
    assert_tree_same(*results)


def test_functional_call_restores_the_module_when_forward_raises():
    em, _ = linear_pair()
    original = em.weight
    with pytest.raises(RuntimeError):
        ef.functional_call(em, {"weight": ember.zeros(2, 3, dtype=ember.float64)},
                           (ember.ones(4, 5, dtype=ember.float64),))
    assert em.weight is original


def test_functional_call_tied_weights():
    results = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(2, 2, bias=False), lib.nn.Linear(2, 2,
                                                                                 bias=False))
        model[1].weight = model[0].weight
        x = lib.ones(1, 2)
        w = {"0.weight": lib.eye(2) * 2}
        tied = FUNC[lib].functional_call(model, w, (x,))
        untied = FUNC[lib].functional_call(model, w, (x,), tie_weights=False)
        results.append((tied, untied - (model[1].weight @ (x * 2).T).T))
    assert results[0][0].tolist() == results[1][0].tolist() == [[4.0, 4.0]]
    assert np.abs(results[0][1].detach().numpy()).max() < 1e-6


@pytest.mark.parametrize("fn", [
    lambda lib, F, m, x: F.functional_call(m, {"foo.bar": x}, (x,)),
    lambda lib, F, m, x: F.functional_call(m, {"foo": x}, (x,), strict=True),
    lambda lib, F, m, x: F.functional_call(m, {"weight": x}, (x,), strict=True),
    lambda lib, F, m, x: F.functional_call(m, ({"weight": x}, {"weight": x}), (x,)),
])
def test_functional_call_errors_as_torch(fn):
    caught = []
    for lib, model in zip((ember, torch), linear_pair()):
        with pytest.raises(Exception) as info:
            fn(lib, FUNC[lib], model, lib.zeros(2, 3, dtype=lib.float64))
        caught.append(info.value)
    e, t = caught
    assert type(e) is type(t) and str(e) == str(t), (str(e), str(t))


def test_stack_module_state_and_an_ensemble():
    tms = [torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2)).double()
           for _ in range(3)]
    ems = []
    for tm in tms:
        em = ember.nn.Sequential(ember.nn.Linear(3, 2), ember.nn.BatchNorm1d(2)).double()
        em.load_state_dict({k: ember.tensor(v.detach().numpy())
                            for k, v in tm.state_dict().items()})
        em.eval()
        tm.eval()
        ems.append(em)
    stacked = []
    for lib, models in ((ember, ems), (torch, tms)):
        F = FUNC[lib]
        params, buffers = F.stack_module_state(models)
        for p in params.values():
            assert p.requires_grad and p.is_leaf and p.shape[0] == 3
        for b in buffers.values():
            assert not b.requires_grad
        base = models[0]

        def run(p, b, x, F=F, base=base):
            return F.functional_call(base, (p, b), (x,))

        out = F.vmap(run, in_dims=(0, 0, None))(params, buffers, lib.tensor(data(4, 3)))
        stacked.append((params, buffers, out))
    assert_tree_same(*stacked)


@pytest.mark.parametrize("case", ["empty", "classes", "modes"])
def test_stack_module_state_errors_as_torch(case):
    caught = []
    for lib in (ember, torch):
        models = [lib.nn.Linear(2, 2), lib.nn.Linear(2, 2)]
        if case == "empty":
            models = []
        elif case == "classes":
            models[1] = lib.nn.Sequential(lib.nn.Linear(2, 2))
        else:
            models[1].eval()
        with pytest.raises(Exception) as info:
            FUNC[lib].stack_module_state(models)
        caught.append(info.value)
    e, t = caught
    assert type(e) is type(t) and str(e) == str(t), (str(e), str(t))
