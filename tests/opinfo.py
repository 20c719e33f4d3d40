"""The op table: one ``OpInfo`` per op, run on ember and on torch by ``tests/test_ops.py``.

An entry says how to call the op on either library and on which inputs:

    OpInfo("exp", lambda lib, x: lib.exp(x), samples=[(3, 4), (5,), ()])
    OpInfo("add", lambda lib, a, b: a + b, samples=[((2, 3), (3,)), ((2, 1), (1, 4))])
    OpInfo("log", lambda lib, x: x.log(), samples=[(3,)], domain=(0.1, 3))

``fn(lib, *tensors)`` gets ``ember`` or ``torch`` as ``lib`` and one tensor per input; options
(dims, flags) are written into the lambda.  A sample is a shape (one input) or a tuple of shapes
(several inputs); a NumPy array instead of a shape is used as given.  Random inputs are drawn
uniformly from ``domain``.

From each entry, test_ops.py checks, against torch:
- forward values, shape and dtype, for every dtype in ``dtypes``;
- the gradient of every floating input (float32 and float64), with a random cotangent;
- double backward (``gradgrad``): grad of (grad . v) w.r.t. the inputs;
- the same on non-contiguous inputs;
- ember's own float64 finite-difference ``gradcheck`` (no torch needed);
- each of ``errors``: ``fn(lib)`` must raise the same exception class in both libraries.

Family tables live in ``tests/op_tables/<family>.py`` as a list named ``OPS``.
"""

import importlib
import pathlib
from dataclasses import dataclass, field

import numpy as np


@dataclass
class OpInfo:
    name: str
    fn: object  # fn(lib, *tensors) -> tensor or tuple of tensors
    samples: list  # shapes / tuples of shapes / arrays
    domain: tuple = (-2.0, 2.0)
    dtypes: tuple = ("float32", "float64")
    grad: bool = True  # compare gradients with torch
    gradcheck: bool = True  # ember.autograd.gradcheck in float64
    gradgrad: bool = True  # compare double backward with torch
    noncontiguous: bool = True
    errors: list = field(default_factory=list)  # callables fn(lib) that must raise
    rtol: float = None
    atol: float = None
    grad_rtol: float = 1e-4
    grad_atol: float = 1e-5
    # inputs that are not differentiable (indices, masks): positions in the sample
    nondiff_inputs: tuple = ()
    # a generator of the input arrays when random uniform values do not fit (e.g. indices)
    make_inputs: object = None  # make_inputs(rng, dtype) -> list of arrays per sample

    def __repr__(self):
        return f"OpInfo({self.name})"


def sample_arrays(op, sample, dtype, rng):
    """The input arrays of one sample, in ``dtype`` for floating inputs."""
    if callable(sample):
        return [np.asarray(a) for a in sample(rng, dtype)]
    if isinstance(sample, np.ndarray):
        sample = (sample,)
    elif not sample or not isinstance(sample[0], (tuple, list, np.ndarray)):
        sample = (tuple(sample),)  # a single shape
    arrays = []
    for item in sample:
        if isinstance(item, np.ndarray):
            a = item
            if a.dtype.kind == "f":
                a = a.astype(dtype)
        else:
            low, high = op.domain
            a = rng.uniform(low, high, size=tuple(item)).astype(dtype)
        arrays.append(a)
    return arrays


def noncontiguous(a):
    """The same values in a non-contiguous array (every other element of a wider one)."""
    if a.ndim == 0:
        return a
    wide = np.repeat(a, 2, axis=-1)
    return wide[..., ::2]


def load_all():
    """Every OpInfo from tests/op_tables/*.py."""
    folder = pathlib.Path(__file__).parent / "op_tables"
    ops = []
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        module = importlib.import_module(f"op_tables.{path.stem}")
        ops.extend(module.OPS)
    return ops
