"""ember.distributed with real ranks: tests/distributed/*.py run under mpiexec (2 ranks, and 4
ranks oversubscribed on a 2-core machine) from here, each with a time bound; plus the questions
and errors that need no second process, against torch."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("mpi4py", reason="ember.distributed needs mpi4py (the distributed extra)")

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = Path(__file__).resolve().parent / "distributed"


def mpiexec():
    """The mpiexec beside the interpreter (the mpich wheel's), else the one on PATH."""
    beside = Path(sys.executable).parent / "mpiexec"
    if beside.exists():
        return str(beside)
    import shutil

    found = shutil.which("mpiexec")
    if found is None:
        pytest.skip("no mpiexec (pip install mpich)")
    return found


def run_ranks(n, script, *args, timeout=120, env=None, launcher=None):
    """Run ``script`` on ``n`` ranks; returns (returncode, stdout, stderr, seconds)."""
    environ = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1",
                   OMP_NUM_THREADS="1", **(env or {}))
    command = launcher or [mpiexec(), "-n", str(n)]
    command = command + [sys.executable, str(SCRIPTS / script), *args]
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          env=environ, cwd=str(ROOT))
    return done.returncode, done.stdout, done.stderr, time.monotonic() - start


@pytest.mark.parametrize("n, backend", [(2, "gloo"), (4, "mpi")])
def test_every_collective_against_numpy(n, backend):
    rc, out, err, _ = run_ranks(n, "collectives.py", backend, timeout=240)
    assert rc == 0, out + err
    done = sorted(line.split()[1] for line in out.splitlines() if line.startswith("OK "))
    assert done == [str(r) for r in range(n)], out + err
