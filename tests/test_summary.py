"""ember.utils.summary: torchinfo's table and totals, checked by hand and against torchinfo."""

import pytest
import torch

import ember
from ember.utils import _summary

ALL_COLS = ("input_size", "output_size", "num_params", "params_percent", "kernel_size",
            "mult_adds", "trainable")


def summary(model, **kwargs):
    return _summary.summary(model, verbose=0, **kwargs)


def torchinfo_text(model, **kwargs):
    torchinfo = pytest.importorskip("torchinfo")
    text = str(torchinfo.summary(model, verbose=0, **kwargs))
    # torchinfo 1.8 on Python >= 3.11 prints its unit enum's name instead of its value
    for name, unit in (("MEGABYTES", "M"), ("GIGABYTES", "G"), ("TERABYTES", "T")):
        text = text.replace(f"Units.{name}", unit)
    return text


def mlp(lib):
    nn = lib.nn
    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Sequential(nn.Linear(4, 2), nn.Tanh()))
    m[0].bias.requires_grad_(False)
    return m


def rnn_model(lib):
    nn = lib.nn

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(3, 4, batch_first=True)
            self.blocks = nn.ModuleList([nn.Linear(4, 4), nn.ReLU()])
            self.fc = nn.Linear(4, 1)

        def forward(self, x):
            out, _ = self.rnn(x)
            out = out[:, -1]
            for block in self.blocks:  # the ModuleList itself is never called
                out = block(out)
            out = self.blocks[0](out)  # called twice: (recursive)
            return self.fc(out)

    return Tagger()


def lenet(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


def resnet18(lib):
    nn = lib.nn

    class BasicBlock(nn.Module):
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
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return self.relu(out + identity)

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            cin = 64
            for i, width in enumerate([64, 128, 256, 512]):
                stride = 1 if i == 0 else 2
                setattr(self, f"layer{i + 1}", nn.Sequential(BasicBlock(cin, width, stride),
                                                             BasicBlock(width, width, 1)))
                cin = width
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512, 1000)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(self.avgpool(x).flatten(1))

    return ResNet()


def test_mlp_totals_by_hand():
    stats = summary(mlp(ember), input_size=(5, 3))
    assert stats.total_params == 3 * 4 + 4 + 4 * 2 + 2 == 26
    assert stats.trainable_params == 26 - 4  # the first bias is frozen
    # Linear: batch x parameters
    assert stats.total_mult_adds == 5 * 16 + 5 * 10
    # 2 x (outputs of the layers with parameters), float32; input 5x3 float32
    assert stats.total_output_bytes == 2 * 4 * (5 * 4 + 5 * 2)
    assert stats.total_input == 5 * 3 * 4
    assert stats.total_param_bytes == 26 * 4


def test_mlp_table_golden():
    text = str(summary(mlp(ember), input_size=(5, 3), col_names=("output_size", "num_params",
                                                                 "trainable")))
    rows = text.splitlines()
    assert rows[1].split() == ["Layer", "(type:depth-idx)", "Output", "Shape", "Param", "#",
                               "Trainable"]
    assert rows[3] == f"{'Sequential':<41}{'[5, 2]':<26}{'--':<26}Partial"
    assert rows[4] == f"{'├─Linear: 1-1':<41}{'[5, 4]':<26}{'16':<26}Partial"
    assert rows[5] == f"{'├─ReLU: 1-2':<41}{'[5, 4]':<26}{'--':<26}--"
    assert rows[7] == f"{'│    └─Linear: 2-1':<41}{'[5, 2]':<26}{'10':<26}True"
    assert "Total params: 26" in rows
    assert "Non-trainable params: 4" in rows
    assert "Total mult-adds (M): 0.00" in rows
    assert "Estimated Total Size (MB): 0.00" in rows
    assert len(rows[0]) == 40 + 3 * 25 and set(rows[0]) == {"="}


@pytest.mark.parametrize("make, size", [(mlp, (5, 3)), (rnn_model, (2, 7, 3)),
                                        (lenet, (2, 1, 28, 28))])
@pytest.mark.parametrize("options", [
    {},
    {"col_names": ALL_COLS},
    {"depth": 1},
    {"row_settings": ("var_names", "depth", "ascii_only")},
    {"no_input": True},
])
def test_same_table_as_torchinfo(make, size, options):
    options = dict(options)
    if not options.pop("no_input", False):
        options["input_size"] = size
    expected = torchinfo_text(make(torch), **options)
    assert str(summary(make(ember), **options)) == expected


def test_rnn_rows():
    stats = summary(rnn_model(ember), input_size=(2, 7, 3))
    names = [r.name(False, True) for r in stats.summary_list]
    assert names == ["Tagger", "LSTM: 1-1", "ModuleList: 1-2", "Linear: 2-1", "ReLU: 2-2",
                     "Linear: 2-3", "Linear: 1-3"]
    assert [r.is_recursive for r in stats.summary_list][5] is True
    lstm = stats.summary_list[1]
    assert lstm.output_size == [2, 7, 4]  # the first tensor of (output, (h, c))
    assert lstm.num_params == 4 * 4 * (3 + 4) + 2 * 4 * 4 == 144
    assert lstm.macs == 2 * 7 * 144  # RNN weights: batch x steps x parameters
    assert stats.total_params == 144 + 20 + 5  # the twice-called Linear counted once


def test_cnn_totals_by_hand():
    stats = summary(lenet(ember), input_size=(2, 1, 28, 28))
    conv1 = 6 * 1 * 5 * 5 + 6
    conv2 = 16 * 6 * 5 * 5 + 16
    fcs = 400 * 120 + 120 + 120 * 84 + 84 + 84 * 10 + 10
    assert stats.total_params == conv1 + conv2 + fcs == 61706
    # Conv: parameters x (batch x output positions); Linear: parameters x batch
    assert stats.total_mult_adds == conv1 * 2 * 28 * 28 + conv2 * 2 * 10 * 10 + fcs * 2


def test_resnet18():
    model = resnet18(ember)
    stats = summary(model, input_size=(1, 3, 32, 32), depth=4)
    assert stats.total_params == 11_689_512
    assert stats.trainable_params == 11_689_512
    text = str(stats)
    assert "Total params: 11,689,512" in text
    rows = [r for r in stats.summary_list if r.class_name == "BasicBlock"]
    assert [r.depth_index for r in rows] == list(range(1, 9))  # counted across the table
    for param in model.layer1.parameters():
        param.requires_grad_(False)
    frozen = summary(model)
    assert frozen.trainable_params == 11_689_512 - 147_968
    assert "(36,864)" in str(frozen)  # a frozen layer's count is in parentheses


def test_resnet18_same_table_as_torchinfo():
    options = dict(input_size=(1, 3, 32, 32), depth=4,
                   col_names=("input_size", "output_size", "num_params", "kernel_size",
                              "mult_adds"))
    assert str(summary(resnet18(ember), **options)) == torchinfo_text(resnet18(torch), **options)


def test_input_data_and_mode():
    model = ember.nn.Sequential(ember.nn.Linear(3, 2), ember.nn.Dropout(0.5)).double()
    model.train()
    seen = []
    model.register_forward_hook(lambda m, a, o: seen.append(m.training))
    stats = summary(model, input_data=ember.ones(4, 3, dtype=ember.float64))
    assert seen == [False] and model.training  # ran in eval mode, mode restored
    assert stats.total_input == 4 * 3 * 8
    assert stats.summary_list[1].output_size == [4, 2]
    summary(model, input_data=[ember.ones(4, 3, dtype=ember.float64)], mode="train")
    assert seen[-1] is True
    assert len(model[0]._forward_hooks) == 0  # summary's hooks are removed


def test_prints_by_default(capsys):
    stats = _summary.summary(mlp(ember), input_size=(5, 3))
    assert capsys.readouterr().out == str(stats) + "\n"


def test_bad_arguments():
    model = mlp(ember)
    with pytest.raises(RuntimeError, match="Only one of"):
        summary(model, input_size=(5, 3), input_data=ember.ones(5, 3))
    with pytest.raises(ValueError, match="input_data or input_size"):
        summary(model, col_names=("output_size",))
    with pytest.raises(ValueError, match="not a valid column"):
        summary(model, input_size=(5, 3), col_names=("shape",))
    with pytest.raises(ValueError, match="negative size"):
        summary(model, input_size=(0, 3))
