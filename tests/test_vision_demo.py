"""examples/digits.py: trains, saves, reloads and re-checks; --data mnist reads IDX files."""

import gzip
import importlib.util
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from conftest import subprocess_env

pytest.importorskip("PIL")
ROOT = pathlib.Path(__file__).resolve().parents[1]


def _run_demo(*args):
    """Run the demo in a fresh process (it sets one BLAS thread before NumPy loads) and check
    that ember never imported torch."""
    code = ("import sys, runpy; "
            f"sys.argv=['digits.py', *{list(args)!r}]; "
            "runpy.run_path('examples/digits.py', run_name='__main__'); "
            "assert 'torch' not in sys.modules, 'ember imported torch'")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=300, env=subprocess_env())
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _write_tiny_mnist(root, n=40):
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, size=n).astype(np.uint8)
    # two easy classes: a bright left half or a bright right half
    images = np.zeros((n, 28, 28), np.uint8)
    for i, label in enumerate(labels):
        images[i, :, 14 * label:14 * label + 14] = 200
    for prefix in ("train", "t10k"):
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            header = bytes([0, 0, 8, array.ndim]) + np.array(array.shape, ">i4").tobytes()
            with gzip.open(raw / f"{prefix}-{kind}-ubyte.gz", "wb") as f:
                f.write(header + array.tobytes())


def test_digits_demo_trains_saves_and_reloads(tmp_path):
    pytest.importorskip("sklearn")
    out = _run_demo("--epochs", "2", "--outdir", str(tmp_path))
    accuracy = float(out.split("test accuracy: ")[1].split("%")[0])
    reloaded = float(out.split("reloaded model's test accuracy: ")[1].split("%")[0])
    assert accuracy > 80 and reloaded == accuracy
    assert (tmp_path / "lenet_digits.pt").is_file()


def test_digits_demo_on_mnist_files(tmp_path):
    _write_tiny_mnist(tmp_path)
    out = _run_demo("--data", "mnist", "--root", str(tmp_path), "--epochs", "2", "--outdir",
                    str(tmp_path / "out"))
    assert "reloaded model's test accuracy: 100.00%" in out
    assert (tmp_path / "out" / "lenet_digits.pt").is_file()
    if importlib.util.find_spec("matplotlib") is not None:
        assert (tmp_path / "out" / "digits_curves.png").is_file()
