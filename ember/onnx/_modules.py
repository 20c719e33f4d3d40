"""Modules exported whole: nn.LSTM as ONNX LSTM, nn.GRU as ONNX GRU, nn.Hardtanh/ReLU6 as
Clip.  While such a module runs, the tracer records none of the ops inside it; the function
here emits the module's ONNX nodes from its inputs, outputs and parameters.

ONNX's recurrent ops take X as (seq, batch, input), weights per direction stacked as
W (dirs, G*hidden, input), R (dirs, G*hidden, hidden), B (dirs, 2*G*hidden) = [Wb, Rb], and give
Y (seq, dirs, batch, hidden) and Y_h (dirs, batch, hidden).  The gate order differs from
torch's: LSTM is i,o,f,c in ONNX and i,f,g,o in torch; GRU is z,r,h in ONNX and r,z,n in torch
(torch's GRU applies the reset gate after the hidden product: ONNX's linear_before_reset=1).
"""

import numpy as np

from ._graph import unsupported

# torch's gate blocks in the order ONNX wants them
_LSTM_ORDER = (0, 3, 1, 2)  # i, o, f, c(=g)
_GRU_ORDER = (1, 0, 2)  # z, r, h(=n)


def _gates(w, order, hidden):
    return np.concatenate([w[k * hidden:(k + 1) * hidden] for k in order], axis=0)


def recurrent(g, rec):
    """A stack of LSTM/GRU layers: one ONNX node per layer, both directions in it."""
    m = rec.node
    if m.mode not in ("LSTM", "GRU"):
        raise unsupported(rec, g.model, f"recurrent mode {m.mode}")
    if getattr(m, "proj_size", 0):
        raise unsupported(rec, g.model, "LSTM with proj_size")
    x_t = rec.inputs[0]
    if x_t._data.ndim != 3:
        raise unsupported(rec, g.model, "unbatched or packed input")
    lstm = m.mode == "LSTM"
    order = _LSTM_ORDER if lstm else _GRU_ORDER
    n_gates = len(order)
    H = m.hidden_size
    dirs = 2 if m.bidirectional else 1
    dt = x_t._data.dtype
    x = g.inp(rec, 0)
    if m.batch_first:
        x = g.node("Transpose", [x], perm=[1, 0, 2])
    # initial states, if given: (layers * dirs, batch, H) each
    states = []
    n_states = 2 if lstm else 1
    if len(rec.inputs) > 1:
        if len(rec.inputs) != 1 + n_states:
            raise unsupported(rec, g.model, "this form of initial state")
        states = [g.inp(rec, 1 + i) for i in range(n_states)]
    prefix = rec.module + "." if rec.module else ""
    h_finals, c_finals = [], []
    for layer in range(m.num_layers):
        Ws, Rs, Bs = [], [], []
        for d in range(dirs):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            w_ih = getattr(m, "weight_ih" + sfx)._data
            w_hh = getattr(m, "weight_hh" + sfx)._data
            Ws.append(_gates(w_ih, order, H))
            Rs.append(_gates(w_hh, order, H))
            if m.bias:
                b_ih = getattr(m, "bias_ih" + sfx)._data
                b_hh = getattr(m, "bias_hh" + sfx)._data
                Bs.append(np.concatenate([_gates(b_ih, order, H), _gates(b_hh, order, H)]))
            else:
                Bs.append(np.zeros(2 * n_gates * H, dtype=dt))
        W = g.const(np.stack(Ws).astype(dt), f"{prefix}onnx_W_l{layer}")
        R = g.const(np.stack(Rs).astype(dt), f"{prefix}onnx_R_l{layer}")
        B = g.const(np.stack(Bs).astype(dt), f"{prefix}onnx_B_l{layer}")
        inputs = [x, W, R, B, ""]
        if states:  # this layer's rows of h0 (and c0)
            lo, hi, axis0 = _start(g, layer, dirs), _start(g, layer + 1, dirs), g.ints([0])
            inputs.append(g.node("Slice", [states[0], lo, hi, axis0]))
            if lstm:
                inputs.append(g.node("Slice", [states[1], lo, hi, axis0]))
        attrs = {"hidden_size": H, "direction": "bidirectional" if dirs == 2 else "forward"}
        if lstm:
            y, y_h, y_c = g.node("LSTM", inputs, n_out=3, **attrs)
            c_finals.append(y_c)
        else:
            y, y_h = g.node("GRU", inputs, n_out=2, linear_before_reset=1, **attrs)
        h_finals.append(y_h)
        # Y (seq, dirs, batch, H) -> (seq, batch, dirs * H), the next layer's input
        if dirs == 1:
            x = g.node("Squeeze", [y, g.ints([1])])
        else:
            x = g.node("Reshape", [g.node("Transpose", [y], perm=[0, 2, 1, 3]),
                                   g.ints([0, 0, -1])])
    out = g.node("Transpose", [x], perm=[1, 0, 2]) if m.batch_first else x
    h_n = h_finals[0] if len(h_finals) == 1 else g.node("Concat", h_finals, axis=0)
    names = [out, h_n]
    if lstm:
        names.append(c_finals[0] if len(c_finals) == 1 else g.node("Concat", c_finals, axis=0))
    g.out(rec, names)


def _start(g, layer, dirs):
    return g.ints([layer * dirs])


def hardtanh(g, rec):
    """clamp(x, min_val, max_val) as Clip."""
    m = rec.node
    dt = rec.outputs[0]._data.dtype
    lo = g.const(np.asarray(m.min_val, dtype=dt))
    hi = g.const(np.asarray(m.max_val, dtype=dt))
    g.out(rec, g.node("Clip", [g.inp(rec, 0), lo, hi]))


# keyed by (module of the class, class name): ember.onnx sits below nn in ember's layers and
# never imports it (tests/test_layering.py); subclasses of these classes match too
MODULES = {("ember.nn.modules.rnn", "LSTM"): recurrent,
           ("ember.nn.modules.rnn", "GRU"): recurrent,
           ("ember.nn.modules.activation", "Hardtanh"): hardtanh}


def module_emitter(module):
    """The function that exports ``module`` whole, or None (its ops are traced one by one)."""
    for cls in type(module).__mro__:
        fn = MODULES.get((cls.__module__, cls.__name__))
        if fn is not None:
            return fn
    return None
