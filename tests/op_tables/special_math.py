"""Op table entries for the special functions (ops/special_math.py), addcmul/addcdiv/
float_power/ldexp/heaviside (ops/pointwise.py) and logcumsumexp/aminmax/renorm
(ops/along_dim.py).  Special values, poles, integer inputs, out= and the in-place forms are in
tests/test_special_math.py.

Domains keep away from the poles of the gamma family (0 and the negative integers); the
negative samples are non-integers between the poles.
"""

import numpy as np

from opinfo import OpInfo

SHAPES = [(2, 3), (), (4,)]
# negative non-integers, between the poles (and a few positive values)
NEGATIVE = np.array([-3.7, -2.3, -1.6, -0.6, -0.3, 0.4, 1.7, 4.2])


def _complex(lib):
    return lib.tensor([1 + 1j, 2 - 1j])


def _int(lib):
    return lib.tensor([1, 2, 3])


OPS = [
    # the gamma family
    OpInfo("lgamma", lambda lib, x: lib.lgamma(x), samples=SHAPES + [NEGATIVE],
           domain=(0.2, 6.0),
           errors=[lambda lib: lib.lgamma(_complex(lib))]),
    OpInfo("lgamma_method", lambda lib, x: x.lgamma(), samples=[(3,)], domain=(0.2, 6.0)),
    OpInfo("digamma", lambda lib, x: lib.digamma(x), samples=SHAPES + [NEGATIVE],
           domain=(0.2, 6.0),
           errors=[lambda lib: lib.digamma(_complex(lib))]),
    OpInfo("digamma_method", lambda lib, x: x.digamma(), samples=[(3,)], domain=(0.2, 6.0)),
    # NOTE: torch's trigamma (polygamma(1, .), digamma's derivative) is off by up to 5e-10
    # relative in float64 and ~1e-6 in float32 at negative x (ember's is within 1e-15 of
    # mpmath, rounded once); the table's default tolerances are above both.
    OpInfo("polygamma_1", lambda lib, x: lib.polygamma(1, x), samples=SHAPES + [NEGATIVE],
           domain=(0.2, 6.0),
           errors=[lambda lib: lib.polygamma(-1, lib.ones(2)),
                   lambda lib: lib.polygamma(1.5, lib.ones(2))]),
    OpInfo("polygamma_2", lambda lib, x: lib.polygamma(2, x), samples=SHAPES + [NEGATIVE],
           domain=(0.2, 6.0)),
    OpInfo("polygamma_5", lambda lib, x: lib.polygamma(5, x), samples=[(2, 3), NEGATIVE],
           domain=(0.5, 8.0)),
    OpInfo("polygamma_0", lambda lib, x: lib.polygamma(0, x), samples=[(4,)],
           domain=(0.2, 6.0)),
    OpInfo("polygamma_method", lambda lib, x: x.polygamma(3), samples=[(3,)],
           domain=(0.5, 6.0)),
    OpInfo("mvlgamma", lambda lib, x: lib.mvlgamma(x, 1), samples=SHAPES, domain=(0.2, 6.0),
           errors=[lambda lib: lib.mvlgamma(lib.ones(2), 0)]),
    OpInfo("mvlgamma_p3", lambda lib, x: lib.mvlgamma(x, 3), samples=SHAPES, domain=(1.2, 6.0)),
    OpInfo("mvlgamma_method", lambda lib, x: x.mvlgamma(2), samples=[(3,)], domain=(0.7, 5.0)),
    # Bessel I0 (its derivative is I1, whose derivative is I0 - I1/x)
    OpInfo("i0", lambda lib, x: lib.i0(x), samples=SHAPES, domain=(-4.0, 4.0),
           errors=[lambda lib: lib.i0(_complex(lib))]),
    OpInfo("i0_large", lambda lib, x: x.i0(), samples=[(5,)], domain=(-60.0, 60.0),
           gradcheck=False),  # finite differences of values ~1e25 lose the digits
    OpInfo("sinc", lambda lib, x: lib.sinc(x), samples=SHAPES, domain=(-3.0, 3.0)),
    # NOTE: at exactly x = 0 the second derivative is NaN in torch (0/0 inside its formula) and
    # 0 in ember (the masked first derivative); the true value is -pi^2/3.  First order: 0 both.
    OpInfo("sinc_at_zero", lambda lib, x: lib.sinc(x), samples=[np.array([0.0, 1.0, -2.5])],
           gradgrad=False),
    OpInfo("sinc_method", lambda lib, x: x.sinc(), samples=[(3,)], domain=(-3.0, 3.0)),
    # angles
    OpInfo("deg2rad", lambda lib, x: lib.deg2rad(x), samples=SHAPES, domain=(-360.0, 360.0),
           errors=[lambda lib: lib.deg2rad(_complex(lib))]),
    OpInfo("rad2deg", lambda lib, x: x.rad2deg(), samples=SHAPES,
           errors=[lambda lib: lib.rad2deg(_complex(lib))]),
    # frexp: one binade per sample, so finite differences never cross a change of exponent
    OpInfo("frexp", lambda lib, x: lib.frexp(x), samples=[(2, 3), ()], domain=(1.1, 1.9),
           errors=[lambda lib: lib.frexp(_int(lib))]),
    OpInfo("frexp_negative", lambda lib, x: x.frexp(), samples=[(4,)], domain=(-7.5, -4.5)),
    # addcmul, addcdiv
    OpInfo("addcmul", lambda lib, a, b, c: lib.addcmul(a, b, c), samples=[
        ((2, 3), (2, 3), (2, 3)), ((2, 3), (3,), (2, 1)), ((), (4,), ())],
        errors=[lambda lib: lib.addcmul(lib.ones(2), lib.ones(2), 2),
                lambda lib: lib.addcmul(lib.ones(2, dtype=lib.bool), lib.ones(2, dtype=lib.bool),
                                        lib.ones(2, dtype=lib.bool))]),
    OpInfo("addcmul_value", lambda lib, a, b, c: a.addcmul(b, c, value=-0.7),
           samples=[((3, 1), (1, 4), (4,))]),
    OpInfo("addcdiv", lambda lib, a, b, c: lib.addcdiv(a, b, c, value=2.5), samples=[
        ((2, 3), (2, 3), (2, 3)), ((2, 3), (3,), (2, 1)), ((), (4,), ())], domain=(0.5, 2.0),
        errors=[lambda lib: lib.addcdiv(lib.ones(2), _int(lib)[:2], _int(lib)[:2]),
                lambda lib: lib.addcdiv(lib.ones(2), lib.ones(2), 1.0)]),
    OpInfo("addcdiv_method", lambda lib, a, b, c: a.addcdiv(b, c), samples=[((4,), (4,), (4,))],
           domain=(0.5, 2.0)),
    # float_power (always float64): tensor or number exponents
    OpInfo("float_power", lambda lib, a, b: lib.float_power(a, b),
           samples=[((2, 3), (2, 3)), ((2, 3), (3,))], domain=(0.5, 2.0)),
    OpInfo("float_power_scalar", lambda lib, a: a.float_power(2.5), samples=SHAPES,
           domain=(0.5, 2.0)),
    OpInfo("float_power_base", lambda lib, a: lib.float_power(1.7, a), samples=[(2, 3)]),
    # ldexp: gradient to both sides
    OpInfo("ldexp", lambda lib, a, b: lib.ldexp(a, b), samples=[((2, 3), (2, 3)), ((4,), ())],
           errors=[lambda lib: lib.ldexp(lib.ones(2), 2)]),
    OpInfo("ldexp_method", lambda lib, a, b: a.ldexp(b), samples=[((3,), (3,))]),
    # heaviside has no derivative (backward raises in both libraries)
    OpInfo("heaviside", lambda lib, a, b: lib.heaviside(a, b),
           samples=[((2, 3), (3,)),
                    (np.array([-1.0, 0.0, 2.0, 0.0]), np.array([0.5, 0.25, 3.0, 7.0]))],
           grad=False, gradcheck=False, gradgrad=False,
           errors=[lambda lib: lib.heaviside(lib.ones(2), lib.ones(2, dtype=lib.float64)),
                   lambda lib: lib.heaviside(_complex(lib), _complex(lib)),
                   lambda lib: lib.heaviside(lib.ones(2), 0.5)]),
    # logcumsumexp (values up to 40 apart: exp of the difference underflows float32)
    OpInfo("logcumsumexp", lambda lib, x: lib.logcumsumexp(x, 1), samples=[(3, 5), (2, 4, 3)],
           domain=(-20.0, 20.0)),
    OpInfo("logcumsumexp_dim0", lambda lib, x: x.logcumsumexp(0), samples=[(6,), (), (4, 2)],
           errors=[lambda lib: lib.logcumsumexp(_int(lib), 0),
                   lambda lib: lib.logcumsumexp(lib.ones(3), 1)]),
    OpInfo("logcumsumexp_neg_dim", lambda lib, x: lib.logcumsumexp(x, -1), samples=[(2, 5)]),
    # aminmax: min and max in one call (random values have no ties)
    OpInfo("aminmax", lambda lib, x: lib.aminmax(x), samples=SHAPES,
           errors=[lambda lib: lib.aminmax(lib.ones(0)),
                   lambda lib: lib.aminmax(_complex(lib))]),
    OpInfo("aminmax_dim", lambda lib, x: lib.aminmax(x, dim=1), samples=[(3, 4), (2, 3, 4)],
           errors=[lambda lib: lib.aminmax(lib.ones(2, 0), dim=1)]),
    OpInfo("aminmax_keepdim", lambda lib, x: x.aminmax(dim=-1, keepdim=True),
           samples=[(3, 4), (5,)]),
    OpInfo("aminmax_ties", lambda lib, x: lib.aminmax(x, dim=0),
           samples=[np.array([[1.0, 2.0], [1.0, -2.0], [0.5, 2.0]])], gradcheck=False),
    # renorm: maxnorm between the slices' norms, so some are scaled and some are not
    OpInfo("renorm", lambda lib, x: lib.renorm(x, 2, 0, 1.5), samples=[(4, 3), (3, 2, 2)],
           errors=[lambda lib: lib.renorm(lib.ones(3), 2, 0, 1.0),
                   lambda lib: lib.renorm(lib.ones(2, 2), 0, 0, 1.0),
                   lambda lib: lib.renorm(lib.ones(2, 2), -1, 0, 1.0),
                   lambda lib: lib.renorm(lib.ones(2, 2), 2, 2, 1.0),
                   lambda lib: lib.renorm(_int(lib).reshape(3, 1), 2, 0, 1.0)]),
    OpInfo("renorm_p1_dim1", lambda lib, x: x.renorm(1, 1, 2.0), samples=[(3, 4)]),
    OpInfo("renorm_p3_last", lambda lib, x: lib.renorm(x, 3, -1, 1.2), samples=[(2, 3, 4)]),
    OpInfo("renorm_inf", lambda lib, x: lib.renorm(x, float("inf"), 0, 1.0), samples=[(4, 3)],
           gradcheck=False),  # max |x|: finite differences at the kink are fine, but ties are not
]
