"""ember.vision.models: torchvision's parameter counts, state_dict keys, default inits, and
checkpoints written by torch loading into ember with the same logits.

torchvision cannot be installed next to torch 2.13 here, so the torch reference of each family
is the same architecture source run with torch (`_torch_family` swaps the imports); the
parameter counts, which pin the architecture, are torchvision's published figures.
"""

import contextlib
import importlib.util
import io
import pathlib
import sys
import types

import numpy as np
import pytest
import torch

import ember
from ember.vision import models

MODELS_DIR = pathlib.Path(__file__).resolve().parents[1] / "ember" / "vision" / "models"

# torchvision's documented parameter counts (weights=None, num_classes=1000)
PARAM_COUNTS = {
    "resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032,
    "resnet101": 44_549_160, "resnet152": 60_192_808, "resnext50_32x4d": 25_028_904,
    "wide_resnet50_2": 68_883_240, "vgg11": 132_863_336, "vgg11_bn": 132_868_840,
    "vgg13": 133_047_848, "vgg13_bn": 133_053_736, "vgg16": 138_357_544,
    "vgg16_bn": 138_365_992, "vgg19": 143_667_240, "vgg19_bn": 143_678_248,
    "alexnet": 61_100_840, "squeezenet1_0": 1_248_424, "squeezenet1_1": 1_235_496,
    "mobilenet_v2": 3_504_872, "mobilenet_v3_large": 5_483_032,
    "mobilenet_v3_small": 2_542_856, "densenet121": 7_978_856,
    "efficientnet_b0": 5_288_548, "shufflenet_v2_x1_0": 2_278_604, "vit_b_16": 86_567_656,
}


@contextlib.contextmanager
def _no_init():
    """Skip the random initialisation (slow for 100M-parameter models); shapes are what the
    count test needs."""
    names = ["kaiming_normal_", "kaiming_uniform_", "normal_", "uniform_", "trunc_normal_",
             "xavier_uniform_", "constant_", "zeros_", "ones_"]
    saved = {name: getattr(ember.nn.init, name) for name in names}
    try:
        for name in names:
            setattr(ember.nn.init, name, lambda tensor, *args, **kwargs: tensor)
        yield
    finally:
        for name, fn in saved.items():
            setattr(ember.nn.init, name, fn)


@pytest.mark.parametrize("name", sorted(PARAM_COUNTS))
def test_parameter_counts_match_torchvision(name):
    kwargs = {"aux_logits": False, "init_weights": True} if name == "googlenet" else {}
    with _no_init():
        model = getattr(models, name)(**kwargs)
    assert sum(p.numel() for p in model.parameters()) == PARAM_COUNTS[name]


def test_googlenet_count_and_aux_outputs():
    with _no_init():
        model = models.googlenet(aux_logits=False, init_weights=True)
    assert sum(p.numel() for p in model.parameters()) == 6_624_904
    with _no_init():
        model = models.googlenet(num_classes=7, init_weights=True)
    for p in model.parameters():
        p.data.normal_(0, 0.05)
    x = ember.randn(2, 3, 64, 64)
    out = model(x)
    assert isinstance(out, models.GoogLeNetOutputs)
    assert [tuple(t.shape) for t in out] == [(2, 7)] * 3
    model.eval()
    assert tuple(model(x).shape) == (2, 7)
    with pytest.warns(FutureWarning):
        models.googlenet(aux_logits=False, num_classes=3)


def _torch_family(filename):
    """Load ember/vision/models/<filename> with torch in place of ember."""
    package = "torch_reference_models"
    if package not in sys.modules:
        pkg = types.ModuleType(package)
        pkg.__path__ = []
        sys.modules[package] = pkg
    for name in ("_utils", filename):
        full = f"{package}.{name}"
        if full in sys.modules:
            continue
        source = (MODELS_DIR / f"{name}.py").read_text()
        source = (source.replace("from ember.nn import functional as F",
                                 "from torch.nn import functional as F")
                  .replace("from ember import nn", "from torch import nn")
                  .replace("import ember\n", "import torch as ember\n"))
        spec = importlib.util.spec_from_loader(full, loader=None)
        module = importlib.util.module_from_spec(spec)
        module.__package__ = package
        sys.modules[full] = module
        exec(compile(source, f"{name}.py", "exec"), module.__dict__)
    return sys.modules[f"{package}.{filename}"]


CASES = [
    ("resnet", "resnet18", {"num_classes": 10}, 32),
    ("resnet", "resnext50_32x4d", {"num_classes": 10}, 32),
    ("squeezenet", "squeezenet1_1", {"num_classes": 10}, 64),
    ("mobilenetv2", "mobilenet_v2", {"num_classes": 10}, 32),
    ("mobilenetv3", "mobilenet_v3_small", {"num_classes": 10}, 32),
    ("densenet", "densenet121", {"num_classes": 10}, 32),
    ("googlenet", "googlenet", {"num_classes": 10, "aux_logits": True, "init_weights": True},
     64),
    ("efficientnet", "efficientnet_b0", {"num_classes": 10}, 32),
    ("shufflenetv2", "shufflenet_v2_x1_0", {"num_classes": 10}, 32),
]


def _check_torch_checkpoint(tmodel, emodel, size, tmp_path):
    tmodel.eval()
    with torch.no_grad():  # non-trivial BN statistics, so eval mode is really tested
        for m in tmodel.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    path = tmp_path / "model.pth"
    torch.save(tmodel.state_dict(), path)
    state = ember.load(str(path))
    tkeys = list(tmodel.state_dict().keys())
    assert list(emodel.state_dict().keys()) == tkeys
    for key, value in emodel.state_dict().items():
        assert tuple(value.shape) == tuple(tmodel.state_dict()[key].shape), key
    emodel.load_state_dict(state)
    emodel.eval()
    x = np.random.default_rng(0).standard_normal((2, 3, size, size)).astype(np.float32)
    with torch.no_grad():
        expect = tmodel(torch.from_numpy(x)).numpy()
    with ember.no_grad():
        got = emodel(ember.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, expect, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("family,name,kwargs,size", CASES, ids=[c[1] for c in CASES])
def test_torch_checkpoint_loads_with_same_logits(family, name, kwargs, size, tmp_path):
    reference = _torch_family(family)
    torch.manual_seed(0)
    tmodel = getattr(reference, name)(**kwargs)
    with _no_init():
        emodel = getattr(models, name)(**kwargs)
    _check_torch_checkpoint(tmodel, emodel, size, tmp_path)


def test_vit_checkpoint_small_config(tmp_path):
    reference = _torch_family("vit")
    config = dict(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=16,
                  mlp_dim=32, num_classes=5)
    torch.manual_seed(0)
    tmodel = reference.VisionTransformer(**config)
    torch.nn.init.normal_(tmodel.heads.head.weight)  # torchvision zero-inits the head
    emodel = models.VisionTransformer(**config)
    _check_torch_checkpoint(tmodel, emodel, 32, tmp_path)
    with pytest.raises(ValueError, match="Wrong image height! Expected 32 but got 16!"):
        emodel(ember.randn(1, 3, 16, 32))


@pytest.mark.parametrize("name", ["vgg11_bn", "alexnet", "vit_b_16"])
def test_big_models_state_dict_layout(name):
    family = {"vgg11_bn": "vgg", "alexnet": "alexnet", "vit_b_16": "vit"}[name]
    tmodel = getattr(_torch_family(family), name)()
    with _no_init():
        emodel = getattr(models, name)()
    assert [(k, tuple(v.shape)) for k, v in emodel.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in tmodel.state_dict().items()]


def test_known_torchvision_keys():
    with _no_init():
        keys = set(models.resnet18().state_dict())
        assert {"conv1.weight", "bn1.running_mean", "layer1.0.conv1.weight",
                "layer2.0.downsample.0.weight", "layer2.0.downsample.1.num_batches_tracked",
                "fc.weight", "fc.bias"} <= keys
        keys = set(models.densenet121().state_dict())
        assert "features.denseblock1.denselayer1.norm1.weight" in keys
        assert "features.transition1.conv.weight" in keys
        keys = set(models.mobilenet_v3_small().state_dict())
        assert "features.1.block.1.fc1.weight" in keys
        keys = set(models.vit_b_16().state_dict())
        assert {"class_token", "encoder.pos_embedding", "conv_proj.weight",
                "encoder.layers.encoder_layer_0.self_attention.in_proj_weight",
                "encoder.layers.encoder_layer_11.mlp.3.weight", "heads.head.weight"} <= keys


def test_default_initialisation_statistics():
    ember.manual_seed(0)
    model = models.resnet18(num_classes=10)
    w = model.layer3[0].conv1.weight.detach().numpy()  # 256 x 128 x 3 x 3, fan_out = 256 * 9
    assert abs(w.std() - np.sqrt(2.0 / (256 * 9))) < 0.05 * np.sqrt(2.0 / (256 * 9))
    assert (model.bn1.weight.detach().numpy() == 1).all()
    bound = 1 / np.sqrt(512)  # fc keeps nn.Linear's default init
    assert np.abs(model.fc.weight.detach().numpy()).max() <= bound
    m2 = models.mobilenet_v2(num_classes=10)
    lin = m2.classifier[1].weight.detach().numpy()
    assert abs(lin.std() - 0.01) < 0.002 and (m2.classifier[1].bias.detach().numpy() == 0).all()
    vit = models.VisionTransformer(32, 8, 1, 2, 16, 32, num_classes=4)
    assert (vit.heads.head.weight.detach().numpy() == 0).all()
    assert abs(vit.encoder.pos_embedding.detach().numpy().std() - 0.02) < 0.005
    eff = models.efficientnet_b0(num_classes=10)
    assert np.abs(eff.classifier[1].weight.detach().numpy()).max() <= 1 / np.sqrt(10)
    zero = models.resnet18(num_classes=10, zero_init_residual=True)
    assert (zero.layer1[0].bn2.weight.detach().numpy() == 0).all()


def test_weights_refused_with_help():
    with pytest.raises(RuntimeError, match="cannot download pretrained weights for resnet18") as e:
        models.resnet18(weights="DEFAULT")
    assert "ember.load('resnet18.pth')" in str(e.value)
    with pytest.raises(RuntimeError, match="vgg16"):
        models.vgg16(pretrained=True)


def test_train_step_and_save_roundtrip(tmp_path):
    model = models.shufflenet_v2_x1_0(num_classes=3)
    opt = ember.optim.SGD(model.parameters(), lr=0.01)
    x = ember.randn(4, 3, 64, 64)
    loss = ember.nn.functional.cross_entropy(model(x), ember.tensor([0, 2, 1, 0]))
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())
    opt.step()
    buffer = io.BytesIO()
    ember.save(model.state_dict(), buffer)
    buffer.seek(0)
    clone = models.shufflenet_v2_x1_0(num_classes=3)
    clone.load_state_dict(ember.load(buffer))
    model.eval()
    clone.eval()
    out = model(x).detach().numpy()
    assert np.isfinite(out).all()
    assert np.array_equal(out, clone(x).detach().numpy())


@pytest.mark.parametrize("family,name", [("resnet", "resnet18"),
                                         ("shufflenetv2", "shufflenet_v2_x1_0")])
def test_train_mode_outputs_and_gradients_match_torch(family, name):
    torch.manual_seed(0)
    tmodel = getattr(_torch_family(family), name)(num_classes=3)
    with _no_init():
        emodel = getattr(models, name)(num_classes=3)
    buffer = io.BytesIO()
    torch.save(tmodel.state_dict(), buffer)
    buffer.seek(0)
    emodel.load_state_dict(ember.load(buffer))
    x = np.random.default_rng(0).standard_normal((4, 3, 64, 64)).astype(np.float32)
    target = [0, 2, 1, 0]
    tout = tmodel(torch.from_numpy(x))
    torch.nn.functional.cross_entropy(tout, torch.tensor(target)).backward()
    eout = emodel(ember.from_numpy(x))
    ember.nn.functional.cross_entropy(eout, ember.tensor(target)).backward()
    np.testing.assert_allclose(eout.detach().numpy(), tout.detach().numpy(), rtol=1e-4,
                               atol=1e-4)
    tparams = dict(tmodel.named_parameters())
    for key, p in emodel.named_parameters():
        expect = tparams[key].grad.numpy()
        np.testing.assert_allclose(p.grad.numpy(), expect, rtol=1e-3,
                                   atol=max(1e-3 * np.abs(expect).max(), 1e-5), err_msg=key)
    for key, buf in emodel.named_buffers():  # running statistics updated the same way
        np.testing.assert_allclose(buf.numpy(), dict(tmodel.named_buffers())[key].numpy(),
                                   rtol=1e-4, atol=1e-5, err_msg=key)


def _hand_built_torch_resnet18(num_classes):
    """torchvision's resnet18 written out directly in torch (independent of ember's source)."""
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
            shortcut = x if self.downsample is None else self.downsample(x)
            out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
            return self.relu(out + shortcut)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            widths = [(64, 64, 1), (64, 128, 2), (128, 256, 2), (256, 512, 2)]
            for i, (cin, cout, stride) in enumerate(widths):
                setattr(self, f"layer{i + 1}",
                        nn.Sequential(Block(cin, cout, stride), Block(cout, cout, 1)))
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512, num_classes)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(torch.flatten(self.avgpool(x), 1))

    return Net()


def test_hand_built_torch_resnet18_checkpoint(tmp_path):
    torch.manual_seed(1)
    tmodel = _hand_built_torch_resnet18(1000)
    assert sum(p.numel() for p in tmodel.parameters()) == PARAM_COUNTS["resnet18"]
    with _no_init():
        emodel = models.resnet18()
    _check_torch_checkpoint(tmodel, emodel, 32, tmp_path)
