"""What ``import ember`` loads: optional heavy packages wait until they are used."""

import subprocess
import sys

import pytest


def _modules_after(code):
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint(sorted(sys.modules))"],
                         capture_output=True, text=True, check=True)
    return out.stdout


def test_import_ember_does_not_import_ml_dtypes():
    # ml_dtypes (bfloat16) takes ~0.6 s to import: half of ember's import time
    assert "'ml_dtypes'" not in _modules_after("import ember")


def test_bfloat16_loads_ml_dtypes_when_first_used():
    pytest.importorskip("ml_dtypes")
    code = ("import ember\nt = ember.ones(2, dtype=ember.bfloat16)\n"
            "assert t.dtype is ember.bfloat16 and t.sum().item() == 2.0")
    assert "'ml_dtypes'" in _modules_after(code)


def test_numpy_bfloat16_arrays_made_before_ember_touches_bfloat16():
    pytest.importorskip("ml_dtypes")
    # a user's own ml_dtypes array reaches ember before ember has loaded ml_dtypes itself
    code = ("import ml_dtypes, numpy as np, ember\n"
            "a = np.arange(3).astype(ml_dtypes.bfloat16)\n"
            "t = ember.from_numpy(a)\n"
            "assert t.dtype is ember.bfloat16 and t.tolist() == [0.0, 1.0, 2.0]")
    _modules_after(code)
