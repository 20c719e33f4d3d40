"""Run under mpiexec with 2 ranks (tests/test_distributed_nccl.py): ember's "nccl" backend
(ember/distributed/_nccl.py) against a FAKE CuPy.

THE FAKE STANDS IN FOR THE GPU.  tests/distributed/fake_cupy/ is put first on sys.path and
``enable_fake_cuda()`` makes "cuda" tensors hold NumPy arrays; the fake
``cupy.cuda.nccl.NcclCommunicator`` reads and writes the raw addresses ember hands it and
reduces over mpi4py on the host.  So this checks ember's glue, not NCCL: the unique-id
exchange, one communicator per group (and per pair for send/recv), the NCCL dtype and op
constants, the element counts (complex = two floats), AVG as SUM then a division, the copies of
non-contiguous tensors, the Work of async_op=True, the MPI fallbacks (gather, scatter,
all_to_all, objects) and the errors, every value against NumPy.  The real check is
scripts/gpu_check_nccl.py, to run when a machine with 2+ GPUs (or 1 GPU shared by 2 ranks:
older NCCL versions refuse two ranks on one GPU, "Duplicate GPU detected") is lent.

The values are small integers, exact in every dtype: the comparisons are exact (tolerance 0).
Prints "OK <rank> <checks>" at the end; any failure raises (and ends the job).
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_cupy"))

import cupy  # noqa: E402  (the fake)
import numpy as np  # noqa: E402
from cupy.cuda import nccl  # noqa: E402
from reduce_values import ops_for, reference, values  # noqa: E402  (beside this file)

import ember  # noqa: E402
import ember.distributed as dist  # noqa: E402
from ember import _device  # noqa: E402

assert "fake_cupy" in cupy.__file__, cupy.__file__
_device.enable_fake_cuda()

R = dist.ReduceOp
DTYPES = ["bool", "uint8", "int8", "int32", "int64", "float16", "bfloat16", "float32",
          "float64", "complex64", "complex128"]
NCCL_TYPE = {"bool": (nccl.NCCL_UINT8, 1), "uint8": (nccl.NCCL_UINT8, 1),
             "int8": (nccl.NCCL_INT8, 1), "int32": (nccl.NCCL_INT32, 1),
             "int64": (nccl.NCCL_INT64, 1), "float16": (nccl.NCCL_FLOAT16, 1),
             "bfloat16": (nccl.NCCL_BFLOAT16, 1), "float32": (nccl.NCCL_FLOAT32, 1),
             "float64": (nccl.NCCL_FLOAT64, 1), "complex64": (nccl.NCCL_FLOAT32, 2),
             "complex128": (nccl.NCCL_FLOAT64, 2)}
checks = 0


def cuda_tensor(array, name):
    """A "cuda" tensor (NumPy-backed under the fake) of dtype ``name``."""
    if name == "bfloat16":
        t = ember.tensor(np.asarray(array, np.float32)).to(ember.bfloat16)
    else:
        t = ember.tensor(np.asarray(array).astype(name if name != "bool" else bool))
    t = t.to("cuda")
    assert t.device.type == "cuda"
    return t


def as_numpy(t):
    t = t.cpu()
    return t.float().numpy() if t.dtype == ember.bfloat16 else t.numpy()


def same(t, expected, what):
    global checks
    got = as_numpy(t)
    expected = np.asarray(expected)
    if got.shape != expected.shape or not np.array_equal(got, expected.astype(got.dtype)):
        raise AssertionError(f"rank {rank}: {what}: got {got!r}, expected {expected!r}")
    checks += 1


def called(name, count, datatype, op, what):
    """The fake NCCL's last call was ``name`` with these count, datatype and op constants."""
    global checks
    last = nccl.calls[-1]
    if last != (name, count, datatype, op):
        raise AssertionError(f"rank {rank}: {what}: NCCL got {last}, expected "
                             f"{(name, count, datatype, op)}")
    checks += 1


# NCCL's op for each ReduceOp (AVG: SUM, then ember divides; bool: SUM is MAX, PRODUCT is MIN)
NCCL_OP = {R.SUM: nccl.NCCL_SUM, R.AVG: nccl.NCCL_SUM, R.PRODUCT: nccl.NCCL_PROD,
           R.MIN: nccl.NCCL_MIN, R.MAX: nccl.NCCL_MAX}
BOOL_OP = {R.SUM: nccl.NCCL_MAX, R.PRODUCT: nccl.NCCL_MIN, R.MIN: nccl.NCCL_MIN,
           R.MAX: nccl.NCCL_MAX}


def check_unique_id(group, n):
    """One communicator per group, made from group rank 0's unique id."""
    global checks
    pg = group if group is not None else dist.GroupMember.WORLD
    ids = [None] * n
    dist.all_gather_object(ids, pg._nccl.whole is not None and nccl.made[-1][2], group=group)
    assert len(set(ids)) == 1 and ids[0], f"rank {rank}: the ranks' unique ids differ"
    sizes = [None] * n
    dist.all_gather_object(sizes, nccl.made[-1][:2], group=group)
    assert sizes == [(n, r) for r in range(n)], sizes
    if dist.get_rank(group) == 0:
        assert nccl.issued[-1] == ids[0], "the id is not the one group rank 0 asked NCCL for"
    checks += 1


def check_collectives(group, n):
    me = dist.get_rank(group)
    made_before = len(nccl.made)
    t = cuda_tensor(values(me, "float32"), "float32")
    dist.all_reduce(t, group=group)  # the first collective makes the group's communicator
    assert len(nccl.made) == made_before + 1
    check_unique_id(group, n)
    for name in DTYPES:
        mine = values(me, name)
        every = [values(r, name) for r in range(n)]
        datatype, per = NCCL_TYPE[name]
        for op in ops_for(name, bitwise=False):
            nccl_op = (BOOL_OP if name == "bool" else NCCL_OP)[op]
            for async_op in (False, True):
                t = cuda_tensor(mine, name)
                synchronized = cupy.cuda.Event.synchronized
                work = dist.all_reduce(t, op=op, group=group, async_op=async_op)
                called("allReduce", 6 * per, datatype, nccl_op, f"all_reduce {name} {op}")
                if async_op:
                    assert isinstance(work, dist.Work) and work.wait() is True
                    assert cupy.cuda.Event.synchronized == synchronized + 1  # wait() waited
                    assert work.is_completed() and work.result() == [t]
                else:
                    assert work is None
                same(t, reference(op, every, name), f"all_reduce {name} {op} async={async_op}")
            root = n - 1
            t = cuda_tensor(mine, name)
            dist.reduce(t, dst=dist.get_global_rank(group or dist.GroupMember.WORLD, root),
                        op=op, group=group)
            called("reduce", 6 * per, datatype, nccl_op, f"reduce {name} {op}")
            same(t, reference(op, every, name) if me == root else mine, f"reduce {name} {op}")
            inputs = [cuda_tensor(values(me, name, salt=i), name) for i in range(n)]
            out = cuda_tensor(np.zeros((2, 3)), name)
            dist.reduce_scatter(out, inputs, op=op, group=group)
            called("reduceScatter", 6 * per, datatype, nccl_op, f"reduce_scatter {name}")
            want = reference(op, [values(r, name, salt=me) for r in range(n)], name)
            same(out, want, f"reduce_scatter {name} {op}")
            big = cuda_tensor(np.concatenate([values(me, name, salt=i) for i in range(n)]),
                              name)
            out = cuda_tensor(np.zeros((3, 2)), name).t()  # non-contiguous output
            dist.reduce_scatter_tensor(out, big, op=op, group=group)
            same(out, want, f"reduce_scatter_tensor {name} {op} (non-contiguous output)")
        # non-contiguous all_reduce: the transposed view and its base both change
        base = cuda_tensor(values(me, name, shape=(3, 2)), name)
        view = base.t()
        version = view._version
        op = R.SUM if name.startswith("complex") else R.MAX
        dist.all_reduce(view, op=op, group=group)
        want = reference(op, [values(r, name, shape=(3, 2)) for r in range(n)], name)
        same(view, want.T, f"all_reduce of a transposed {name} tensor")
        same(base, want, f"the base of the transposed {name} tensor")
        assert view._version == version + 1
        # broadcast (a transposed, non-contiguous tensor), sync and async
        for async_op in (False, True):
            t = cuda_tensor(values(me, name, shape=(3, 2)), name).t()
            src = dist.get_global_rank(group or dist.GroupMember.WORLD, n - 1)
            work = dist.broadcast(t, src=src, group=group, async_op=async_op)
            called("broadcast", 6 * per, datatype, None, f"broadcast {name}")
            if async_op:
                work.wait()
            same(t, values(n - 1, name, shape=(3, 2)).T, f"broadcast {name} async={async_op}")
        outs = [cuda_tensor(np.zeros((2, 3)), name) for _ in range(n)]
        work = dist.all_gather(outs, cuda_tensor(mine, name), group=group, async_op=True)
        called("allGather", 6 * per, datatype, None, f"all_gather {name}")
        work.wait()
        for r in range(n):
            same(outs[r], every[r], f"all_gather {name} [{r}]")
        out = cuda_tensor(np.zeros((2 * n, 3)), name)
        dist.all_gather_into_tensor(out, cuda_tensor(values(me, name, shape=(3, 2)), name).t()
                                    .reshape(2, 3), group=group)
        same(out, np.concatenate([values(r, name, shape=(3, 2)).T.reshape(2, 3)
                                  for r in range(n)]), f"all_gather_into_tensor {name}")
        # gather and scatter are not NCCL's: they go over MPI through the host, as before
        calls = len(nccl.calls)
        gathered = [cuda_tensor(np.zeros((2, 3)), name) for _ in range(n)] if me == 0 else None
        dist.gather(cuda_tensor(mine, name), gathered, dst=dist.get_global_rank(
            group or dist.GroupMember.WORLD, 0), group=group)
        if me == 0:
            for r in range(n):
                same(gathered[r], every[r], f"gather {name} [{r}] (over MPI)")
        assert len(nccl.calls) == calls, "gather went to NCCL"
    # AVG divides the SUM by the group's size: 1 + 2 = 3 over 2 ranks is 1.5
    t = cuda_tensor(np.full(4, me + 1.0), "float32")
    dist.all_reduce(t, op=R.AVG, group=group)
    called("allReduce", 4, nccl.NCCL_FLOAT32, nccl.NCCL_SUM, "AVG runs NCCL's SUM")
    same(t, np.full(4, sum(range(1, n + 1)) / n), "AVG = SUM / size")
    # barrier: one float32 all_reduced, then the host waits for the GPU
    synchronized = cupy.cuda.Event.synchronized
    dist.barrier(group=group)
    called("allReduce", 1, nccl.NCCL_FLOAT32, nccl.NCCL_SUM, "barrier")
    assert cupy.cuda.Event.synchronized == synchronized + 1
    work = dist.barrier(group=group, async_op=True)
    assert isinstance(work, dist.Work) and work.wait() is True


def check_p2p():
    """send/recv over a two-rank communicator of their own; a batch as one NCCL group."""
    me, peer = rank, 1 - rank
    pg = dist.GroupMember.WORLD
    for name in DTYPES:
        datatype, per = NCCL_TYPE[name]
        t = cuda_tensor(values(me, name), name)
        out = cuda_tensor(np.zeros((3, 2)), name).t()  # a transposed receiver
        if me == 0:
            dist.send(t, dst=peer)
            called("send", 6 * per, datatype, 1, f"send {name}")
            assert dist.recv(out, src=peer) == peer
        else:
            assert dist.recv(out, src=peer) == peer
            called("recv", 6 * per, datatype, 0, f"recv {name}")
            dist.send(t, dst=peer)
        same(out, values(peer, name), f"send/recv {name}")
    assert list(pg._nccl.pairs) == [peer]  # one pair communicator, made by the first send
    assert nccl.made[-1][:2] == (2, me)
    # isend/irecv both ways at once, in a batch (sends before receives on both ranks)
    t = cuda_tensor(values(me, "float64"), "float64")
    out = cuda_tensor(np.zeros((3, 2)), "float64").t()
    works = dist.batch_isend_irecv([dist.P2POp(dist.isend, t, peer),
                                    dist.P2POp(dist.irecv, out, peer)])
    for work in works:
        assert isinstance(work, dist.Work) and work.wait() is True
    assert works[1].source_rank() == peer
    same(out, values(peer, "float64"), "batch_isend_irecv (non-contiguous receiver)")
    send = dist.isend(cuda_tensor(values(me, "int64"), "int64"), dst=peer) if me == 0 else None
    got = cuda_tensor(np.zeros((2, 3)), "int64")
    if me == 1:
        work = dist.irecv(got, src=peer)
        work.wait()
        same(got, values(peer, "int64"), "isend/irecv")
    else:
        send.wait()


def raises(error, match, call, what):
    global checks
    try:
        call()
    except error as e:
        if match not in str(e):
            raise AssertionError(f"rank {rank}: {what}: message {str(e)!r} lacks "
                                 f"{match!r}") from e
        checks += 1
        return
    except Exception as e:
        raise AssertionError(f"rank {rank}: {what}: raised {type(e).__name__}: {e}, expected "
                             f"{error.__name__}") from e
    raise AssertionError(f"rank {rank}: {what}: did not raise {error.__name__}")


def check_errors():
    """torch's nccl error classes (torch itself cannot run nccl on this machine: the classes
    are those of ProcessGroupNCCL, named in each line)."""
    f = cuda_tensor(np.ones(3), "float32")
    # CPU tensors have no NCCL: torch's RuntimeError "No backend type associated with ..."
    raises(RuntimeError, "No backend type associated with device type cpu",
           lambda: dist.all_reduce(ember.ones(3)), "all_reduce of a CPU tensor")
    raises(RuntimeError, "gloo", lambda: dist.broadcast(ember.ones(3), src=0),
           "broadcast of a CPU tensor says to use gloo")
    # int16 is not an NCCL type: TypeError
    raises(TypeError, "not supported for NCCL process group",
           lambda: dist.all_reduce(cuda_tensor(np.ones(3), "int16")), "int16")
    # bitwise reductions are not in NCCL: ValueError, for every dtype
    for op in (R.BAND, R.BOR, R.BXOR):
        raises(ValueError, f"Cannot use ReduceOp.{op.name} with NCCL",
               lambda op=op: dist.all_reduce(cuda_tensor(np.ones(3), "int32"), op=op), op.name)
        raises(ValueError, "with NCCL", lambda op=op: dist.all_reduce(f, op=op),
               f"{op.name} float")
    raises(TypeError, "Cannot use ReduceOp.AVG with boolean inputs",
           lambda: dist.all_reduce(cuda_tensor(np.ones(3), "bool"), op=R.AVG), "AVG of bool")
    raises(RuntimeError, "recvAnysource", lambda: dist.recv(f), "recv from any rank")
    # a mismatch between the ranks is still a clear error, not a hang (agree runs first)
    t = cuda_tensor(np.ones(3 + rank), "float32")
    raises(RuntimeError, "called different collectives", lambda: dist.all_reduce(t),
           "mismatched shapes")


dist.init_process_group("nccl")
rank, world = dist.get_rank(), dist.get_world_size()
assert world == 2, "run with 2 ranks"
assert dist.get_backend() == "nccl" and dist.is_nccl_available()
check_collectives(None, world)
check_p2p()
# a second group gets a communicator of its own
pair = dist.new_group([0, 1])
check_collectives(pair, 2)
assert pair._nccl.whole is not dist.GroupMember.WORLD._nccl.whole
# objects and all_to_all still travel over MPI in a "nccl" group
objects = [None, None]
dist.all_gather_object(objects, {"rank": rank})
assert objects == [{"rank": 0}, {"rank": 1}]
outs = [cuda_tensor(np.zeros(a + rank + 1), "float32") for a in range(2)]
dist.all_to_all(outs, [cuda_tensor(np.full(rank + b + 1, rank * 10 + b), "float32")
                       for b in range(2)])
for a in range(2):
    same(outs[a], np.full(a + rank + 1, a * 10 + rank), f"all_to_all from {a} (over MPI)")
check_errors()
# DistributedDataParallel on a "nccl" group: its checks and broadcasts use the parameters'
# device, and the gradients are averaged by NCCL
ember.manual_seed(rank)  # different weights: the construction broadcasts rank 0's
model = ember.nn.Linear(3, 2).to("cuda")
ddp = ember.nn.parallel.DistributedDataParallel(model)
weights = [None, None]
dist.all_gather_object(weights, as_numpy(model.weight.detach()))
assert np.array_equal(weights[0], weights[1]), "DDP did not broadcast rank 0's parameters"
calls = len(nccl.calls)
x = cuda_tensor(values(rank, "float32", shape=(4, 3)), "float32")
ddp(x).sum().backward()
assert any(c[0] == "allReduce" for c in nccl.calls[calls:]), "DDP's buckets skipped NCCL"
mean_rows = np.mean([values(r, "float32", shape=(4, 3)).sum(0) for r in range(2)], axis=0)
same(model.weight.grad, np.stack([mean_rows, mean_rows]), "DDP weight gradient (mean)")
same(model.bias.grad, np.full(2, 4.0), "DDP bias gradient")
communicators = len(nccl.made)
dist.destroy_process_group()
assert nccl.destroyed == communicators, (nccl.destroyed, communicators)
assert not dist.is_initialized()
print(f"OK {rank} {checks}", flush=True)
