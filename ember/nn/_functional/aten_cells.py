"""torch's top-level recurrent cells in ATen's positional order: ``torch.lstm_cell(input,
(h, c), w_ih, w_hh, b_ih=None, b_hh=None)``, ``gru_cell``, ``rnn_tanh_cell``,
``rnn_relu_cell``.  Each projects the input (x W_ih^T + b_ih) and takes one step with the
step maths of nn.LSTMCell / GRUCell / RNNCell (ember/nn/modules/rnn_cells.py)."""

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
