"""scaled_dot_product_attention and MultiheadAttention against torch: outputs, attention
weights, gradients of inputs and parameters (float32, float64), every mask kind, reprs,
state_dict keys, init statistics and torch's errors."""

import math

import numpy as np
import pytest
import torch

import ember

from conftest import assert_same

E_F = ember.nn.functional
T_F = torch.nn.functional


def _pair(array, requires_grad=True):
    return (ember.tensor(array, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


def _randn(rng, shape, dtype):
    return rng.normal(size=shape).astype(dtype)


def _copy_weights(e_module, t_module):
    """torch's state_dict into the ember module (through numpy)."""
    state = {k: ember.tensor(v.detach().numpy()) for k, v in t_module.state_dict().items()}
    result = e_module.load_state_dict(state)
    assert not result.missing_keys and not result.unexpected_keys


# ============================================================================ sdpa

def _bool_mask(rng, shape, dead_row=False):
    mask = rng.random(shape) < 0.7
    mask[..., 0] = True
    if dead_row:
        mask[..., 1, :] = False  # a query that may attend to nothing
    return mask


SDPA_CASES = {
    "plain": dict(),
    "bool_mask": dict(mask="bool"),
    "bool_mask_dead_row": dict(mask="dead"),
    "float_mask": dict(mask="float"),
    "float_mask_grad": dict(mask="float_grad"),
    "causal": dict(is_causal=True),
    "scale": dict(scale=0.3),
    "broadcast_batch": dict(q_shape=(2, 1, 3, 4), k_shape=(1, 2, 5, 4), v_shape=(1, 2, 5, 6)),
    "gqa": dict(q_shape=(2, 4, 3, 4), k_shape=(2, 2, 5, 4), v_shape=(2, 2, 5, 6),
                enable_gqa=True),
    "unbatched": dict(q_shape=(3, 4), k_shape=(5, 4), v_shape=(5, 6)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", list(SDPA_CASES))
def test_sdpa_matches_torch(case, dtype):
    spec = dict(SDPA_CASES[case])
    rng = np.random.default_rng(0)
    q_shape = spec.pop("q_shape", (2, 3, 4))
    k_shape = spec.pop("k_shape", (2, 5, 4))
    v_shape = spec.pop("v_shape", (2, 5, 6))
    (qe, qt), (ke, kt), (ve, vt) = (_pair(_randn(rng, s, dtype))
                                    for s in (q_shape, k_shape, v_shape))
    kind = spec.pop("mask", None)
    mask_pair = None
    if kind in ("bool", "dead"):
        mask_pair = _pair(_bool_mask(rng, (3, 5), kind == "dead"), requires_grad=False)
    elif kind in ("float", "float_grad"):
        mask_pair = _pair(_randn(rng, (2, 1, 5), dtype), requires_grad=kind == "float_grad")
    ye = E_F.scaled_dot_product_attention(qe, ke, ve, attn_mask=mask_pair and mask_pair[0],
                                          **spec)
    yt = T_F.scaled_dot_product_attention(qt, kt, vt, attn_mask=mask_pair and mask_pair[1],
                                          **spec)
    assert_same(ye, yt)
    g = _randn(rng, tuple(yt.shape), dtype)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    for e, t in ((qe, qt), (ke, kt), (ve, vt)):
        assert_same(e.grad, t.grad)
    if kind == "float_grad":
        assert_same(mask_pair[0].grad, mask_pair[1].grad)


def test_sdpa_double_backward_matches_torch():
    rng = np.random.default_rng(1)
    (qe, qt), (ke, kt), (ve, vt) = (_pair(_randn(rng, s, "float64"))
                                    for s in ((2, 3, 4), (2, 5, 4), (2, 5, 3)))
    me, mt = _pair(_bool_mask(rng, (3, 5), dead_row=True), requires_grad=False)
    grads = {}
    for lib, F, q, k, v, m in ((ember, E_F, qe, ke, ve, me), (torch, T_F, qt, kt, vt, mt)):
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=m)
        gq, gk = lib.autograd.grad((y * y).sum(), (q, k), create_graph=True)
        (gq * gq).sum().add((gk * gk).sum()).backward()
        grads[lib.__name__] = (q.grad, k.grad, v.grad)
    for e, t in zip(grads["ember"], grads["torch"]):
        assert_same(e, t)


def test_sdpa_gradgradcheck():
    rng = np.random.default_rng(2)
    q, k, v = (ember.tensor(_randn(rng, s, "float64"), requires_grad=True)
               for s in ((1, 2, 3), (1, 4, 3), (1, 4, 2)))
    mask = ember.tensor(_randn(rng, (2, 4), "float64"), requires_grad=True)
    fn = lambda *a: E_F.scaled_dot_product_attention(*a)  # noqa: E731
    assert ember.autograd.gradcheck(fn, (q, k, v, mask))
    assert ember.autograd.gradgradcheck(fn, (q, k, v, mask))


def test_sdpa_dropout_scales_kept_probabilities():
    ember.manual_seed(0)
    rng = np.random.default_rng(3)
    q, k = ember.tensor(_randn(rng, (4, 6, 3), "float32")), ember.tensor(_randn(rng, (4, 8, 3),
                                                                                 "float32"))
    eye = ember.eye(8).expand(4, 8, 8)  # value = identity: the output is the dropped P itself
    p = E_F.scaled_dot_product_attention(q, k, eye).numpy()
    d = E_F.scaled_dot_product_attention(q, k, eye, dropout_p=0.25).numpy()
    dropped = d == 0
    assert 0.1 < dropped.mean() < 0.4
    np.testing.assert_allclose(d[~dropped], p[~dropped] / 0.75, rtol=1e-5)
    assert (E_F.scaled_dot_product_attention(q, k, eye, dropout_p=1.0).numpy() == 0).all()
    # the gradient goes through the same mask
    v = ember.tensor(_randn(rng, (4, 8, 5), "float32"), requires_grad=True)
    ember.manual_seed(7)
    E_F.scaled_dot_product_attention(q, k, v, dropout_p=0.5).sum().backward()
    ember.manual_seed(7)
    d = E_F.scaled_dot_product_attention(q, k, eye, dropout_p=0.5)
    np.testing.assert_allclose(v.grad.numpy(), d.sum(1).unsqueeze(-1).expand(4, 8, 5).numpy(),
                               rtol=1e-5)


SDPA_ERRORS = [
    ("rank", lambda L: ((L.ones(3), L.ones(3), L.ones(3)), {})),
    ("dtype", lambda L: ((L.ones(2, 3), L.ones(2, 3, dtype=L.float64), L.ones(2, 3)), {})),
    ("embed", lambda L: ((L.ones(2, 3, 4), L.ones(2, 5, 3), L.ones(2, 5, 4)), {})),
    ("seq", lambda L: ((L.ones(2, 3, 4), L.ones(2, 5, 4), L.ones(2, 4, 4)), {})),
    ("mask_and_causal", lambda L: ((L.ones(3, 4), L.ones(5, 4), L.ones(5, 4)),
                                   {"attn_mask": L.ones(3, 5, dtype=L.bool), "is_causal": True})),
    ("mask_dtype", lambda L: ((L.ones(3, 4), L.ones(5, 4), L.ones(5, 4)),
                              {"attn_mask": L.ones(3, 5, dtype=L.int64)})),
    ("mask_shape", lambda L: ((L.ones(2, 3, 4), L.ones(2, 5, 4), L.ones(2, 5, 4)),
                              {"attn_mask": L.ones(4, 5)})),
    ("mask_adds_batch_dims", lambda L: ((L.ones(3, 4), L.ones(5, 4), L.ones(5, 4)),
                                        {"attn_mask": L.ones(2, 3, 5)})),
    ("gqa_heads", lambda L: ((L.ones(1, 4, 3, 4), L.ones(1, 3, 5, 4), L.ones(1, 3, 5, 4)),
                             {"enable_gqa": True})),
]


@pytest.mark.parametrize("name,build", SDPA_ERRORS, ids=[n for n, _ in SDPA_ERRORS])
def test_sdpa_errors_match_torch(name, build):
    args, kwargs = build(torch)
    with pytest.raises(Exception) as torch_error:
        T_F.scaled_dot_product_attention(*args, **kwargs)
    args, kwargs = build(ember)
    with pytest.raises(torch_error.type) as ember_error:
        E_F.scaled_dot_product_attention(*args, **kwargs)
    first = str(torch_error.value).splitlines()[0]
    assert str(ember_error.value).startswith(first[:40])


# ============================================================================ MultiheadAttention

MHA_CONFIGS = {
    "default": dict(),
    "batch_first": dict(batch_first=True),
    "kdim_vdim": dict(kdim=4, vdim=6),
    "bias_kv_zero_attn": dict(add_bias_kv=True, add_zero_attn=True),
    "no_bias": dict(bias=False),
}

# (query, key/value source): "self" = one tensor for all three, "kv" = key is value
MHA_INPUTS = ["self", "kv", "separate"]


def _mha_pair(config, dtype, dropout=0.0):
    torch.manual_seed(0)
    t = torch.nn.MultiheadAttention(8, 2, dropout=dropout, **config).to(getattr(torch, dtype))
    e = ember.nn.MultiheadAttention(8, 2, dropout=dropout, **config).to(getattr(ember, dtype))
    _copy_weights(e, t)
    return e, t


def _mha_inputs(rng, config, which, dtype, length=3, source=5, batch=2, batched=True):
    def shape(seq, feat):
        if not batched:
            return (seq, feat)
        return (batch, seq, feat) if config.get("batch_first") else (seq, batch, feat)

    kdim, vdim = config.get("kdim", 8), config.get("vdim", 8)
    if which == "self" and kdim == vdim == 8:
        q = _pair(_randn(rng, shape(length, 8), dtype))
        return q, q, q
    q = _pair(_randn(rng, shape(length, 8), dtype))
    k = _pair(_randn(rng, shape(source, kdim), dtype))
    if which == "kv" and kdim == vdim:
        return q, k, k
    return q, k, _pair(_randn(rng, shape(source, vdim), dtype))


def _run_both(e_mod, t_mod, inputs, dtype, rng, **kwargs):
    (qe, qt), (ke, kt), (ve, vt) = inputs
    oe, we = e_mod(qe, ke, ve, **kwargs.get("ember", {}), **kwargs.get("both", {}))
    ot, wt = t_mod(qt, kt, vt, **kwargs.get("torch", {}), **kwargs.get("both", {}))
    assert_same(oe, ot)
    if wt is None:
        assert we is None
    else:
        assert_same(we, wt)
    g = _randn(rng, tuple(ot.shape), dtype)
    loss_e = (oe * ember.tensor(g)).sum()
    loss_t = (ot * torch.tensor(g)).sum()
    if wt is not None:  # the attention weights are differentiable outputs too
        loss_e = loss_e + (we * we).sum()
        loss_t = loss_t + (wt * wt).sum()
    loss_e.backward()
    loss_t.backward()
    for (e, t) in inputs:
        assert_same(e.grad, t.grad)
    named_t = dict(t_mod.named_parameters())
    for name, p in e_mod.named_parameters():
        assert_same(p.grad, named_t[name].grad)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("which", MHA_INPUTS)
@pytest.mark.parametrize("config", list(MHA_CONFIGS))
def test_mha_matches_torch(config, which, need_weights, dtype):
    cfg = MHA_CONFIGS[config]
    e_mod, t_mod = _mha_pair(cfg, dtype)
    rng = np.random.default_rng(0)
    inputs = _mha_inputs(rng, cfg, which, dtype)
    _run_both(e_mod, t_mod, inputs, dtype, rng, both={"need_weights": need_weights})


def _masks(rng, kind, length=3, source=5, batch=2, heads=2):
    """(ember kwargs, torch kwargs) for a mask kind; True / -inf = do not attend."""
    def pair(a):
        return _pair(a, requires_grad=False)

    padding = rng.random((batch, source)) < 0.3
    padding[:, 0] = False
    attn = rng.random((length, source)) < 0.3
    attn[:, 0] = False
    causal = np.triu(np.ones((length, source), dtype=bool), 1)
    if kind == "key_padding_bool":
        masks = {"key_padding_mask": pair(padding)}
    elif kind == "key_padding_float":
        masks = {"key_padding_mask": pair(np.where(padding, -np.inf, 0.0).astype(np.float32))}
    elif kind == "attn_2d_bool":
        masks = {"attn_mask": pair(attn)}
    elif kind == "attn_2d_float":
        masks = {"attn_mask": pair(rng.normal(size=(length, source)).astype(np.float32))}
    elif kind == "attn_3d_bool":
        attn3 = rng.random((batch * heads, length, source)) < 0.3
        attn3[..., 0] = False
        masks = {"attn_mask": pair(attn3)}
    elif kind == "both_bool":
        masks = {"attn_mask": pair(attn), "key_padding_mask": pair(padding)}
    elif kind == "causal":
        masks = {"attn_mask": pair(causal), "is_causal": (True, True)}
    else:
        raise ValueError(kind)
    return {k: v[0] for k, v in masks.items()}, {k: v[1] for k, v in masks.items()}


MASK_KINDS = ["key_padding_bool", "key_padding_float", "attn_2d_bool", "attn_2d_float",
              "attn_3d_bool", "both_bool", "causal"]


@pytest.mark.parametrize("average", [True, False])
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("kind", MASK_KINDS)
def test_mha_masks_match_torch(kind, need_weights, average):
    dtype = "float32"
    cfg = {"add_bias_kv": True} if kind == "attn_3d_bool" else {}
    e_mod, t_mod = _mha_pair(cfg, dtype)
    rng = np.random.default_rng(1)
    inputs = _mha_inputs(rng, cfg, "kv", dtype, length=3, source=5 if kind != "causal" else 3)
    masks_e, masks_t = _masks(rng, kind, source=5 if kind != "causal" else 3)
    both = {"need_weights": need_weights, "average_attn_weights": average}
    _run_both(e_mod, t_mod, inputs, dtype, rng, ember=masks_e, torch=masks_t, both=both)


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_unbatched_matches_torch(need_weights):
    for cfg in (dict(), dict(batch_first=True)):
        e_mod, t_mod = _mha_pair(cfg, "float64")
        rng = np.random.default_rng(2)
        inputs = _mha_inputs(rng, cfg, "separate", "float64", batched=False)
        attn = rng.random((2, 3, 5)) < 0.3  # (heads, L, S) for an unbatched query
        attn[..., 0] = False
        me, mt = _pair(attn, requires_grad=False)
        pe, pt = _pair(np.array([False, True, False, False, True]), requires_grad=False)
        _run_both(e_mod, t_mod, inputs, "float64", rng,
                  ember={"attn_mask": me, "key_padding_mask": pe},
                  torch={"attn_mask": mt, "key_padding_mask": pt},
                  both={"need_weights": need_weights, "average_attn_weights": False})


def test_mha_fully_masked_rows_like_torch():
    """need_weights=True gives NaN rows (plain softmax), need_weights=False zeros, as torch."""
    e_mod, t_mod = _mha_pair({"batch_first": True}, "float32")
    rng = np.random.default_rng(3)
    (xe, xt), _, _ = _mha_inputs(rng, {"batch_first": True}, "self", "float32")
    pe, pt = _pair(np.array([[True, True, True], [False, False, True]]), requires_grad=False)
    for need_weights in (True, False):
        oe = e_mod(xe, xe, xe, key_padding_mask=pe, need_weights=need_weights)[0]
        ot = t_mod(xt, xt, xt, key_padding_mask=pt, need_weights=need_weights)[0]
        assert_same(oe, ot)


def test_mha_train_mode_dropout_runs():
    e_mod = ember.nn.MultiheadAttention(8, 2, dropout=0.5)
    x = ember.randn(4, 3, 8, requires_grad=True)
    ember.manual_seed(0)
    out, weights = e_mod(x, x, x)
    assert tuple(out.shape) == (4, 3, 8) and tuple(weights.shape) == (3, 4, 4)
    sums = weights.sum(-1).detach().numpy()
    assert not np.allclose(sums, 1)  # the returned weights are the dropped ones, as torch
    out.sum().backward()
    assert e_mod.in_proj_weight.grad is not None and x.grad is not None
    out2, _ = e_mod(x, x, x, need_weights=False)
    e_mod.eval()
    o1, w1 = e_mod(x, x, x)
    o2, _ = e_mod(x, x, x, need_weights=False)
    assert_same(o1, torch.tensor(o2.detach().numpy()))
    np.testing.assert_allclose(w1.sum(-1).detach().numpy(), 1, rtol=1e-5)


def test_functional_multi_head_attention_forward_matches_torch():
    rng = np.random.default_rng(4)
    e_mod, t_mod = _mha_pair({"kdim": 4, "vdim": 6}, "float64")
    (qe, qt), (ke, kt), (ve, vt) = _mha_inputs(rng, {"kdim": 4, "vdim": 6}, "separate",
                                               "float64")
    ske, skt = _pair(_randn(rng, (4, 7, 4), "float64"))  # static keys (N * heads, S, head_dim)
    sve, svt = _pair(_randn(rng, (4, 7, 4), "float64"))
    results = []
    for F, mod, q, k, v, sk, sv in ((E_F, e_mod, qe, ke, ve, ske, sve),
                                    (T_F, t_mod, qt, kt, vt, skt, svt)):
        out, w = F.multi_head_attention_forward(
            q, k, v, 8, 2, None, mod.in_proj_bias, None, None, False, 0.0,
            mod.out_proj.weight, mod.out_proj.bias, training=False, need_weights=True,
            use_separate_proj_weight=True, q_proj_weight=mod.q_proj_weight,
            k_proj_weight=mod.k_proj_weight, v_proj_weight=mod.v_proj_weight, static_k=sk,
            static_v=sv)
        (out.sum() + w.sum()).backward()
        results.append((out, w, q.grad, sk.grad, sv.grad, mod.q_proj_weight.grad))
    for e, t in zip(*results):
        assert_same(e, t)


def test_mha_repr_state_dict_and_parameter_names():
    for cfg in [dict(), dict(kdim=4, vdim=6, add_bias_kv=True, bias=False)]:
        e_mod, t_mod = ember.nn.MultiheadAttention(8, 2, **cfg), torch.nn.MultiheadAttention(
            8, 2, **cfg)
        assert repr(e_mod) == repr(t_mod)
        assert list(e_mod.state_dict()) == list(t_mod.state_dict())
        assert [n for n, _ in e_mod.named_parameters()] == [n for n, _ in
                                                            t_mod.named_parameters()]
        for (name, pe), pt in zip(e_mod.state_dict().items(), t_mod.state_dict().values()):
            assert tuple(pe.shape) == tuple(pt.shape), name
        assert type(e_mod.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
        assert isinstance(e_mod.out_proj, ember.nn.Linear)
        for attr in ("embed_dim", "kdim", "vdim", "num_heads", "head_dim", "dropout",
                     "batch_first", "_qkv_same_embed_dim", "add_zero_attn"):
            assert getattr(e_mod, attr) == getattr(t_mod, attr), attr
    # ember's state_dict loads into torch too
    e_mod = ember.nn.MultiheadAttention(8, 2)
    t_mod = torch.nn.MultiheadAttention(8, 2)
    t_mod.load_state_dict({k: torch.tensor(v.numpy()) for k, v in e_mod.state_dict().items()})
    assert_same(e_mod.in_proj_weight, t_mod.in_proj_weight)


def test_mha_default_init_statistics():
    ember.manual_seed(0)
    e_mod = ember.nn.MultiheadAttention(64, 4, add_bias_kv=True)
    w = e_mod.in_proj_weight.detach().numpy()
    bound = math.sqrt(6 / (64 + 3 * 64))  # xavier_uniform_ over the (3E, E) matrix
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert (e_mod.in_proj_bias.detach().numpy() == 0).all()
    assert (e_mod.out_proj.bias.detach().numpy() == 0).all()
    out_w = e_mod.out_proj.weight.detach().numpy()  # Linear's own init: U(+-1/sqrt(64))
    assert np.abs(out_w).max() <= 1 / 8 and np.abs(out_w).max() > 0.9 / 8
    bias_k = e_mod.bias_k.detach().numpy()  # xavier_normal_ of (1, 1, E): std sqrt(2 / (E + E))
    assert bias_k.shape == (1, 1, 64) and 0.5 * math.sqrt(2 / 128) < bias_k.std() < 1.5 * math.sqrt(
        2 / 128)
    separate = ember.nn.MultiheadAttention(64, 4, kdim=32)
    bound_k = math.sqrt(6 / (32 + 64))
    k = separate.k_proj_weight.detach().numpy()
    assert np.abs(k).max() <= bound_k and np.abs(k).max() > 0.95 * bound_k


def _raises_like_torch(build_call):
    with pytest.raises(Exception) as torch_error:
        build_call(torch)
    with pytest.raises(torch_error.type) as ember_error:
        build_call(ember)
    first = str(torch_error.value).splitlines()[0].replace("torch.Size", "")
    assert str(ember_error.value).splitlines()[0].replace("ember.Size", "") == first


MHA_ERRORS = {
    "not_divisible": lambda L: L.nn.MultiheadAttention(7, 2),
    "attn_mask_2d_shape": lambda L: _mha_call(L, attn_mask=L.zeros(4, 4)),
    "attn_mask_3d_shape": lambda L: _mha_call(L, attn_mask=L.zeros(3, 3, 3)),
    "attn_mask_4d": lambda L: _mha_call(L, attn_mask=L.zeros(3, 3, 3, 3)),
    "attn_mask_dtype": lambda L: _mha_call(L, attn_mask=L.zeros(3, 3, dtype=L.int64)),
    "padding_batch": lambda L: _mha_call(L, key_padding_mask=L.zeros(3, 3, dtype=L.bool)),
    "padding_length": lambda L: _mha_call(L, key_padding_mask=L.zeros(2, 4, dtype=L.bool)),
    "padding_dtype": lambda L: _mha_call(L, key_padding_mask=L.zeros(2, 3, dtype=L.int64)),
    "padding_3d": lambda L: _mha_call(L, key_padding_mask=L.zeros(2, 3, 1, dtype=L.bool)),
    "key_value_shapes": lambda L: _mha_call(L, key=L.ones(2, 2, 8)),
    "embed_dim": lambda L: _mha_call(L, query=L.ones(3, 2, 4)),
    "unbatched_key": lambda L: _mha_call(L, query=L.ones(3, 8)),
    "unbatched_mask": lambda L: _mha_call(L, query=L.ones(3, 8), key=L.ones(3, 8),
                                          value=L.ones(3, 8), attn_mask=L.zeros(3, 3, 3)),
    "query_1d": lambda L: _mha_call(L, query=L.ones(8), key=L.ones(8), value=L.ones(8)),
    "causal_without_mask": lambda L: _mha_call(L, is_causal=True),
    "separate_seq": lambda L: L.nn.MultiheadAttention(8, 2, kdim=4, vdim=4)(
        L.ones(3, 2, 8), L.ones(5, 2, 4), L.ones(4, 2, 4)),
}


def _mha_call(L, query=None, key=None, value=None, **kwargs):
    L.manual_seed(0)
    mod = L.nn.MultiheadAttention(8, 2)
    query = L.ones(3, 2, 8) if query is None else query
    key = L.ones(3, 2, 8) if key is None else key
    value = L.ones(3, 2, 8) if value is None else value
    return mod(query, key, value, **kwargs)


@pytest.mark.parametrize("name", list(MHA_ERRORS))
def test_mha_errors_match_torch(name):
    _raises_like_torch(MHA_ERRORS[name])


def test_mha_mismatched_mask_types_warn_like_torch():
    with pytest.warns(UserWarning, match="mismatched key_padding_mask and attn_mask"):
        _mha_call(ember, attn_mask=ember.zeros(3, 3),
                  key_padding_mask=ember.zeros(2, 3, dtype=ember.bool))
