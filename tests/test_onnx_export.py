"""ember.onnx.export against onnxruntime and against torch's own exporter.

For each model family of issue 19: ember writes the file, onnx.checker accepts it, and
onnxruntime's outputs equal ember's eval outputs at two batch sizes through the dynamic batch
axis; the same architecture built in torch with ember's weights (copied via state_dict) and
exported by torch (the TorchScript exporter: the dynamo one needs onnxscript) gives the same
onnxruntime outputs as ember's file.

Tolerance: float32 carries about 6e-8 relative rounding per operation; onnxruntime and ember
add and multiply in different orders (blocked GEMMs, fused kernels), so outputs made by a few
hundred roundings agree to ~1e-6 of their scale. The issue's bound, atol = 1e-5 x the output's
largest magnitude, is used unchanged.
"""

import io
import math
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.vision.models

onnx = pytest.importorskip("onnx", reason="ember[onnx] extra not installed (onnx)")
ort = pytest.importorskip("onnxruntime", reason="ember[onnx] extra not installed (onnxruntime)")


# ---------------------------------------------------------------------------- helpers

def ember_to_torch(em, tm):
    """Copy ember's weights into the torch twin (through state_dict and NumPy)."""
    sd = {k: torch.from_numpy(np.array(v.detach().numpy())) for k, v in em.state_dict().items()}
    tm.load_state_dict(sd)
    return tm.eval()


def run(data, feeds):
    sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def close(got, want, what):
    """|got - want| <= 1e-5 x the output's scale (its largest magnitude, at least 1e-3)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (what, got.shape, want.shape)
    if want.dtype.kind in "biu":
        np.testing.assert_array_equal(got, want, err_msg=what)
        return
    scale = max(float(np.abs(want).max()), 1e-3)
    diff = float(np.abs(got.astype(np.float64) - want).max())
    assert diff <= 1e-5 * scale, f"{what}: max |diff| {diff:.3g} > 1e-5 x scale {scale:.3g}"


def as_tuple(y):
    if isinstance(y, (tuple, list)):
        out = []
        for v in y:
            out.extend(as_tuple(v))
        return out
    return [y]


def export_bytes(lib, model, args, **kw):
    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's deprecation of the TorchScript exporter
        if lib is torch:
            kw.setdefault("dynamo", False)
        lib.onnx.export(model, args, f, **kw)
    return f.getvalue()


def check_family(make, inputs, names, dyn_batch=True, torch_too=True, batch_sizes=(2, 3),
                 out_names=None, extra=None):
    """Export ``make(ember)`` and compare onnxruntime with ember (and with torch's file).

    ``inputs(lib, batch)`` gives the example inputs (a tuple of NumPy-made tensors)."""
    em = make(ember).eval()
    args = tuple(ember.from_numpy(a) for a in inputs(batch_sizes[0]))
    out_names = out_names or ["out"]
    dyn = {n: {0: "batch"} for n in names + out_names} if dyn_batch else None
    data = export_bytes(ember, em, args, input_names=names, output_names=out_names,
                        dynamic_axes=dyn, **(extra or {}))
    proto = onnx.load_from_string(data)
    onnx.checker.check_model(proto, full_check=True)
    assert [i.name for i in proto.graph.input] == names
    assert [o.name for o in proto.graph.output] == out_names
    if dyn_batch:
        assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    params = dict(em.state_dict())
    for init in proto.graph.initializer:  # parameters keep their state_dict names
        if not init.name.startswith("_") and ".onnx_" not in init.name:
            assert init.name in params, init.name
    theirs = None
    if torch_too:
        tm = ember_to_torch(em, make(torch))
        targs = tuple(torch.from_numpy(a) for a in inputs(batch_sizes[0]))
        theirs = export_bytes(torch, tm, targs, input_names=names, output_names=out_names,
                              dynamic_axes=dyn)
    for b in batch_sizes if dyn_batch else batch_sizes[:1]:
        arrays = inputs(b)
        with ember.no_grad():
            want = [t.numpy() for t in as_tuple(em(*[ember.from_numpy(a) for a in arrays]))]
        feeds = dict(zip(names, arrays))
        got = run(data, feeds)
        assert len(got) == len(want)
        for i, (g, w) in enumerate(zip(got, want)):
            close(g, w, f"ember's file vs ember, output {i}, batch {b}")
        if theirs is not None:
            for i, (g, t) in enumerate(zip(got, run(theirs, feeds))):
                close(g, t, f"ember's file vs torch's file, output {i}, batch {b}")
    return proto


def randn(*shape, seed=0):
    return np.random.default_rng(seed + sum(shape)).standard_normal(shape).astype(np.float32)


def op_types(proto):
    return {n.op_type for n in proto.graph.node}


# ---------------------------------------------------------------------------- the families

def make_mlp(lib):
    lib.manual_seed(0)
    nn = lib.nn
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 4))


def test_mlp_gemm_and_names_and_dropout_removed():
    proto = check_family(make_mlp, lambda b: (randn(b, 8),), ["x"])
    assert sorted(n.op_type for n in proto.graph.node) == ["Gemm", "Gemm", "Relu"]
    assert sorted(i.name for i in proto.graph.initializer) == \
        ["0.bias", "0.weight", "3.bias", "3.weight"]


class _LeNet:
    """LeNet-5 for both libraries: conv-relu-maxpool twice, flatten, three linear layers."""

    @staticmethod
    def make(lib):
        nn, F = lib.nn, lib.nn.functional

        class LeNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
                self.conv2 = nn.Conv2d(6, 16, 5)
                self.fc1 = nn.Linear(16 * 5 * 5, 120)
                self.fc2 = nn.Linear(120, 84)
                self.fc3 = nn.Linear(84, 10)

            def forward(self, x):
                x = F.max_pool2d(F.relu(self.conv1(x)), 2)
                x = F.max_pool2d(F.relu(self.conv2(x)), 2)
                x = lib.flatten(x, 1)
                return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))

        lib.manual_seed(0)
        return LeNet()


def test_lenet5():
    proto = check_family(_LeNet.make, lambda b: (randn(b, 1, 28, 28),), ["image"],
                         out_names=["logits"])
    assert {"Conv", "MaxPool", "Gemm", "Relu"} <= op_types(proto)


def _torch_resnet18(num_classes):
    """torchvision's resnet18, written out (torchvision is not a test dependency): the same
    modules under the same state_dict names."""
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                                nn.BatchNorm2d(cout))

        def forward(self, x):
            out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
            identity = x if self.downsample is None else self.downsample(x)
            return self.relu(out + identity)

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            widths = [(64, 64, 1), (64, 128, 2), (128, 256, 2), (256, 512, 2)]
            for i, (cin, cout, stride) in enumerate(widths, 1):
                setattr(self, f"layer{i}", nn.Sequential(Block(cin, cout, stride),
                                                         Block(cout, cout, 1)))
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(512, num_classes)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(torch.flatten(self.avgpool(x), 1))

    return ResNet()


def _torch_mobilenet_v2(num_classes):
    """torchvision's mobilenet_v2 (width 1.0), written out like _torch_resnet18."""
    nn = torch.nn

    def conv_bn_relu6(cin, cout, kernel, stride=1, groups=1):
        return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2,
                                       groups=groups, bias=False),
                             nn.BatchNorm2d(cout), nn.ReLU6(inplace=True))

    class InvertedResidual(nn.Module):
        def __init__(self, cin, cout, stride, expand):
            super().__init__()
            hidden = cin * expand
            self.use_res_connect = stride == 1 and cin == cout
            layers = [conv_bn_relu6(cin, hidden, 1)] if expand != 1 else []
            layers += [conv_bn_relu6(hidden, hidden, 3, stride, hidden),
                       nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
            self.conv = nn.Sequential(*layers)

        def forward(self, x):
            return x + self.conv(x) if self.use_res_connect else self.conv(x)

    class MobileNetV2(nn.Module):
        def __init__(self):
            super().__init__()
            features = [conv_bn_relu6(3, 32, 3, 2)]
            cin = 32
            for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                               (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
                for i in range(n):
                    features.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                    cin = c
            features.append(conv_bn_relu6(cin, 1280, 1))
            self.features = nn.Sequential(*features)
            self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, num_classes))

        def forward(self, x):
            x = nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
            return self.classifier(torch.flatten(x, 1))

    return MobileNetV2()


def _vision(name):
    def make(lib):
        lib.manual_seed(0)
        if lib is torch:
            return {"resnet18": _torch_resnet18, "mobilenet_v2": _torch_mobilenet_v2}[name](10)
        return getattr(ember.vision.models, name)(num_classes=10)
    return make


def _randomize_bn(model):
    """Give BatchNorm layers non-trivial running statistics (fresh ones are 0 and 1)."""
    rng = np.random.default_rng(1)
    for m in model.modules():
        if isinstance(m, ember.nn.modules.batchnorm._BatchNorm):
            m.running_mean.copy_(ember.from_numpy(
                rng.standard_normal(m.num_features).astype(np.float32) * 0.1))
            m.running_var.copy_(ember.from_numpy(
                rng.uniform(0.5, 1.5, m.num_features).astype(np.float32)))
    return model


def _with_bn_stats(make):
    def made(lib):
        m = make(lib)
        return _randomize_bn(m) if lib is ember else m
    return made


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2"])
def test_vision_models(name):
    proto = check_family(_with_bn_stats(_vision(name)), lambda b: (randn(b, 3, 32, 32),),
                         ["input"], batch_sizes=(1, 2))
    assert "Conv" in op_types(proto)


def make_encoder(lib):
    lib.manual_seed(0)
    nn = lib.nn
    layer = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.1, batch_first=True)

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
            self.head = nn.Linear(32, 5)

        def forward(self, x):
            return self.head(self.enc(x).mean(1))

    return Encoder()


def test_transformer_encoder():
    proto = check_family(make_encoder, lambda b: (randn(b, 6, 32),), ["tokens"])
    assert "LayerNormalization" in op_types(proto)


class _GPT:
    """A nanoGPT-style decoder: token and position embeddings, pre-norm blocks with causal
    masked-softmax attention (block 0) or scaled_dot_product_attention (block 1), MLP with
    GELU (tanh form in block 0, exact in block 1), final norm and a weight-tied head."""

    @staticmethod
    def make(lib):
        nn, F = lib.nn, lib.nn.functional
        V, T, C, H = 23, 8, 16, 2

        class Block(nn.Module):
            def __init__(self, k):
                super().__init__()
                self.k = k
                self.ln_1 = nn.LayerNorm(C)
                self.c_attn = nn.Linear(C, 3 * C)
                self.c_proj = nn.Linear(C, C)
                self.ln_2 = nn.LayerNorm(C)
                self.fc = nn.Linear(C, 4 * C)
                self.proj = nn.Linear(4 * C, C)
                self.register_buffer("bias", lib.tril(lib.ones(T, T)).view(1, 1, T, T))

            def forward(self, x):
                B, t, _ = x.size()
                q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
                q = q.view(B, t, H, C // H).transpose(1, 2)
                k = k.view(B, t, H, C // H).transpose(1, 2)
                v = v.view(B, t, H, C // H).transpose(1, 2)
                if self.k == 0:
                    att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
                    att = att.masked_fill(self.bias[:, :, :t, :t] == 0, float("-inf"))
                    y = F.softmax(att, dim=-1) @ v
                else:
                    y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
                y = y.transpose(1, 2).contiguous().view(B, t, C)
                x = x + self.c_proj(y)
                h = self.fc(self.ln_2(x))
                h = F.gelu(h, approximate="tanh") if self.k == 0 else F.gelu(h)
                return x + self.proj(h)

        class GPT(nn.Module):
            def __init__(self):
                super().__init__()
                self.wte = nn.Embedding(V, C)
                self.wpe = nn.Embedding(T, C)
                self.h = nn.ModuleList([Block(0), Block(1)])
                self.ln_f = nn.LayerNorm(C)
                self.lm_head = nn.Linear(C, V, bias=False)
                self.lm_head.weight = self.wte.weight

            def forward(self, idx):
                b, t = idx.size()
                pos = lib.arange(0, t, dtype=lib.long)
                x = self.wte(idx) + self.wpe(pos)
                for block in self.h:
                    x = block(x)
                return self.lm_head(self.ln_f(x))

        lib.manual_seed(0)
        return GPT()


def gpt_inputs(b):
    return (np.random.default_rng(b).integers(0, 23, (b, 8)).astype(np.int64),)


def test_nanogpt_decoder():
    proto = check_family(_GPT.make, gpt_inputs, ["idx"], out_names=["logits"])
    assert {"Gather", "LayerNormalization", "Softmax", "Erf", "Tanh"} <= op_types(proto)


def test_nanogpt_decoder_with_dynamic_sequence_length():
    """Batch and sequence both free: the positions (arange(t)), the mask slice
    bias[:, :, :t, :t] and is_causal's mask follow t at run time."""
    em = _GPT.make(ember).eval()
    dyn = {"idx": {0: "batch", 1: "seq"}, "logits": {0: "batch", 1: "seq"}}
    data = export_bytes(ember, em, (ember.from_numpy(gpt_inputs(2)[0]),), input_names=["idx"],
                        output_names=["logits"], dynamic_axes=dyn)
    tm = ember_to_torch(em, _GPT.make(torch))
    for b, t in ((2, 8), (3, 5), (1, 1)):
        x = gpt_inputs(b)[0][:, :t]
        got = run(data, {"idx": x})[0]
        with ember.no_grad():
            close(got, em(ember.from_numpy(x)).numpy(), f"ember's file vs ember at {b}x{t}")
        with torch.no_grad():
            close(got, tm(torch.from_numpy(x)).numpy(), f"ember's file vs torch at {b}x{t}")


def make_lstm(lib):
    nn = lib.nn

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(11, 8)
            self.rnn = nn.LSTM(8, 12, num_layers=2, batch_first=True)
            self.out = nn.Linear(12, 3)

        def forward(self, idx):
            y, (h, c) = self.rnn(self.emb(idx))
            return self.out(y[:, -1]), h, c

    lib.manual_seed(0)
    return Tagger()


def test_lstm_as_onnx_lstm():
    proto = check_family(make_lstm, lambda b: (np.arange(b * 5).reshape(b, 5) % 11,),
                         ["idx"], out_names=["logits", "h", "c"])
    assert [n.op_type for n in proto.graph.node].count("LSTM") == 2
    dyn = {"idx": {0: "batch", 1: "seq"}, "logits": {0: "batch"}, "h": {1: "batch"},
           "c": {1: "batch"}}
    em = make_lstm(ember).eval()
    data = export_bytes(ember, em, (ember.arange(10).view(2, 5),), input_names=["idx"],
                        output_names=["logits", "h", "c"], dynamic_axes=dyn)
    x = np.arange(28).reshape(4, 7) % 11
    with ember.no_grad():
        want = em(ember.from_numpy(x))
    for g, w in zip(run(data, {"idx": x}), want):  # batch and sequence length both changed
        close(g, w.numpy(), "LSTM at batch 4, length 7")


def make_gru(lib):
    lib.manual_seed(0)
    return lib.nn.GRU(6, 7, num_layers=1, bidirectional=True)


def test_gru_bidirectional_with_initial_state():
    def inputs(b):
        return randn(5, b, 6), randn(2, b, 7, seed=1)
    dyn = {"x": {1: "batch"}, "h0": {1: "batch"}, "y": {1: "batch"}, "h": {1: "batch"}}
    em = make_gru(ember).eval()
    data = export_bytes(ember, em, tuple(ember.from_numpy(a) for a in inputs(2)),
                        input_names=["x", "h0"], output_names=["y", "h"], dynamic_axes=dyn)
    assert "GRU" in op_types(onnx.load_from_string(data))
    tm = ember_to_torch(em, make_gru(torch))
    for b in (2, 3):
        arrays = inputs(b)
        with ember.no_grad():
            want = em(*[ember.from_numpy(a) for a in arrays])
        got = run(data, dict(zip(["x", "h0"], arrays)))
        with torch.no_grad():
            twant = tm(*[torch.from_numpy(a) for a in arrays])
        for g, w, t in zip(got, want, twant):
            close(g, w.numpy(), f"GRU batch {b}")
            close(g, t.numpy(), f"GRU vs torch batch {b}")


def make_upsampler(lib):
    nn, F = lib.nn, lib.nn.functional

    class Up(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, padding=1)
            self.bn = nn.BatchNorm2d(4)

        def forward(self, x):
            x = F.relu(self.bn(self.conv(x)))
            a = F.interpolate(x, scale_factor=2, mode="nearest")
            b = F.interpolate(x, size=(9, 11), mode="bilinear", align_corners=False)
            c = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
            return a, b, c

    lib.manual_seed(0)
    return Up()


def test_interpolate_and_batchnorm():
    proto = check_family(_with_bn_stats(make_upsampler), lambda b: (randn(b, 3, 6, 7),),
                         ["x"], out_names=["nearest", "bilinear", "corners"])
    # BatchNorm in eval mode is folded into the convolution, as torch's exporter does
    assert [n.op_type for n in proto.graph.node][:2] == ["Conv", "Relu"]
    names = {i.name for i in proto.graph.initializer}
    assert "bn.running_mean" not in names and "_fused.conv.weight" in names


def test_batchnorm_unfolded_keeps_its_buffers_named():
    proto = check_family(_with_bn_stats(make_upsampler), lambda b: (randn(b, 3, 6, 7),),
                         ["x"], out_names=["nearest", "bilinear", "corners"],
                         torch_too=False, extra={"do_constant_folding": False})
    names = {i.name for i in proto.graph.initializer}
    assert {"bn.running_mean", "bn.running_var", "bn.weight", "bn.bias"} <= names


def make_mlp_bn(lib):
    lib.manual_seed(0)
    nn = lib.nn
    return nn.Sequential(nn.Linear(6, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 2))


def test_batchnorm1d_folded_into_the_linear():
    proto = check_family(_with_bn_stats(make_mlp_bn), lambda b: (randn(b, 6),), ["x"])
    assert [n.op_type for n in proto.graph.node] == ["Gemm", "Relu", "Gemm"]
