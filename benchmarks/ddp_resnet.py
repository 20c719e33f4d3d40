"""What DistributedDataParallel adds to a training step: ResNet-18 (CIFAR variant, batch 32 per
rank, SGD) on 2 ranks against the same step on one process without DDP, ember and torch (gloo).

    python benchmarks/ddp_resnet.py                 # both libraries, 2 ranks, 12 timed steps
    python benchmarks/ddp_resnet.py --steps 20 --lib ember

How: each measurement is its own launch.  "single" runs one process without DDP; "2 ranks"
runs the same step on 2 processes without DDP (what sharing the machine costs); "ddp" runs 2
ranks with DDP under ``mpiexec -n 2`` (ember: ember.distributed over MPI; torch: gloo over
env://, with RANK/WORLD_SIZE from the MPI launcher's PMI_RANK/PMI_SIZE), one thread a rank.
Every step starts after a barrier; a step's time is the slowest rank's (all-reduced max); the
figure is the median over the timed steps after 3 warm-up steps.  "extra" = ddp - single: the
communication DDP could not hide behind backward, plus the bookkeeping, plus the cost of two
processes sharing the machine; "extra over 2 ranks" = ddp - 2 ranks leaves the sharing out.
The machine is shared by other jobs: compare medians from the
same run, and rerun on a quiet machine for figures to publish.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _worker(lib_name, ranks, ddp, steps):
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(ROOT))
    from models import _batch, resnet18_cifar

    if lib_name == "ember":
        import ember as lib
    else:
        import torch as lib
    lib.set_num_threads(1)
    dist = None
    rank = 0
    if ranks:
        if lib_name == "ember":
            import ember.distributed as dist

            dist.init_process_group("gloo")
        else:
            import torch.distributed as dist

            os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
            os.environ.setdefault("MASTER_PORT", "29561")
            dist.init_process_group("gloo", rank=int(os.environ["PMI_RANK"]),
                                    world_size=int(os.environ["PMI_SIZE"]))
        rank = dist.get_rank()
    lib.manual_seed(0)
    model = resnet18_cifar(lib)
    if ddp:
        model = lib.nn.parallel.DistributedDataParallel(model)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    criterion = lib.nn.CrossEntropyLoss()
    x, y = _batch(lib, (32, 3, 32, 32), 10, seed=rank)
    times = []
    for i in range(3 + steps):
        if ranks:
            dist.barrier()
        start = time.perf_counter()
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()
        elapsed = time.perf_counter() - start
        if ranks:  # the slowest rank's time
            t = lib.tensor([elapsed], dtype=lib.float64)
            dist.all_reduce(t, op=dist.ReduceOp.MAX)
            elapsed = float(t.item())
        if i >= 3:
            times.append(elapsed)
    if rank == 0:
        print("RESULT", json.dumps({"median_ms": 1000 * statistics.median(times),
                                    "min_ms": 1000 * min(times)}), flush=True)
    if ranks:
        dist.destroy_process_group()


def _launch(lib_name, ranks, ddp, steps):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", lib_name,
           "--steps", str(steps)]
    if ranks:
        mpiexec = Path(sys.executable).parent / "mpiexec"
        mpiexec = str(mpiexec) if mpiexec.exists() else shutil.which("mpiexec")
        cmd = [mpiexec, "-n", "2"] + cmd + ["--ranks"] + (["--ddp"] if ddp else [])
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=["ember", "torch"])
    parser.add_argument("--ranks", action="store_true")
    parser.add_argument("--ddp", action="store_true")
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--lib", choices=["ember", "torch", "both"], default="both")
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker, args.ranks, args.ddp, args.steps)
        return
    libs = ["ember", "torch"] if args.lib == "both" else [args.lib]
    print(f"ResNet-18 (CIFAR), batch 32 per rank, SGD; median of {args.steps} steps (ms)")
    print(f"{'library':8} {'single':>9} {'2 ranks':>9} {'ddp 2 ranks':>12} {'extra':>9} "
          f"{'extra over 2 ranks':>19}")
    for lib_name in libs:
        single = _launch(lib_name, False, False, args.steps)["median_ms"]
        two = _launch(lib_name, True, False, args.steps)["median_ms"]
        ddp = _launch(lib_name, True, True, args.steps)["median_ms"]
        print(f"{lib_name:8} {single:9.1f} {two:9.1f} {ddp:12.1f} {ddp - single:9.1f} "
              f"{ddp - two:19.1f}", flush=True)


if __name__ == "__main__":
    main()
