"""The fake ``cupy.cuda.nccl`` (see ../../README.md): NOT NCCL.

``NcclCommunicator`` has CuPy's signatures (raw addresses, element counts, NCCL datatype and op
constants, a stream handle) and does what NCCL does, on the host with mpi4py: it views the
memory at each address as a NumPy array of the datatype, gathers every rank's values and reduces
them with NumPy.  It runs at once (the stream is never involved), which ember's glue cannot
tell from a GPU that finished quickly.

Making a communicator works as NCCL's bootstrap does, with files in place of sockets: rank 0's
unique id names a rendezvous folder, each rank writes its MPI rank there and, once all ``ndev``
have, the members make an MPI communicator of their own (``Create_group``, which only the
members call, as only they call ncclCommInitRank).

The test reads what happened: ``issued`` (the unique ids this process made), ``made`` (the
communicators: size, rank, unique id), ``calls`` (every collective: name, count, datatype, op),
``destroyed`` (how many communicators were destroyed).
"""

import ctypes
import functools
import os
import random
import tempfile
import time

import numpy as np

NCCL_SUM, NCCL_PROD, NCCL_MAX, NCCL_MIN, NCCL_AVG = 0, 1, 2, 3, 4
NCCL_INT8 = NCCL_CHAR = 0
NCCL_UINT8 = 1
NCCL_INT32 = NCCL_INT = 2
NCCL_UINT32 = 3
NCCL_INT64 = 4
NCCL_UINT64 = 5
NCCL_FLOAT16 = NCCL_HALF = 6
NCCL_FLOAT32 = NCCL_FLOAT = 7
NCCL_FLOAT64 = NCCL_DOUBLE = 8
NCCL_BFLOAT16 = 9

available = True
issued, made, calls = [], [], []
destroyed = 0
_group = None  # inside groupStart/groupEnd: the queued sends and receives


def _numpy_dtype(datatype):
    if datatype == NCCL_BFLOAT16:
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype({NCCL_INT8: np.int8, NCCL_UINT8: np.uint8, NCCL_INT32: np.int32,
                     NCCL_UINT32: np.uint32, NCCL_INT64: np.int64, NCCL_UINT64: np.uint64,
                     NCCL_FLOAT16: np.float16, NCCL_FLOAT32: np.float32,
                     NCCL_FLOAT64: np.float64}[datatype])


# NCCL_AVG is left out on purpose: ember divides a SUM itself (NCCL's avg needs 2.10+)
_UFUNC = {NCCL_SUM: np.add, NCCL_PROD: np.multiply, NCCL_MAX: np.maximum, NCCL_MIN: np.minimum}


class NcclError(RuntimeError):
    pass


def _memory(address, count, datatype):
    """The ``count`` elements of ``datatype`` at ``address``, as a writable NumPy array over
    that memory (what NCCL would read and write on the GPU)."""
    dtype = _numpy_dtype(datatype)
    if count == 0:
        return np.empty(0, dtype)
    raw = (ctypes.c_char * (count * dtype.itemsize)).from_address(address)
    return np.frombuffer(raw, dtype=dtype)


def _bytes(array):
    return array.view(np.uint8)


def get_unique_id():
    """128 signed chars, as CuPy's (here random: they name the rendezvous folder)."""
    unique_id = tuple(random.randint(-128, 127) for _ in range(128))
    issued.append(unique_id)
    return unique_id


def get_version():
    return 21000


def get_build_version():
    return 21000


def groupStart():
    global _group
    if _group is not None:
        raise NcclError("fake nccl: groupStart inside a group")
    _group = []


def groupEnd():
    """Post every queued send and receive without blocking, then wait for all of them."""
    global _group
    from mpi4py import MPI

    queued, _group = _group, None
    requests = [start() for start in queued]
    MPI.Request.Waitall(requests)


class NcclCommunicator:
    def __init__(self, ndev, commId, rank):
        from mpi4py import MPI

        if len(commId) != 128:
            raise NcclError("fake nccl: a unique id has 128 bytes")
        if not 0 <= rank < ndev:
            raise NcclError(f"fake nccl: rank {rank} is not in 0..{ndev - 1}")
        world = MPI.COMM_WORLD
        key = bytes(b % 256 for b in commId[:16]).hex()
        folder = os.path.join(tempfile.gettempdir(), f"ember-fake-nccl-{key}")
        os.makedirs(folder, exist_ok=True)
        mine = os.path.join(folder, str(rank))
        with open(mine + ".tmp", "w") as f:
            f.write(str(world.Get_rank()))
        os.replace(mine + ".tmp", mine)
        deadline = time.monotonic() + 60
        while len([n for n in os.listdir(folder) if n.isdigit()]) < ndev:
            if time.monotonic() > deadline:
                raise NcclError("fake nccl: the other ranks never joined the communicator")
            time.sleep(0.005)
        members = []
        for r in range(ndev):
            with open(os.path.join(folder, str(r))) as f:
                members.append(int(f.read()))
        group = world.Get_group().Incl(members)
        self._comm = world.Create_group(group, int(key[:4], 16) % 30000)
        group.Free()
        self._comm.Barrier()  # everyone has read the folder
        if rank == 0:
            for r in range(ndev):
                os.remove(os.path.join(folder, str(r)))
            os.rmdir(folder)
        self._rank, self._size = rank, ndev
        made.append((ndev, rank, tuple(commId)))

    def rank_id(self):
        return self._rank

    def size(self):
        return self._size

    def device_id(self):
        return 0

    def destroy(self):
        global destroyed
        if self._comm is not None:
            self._comm.Free()
            self._comm = None
            destroyed += 1

    def _gather(self, address, count, datatype):
        """Every rank's ``count`` elements at ``address``: an array (ranks, count)."""
        if _group is not None:
            raise NcclError("fake nccl: only send/recv are faked inside a group")
        mine = _memory(address, count, datatype).copy()
        every = np.empty((self._size, count), mine.dtype)
        self._comm.Allgather(_bytes(mine), _bytes(every).reshape(-1))
        return every

    def _reduce(self, every, op):
        if op not in _UFUNC:
            raise NcclError(f"fake nccl: op {op} is not faked (ember should not send it)")
        return functools.reduce(_UFUNC[op], every)

    def allReduce(self, sendbuf, recvbuf, count, datatype, op, stream):
        calls.append(("allReduce", count, datatype, op))
        every = self._gather(sendbuf, count, datatype)
        _memory(recvbuf, count, datatype)[...] = self._reduce(every, op)

    def reduce(self, sendbuf, recvbuf, count, datatype, op, root, stream):
        calls.append(("reduce", count, datatype, op))
        every = self._gather(sendbuf, count, datatype)
        if self._rank == root:
            _memory(recvbuf, count, datatype)[...] = self._reduce(every, op)

    def broadcast(self, sendbuff, recvbuff, count, datatype, root, stream):
        calls.append(("broadcast", count, datatype, None))
        if _group is not None:
            raise NcclError("fake nccl: only send/recv are faked inside a group")
        target = _memory(recvbuff, count, datatype)
        if self._rank == root and sendbuff != recvbuff:
            target[...] = _memory(sendbuff, count, datatype)
        self._comm.Bcast(_bytes(target), root)

    def allGather(self, sendbuf, recvbuf, count, datatype, stream):
        calls.append(("allGather", count, datatype, None))
        every = self._gather(sendbuf, count, datatype)
        _memory(recvbuf, count * self._size, datatype)[...] = every.reshape(-1)

    def reduceScatter(self, sendbuf, recvbuf, recvcount, datatype, op, stream):
        calls.append(("reduceScatter", recvcount, datatype, op))
        every = self._gather(sendbuf, recvcount * self._size, datatype)
        total = self._reduce(every, op)
        block = total[self._rank * recvcount:(self._rank + 1) * recvcount]
        _memory(recvbuf, recvcount, datatype)[...] = block

    def send(self, sendbuf, count, datatype, peer, stream):
        calls.append(("send", count, datatype, peer))
        data = _bytes(_memory(sendbuf, count, datatype))
        if _group is not None:
            _group.append(lambda: self._comm.Isend(data, peer, 0))
        else:
            self._comm.Send(data, peer, 0)

    def recv(self, recvbuf, count, datatype, peer, stream):
        calls.append(("recv", count, datatype, peer))
        data = _bytes(_memory(recvbuf, count, datatype))
        if _group is not None:
            _group.append(lambda: self._comm.Irecv(data, peer, 0))
        else:
            self._comm.Recv(data, peer, 0)
