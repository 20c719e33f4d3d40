"""Transformer layers against torch: encoder/decoder layers and stacks and nn.Transformer, with
weights copied through state_dict; outputs and gradients of inputs and every parameter
(float32, float64), masks, batch_first, norm_first, gelu, memory, reprs, state_dict keys both
ways, init statistics, train mode with dropout, and torch's errors and warnings."""

import math
import warnings

import numpy as np
import pytest
import torch

import ember

from conftest import assert_same


def _lib_module(build, dtype):
    """The same module built in torch and ember (torch's weights copied into ember)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's nested-tensor notice
        torch.manual_seed(0)
        t_mod = build(torch).to(getattr(torch, dtype))
        e_mod = build(ember).to(getattr(ember, dtype))
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    state = {k: ember.tensor(v.detach().numpy()) for k, v in t_mod.state_dict().items()}
    result = e_mod.load_state_dict(state)
    assert not result.missing_keys and not result.unexpected_keys
    return e_mod, t_mod


def _compare(e_mod, t_mod, arrays, dtype, masks=None, train=False):
    """Run both on the arrays (all requiring grad) and masks; compare outputs and gradients."""
    e_mod.train(train)
    t_mod.train(train)
    rng = np.random.default_rng(9)
    e_in = [ember.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    t_in = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    masks = masks or {}
    e_masks = {k: ember.tensor(v) if isinstance(v, np.ndarray) else v for k, v in masks.items()}
    t_masks = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in masks.items()}
    ye, yt = e_mod(*e_in, **e_masks), t_mod(*t_in, **t_masks)
    assert_same(ye, yt)
    g = rng.normal(size=tuple(yt.shape)).astype(dtype)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    for e, t in zip(e_in, t_in):
        assert_same(e.grad, t.grad)
    named_t = dict(t_mod.named_parameters())
    for name, p in e_mod.named_parameters():
        assert_same(p.grad, named_t[name].grad)


def _data(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s) for s in shapes]


def _causal(n):
    return np.triu(np.full((n, n), -np.inf, dtype=np.float32), 1)


ENCODER_LAYERS = {
    "default": dict(),
    "gelu_norm_first": dict(activation="gelu", norm_first=True),
    "batch_first": dict(batch_first=True),
    "no_bias_eps": dict(bias=False, layer_norm_eps=1e-3),
    "callable_activation": dict(activation="tanh"),
    "module_activation": dict(activation="GELU"),
}


def _activation_arg(lib, value):
    if value == "tanh":
        return lib.tanh
    if value == "GELU":
        return lib.nn.GELU(approximate="tanh")
    return value


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("config", list(ENCODER_LAYERS))
def test_encoder_layer_matches_torch(config, dtype):
    cfg = dict(ENCODER_LAYERS[config])
    act = cfg.pop("activation", "relu")

    def build(lib):
        return lib.nn.TransformerEncoderLayer(8, 2, 16, activation=_activation_arg(lib, act),
                                              **cfg)

    e_mod, t_mod = _lib_module(build, dtype)
    (x,) = _data((2, 5, 8) if cfg.get("batch_first") else (5, 2, 8))
    _compare(e_mod, t_mod, [x], dtype)


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_masks_and_unbatched(norm_first):
    e_mod, t_mod = _lib_module(
        lambda lib: lib.nn.TransformerEncoderLayer(8, 2, 16, norm_first=norm_first), "float32")
    (x,) = _data((5, 2, 8))
    padding = np.array([[False, False, True, False, True], [False] * 5])
    with pytest.warns(UserWarning, match="mismatched src_key_padding_mask and src_mask"):
        _compare(e_mod, t_mod, [x], "float32",
                 {"src_mask": _causal(5), "src_key_padding_mask": padding, "is_causal": True})
    _compare(e_mod, t_mod, [x[:, 0]], "float32", {"src_mask": _causal(5).astype(bool) * 0 == 1})


def test_encoder_layer_train_mode_without_dropout_matches_torch():
    e_mod, t_mod = _lib_module(
        lambda lib: lib.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), "float64")
    _compare(e_mod, t_mod, _data((4, 3, 8)), "float64", train=True)


def test_encoder_stack_with_norm_matches_torch():
    def build(lib):
        layer = lib.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
        return lib.nn.TransformerEncoder(layer, 2, norm=lib.nn.LayerNorm(8))

    e_mod, t_mod = _lib_module(build, "float64")
    layers = e_mod.layers
    assert layers[0].linear1.weight is not layers[1].linear1.weight  # deep copies
    padding = np.array([[False, False, False, True], [False, True, False, False]])
    _compare(e_mod, t_mod, _data((2, 4, 8)), "float64",
             {"mask": _causal(4).astype(np.float64), "src_key_padding_mask": padding})


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("config", [dict(), dict(norm_first=True, activation="gelu"),
                                    dict(batch_first=True)], ids=["default", "norm_first_gelu",
                                                                  "batch_first"])
def test_decoder_layer_with_memory_matches_torch(config, dtype):
    e_mod, t_mod = _lib_module(lambda lib: lib.nn.TransformerDecoderLayer(8, 2, 16, **config),
                               dtype)
    bf = config.get("batch_first")
    tgt, memory = _data((2, 4, 8) if bf else (4, 2, 8), (2, 6, 8) if bf else (6, 2, 8))
    memory_padding = np.zeros((2, 6), dtype=bool)
    memory_padding[1, 3:] = True
    _compare(e_mod, t_mod, [tgt, memory], dtype,
             {"tgt_mask": _causal(4).astype(dtype), "memory_key_padding_mask": memory_padding,
              "tgt_is_causal": True})


def test_decoder_stack_matches_torch():
    def build(lib):
        layer = lib.nn.TransformerDecoderLayer(8, 2, 16)
        return lib.nn.TransformerDecoder(layer, 2, norm=lib.nn.LayerNorm(8))

    e_mod, t_mod = _lib_module(build, "float32")
    tgt_padding = np.array([[False, False, True], [False] * 3])
    _compare(e_mod, t_mod, _data((3, 2, 8), (5, 2, 8)), "float32",
             {"tgt_mask": _causal(3), "tgt_key_padding_mask": tgt_padding,
              "memory_mask": np.zeros((3, 5), dtype=bool)})


@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_torch(batch_first):
    def build(lib):
        return lib.nn.Transformer(8, 2, 2, 1, 16, batch_first=batch_first)

    e_mod, t_mod = _lib_module(build, "float64")
    src, tgt = _data((2, 5, 8), (2, 3, 8)) if batch_first else _data((5, 2, 8), (3, 2, 8))
    tgt_mask = ember.nn.Transformer.generate_square_subsequent_mask(3, dtype=ember.float64)
    _compare(e_mod, t_mod, [src, tgt], "float64", {"tgt_mask": tgt_mask.numpy()})


def test_transformer_custom_encoder_decoder():
    def build(lib):
        enc = lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(8, 2, 16), 1)
        dec = lib.nn.TransformerDecoder(lib.nn.TransformerDecoderLayer(8, 2, 16), 1)
        return lib.nn.Transformer(8, 2, custom_encoder=enc, custom_decoder=dec)

    e_mod, t_mod = _lib_module(build, "float32")
    assert e_mod.encoder.norm is None
    _compare(e_mod, t_mod, _data((4, 2, 8), (3, 2, 8)), "float32")


def test_generate_square_subsequent_mask():
    for n in (1, 4):
        e = ember.nn.Transformer.generate_square_subsequent_mask(n)
        t = torch.nn.Transformer.generate_square_subsequent_mask(n)
        assert_same(e, t)
    e = ember.nn.Transformer.generate_square_subsequent_mask(3, dtype=ember.float64)
    assert e.dtype is ember.float64


def test_state_dict_loads_both_ways():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e_mod = ember.nn.Transformer(8, 2, 1, 1, 16)
        t_mod = torch.nn.Transformer(8, 2, 1, 1, 16)
    t_mod.load_state_dict({k: torch.tensor(v.numpy()) for k, v in e_mod.state_dict().items()})
    for pe, pt in zip(e_mod.state_dict().values(), t_mod.state_dict().values()):
        assert_same(pe, pt)


def test_transformer_default_init_statistics():
    ember.manual_seed(0)
    model = ember.nn.Transformer(32, 4, 1, 1, 64)
    for name, p in model.named_parameters():
        values = p.detach().numpy()
        if p.ndim > 1:  # xavier_uniform_ on every matrix
            fan_out, fan_in = p.shape
            bound = math.sqrt(6 / (fan_in + fan_out))
            assert np.abs(values).max() <= bound, name
            assert np.abs(values).max() > 0.9 * bound, name
        elif name.endswith("norm1.weight"):
            assert (values == 1).all()
        elif "in_proj_bias" in name or "out_proj.bias" in name:
            assert (values == 0).all(), name
    # a lone layer keeps Linear's init: U(+-1/sqrt(fan_in))
    layer = ember.nn.TransformerEncoderLayer(32, 4, 64)
    w = layer.linear2.weight.detach().numpy()
    assert np.abs(w).max() <= 1 / 8 and np.abs(w).max() > 0.9 / 8


def test_train_mode_with_dropout_runs():
    ember.manual_seed(0)
    model = ember.nn.TransformerEncoder(ember.nn.TransformerEncoderLayer(8, 2, 16, 0.5), 2,
                                        enable_nested_tensor=False)
    x = ember.randn(5, 2, 8, requires_grad=True)
    y1, y2 = model(x), model(x)
    assert not np.allclose(y1.detach().numpy(), y2.detach().numpy())
    y1.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.eval()
    assert_same(model(x), torch.tensor(model(x).detach().numpy()))


def test_reprs_match_torch():
    def builds(lib):
        yield lib.nn.TransformerEncoderLayer(8, 2, 16)
        yield lib.nn.TransformerEncoderLayer(8, 2, 16, activation=lib.nn.GELU())
        yield lib.nn.TransformerDecoderLayer(8, 2, 16, activation="gelu", norm_first=True,
                                             batch_first=True)
        yield lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(8, 2, 16), 3,
                                        norm=lib.nn.LayerNorm(8), enable_nested_tensor=False)
        yield lib.nn.Transformer(8, 2, 1, 2, 16)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for e_mod, t_mod in zip(builds(ember), builds(torch)):
            assert repr(e_mod) == repr(t_mod)
            assert list(e_mod.state_dict()) == list(t_mod.state_dict())


@pytest.mark.parametrize("kwargs", [dict(), dict(batch_first=True, norm_first=True),
                                    dict(batch_first=True, bias=False), dict(batch_first=True)])
def test_nested_tensor_warning_like_torch(kwargs):
    messages = {}
    for lib in (ember, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(8, 2, 16, **kwargs), 1)
        messages[lib.__name__] = [str(w.message) for w in caught if "nested" in str(w.message)]
    assert messages["ember"] == messages["torch"]


ERRORS = {
    "activation": lambda lib: lib.nn.TransformerEncoderLayer(8, 2, 16, activation="tanh"),
    "batch": lambda lib: lib.nn.Transformer(8, 2, 1, 1, 16)(lib.ones(3, 2, 8),
                                                            lib.ones(3, 3, 8)),
    "features": lambda lib: lib.nn.Transformer(8, 2, 1, 1, 16)(lib.ones(3, 2, 8),
                                                               lib.ones(3, 2, 4)),
    "heads": lambda lib: lib.nn.TransformerEncoderLayer(8, 3, 16),
    "causal_without_mask": lambda lib: lib.nn.TransformerEncoderLayer(8, 2, 16)(
        lib.ones(3, 2, 8), is_causal=True),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as torch_error:
            ERRORS[name](torch)
        with pytest.raises(torch_error.type) as ember_error:
            ERRORS[name](ember)
    assert str(ember_error.value).splitlines()[0] == str(torch_error.value).splitlines()[0]
