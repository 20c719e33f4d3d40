"""Recurrent layers: RNN, LSTM, GRU (their cells and step maths are in rnn_cells.py).

How a layer runs (``RNNBase.forward``):

1. Every input -- (L, N, H_in), batch_first (N, L, H_in), unbatched (L, H_in) or a
   PackedSequence -- becomes packed form: ``data`` (rows, H_in) and ``batch_sizes`` (how many
   sequences run at each step; all N for a padded batch).
2. For each layer and direction, one matmul projects the whole sequence: x W_ih^T + b_ih.
   Then one step per time step (rnn_step / lstm_step / gru_step) multiplies the hidden state
   by W_hh. When fewer sequences run at step t (packed input), the finished ones leave the
   hidden state and are kept as their final state; the reverse direction adds them back.
3. The directions' outputs are concatenated on the feature dim; dropout (training only) is
   applied between layers; the output goes back to the input's form.
"""

import math
import numbers
import warnings

from ...ops.creation import empty, zeros
from ...ops.join import cat, stack
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module
from .rnn_cells import (  # noqa: F401 - the cells are part of this module's names, as torch
    GRUCell,
    LSTMCell,
    RNNCell,
    RNNCellBase,
    gru_step,
    layer_error,
    lstm_step,
    rnn_step,
)

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class RNNBase(Module):
    """The parameters and the running of RNN, LSTM and GRU.

    Parameters, per layer k and direction (suffix '' or '_reverse'), in torch's order:
    weight_ih_lk (G*hidden, layer input), weight_hh_lk (G*hidden, hidden or proj_size),
    bias_ih_lk, bias_hh_lk (G*hidden), weight_hr_lk (proj_size, hidden; LSTM with proj_size).
    Init: all ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as torch.
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0, device=None,
                 dtype=None):
        super().__init__()
        _check_sizes(mode, hidden_size, num_layers, dropout, proj_size)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        directions = 2 if bidirectional else 1
        real_hidden = proj_size if proj_size > 0 else hidden_size
        rows = _GATES[mode] * hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer == 0 else real_hidden * directions
                shapes = [("weight_ih", (rows, layer_input)), ("weight_hh", (rows, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (rows,)), ("bias_hh", (rows,))]
                if proj_size > 0:
                    shapes += [("weight_hr", (proj_size, hidden_size))]
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                names = []
                for kind, shape in shapes:
                    weight = Parameter(empty(shape, device=device, dtype=dtype))
                    setattr(self, kind + suffix, weight)
                    names.append(kind + suffix)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def flatten_parameters(self):
        """A no-op: ember keeps no fused cuDNN weight buffer (kept for torch's API)."""

    @property
    def _flat_weights(self):
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        """The parameters grouped per layer and direction: [[w_ih, w_hh, b_ih, b_hh], ...]."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ---------------------------------------------------------------------------- running

    def _state_sizes(self):
        """The sizes of the hidden state parts: (h,) or, for an LSTM, (h, c)."""
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (real_hidden, self.hidden_size) if self.mode == "LSTM" else (real_hidden,)

    def forward(self, input, hx=None):
        name = "LSTM" if self.mode == "LSTM" else ("GRU" if self.mode == "GRU" else "RNN")
        packed = isinstance(input, PackedSequence)
        if packed:
            data, batch_sizes = input.data, [int(n) for n in input.batch_sizes.tolist()]
            batch, batched = batch_sizes[0], True
        else:
            if input.ndim not in (2, 3):
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D "
                                 "instead")
            batched = input.ndim == 3
            if not batched:
                input = input.unsqueeze(1)
            elif self.batch_first:
                input = input.transpose(0, 1)
            steps, batch = input.shape[0], input.shape[1]
            data = input.reshape(steps * batch, input.shape[2])
            batch_sizes = [batch] * steps
        self._check_input(data, batch_sizes)
        states = self._initial_states(hx, data, batch, batched, packed)
        if packed and input.sorted_indices is not None:
            # the user's hx follows the original batch order; packing sorted the batch
            states = [s.index_select(1, input.sorted_indices) for s in states]
        data, finals = self._run(data, batch_sizes, states)
        if packed and input.unsorted_indices is not None:
            finals = [s.index_select(1, input.unsorted_indices) for s in finals]
        if packed:
            output = PackedSequence(data, input.batch_sizes, input.sorted_indices,
                                    input.unsorted_indices)
        else:
            output = data.reshape(steps, batch, data.shape[-1])
            if not batched:
                output = output.squeeze(1)
                finals = [s.squeeze(1) for s in finals]
            elif self.batch_first:
                output = output.transpose(0, 1)
        if self.mode == "LSTM":
            return output, (finals[0], finals[1])
        return output, finals[0]

    def _check_input(self, data, batch_sizes):
        weight = self.weight_ih_l0
        if data.dtype is not weight.dtype:
            raise ValueError(layer_error(
                f"RNN input dtype ({data.dtype}) does not match weight dtype ({weight.dtype}). "
                f"Convert input: input.to({weight.dtype}), or convert model: "
                f"model.to({data.dtype})",
                f"input is {data.dtype.name}, the layer's weights are {weight.dtype.name}",
                f"convert the input with .to({weight.dtype}) (NumPy data is float64), or the "
                f"model with model.to({data.dtype})"))
        if data.shape[-1] != self.input_size:
            raise RuntimeError(layer_error(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                f"{data.shape[-1]}",
                f"each time step has {data.shape[-1]} features, the layer expects "
                f"input_size={self.input_size}",
                "the input is (seq_len, batch, features), or (batch, seq_len, features) with "
                "batch_first=True; check the features of the layer before, or input_size"))
        if not batch_sizes:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")

    def _initial_states(self, hx, data, batch, batched, packed):
        """hx checked against torch's rules, as 3-D tensors; zeros where hx is None."""
        rows = self.num_layers * (2 if self.bidirectional else 1)
        sizes = self._state_sizes()
        if hx is None:
            return [zeros(rows, batch, size, dtype=data.dtype, device=data.device)
                    for size in sizes]
        lstm = self.mode == "LSTM"
        if lstm and not isinstance(hx, (tuple, list)):
            raise TypeError(layer_error(
                f"LSTM expects hx to be a tuple (h_0, c_0), got {type(hx).__name__}",
                "an LSTM has two states, the hidden state h and the cell state c",
                "pass model(x, (h0, c0)), or leave hx out for zeros"))
        parts = list(hx) if lstm else [hx]
        want = 3 if batched else 2
        if not packed and any(p.ndim != want for p in parts):
            kind = "batched 3-D" if batched else "unbatched 2-D"
            if lstm:
                got = ", ".join(f"{p.ndim}-D" for p in parts)
                first = (f"For {kind} input, hx and cx should also be {want}-D but got ({got}) "
                         "tensors")
            else:
                first = (f"For {kind} input, hx should also be {want}-D but got "
                         f"{parts[0].ndim}-D tensor")
            raise RuntimeError(layer_error(
                first, f"hx is {[list(p.shape) for p in parts] if lstm else list(hx.shape)}",
                f"hx is (num_layers * num_directions, {'batch, ' if batched else ''}hidden_size)"))
        if not batched:
            parts = [p.unsqueeze(1) for p in parts]
        for k, (part, size) in enumerate(zip(parts, sizes)):
            expected = (rows, batch, size)
            if tuple(part.shape) != expected:
                label = f"hidden[{k}]" if lstm else "hidden"
                raise RuntimeError(layer_error(
                    f"Expected {label} size {expected}, got {list(part.shape)}",
                    f"{label} must be (num_layers * num_directions, batch, "
                    f"{'proj_size' if size != self.hidden_size else 'hidden_size'}) = "
                    f"{expected}",
                    f"hx needs num_layers * num_directions = {rows} rows and one column per "
                    f"sequence (batch = {batch})"
                    + ("; hx stays (layers, batch, hidden) with batch_first=True"
                       if self.batch_first else "")))
        return parts

    def _run(self, data, batch_sizes, states):
        """All layers over packed ``data``; returns (output data, final states, each
        (layers * directions, batch, size))."""
        directions = 2 if self.bidirectional else 1
        finals = [[] for _ in states]
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0 and self.training:
                data = F.dropout(data, self.dropout, training=True)
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                weights = self.all_weights[index]
                initial = [s[index] for s in states]
                out, last = self._run_direction(data, batch_sizes, initial, weights,
                                                direction == 1)
                outputs.append(out)
                for collected, state in zip(finals, last):
                    collected.append(state)
            data = outputs[0] if directions == 1 else cat(outputs, -1)
        return data, [stack(collected, 0) for collected in finals]

    def _step(self, x_proj, state, weights):
        """One time step: the new state (a list: [h] or, for an LSTM, [h, c])."""
        w_hh = weights[1]
        b_hh = weights[3] if self.bias else None
        if self.mode == "LSTM":
            w_hr = weights[-1] if self.proj_size > 0 else None
            return list(lstm_step(x_proj, state[0], state[1], w_hh, b_hh, w_hr))
        if self.mode == "GRU":
            return [gru_step(x_proj, state[0], w_hh, b_hh)]
        nonlinearity = "tanh" if self.mode == "RNN_TANH" else "relu"
        return [rnn_step(x_proj, state[0], w_hh, b_hh, nonlinearity)]

    def _run_direction(self, data, batch_sizes, state, weights, reverse):
        """One layer in one direction. x W_ih^T + b_ih for all steps in one matmul, then one
        step per time step on the rows still running. Returns (output rows, final state)."""
        x_proj = F.linear(data, weights[0], weights[2] if self.bias else None)
        x_steps = x_proj.split(batch_sizes, 0)  # one node for all steps, not one slice per step
        outputs = []
        if not reverse:
            finished = []  # final states of the sequences that ended, shortest first
            for t, n in enumerate(batch_sizes):
                if n < state[0].shape[0]:
                    finished.append([s[n:] for s in state])
                    state = [s[:n] for s in state]
                state = self._step(x_steps[t], state, weights)
                outputs.append(state[0])
            if finished:  # the batch order is sorted: longest sequences (still running) first
                pieces = [state] + finished[::-1]
                state = [cat([p[k] for p in pieces], 0) for k in range(len(state))]
        else:
            initial = state
            state = [s[:batch_sizes[-1]] for s in initial]
            for t in range(len(batch_sizes) - 1, -1, -1):
                n, running = batch_sizes[t], state[0].shape[0]
                if n > running:  # shorter sequences start here, from their initial state
                    state = [cat([s, s0[running:n]], 0) for s, s0 in zip(state, initial)]
                state = self._step(x_steps[t], state, weights)
                outputs.append(state[0])
            outputs.reverse()
        return (outputs[0] if len(outputs) == 1 else cat(outputs, 0)), state


def _check_sizes(mode, hidden_size, num_layers, dropout, proj_size):
    """torch's constructor checks, with its exception classes and messages."""
    if not isinstance(dropout, numbers.Number):
        float(dropout)  # torch's TypeError/ValueError for None or "a"
    if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
            or not 0 <= dropout <= 1):
        raise ValueError("dropout should be a number in range [0, 1] representing the "
                         "probability of an element being zeroed")
    if dropout > 0 and num_layers == 1:
        warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                      "non-zero dropout expects num_layers greater than 1, but got "
                      f"dropout={dropout} and num_layers={num_layers}", stacklevel=4)
    if not isinstance(hidden_size, int) or isinstance(hidden_size, bool):
        raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
    if hidden_size <= 0:
        raise ValueError("hidden_size must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")
    if proj_size > 0 and mode != "LSTM":
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")


class RNN(RNNBase):
    """A multi-layer Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh), act tanh
    (default) or relu.

    Args:
        input_size, hidden_size; num_layers=1; nonlinearity='tanh'; bias=True;
        batch_first=False; dropout=0.0 (between layers, in training); bidirectional=False.
    Shape: input (L, N, input_size), (N, L, input_size) with batch_first, (L, input_size) or a
    PackedSequence; h_0 (num_layers * D, N, hidden_size) -> output (L, N, D * hidden_size),
    h_n (num_layers * D, N, hidden_size); D = 2 if bidirectional else 1.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """A multi-layer LSTM (the gates of each step are in rnn_cells.lstm_step).

    Args:
        input_size, hidden_size; num_layers=1; bias=True; batch_first=False; dropout=0.0
        (between layers, in training); bidirectional=False; proj_size=0 (if > 0, h is
        projected to proj_size by weight_hr).
    Shape: input as RNN; hx = (h_0, c_0), h_0 (num_layers * D, N, H_out), c_0 (num_layers * D,
    N, hidden_size) -> output (L, N, D * H_out), (h_n, c_n); H_out = proj_size or hidden_size.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    """A multi-layer GRU (the gates of each step are in rnn_cells.gru_step).

    Args:
        input_size, hidden_size; num_layers=1; bias=True; batch_first=False; dropout=0.0
        (between layers, in training); bidirectional=False.
    Shape: as RNN.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, 0, device, dtype)
