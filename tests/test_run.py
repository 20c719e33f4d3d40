"""python -m ember.run: an unchanged PyTorch script runs on ember, as ``python script.py`` would
run it (argv, __name__, sys.path[0], exit status, exceptions); ember.check knows the names."""

import subprocess
import sys
import textwrap

import pytest

import ember
from ember import check

from conftest import same_random_streams_as_torch, subprocess_env


def run_script(tmp_path, source, *args, via_ember=True, name="script.py"):
    """Run ``source`` as a script in a child Python, through ember.run or plain python."""
    script = tmp_path / name
    script.write_text(textwrap.dedent(source))
    prefix = [sys.executable, "-m", "ember.run"] if via_ember else [sys.executable]
    return subprocess.run([*prefix, str(script), *args], capture_output=True, text=True,
                          env=subprocess_env(), cwd=tmp_path, timeout=120)


def test_argv_name_and_path_as_python_gives_them(tmp_path):
    source = """
        import os, sys
        print(repr(__name__), sys.argv[1:], os.path.basename(sys.argv[0]))
        print(sys.path[0] == os.path.dirname(os.path.realpath(__file__)))
    """
    ours = run_script(tmp_path, source, "a", "--b=1", "c d")
    plain = run_script(tmp_path, source, "a", "--b=1", "c d", via_ember=False)
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == plain.stdout
    assert ours.stdout.splitlines() == ["'__main__' ['a', '--b=1', 'c d'] script.py", "True"]


def test_torch_imports_are_ember_modules_themselves(tmp_path):
    source = """
        import sys
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch import optim
        from torch.utils.data import DataLoader
        from torchvision import transforms
        import torchvision.transforms.functional as TF
        import torchvision
        import ember
        import ember.vision.transforms.functional
        checks = [torch is ember, nn is ember.nn, F is ember.nn.functional, optim is ember.optim,
                  DataLoader is ember.utils.data.DataLoader, torchvision is ember.vision,
                  transforms is ember.vision.transforms,
                  TF is ember.vision.transforms.functional,
                  sys.modules["torch.nn"] is ember.nn, sys.modules["torchvision"] is ember.vision]
        x = torch.randn(3, 4)
        layer = nn.Linear(4, 2)
        checks += [isinstance(x, ember.Tensor), isinstance(layer, ember.nn.Module),
                   isinstance(layer.weight, torch.nn.Parameter)]
        print(checks)
        print(F.relu(layer(x)).shape)
    """
    result = run_script(tmp_path, source)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["[" + ", ".join(["True"] * 13) + "]",
                                          "ember.Size([3, 2])"]


def test_a_missing_submodule_says_so_and_points_to_check(tmp_path):
    result = run_script(tmp_path, "import torch\nimport torch.no_such_module\n")
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError: ember has no module 'ember.no_such_module' "
                           "(torch.no_such_module)")
    assert "python -m ember.check" in last
    # a try/except ImportError around an optional import still works
    source = """
        try:
            import torchvision.no_such_module
        except ImportError as e:
            print(type(e).__name__, e.name)
    """
    result = run_script(tmp_path, source)
    assert result.stdout == "ModuleNotFoundError torchvision.no_such_module\n", result.stderr


def test_a_missing_top_level_name_says_so_and_points_to_check(tmp_path):
    result = run_script(tmp_path, "import torch\ntorch.no_such_name(3)\n")
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("AttributeError: module 'ember' has no attribute 'no_such_name' "
                           "(torch.no_such_name)")
    assert "python -m ember.check" in last
    assert not hasattr(ember, "no_such_name")  # hasattr still answers False


def test_exit_status_and_exceptions_as_python(tmp_path):
    cases = {
        "import sys\nsys.exit(3)\n": 3,
        "raise SystemExit('bye')\n": 1,
        "raise ValueError('boom')\n": 1,
        "def f():\n    return 1 / 0\n\nf()\n": 1,
        "try:\n    {}['k']\nexcept KeyError as e:\n    raise RuntimeError('x') from e\n": 1,
        "print('fine')\n": 0,
    }
    for source, status in cases.items():
        ours = run_script(tmp_path, source)
        plain = run_script(tmp_path, source, via_ember=False)
        assert ours.returncode == plain.returncode == status, source
        assert ours.stderr == plain.stderr  # the traceback starts at the script's frames
        assert ours.stdout == plain.stdout


def test_module_mode_and_usage(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "train.py").write_text(
        "import sys, torch\nprint(__name__, sys.argv[1:], torch.__name__)\n")
    result = subprocess.run([sys.executable, "-m", "ember.run", "-m", "pkg.train", "x", "-y"],
                            capture_output=True, text=True, env=subprocess_env(), cwd=tmp_path,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "__main__ ['x', '-y'] ember\n"
    usage = subprocess.run([sys.executable, "-m", "ember.run"], capture_output=True, text=True,
                           env=subprocess_env(), timeout=120)
    assert usage.returncode == 2 and "usage: python -m ember.run" in usage.stderr
    missing = subprocess.run([sys.executable, "-m", "ember.run", str(tmp_path / "nope.py")],
                             capture_output=True, text=True, env=subprocess_env(), timeout=120)
    assert missing.returncode == 2 and "nope.py" in missing.stderr


@pytest.fixture
def installed():
    from ember import run

    saved = {k: v for k, v in sys.modules.items() if k.partition(".")[0] in run.ALIASES}
    for name in saved:
        del sys.modules[name]  # this test process has the real torch imported
    run.install()
    run.install()  # idempotent
    yield run
    run.uninstall()
    sys.modules.update(saved)


def test_install_and_uninstall_in_process(installed):
    from ember import run

    assert sum(finder is run._finder for finder in sys.meta_path) == 1
    import torch as mapped  # noqa: PLC0415 - the point of the test
    import torch.nn.functional as functional  # noqa: PLC0415

    assert mapped is ember and functional is ember.nn.functional
    run.uninstall()
    assert run._finder not in sys.meta_path
    assert "torch" not in sys.modules and "torch.nn.functional" not in sys.modules


SCRIPT = """\
import torch
import torchvision
from torchvision import transforms
torch.backends.cudnn.benchmark = True
torch.backends.cudnn.deterministic = False
print(torch.accelerator.is_available(), torch.backends.cuda.matmul.allow_tf32)
device = torch.accelerator.current_accelerator() or torch.device("cpu")
scaler = torch.amp.GradScaler(enabled=False)
print(torch.pi, torch.testing.assert_close, torch.nn.parallel.DataParallel)
print(transforms.Compose, torchvision.models.resnet18, torchvision.no_such_name)
"""


def test_check_knows_the_setup_names_and_torchvision():
    report = check.check_source(SCRIPT)
    assert set(report.missing) == {"torchvision.no_such_name"}
    for name in ("torch.backends.cudnn.benchmark", "torch.backends.cudnn.deterministic",
                 "torch.accelerator.is_available", "torch.backends.cuda.matmul.allow_tf32",
                 "torch.accelerator.current_accelerator", "torch.amp.GradScaler", "torch.pi",
                 "torch.testing.assert_close", "torch.nn.parallel.DataParallel",
                 "torchvision.transforms.Compose", "torchvision.models.resnet18"):
        assert name in report.supported, name


TYPICAL = """
import argparse
import random

import numpy as np
import torch
import torch.backends.cudnn as cudnn
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=1)
parser.add_argument("--amp", action="store_true")
args = parser.parse_args()

torch.manual_seed(0)
random.seed(0)
np.random.seed(0)
cudnn.benchmark = True
cudnn.deterministic = True
torch.backends.cuda.matmul.allow_tf32 = True
torch.set_float32_matmul_precision("high")
torch.use_deterministic_algorithms(True, warn_only=True)
if torch.cuda.is_available():
    device = torch.device("cuda")
elif torch.backends.mps.is_available():
    device = torch.device("mps")
else:
    device = torch.device("cpu")
use_amp = args.amp and device.type == "cuda"


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


model = Net().to(device)
if torch.cuda.device_count() > 1:
    model = nn.DataParallel(model)
optimizer = optim.SGD(model.parameters(), lr=0.1)
scaler = torch.amp.GradScaler(device.type, enabled=use_amp)
x = torch.randn(32, 4)
y = torch.randint(0, 3, (32,))
loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True)
for epoch in range(args.epochs):
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device_type=device.type, enabled=use_amp):
            loss = F.cross_entropy(model(xb), yb)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    print(f"epoch {epoch} loss {loss.item():.4f}")
torch.testing.assert_close(model(x).sum(axis=1, keepdims=True).shape[1], 1)
print("done on", device, torch.get_float32_matmul_precision())
"""


@same_random_streams_as_torch
def test_a_typical_script_runs_unchanged(tmp_path):
    """The first lines public training scripts share (seeds, cudnn flags, device choice, amp
    scaler and autocast off on the CPU, DataParallel guard) run as they are."""
    ours = run_script(tmp_path, TYPICAL, "--epochs", "2", "--amp")
    assert ours.returncode == 0, ours.stderr
    lines = ours.stdout.splitlines()
    assert [line.split(" loss ")[0] for line in lines[:2]] == ["epoch 0", "epoch 1"]
    assert lines[2] == "done on cpu high"
    # the same script on torch prints the same losses (same seeds, shuffles and inits)
    plain = run_script(tmp_path, TYPICAL, "--epochs", "2", "--amp", via_ember=False)
    assert plain.returncode == 0, plain.stderr
    assert ours.stdout == plain.stdout


def test_missing_names_in_the_common_namespaces_say_so():
    """nn.X, F.x, optim.X, torchvision.models.x ... name torch's spelling and ember.check;
    hasattr and the names that exist are unchanged."""
    import ember.nn.functional
    import ember.vision.models

    for module, torch_prefix in ((ember, "torch"), (ember.nn, "torch.nn"),
                                 (ember.nn.functional, "torch.nn.functional"),
                                 (ember.optim, "torch.optim"), (ember.cuda, "torch.cuda"),
                                 (ember.utils.data, "torch.utils.data"),
                                 (ember.vision, "torchvision"),
                                 (ember.vision.models, "torchvision.models"),
                                 (ember.vision.transforms, "torchvision.transforms")):
        with pytest.raises(AttributeError) as info:
            module.no_such_name_here  # noqa: B018 - the lookup is the test
        assert str(info.value) == (
            f"module '{module.__name__}' has no attribute 'no_such_name_here' "
            f"({torch_prefix}.no_such_name_here): ember lacks this PyTorch name; run python -m "
            f"ember.check script.py to list every torch name a script uses that ember lacks")
        assert not hasattr(module, "no_such_name_here")
        assert not hasattr(module, "__wrapped__")
    assert ember.nn.Linear is ember.nn.modules.linear.Linear
