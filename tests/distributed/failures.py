"""Run under mpiexec by tests/test_distributed.py: one rank fails in the way ``sys.argv[1]``
names while the others wait in a collective; the test checks that every rank stops, in bounded
time, with a message naming the failed rank, and that mpiexec returns non-zero.

    raise    rank 1 raises ValueError before the all_reduce
    kill     rank 1 is killed by SIGKILL
    timeout  rank 1 never joins (it sleeps); timeout=2 s
    leave    rank 1 ends its script normally without joining; timeout=2 s
"""

import datetime
import os
import signal
import sys
import time

import ember
import ember.distributed as dist

mode = sys.argv[1]
timeout = datetime.timedelta(seconds=2) if mode in ("timeout", "leave") else None
dist.init_process_group("gloo", timeout=timeout)
rank = dist.get_rank()
t = ember.ones(4)
dist.all_reduce(t)  # every rank is up
print(f"rank {rank} ready", flush=True)
if rank == 1:
    if mode == "raise":
        raise ValueError("boom on purpose")
    if mode == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if mode == "timeout":
        time.sleep(120)
    if mode == "leave":
        sys.exit(0)
dist.all_reduce(t)
print(f"rank {rank} finished, which it should not", flush=True)
