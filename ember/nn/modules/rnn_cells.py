"""One time step of the recurrent layers: the step maths (shared with RNN/LSTM/GRU in rnn.py)
and the cells RNNCell, LSTMCell, GRUCell.

Each step takes ``x_proj``, the input already multiplied by W_ih (plus b_ih): the layers
compute it for every time step at once with one matmul, so a step only multiplies the hidden
state by W_hh. The steps are compositions of ember ops, so autograd derives their gradients
(and double backward works).
"""

import math

from ...ops.creation import empty, zeros
from ...ops.unary import relu, sigmoid, tanh
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module, current_module_context

__all__ = ["RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


def rnn_step(x_proj, h, w_hh, b_hh, nonlinearity="tanh"):
    """h' = act(x_proj + h W_hh^T + b_hh),  x_proj = x W_ih^T + b_ih,  act = tanh or relu."""
    pre = x_proj + F.linear(h, w_hh, b_hh)
    return tanh(pre) if nonlinearity == "tanh" else relu(pre)


def lstm_step(x_proj, h, c, w_hh, b_hh, w_hr=None):
    """gates = x_proj + h W_hh^T + b_hh, split in four (torch's order): i, f, g, o
        i = sigmoid(i), f = sigmoid(f), g = tanh(g), o = sigmoid(o)
        c' = f * c + i * g
        h' = o * tanh(c')            (then h' = h' W_hr^T when the LSTM has proj_size)
    Returns (h', c')."""
    gates = x_proj + F.linear(h, w_hh, b_hh)
    i, f, g, o = gates.chunk(4, -1)
    c = sigmoid(f) * c + sigmoid(i) * tanh(g)
    h = sigmoid(o) * tanh(c)
    if w_hr is not None:
        h = F.linear(h, w_hr)
    return h, c


def gru_step(x_proj, h, w_hh, b_hh):
    """x_proj = x W_ih^T + b_ih and h W_hh^T + b_hh are each split in three: r, z, n (torch's
    order), then
        r = sigmoid(x_r + h_r),  z = sigmoid(x_z + h_z)
        n = tanh(x_n + r * h_n)          (the reset gate scales h W_hn^T + b_hn)
        h' = (1 - z) * n + z * h"""
    x_r, x_z, x_n = x_proj.chunk(3, -1)
    h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, -1)
    r = sigmoid(x_r + h_r)
    z = sigmoid(x_z + h_z)
    n = tanh(x_n + r * h_n)
    return n + z * (h - n)  # = (1 - z) * n + z * h, one op fewer


def layer_error(first_line, detail, hint):
    """torch's first line, then the layer (its path in the model) with ``detail``, and a hint."""
    where = current_module_context()
    place = f"\n  in {where}: {detail}" if where else f"\n  {detail}"
    return first_line + place + f"\n  hint: {hint}"


class RNNCellBase(Module):
    """The parameters of one recurrent step: weight_ih (G*hidden, input_size), weight_hh
    (G*hidden, hidden_size), bias_ih and bias_hh (G*hidden), G the number of gates.
    Init: all ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as torch."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        rows = num_chunks * hidden_size
        self.weight_ih = Parameter(empty((rows, input_size), device=device, dtype=dtype))
        self.weight_hh = Parameter(empty((rows, hidden_size), device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(rows, device=device, dtype=dtype))
            self.bias_hh = Parameter(empty(rows, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s

    def _batched(self, input, states):
        """Checks input (N, input_size) or (input_size,) and the states (N, hidden_size) or
        (hidden_size,); returns them as 2-D tensors, zeros for missing states, and whether the
        input was batched."""
        name = self._get_name()
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(layer_error(
                f"input has inconsistent input_size: got {input.shape[-1]} expected "
                f"{self.input_size}",
                f"input has {input.shape[-1]} features, the cell expects {self.input_size}",
                f"the input's last dimension must be input_size={self.input_size}"))
        batched = input.ndim == 2
        if not batched:
            input = input.unsqueeze(0)
            states = [s if s is None else s.unsqueeze(0) for s in states]
        batch = input.shape[0]
        checked = []
        for k, state in enumerate(states):
            if state is None:
                state = zeros(batch, self.hidden_size, dtype=input.dtype, device=input.device)
            elif state.shape[0] != batch:
                raise RuntimeError(layer_error(
                    f"Input batch size {batch} doesn't match hidden{k} batch size "
                    f"{state.shape[0]}",
                    f"input is {list(input.shape)}, hidden{k} is {list(state.shape)}",
                    "the hidden state needs one row per input row: (batch, hidden_size)"))
            elif state.ndim != 2 or state.shape[1] != self.hidden_size:
                got = state.shape[1] if state.ndim > 1 else "none"
                raise RuntimeError(layer_error(
                    f"hidden{k} has inconsistent hidden_size: got {got}, expected "
                    f"{self.hidden_size}",
                    f"hidden{k} is {list(state.shape)}, expected "
                    f"{[batch, self.hidden_size] if batched else [self.hidden_size]}",
                    "pass a hidden state of shape (batch, hidden_size), or (hidden_size,) for "
                    "an unbatched input"))
            checked.append(state)
        return input, checked, batched


class RNNCell(RNNCellBase):
    """One Elman RNN step: h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act = tanh or relu.

    Args:
        input_size, hidden_size; bias (default True); nonlinearity 'tanh' (default) or 'relu'.
    Shape: input (N, input_size) or (input_size,), hx the same with hidden_size (default
    zeros) -> h' (N, hidden_size) or (hidden_size,).
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        input, (hx,), batched = self._batched(input, [hx])
        x_proj = F.linear(input, self.weight_ih, self.bias_ih)
        h = rnn_step(x_proj, hx, self.weight_hh, self.bias_hh, self.nonlinearity)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step (see lstm_step for the gates i, f, g, o).

    Args:
        input_size, hidden_size; bias (default True).
    Shape: input (N, input_size) or (input_size,), hx a tuple (h, c) each (N, hidden_size) or
    (hidden_size,) (default zeros) -> (h', c') of the same shapes.
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        if hx is None:
            hx = (None, None)
        elif not isinstance(hx, (tuple, list)):
            raise TypeError("lstm_cell(): argument 'hx' (position 2) must be tuple of Tensors, "
                            f"not {type(hx).__name__}")
        elif len(hx) != 2:
            raise RuntimeError("lstm_cell expects two hidden states")
        input, (h, c), batched = self._batched(input, list(hx))
        x_proj = F.linear(input, self.weight_ih, self.bias_ih)
        h, c = lstm_step(x_proj, h, c, self.weight_hh, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step (see gru_step for the gates r, z, n).

    Args:
        input_size, hidden_size; bias (default True).
    Shape: input (N, input_size) or (input_size,), hx (N, hidden_size) or (hidden_size,)
    (default zeros) -> h' of hx's shape.
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        input, (hx,), batched = self._batched(input, [hx])
        x_proj = F.linear(input, self.weight_ih, self.bias_ih)
        h = gru_step(x_proj, hx, self.weight_hh, self.bias_hh)
        return h if batched else h.squeeze(0)
