"""Same seed, same numbers (issue 9): the consequences of ember's torch-exact CPU streams —
every layer's default initialisation, and a seeded training run's loss curve, equal torch's."""

import numpy as np
import pytest
import torch

import ember

from conftest import assert_same, same_random_streams_as_torch

LAYERS = [
    ("Linear", (5, 3), {}),
    ("Linear", (7, 2), {"bias": False}),
    ("Bilinear", (3, 4, 2), {}),
    ("Conv1d", (3, 4, 3), {}),
    ("Conv2d", (3, 4, 3), {"groups": 1}),
    ("Conv2d", (4, 4, 3), {"groups": 2, "bias": False}),
    ("Conv3d", (2, 3, 2), {}),
    ("ConvTranspose1d", (3, 2, 3), {}),
    ("ConvTranspose2d", (3, 2, 3), {"stride": 2}),
    ("Embedding", (10, 4), {}),
    ("Embedding", (10, 4), {"padding_idx": 0}),
    ("EmbeddingBag", (10, 4), {}),
    ("PReLU", (), {"num_parameters": 3}),
    ("RNN", (4, 5, 2), {}),
    ("LSTM", (4, 6), {"proj_size": 3, "bidirectional": True}),
    ("GRU", (4, 5), {"num_layers": 2, "batch_first": True}),
    ("RNNCell", (4, 5), {}),
    ("LSTMCell", (4, 5), {}),
    ("GRUCell", (4, 5), {}),
    ("MultiheadAttention", (8, 2), {}),
    ("MultiheadAttention", (8, 2), {"kdim": 3, "vdim": 5, "add_bias_kv": True}),
    ("TransformerEncoderLayer", (8, 2, 16), {}),
    ("TransformerDecoderLayer", (8, 2, 16), {}),
    ("BatchNorm2d", (3,), {}),
    ("LayerNorm", (4,), {}),
    ("GroupNorm", (2, 4), {}),
]


@same_random_streams_as_torch
@pytest.mark.parametrize("name,args,kwargs", LAYERS,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(LAYERS)])
def test_default_init_equals_torch_for_the_same_seed(name, args, kwargs):
    for seed in (0, 123):
        torch.manual_seed(seed)
        t_layer = getattr(torch.nn, name)(*args, **kwargs)
        ember.manual_seed(seed)
        e_layer = getattr(ember.nn, name)(*args, **kwargs)
        t_state, e_state = t_layer.state_dict(), e_layer.state_dict()
        assert list(e_state) == list(t_state)
        for key, value in t_state.items():
            assert_same(e_state[key], value, rtol=1e-6, atol=1e-7)
        # the generator is left where torch leaves it
        assert ember.rand(3).tolist() == torch.rand(3).tolist()


def _mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.25), nn.Linear(16, 16),
                         nn.Tanh(), nn.Linear(16, 3))


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_seeded_mlp_loss_curve_equals_torch(optimizer):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 6)).astype(np.float32)
    y = rng.integers(0, 3, size=32)
    curves = {}
    for lib in (torch, ember):
        lib.manual_seed(7)
        model = _mlp(lib)  # weights from the seeded stream
        opt = getattr(lib.optim, optimizer)(model.parameters(), lr=0.05)
        xs, ys = lib.tensor(x), lib.tensor(y)
        losses = []
        for _ in range(20):
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(xs), ys)  # dropout masks: seeded too
            loss.backward()
            opt.step()
            losses.append(loss.item())
        curves[lib.__name__] = losses
    # float32 rounding (2**-24 ~ 6e-8 per operation) in a different order on another CPU:
    # ~8 roundings per step that carry into the next, over 20 steps: 20 * 8 * 6e-8 ~ 1e-5
    np.testing.assert_allclose(curves["ember"], curves["torch"], rtol=1e-5, atol=1e-6)
