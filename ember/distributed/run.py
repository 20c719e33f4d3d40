"""``python -m ember.distributed.run``: torchrun's command line, starting the ranks with MPI.

    python -m ember.distributed.run --nproc-per-node=4 train.py --lr 0.1
    python -m ember.distributed.run --standalone --nproc_per_node=2 -m mypackage.train

It runs ``mpiexec -n <nnodes * nproc_per_node>`` (the one the ``mpich`` wheel installs beside
the interpreter, else the first on PATH, and says which), and each rank starts the script through
``_rank.py``, which sets torchrun's variables from MPI's: RANK, WORLD_SIZE, LOCAL_RANK,
LOCAL_WORLD_SIZE, GROUP_RANK, GROUP_WORLD_SIZE, ROLE_RANK, ROLE_WORLD_SIZE, ROLE_NAME,
MASTER_ADDR and MASTER_PORT.  Several machines: ``--nnodes=2 --hostfile hosts`` (an MPI
hostfile, one ``hostname:slots`` a line), run once, on one machine; mpiexec starts the ranks on
all of them.  The exit status is mpiexec's: non-zero when a rank failed.

When a rank dies from a signal (killed, out of memory), mpiexec stops the others at once with
SIGKILL, so they cannot say anything; the launcher does: it passes mpiexec's output through,
reads the PID from mpiexec's "BAD TERMINATION" banner, and names the rank it belonged to (each
rank writes its pid into a run directory at start).
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

RANK_BOOT = Path(__file__).with_name("_rank.py")


def find_mpiexec():
    """(path, where it was found): beside the interpreter (the mpich wheel), else on PATH."""
    beside = Path(sys.executable).parent / "mpiexec"
    if beside.exists():
        return str(beside), "beside the interpreter (the mpich wheel's)"
    found = shutil.which("mpiexec") or shutil.which("mpirun")
    if found:
        return found, "on PATH"
    raise SystemExit("ember.distributed.run: no mpiexec found, neither beside "
                     f"{sys.executable} nor on PATH: pip install mpich (or install an MPI)")


def free_port(host):
    with socket.socket() as s:
        s.bind((host if host != "localhost" else "127.0.0.1", 0))
        return s.getsockname()[1]


def parser():
    p = argparse.ArgumentParser(
        prog="python -m ember.distributed.run",
        description="Start a training script on several ranks with MPI (torchrun's flags).")
    p.add_argument("--nproc-per-node", "--nproc_per_node", dest="nproc_per_node", default="1",
                   help="ranks per machine: a number, or 'cpu' (one per core)")
    p.add_argument("--nnodes", default="1", help="machines (needs --hostfile when above 1)")
    p.add_argument("--node-rank", "--node_rank", dest="node_rank", type=int, default=0,
                   help="this machine's index; mpiexec starts every machine from node 0, so "
                        "only 0 is run")
    p.add_argument("--master-addr", "--master_addr", dest="master_addr", default="127.0.0.1",
                   help="MASTER_ADDR given to the ranks")
    p.add_argument("--master-port", "--master_port", dest="master_port", type=int,
                   default=29500, help="MASTER_PORT given to the ranks")
    p.add_argument("--standalone", action="store_true",
                   help="one machine: MASTER_ADDR=localhost and a free MASTER_PORT")
    p.add_argument("--hostfile", default=None,
                   help="an MPI hostfile naming the machines (ember's addition)")
    p.add_argument("-m", "--module", action="store_true",
                   help="run the script argument as a module (python -m)")
    p.add_argument("--no-python", "--no_python", dest="no_python", action="store_true",
                   help="run the script argument as a program, not with python")
    p.add_argument("training_script", help="the script (or module, or program) to run")
    p.add_argument("training_script_args", nargs=argparse.REMAINDER)
    return p


def command_line(args, mpiexec):
    """The mpiexec command and the environment for ``args``."""
    nproc = os.cpu_count() if args.nproc_per_node == "cpu" else int(args.nproc_per_node)
    nnodes = int(args.nnodes.split(":")[-1])
    if nnodes > 1 and args.hostfile is None:
        raise SystemExit("ember.distributed.run: --nnodes above 1 needs --hostfile (the "
                         "machines mpiexec starts the ranks on); run it once, on one machine")
    if args.node_rank != 0:
        raise SystemExit("ember.distributed.run: mpiexec starts the ranks of every machine "
                         "from node 0: run the launcher once, with --node-rank=0")
    addr, port = args.master_addr, args.master_port
    if args.standalone:
        addr, port = "localhost", free_port("localhost")
    env = dict(os.environ, MASTER_ADDR=addr, MASTER_PORT=str(port),
               EMBER_NPROC_PER_NODE=str(nproc), EMBER_NNODES=str(nnodes))
    if nproc > 1 and "OMP_NUM_THREADS" not in os.environ:
        print("ember.distributed.run: setting OMP_NUM_THREADS=1 for each rank (as torchrun) "
              "so the ranks do not overload the machine; set it yourself to tune",
              file=sys.stderr)
        env["OMP_NUM_THREADS"] = "1"
    command = [mpiexec, "-n", str(nproc * nnodes)]
    if args.hostfile:
        command += ["-f", args.hostfile, "-ppn", str(nproc)]
    mode = "--no-python" if args.no_python else "-m" if args.module else "--script"
    command += [sys.executable, str(RANK_BOOT), mode, args.training_script,
                *args.training_script_args]
    return command, env, nproc * nnodes


def main(argv=None):
    args = parser().parse_args(argv)
    mpiexec, where = find_mpiexec()
    command, env, n = command_line(args, mpiexec)
    print(f"ember.distributed.run: {n} ranks through {mpiexec} ({where})", file=sys.stderr,
          flush=True)
    with tempfile.TemporaryDirectory(prefix="ember-run-") as run_dir:
        env["EMBER_RUN_DIR"] = run_dir
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE)
        try:
            failed = pass_through(process.stdout.fileno())
            status = process.wait()
        except KeyboardInterrupt:  # mpiexec got the Ctrl-C too and stops the ranks
            process.wait()
            return 130
        for pid, code in failed:
            report_dead_rank(run_dir, pid, code)
    return status


BANNER = re.compile(rb"BAD TERMINATION.*?PID (\d+).*?EXIT CODE: (\d+)", re.S)


def pass_through(fd):
    """Copy mpiexec's output to ours as it comes; returns the (pid, exit code) pairs of the
    ranks its banner says terminated badly."""
    out = sys.stdout.buffer
    tail, found = b"", []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return found
        out.write(chunk)
        out.flush()
        tail = tail[-4096:] + chunk
        for match in BANNER.finditer(tail):
            pair = (int(match.group(1)), int(match.group(2)))
            if pair not in found:
                found.append(pair)


def report_dead_rank(run_dir, pid, code):
    path = Path(run_dir) / f"{pid}.rank"
    rank = path.read_text().strip() if path.exists() else "?"
    try:
        how = f"signal {signal.Signals(code).name}" if 0 < code < 64 else f"exit code {code}"
    except ValueError:
        how = f"exit code {code}"
    print(f"ember.distributed.run: rank {rank} (pid {pid}) ended abnormally ({how}); mpiexec "
          f"stopped the other ranks", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
