"""Run under mpiexec (tests/test_distributed.py starts it with 2 and 4 ranks): every collective
and point-to-point call of ember.distributed against a NumPy reference, for every dtype it
carries, sync and async, on the default group and a subgroup; argument errors; a mismatch.

The values are small integers (or 0/1 for bool), so every dtype holds them exactly and sums,
products and averages over 4 ranks are exact too: the comparisons are exact (tolerance 0).
Prints "OK <rank> <checks>" at the end; any failure raises (and ends the job)."""

import os
import sys
import warnings

import numpy as np
from reduce_values import ops_for, reference, values  # (beside this file)

import ember
import ember.distributed as dist

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
          "float64", "complex64", "complex128"]
R = dist.ReduceOp
checks = 0


def tensor(array, name):
    if name == "bfloat16":
        return ember.tensor(array.astype(np.float32)).to(ember.bfloat16)
    return ember.tensor(np.asarray(array).astype(name if name != "bool" else bool))


def as_numpy(t):
    return t.float().numpy() if t.dtype == ember.bfloat16 else t.numpy()


def same(t, expected, what):
    global checks
    got = as_numpy(t)
    expected = np.asarray(expected)
    if got.shape != expected.shape or not np.array_equal(got, expected.astype(got.dtype)):
        raise AssertionError(f"rank {rank}: {what}: got {got!r}, expected {expected!r}")
    checks += 1


def check_group(group, ranks):
    """Every collective on ``group`` (global ranks ``ranks``)."""
    n = len(ranks)
    me = ranks.index(rank)
    for name in DTYPES:
        mine = values(me, name)
        every = [values(r, name) for r in range(n)]
        for op in ops_for(name):
            for async_op in (False, True):
                t = tensor(mine, name)
                work = dist.all_reduce(t, op=op, group=group, async_op=async_op)
                if async_op:
                    assert work.wait() is True and work.is_completed()
                same(t, reference(op, every, name), f"all_reduce {name} {op} async={async_op}")
            root = ranks[-1]
            t = tensor(mine, name)
            dist.reduce(t, dst=root, op=op, group=group)
            same(t, reference(op, every, name) if rank == root else mine, f"reduce {name} {op}")
            outs = [tensor(np.zeros((2, 3)), name) for _ in range(n)]
            inputs = [tensor(values(me, name, salt=i), name) for i in range(n)]
            out = tensor(np.zeros((2, 3)), name)
            dist.reduce_scatter(out, inputs, op=op, group=group)
            same(out, reference(op, [values(r, name, salt=me) for r in range(n)], name),
                 f"reduce_scatter {name} {op}")
            big = tensor(np.concatenate([values(me, name, salt=i) for i in range(n)]), name)
            dist.reduce_scatter_tensor(out, big, op=op, group=group)
            same(out, reference(op, [values(r, name, salt=me) for r in range(n)], name),
                 f"reduce_scatter_tensor {name} {op}")
        # broadcast (a transposed, non-contiguous tensor), sync and async
        for async_op in (False, True):
            t = tensor(values(me, name, shape=(3, 2)), name).t()
            work = dist.broadcast(t, src=ranks[0], group=group, async_op=async_op)
            if async_op:
                work.wait()
            same(t, values(0, name, shape=(3, 2)).T, f"broadcast {name} async={async_op}")
        outs = [tensor(np.zeros((2, 3)), name) for _ in range(n)]
        work = dist.all_gather(outs, tensor(mine, name), group=group, async_op=True)
        work.wait()
        for r in range(n):
            same(outs[r], every[r], f"all_gather {name} [{r}]")
        out = tensor(np.zeros((2 * n, 3)), name)
        dist.all_gather_into_tensor(out, tensor(mine, name), group=group)
        same(out, np.concatenate(every), f"all_gather_into_tensor {name}")
        root = ranks[0]
        gathered = [tensor(np.zeros((2, 3)), name) for _ in range(n)] if rank == root else None
        dist.gather(tensor(mine, name), gathered, dst=root, group=group)
        if rank == root:
            for r in range(n):
                same(gathered[r], every[r], f"gather {name} [{r}]")
        out = tensor(np.zeros((2, 3)), name)
        pieces = [tensor(values(0, name, salt=i), name) for i in range(n)] \
            if rank == root else None
        dist.scatter(out, pieces, src=root, group=group)
        same(out, values(0, name, salt=me), f"scatter {name}")
        # all_to_all with uneven sizes: rank a sends a+b+1 elements to rank b
        inputs = [tensor(np.full(me + b + 1, me * 10 + b), name if name != "bool" else "int8")
                  for b in range(n)]
        inputs = [t.bool() for t in inputs] if name == "bool" else \
            [tensor(as_numpy(t).real.astype(np.float64) % 7, name) for t in inputs]
        outs = [tensor(np.zeros(a + me + 1), name) for a in range(n)]
        dist.all_to_all(outs, inputs, group=group)
        for a in range(n):
            want = np.full(a + me + 1, a * 10 + me)
            want = want != 0 if name == "bool" else want % 7
            same(outs[a], want, f"all_to_all {name} from {a}")
        # all_to_all_single, equal split and given splits
        inp = tensor(np.arange(n * 2).reshape(n * 2, 1) % 5 + me, name)
        out = tensor(np.zeros((n * 2, 1)), name)
        dist.all_to_all_single(out, inp, group=group)
        want = np.concatenate([(np.arange(n * 2).reshape(n * 2, 1) % 5 + a)[2 * me:2 * me + 2]
                               for a in range(n)])
        same(out, want if name != "bool" else want != 0, f"all_to_all_single {name}")
    # point to point: a ring, blocking and through batch_isend_irecv
    right, left = ranks[(me + 1) % n], ranks[(me - 1) % n]
    if n > 1:
        got = ember.zeros(4)
        if me % 2 == 0:
            dist.send(ember.full((4,), float(rank)), right, group=group)
            sender = dist.recv(got, left, group=group)
        else:
            sender = dist.recv(got, group=group)
            dist.send(ember.full((4,), float(rank)), right, group=group)
        assert sender == left, (sender, left)
        same(got, np.full(4, float(left)), "send/recv")
        got = ember.zeros(4, dtype=ember.int64)
        works = dist.batch_isend_irecv([
            dist.P2POp(dist.isend, ember.full((4,), rank, dtype=ember.int64), right, group),
            dist.P2POp(dist.irecv, got, left, group)])
        for w in works:
            w.wait()
        same(got, np.full(4, left), "batch_isend_irecv")
    # objects
    objs = [None] * n
    dist.all_gather_object(objs, {"rank": rank}, group=group)
    assert objs == [{"rank": r} for r in ranks], objs
    lst = [rank, "x"] if me == 0 else [None, None]
    dist.broadcast_object_list(lst, src=ranks[0], group=group)
    assert lst == [ranks[0], "x"], lst
    out = [None] * n if rank == ranks[0] else None
    dist.gather_object(("g", rank), out, dst=ranks[0], group=group)
    if rank == ranks[0]:
        assert out == [("g", r) for r in ranks], out
    got = [None]
    dist.scatter_object_list(got, [("s", r) for r in ranks] if rank == ranks[0] else None,
                             src=ranks[0], group=group)
    assert got == [("s", rank)], got
    if n > 1:
        if me == 0:
            dist.send_object_list([{"a": 1}, ember.ones(2)], dst=ranks[1], group=group)
        elif me == 1:
            box = [None, None]
            assert dist.recv_object_list(box, src=ranks[0], group=group) == ranks[0]
            assert box[0] == {"a": 1} and box[1].tolist() == [1.0, 1.0]
    dist.barrier(group=group)
    dist.barrier(group=group, async_op=True).wait()
    dist.monitored_barrier(group=group)
    # the coalesced forms (deprecated in torch, with a FutureWarning)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        a, b = ember.full((2, 2), float(me + 1)), ember.full((3,), float(2 * me))
        dist.all_reduce_coalesced([a, b], group=group)
        outs = [[ember.zeros(2), ember.zeros(1, dtype=ember.int64)] for _ in range(n)]
        dist.all_gather_coalesced(outs, [ember.full((2,), float(me)),
                                         ember.full((1,), me, dtype=ember.int64)],
                                  group=group)
    assert sum(w.category is FutureWarning for w in caught) == 2
    same(a, np.full((2, 2), n * (n + 1) / 2), "all_reduce_coalesced [0]")
    same(b, np.full(3, n * (n - 1)), "all_reduce_coalesced [1]")
    for r in range(n):
        same(outs[r][0], np.full(2, float(r)), "all_gather_coalesced [0]")
        same(outs[r][1], np.full(1, r), "all_gather_coalesced [1]")
    assert dist.get_backend_config(group) == f"cpu:{dist.get_backend(group)}"


def check_errors():
    """Argument errors (local checks: every rank raises the same, nothing is sent), and a
    mismatch between ranks: a RuntimeError on every rank, after which the group still works."""
    def raises(cls, fn, text=""):
        global checks
        try:
            fn()
        except cls as e:
            assert text in str(e), (text, str(e))
            checks += 1
            return
        raise AssertionError(f"expected {cls.__name__}")

    raises(TypeError, lambda: dist.all_reduce([ember.ones(2)]), "Expected parameter `tensor`")
    raises(RuntimeError, lambda: dist.broadcast(ember.ones(2), src=world), "invalid root")
    raises(ValueError, lambda: dist.send(ember.ones(2), rank), "Invalid destination rank")
    raises(ValueError, lambda: dist.recv(ember.ones(2), rank), "Invalid source rank")
    raises(RuntimeError, lambda: dist.all_reduce(ember.ones(2), op=R.BAND), "non-integral")
    raises(RuntimeError, lambda: dist.all_reduce(ember.ones(2, dtype=ember.int64), op=R.AVG),
           "Long")
    raises(ValueError, lambda: dist.all_reduce(ember.ones(2, dtype=ember.complex64),
                                               op=R.MAX), "complex")
    raises(RuntimeError, lambda: dist.all_gather([ember.ones(2)] * (world + 1), ember.ones(2)),
           "expected length")
    raises(ValueError, lambda: dist.gather(ember.ones(2), None, dst=rank),
           "must be specified on destination rank")
    raises(ValueError, lambda: dist.init_process_group(), "twice")
    # mismatch: the last rank passes a shorter tensor
    t = ember.ones(3 if rank == world - 1 else 4)
    raises(RuntimeError, lambda: dist.all_reduce(t), f"rank {world - 1} called all_reduce "
                                                     f"with a float32 tensor of 3 elements")
    raises(RuntimeError, lambda: dist.all_reduce(ember.ones(2)) if rank else
           dist.broadcast(ember.ones(2), 0), "called different collectives")
    t = ember.ones(2)
    dist.all_reduce(t)
    same(t, np.full(2, float(world)), "all_reduce after a mismatch")


backend = sys.argv[1] if len(sys.argv) > 1 else "gloo"
if backend == "mpi":  # the explicit form: a tcp:// URL, rank and world size (MPI's, checked)
    dist.init_process_group(backend, init_method="tcp://127.0.0.1:29999",
                            rank=int(os.environ["PMI_RANK"]),
                            world_size=int(os.environ["PMI_SIZE"]))
else:
    dist.init_process_group(backend)
rank, world = dist.get_rank(), dist.get_world_size()
# DistributedSampler with real ranks: the shares are disjoint and cover the dataset
from ember.utils.data import DistributedSampler  # noqa: E402

for shuffle in (False, True):
    shares = [None] * world
    dist.all_gather_object(shares, list(DistributedSampler(range(10), shuffle=shuffle)))
    every = [i for share in shares for i in share]  # padded by repeating the order's start
    assert set(every) == set(range(10)) and len(every) == world * -(-10 // world), shares
    assert {len(share) for share in shares} == {-(-10 // world)}
assert dist.is_initialized() and dist.get_backend() == (sys.argv[1:] or ["gloo"])[0]
check_group(None, list(range(world)))
evens = dist.new_group([r for r in range(world) if r % 2 == 0])
if rank % 2 == 0:
    assert dist.get_process_group_ranks(evens) == list(range(0, world, 2))
    assert dist.get_rank(evens) == rank // 2 and dist.get_world_size(evens) == (world + 1) // 2
    assert dist.get_global_rank(evens, dist.get_rank(evens)) == rank
    check_group(evens, list(range(0, world, 2)))
else:
    assert evens is dist.GroupMember.NON_GROUP_MEMBER and dist.get_rank(evens) == -1
mine, subgroups = dist.new_subgroups(group_size=2) if world % 2 == 0 else (None, [])
if mine is not None:
    assert dist.get_process_group_ranks(mine) == [rank - rank % 2, rank - rank % 2 + 1]
    t = ember.ones(1)
    dist.all_reduce(t, group=mine)
    same(t, [2.0], "all_reduce on a subgroup of new_subgroups")
# split_group: evens and odds with one MPI_Comm_split; [[0]] leaves the others outside
parity = dist.split_group(split_ranks=[list(range(0, world, 2)), list(range(1, world, 2))])
assert dist.get_process_group_ranks(parity) == list(range(rank % 2, world, 2))
t = ember.tensor([float(rank)])
dist.all_reduce(t, group=parity)
same(t, [float(sum(range(rank % 2, world, 2)))], "all_reduce on a split_group group")
alone = dist.split_group(split_ranks=[[0]])
assert (alone is dist.GroupMember.NON_GROUP_MEMBER) == (rank != 0)
check_errors()
dist.breakpoint(rank=world)  # no rank stops in the debugger: only the barrier runs
dist.destroy_process_group()
assert not dist.is_initialized()
print(f"OK {rank} {checks}", flush=True)
