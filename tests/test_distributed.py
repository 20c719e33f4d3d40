"""ember.distributed with real ranks: tests/distributed/*.py run under mpiexec (2 ranks, and 4
ranks oversubscribed on a 2-core machine) from here, each with a time bound; plus the questions
and errors that need no second process, against torch."""

import os
import re
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
                   OMP_NUM_THREADS="1")
    for name, value in (env or {}).items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
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
    # ranks print "OK <rank> <checks>" at the same moment: their lines can run into each other
    done = sorted(re.findall(r"OK (\d+) \d+", out))
    assert done == [str(r) for r in range(n)], out + err


def orphans(marker):
    """Processes still running whose command line contains ``marker``."""
    done = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True)
    return [line for line in done.stdout.splitlines() if marker in line and "ps -eo" not in line]


LAUNCHER = [sys.executable, "-m", "ember.distributed.run", "--nproc-per-node=2"]


# mode, launcher?, what every run must print, time bound (s): the failing rank is 1
FAILURES = [
    ("raise", False, "rank 0 stops because rank 1 raised ValueError: boom on purpose", 30),
    # killed under plain mpiexec: mpiexec's banner names the pid and stops the others, unless
    # rank 0's watchdog saw the loss first and said so (either comes first: a race)
    ("kill", False, ("EXIT CODE: 9", "rank 1 (pid"), 30),
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
    messages = (message,) if isinstance(message, str) else message
    assert any(m in out + err for m in messages), out + err
    assert "which it should not" not in out
    assert seconds < bound, seconds
    assert not orphans(f"failures.py {mode}")


def test_launcher_sets_torchrun_variables():
    """``python -m ember.distributed.run --nproc-per-node=2`` (torchrun's flag spellings):
    each rank sees torchrun's variables, equal to MPI's rank and size, and says which
    mpiexec it used."""
    import json

    launcher = [sys.executable, "-m", "ember.distributed.run", "--nproc_per_node", "2",
                "--master-port", "29611"]
    rc, out, err, _ = run_ranks(2, "launch.py", "mpi", launcher=launcher,
                                env={"OMP_NUM_THREADS": "2"})
    assert rc == 0, out + err
    assert f"2 ranks through {mpiexec()} (beside the interpreter" in err
    report = json.loads(out.strip().splitlines()[-1])
    assert report["argv"] == ["mpi"]
    for rank, env in enumerate(report["env"]):
        assert env == {"RANK": str(rank), "WORLD_SIZE": "2", "LOCAL_RANK": str(rank),
                       "LOCAL_WORLD_SIZE": "2", "GROUP_RANK": "0", "GROUP_WORLD_SIZE": "1",
                       "ROLE_RANK": str(rank), "ROLE_WORLD_SIZE": "2", "ROLE_NAME": "default",
                       "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29611",
                       "OMP_NUM_THREADS": "2"}


def test_launcher_standalone_and_errors():
    import json

    launcher = [sys.executable, "-m", "ember.distributed.run", "--standalone",
                "--nproc-per-node=2"]
    rc, out, err, _ = run_ranks(2, "launch.py", launcher=launcher,
                                env={"OMP_NUM_THREADS": None})
    assert rc == 0, out + err
    env = json.loads(out.strip().splitlines()[-1])["env"][0]
    assert env["MASTER_ADDR"] == "localhost" and int(env["MASTER_PORT"]) > 0
    assert env["OMP_NUM_THREADS"] == "1" and "OMP_NUM_THREADS=1" in err
    for flags, message in ((["--nnodes=2"], "needs --hostfile"),
                           (["--node-rank=1"], "--node-rank=0")):
        done = subprocess.run([sys.executable, "-m", "ember.distributed.run", *flags,
                               "x.py"], capture_output=True, text=True, timeout=60,
                              cwd=str(ROOT), env=dict(os.environ, PYTHONPATH=str(ROOT)))
        assert done.returncode != 0 and message in done.stderr


def test_env_rank_must_agree_with_mpi():
    """RANK/WORLD_SIZE that disagree with MPI (as under torchrun, whose processes MPI sees as
    separate worlds of one) are a clear error, not a hang."""
    rc, out, err, seconds = run_ranks(2, "launch.py", env={"RANK": "0", "WORLD_SIZE": "3"},
                                      timeout=60)
    assert rc != 0 and "MPI, which started this process as rank" in err, out + err
