"""Op table entries for the differentiable functions of ember.special (ops/special_functions.py
and the torch.special spellings of existing ops).  Wide float64 grids against torch, special
values, poles, integer inputs, out= and errors are in tests/test_special_ns.py.

zeta, gammainc and gammaincc have a derivative in their second argument only (as torch): the
first argument is listed in nondiff_inputs.
"""

from opinfo import OpInfo

SHAPES = [(2, 3), (), (4,)]


def _complex(lib):
    return lib.tensor([1 + 1j, 2 - 1j])


OPS = [
    OpInfo("special_erfcx", lambda lib, x: lib.special.erfcx(x), samples=SHAPES,
           domain=(-3.0, 5.0), errors=[lambda lib: lib.special.erfcx(_complex(lib))]),
    OpInfo("special_ndtr", lambda lib, x: lib.special.ndtr(x), samples=SHAPES,
           domain=(-4.0, 4.0), errors=[lambda lib: lib.special.ndtr(_complex(lib))]),
    OpInfo("special_ndtri", lambda lib, x: lib.special.ndtri(x), samples=SHAPES,
           domain=(0.05, 0.95), errors=[lambda lib: lib.special.ndtri(_complex(lib))]),
    OpInfo("special_log_ndtr", lambda lib, x: lib.special.log_ndtr(x), samples=SHAPES,
           domain=(-6.0, 4.0), errors=[lambda lib: lib.special.log_ndtr(_complex(lib))]),
    OpInfo("special_entr", lambda lib, x: lib.special.entr(x), samples=SHAPES,
           domain=(0.1, 3.0), errors=[lambda lib: lib.special.entr(_complex(lib))]),
    OpInfo("special_xlog1py", lambda lib, a, b: lib.special.xlog1py(a, b),
           samples=[((2, 3), (2, 3)), ((4,), ()), ((), (3,))], domain=(0.1, 3.0),
           errors=[lambda lib: lib.special.xlog1py(_complex(lib), _complex(lib))]),
    OpInfo("special_i0e", lambda lib, x: lib.special.i0e(x), samples=SHAPES,
           domain=(-5.0, 5.0), errors=[lambda lib: lib.special.i0e(_complex(lib))]),
    OpInfo("special_i1", lambda lib, x: lib.special.i1(x), samples=SHAPES,
           domain=(-5.0, 5.0), errors=[lambda lib: lib.special.i1(_complex(lib))]),
    OpInfo("special_i1e", lambda lib, x: lib.special.i1e(x), samples=SHAPES,
           domain=(-5.0, 5.0), errors=[lambda lib: lib.special.i1e(_complex(lib))]),
    OpInfo("special_zeta", lambda lib, s, q: lib.special.zeta(s, q),
           samples=[((2, 3), (2, 3)), ((4,), ())], domain=(1.5, 5.0), nondiff_inputs=(0,),
           errors=[lambda lib: lib.special.zeta(_complex(lib), _complex(lib))]),
    OpInfo("special_gammainc", lambda lib, a, x: lib.special.gammainc(a, x),
           samples=[((2, 3), (2, 3)), ((4,), ())], domain=(0.5, 4.0), nondiff_inputs=(0,),
           errors=[lambda lib: lib.special.gammainc(_complex(lib), _complex(lib))]),
    OpInfo("special_gammaincc", lambda lib, a, x: lib.special.gammaincc(a, x),
           samples=[((2, 3), (2, 3)), ((), (4,))], domain=(0.5, 4.0), nondiff_inputs=(0,)),
    # the torch.special spellings of existing ops
    OpInfo("special_expit", lambda lib, x: lib.special.expit(x), samples=SHAPES),
    OpInfo("special_psi", lambda lib, x: lib.special.psi(x), samples=SHAPES, domain=(0.2, 6.0)),
    OpInfo("special_gammaln", lambda lib, x: lib.special.gammaln(x), samples=SHAPES,
           domain=(0.2, 6.0)),
    OpInfo("special_multigammaln", lambda lib, x: lib.special.multigammaln(x, 3),
           samples=SHAPES, domain=(1.2, 6.0)),
    OpInfo("special_polygamma", lambda lib, x: lib.special.polygamma(2, x), samples=SHAPES,
           domain=(0.2, 6.0)),
    OpInfo("special_logit", lambda lib, x: lib.special.logit(x, 0.1), samples=SHAPES,
           domain=(0.2, 0.8)),
    OpInfo("special_softmax", lambda lib, x: lib.special.softmax(x, 1), samples=[(2, 3)]),
    OpInfo("special_log_softmax", lambda lib, x: lib.special.log_softmax(x, 0),
           samples=[(2, 3), (4,)]),
    OpInfo("special_logsumexp", lambda lib, x: lib.special.logsumexp(x, 1, True),
           samples=[(2, 3)]),
    OpInfo("special_xlogy", lambda lib, a, b: lib.special.xlogy(a, b),
           samples=[((2, 3), (2, 3))], domain=(0.1, 3.0)),
    OpInfo("special_sinc", lambda lib, x: lib.special.sinc(x), samples=SHAPES),
    OpInfo("special_exp2", lambda lib, x: lib.special.exp2(x), samples=SHAPES),
    OpInfo("special_expm1", lambda lib, x: lib.special.expm1(x), samples=SHAPES),
    OpInfo("special_log1p", lambda lib, x: lib.special.log1p(x), samples=SHAPES,
           domain=(-0.5, 2.0)),
    OpInfo("special_erf", lambda lib, x: lib.special.erf(x), samples=SHAPES),
    OpInfo("special_erfc", lambda lib, x: lib.special.erfc(x), samples=SHAPES),
    OpInfo("special_erfinv", lambda lib, x: lib.special.erfinv(x), samples=SHAPES,
           domain=(-0.9, 0.9)),
    OpInfo("special_i0", lambda lib, x: lib.special.i0(x), samples=SHAPES),
    OpInfo("special_digamma", lambda lib, x: lib.special.digamma(x), samples=SHAPES,
           domain=(0.2, 6.0)),
    OpInfo("special_round", lambda lib, x: lib.special.round(x, decimals=1), samples=SHAPES,
           grad=False, gradcheck=False, gradgrad=False),
]
