"""Tensor.prelu / Tensor.hardshrink (nn.functional's, installed on Tensor from here: the core
never imports nn) and torch's top-level recurrent cells in ATen's positional order:
``torch.lstm_cell(input, (h, c), w_ih, w_hh, b_ih=None, b_hh=None)``, ``gru_cell``,
``rnn_tanh_cell``, ``rnn_relu_cell``.  Each cell projects the input (x W_ih^T + b_ih) and takes
one step with the step maths of nn.LSTMCell / GRUCell / RNNCell (nn/modules/rnn_cells.py)."""

from ..._tensor import Tensor
from .. import functional as F
from ..modules.rnn_cells import gru_step, lstm_step, rnn_step

__all__ = ["lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell"]


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step: returns (h', c') from hx = (h, c)."""
    if len(hx) != 2:
        raise RuntimeError(f"lstm_cell: Expected hx to have 2 elements, but got {len(hx)}")
    h, c = hx
    return lstm_step(F.linear(input, w_ih, b_ih), h, c, w_hh, b_hh)


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step: returns h'."""
    return gru_step(F.linear(input, w_ih, b_ih), hx, w_hh, b_hh)


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One Elman RNN step with tanh: returns h'."""
    return rnn_step(F.linear(input, w_ih, b_ih), hx, w_hh, b_hh, "tanh")


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One Elman RNN step with relu: returns h'."""
    return rnn_step(F.linear(input, w_ih, b_ih), hx, w_hh, b_hh, "relu")


def _prelu_method(self, weight):
    """Tensor.prelu = nn.functional.prelu."""
    return F.prelu(self, weight)


def _hardshrink_method(self, lambd=0.5):
    """Tensor.hardshrink = nn.functional.hardshrink."""
    return F.hardshrink(self, lambd)


Tensor.prelu = _prelu_method
Tensor.hardshrink = _hardshrink_method
