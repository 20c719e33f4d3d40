"""Einstein summation and the products written with it: einsum, tensordot, kron.

An equation is first normalised (``_parse_einsum``): '...' becomes letters, and the output
is made explicit.  The gradient of every operand is then itself an einsum.
"""

import string

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.function import Node
from .shape import wrap_dim

__all__ = ["einsum", "tensordot", "kron"]


def _conj(t):
    return t.conj() if t.is_complex() else t


def _constant(array, like):
    return Tensor._make(array, like.device)


def _out(result, out):
    if out is None:
        return result
    from .binary import write_out

    return write_out(result, out)


_LETTERS = string.ascii_letters  # the subscripts NumPy's einsum accepts


class Einsum(Node):
    """y = einsum(equation, *operands), the equation normalised: one letter per dim, explicit
    output.  The gradient of operand i is itself an einsum: the output gradient contracted with
    the other operands (conjugated), written to operand i's subscripts.  Two fix-ups make that
    general: a subscript only operand i has (summed away in forward) is brought back by a
    ones tensor, and a subscript repeated in operand i (a diagonal) by identity matrices."""

    _name = "EinsumBackward0"

    def __init__(self, inputs, output):
        self.inputs = inputs  # subscripts of each operand, e.g. ["ij", "jk"]
        self.output = output  # e.g. "ik"

    def forward(self, *arrays):
        self.save(*arrays)
        equation = ",".join(self.inputs) + "->" + self.output
        # NOTE: optimize lets NumPy call BLAS and pick a contraction order; planning costs
        # microseconds, so single operands and tiny products skip it
        big = len(arrays) > 1 and sum(a.size for a in arrays) > 4096
        dtype = arrays[0].dtype
        wide = D.accumulator_dtype(dtype)
        if wide is not dtype:  # 16-bit floats: summed in float32, rounded once (NumPy's einsum
            arrays = [a.astype(wide) for a in arrays]  # has no bfloat16 at all)
        try:
            y = self.xp.einsum(equation, *arrays, optimize=big or len(arrays) > 2)
        except ValueError as e:
            raise RuntimeError(f"einsum(): {e}") from None
        return y if wide is dtype else self.xp.asarray(y).astype(dtype)

    def backward(self, grad):
        operands = self.saved
        return tuple(self._grad_of(i, grad, operands) if needed else None
                     for i, needed in enumerate(self.needs_input_grad))

    def _grad_of(self, i, grad, operands):
        own = self.inputs[i]
        terms = [self.output]
        tensors = [grad]
        for j, other in enumerate(operands):
            if j != i:
                terms.append(self.inputs[j])
                tensors.append(_conj(other))
        xp = self.xp
        dtype = operands[i]._data.dtype
        sizes = dict(zip(own, operands[i].shape))
        available = set("".join(terms))
        missing = "".join(c for c in dict.fromkeys(own) if c not in available)
        if missing:  # summed over in forward: the gradient is the same along these dims
            terms.append(missing)
            tensors.append(_constant(xp.ones([sizes[c] for c in missing], dtype), grad))
        # a repeated subscript (a diagonal) gets a fresh letter tied to it by an identity
        used = set("".join(self.inputs) + self.output)
        fresh = iter(c for c in _LETTERS if c not in used)
        target = ""
        for k, c in enumerate(own):
            if c in own[:k]:
                new = next(fresh)
                terms.append(c + new)
                tensors.append(_constant(xp.eye(sizes[c], dtype=dtype), grad))
                c = new
            target += c
        return Einsum(terms, target).apply(*tensors)


def _parse_einsum(equation, shapes):
    """Per-operand subscripts with '...' written out as letters, and the explicit output."""
    equation = equation.replace(" ", "")
    lhs, arrow, output = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        more = "more" if len(shapes) > len(terms) else "fewer"
        raise RuntimeError(f"einsum(): {more} operands were provided than specified in the "
                           "equation")
    used = set(c for c in equation if c.isalpha())
    free = [c for c in _LETTERS if c not in used]
    for c in equation:
        if not (c.isalpha() or c in ",.->"):
            raise RuntimeError(f"einsum(): invalid subscript given at index "
                               f"{equation.index(c)} in the equation string, subscripts must "
                               "be in [a-zA-Z]")
    ell_dims = [len(shape) - len(t.replace("...", "")) for t, shape in zip(terms, shapes)
                if "..." in t]
    ellipsis = "".join(free[:max(ell_dims, default=0)])
    inputs = []
    for i, (t, shape) in enumerate(zip(terms, shapes)):
        if "..." in t:
            k = len(shape) - len(t.replace("...", ""))
            t = t.replace("...", ellipsis[len(ellipsis) - k:] if k > 0 else "")
            if k < 0:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                                   f"({len(t)}) is more than the number of dimensions "
                                   f"({len(shape)}) for operand {i}")
        elif len(t) != len(shape):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(t)}) "
                               f"does not match the number of dimensions ({len(shape)}) for "
                               f"operand {i} and no ellipsis was given")
        inputs.append(t)
    if arrow:
        output = output.replace("...", ellipsis)
        for c in output:
            if output.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in "
                                   "the output")
            if not any(c in t for t in inputs):
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                                   "equation for any input operand")
    else:  # implicit output: the ellipsis dims, then letters seen once, in alphabetical order
        counts = "".join(inputs)
        output = ellipsis + "".join(sorted(c for c in set(counts)
                                           if counts.count(c) == 1 and c not in ellipsis))
    return inputs, output


def _check_einsum_sizes(inputs, shapes):
    sizes = {}
    for i, (subs, shape) in enumerate(zip(inputs, shapes)):
        own = {}
        for c, n in zip(subs, shape):
            if c in own and own[c] != n:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {i} but the "
                                   f"sizes don't match, {own[c]} != {n}")
            own[c] = n
            seen = sizes.get(c, 1)
            if seen != n and seen != 1 and n != 1:
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {i} which "
                                   f"does not broadcast with previously seen size {seen}")
            sizes[c] = max(seen, n)


def _sublist_equation(args):
    """torch's sublist form einsum(a, [0, 1], b, [1, 2], [0, 2]) as an equation string."""
    def letters(sub):
        return "".join("..." if s is Ellipsis else _LETTERS[s] for s in sub)

    output = args[-1] if len(args) % 2 else None
    pairs = args[:-1] if len(args) % 2 else args
    operands = list(pairs[0::2])
    equation = ",".join(letters(s) for s in pairs[1::2])
    if output is not None:
        equation += "->" + letters(output)
    return equation, operands


def einsum(*args):
    """Einstein summation: einsum('ij,jk->ik', a, b) is a @ b; '...' stands for broadcast
    batch dims; without '->' the output is the subscripts seen once, in alphabetical order.
    Same as torch.einsum (also the list and sublist forms)."""
    if isinstance(args[0], str):
        equation, operands = args[0], list(args[1:])
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = list(operands[0])
    else:
        equation, operands = _sublist_equation(args)
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    shapes = [tuple(t.shape) for t in operands]
    inputs, output = _parse_einsum(equation, shapes)
    _check_einsum_sizes(inputs, shapes)
    first = operands[0]
    for t in operands[1:]:
        if t.dtype is not first.dtype:
            raise RuntimeError(f"expected scalar type {first.dtype._short} but found "
                               f"{t.dtype._short}")
    return Einsum(inputs, output).apply(*operands)


def tensordot(a, b, dims=2, out=None):
    """Contract dims of a with dims of b: dims=n pairs a's last n dims with b's first n;
    dims=([1, 0], [0, 1]) names them. Same as torch.tensordot."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.ndim or dims > b.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a, dims_b = list(range(-dims, 0)), list(range(dims))  # a's counted from its end
    else:
        dims_a, dims_b = dims
        dims_a = [dims_a] if isinstance(dims_a, int) else list(dims_a)
        dims_b = [dims_b] if isinstance(dims_b, int) else list(dims_b)
        if len(dims_a) != len(dims_b):
            raise RuntimeError("both dimension lists should have same length")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected scalar type {a.dtype._short} but found {b.dtype._short}")
    given = list(zip(dims_a, dims_b))  # as the caller counts them, for the error message
    dims_a = [wrap_dim(d, a.ndim) for d in dims_a]
    dims_b = [wrap_dim(d, b.ndim) for d in dims_b]
    subs_a = list(_LETTERS[:a.ndim])
    subs_b = list(_LETTERS[a.ndim:a.ndim + b.ndim])
    for da, db, (ga, gb) in zip(dims_a, dims_b, given):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a.shape[da]} in dim {ga} and second has size {b.shape[db]} "
                               f"in dim {gb}")
        subs_b[db] = subs_a[da]
    output = [c for k, c in enumerate(subs_a) if k not in dims_a]
    output += [c for k, c in enumerate(subs_b) if k not in dims_b]
    result = Einsum(["".join(subs_a), "".join(subs_b)], "".join(output)).apply(a, b)
    return _out(result, out)


def kron(input, other, *, out=None):
    """Kronecker product: y[i*p + k, j*q + l] = a[i, j] * b[k, l] (any number of dims).
    Same as torch.kron."""
    n = max(input.ndim, other.ndim)
    a = input.reshape((1,) * (n - input.ndim) + tuple(input.shape))
    b = other.reshape((1,) * (n - other.ndim) + tuple(other.shape))
    subs_a, subs_b = _LETTERS[:n], _LETTERS[n:2 * n]
    interleaved = "".join(x + y for x, y in zip(subs_a, subs_b))
    if a.dtype is not b.dtype:
        dt = D.promote_types(a.dtype, b.dtype)
        a, b = a.to(dt), b.to(dt)
    y = Einsum([subs_a, subs_b], interleaved).apply(a, b)
    return _out(y.reshape(tuple(p * q for p, q in zip(a.shape, b.shape))), out)
