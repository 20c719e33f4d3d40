"""ember's "nccl" backend (ember/distributed/_nccl.py) without a GPU.

THE GPU IS FAKED HERE.  tests/distributed/nccl_glue.py runs on 2 ranks under mpiexec with a fake
CuPy (tests/distributed/fake_cupy/: "cuda" tensors hold NumPy arrays and the fake
``NcclCommunicator`` reduces over mpi4py on the host), so what is checked is ember's glue:
the unique-id exchange and one NCCL communicator per group (and per pair for send/recv), the
NCCL dtype and op constants and element counts, AVG as SUM then a division, copies of
non-contiguous tensors, async Work, the collectives that stay on MPI, torch's nccl errors, and
every value against NumPy (exact: small integers).  NCCL itself is not run.

The real check is scripts/gpu_check_nccl.py: run it when a machine with 2+ GPUs is lent
(``mpiexec -n 2 python scripts/gpu_check_nccl.py``), or with 1 GPU and 2 ranks sharing it,
which older NCCL versions refuse ("Duplicate GPU detected": then a 2-GPU machine is needed).

That ``init_process_group("nccl")`` without CuPy is a clear RuntimeError is checked in
tests/test_distributed_api.py (test_availability).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mpi4py", reason="ember.distributed needs mpi4py (the distributed extra)")

from test_distributed import mpiexec  # noqa: E402  (the mpich wheel's, else the one on PATH)

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "distributed" / "nccl_glue.py"


def test_nccl_glue_on_two_ranks_with_a_fake_cupy():
    pytest.importorskip("ml_dtypes", reason="the fake NCCL reduces bfloat16 with ml_dtypes")
    environ = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1",
                   OMP_NUM_THREADS="1")
    done = subprocess.run([mpiexec(), "-n", "2", sys.executable, str(SCRIPT)],
                          capture_output=True, text=True, timeout=120, env=environ,
                          cwd=str(ROOT))
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    # ranks print "OK <rank> <checks>" at the same moment: their lines can run into each other
    assert sorted(re.findall(r"OK (\d+) \d+", done.stdout)) == ["0", "1"], out
    # every collective, dtype and error is checked: well over a thousand checks per rank
    assert all(int(n) > 1000 for n in re.findall(r"OK \d+ (\d+)", done.stdout)), out


def test_fake_cupy_is_not_the_real_one():
    """The fake is only on sys.path inside the rank script: ember here sees no CuPy."""
    import ember.distributed as dist

    try:
        import cupy  # noqa: F401
    except ImportError:
        assert dist.is_nccl_available() is False
    else:  # a machine with the real CuPy: the fake must not be it
        assert "fake_cupy" not in cupy.__file__
