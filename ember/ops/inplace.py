"""torch's module-level in-place functions: ``ember.exp_(x)`` is ``x.exp_()``.

torch offers many in-place Tensor methods also as functions of the module (``torch.abs_``,
``torch.clamp_``, ``torch.zero_``, ...).  Each one here calls the Tensor method of the same name
on its first argument, with the other arguments as given, so the op and its in-place machinery
(``Tensor._inplace``: version counter, autograd checks) are written once, in the op's module.
The activation functions that torch exports from nn.functional (``celu_``, ``selu_``,
``rrelu_``, ``threshold_``) are re-exported by ``ember/__init__.py`` instead.
"""

_NAMES = (
    # sign, rounding, exp/log, roots, sigmoid, erf
    "abs_", "neg_", "negative_", "reciprocal_", "square_", "ceil_", "floor_", "round_",
    "trunc_", "fix_", "frac_", "exp_", "exp2_", "expm1_", "log_", "log2_", "log10_", "log1p_",
    "sqrt_", "rsqrt_", "sigmoid_", "logit_", "erf_", "erfc_", "xlogy_", "nan_to_num_",
    # trigonometry and hyperbolic functions
    "sin_", "cos_", "tan_", "asin_", "acos_", "atan_", "arcsin_", "arccos_", "arctan_",
    "sinh_", "cosh_", "tanh_", "asinh_", "acosh_", "atanh_", "arcsinh_", "arccosh_",
    "arctanh_",
    # clamping
    "clamp_", "clamp_min_", "clamp_max_", "clip_", "relu_",
    # special functions and integer maths (ops/special_math.py, ops/pointwise.py)
    "deg2rad_", "rad2deg_", "i0_", "sinc_", "gcd_", "lcm_", "ldexp_",
    # filling, indexing, linear algebra, autograd
    "fill_", "zero_", "index_put_", "addmv_", "detach_", "conj_physical_",
)


def _calls_method(name):
    """A module-level function ``name(input, *args, **kwargs)`` = ``input.name(*args, ...)``."""

    def function(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"In place: ``{name}(input, ...)`` is ``input.{name}(...)``. " \
                       f"Same as torch.{name}."
    return function


FUNCTIONS = {name: _calls_method(name) for name in _NAMES}
globals().update(FUNCTIONS)  # ember.ops.inplace.abs_ and the others, for ``import *``
__all__ = list(_NAMES)
