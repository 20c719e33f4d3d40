"""The demo (the classic linear-regression template) runs and matches torch step for step."""

import importlib.util
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _load_example(name, use_torch):
    source = (ROOT / "examples" / f"{name}.py").read_text()
    if use_torch:
        source = (source.replace("import ember as torch", "import torch")
                  .replace("import ember.nn as nn", "import torch.nn as nn")
                  .replace("import ember.optim as optim", "import torch.optim as optim"))
    spec = importlib.util.spec_from_loader(f"example_{name}_{use_torch}", loader=None)
    module = importlib.util.module_from_spec(spec)
    exec(compile(source, str(ROOT / "examples" / f"{name}.py"), "exec"), module.__dict__)
    return module


def test_linear_regression_matches_torch(capsys):
    ember_module = _load_example("linear_regression", use_torch=False)
    w, b = ember_module.main()
    ember_out = capsys.readouterr().out
    torch_module = _load_example("linear_regression", use_torch=True)
    tw, tb = torch_module.main()
    torch_out = capsys.readouterr().out
    assert w == pytest.approx(2.0, abs=1e-2) and b == pytest.approx(1.0, abs=1e-2)
    # same seed, same init, same losses printed (to 5 significant digits)
    ember_losses = [float(line.split("Loss: ")[1]) for line in ember_out.splitlines()
                    if "Loss" in line]
    torch_losses = [float(line.split("Loss: ")[1]) for line in torch_out.splitlines()
                    if "Loss" in line]
    assert len(ember_losses) == len(torch_losses) == 20
    for e, t in zip(ember_losses, torch_losses):
        assert e == pytest.approx(t, rel=1e-5, abs=1e-9)
    assert w == pytest.approx(tw, rel=1e-5) and b == pytest.approx(tb, rel=1e-5)


def test_demo_does_not_import_torch():
    import subprocess

    code = ("import sys, runpy; sys.argv=['x']; "
            "runpy.run_path('examples/linear_regression.py', run_name='__main__'); "
            "assert 'torch' not in sys.modules, 'ember imported torch'")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Epoch: 950, Loss:" in result.stdout
