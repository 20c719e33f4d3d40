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
    command = launcher or [mpiexec(), "-n", str(n), sys.executable]
    command = command + [str(SCRIPTS / script), *args]
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


def orphans(marker):
    """Processes still running whose command line contains ``marker``."""
    done = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True)
    return [line for line in done.stdout.splitlines() if marker in line and "ps -eo" not in line]


LAUNCHER = [sys.executable, "-m", "ember.distributed.run", "--nproc-per-node=2"]


# mode, launcher?, what every run must print, time bound (s): the failing rank is 1
FAILURES = [
    ("raise", False, "rank 0 stops because rank 1 raised ValueError: boom on purpose", 30),
    ("kill", False, "EXIT CODE: 9", 30),  # mpiexec names the pid and stops the others
    ("kill", True, "rank 1 (pid", 30),
    ("timeout", False, "all_reduce on rank 0 did not finish within 2 s", 30),
    ("leave", True, "all_reduce on rank 0 did not finish within 2 s", 30),
]


@pytest.mark.parametrize("mode, launcher, message, bound", FAILURES)
def test_a_failed_rank_stops_the_others(mode, launcher, message, bound):
    marker = "failures.py"
    rc, out, err, seconds = run_ranks(2, marker, mode, timeout=bound + 30,
                                      launcher=LAUNCHER if launcher else None)
    assert rc != 0, out + err
    assert message in out + err, out + err
    assert "which it should not" not in out
    assert seconds < bound, seconds
    assert not orphans(f"failures.py {mode}")
