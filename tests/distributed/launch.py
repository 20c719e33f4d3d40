"""Run by tests/test_distributed.py through ``python -m ember.distributed.run`` (and by
benchmarks/dist_allreduce.py for the launch time): the nanoGPT-style start of a data-parallel
script.  Checks torchrun's variables against MPI, then prints one line of JSON: the ranks'
variables and, from rank 0, the times since EMBER_T0 (set by the caller before launching)."""

import json
import os
import sys
import time

started = time.time()
ddp = int(os.environ.get("RANK", -1)) != -1  # nanoGPT's test for a distributed run
import ember  # noqa: E402
import ember.distributed as dist  # noqa: E402

imported = time.time()
assert ddp, "RANK is not set"
dist.init_process_group(backend=sys.argv[1] if len(sys.argv) > 1 else "gloo")
ddp_rank = int(os.environ["RANK"])
ddp_local_rank = int(os.environ["LOCAL_RANK"])
ddp_world_size = int(os.environ["WORLD_SIZE"])
assert ddp_rank == dist.get_rank() and ddp_world_size == dist.get_world_size()
t = ember.ones(1)
dist.all_reduce(t)
first = time.time()
assert t.item() == ddp_world_size
names = ["RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "GROUP_RANK",
         "GROUP_WORLD_SIZE", "ROLE_RANK", "ROLE_WORLD_SIZE", "ROLE_NAME", "MASTER_ADDR",
         "MASTER_PORT", "OMP_NUM_THREADS"]
env = [None] * ddp_world_size
dist.all_gather_object(env, {name: os.environ.get(name) for name in names})
if ddp_rank == 0:
    t0 = float(os.environ.get("EMBER_T0", started))
    print(json.dumps({"env": env, "argv": sys.argv[1:], "to_rank_start": started - t0,
                      "import_ember": imported - started,
                      "init_and_first_collective": first - imported,
                      "launch_to_first_collective": first - t0}), flush=True)
dist.destroy_process_group()
