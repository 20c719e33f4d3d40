"""Element-wise ops of two or three tensors beyond binary.py's arithmetic: addcmul/addcdiv
(the optimizers' fused updates, with lean in-place methods), float_power, ldexp, heaviside,
gcd and lcm.  Promotion and ``out=`` come from ``binary.py``.
"""

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.function import Node, NoGradNode
from ..autograd.grad_mode import state as _grad_state
from .binary import _conj, need_tensor, not_implemented, operands, quiet, scalar_array
from .binary import pow as _pow
from .binary import write_out as _out

__all__ = ["addcmul", "addcdiv", "float_power", "ldexp", "heaviside", "gcd", "lcm"]


# ---------------------------------------------------------------------------- addcmul, addcdiv

def _three_operands(name, input, tensor1, tensor2):
    """The three tensors in their common (torch) dtype."""
    need_tensor(name, tensor1, 2, "tensor1")
    need_tensor(name, tensor2, 3, "tensor2")
    dt = D.result_type(input, tensor1, tensor2)
    return tuple(t if t.dtype is dt else t.to(dt) for t in (input, tensor1, tensor2))


class Addcmul(Node):
    """y = a + value * t1 * t2
    dy/da = 1, dy/dt1 = value * t2, dy/dt2 = value * t1"""

    saves_inputs = True

    def __init__(self, value):
        self.value = value  # a 0-dim array of the result's dtype

    def forward(self, a, t1, t2):
        return a + self.value * (t1 * t2)

    def backward(self, grad):
        _, t1, t2 = self.saved
        value = Tensor._make(self.value, self.device)
        needs = self.needs_input_grad
        grad_t1 = grad * _conj(value * t2) if needs[1] else None
        grad_t2 = grad * _conj(value * t1) if needs[2] else None
        return grad, grad_t1, grad_t2


class Addcdiv(Node):
    """y = a + value * t1 / t2
    dy/da = 1, dy/dt1 = value / t2, dy/dt2 = -value * t1 / t2^2"""

    saves_inputs = True

    def __init__(self, value):
        self.value = value

    @quiet
    def forward(self, a, t1, t2):
        return a + self.value * (t1 / t2)

    def backward(self, grad):
        _, t1, t2 = self.saved
        value = Tensor._make(self.value, self.device)
        needs = self.needs_input_grad
        grad_t1 = grad * _conj(value / t2) if needs[1] else None
        grad_t2 = -grad * _conj(value * t1 / (t2 * t2)) if needs[2] else None
        return grad, grad_t1, grad_t2


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """input + value * tensor1 * tensor2, broadcasting. Same as torch.addcmul."""
    a, t1, t2 = _three_operands("addcmul", input, tensor1, tensor2)
    if a.dtype is D.bool:
        raise NotImplementedError("\"addcmul_cpu_out\" not implemented for 'Bool'")
    node = Addcmul(scalar_array(value, a.dtype, a.device))
    return _out(node.apply(a, t1, t2), out, "addcmul")


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """input + value * tensor1 / tensor2 (true division), broadcasting. Same as torch.addcdiv."""
    need_tensor("addcdiv", tensor1, 2, "tensor1")
    need_tensor("addcdiv", tensor2, 3, "tensor2")
    if tensor1.dtype.category < D.FLOAT and tensor2.dtype.category < D.FLOAT:
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))"
            ".to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) "
            "for float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes.")
    a, t1, t2 = _three_operands("addcdiv", input, tensor1, tensor2)
    node = Addcdiv(scalar_array(value, a.dtype, a.device))
    return _out(node.apply(a, t1, t2), out, "addcdiv")


def _lean(self, tensor1, tensor2, value):
    """True when an in-place addcmul_/addcdiv_ can update ``self``'s array directly: nothing to
    record, one float32/float64 dtype and device, a Python number as value, and the result has
    self's shape (else the general path runs, with its checks and torch's errors)."""
    if not (isinstance(tensor1, Tensor) and isinstance(tensor2, Tensor)):
        return False
    if _grad_state.enabled and (self._requires_grad or tensor1._requires_grad
                                or tensor2._requires_grad):
        return False
    dt = self.dtype
    if tensor1.dtype is not dt or tensor2.dtype is not dt or dt.category != D.FLOAT \
            or dt.itemsize == 2 or type(value) not in (int, float):
        return False
    if tensor1.device is not self.device or tensor2.device is not self.device:
        return False
    shape = self._data.shape
    if 0 in self._data.strides:  # an expanded self: torch's overlap error on the general path
        return False
    if tensor1._data.shape == shape and tensor2._data.shape == shape:
        return True
    try:
        return np.broadcast_shapes(shape, tensor1._data.shape, tensor2._data.shape) == shape
    except ValueError:
        return False


def addcmul_(self, tensor1, tensor2, *, value=1):
    """In place: self += value * tensor1 * tensor2.  Same as torch.Tensor.addcmul_; optimizers
    call it every step, so the common case writes into self's array without a node."""
    if not _lean(self, tensor1, tensor2, value):
        return self._inplace(addcmul, tensor1, tensor2, value=value)
    self._check_inplace()
    product = tensor1._data * tensor2._data
    if value != 1:
        product *= value
    self._data += product
    self._counter().value += 1
    return self


def addcdiv_(self, tensor1, tensor2, *, value=1):
    """In place: self += value * tensor1 / tensor2.  Same as torch.Tensor.addcdiv_ (lean path
    as addcmul_)."""
    if not _lean(self, tensor1, tensor2, value):
        return self._inplace(addcdiv, tensor1, tensor2, value=value)
    self._check_inplace()
    quotient = tensor1._data / tensor2._data  # x/0 is quiet: ember filters NumPy's warnings
    if value != 1:
        quotient *= value
    self._data += quotient
    self._counter().value += 1
    return self


# ---------------------------------------------------------------------------- powers of two

def _float_power_dtype(input, exponent):
    """float64, or complex128 when either side is complex."""
    for x in (input, exponent):
        if isinstance(x, Tensor) and x.dtype.category == D.COMPLEX or isinstance(x, complex):
            return D.complex128
    return D.float64


def float_power(input, exponent, *, out=None):
    """input ** exponent computed in double precision (float64, or complex128 for complex
    operands), whatever the inputs' dtypes. Same as torch.float_power."""
    dt = _float_power_dtype(input, exponent)
    base = input.to(dt) if isinstance(input, Tensor) else input
    power = exponent.to(dt) if isinstance(exponent, Tensor) else exponent
    if not isinstance(base, Tensor) and not isinstance(power, Tensor):
        raise TypeError("float_power(): expected at least one Tensor")
    if isinstance(out, Tensor) and out.dtype is not dt:
        raise RuntimeError(f"the output given to float_power has dtype {out.dtype._short} but "
                           f"the operation's result requires dtype {dt._short}")
    return _out(_pow(base, power), out, "float_power")


def float_power_(self, exponent):
    """In place float_power: self must already be float64 (complex128 for complex results),
    as in torch."""
    dt = _float_power_dtype(self, exponent)
    if self.dtype is not dt:
        raise RuntimeError(f"the base given to float_power_ has dtype {self.dtype._short} but "
                           f"the operation's result requires dtype {dt._short}")
    return self._inplace(float_power, exponent)


class Ldexp(Node):
    """y = a * 2^b          dy/da = 2^b, dy/db = y ln 2"""

    @quiet
    def forward(self, a, b):
        xp = self.xp
        if a.dtype.itemsize == 2:
            # 16-bit: 2^b alone may overflow (float16's 2^16) where a * 2^b does not; float64
            # holds every such product exactly, rounded once
            y = (a.astype("float64") * xp.exp2(b.astype("float64"))).astype(a.dtype)
        else:
            y = a * xp.exp2(b)
        self.save(a, b, y)
        return y

    def backward(self, grad):
        a, b, y = self.saved
        needs = self.needs_input_grad
        grad_a = grad * _conj(b.exp2()) if needs[0] else None
        grad_b = grad * _conj(y * np.log(2)) if needs[1] else None
        return grad_a, grad_b


def ldexp(input, other, *, out=None):
    """input * 2 ** other (integers give the default float dtype). Same as torch.ldexp."""
    need_tensor("ldexp", other)
    a, b = operands(input, other)
    if a.dtype.category < D.FLOAT:
        dt = D.get_default_dtype()
        a, b = a.to(dt), b.to(dt)
    return _out(Ldexp().apply(a, b), out, "ldexp")


# ---------------------------------------------------------------------------- step, gcd, lcm

class Heaviside(Node):
    """y = 0 where x < 0, values where x = 0, 1 where x > 0 (NaN gives 0, as torch)
    no derivative: backward raises, as torch's"""

    def forward(self, x, values):
        xp = self.xp
        return xp.where(x == 0, values, (x > 0).astype(x.dtype))

    def backward(self, grad):
        raise RuntimeError("derivative for aten::heaviside is not implemented")


def heaviside(input, values, *, out=None):
    """The Heaviside step function, with ``values`` at input == 0. Same as torch.heaviside."""
    need_tensor("heaviside", values, 2, "values")
    if input.dtype.category == D.COMPLEX or values.dtype.category == D.COMPLEX:
        raise RuntimeError("heaviside is not yet implemented for complex tensors.")
    if input.dtype is not values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different "
                           "dtypes.")
    return _out(Heaviside().apply(input, values), out, "heaviside")


class Gcd(NoGradNode):
    """y = the greatest common divisor of |a| and |b| (gcd(0, 0) = 0); integers only"""

    def forward(self, a, b):
        return self.xp.gcd(a, b)


class Lcm(NoGradNode):
    """y = the least common multiple of |a| and |b| (0 if either is 0); integers only"""

    def forward(self, a, b):
        return self.xp.lcm(a, b)


def _integer_operands(name, input, other):
    need_tensor(name, other)
    a, b = operands(input, other)
    if a.dtype.category != D.INT:
        raise not_implemented(name, a.dtype)
    return a, b


def gcd(input, other, *, out=None):
    """Element-wise greatest common divisor of integer tensors. Same as torch.gcd."""
    a, b = _integer_operands("gcd", input, other)
    return _out(Gcd().apply(a, b), out, "gcd")


def lcm(input, other, *, out=None):
    """Element-wise least common multiple of integer tensors. Same as torch.lcm."""
    a, b = _integer_operands("lcm", input, other)
    return _out(Lcm().apply(a, b), out, "lcm")


# Tensor methods (installed by ember/_methods.py)
_FUNCTIONS = {
    "addcmul": addcmul, "addcdiv": addcdiv, "ldexp": ldexp, "heaviside": heaviside,
    "gcd": gcd, "lcm": lcm,
}
METHODS = {
    **_FUNCTIONS, "float_power": float_power, "addcmul_": addcmul_, "addcdiv_": addcdiv_,
    "float_power_": float_power_,
}
INPLACE = {name + "_": fn for name, fn in _FUNCTIONS.items() if name not in ("addcmul",
                                                                            "addcdiv")}
