"""Run by tests/test_distributed_api.py twice, on one rank: ``misuse.py torch`` (gloo through a
file:// rendezvous) and ``misuse.py ember`` (under mpiexec -n 1).  Each prints a JSON list of
(call, exception class, message) for the same wrong calls, which the test compares."""

import json
import sys
import tempfile
import warnings

warnings.simplefilter("ignore")
if sys.argv[1] == "torch":
    import torch as lib
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method="file://" + tempfile.mktemp(), rank=0,
                            world_size=1)
else:
    import ember as lib
    import ember.distributed as dist

    dist.init_process_group("gloo")

R = dist.ReduceOp
CALLS = {
    "init twice": lambda: dist.init_process_group("gloo"),
    "send to self": lambda: dist.send(lib.ones(2), 0),
    "recv from self": lambda: dist.recv(lib.ones(2), 0),
    "all_reduce list": lambda: dist.all_reduce([lib.ones(2)]),
    "all_reduce int": lambda: dist.all_reduce(3),
    "BAND on float": lambda: dist.all_reduce(lib.ones(2), op=R.BAND),
    "AVG on int64": lambda: dist.all_reduce(lib.ones(2, dtype=lib.int64), op=R.AVG),
    "AVG on bool": lambda: dist.all_reduce(lib.ones(2, dtype=lib.bool), op=R.AVG),
    "MAX on complex": lambda: dist.all_reduce(lib.ones(2, dtype=lib.complex64), op=R.MAX),
    "broadcast bad root": lambda: dist.broadcast(lib.ones(2), 5),
    "all_gather list length": lambda: dist.all_gather([lib.ones(2)] * 2, lib.ones(2)),
    "gather without list": lambda: dist.gather(lib.ones(2), None, dst=0),
    "scatter without list": lambda: dist.scatter(lib.ones(2), None, src=0),
    "get_rank unknown group": lambda: dist.get_rank(5),
    "P2POp bad op": lambda: dist.P2POp(dist.all_reduce, lib.ones(2), 0),
    "new_subgroups too big": lambda: dist.new_subgroups(group_size=2),
    "get_node_local_rank": lambda: dist.get_node_local_rank(),
}
answers = []
for name, call in CALLS.items():
    try:
        call()
        answers.append([name, None, None])
    except Exception as e:
        answers.append([name, type(e).__name__, str(e)])
print(json.dumps(answers))
dist.destroy_process_group()
