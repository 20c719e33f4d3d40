"""The tensor collectives: all_reduce, broadcast, reduce, all_gather(_into_tensor),
reduce_scatter(_tensor), gather, scatter, all_to_all(_single), barrier, as torch.distributed.

Each one checks its arguments as torch does, makes sure every rank of the group called the same
collective with matching tensors (one small MPI_Allreduce of a "signature": a mismatch is a
clear RuntimeError on every rank instead of a hang or garbage), then runs the MPI buffer call:
the blocking one, or with ``async_op=True`` the non-blocking one, wrapped in a Work.

On a "nccl" group all_reduce, reduce, broadcast, all_gather(_into_tensor),
reduce_scatter(_tensor) and barrier hand the tensors to NCCL instead (``_nccl``, after the same
checks); gather, scatter and all_to_all(_single) go over MPI as on the other backends.
"""

import warnings

import numpy as np

from .._tensor import Tensor
from . import _mpi, _nccl
from ._types import GroupMember, RedOpType, as_red_op
from .distributed_c10d import _State, resolve

__all__ = ["all_reduce", "broadcast", "reduce", "all_gather", "all_gather_into_tensor",
           "all_gather_single", "reduce_scatter", "reduce_scatter_tensor",
           "reduce_scatter_single", "gather", "scatter", "all_to_all", "all_to_all_single",
           "barrier", "monitored_barrier"]

KINDS = ["barrier", "all_reduce", "broadcast", "reduce", "all_gather", "all_gather_into_tensor",
         "reduce_scatter", "reduce_scatter_tensor", "gather", "scatter", "all_to_all",
         "all_to_all_single"]
DTYPES = sorted(_mpi.SUPPORTED)


# ----------------------------------------------------------------------------- helpers

def check_tensor(t, name="tensor"):
    if not isinstance(t, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"ember.Tensor\n             but got {type(t)} instead.")
    if t.dtype.name not in _mpi.SUPPORTED:
        raise RuntimeError(f"Invalid scalar type: ember.distributed does not carry "
                           f"{t.dtype} tensors (supported: {', '.join(DTYPES)})")


def check_tensor_list(tensors, name):
    if not isinstance(tensors, (list, tuple)) or \
            not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"List[ember.Tensor]\n             but got {type(tensors)} instead.")
    for t in tensors:
        check_tensor(t, name)


def group_or_none(group, what):
    """The group's ProcessGroup, or None (with torch's warning) on a rank outside it."""
    pg = resolve(group)
    if pg is GroupMember.NON_GROUP_MEMBER:
        from .distributed_c10d import get_rank

        warnings.warn(f"Running {what} on global rank {get_rank()} which does not belong to "
                      f"the given group.", stacklevel=3)
        return None
    return pg


def group_root(pg, what, rank, group_rank, name):
    """The root's rank inside ``pg`` from a global ``rank`` or a ``group_rank``."""
    if rank is not None and group_rank is not None:
        raise ValueError(f"Can not specify both {name} and group_{name}")
    if group_rank is None:
        if rank is None:
            raise ValueError(f"Either {name} or group_{name} must be specified")
        if rank not in pg._group_rank_of:
            if pg is _State.default:
                raise RuntimeError(f"{what}: invalid root rank: {rank} (the group has ranks "
                                   f"0..{pg.size() - 1})")
            raise ValueError(f"Global rank {rank} is not part of group {pg.group_name}")
        return pg._group_rank_of[rank]
    if not 0 <= group_rank < pg.size():
        raise RuntimeError(f"{what}: invalid root rank: {group_rank} (the group has ranks "
                           f"0..{pg.size() - 1})")
    return group_rank


def check_op(op, t, what):
    """The RedOpType for ``op`` on ``t``'s dtype, with torch's errors for the pairs it
    refuses."""
    op = as_red_op(op)
    name = t.dtype.name
    if op == RedOpType.PREMUL_SUM:
        raise ValueError("ReduceOp.PREMUL_SUM needs the scalar factor of torch's NCCL-only "
                         "_make_nccl_premul_sum; ember's backends do not run it")
    if name.startswith("complex") and op not in (RedOpType.SUM, RedOpType.AVG):
        raise ValueError(f"{what} does not support {op} on complex tensors")
    if op in (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR) and \
            (name.startswith("float") or name.startswith("bfloat") or name.startswith("complex")):
        raise RuntimeError(f"Cannot use ReduceOp.{op.name} with non-integral dtype")
    if op == RedOpType.AVG and name in _mpi.TORCH_TYPE_NAME:
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{_mpi.TORCH_TYPE_NAME[name]}")
    return op


def wire_array(shape, t, reducing):
    """An empty contiguous array of ``shape`` in the dtype ``t`` travels as."""
    name = t.dtype.name
    dtype = t._data.dtype
    if name == "bool":
        dtype = np.uint8
    elif name == "bfloat16":
        dtype = np.float32 if reducing else np.uint16
    return np.empty(shape, dtype)


def agree(pg, what, t=None, count=None, op=0, root=0):
    """Check that every rank of ``pg`` runs the same collective: same kind, dtype, element
    count, op and root (one MPI_Allreduce(MAX) of the signature and its negation)."""
    if pg.size() == 1:
        return
    dtype = DTYPES.index(t.dtype.name) if t is not None else -1
    count = (t.numel() if t is not None else 0) if count is None else count
    sig = np.array([KINDS.index(what), dtype, count, int(op), root], np.int64)
    both = np.concatenate([sig, -sig])
    run_blocking(pg, what, lambda: pg._comm.Allreduce(_mpi.mpi().IN_PLACE, both,
                                                       _mpi.mpi().MAX))
    if (both[:5] == -both[5:]).all():
        return
    every = pg._comm.allgather(sig.tolist())
    described = "; ".join(f"rank {pg._ranks[r]} called {describe(s)}" for r, s in
                          enumerate(every))
    raise RuntimeError(f"{what}: the ranks of the group called different collectives or "
                       f"passed tensors that do not match: {described}")


def describe(sig):
    kind, dtype, count, op, root = sig
    words = f"{KINDS[kind]}"
    if dtype >= 0:
        words += f" with a {DTYPES[dtype]} tensor of {count} elements"
    if KINDS[kind] in ("all_reduce", "reduce", "reduce_scatter", "reduce_scatter_tensor"):
        words += f", op {RedOpType(op).name}"
    if KINDS[kind] in ("broadcast", "reduce", "gather", "scatter"):
        words += f", root {root}"
    return words


def run_blocking(pg, what, call):
    """Run a blocking MPI call under the watchdog's eye (it stops the rank on a timeout)."""
    watchdog = _State.watchdog
    watchdog.enter(what, pg._timeout.total_seconds())
    try:
        call()
    finally:
        watchdog.leave()


def launch(pg, what, blocking, nonblocking, finish, async_op, outputs=()):
    """Run the collective now (blocking) and finish it, or start it and return a Work."""
    if async_op:
        return _mpi.Work(_State.watchdog, [nonblocking()], finish, what,
                         pg._timeout.total_seconds(), outputs)
    run_blocking(pg, what, blocking)
    if finish is not None:
        finish()
    return None


# ----------------------------------------------------------------------------- reductions

def all_reduce(tensor, op=RedOpType.SUM, group=None, async_op=False):
    """Reduce ``tensor`` over every rank of the group with ``op``; every rank gets the result
    in place.  SUM, AVG (floating/complex), PRODUCT, MIN, MAX, BAND, BOR, BXOR (integers)."""
    check_tensor(tensor)
    pg = group_or_none(group, "all_reduce")
    if pg is None:
        return None
    if pg._backend == "nccl":
        op = check_op(_nccl.check_op(op, tensor), tensor, "all_reduce")
        _nccl.nccl_type(tensor, reducing=True)
        agree(pg, "all_reduce", tensor, op=op)
        return _nccl.all_reduce(pg, tensor, op, async_op)
    op = check_op(op, tensor, "all_reduce")
    buf = _mpi.Buffer(tensor, reducing=True)
    agree(pg, "all_reduce", tensor, op=op)
    MPI, comm, arr = _mpi.mpi(), pg._comm, buf.array
    mop = _mpi.mpi_op(op, tensor.dtype.name)

    def finish():
        if op == RedOpType.AVG:
            np.divide(arr, pg.size(), out=arr)  # AVG: the sum over the ranks / their number
        buf.write_back()

    return launch(pg, "all_reduce", lambda: comm.Allreduce(MPI.IN_PLACE, arr, mop),
                  lambda: comm.Iallreduce(MPI.IN_PLACE, arr, mop), finish, async_op, [tensor])


def reduce(tensor, dst=None, op=RedOpType.SUM, group=None, async_op=False, group_dst=None):
    """Reduce ``tensor`` over the group into rank ``dst``'s tensor (the others' are left
    as they were)."""
    check_tensor(tensor)
    pg = group_or_none(group, "reduce")
    if pg is None:
        return None
    root = group_root(pg, "reduce", dst, group_dst, "dst")
    if pg._backend == "nccl":
        op = check_op(_nccl.check_op(op, tensor), tensor, "reduce")
        _nccl.nccl_type(tensor, reducing=True)
        agree(pg, "reduce", tensor, op=op, root=root)
        return _nccl.reduce(pg, tensor, root, op, async_op)
    op = check_op(op, tensor, "reduce")
    buf = _mpi.Buffer(tensor, reducing=True)
    agree(pg, "reduce", tensor, op=op, root=root)
    MPI, comm, arr = _mpi.mpi(), pg._comm, buf.array
    mop = _mpi.mpi_op(op, tensor.dtype.name)
    is_root = pg.rank() == root
    send, recv = (MPI.IN_PLACE, arr) if is_root else (arr, None)

    def finish():
        if is_root:
            if op == RedOpType.AVG:
                np.divide(arr, pg.size(), out=arr)  # AVG: the sum over the ranks / their number
            buf.write_back()

    return launch(pg, "reduce", lambda: comm.Reduce(send, recv, mop, root),
                  lambda: comm.Ireduce(send, recv, mop, root), finish, async_op, [tensor])


def reduce_scatter(output, input_list, op=RedOpType.SUM, group=None, async_op=False):
    """Reduce ``input_list[i]`` over the group into rank i's ``output``."""
    check_tensor(output, "output")
    check_tensor_list(input_list, "input_list")
    pg = group_or_none(group, "reduce_scatter")
    if pg is None:
        return None
    if len(input_list) != pg.size():
        raise ValueError(f"reduce_scatter: input_list has {len(input_list)} tensors, the group "
                         f"has {pg.size()} ranks")
    for i, t in enumerate(input_list):
        if t.numel() != output.numel() or t.dtype != output.dtype:
            raise RuntimeError(f"reduce_scatter: input_list[{i}] ({t.dtype}, {list(t.shape)}) "
                               f"does not match output ({output.dtype}, {list(output.shape)})")
    if pg._backend == "nccl":
        op = check_op(_nccl.check_op(op, output), output, "reduce_scatter")
        _nccl.nccl_type(output, reducing=True)
        for t in input_list:
            _nccl.check_device(t)
        agree(pg, "reduce_scatter", output, op=op)
        return _nccl.reduce_scatter(pg, output, input_list, op, async_op)
    op = check_op(op, output, "reduce_scatter")
    send = wire_array((pg.size(), output.numel()), output, reducing=True)
    for i, t in enumerate(input_list):
        send[i] = _mpi.Buffer(t, reducing=True).array.reshape(-1)
    return _reduce_scatter(pg, "reduce_scatter", send, output, op, async_op)


def reduce_scatter_tensor(output, input, op=RedOpType.SUM, group=None, async_op=False):
    """Reduce ``input`` (the group's size times ``output``'s elements, rank-major) over the
    group; rank i gets block i in ``output``."""
    check_tensor(output, "output")
    check_tensor(input, "input")
    pg = group_or_none(group, "reduce_scatter_tensor")
    if pg is None:
        return None
    if input.numel() != output.numel() * pg.size() or input.dtype != output.dtype:
        raise ValueError(f"reduce_scatter_tensor: input ({input.dtype}, {list(input.shape)}) "
                         f"must hold the group's size ({pg.size()}) times output "
                         f"({output.dtype}, {list(output.shape)})")
    if pg._backend == "nccl":
        op = check_op(_nccl.check_op(op, output), output, "reduce_scatter_tensor")
        _nccl.nccl_type(output, reducing=True)
        _nccl.check_device(input)
        agree(pg, "reduce_scatter_tensor", output, op=op)
        return _nccl.reduce_scatter_tensor(pg, output, input, op, async_op)
    op = check_op(op, output, "reduce_scatter_tensor")
    send = _mpi.Buffer(input, reducing=True).array
    return _reduce_scatter(pg, "reduce_scatter_tensor", send, output, op, async_op)


reduce_scatter_single = reduce_scatter_tensor


def _reduce_scatter(pg, what, send, output, op, async_op):
    agree(pg, what, output, op=op)
    buf = _mpi.Buffer(output, reducing=True)
    comm, arr = pg._comm, buf.array
    mop = _mpi.mpi_op(op, output.dtype.name)

    def finish():
        if op == RedOpType.AVG:
            np.divide(arr, pg.size(), out=arr)  # AVG: the sum over the ranks / their number
        buf.write_back()

    return launch(pg, what, lambda: comm.Reduce_scatter_block(send, arr, mop),
                  lambda: comm.Ireduce_scatter_block(send, arr, mop), finish, async_op,
                  [output])


# ----------------------------------------------------------------------------- moving data

def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copy rank ``src``'s ``tensor`` into every rank's ``tensor``."""
    check_tensor(tensor)
    pg = group_or_none(group, "broadcast")
    if pg is None:
        return None
    root = group_root(pg, "broadcast", src, group_src, "src")
    if pg._backend == "nccl":
        _nccl.nccl_type(tensor, reducing=False)
        agree(pg, "broadcast", tensor, root=root)
        return _nccl.broadcast(pg, tensor, root, async_op)
    buf = _mpi.Buffer(tensor, reducing=False)
    agree(pg, "broadcast", tensor, root=root)
    comm, arr = pg._comm, buf.array
    return launch(pg, "broadcast", lambda: comm.Bcast(arr, root),
                  lambda: comm.Ibcast(arr, root), buf.write_back, async_op, [tensor])


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Every rank's ``tensor`` into ``tensor_list`` (one tensor per rank, in rank order)."""
    check_tensor_list(tensor_list, "tensor_list")
    check_tensor(tensor)
    pg = group_or_none(group, "all_gather")
    if pg is None:
        return None
    if len(tensor_list) != pg.size():
        raise RuntimeError(f"all_gather: invalid output tensor list (expected length "
                           f"{pg.size()}, got {len(tensor_list)})")
    for i, t in enumerate(tensor_list):
        if t.numel() != tensor.numel() or t.dtype != tensor.dtype:
            raise RuntimeError(f"all_gather: tensor_list[{i}] ({t.dtype}, {list(t.shape)}) "
                               f"does not match tensor ({tensor.dtype}, {list(tensor.shape)})")
    if pg._backend == "nccl":
        _nccl.nccl_type(tensor, reducing=False)
        for t in tensor_list:
            _nccl.check_device(t)
        agree(pg, "all_gather", tensor)
        return _nccl.all_gather(pg, tensor_list, tensor, async_op)
    send = _mpi.Buffer(tensor, reducing=False).array
    recv = np.empty((pg.size(),) + send.shape, send.dtype)
    agree(pg, "all_gather", tensor)
    comm = pg._comm

    def finish():
        for t, values in zip(tensor_list, recv):
            _mpi.store(t, values)

    return launch(pg, "all_gather", lambda: comm.Allgather(send, recv),
                  lambda: comm.Iallgather(send, recv), finish, async_op, tensor_list)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Every rank's ``input_tensor`` concatenated (rank order, along dim 0) into
    ``output_tensor``, which holds the group's size times as many elements."""
    check_tensor(output_tensor, "output_tensor")
    check_tensor(input_tensor, "input_tensor")
    pg = group_or_none(group, "all_gather_into_tensor")
    if pg is None:
        return None
    if output_tensor.numel() != input_tensor.numel() * pg.size() or \
            output_tensor.dtype != input_tensor.dtype:
        raise ValueError(f"all_gather_into_tensor: output ({output_tensor.dtype}, "
                         f"{list(output_tensor.shape)}) must hold the group's size "
                         f"({pg.size()}) times input ({input_tensor.dtype}, "
                         f"{list(input_tensor.shape)})")
    if pg._backend == "nccl":
        _nccl.nccl_type(input_tensor, reducing=False)
        _nccl.check_device(output_tensor)
        agree(pg, "all_gather_into_tensor", input_tensor)
        return _nccl.all_gather_into_tensor(pg, output_tensor, input_tensor, async_op)
    send = _mpi.Buffer(input_tensor, reducing=False).array
    buf = _mpi.Buffer(output_tensor, reducing=False)
    agree(pg, "all_gather_into_tensor", input_tensor)
    comm, recv = pg._comm, buf.array
    return launch(pg, "all_gather_into_tensor", lambda: comm.Allgather(send, recv),
                  lambda: comm.Iallgather(send, recv), buf.write_back, async_op,
                  [output_tensor])


all_gather_single = all_gather_into_tensor


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """Every rank's ``tensor`` into rank ``dst``'s ``gather_list`` (rank order)."""
    check_tensor(tensor)
    pg = group_or_none(group, "gather")
    if pg is None:
        return None
    root = group_root(pg, "gather", dst, group_dst, "dst")
    is_root = pg.rank() == root
    if is_root:
        if not gather_list:
            raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
        check_tensor_list(gather_list, "gather_list")
        if len(gather_list) != pg.size():
            raise RuntimeError(f"gather: gather_list has {len(gather_list)} tensors, the "
                               f"group has {pg.size()} ranks")
        for i, t in enumerate(gather_list):
            if t.numel() != tensor.numel() or t.dtype != tensor.dtype:
                raise RuntimeError(f"gather: gather_list[{i}] ({t.dtype}, {list(t.shape)}) "
                                   f"does not match tensor ({tensor.dtype}, "
                                   f"{list(tensor.shape)})")
    elif gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination "
                         "ranks.")
    send = _mpi.Buffer(tensor, reducing=False).array
    recv = np.empty((pg.size(),) + send.shape, send.dtype) if is_root else None
    agree(pg, "gather", tensor, root=root)
    comm = pg._comm

    def finish():
        if is_root:
            for t, values in zip(gather_list, recv):
                _mpi.store(t, values)

    return launch(pg, "gather", lambda: comm.Gather(send, recv, root),
                  lambda: comm.Igather(send, recv, root), finish, async_op,
                  gather_list if is_root else [])


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """Rank ``src``'s ``scatter_list[i]`` into rank i's ``tensor``."""
    check_tensor(tensor)
    pg = group_or_none(group, "scatter")
    if pg is None:
        return None
    root = group_root(pg, "scatter", src, group_src, "src")
    is_root = pg.rank() == root
    send = None
    if is_root:
        if not scatter_list:
            raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
        check_tensor_list(scatter_list, "scatter_list")
        if len(scatter_list) != pg.size():
            raise ValueError(f"scatter: scatter_list has {len(scatter_list)} tensors, the "
                             f"group has {pg.size()} ranks")
        send = wire_array((pg.size(), tensor.numel()), tensor, reducing=False)
        for i, t in enumerate(scatter_list):
            if t.numel() != tensor.numel() or t.dtype != tensor.dtype:
                raise RuntimeError(f"scatter: scatter_list[{i}] ({t.dtype}, {list(t.shape)}) "
                                   f"does not match tensor ({tensor.dtype}, "
                                   f"{list(tensor.shape)})")
            send[i] = _mpi.Buffer(t, reducing=False).array.reshape(-1)
    elif scatter_list:
        raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
    buf = _mpi.Buffer(tensor, reducing=False)
    agree(pg, "scatter", tensor, root=root)
    comm, recv = pg._comm, buf.array
    return launch(pg, "scatter", lambda: comm.Scatter(send, recv, root),
                  lambda: comm.Iscatter(send, recv, root), buf.write_back, async_op, [tensor])


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op=False):
    """Rank r's ``input_tensor_list[i]`` into rank i's ``output_tensor_list[r]`` (sizes may
    differ between pairs)."""
    check_tensor_list(output_tensor_list, "output_tensor_list")
    check_tensor_list(input_tensor_list, "input_tensor_list")
    pg = group_or_none(group, "all_to_all")
    if pg is None:
        return None
    n = pg.size()
    if len(output_tensor_list) != n or len(input_tensor_list) != n:
        raise ValueError(f"all_to_all: the tensor lists must have one tensor per rank ({n}); "
                         f"got {len(output_tensor_list)} outputs, {len(input_tensor_list)} "
                         f"inputs")
    first = input_tensor_list[0]
    for t in list(input_tensor_list) + list(output_tensor_list):
        if t.dtype != first.dtype:
            raise RuntimeError(f"all_to_all: tensors must all have one dtype, got {t.dtype} "
                               f"and {first.dtype}")
    send_counts = [t.numel() for t in input_tensor_list]
    recv_counts = [t.numel() for t in output_tensor_list]
    send = np.concatenate([_mpi.Buffer(t, reducing=False).array.reshape(-1)
                           for t in input_tensor_list])
    recv = wire_array(sum(recv_counts), first, reducing=False)
    _exchange(pg, "all_to_all", first, send, send_counts, recv, recv_counts, async_op)

    def finish():
        offset = 0
        for t, count in zip(output_tensor_list, recv_counts):
            _mpi.store(t, recv[offset:offset + count])
            offset += count

    return _alltoallv(pg, "all_to_all", send, send_counts, recv, recv_counts, finish,
                      async_op, output_tensor_list)


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None,
                      group=None, async_op=False):
    """Split ``input`` along dim 0 (equally, or by ``input_split_sizes``), send piece i to
    rank i, and concatenate what arrives into ``output`` (split by ``output_split_sizes``)."""
    check_tensor(output, "output")
    check_tensor(input, "input")
    pg = group_or_none(group, "all_to_all_single")
    if pg is None:
        return None
    if output.dtype != input.dtype:
        raise RuntimeError(f"all_to_all_single: output ({output.dtype}) and input "
                           f"({input.dtype}) must have one dtype")
    send_counts = _split_counts(input, input_split_sizes, pg.size(), "input")
    recv_counts = _split_counts(output, output_split_sizes, pg.size(), "output")
    send = _mpi.Buffer(input, reducing=False).array
    buf = _mpi.Buffer(output, reducing=False)
    recv = buf.array
    _exchange(pg, "all_to_all_single", input, send, send_counts, recv, recv_counts, async_op)
    return _alltoallv(pg, "all_to_all_single", send, send_counts, recv, recv_counts,
                      buf.write_back, async_op, [output])


def _split_counts(t, split_sizes, n, name):
    """Element counts per rank for splitting ``t`` along dim 0."""
    rows = t.shape[0] if t.dim() else 1
    row = t.numel() // rows if rows else 0
    if not split_sizes:
        if rows % n:
            raise ValueError(f"all_to_all_single: {name}'s dim 0 ({rows}) must divide by the "
                             f"group's size ({n}) when no split sizes are given")
        return [rows // n * row] * n
    if len(split_sizes) != n or sum(split_sizes) != rows:
        raise ValueError(f"all_to_all_single: {name}_split_sizes {list(split_sizes)} must have "
                         f"{n} entries summing to {name}'s dim 0 ({rows})")
    return [int(s) * row for s in split_sizes]


def _exchange(pg, what, t, send, send_counts, recv, recv_counts, async_op):
    """Check kind and dtype across ranks, then that what each rank sends matches what its
    peers expect (an MPI_Alltoall of the counts)."""
    agree(pg, what, t, count=0)
    if pg.size() == 1 and send_counts != recv_counts:
        raise RuntimeError(f"{what}: rank 0 sends itself {send_counts[0]} elements but "
                           f"expects {recv_counts[0]}")
    if pg.size() == 1:
        return
    arriving = np.empty(pg.size(), np.int64)
    run_blocking(pg, what, lambda: pg._comm.Alltoall(np.array(send_counts, np.int64),
                                                      arriving))
    wrong = [i for i in range(pg.size()) if arriving[i] != recv_counts[i]]
    bad = pg._comm.allreduce(len(wrong))
    if bad:
        every = pg._comm.allgather([(i, int(arriving[i]), recv_counts[i]) for i in wrong])
        described = "; ".join(f"rank {pg._ranks[r]} gets {got} elements from rank "
                              f"{pg._ranks[i]} but expects {want}"
                              for r, items in enumerate(every) for i, got, want in items)
        raise RuntimeError(f"{what}: the split sizes of the ranks do not match: {described}")


def _alltoallv(pg, what, send, send_counts, recv, recv_counts, finish, async_op, outputs):
    send_offsets = np.concatenate([[0], np.cumsum(send_counts)[:-1]]).astype(int).tolist()
    recv_offsets = np.concatenate([[0], np.cumsum(recv_counts)[:-1]]).astype(int).tolist()
    send_spec = [send.reshape(-1), (send_counts, send_offsets)]
    recv_spec = [recv.reshape(-1), (recv_counts, recv_offsets)]
    comm = pg._comm
    return launch(pg, what, lambda: comm.Alltoallv(send_spec, recv_spec),
                  lambda: comm.Ialltoallv(send_spec, recv_spec), finish, async_op, outputs)


# ----------------------------------------------------------------------------- barriers

def barrier(group=None, async_op=False, device_ids=None, timeout=None):
    """Wait until every rank of the group has reached the barrier.  ``timeout`` (a
    timedelta) replaces the group's timeout for this barrier; ``device_ids`` must be a list
    of ints (the GPU to use with NCCL; the MPI backends need none)."""
    pg = group_or_none(group, "barrier")
    if pg is None:
        return None
    if device_ids is not None and not (isinstance(device_ids, list) and
                                       all(isinstance(d, int) for d in device_ids)):
        raise TypeError("Invalid function argument: device_ids type should be List[int]")
    agree(pg, "barrier")
    if pg._backend == "nccl":
        seconds = (timeout or pg._timeout).total_seconds()
        return _nccl.barrier(pg, seconds, async_op)
    comm = pg._comm
    if timeout is not None:
        watchdog = _State.watchdog
        watchdog.enter("barrier", timeout.total_seconds())
        try:
            comm.Barrier()
        finally:
            watchdog.leave()
        return None
    return launch(pg, "barrier", comm.Barrier, comm.Ibarrier, None, async_op)


def monitored_barrier(group=None, timeout=None, wait_all_ranks=False):
    """A barrier that names the ranks that did not reach it: rank 0 waits up to ``timeout``
    (default: the group's) for every other rank, and raises RuntimeError naming the first
    missing rank (all of them with ``wait_all_ranks=True``)."""
    import time

    pg = group_or_none(group, "monitored_barrier")
    if pg is None:
        return None
    comm = pg._comm
    seconds = (timeout or pg._timeout).total_seconds()
    tag = 7771
    token = np.zeros(1, np.uint8)
    if pg.rank() != 0:
        run_blocking(pg, "monitored_barrier", lambda: comm.Send(token, 0, tag))
        run_blocking(pg, "monitored_barrier", lambda: comm.Recv(token, 0, tag + 1))
        return None
    inbox = [np.zeros(1, np.uint8) for _ in range(pg.size())]
    requests = {r: comm.Irecv(inbox[r], r, tag) for r in range(1, pg.size())}
    deadline = time.monotonic() + seconds
    while requests and time.monotonic() < deadline:
        for r in [r for r, req in requests.items() if req.Test()]:
            del requests[r]
        time.sleep(0.001)
    if requests:
        for req in requests.values():
            req.Cancel()
        missing = sorted(pg._ranks[r] for r in requests)
        ms = int(seconds * 1000)
        if wait_all_ranks:
            raise RuntimeError(f"Ranks {', '.join(map(str, missing))} failed to pass "
                               f"monitoredBarrier in {ms} ms")
        raise RuntimeError(f"Rank {missing[0]} failed to pass monitoredBarrier in {ms} ms")
    for r in range(1, pg.size()):
        comm.Send(token, r, tag + 1)
    return None
