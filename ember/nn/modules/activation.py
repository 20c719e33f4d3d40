"""Activation layers: each one holds its hyper-parameters and calls nn.functional."""

from ...ops.creation import empty
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module


def _inplace_tail(inplace):
    return ", inplace=True" if inplace else ""


class _Inplace(Module):
    """An activation whose only option is ``inplace`` (write the result into the input)."""

    _fn = None  # the name of its function in nn.functional (bound late: F imports this file)

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return getattr(F, self._fn)(input, inplace=self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class _Plain(Module):
    """An activation without options."""

    _fn = None

    def forward(self, input):
        return getattr(F, self._fn)(input)


class ReLU(_Inplace):
    """max(x, 0). Shape: any -> same."""

    _fn = "relu"


class SELU(_Inplace):
    """scale * (x if x > 0 else alpha (exp(x) - 1)), alpha~1.6733, scale~1.0507."""

    _fn = "selu"


class SiLU(_Inplace):
    """x * sigmoid(x)."""

    _fn = "silu"


class Mish(_Inplace):
    """x * tanh(softplus(x))."""

    _fn = "mish"


class Hardsigmoid(_Inplace):
    """0 for x <= -3, 1 for x >= 3, x / 6 + 1/2 between."""

    _fn = "hardsigmoid"

    def extra_repr(self):
        return ""  # as torch, which does not print inplace for this layer


class Hardswish(_Inplace):
    """x * hardsigmoid(x)."""

    _fn = "hardswish"

    def extra_repr(self):
        return ""


class Tanh(_Plain):
    """tanh(x)."""

    _fn = "tanh"


class Sigmoid(_Plain):
    """1 / (1 + exp(-x))."""

    _fn = "sigmoid"


class Softsign(_Plain):
    """x / (1 + |x|)."""

    _fn = "softsign"


class LogSigmoid(_Plain):
    """log(sigmoid(x))."""

    _fn = "logsigmoid"


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x.

    Args:
        negative_slope: slope for x < 0 (default 0.01)
        inplace: write the result into the input (default False)
    """

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}{_inplace_tail(self.inplace)}"


class ELU(Module):
    """x if x > 0 else alpha (exp(x) - 1). Args: alpha (default 1.0), inplace (default False)."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}{_inplace_tail(self.inplace)}"


class CELU(ELU):
    """x if x > 0 else alpha (exp(x / alpha) - 1). Args: alpha (default 1.0), inplace."""

    def forward(self, input):
        return F.celu(input, self.alpha, self.inplace)


class GELU(Module):
    """x * Phi(x), or its tanh approximation. Args: approximate ('none' or 'tanh')."""

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """log(1 + exp(beta x)) / beta (x where beta x > threshold).

    Args: beta (default 1.0), threshold (default 20.0)
    """

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """clamp(x, min_val, max_val). Args: min_val (-1.0), max_val (1.0), inplace (False)."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        if max_val <= min_val:
            raise ValueError(f"max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace_tail(self.inplace)}"


class ReLU6(Hardtanh):
    """min(max(x, 0), 6). Args: inplace (default False)."""

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Threshold(Module):
    """x if x > threshold else value. Args: threshold, value, inplace (default False)."""

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}{_inplace_tail(self.inplace)}"


class _SoftmaxFamily(Module):
    _fn = None

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return getattr(F, self._fn)(input, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_SoftmaxFamily):
    """exp(x_i) / sum_j exp(x_j) along ``dim``. Shape: any -> same."""

    _fn = "softmax"


class LogSoftmax(_SoftmaxFamily):
    """log(softmax(x)) along ``dim``, computed stably."""

    _fn = "log_softmax"


class Softmin(_SoftmaxFamily):
    """softmax(-x) along ``dim``."""

    _fn = "softmin"


class PReLU(Module):
    """x if x > 0 else a * x with a learnable slope a (one, or one per channel of dim 1).

    Args:
        num_parameters: 1, or the number of input channels (default 1)
        init: the initial value of a (default 0.25)
    """

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        self.num_parameters = num_parameters
        self.init = init
        super().__init__()
        self.weight = Parameter(empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self):
        init.constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class Tanhshrink(_Plain):
    """x - tanh(x)."""

    _fn = "tanhshrink"


class _Shrink(Module):
    _fn = None

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return getattr(F, self._fn)(input, self.lambd)

    def extra_repr(self):
        return str(self.lambd)


class Hardshrink(_Shrink):
    """x where |x| > lambd, else 0. Args: lambd (default 0.5)."""

    _fn = "hardshrink"


class Softshrink(_Shrink):
    """x - lambd for x > lambd, x + lambd for x < -lambd, else 0. Args: lambd (default 0.5)."""

    _fn = "softshrink"


class GLU(Module):
    """a * sigmoid(b) for the two halves a, b of the input along ``dim`` (default -1).

    Shape: (*, 2N, *) -> (*, N, *).
    """

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class RReLU(Module):
    """x if x >= 0 else a * x: in training a ~ U(lower, upper) per element, in evaluation
    a = (lower + upper) / 2.

    Args: lower (default 1/8), upper (default 1/3), inplace (default False).
    """

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}{_inplace_tail(self.inplace)}"


class Softmax2d(Module):
    """softmax over the channels at each location: input (N, C, H, W) or (C, H, W)."""

    def forward(self, input):
        if input.ndim not in (3, 4):
            raise ValueError(
                f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D instead")
        return F.softmax(input, -3, _stacklevel=5)
