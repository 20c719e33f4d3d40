"""Op table entries for the ops of the core skeleton (arithmetic, matmul, sum/mean)."""

from opinfo import OpInfo

OPS = [
    OpInfo("add", lambda lib, a, b: a + b, samples=[((2, 3), (2, 3)), ((2, 1), (1, 4)), ((3,), ())],
           errors=[lambda lib: lib.ones(2, 3) + lib.ones(4)]),
    OpInfo("sub", lambda lib, a, b: lib.sub(a, b, alpha=2), samples=[((2, 3), (3,))]),
    OpInfo("mul", lambda lib, a, b: a * b, samples=[((2, 3), (2, 3)), ((4, 1), (3,))]),
    OpInfo("div", lambda lib, a, b: a / b, samples=[((2, 3), (2, 3))], domain=(0.5, 2)),
    OpInfo("rsub_scalar", lambda lib, a: 2.5 - a, samples=[(3,)]),
    OpInfo("pow_scalar", lambda lib, a: a ** 3, samples=[(2, 3)]),
    OpInfo("pow_tensor", lambda lib, a, b: a ** b, samples=[((2, 3), (2, 3))], domain=(0.5, 2)),
    OpInfo("neg", lambda lib, a: -a, samples=[(2, 3)]),
    OpInfo("exp", lambda lib, a: lib.exp(a), samples=[(2, 3), ()]),
    OpInfo("tanh", lambda lib, a: a.tanh(), samples=[(2, 3)]),
    OpInfo("matmul_2d", lambda lib, a, b: a @ b, samples=[((2, 3), (3, 4))],
           errors=[lambda lib: lib.ones(2, 3) @ lib.ones(4, 5)]),
    OpInfo("matmul_batched", lambda lib, a, b: lib.matmul(a, b),
           samples=[((2, 2, 3), (3, 4)), ((3,), (2, 3, 4)), ((2, 3), (3,)), ((3,), (3,))]),
    OpInfo("addmm", lambda lib, c, a, b: lib.addmm(c, a, b, beta=0.5, alpha=2),
           samples=[((4,), (2, 3), (3, 4))]),
    OpInfo("sum", lambda lib, a: a.sum(), samples=[(2, 3)]),
    OpInfo("sum_dim", lambda lib, a: a.sum(dim=(0, 2), keepdim=True), samples=[(2, 3, 4)]),
    OpInfo("mean_dim", lambda lib, a: a.mean(1), samples=[(2, 3, 4)]),
]
