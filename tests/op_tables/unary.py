"""Op table entries for element-wise ops of one tensor (ops/unary.py, ops/floating.py) and
softmax/log_softmax (ops/nn.py).  Integer, bool and special-value inputs are in
tests/test_unary_extra.py."""

import numpy as np

from opinfo import OpInfo

SHAPES = [(2, 3), (), (4,)]
NAN, INF = float("nan"), float("inf")


def unary(name, domain=(-2.0, 2.0), samples=SHAPES, **kw):
    """An entry calling ``lib.<name>(x)``, with a second sample run as the method ``x.<name>()``."""
    return [
        OpInfo(name, lambda lib, x: getattr(lib, name)(x), samples=samples, domain=domain, **kw),
        OpInfo(name + "_method", lambda lib, x: getattr(x, name)(), samples=[(3,)],
               domain=domain, **kw),
    ]


def _raises(name, make):
    return lambda lib: getattr(lib, name)(make(lib))


def _bool(lib):
    return lib.tensor([True, False])


def _int(lib):
    return lib.tensor([1, 2, 3])


def _complex(lib):
    return lib.tensor([1 + 1j, 2 - 1j])


OPS = [
    # sign and magnitude
    *unary("abs", errors=[_raises("abs", _bool)]),
    *unary("sign", errors=[_raises("sign", _complex)]),
    *unary("sgn"),
    *unary("square"),
    *unary("reciprocal", domain=(0.5, 2.0)),
    OpInfo("reciprocal_negative", lambda lib, x: lib.reciprocal(x), samples=[(2, 3)],
           domain=(-2.0, -0.5)),
    OpInfo("neg_fn", lambda lib, x: lib.neg(x), samples=SHAPES,
           errors=[_raises("neg", _bool), lambda lib: -_bool(lib)]),
    OpInfo("negative", lambda lib, x: x.negative(), samples=[(3,)]),
    # exp and log
    *unary("exp2"),
    *unary("expm1"),
    *unary("log", domain=(0.1, 3.0)),
    *unary("log2", domain=(0.1, 3.0)),
    *unary("log10", domain=(0.1, 3.0)),
    *unary("log1p", domain=(-0.9, 3.0)),
    *unary("sqrt", domain=(0.1, 3.0)),
    *unary("rsqrt", domain=(0.2, 3.0)),
    OpInfo("exp_fn", lambda lib, x: lib.exp(x), samples=[(4,)],
           errors=[lambda lib: _int(lib).exp_()]),
    # trigonometry, hyperbolic
    *unary("sin"),
    *unary("cos"),
    *unary("tan", domain=(-1.2, 1.2)),
    *unary("asin", domain=(-0.9, 0.9)),
    *unary("acos", domain=(-0.9, 0.9)),
    *unary("atan"),
    *unary("sinh"),
    *unary("cosh"),
    OpInfo("tanh_fn", lambda lib, x: lib.tanh(x), samples=SHAPES),
    *unary("asinh"),
    *unary("acosh", domain=(1.1, 3.0)),
    *unary("atanh", domain=(-0.9, 0.9)),
    OpInfo("arcsin", lambda lib, x: lib.arcsin(x), samples=[(3,)], domain=(-0.9, 0.9)),
    # sigmoid, logit, erf
    *unary("sigmoid", domain=(-8.0, 8.0)),
    *unary("logit", domain=(0.05, 0.95), errors=[_raises("logit", _complex)]),
    OpInfo("logit_eps", lambda lib, x: lib.logit(x, eps=0.2), samples=SHAPES + [(5, 4)],
           domain=(0.0, 1.0)),
    OpInfo("logit_eps_method", lambda lib, x: x.logit(0.1), samples=[(4,)], domain=(0.0, 1.0)),
    *unary("erf", domain=(-3.0, 3.0), errors=[_raises("erf", _complex)]),
    *unary("erfc", domain=(-3.0, 3.0)),
    *unary("erfinv", domain=(-0.95, 0.95), errors=[_raises("erfinv", _complex)]),
    # rounding
    *unary("floor", domain=(-5.0, 5.0), errors=[_raises("floor", _bool)]),
    *unary("ceil", domain=(-5.0, 5.0), errors=[_raises("ceil", _complex)]),
    *unary("round", domain=(-5.0, 5.0), errors=[_raises("round", _bool)]),
    *unary("trunc", domain=(-5.0, 5.0), errors=[_raises("trunc", _bool)]),
    *unary("frac", domain=(-5.0, 5.0), errors=[_raises("frac", _int)]),
    OpInfo("round_decimals", lambda lib, x: lib.round(x, decimals=1), samples=SHAPES,
           domain=(-5.0, 5.0), errors=[lambda lib: lib.round(_int(lib), decimals=1)]),
    OpInfo("round_decimals_negative", lambda lib, x: x.round(decimals=-1), samples=[(2, 3)],
           domain=(-500.0, 500.0)),
    OpInfo("round_ties", lambda lib, x: lib.round(x),
           samples=[np.array([0.5, 1.5, 2.5, -0.5, -1.5, 0.49999997])],
           gradcheck=False),  # finite differences across the jumps at the ties
    # clamping
    OpInfo("clamp", lambda lib, x: lib.clamp(x, -0.5, 1.0), samples=SHAPES,
           errors=[lambda lib: lib.clamp(lib.ones(2)),
                   lambda lib: lib.clamp(_complex(lib), 0, 1),
                   lambda lib: lib.clamp(_bool(lib), min=True),
                   lambda lib: lib.clamp(lib.ones(2), lib.zeros(2), 1.0),
                   lambda lib: lib.clamp(lib.tensor([1, 2], dtype=lib.int8), 0, 1000)]),
    OpInfo("clamp_min_only", lambda lib, x: x.clamp(min=0.3), samples=[(2, 3)]),
    OpInfo("clamp_max_only", lambda lib, x: lib.clamp(x, max=0.3), samples=[(2, 3)]),
    OpInfo("clamp_min_gt_max", lambda lib, x: lib.clamp(x, 1.0, -1.0), samples=[(2, 3)]),
    OpInfo("clamp_at_bounds", lambda lib, x: lib.clamp(x, -1.0, 1.0),
           samples=[np.array([-2.0, -1.0, 0.0, 1.0, 2.0])], gradcheck=False),
    OpInfo("clip", lambda lib, x: lib.clip(x, -1, 1), samples=[(2, 3)]),
    OpInfo("clamp_tensors", lambda lib, x, lo, hi: lib.clamp(x, lo, hi),
           samples=[((2, 3), (2, 3), (2, 3)), ((2, 3), (3,), ()), ((3,), (2, 3), (2, 1))]),
    OpInfo("clamp_tensor_min", lambda lib, x, lo: lib.clamp(x, min=lo),
           samples=[((2, 3), (2, 3)), ((4,), ())]),
    OpInfo("clamp_tensor_max", lambda lib, x, hi: x.clamp(max=hi), samples=[((2, 3), (3,))]),
    OpInfo("clamp_zero_dim_and_number", lambda lib, x, lo: lib.clamp(x, lo, 1.5),
           samples=[((2, 3), ())], grad=False, gradcheck=False, gradgrad=False),
    OpInfo("clamp_min_fn", lambda lib, x: lib.clamp_min(x, 0.1), samples=[(2, 3)]),
    OpInfo("clamp_max_fn", lambda lib, x: lib.clamp_max(x, 0.1), samples=[(2, 3)]),
    *unary("relu", errors=[_raises("relu", _bool)]),
    OpInfo("nan_to_num", lambda lib, x: lib.nan_to_num(x),
           samples=[np.array([NAN, INF, -INF, 1.5, -2.0]), (2, 3)]),
    OpInfo("nan_to_num_values", lambda lib, x: x.nan_to_num(1.0, posinf=2.0, neginf=-3.0),
           samples=[np.array([[NAN, INF], [-INF, 0.25]])]),
    # complex parts of real tensors
    OpInfo("angle", lambda lib, x: lib.angle(x), samples=SHAPES),
    OpInfo("real", lambda lib, x: lib.real(x) * 2, samples=[(2, 3)],
           errors=[lambda lib: lib.imag(lib.ones(2))]),
    # tests (bool results, no gradient)
    *[OpInfo(name, lambda lib, x, name=name: getattr(lib, name)(x),
             samples=[np.array([NAN, INF, -INF, 1.5, -0.0, 0.0, -NAN])], grad=False,
             gradcheck=False, gradgrad=False)
      for name in ("isnan", "isinf", "isfinite", "isposinf", "isneginf", "signbit",
                   "logical_not")],
    OpInfo("isposinf_complex", lambda lib, x: x, samples=[(1,)],
           errors=[_raises("isposinf", _complex), _raises("signbit", _complex)]),
    # softmax, log_softmax
    OpInfo("softmax", lambda lib, x: lib.softmax(x, 1), samples=[(2, 3), (2, 3, 4)],
           domain=(-5.0, 5.0),
           errors=[lambda lib: lib.softmax(_int(lib), 0),
                   lambda lib: lib.softmax(lib.ones(2), 1)]),
    OpInfo("softmax_dim0", lambda lib, x: x.softmax(0), samples=[(3, 2), (), (4,)]),
    OpInfo("softmax_dtype", lambda lib, x: lib.softmax(x, -1, dtype=lib.float64),
           samples=[(2, 3)]),
    OpInfo("softmax_large", lambda lib, x: lib.softmax(x * 1000, -1), samples=[(2, 5)]),
    OpInfo("log_softmax", lambda lib, x: lib.log_softmax(x, -1), samples=[(2, 3), (2, 3, 4)],
           domain=(-5.0, 5.0), errors=[lambda lib: lib.log_softmax(_int(lib), 0)]),
    OpInfo("log_softmax_dim0", lambda lib, x: x.log_softmax(0), samples=[(3, 2), (), (4,)]),
    OpInfo("log_softmax_dtype", lambda lib, x: x.log_softmax(1, dtype=lib.float64),
           samples=[(2, 3)]),
    OpInfo("log_softmax_large", lambda lib, x: lib.log_softmax(x * 1000, 1), samples=[(2, 5)]),
]
