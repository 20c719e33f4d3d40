"""Bad input gets torch's exception class and torch's first line (ember's explanation may follow
on the next lines), never an error leaked from inside ember or NumPy, and never a silent result.

Each case runs on both libraries; the first line is what a user pastes into a web search.
"""

import pytest
import torch

import ember


def _raised(case, lib, functional):
    with pytest.raises(Exception) as info:
        eval(case, {"lib": lib, "F": functional})
    return info.value


def _both(case):
    """torch's and ember's exception for the same expression."""
    return (_raised(case, torch, torch.nn.functional),
            _raised(case, ember, ember.nn.functional))


def _first_line(error):
    return str(error).splitlines()[0]


# ---------------------------------------------------------------------------- dtype=

# torch's message is "<fn>(): argument 'dtype' must be torch.dtype, not str" for these
SAME_DTYPE_MESSAGE = [
    "lib.ones(3, dtype='float32')",
    "lib.zeros(3, dtype='float32')",
    "lib.empty(3, dtype='float32')",
    "lib.full((3,), 1.0, dtype='float32')",
    "lib.tensor([1.0], dtype='float32')",
    "lib.as_tensor([1.0], dtype='float32')",
    "lib.zeros_like(lib.ones(2), dtype='float32')",
    "lib.full_like(lib.ones(2), 1.0, dtype='float32')",
    "lib.ones(2).new_zeros(2, dtype='float32')",
    "lib.ones(2).new_tensor([1.0], dtype='float32')",
    "lib.ones(3, dtype=lib.ones(1).numpy().dtype.type)",  # a NumPy type, not a dtype
    "lib.ones(3, dtype=1)",
    "lib.nansum(lib.ones(3), dtype='float32')",
    "lib.cumsum(lib.ones(3), 0, dtype='float32')",
    "lib.cumprod(lib.ones(3), 0, dtype='float32')",
]


@pytest.mark.parametrize("case", SAME_DTYPE_MESSAGE)
def test_a_dtype_that_is_not_a_dtype_gets_torchs_type_error(case):
    t_err, e_err = _both(case)
    assert type(e_err) is type(t_err) is TypeError
    assert _first_line(e_err) == _first_line(t_err)


# torch answers these with its long "received an invalid combination of arguments" listing;
# ember gives the short form of the same TypeError (it names the function and the argument)
LISTING_IN_TORCH = [
    ("lib.arange(3, dtype='float32')", "arange"),
    ("lib.rand(3, dtype='float32')", "rand"),
    ("lib.randn(3, dtype='float32')", "randn"),
    ("lib.randint(0, 3, (3,), dtype='float32')", "randint"),
    ("lib.randperm(3, dtype='float32')", "randperm"),
    ("lib.linspace(0, 1, 3, dtype='float32')", "linspace"),
    ("lib.eye(3, dtype='float32')", "eye"),
    ("lib.rand_like(lib.ones(2), dtype='float32')", "rand_like"),
    ("lib.ones(3).to(dtype='float32')", "to"),
    ("lib.ones(3).sum(dtype='float32')", "sum"),
    ("lib.ones(3).prod(dtype='float32')", "prod"),
    ("lib.ones(3).mean(dtype='float32')", "mean"),
]


@pytest.mark.parametrize("case, fn", LISTING_IN_TORCH)
def test_a_string_dtype_gets_a_type_error_naming_the_argument(case, fn):
    t_err, e_err = _both(case)
    assert type(e_err) is type(t_err) is TypeError
    assert _first_line(t_err).startswith(f"{fn}()") and "dtype=str" in _first_line(t_err)
    assert _first_line(e_err) == f"{fn}(): argument 'dtype' must be torch.dtype, not str"


def test_python_number_types_name_a_dtype_as_in_torch():
    # dtype=float is float64 (not the default dtype), dtype=int int64, and so on
    for py_type in (bool, int, float, complex):
        assert ember.ones(2, dtype=py_type).dtype.name == str(torch.ones(2, dtype=py_type).dtype
                                                              ).split(".")[1]
        assert ember.ones(2).to(dtype=py_type).dtype.name == str(torch.ones(2).to(py_type).dtype
                                                                 ).split(".")[1]


@pytest.mark.parametrize("make", ["lib.ones(2, 3)", "lib.nn.Parameter(lib.ones(2))",
                                  "lib.ones(2, 3)[0]"])
def test_assigning_dtype_raises_as_torch_and_keeps_the_tensor(make):
    # torch: AttributeError "attribute 'dtype' of 'torch._C.TensorBase' objects is not writable";
    # the tensor keeps its dtype and its values (nothing is reinterpreted)
    errors = []
    for lib in (torch, ember):
        x = eval(make, {"lib": lib})
        with pytest.raises(AttributeError) as info:
            x.dtype = lib.float64
        assert x.dtype == lib.float32 and x.tolist() == eval(make, {"lib": lib}).tolist()
        errors.append(_first_line(info.value))
    assert errors[1].startswith("attribute 'dtype' of 'Tensor' objects is not writable")
    assert errors[0].startswith("attribute 'dtype' of ")  # torch names its C base class
    assert "x.to(ember.float64)" in errors[1]  # and ember says how to convert


# ---------------------------------------------------------------------------- interpolate

INTERPOLATE = [
    "F.interpolate(lib.ones(1, 3, 4, 4), size=0)",
    "F.interpolate(lib.ones(1, 3, 4, 4), size=(0, 2))",
    "F.interpolate(lib.ones(1, 3, 4, 4), scale_factor=-1.0)",
    "F.interpolate(lib.ones(1, 3, 4, 4), scale_factor=0.1)",
    "F.interpolate(lib.ones(1, 3, 4, 4), size=0, mode='bilinear')",
    "F.interpolate(lib.ones(1, 3, 4, 4), size=(3, 0), mode='bicubic')",
    "F.interpolate(lib.ones(1, 3, 4), size=0, mode='linear')",
    "F.interpolate(lib.ones(1, 3, 4, 4, 4), scale_factor=-1.0, mode='trilinear')",
    "F.interpolate(lib.ones(1, 3, 0, 4), size=3)",
]


@pytest.mark.parametrize("case", INTERPOLATE)
def test_interpolate_to_an_empty_or_negative_size_raises_as_torch(case):
    # before: size=0 divided by zero, a negative scale_factor returned an empty tensor
    t_err, e_err = _both(case)
    assert type(e_err) is type(t_err) is RuntimeError
    assert _first_line(e_err) == _first_line(t_err)


# ---------------------------------------------------------------------------- huge sizes

HUGE = [
    "lib.zeros(10**7, 10**7)",  # 400 TB: more memory than there is
    "lib.empty(10**7, 10**7)",
    "lib.full((10**7, 10**7), 1.0)",
    "lib.rand(10**7, 10**7)",
    "lib.ones(2**62)",  # more bytes than a 64-bit size can count
    "lib.randn(2**62)",
    "lib.zeros(2**31, 2**31, 4)",
]


@pytest.mark.parametrize("case", HUGE)
def test_a_size_too_large_is_torchs_runtime_error_with_the_bytes(case):
    t_err, e_err = _both(case)
    assert type(e_err) is type(t_err) is RuntimeError
    # torch's allocator prefixes the place in its C++ source; the rest is the same
    assert _first_line(t_err).endswith(_first_line(e_err))


# ---------------------------------------------------------------------------- losses

BCE = [
    "F.binary_cross_entropy(lib.tensor([0.5]), lib.tensor([2.0]))",
    "F.binary_cross_entropy(lib.tensor([0.5]), lib.tensor([-1.0]))",
    "F.binary_cross_entropy(lib.tensor([0.5]), lib.tensor([float('nan')]))",
    "F.binary_cross_entropy(lib.tensor([1.5]), lib.tensor([1.0]))",
]


@pytest.mark.parametrize("case", BCE)
def test_binary_cross_entropy_refuses_a_target_outside_0_1(case):
    # before: a class label (2) as target gave a plausible-looking loss
    t_err, e_err = _both(case)
    assert type(e_err) is type(t_err) is RuntimeError
    assert _first_line(e_err) == _first_line(t_err)


# ---------------------------------------------------------------------------- broadcasting

# NumPy's broadcast ValueError becomes torch's RuntimeError in one place (where an op's
# forward runs), naming the tensors in torch's order
BROADCAST = [
    "lib.clamp(lib.ones(3, 4), lib.zeros(2), lib.ones(4))",
    "lib.clamp(lib.ones(3, 4), lib.zeros(4), lib.ones(5))",
    "lib.clamp(lib.ones(3, 4), lib.zeros(2))",
    "lib.lerp(lib.ones(3, 4), lib.zeros(2), lib.ones(4))",
    "lib.where(lib.ones(2, dtype=lib.bool), lib.ones(3, 4), lib.ones(4))",
    "lib.where(lib.ones(4, dtype=lib.bool), lib.ones(3, 4), lib.ones(3))",
    "lib.where(lib.ones(3, dtype=lib.bool), lib.ones(2, 2), 0.0)",
    "lib.ones(3, 4).masked_fill(lib.ones(2, dtype=lib.bool), 0.0)",
    "lib.ones(2, 2).masked_fill(lib.ones(3, 3, dtype=lib.bool), 0.0)",
    "lib.ones(3, 4).masked_select(lib.ones(2, dtype=lib.bool))",
    "lib.linalg.solve(lib.eye(2).expand(2, 2, 2), lib.ones(3, 2, 1))",
    "lib.ones(3, 4).copy_(lib.ones(3, 2))",
    "lib.ones(3).copy_(lib.ones(2, 3))",
    "lib.ones(2, 3) + lib.ones(4, 3)",
    "lib.ones(3, requires_grad=True) * lib.ones(2)",
    "lib.ones(3).exp() + lib.ones(2)",
]


@pytest.mark.parametrize("case", BROADCAST)
def test_shapes_that_do_not_broadcast_get_torchs_message(case):
    t_err, e_err = _both(case)
    assert type(e_err) is type(t_err) is RuntimeError
    assert _first_line(e_err) == _first_line(t_err)


# ---------------------------------------------------------------------------- optimizers

def _lbfgs_on_rosenbrock(lib, dtype, closure_returns_float):
    x = lib.tensor([-1.5, 2.0], dtype=dtype, requires_grad=True)
    opt = lib.optim.LBFGS([x], line_search_fn="strong_wolfe", max_iter=3)

    def closure():
        opt.zero_grad()
        loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
        loss.backward()
        return loss.item() if closure_returns_float else loss

    losses = [float(opt.step(closure)) for _ in range(5)]
    return losses, x.tolist()


@pytest.mark.parametrize("closure_returns_float", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_lbfgs_strong_wolfe_takes_several_steps_as_torch(dtype, closure_returns_float):
    # before: the second step read the line search's step length back from the state as a
    # tensor, mixed it into the arrays of the recursion and crashed in dot
    t_losses, t_x = _lbfgs_on_rosenbrock(torch, getattr(torch, dtype), closure_returns_float)
    e_losses, e_x = _lbfgs_on_rosenbrock(ember, getattr(ember, dtype), closure_returns_float)
    tol = 1e-4 if dtype == "float32" else 1e-10
    assert e_losses == pytest.approx(t_losses, rel=tol, abs=tol)
    assert e_x == pytest.approx(t_x, rel=tol, abs=tol)
