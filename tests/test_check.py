"""python -m ember.check: the torch names a script uses, supported or missing (AST only)."""

import subprocess
import sys

import ember
from ember import check

from conftest import subprocess_env

SCRIPT = '''\
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim import SGD
from torch.utils.data import DataLoader, TensorDataset
from torch.nn import Linear as Dense


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = Dense(4, 2)
        self.odd = nn.NotALayerInEmber(3)

    def forward(self, x):
        return F.relu(self.fc(x)) + F.no_such_function(x)


x = torch.randn(8, 4)
y = x.view(2, 16) * 2
z = y.frobnicate()
w = y.sum(dim=0)
n = w.T.shape
open("never-created.txt", "w")  # nothing runs: this file must not appear
model = Net()
opt = SGD(model.parameters(), lr=0.1)
loader = DataLoader(TensorDataset(x, x), batch_size=2)
print(x.shape, torch.float32, torch.not_a_torch_name)
'''


def test_supported_and_missing_names():
    report = check.check_source(SCRIPT, "train.py")
    assert set(report.missing) == {"torch.nn.NotALayerInEmber",
                                   "torch.nn.functional.no_such_function",
                                   "torch.Tensor.frobnicate", "torch.not_a_torch_name"}
    assert set(report.supported) == {
        "torch.nn", "torch.nn.functional", "torch.optim.SGD", "torch.utils.data.DataLoader",
        "torch.utils.data.TensorDataset", "torch.nn.Linear", "torch.nn.Module",
        "torch.randn", "torch.Tensor.view", "torch.Tensor.sum", "torch.Tensor.shape",
        "torch.Tensor.T", "torch.float32", "torch.nn.functional.relu"}
    assert report.missing["torch.Tensor.frobnicate"] == [21]
    assert report.supported["torch.optim.SGD"] == [4, 26]
    assert report.supported["torch.nn.Linear"] == [6]  # imported under another name


def test_report_text():
    text = str(check.check_source(SCRIPT, "train.py"))
    lines = text.splitlines()
    assert lines[0] == "train.py: 18 torch names used, 14 supported, 4 missing in ember"
    assert lines[1] == "  missing:"
    assert lines[2] == f"    {'torch.nn.NotALayerInEmber':<44} line 13"
    assert "supported:" in text and f"    {'torch.randn':<44} line 19" in lines


def test_names_come_from_embers_namespaces(monkeypatch):
    assert "torch.nn.NotALayerInEmber" in check.check_source(SCRIPT).missing
    monkeypatch.setattr(ember.nn, "NotALayerInEmber", object, raising=False)
    assert "torch.nn.NotALayerInEmber" in check.check_source(SCRIPT).supported
    monkeypatch.setattr(ember.Tensor, "frobnicate", lambda self: self, raising=False)
    assert "torch.Tensor.frobnicate" in check.check_source(SCRIPT).supported


def test_command_line(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    result = subprocess.run([sys.executable, "-m", "ember.check", str(script)],
                            capture_output=True, text=True, cwd=tmp_path, timeout=120,
                            env=subprocess_env())
    assert result.returncode == 1  # something is missing
    assert result.stdout.startswith(f"{script}: 18 torch names used, 14 supported, 4 missing")
    assert not (tmp_path / "never-created.txt").exists()  # the script was not run
    good = tmp_path / "good.py"
    good.write_text("import torch\nprint(torch.zeros(3).sum())\n")
    assert check.main([str(good)]) == 0
    assert check.main([str(tmp_path / "absent.py")]) == 2
    assert check.main([]) == 2
