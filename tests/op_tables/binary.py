"""Op table entries for the binary ops: arithmetic (+ - * / // % **, alpha, rounding modes),
min/max, atan2, hypot, logaddexp, copysign, xlogy, lerp, where, comparisons, logical and bitwise
ops, isclose.  Integer, bool and mixed-dtype samples are fixed arrays made by ``_arrays``."""

import numpy as np

from opinfo import OpInfo

NO_GRAD = {"grad": False, "gradcheck": False, "gradgrad": False}


def _arrays(*specs):
    """A sample of fixed-dtype inputs: each spec is (dtype, shape, low, high); ``dtype`` "f"
    follows the tested float dtype, integers are drawn from [low, high]."""

    def make(rng, dtype):
        out = []
        for kind, shape, low, high in specs:
            if kind == "f":
                out.append(rng.uniform(low, high, size=shape).astype(dtype))
            elif kind == "bool":
                out.append(rng.integers(0, 2, size=shape).astype(bool))
            elif kind.startswith(("int", "uint")):
                out.append(rng.integers(low, high + 1, size=shape).astype(kind))
            else:  # a fixed float dtype
                out.append(rng.uniform(low, high, size=shape).astype(kind))
        return out

    return make


def _fixed(*arrays):
    """A sample of given values (floats follow the tested dtype)."""
    return lambda rng, dtype: [a.astype(dtype) if a.dtype.kind == "f" else a for a in arrays]


def _grid(dtype_kind, shape, low, high):
    """Small whole numbers (so that comparisons meet ties) in a float or integer dtype."""
    return (dtype_kind, shape, low, high)


def _whole(shape_a, shape_b, low=-3, high=3):
    """Floats that are whole numbers: ties and exact zeros for comparisons and logic."""

    def make(rng, dtype):
        return [rng.integers(low, high + 1, size=s).astype(dtype) for s in (shape_a, shape_b)]

    return make


I64 = _arrays(("int64", (3, 4), -9, 9), ("int64", (4,), 1, 5))
I_MIXED = _arrays(("int32", (3, 4), -9, 9), ("int64", (4,), -5, 5))
I_NONZERO = _arrays(("int64", (3, 4), -20, 20), ("int64", (3, 4), 1, 6))
I_SIGNED_DIV = _fixed(np.array([-7, 7, -7, 7, 0, 6]), np.array([2, 2, -2, -2, 3, -3]))
BOOLS = _arrays(("bool", (2, 3), 0, 1), ("bool", (3,), 0, 1))
F_I = _arrays(("f", (2, 3), -2, 2), ("int64", (3,), -3, 3))
F_B = _arrays(("f", (2, 3), -2, 2), ("bool", (2, 3), 0, 1))
F32_F64_0D = _arrays(("float32", (2, 3), -2, 2), ("float64", (), -2, 2))
F16_F32 = _arrays(("float16", (2, 3), -2, 2), ("float32", (2, 3), -2, 2))
U8 = _arrays(("uint8", (2, 3), 0, 255), ("uint8", (2, 3), 1, 9))
POW_ZERO = _fixed(np.array([0.0, 0.0, 0.0, 2.0, 1.5]), np.array([0.0, 2.0, 1.0, 0.0, 3.0]))
TIES = _fixed(np.array([1.0, 2.0, -1.0, 0.5]), np.array([1.0, 3.0, -1.0, 0.25]))
NANS = _fixed(np.array([1.0, np.nan, 3.0, np.nan]), np.array([np.nan, 2.0, 1.0, np.nan]))
ZERO_DIV = _fixed(np.array([1.0, -1.0, 0.0, 5.0]), np.array([0.0, 0.0, 0.0, -0.0]))
SHIFTS = _arrays(("int64", (6,), -100, 100), ("int64", (6,), 0, 70))
SHIFTS8 = _arrays(("int8", (6,), -100, 100), ("int8", (6,), 0, 9))

OPS = [
    # ------------------------------------------------------------------ + - * /
    OpInfo("add_alpha", lambda lib, a, b: lib.add(a, b, alpha=2),
           samples=[((2, 3), (3,)), ((), (2,)), ((2, 1, 3), (4, 1))],
           errors=[lambda lib: lib.add(lib.ones(2), lib.ones(3)),
                   lambda lib: lib.add(lib.ones(2, dtype=lib.int64), 1, alpha=2.5),
                   lambda lib: lib.add(lib.ones(2), lib.ones(2), alpha=True),
                   lambda lib: lib.ones(2).add_(1j)]),
    OpInfo("add_scalar", lambda lib, a: (a + 2.5, 3 + a, a + True), samples=[(2, 3), ()]),
    OpInfo("add_int", lambda lib, a, b: (a + b, a + 3, a + 2.5, a + b.bool()),
           samples=[I64, I_MIXED], **NO_GRAD),
    OpInfo("add_mixed", lambda lib, a, b: (a + b, b + a, a * b), samples=[F_I, F_B]),
    OpInfo("add_mixed_fixed", lambda lib, a, b: (a + b, b + a, a * b, a - b, a / b),
           samples=[F32_F64_0D, F16_F32], gradcheck=False, rtol=1e-3, atol=1e-3),
    OpInfo("add_bool", lambda lib, a, b: (a + b, a * b, a + 1, a * 2.5, a + True),
           samples=[BOOLS], **NO_GRAD),
    OpInfo("add_uint8_wrap", lambda lib, a, b: (a + b, a - 3, a + 300, a * 2),
           samples=[U8], **NO_GRAD),
    OpInfo("add_out",
           lambda lib, a, b: lib.add(a, b, out=lib.empty(2, 3, dtype=a.dtype, device=a.device)),
           samples=[((2, 3), (3,))], **NO_GRAD,
           errors=[lambda lib: lib.add(lib.ones(2), 1.5, out=lib.empty(2, dtype=lib.int64)),
                   lambda lib: lib.add(lib.ones(2, requires_grad=True), 1,
                                       out=lib.empty(2))]),
    OpInfo("iadd", lambda lib, a, b: _iadd(a.detach().clone(), b), samples=[((2, 3), (3,))],
           **NO_GRAD,
           errors=[lambda lib: _iadd(lib.ones(2, dtype=lib.int32), 1.5),
                   lambda lib: _iadd(lib.ones(1), lib.ones(3)),
                   lambda lib: _iadd(lib.ones(2, dtype=lib.bool), 1)]),
    OpInfo("iops_int", lambda lib, a, b: _iops(a.clone(), b), samples=[I_NONZERO], **NO_GRAD),
    OpInfo("sub_alpha", lambda lib, a, b: (lib.sub(a, b, alpha=-1.5), a - 1, 1 - a),
           samples=[((2, 3), (3,)), ((3,), ())],
           errors=[lambda lib: lib.tensor([True]) - lib.tensor([True]),
                   lambda lib: lib.tensor([True]) - 1,
                   lambda lib: 1.5 - lib.tensor([True]),
                   lambda lib: lib.ones(2) - lib.tensor([True, False]),
                   lambda lib: lib.ones(2) - True,
                   lambda lib: lib.ones(2, 3) - lib.ones(2)]),
    OpInfo("sub_int", lambda lib, a, b: (a - b, lib.sub(a, b, alpha=3), 5 - a),
           samples=[I64, I_MIXED], **NO_GRAD),
    OpInfo("rsub", lambda lib, a, b: (lib.rsub(a, b), lib.rsub(a, b, alpha=2), lib.rsub(a, 2)),
           samples=[((2, 3), (2, 3))]),
    OpInfo("mul_scalar", lambda lib, a: (a * 2, 0.5 * a, a * -1), samples=[(2, 3), ()]),
    OpInfo("mul_broadcast", lambda lib, a, b: lib.mul(a, b),
           samples=[((2, 1, 3), (4, 1)), ((), ())],
           errors=[lambda lib: lib.ones(2, 3) * lib.ones(2)]),
    OpInfo("mul_empty", lambda lib, a, b: (a * b, a + b, a / b), samples=[((0, 3), (3,))],
           gradcheck=False),
    OpInfo("div_true", lambda lib, a, b: (a / b, lib.true_divide(a, b), 2 / b, a / 4),
           samples=[((2, 3), (2, 3)), ((3,), ())], domain=(0.5, 2)),
    OpInfo("div_int", lambda lib, a, b: (a / b, a / 2, 7 / b, lib.div(a, b)),
           samples=[I64, I_NONZERO, BOOLS], **NO_GRAD),
    OpInfo("div_by_zero", lambda lib, a, b: (a / b, a // b, a % b, lib.fmod(a, b),
                                            lib.div(a, b, rounding_mode="trunc")),
           samples=[ZERO_DIV], **NO_GRAD),
    OpInfo("div_floor", lambda lib, a, b: lib.div(a, b, rounding_mode="floor"),
           samples=[((2, 3), (2, 3)), ((3,), ())], domain=(-3, 3), gradcheck=False,
           errors=[lambda lib: lib.div(lib.ones(2), 2, rounding_mode="bad"),
                   lambda lib: lib.div(lib.ones(2, dtype=lib.int64), 0, rounding_mode="floor"),
                   lambda lib: lib.div(lib.ones(2, dtype=lib.bool), lib.ones(2, dtype=lib.bool),
                                       rounding_mode="floor")]),
    OpInfo("div_trunc", lambda lib, a, b: lib.div(a, b, rounding_mode="trunc"),
           samples=[((2, 3), (2, 3))], domain=(-3, 3), gradcheck=False,
           errors=[lambda lib: lib.div(lib.ones(2, dtype=lib.int64), 0, rounding_mode="trunc")]),
    OpInfo("div_rounding_int", lambda lib, a, b: (lib.div(a, b, rounding_mode="trunc"),
                                                  lib.div(a, b, rounding_mode="floor"),
                                                  lib.div(a, -3, rounding_mode="trunc")),
           samples=[I_SIGNED_DIV, I_NONZERO], **NO_GRAD),
    # ------------------------------------------------------------------ // % fmod
    OpInfo("floor_divide", lambda lib, a, b: (a // b, lib.floor_divide(a, 0.7), 5 // b),
           samples=[((2, 3), (2, 3)), ((3,), ())], domain=(-3, 3), **NO_GRAD,
           errors=[lambda lib: lib.ones(2, dtype=lib.int64) // 0,
                   lambda lib: lib.ones(2, dtype=lib.bool) // lib.ones(2, dtype=lib.bool),
                   lambda lib: lib.ones(1, dtype=lib.complex64) // 2]),
    OpInfo("floor_divide_int", lambda lib, a, b: (a // b, a // -2, lib.floor_divide(a, b)),
           samples=[I_SIGNED_DIV, I_NONZERO], **NO_GRAD),
    OpInfo("remainder", lambda lib, a, b: lib.remainder(a, b), samples=[((2, 3), (2, 3))],
           domain=(-3, 3),
           errors=[lambda lib: lib.ones(2, dtype=lib.int64) % 0,
                   lambda lib: lib.ones(2, dtype=lib.bool) % lib.ones(2, dtype=lib.bool)]),
    OpInfo("remainder_scalar", lambda lib, a: (a % 1.5, a % -0.75), samples=[(2, 3)],
           domain=(-3, 3)),
    OpInfo("remainder_int", lambda lib, a, b: (a % b, a % -3, lib.remainder(-7, b)),
           samples=[I_SIGNED_DIV, I_NONZERO], **NO_GRAD),
    OpInfo("fmod", lambda lib, a, b: lib.fmod(a, b), samples=[((2, 3), (2, 3)), ((3,), ())],
           domain=(-3, 3), errors=[lambda lib: lib.fmod(lib.ones(2, dtype=lib.int64), 0)]),
    OpInfo("fmod_scalar", lambda lib, a: (lib.fmod(a, 1.5), a.fmod(-0.75)), samples=[(2, 3)],
           domain=(-3, 3)),
    OpInfo("fmod_int", lambda lib, a, b: (lib.fmod(a, b), lib.fmod(a, -3)),
           samples=[I_SIGNED_DIV, I_NONZERO], **NO_GRAD),
    # ------------------------------------------------------------------ pow
    OpInfo("pow_scalar_exponents", lambda lib, a: (a ** 2, a ** 0, a ** -1.5, a.pow(0.5),
                                                  lib.pow(a, 1)),
           samples=[(2, 3), ()], domain=(0.5, 2)),
    OpInfo("pow_scalar_base", lambda lib, b: (2 ** b, lib.pow(0.5, b), lib.pow(3, b)),
           samples=[(2, 3), ()]),
    OpInfo("pow_broadcast", lambda lib, a, b: lib.pow(a, b), samples=[((2, 3), (3,))],
           domain=(0.5, 2)),
    # NOTE: torch's second derivative of pow at a = 0 is NaN everywhere; ember's is finite
    OpInfo("pow_at_zero", lambda lib, a, b: (a ** b, a ** 0, 0 ** b), samples=[POW_ZERO],
           gradcheck=False, gradgrad=False),
    OpInfo("pow_int", lambda lib, a, b: (a ** b.abs(), a ** 2, 2 ** b.abs(), a ** 0.5,
                                         a ** b[0], 2 ** b, a ** -b.abs()),
           samples=[I64, I_MIXED], **NO_GRAD,
           errors=[lambda lib: lib.tensor([2]) ** -1,
                   lambda lib: lib.tensor([True]) ** lib.tensor([True]),
                   lambda lib: lib.tensor([2], dtype=lib.int8) ** 200]),
    OpInfo("pow_mixed", lambda lib, a, b: (a ** b, b ** 2, lib.pow(2, a)), samples=[F_I]),
    OpInfo("pow_mixed_fixed", lambda lib, a, b: (a ** b, b ** 2), samples=[F32_F64_0D],
           gradcheck=False),
    # ------------------------------------------------------------------ min / max
    OpInfo("maximum", lambda lib, a, b: lib.maximum(a, b),
           samples=[((2, 3), (2, 3)), ((2, 1, 3), (4, 1)), TIES],
           errors=[lambda lib: lib.maximum(lib.ones(2), 1),
                   lambda lib: lib.maximum(lib.ones(2, dtype=lib.complex64), lib.ones(2)),
                   lambda lib: lib.maximum(lib.ones(2), lib.ones(3))]),
    OpInfo("minimum", lambda lib, a, b: a.minimum(b),
           samples=[((2, 3), (2, 3)), ((3,), ()), TIES]),
    OpInfo("fmax", lambda lib, a, b: lib.fmax(a, b), samples=[((2, 3), (2, 3)), ((3,), ())]),
    OpInfo("fmin", lambda lib, a, b: a.fmin(b), samples=[((2, 3), (2, 3)), ((3,), ())]),
    OpInfo("fmax_ties", lambda lib, a, b: (lib.fmax(a, b), lib.fmin(a, b)),
           samples=[TIES], gradcheck=False),
    OpInfo("minmax_nan", lambda lib, a, b: (lib.maximum(a, b), lib.minimum(a, b),
                                            lib.fmax(a, b), lib.fmin(a, b)),
           samples=[NANS], gradcheck=False),
    OpInfo("minmax_int", lambda lib, a, b: (lib.maximum(a, b), lib.minimum(a, b),
                                            lib.fmax(a, b), lib.fmin(a, b)),
           samples=[I64, I_MIXED, BOOLS, F_I], **NO_GRAD),
    # ------------------------------------------------------------------ float functions
    OpInfo("atan2", lambda lib, a, b: lib.atan2(a, b), samples=[((2, 3), (2, 3)), ((3,), ())],
           errors=[lambda lib: lib.atan2(lib.ones(2), 2.0),
                   lambda lib: lib.atan2(lib.ones(1, dtype=lib.complex64),
                                         lib.ones(1, dtype=lib.complex64))]),
    OpInfo("arctan2", lambda lib, a, b: a.arctan2(b), samples=[((2, 1), (3,))]),
    OpInfo("atan2_int", lambda lib, a, b: lib.atan2(a, b), samples=[I64, BOOLS, F_I],
           **NO_GRAD),
    OpInfo("hypot", lambda lib, a, b: lib.hypot(a, b), samples=[((2, 3), (2, 3)), ((3,), ())],
           errors=[lambda lib: lib.hypot(lib.ones(2, dtype=lib.int64),
                                         lib.ones(2, dtype=lib.int64)),
                   lambda lib: lib.hypot(lib.ones(2), 2.0)]),
    OpInfo("logaddexp", lambda lib, a, b: lib.logaddexp(a, b),
           samples=[((2, 3), (2, 3)), ((3,), ())], domain=(-5, 5),
           errors=[lambda lib: lib.logaddexp(lib.ones(2, dtype=lib.int64),
                                             lib.ones(2, dtype=lib.int64))]),
    OpInfo("logaddexp2", lambda lib, a, b: a.logaddexp2(b),
           samples=[((2, 3), (2, 3)), ((3,), ())], domain=(-5, 5)),
    OpInfo("logaddexp_large", lambda lib, a, b: lib.logaddexp(a, b),
           samples=[_fixed(np.array([1000.0, -1000.0, 0.0]), np.array([999.0, -1001.0, 0.0]))],
           gradcheck=False),
    OpInfo("copysign", lambda lib, a, b: (lib.copysign(a, b), lib.copysign(a, -1)),
           samples=[((2, 3), (2, 3)), ((3,), ())]),
    OpInfo("copysign_int", lambda lib, a, b: (lib.copysign(a, b), lib.copysign(a, -1)),
           samples=[I64, BOOLS, F_I], **NO_GRAD),
    OpInfo("xlogy", lambda lib, a, b: lib.xlogy(a, b), samples=[((2, 3), (2, 3)), ((3,), ())],
           domain=(0.1, 2)),
    OpInfo("xlogy_scalars", lambda lib, a: (lib.xlogy(a, 2), lib.xlogy(2, a)), samples=[(2, 3)],
           domain=(0.1, 2)),
    OpInfo("xlogy_zero", lambda lib, a, b: lib.xlogy(a, b),
           samples=[_fixed(np.array([0.0, 0.0, 0.0, 1.0, 2.0]),
                           np.array([0.0, -1.0, np.nan, 0.0, 3.0]))], gradcheck=False),
    OpInfo("xlogy_int", lambda lib, a, b: lib.xlogy(a, b), samples=[I_NONZERO, BOOLS],
           **NO_GRAD),
    OpInfo("lerp_scalar", lambda lib, a, b: (lib.lerp(a, b, 0.3), a.lerp(b, 0.8),
                                             lib.lerp(a, b, 1)),
           samples=[((2, 3), (2, 3)), ((2, 3), (3,))],
           errors=[lambda lib: lib.lerp(lib.ones(2), lib.ones(2, dtype=lib.float64), 0.5),
                   lambda lib: lib.lerp(lib.ones(2, dtype=lib.int64),
                                        lib.ones(2, dtype=lib.int64), 0.5),
                   lambda lib: lib.lerp(lib.ones(2), lib.ones(3), 0.5)]),
    OpInfo("lerp_tensor", lambda lib, a, b, w: lib.lerp(a, b, w),
           samples=[((2, 3), (2, 3), (2, 3)), ((3,), (2, 3), ()), ((2, 1), (3,), (2, 3))],
           errors=[lambda lib: lib.lerp(lib.ones(2), lib.ones(2),
                                        lib.ones(2, dtype=lib.float64))]),
    # ------------------------------------------------------------------ where
    OpInfo("where", lambda lib, c, a, b: (lib.where(c, a, b), a.where(c, b)),
           samples=[_arrays(("bool", (2, 3), 0, 1), ("f", (2, 3), -2, 2), ("f", (3,), -2, 2)),
                    _arrays(("bool", (3,), 0, 1), ("f", (2, 1), -2, 2), ("f", (), -2, 2))],
           errors=[lambda lib: lib.where(lib.tensor([True]), lib.ones(2, 3), lib.ones(4)),
                   lambda lib: lib.where(lib.ones(2, dtype=lib.int64), lib.ones(2), 0.0)]),
    OpInfo("where_scalar", lambda lib, c, a: (lib.where(c, a, 0.0), lib.where(c, -1, a),
                                              lib.where(c, 1, 0), lib.where(c, 2, 2.5)),
           samples=[_arrays(("bool", (2, 3), 0, 1), ("f", (2, 3), -2, 2))]),
    OpInfo("where_mixed", lambda lib, c, a, b: lib.where(c, a, b),
           samples=[_arrays(("bool", (2, 3), 0, 1), ("f", (2, 3), -2, 2), ("int64", (3,), -3, 3)),
                    _arrays(("bool", (2, 3), 0, 1), ("float16", (3,), -2, 2),
                            ("float64", (), -2, 2)),
                    _arrays(("bool", (3,), 0, 1), ("int32", (3,), -5, 5), ("int64", (3,), -5, 5))],
           gradcheck=False),
    OpInfo("where_nonzero", lambda lib, c: lib.where(c),
           samples=[_arrays(("bool", (3, 4), 0, 1))], **NO_GRAD),
    # ------------------------------------------------------------------ comparisons
    OpInfo("compare", lambda lib, a, b: (a == b, a != b, a < b, a <= b, a > b, a >= b,
                                         lib.eq(a, b), lib.greater_equal(a, b), a.less(b)),
           samples=[_whole((2, 3), (2, 3)), _whole((2, 1, 3), (4, 1)), _whole((3,), ()),
                    I64, I_MIXED, BOOLS, F_I, F32_F64_0D],
           **NO_GRAD,
           errors=[lambda lib: lib.ones(2, dtype=lib.complex64) < lib.ones(2),
                   lambda lib: lib.ones(2) == lib.ones(3)]),
    OpInfo("compare_scalar", lambda lib, a, *_: (a == 1, a < 0.5, a >= -1, 2 > a, a.ne(True),
                                             a.eq(1), a.ne(0.0)),
           samples=[_whole((2, 3), ()), I64, BOOLS], **NO_GRAD),
    OpInfo("compare_int8_wrap", lambda lib, a, b: (a < 1000, a == 200, b == -1, a > -300),
           samples=[_arrays(("int8", (2, 3), -100, 100), ("uint8", (3,), 250, 255))],
           **NO_GRAD),
    OpInfo("compare_out", lambda lib, a, b: lib.lt(a, b, out=lib.empty(2, 3, device=a.device)),
           samples=[_whole((2, 3), (2, 3))], **NO_GRAD),
    # ------------------------------------------------------------------ logic and bits
    OpInfo("logical", lambda lib, a, b: (lib.logical_and(a, b), lib.logical_or(a, b),
                                         lib.logical_xor(a, b), a.logical_and(b)),
           samples=[_whole((2, 3), (2, 3), -1, 1), _whole((2, 3), (3,), -1, 1), I64, BOOLS, F_B],
           **NO_GRAD, errors=[lambda lib: lib.logical_and(lib.ones(2), 1)]),
    OpInfo("bitwise", lambda lib, a, b: (a & b, a | b, a ^ b, lib.bitwise_and(a, 3),
                                         lib.bitwise_or(a, b), lib.bitwise_xor(a, True)),
           samples=[I64, I_MIXED, BOOLS, U8], **NO_GRAD,
           errors=[lambda lib: lib.ones(2) & lib.ones(2),
                   lambda lib: lib.ones(2, dtype=lib.int64) | 1.5]),
    OpInfo("shifts", lambda lib, a, b: (a << b, a >> b, lib.bitwise_left_shift(a, 2),
                                        lib.bitwise_right_shift(a, 1), 3 << b, 100 >> b),
           samples=[SHIFTS, SHIFTS8, U8], **NO_GRAD,
           errors=[lambda lib: lib.tensor([True]) << lib.tensor([True]),
                   lambda lib: lib.ones(2) >> 1]),
    OpInfo("isclose", lambda lib, a, b: (lib.isclose(a, a + b * 1e-6), lib.isclose(a, b),
                                         a.isclose(b, rtol=0.5, atol=0.1),
                                         lib.allclose(a, a + 1e-9), lib.equal(a, b),
                                         lib.equal(a, a.clone())),
           samples=[((2, 3), (2, 3)), ((2, 3), (3,))], **NO_GRAD,
           errors=[lambda lib: lib.isclose(lib.ones(2), lib.ones(2, dtype=lib.float64)),
                   lambda lib: lib.isclose(lib.ones(2), lib.ones(2), rtol=-1),
                   lambda lib: lib.isclose(lib.ones(2), 1.0),
                   lambda lib: lib.allclose(lib.ones(3), lib.ones(2))]),
    OpInfo("isclose_special", lambda lib, a, b: (lib.isclose(a, b),
                                                 lib.isclose(a, b, equal_nan=True)),
           samples=[_fixed(np.array([np.nan, np.inf, -np.inf, 1.0, np.inf]),
                           np.array([np.nan, np.inf, np.inf, np.nan, 1.0]))], **NO_GRAD),
    OpInfo("isclose_int", lambda lib, a, b: (lib.isclose(a, b, atol=1), lib.isclose(a, b),
                                             lib.equal(a, b), lib.equal(a, a.float())),
           samples=[U8, I64, BOOLS], **NO_GRAD),
]


def _iadd(a, b):
    a += b
    return a


def _iops(a, b):
    """Every in-place arithmetic operator on an integer tensor."""
    a += b
    a -= 1
    a *= b
    a //= b
    a %= 7
    a |= 8
    a &= 27
    a ^= b
    a <<= 2
    a >>= 1
    return a
