"""ember.compile, Module.compile, ember.compiler and ember.jit against torch's.

ember has no compiler: what is compared is the contract a program relies on (the same call
forms work, the compiled/scripted/traced object computes what the original does, the same
argument errors) and ember's one documented difference (the model comes back as itself).
torch.compile is only asked to build its wrapper (backend="eager" where it is called, so no
C++ compiler runs)."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
import torch._dynamo

import ember


@pytest.fixture(autouse=True)
def _torch_distributions_validate_as_before():
    """torch.compile switches torch.distributions' argument validation off for the whole
    process (Dynamo does, on its first compile); put it back so that the test files that run
    after these in the same process see torch's default."""
    before = torch.distributions.Distribution._validate_args
    yield
    torch.distributions.Distribution.set_default_validate_args(before)


def linear_pair():
    tm = torch.nn.Linear(3, 2)
    em = ember.nn.Linear(3, 2)
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return em, tm


X = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)


def test_compile_returns_the_model_and_it_computes_what_torch_computes():
    em, tm = linear_pair()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiled = ember.compile(em)
        reference = torch.compile(tm, backend="eager")
    assert compiled is em
    np.testing.assert_allclose(compiled(ember.tensor(X)).detach().numpy(),
                               reference(torch.tensor(X)).detach().numpy(), rtol=1.3e-6,
                               atol=1e-5)


def test_compile_as_a_decorator_with_and_without_arguments():
    for lib in (ember, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")

            @lib.compile
            def f(x):
                return x * 2

            @lib.compile(backend="eager", fullgraph=True, dynamic=False)
            def g(x):
                return x + 1

        assert f(lib.ones(2)).tolist() == [2.0, 2.0]
        assert g(lib.ones(2)).tolist() == [2.0, 2.0]
    assert ember.compile(mode="max-autotune")(len) is len


def test_compile_disable_returns_the_function_in_both():
    def f(x):
        return x

    assert ember.compile(f, disable=True) is f
    assert torch.compile(f, disable=True) is f


def test_the_eager_note_is_given_once_per_process():
    code = ("import warnings, ember\n"
            "warnings.simplefilter('always')\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    ember.compile(len); ember.compile(abs); ember.nn.Linear(1, 1).compile()\n"
            "print(len(w), w[0].category.__name__, str(w[0].message))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=str(__import__("pathlib").Path(__file__).parents[1]))
    count, category, message = out.stdout.split(" ", 2)
    assert (count, category) == ("1", "UserWarning")
    assert "ember has no compiler" in message and "runs eagerly" in message


@pytest.mark.parametrize("kwargs", [
    {"mode": "foo"},
    {"backend": "foo"},
    {"mode": "default", "options": {}},
])
def test_compile_argument_errors_as_torch(kwargs):
    caught = []
    for lib in (ember, torch):
        with pytest.raises(Exception) as info:
            lib.compile(lambda x: x, **kwargs)
        caught.append(info.value)
    e, t = caught
    assert type(e).__name__ == type(t).__name__ and isinstance(e, RuntimeError)
    assert str(e) == str(t)


def test_compile_of_something_not_callable_as_torch():
    for lib in (ember, torch):
        with pytest.raises(AssertionError, match="A callable function is expected"):
            lib.compile(3)


def test_module_compile_is_in_place_and_returns_none():
    em, tm = linear_pair()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert em.compile() is None
        assert tm.compile(backend="eager") is None
    np.testing.assert_allclose(em(ember.tensor(X)).detach().numpy(),
                               tm(torch.tensor(X)).detach().numpy(), rtol=1.3e-6, atol=1e-5)
    with pytest.raises(RuntimeError, match="Unrecognized mode=bad"):
        em.compile(mode="bad")


def test_compiler_namespace():
    for lib in (ember, torch):
        assert lib.compiler.is_compiling() is False
        assert lib.compiler.is_dynamo_compiling() is False
        assert lib.compiler.is_exporting() is False

        @lib.compiler.disable
        def f(x):
            return x + 1

        assert f(1) == 2
        assert lib.compiler.disable(recursive=False)(f)(2) == 3
        assert lib.compiler.reset() is None
    assert ember.compiler.list_backends() == torch.compiler.list_backends()
    assert ember.compiler.list_backends(exclude_tags=()) == [
        b for b in torch._dynamo.list_backends(exclude_tags=()) if "TESTING_ONLY" not in b]


# ---------------------------------------------------------------------------- jit


def test_script_returns_the_function_or_module():
    em, tm = linear_pair()
    assert ember.jit.script(em) is em

    def f(x):
        return x * 2 + 1

    assert ember.jit.script(f) is f
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scripted = torch.jit.script(f)
    assert scripted(torch.ones(2)).tolist() == ember.jit.script(f)(ember.ones(2)).tolist()
    assert ember.jit.is_scripting() is torch.jit.is_scripting() is False
    assert ember.jit.is_tracing() is torch.jit.is_tracing() is False


def test_trace_runs_the_example_once_and_returns_the_function():
    calls = []

    def f(x, lib_calls=calls):
        lib_calls.append(tuple(x.shape))
        return x * 2

    traced = ember.jit.trace(f, ember.ones(2))
    assert traced is f and calls == [(2,)]
    assert traced(ember.ones(3)).tolist() == [2.0, 2.0, 2.0]
    ember.jit.trace(f, (ember.ones(4),), check_inputs=[(ember.ones(5),)])
    assert calls[2:] == [(4,), (5,)]
    em, tm = linear_pair()
    assert ember.jit.trace(em, ember.tensor(X)) is em
    assert ember.jit.trace(f, example_kwarg_inputs={"x": ember.ones(1)}) is f


def test_trace_errors_as_torch():
    for lib in (ember, torch):
        with pytest.raises(TypeError):
            lib.jit.trace(lambda x: x)
        with pytest.raises(RuntimeError, match="Encountering a dict at the output"):
            lib.jit.trace(lambda x: {"a": x}, lib.ones(2))
        with pytest.warns(lib.jit.TracerWarning, match="Encountering a list at the output"):
            lib.jit.trace(lambda x: [x, x], lib.ones(2))
        assert lib.jit.trace(lambda x: {"a": x}, lib.ones(2), strict=False)(lib.ones(1))["a"] \
            .tolist() == [1.0]


def test_markers_change_nothing():
    for lib in (ember, torch):
        @lib.jit.ignore
        def a(x):
            return x + 1

        @lib.jit.unused
        def b(x):
            return x + 2

        @lib.jit.export
        def c(x):
            return x + 3

        assert (a(0), b(0), c(0)) == (1, 2, 3)
        with pytest.warns(FutureWarning):
            dropped = lib.jit.ignore(drop=True)(a)
        assert dropped(1) == 2
        assert lib.jit.annotate(int, 4) == 4
        assert lib.jit.Final[int] == torch.jit.Final[int]


def test_jit_save_and_load_name_the_gap():
    em, _ = linear_pair()
    with pytest.raises(NotImplementedError, match="state_dict"):
        ember.jit.save(ember.jit.script(em), "model.pt")
    with pytest.raises(NotImplementedError, match="TorchScript"):
        ember.jit.load("model.pt")
