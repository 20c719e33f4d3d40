"""Checks ember's "nccl" backend (ember/distributed/_nccl.py) on real GPUs with CuPy's NCCL.
Not run by CI (no GPU there): tests/test_distributed_nccl.py checks the same glue against a fake
CuPy; this is the check that NCCL itself does what the glue expects.

Usage, from the repository root (the inputs and references are tests/distributed/
reduce_values.py's, shared with the CPU checks), on a machine with CuPy (with NCCL) and mpi4py:

    mpiexec -n 2 python scripts/gpu_check_nccl.py          # rank r uses GPU r % GPU count
    python -m ember.distributed.run --nproc-per-node=2 scripts/gpu_check_nccl.py

2+ GPUs: one per rank.  1 GPU: both ranks share it, which many NCCL versions refuse ("Duplicate
GPU detected"); the script then stops with that error, and the check needs a 2-GPU machine.
``--fake`` runs it on the CPU with the test's fake CuPy (tests/distributed/fake_cupy), to check
the script itself.

Every rank prints "OK <rank> <checks>"; rank 0 then prints all_reduce times, NCCL on the GPU
against MPI through the host (a "gloo" group on CPU tensors), 1 KB to 100 MB of float32.
"""

import os
import sys
import time

FAKE = "--fake" in sys.argv
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests", "distributed"))  # reduce_values: shared inputs
if FAKE:
    sys.path.insert(0, os.path.join(ROOT, "tests", "distributed", "fake_cupy"))

import numpy as np  # noqa: E402
from reduce_values import ops_for, reference  # noqa: E402  (tests/distributed/)
from reduce_values import values as _values  # noqa: E402

import ember  # noqa: E402
import ember.distributed as dist  # noqa: E402

if FAKE:
    ember._device.enable_fake_cuda()

R = dist.ReduceOp
checks = 0


def values(rank, name, shape=(4, 6), salt=0):
    """reduce_values' inputs, 4 x 6 here: a GPU check moves a little more than the CPU ones."""
    return _values(rank, name, shape, salt)


def gpu(array, name):
    if name == "bfloat16":
        return ember.tensor(np.asarray(array, np.float32)).to(ember.bfloat16).cuda()
    return ember.tensor(np.asarray(array).astype(name if name != "bool" else bool)).cuda()


def host(t):
    t = t.cpu()
    return t.float().numpy() if t.dtype == ember.bfloat16 else t.numpy()


def same(t, expected, what, divided=False):
    """Exact, except after a division by a rank count that is not a power of two (AVG on 3
    ranks): then one rounding of the quotient, a relative error of at most eps."""
    global checks
    ember.cuda.synchronize()
    got = host(t)
    expected = np.asarray(expected)
    if divided and world & (world - 1):
        close = got.shape == expected.shape and np.allclose(
            got, expected, rtol=ember.finfo(t.dtype).eps, atol=0)
    else:
        close = got.shape == expected.shape and np.array_equal(got, expected.astype(got.dtype))
    if not close:
        raise AssertionError(f"rank {rank}: {what}: got {got!r}, expected {expected!r}")
    checks += 1


def dtypes():
    """The dtypes to check: bfloat16 only where ember can hold it on the GPU."""
    names = ["bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64",
             "complex64", "complex128"]
    try:
        gpu(np.ones(2), "bfloat16")
        names.append("bfloat16")
    except Exception as e:  # noqa: BLE001 - reported, then left out
        if rank == 0:
            print(f"bfloat16 left out: ember cannot make a CUDA bfloat16 tensor here ({e})")
    return names


def check_collectives():
    n, me = world, rank
    for name in dtypes():
        every = [values(r, name) for r in range(n)]
        for op in ops_for(name, bitwise=False):
            for async_op in (False, True):
                t = gpu(every[me], name)
                work = dist.all_reduce(t, op=op, async_op=async_op)
                if async_op:
                    assert work.wait() is True and work.is_completed()
                same(t, reference(op, every, name), f"all_reduce {name} {op} async={async_op}",
                     divided=op == R.AVG)
            t = gpu(every[me], name)
            dist.reduce(t, dst=n - 1, op=op)
            same(t, reference(op, every, name) if me == n - 1 else every[me],
                 f"reduce {name} {op}", divided=op == R.AVG)
            want = reference(op, [values(r, name, salt=me) for r in range(n)], name)
            out = gpu(np.zeros((4, 6)), name)
            dist.reduce_scatter(out, [gpu(values(me, name, salt=i), name) for i in range(n)],
                                op=op)
            same(out, want, f"reduce_scatter {name} {op}", divided=op == R.AVG)
            out = gpu(np.zeros((6, 4)), name).t()
            dist.reduce_scatter_tensor(out, gpu(np.concatenate(
                [values(me, name, salt=i) for i in range(n)]), name), op=op)
            same(out, want, f"reduce_scatter_tensor {name} {op} (non-contiguous output)",
                 divided=op == R.AVG)
        view = gpu(values(me, name, shape=(6, 4)), name).t()
        op = R.SUM if name.startswith("complex") else R.MAX
        dist.all_reduce(view, op=op)
        same(view, reference(op, [values(r, name, shape=(6, 4)) for r in range(n)], name).T,
             f"all_reduce of a transposed {name} tensor")
        for async_op in (False, True):
            t = gpu(values(me, name, shape=(6, 4)), name).t()
            work = dist.broadcast(t, src=n - 1, async_op=async_op)
            if async_op:
                work.wait()
            same(t, values(n - 1, name, shape=(6, 4)).T, f"broadcast {name}")
        outs = [gpu(np.zeros((4, 6)), name) for _ in range(n)]
        dist.all_gather(outs, gpu(every[me], name), async_op=True).wait()
        for r in range(n):
            same(outs[r], every[r], f"all_gather {name} [{r}]")
        out = gpu(np.zeros((4 * n, 6)), name)
        dist.all_gather_into_tensor(out, gpu(every[me], name))
        same(out, np.concatenate(every), f"all_gather_into_tensor {name}")
        gathered = [gpu(np.zeros((4, 6)), name) for _ in range(n)] if me == 0 else None
        dist.gather(gpu(every[me], name), gathered, dst=0)  # over MPI through the host
        if me == 0:
            for r in range(n):
                same(gathered[r], every[r], f"gather {name} [{r}]")
    t = gpu(np.full(5, me + 1.0), "float32")
    dist.all_reduce(t, op=R.AVG)
    same(t, np.full(5, sum(range(1, n + 1)) / n), "AVG", divided=True)
    dist.barrier()
    dist.barrier(async_op=True).wait()


def check_p2p():
    """Rank r sends to r + 1 and receives from r - 1 (a ring), blocking then batched."""
    after, before = (rank + 1) % world, (rank - 1) % world
    for name in ("float32", "int64", "bool", "complex64"):
        out = gpu(np.zeros((6, 4)), name).t()
        if rank % 2 == 0:
            dist.send(gpu(values(rank, name), name), dst=after)
            assert dist.recv(out, src=before) == before
        else:
            assert dist.recv(out, src=before) == before
            dist.send(gpu(values(rank, name), name), dst=after)
        same(out, values(before, name), f"send/recv {name}")
    out = gpu(np.zeros((4, 6)), "float64")
    works = dist.batch_isend_irecv([dist.P2POp(dist.isend, gpu(values(rank, "float64"),
                                                              "float64"), after),
                                    dist.P2POp(dist.irecv, out, before)])
    for work in works:
        work.wait()
    same(out, values(before, "float64"), "batch_isend_irecv")


def check_errors():
    global checks
    for call, error in ((lambda: dist.all_reduce(ember.ones(3)), RuntimeError),
                        (lambda: dist.all_reduce(gpu(np.ones(3), "int32"), op=R.BAND),
                         ValueError),
                        (lambda: dist.all_reduce(gpu(np.ones(3), "int16")), TypeError)):
        try:
            call()
        except error:
            checks += 1
        else:
            raise AssertionError(f"rank {rank}: expected {error.__name__}")


def check_ddp():
    ember.manual_seed(rank)
    model = ember.nn.Linear(6, 3).cuda()
    ddp = ember.nn.parallel.DistributedDataParallel(model, device_ids=[device])
    x = gpu(values(rank, "float32"), "float32")
    ddp(x).sum().backward()
    rows = np.mean([values(r, "float32").sum(0) for r in range(world)], axis=0)
    same(model.weight.grad, np.stack([rows] * 3), "DDP weight gradient", divided=True)


def timings():
    """all_reduce of float32, NCCL on the GPU vs MPI through the host (medians of 10)."""
    cpu_group = dist.new_group(backend="gloo")
    for size in (1 << 10, 1 << 20, 25 << 20, 100 << 20):
        row = []
        for where, group in (("cuda", None), ("cpu", cpu_group)):
            t = ember.zeros(size // 4, device=where)
            times = []
            for _ in range(11):
                dist.barrier(group=group)
                start = time.perf_counter()
                dist.all_reduce(t, group=group)
                ember.cuda.synchronize()
                times.append(time.perf_counter() - start)
            row.append(sorted(times[1:])[5])
        if rank == 0:
            print(f"all_reduce {size / 1024:>8.0f} KB: nccl {row[0] * 1e3:8.3f} ms   "
                  f"mpi via host {row[1] * 1e3:8.3f} ms", flush=True)


dist.init_process_group("nccl")
rank, world = dist.get_rank(), dist.get_world_size()
device = rank % max(ember.cuda.device_count(), 1)
ember.cuda.set_device(device)
if rank == 0:
    where = "the fake CuPy (CPU)" if FAKE else ember.cuda.get_device_name()
    print(f"{world} ranks on {ember.cuda.device_count()} GPU(s): {where}", flush=True)
check_collectives()
check_p2p()
check_errors()
check_ddp()
print(f"OK {rank} {checks}", flush=True)
timings()
dist.destroy_process_group()
