"""all_reduce of float32 tensors on 2 ranks, ember against torch's gloo; and the time from
launching ember's launcher to the first collective.

    python benchmarks/dist_allreduce.py             # 1 KiB, 1 MiB, 25 MiB, 100 MiB; 3 repeats
    python benchmarks/dist_allreduce.py --quick     # fewer iterations (a smoke run)
    python benchmarks/dist_allreduce.py --repeats 7

How: each library runs in its own pair of processes started by mpiexec (torch's ranks join
through init_method=file://, ember's through MPI).  Per size: a barrier before every iteration,
the iteration's time is the slowest rank's, the median over 2000 / 200 / 20 / 8 iterations
(a quarter with --quick); the whole run is repeated and the table shows the median of the
repeats' medians and their range.  The launch time is from starting
``python -m ember.distributed.run --nproc-per-node=2 tests/distributed/launch.py`` to rank 0
leaving its first all_reduce (median of the repeats), split into: up to the rank's first line
(the launcher's own start and mpiexec), ``import ember`` in the rank, and init_process_group +
the first all_reduce.  The machine is shared: run it on a quiet one for figures to report.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = [(1024, "1 KiB", 2000), (1 << 20, "1 MiB", 200), (25 << 20, "25 MiB", 20),
         (100 << 20, "100 MiB", 8)]


def worker(lib, quick, rendezvous):
    """One rank: time all_reduce for every size; rank 0 prints {size: median seconds}."""
    import numpy as np

    rank, world = int(os.environ["PMI_RANK"]), int(os.environ["PMI_SIZE"])
    if lib == "torch":
        import torch as L
        import torch.distributed as dist

        dist.init_process_group("gloo", init_method="file://" + rendezvous, rank=rank,
                                world_size=world)
    else:
        sys.path.insert(0, str(ROOT))
        import ember as L
        import ember.distributed as dist

        dist.init_process_group("gloo")
    medians = {}
    for nbytes, label, iterations in SIZES:
        iterations = max(4, iterations // 4) if quick else iterations
        t = L.from_numpy(np.ones(nbytes // 4, np.float32))
        dist.all_reduce(t)  # warm up
        times = []
        for _ in range(iterations):
            dist.barrier()
            start = time.perf_counter()
            dist.all_reduce(t)
            times.append(time.perf_counter() - start)
        every = [None] * world
        dist.all_gather_object(every, times)
        slowest = [max(ts) for ts in zip(*every)]
        medians[label] = statistics.median(slowest)
    if rank == 0:
        print(json.dumps(medians), flush=True)
    dist.destroy_process_group()


def mpiexec():
    beside = Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else "mpiexec"


def run_pair(lib, quick):
    with tempfile.TemporaryDirectory() as tmp:
        command = [mpiexec(), "-n", "2", sys.executable, __file__, "--worker", lib,
                   "--rendezvous", os.path.join(tmp, "rendezvous")] + (["--quick"] if quick
                                                                        else [])
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
        if done.returncode != 0:
            raise SystemExit(f"{lib} run failed:\n{done.stdout}\n{done.stderr}")
        return json.loads(done.stdout.strip().splitlines()[-1])


def launch_time():
    env = dict(os.environ, EMBER_T0=repr(time.time()), PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "ember.distributed.run", "--nproc-per-node=2",
               str(ROOT / "tests" / "distributed" / "launch.py")]
    env["EMBER_T0"] = repr(time.time())
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=str(ROOT),
                          timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"launch failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def import_time():
    """Seconds ``import ember`` adds to a fresh interpreter (the launcher process pays it)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    spent = []
    for code in ("pass", "import ember"):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=str(ROOT))
        spent.append(time.perf_counter() - start)
    return spent[1] - spent[0]


def fmt(seconds):
    return f"{seconds * 1e6:.0f} us" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--worker", choices=["ember", "torch"])
    p.add_argument("--rendezvous")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    if args.worker:
        return worker(args.worker, args.quick, args.rendezvous)
    runs = {"ember": [], "torch": []}
    for _ in range(args.repeats):
        for lib in runs:
            runs[lib].append(run_pair(lib, args.quick))
    print(f"all_reduce, float32, 2 ranks (median of {args.repeats} runs' medians; range)")
    print(f"{'size':>8}  {'ember':>26}  {'torch gloo':>26}  ember/torch")
    for _, label, _ in SIZES:
        cells = []
        for lib in runs:
            values = [r[label] for r in runs[lib]]
            cells.append((statistics.median(values), min(values), max(values)))
        text = [f"{fmt(m)} ({fmt(lo)}-{fmt(hi)})" for m, lo, hi in cells]
        print(f"{label:>8}  {text[0]:>26}  {text[1]:>26}  {cells[0][0] / cells[1][0]:.2f}")
    launches = [launch_time() for _ in range(args.repeats)]
    for r in launches:
        r["import_ember_in_launcher"] = import_time()
        r["launcher_beyond_imports"] = (r["launch_to_first_collective"] - r["import_ember"] -
                                        r["import_ember_in_launcher"])
    print(f"launch to first collective, 2 ranks (median of {args.repeats}):")
    for key in ("launch_to_first_collective", "to_rank_start", "import_ember",
                "init_and_first_collective", "import_ember_in_launcher",
                "launcher_beyond_imports"):
        print(f"  {key:28s} {statistics.median(r[key] for r in launches):.3f} s")


if __name__ == "__main__":
    main()
