"""scripts/api_coverage.py: the figure the README quotes is computed, namespace by namespace."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "scripts"))

import api_coverage  # noqa: E402


def test_coverage_counts_names_and_the_missing_ones():
    rows = {path: (names, missing) for path, names, missing in api_coverage.coverage()}
    names, missing = rows["torch"]
    assert "add" in names and "add" not in missing  # a name ember has
    assert "IntType" not in names and "quantize_per_tensor" not in names  # JIT / quantized
    assert not [n for n in rows["torch.utils.checkpoint"][0] if n in ("Any", "Optional")]
    names, missing = rows["torch.optim.lr_scheduler"]
    assert names and not missing  # every scheduler torch has
