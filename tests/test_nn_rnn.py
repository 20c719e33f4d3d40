"""RNN, LSTM, GRU and their cells against torch: outputs, final states and the grads of the
input, h0/c0 and every parameter (float32 and float64) over layers, directions, batch_first,
bias, proj_size, unbatched and packed inputs; dropout; init; state_dict keys; reprs; errors."""

import warnings

import numpy as np
import pytest
import torch
from torch.nn.utils import rnn as TR

import ember
from ember.nn.utils import rnn as ER

from conftest import assert_same

rng = np.random.default_rng(0)
IN, HID = 3, 4


@pytest.fixture(autouse=True)
def _torch_without_onednn():
    """torch's oneDNN LSTM takes ~0.5 s per tiny float32 call; its plain CPU kernels are the
    same maths and keep this file fast."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.backends.mkldnn.flags(enabled=False):
            yield


def _pair(kind, dtype="float64", **kwargs):
    """The same layer in torch and ember (ember gets torch's weights through its state_dict)."""
    if kind.startswith("RNN_"):
        kwargs["nonlinearity"] = kind[4:]
        kind = "RNN"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dropout with one layer
        t = getattr(torch.nn, kind)(IN, HID, **kwargs).to(getattr(torch, dtype))
        e = getattr(ember.nn, kind)(IN, HID, **kwargs).to(getattr(ember, dtype))
    state = t.state_dict()
    assert list(e.state_dict()) == list(state)
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in state.items()})
    return t, e


def _leaves(array):
    return ember.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def _states(t, batch, dtype):
    """Random (h0,) or (h0, c0) arrays of the shapes the layer expects (batch None: unbatched)."""
    rows = t.num_layers * (2 if t.bidirectional else 1)
    sizes = [t.proj_size or t.hidden_size]
    if isinstance(t, torch.nn.LSTM):
        sizes.append(t.hidden_size)
    shape = (rows,) if batch is None else (rows, batch)
    return [rng.normal(size=(*shape, s)).astype(dtype) for s in sizes]


def _hx(states, lstm):
    return tuple(states) if lstm else states[0]


def _loss(output, finals, weights):
    """A weighted sum of everything the layer returns, so every gradient path is used."""
    total = (output * weights[0]).sum()
    for f, w in zip(finals, weights[1:]):
        total = total + (f * w).sum()
    return total


def _compare(t, e, x, states, dtype, pack=None):
    """Run both layers on x (and hx from ``states``, if any), compare every result and grad.
    ``pack``: (lengths, enforce_sorted) to feed a PackedSequence built from x (T, B, IN)."""
    lstm = isinstance(t, torch.nn.LSTM)
    xe, xt = _leaves(x)
    pairs = [_leaves(s) for s in states]
    he = _hx([p[0] for p in pairs], lstm) if pairs else None
    ht = _hx([p[1] for p in pairs], lstm) if pairs else None
    ie, it = xe, xt
    if pack is not None:
        lengths, enforce_sorted = pack
        ie = ER.pack_padded_sequence(xe, lengths, t.batch_first, enforce_sorted)
        it = TR.pack_padded_sequence(xt, lengths, t.batch_first, enforce_sorted)
    oe, fe = e(ie, he)
    ot, ft = t(it, ht)
    fe, ft = (list(fe), list(ft)) if lstm else ([fe], [ft])
    if pack is not None:
        assert isinstance(oe, ER.PackedSequence)
        assert oe.batch_sizes.tolist() == ot.batch_sizes.tolist()
        oe, ot = oe.data, ot.data
    assert_same(oe, ot)
    for a, b in zip(fe, ft):
        assert_same(a, b)
    weights = [rng.normal(size=tuple(o.shape)).astype(dtype) for o in [ot, *ft]]
    _loss(oe, fe, [ember.tensor(w) for w in weights]).backward()
    _loss(ot, ft, [torch.tensor(w) for w in weights]).backward()
    assert_same(xe.grad, xt.grad)
    for (se, st) in pairs:
        assert_same(se.grad, st.grad)
    for (name, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        assert pe.grad is not None, name
        assert_same(pe.grad, pt.grad)


KINDS = ["RNN_tanh", "RNN_relu", "LSTM", "GRU"]
CONFIGS = [
    dict(),
    dict(num_layers=2),
    dict(bidirectional=True),
    dict(num_layers=2, bidirectional=True, batch_first=True),
    dict(bias=False, batch_first=True),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("config", CONFIGS, ids=str)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("with_hx", [False, True])
def test_layers_match_torch(kind, config, dtype, with_hx):
    t, e = _pair(kind, dtype, **config)
    x = rng.normal(size=(4, 5, IN) if t.batch_first else (5, 4, IN)).astype(dtype)
    _compare(t, e, x, _states(t, 4, dtype) if with_hx else [], dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("config", [dict(proj_size=2), dict(proj_size=3, num_layers=2,
                                    bidirectional=True, batch_first=True, bias=False)], ids=str)
def test_lstm_proj_size_matches_torch(config, dtype):
    t, e = _pair("LSTM", dtype, **config)
    x = rng.normal(size=(4, 5, IN) if t.batch_first else (5, 4, IN)).astype(dtype)
    _compare(t, e, x, _states(t, 4, dtype), dtype)
    assert e.weight_hr_l0.shape == (config["proj_size"], HID)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("config", [dict(), dict(num_layers=2, bidirectional=True),
                                    dict(batch_first=True)], ids=str)
def test_unbatched_input(kind, config, dtype):
    t, e = _pair(kind, dtype, **config)
    x = rng.normal(size=(5, IN)).astype(dtype)
    _compare(t, e, x, [], dtype)
    _compare(t, e, x, _states(t, None, dtype), dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", ["RNN_tanh", "LSTM", "GRU"])
@pytest.mark.parametrize("config", [dict(), dict(num_layers=2, bidirectional=True),
                                    dict(batch_first=True, bidirectional=True)], ids=str)
@pytest.mark.parametrize("lengths,enforce_sorted", [([5, 3, 3, 1], True),
                                                    ([2, 5, 1, 4], False)])
def test_packed_input(kind, config, dtype, lengths, enforce_sorted):
    t, e = _pair(kind, dtype, **config)
    x = rng.normal(size=(4, 5, IN) if t.batch_first else (5, 4, IN)).astype(dtype)
    _compare(t, e, x, [], dtype, pack=(lengths, enforce_sorted))
    _compare(t, e, x, _states(t, 4, dtype), dtype, pack=(lengths, enforce_sorted))


def test_packed_lstm_with_projection_and_round_trip():
    t, e = _pair("LSTM", "float64", proj_size=2, bidirectional=True)
    x = rng.normal(size=(5, 3, IN))
    _compare(t, e, x, _states(t, 3, "float64"), "float64", pack=([3, 5, 2], False))
    packed = ER.pack_sequence([ember.tensor(rng.normal(size=(n, IN))) for n in (2, 4, 3)],
                              enforce_sorted=False)
    out, _ = e(packed)
    padded, lengths = ER.pad_packed_sequence(out, batch_first=True)
    assert padded.shape == (3, 4, 4) and lengths.tolist() == [2, 4, 3]
    assert (padded[0, 2:] == 0).all().item()


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_empty_batch_gives_torch_shapes(kind):
    t, e = _pair(kind, "float64", num_layers=2, bidirectional=True)
    (oe, fe), (ot, ft) = e(ember.zeros(5, 0, IN, dtype=ember.float64)), \
        t(torch.zeros(5, 0, IN, dtype=torch.float64))
    assert_same(oe, ot)
    assert_same(fe[1] if kind == "LSTM" else fe, ft[1] if kind == "LSTM" else ft)


def test_double_backward_matches_torch():
    t, e = _pair("GRU", "float64")
    x = rng.normal(size=(3, 2, IN))
    xe, xt = _leaves(x)
    (ge,) = ember.autograd.grad(e(xe)[0].pow(2).sum(), xe, create_graph=True)
    (gt,) = torch.autograd.grad(t(xt)[0].pow(2).sum(), xt, create_graph=True)
    assert_same(ge, gt)
    ge.pow(2).sum().backward()
    gt.pow(2).sum().backward()
    assert_same(xe.grad, xt.grad)
    assert_same(e.weight_hh_l0.grad, t.weight_hh_l0.grad)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN_tanh"])
def test_dropout_eval_equals_torch_and_train_differs(kind):
    t, e = _pair(kind, "float64", num_layers=3, dropout=0.5)
    x = rng.normal(size=(5, 4, IN))
    t.eval()
    e.eval()
    _compare(t, e, x, [], "float64")
    evaluated = e(ember.tensor(x))[0].detach()
    e.train()
    ember.manual_seed(0)
    xe = ember.tensor(x, requires_grad=True)
    trained = e(xe)[0]
    assert not np.allclose(trained.detach().numpy(), evaluated.numpy())
    trained.sum().backward()
    assert xe.grad is not None and np.isfinite(xe.grad.numpy()).all()
    # the dropout is between layers only: one layer in training equals eval
    _, e1 = _pair(kind, "float64", dropout=0.5)
    with ember.no_grad():
        assert np.allclose(e1.train()(ember.tensor(x))[0].numpy(),
                           e1.eval()(ember.tensor(x))[0].numpy())


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_init_bounds_and_statistics(kind):
    hidden = 64
    for lib in (ember, torch):
        layer = getattr(lib.nn, kind)(8, hidden, num_layers=2, bidirectional=True)
        k = 1 / np.sqrt(hidden)
        values = np.concatenate([p.detach().numpy().ravel() for p in layer.parameters()])
        assert values.min() >= -k and values.max() <= k
        assert abs(values.mean()) < 0.05 * k
        assert abs(values.std() - k / np.sqrt(3)) < 0.02 * k  # uniform: std = k / sqrt(3)


def test_parameters_names_shapes_and_all_weights_as_torch():
    for kwargs in [dict(num_layers=2, bidirectional=True, proj_size=2), dict(bias=False)]:
        t, e = torch.nn.LSTM(IN, HID, **kwargs), ember.nn.LSTM(IN, HID, **kwargs)
        assert [(n, tuple(p.shape)) for n, p in e.named_parameters()] == \
            [(n, tuple(p.shape)) for n, p in t.named_parameters()]
        assert e._flat_weights_names == t._flat_weights_names
        assert e._all_weights == t._all_weights
        assert [[tuple(w.shape) for w in ws] for ws in e.all_weights] == \
            [[tuple(w.shape) for w in ws] for ws in t.all_weights]
        assert e.all_weights[0][0] is e.weight_ih_l0
        assert e.flatten_parameters() is None
    for kind in ["RNN", "GRU"]:
        t, e = getattr(torch.nn, kind)(IN, HID, 2), getattr(ember.nn, kind)(IN, HID, 2)
        assert list(e.state_dict()) == list(t.state_dict())
    assert ember.nn.RNN(IN, HID, nonlinearity="relu").mode == "RNN_RELU"
    assert ember.nn.RNN(IN, HID, nonlinearity="relu").nonlinearity == "relu"


def test_reprs_match_torch():
    cases = [
        ("LSTM", (10, 20), dict(num_layers=2, batch_first=True, bidirectional=True)),
        ("LSTM", (10, 20), dict(proj_size=5, bias=False, dropout=0.5, num_layers=2)),
        ("RNN", (10, 20), dict(nonlinearity="relu")),
        ("RNN", (3, 4, 2, "relu", False, True, 0.1, True), dict()),
        ("GRU", (10, 20), dict(dropout=0.25, num_layers=3)),
        ("GRU", (10, 20), dict()),
        ("RNNCell", (3, 4), dict(bias=False, nonlinearity="relu")),
        ("RNNCell", (3, 4), dict()),
        ("LSTMCell", (3, 4), dict()),
        ("GRUCell", (3, 4), dict(bias=False)),
    ]
    for kind, args, kwargs in cases:
        assert repr(getattr(ember.nn, kind)(*args, **kwargs)) == \
            repr(getattr(torch.nn, kind)(*args, **kwargs))
    te = torch.nn.Sequential(torch.nn.LSTM(3, 4))
    assert repr(ember.nn.Sequential(ember.nn.LSTM(3, 4))) == repr(te)


# ------------------------------------------------------------------------------------- cells

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind,kwargs", [("RNNCell", {}), ("RNNCell", dict(nonlinearity="relu")),
                                         ("LSTMCell", {}), ("GRUCell", {}),
                                         ("GRUCell", dict(bias=False))], ids=str)
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_hx", [True, False])
def test_cells_match_torch(kind, kwargs, dtype, batched, with_hx):
    t = getattr(torch.nn, kind)(IN, HID, **kwargs).to(getattr(torch, dtype))
    e = getattr(ember.nn, kind)(IN, HID, **kwargs).to(getattr(ember, dtype))
    assert list(e.state_dict()) == list(t.state_dict())
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    lead = (3,) if batched else ()
    xe, xt = _leaves(rng.normal(size=(*lead, IN)).astype(dtype))
    lstm = kind == "LSTMCell"
    pairs = [_leaves(rng.normal(size=(*lead, HID)).astype(dtype)) for _ in range(1 + lstm)]
    he = ht = None
    if with_hx:
        he = tuple(p[0] for p in pairs) if lstm else pairs[0][0]
        ht = tuple(p[1] for p in pairs) if lstm else pairs[0][1]
    oe, ot = e(xe, he), t(xt, ht)
    oe, ot = (list(oe), list(ot)) if lstm else ([oe], [ot])
    weights = [rng.normal(size=tuple(o.shape)).astype(dtype) for o in ot]
    for a, b in zip(oe, ot):
        assert_same(a, b)
    sum((o * ember.tensor(w)).sum() for o, w in zip(oe, weights)).backward()
    sum((o * torch.tensor(w)).sum() for o, w in zip(ot, weights)).backward()
    assert_same(xe.grad, xt.grad)
    if with_hx:
        for se, st in pairs:
            assert_same(se.grad, st.grad)
    for pe, pt in zip(e.parameters(), t.parameters()):
        assert_same(pe.grad, pt.grad)


def test_cell_init_bounds():
    for lib in (ember, torch):
        cell = lib.nn.LSTMCell(5, 64)
        values = np.concatenate([p.detach().numpy().ravel() for p in cell.parameters()])
        assert values.min() >= -1 / 8 and values.max() <= 1 / 8
        assert abs(values.std() - 1 / 8 / np.sqrt(3)) < 0.02 / 8


# ------------------------------------------------------------------------------------ errors

def _raises_like_torch(build, call=None):
    """``build(lib)`` (and then ``call(lib, layer)``) raise the same class and first line in
    ember as in torch (torch's module name read as ember's); returns ember's full message."""
    caught = {}
    for lib in (torch, ember):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(Exception) as info:
                layer = build(lib)
                if call is not None:
                    call(lib, layer)
        caught[lib] = info
    t, e = caught[torch], caught[ember]
    assert e.type is t.type, f"{e.type.__name__} != torch {t.type.__name__}: {e.value}"
    first = str(e.value).splitlines()[0]
    assert first == str(t.value).splitlines()[0].replace("torch.", "ember."), first
    return str(e.value)


@pytest.mark.parametrize("build", [
    lambda lib: lib.nn.LSTM(3, 4, dropout=2),
    lambda lib: lib.nn.LSTM(3, 4, dropout=True),
    lambda lib: lib.nn.LSTM(3, 4, dropout="a"),
    lambda lib: lib.nn.LSTM(3, 4, dropout="0.5"),
    lambda lib: lib.nn.LSTM(3, 4, dropout=None),
    lambda lib: lib.nn.LSTM(3, 4, num_layers=1.5),
    lambda lib: lib.nn.GRU(3, 0),
    lambda lib: lib.nn.GRU(3, 4, num_layers=0),
    lambda lib: lib.nn.GRU(3, 4.0),
    lambda lib: lib.nn.LSTM(3, 4, proj_size=-1),
    lambda lib: lib.nn.LSTM(3, 4, proj_size=4),
    lambda lib: lib.nn.RNN(3, 4, nonlinearity="sigmoid"),
])
def test_constructor_errors_like_torch(build):
    _raises_like_torch(build)


def test_dropout_with_one_layer_warns_like_torch():
    for lib in (ember, torch):
        with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1, "
                          "but got dropout=0.5 and num_layers=1"):
            lib.nn.GRU(3, 4, dropout=0.5)


def _z(lib, *shape, dtype=None):
    return lib.zeros(*shape, dtype=dtype or lib.float32)


@pytest.mark.parametrize("kind,call", [
    ("LSTM", lambda lib, m: m(_z(lib, 5, 2, 7))),
    ("GRU", lambda lib, m: m(_z(lib, 2, 5, 2, 3))),
    ("GRU", lambda lib, m: m(_z(lib, 3))),
    ("RNN", lambda lib, m: m(_z(lib, 0, 2, 3))),
    ("LSTM", lambda lib, m: m(_z(lib, 5, 2, 3), (_z(lib, 1, 2, 4), _z(lib, 2, 2, 4)))),
    ("LSTM", lambda lib, m: m(_z(lib, 5, 2, 3), (_z(lib, 2, 2, 4), _z(lib, 2, 3, 4)))),
    ("LSTM", lambda lib, m: m(_z(lib, 5, 2, 3), (_z(lib, 2, 4), _z(lib, 2, 4)))),
    ("LSTM", lambda lib, m: m(_z(lib, 5, 3), (_z(lib, 2, 1, 4), _z(lib, 2, 1, 4)))),
    ("GRU", lambda lib, m: m(_z(lib, 5, 2, 3), _z(lib, 1, 2, 4))),
    ("GRU", lambda lib, m: m(_z(lib, 5, 3), _z(lib, 2, 1, 4))),
    ("GRU", lambda lib, m: m(_z(lib, 5, 3), _z(lib, 2, 5))),
    ("RNN", lambda lib, m: m(_z(lib, 5, 2, 3), _z(lib, 2, 4))),
    ("GRU", lambda lib, m: m(_z(lib, 5, 2, 3, dtype=lib.float64))),
    ("RNN", lambda lib, m: m(_z(lib, 5, 2, 3, dtype=lib.int64))),
    ("GRU", lambda lib, m: m(_z(lib, 5, 2, 3), _z(lib, 2, 2, 4, dtype=lib.float64))),
    ("GRU", lambda lib, m: m(lib.nn.utils.rnn.pack_sequence([_z(lib, 3, 3), _z(lib, 2, 3)]),
                             _z(lib, 2, 3, 4))),
    ("GRU", lambda lib, m: m(lib.nn.utils.rnn.pack_sequence([_z(lib, 3, 5), _z(lib, 2, 5)]))),
])
def test_forward_errors_like_torch(kind, call):
    _raises_like_torch(lambda lib: getattr(lib.nn, kind)(3, 4, num_layers=2), call)


def test_errors_name_the_layer_and_the_fix():
    class Model(ember.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = ember.nn.LSTM(10, 20, batch_first=True)

        def forward(self, x, hx=None):
            return self.encoder(x, hx)

    with pytest.raises(RuntimeError) as info:
        Model()(ember.zeros(2, 7, 5))
    message = str(info.value)
    assert message.startswith("input.size(-1) must be equal to input_size. Expected 10, got 5\n")
    assert "model.encoder (LSTM(10, 20, batch_first=True))" in message
    assert "hint:" in message
    with pytest.raises(RuntimeError) as info:
        Model()(ember.zeros(2, 7, 10), (ember.zeros(2, 2, 20), ember.zeros(1, 2, 20)))
    assert "Expected hidden[0] size (1, 2, 20), got [2, 2, 20]" in str(info.value)
    assert "model.encoder" in str(info.value)
    assert "hx stays (layers, batch, hidden)" in str(info.value)
    with pytest.raises(ValueError, match="Convert input: input.to") as info:
        Model()(ember.zeros(2, 7, 10, dtype=ember.float64))
    assert "model.encoder" in str(info.value)


@pytest.mark.parametrize("kind,call", [
    ("LSTMCell", lambda lib, m: m(_z(lib, 2, 2, 3))),
    ("GRUCell", lambda lib, m: m(_z(lib, 2, 5))),
    ("LSTMCell", lambda lib, m: m(_z(lib, 2, 3), (_z(lib, 3, 4), _z(lib, 3, 4)))),
    ("LSTMCell", lambda lib, m: m(_z(lib, 2, 3), (_z(lib, 2, 5), _z(lib, 2, 4)))),
    ("LSTMCell", lambda lib, m: m(_z(lib, 3), (_z(lib, 2, 4), _z(lib, 2, 4)))),
    ("LSTMCell", lambda lib, m: m(_z(lib, 2, 3), _z(lib, 2, 4))),
    ("LSTMCell", lambda lib, m: m(_z(lib, 2, 3), (_z(lib, 2, 4),))),
    ("GRUCell", lambda lib, m: m(_z(lib, 3), _z(lib, 1, 4))),
    ("GRUCell", lambda lib, m: m(_z(lib, 2, 3), _z(lib, 2, 4, dtype=lib.float64))),
    ("RNNCell", lambda lib, m: m(_z(lib, 2, 3, dtype=lib.float64))),
])
def test_cell_errors_like_torch(kind, call):
    _raises_like_torch(lambda lib: getattr(lib.nn, kind)(3, 4), call)


def test_rnn_cell_unknown_nonlinearity_raises_at_forward_like_torch():
    _raises_like_torch(lambda lib: lib.nn.RNNCell(3, 4, nonlinearity="sigmoid"),
                       lambda lib, m: m(_z(lib, 2, 3)))


# ----------------------------------------------------------------------------------- devices

def _on_cuda_matches_torch():
    """An LSTM and a GRU moved to 'cuda' (packed, unsorted input) match torch on the CPU."""
    for kind, kwargs in [("LSTM", dict(num_layers=2, bidirectional=True, proj_size=2)),
                         ("GRU", dict(batch_first=True))]:
        t, e = _pair(kind, "float64", **kwargs)
        e.to("cuda")
        assert e.weight_hh_l0.is_cuda
        x = rng.normal(size=(3, 5, IN) if t.batch_first else (5, 3, IN))
        xe = ember.tensor(x, device="cuda", requires_grad=True)
        xt = torch.tensor(x, requires_grad=True)
        pe = ER.pack_padded_sequence(xe, [2, 5, 3], t.batch_first, enforce_sorted=False)
        pt = TR.pack_padded_sequence(xt, [2, 5, 3], t.batch_first, enforce_sorted=False)
        assert pe.data.is_cuda and pe.sorted_indices.is_cuda and not pe.batch_sizes.is_cuda
        (oe, fe), (ot, ft) = e(pe), t(pt)
        ye, _ = ER.pad_packed_sequence(oe, batch_first=True)
        yt, _ = TR.pad_packed_sequence(ot, batch_first=True)
        assert ye.is_cuda
        assert_same(ye.cpu(), yt)
        fe, ft = (fe[0], ft[0]) if kind == "LSTM" else (fe, ft)
        assert_same(fe.cpu(), ft)
        (ye.sum() + fe.sum()).backward()
        (yt.sum() + ft.sum()).backward()
        assert xe.grad.is_cuda
        assert_same(xe.grad.cpu(), xt.grad)
        for pe_, pt_ in zip(e.parameters(), t.parameters()):
            assert_same(pe_.grad.cpu(), pt_.grad)
    cell = ember.nn.GRUCell(IN, HID).to("cuda")
    assert cell(ember.zeros(2, IN, device="cuda")).is_cuda


def test_layers_on_fake_cuda(fake_cuda):
    _on_cuda_matches_torch()


@pytest.mark.skipif(ember._device._fake_cuda or not ember.cuda.is_available(),
                    reason="needs a GPU and CuPy")
def test_layers_on_real_gpu():
    _on_cuda_matches_torch()
