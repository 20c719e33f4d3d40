"""ember's "nccl" backend: the collectives of a "nccl" group run on CUDA tensors by NCCL,
through CuPy (``cupy.cuda.nccl``).

A "nccl" group is an MPI communicator like every other group (the ranks, the argument checks,
the signature check ``agree`` and the watchdog are the same).  On its first collective the
group also makes one ``NcclCommunicator(size, unique_id, rank)``: group rank 0 asks NCCL for a
unique id and the group's MPI communicator broadcasts it.  The collectives then hand NCCL the
raw GPU addresses of the tensors, and NCCL runs on CuPy's current stream:

* all_reduce, reduce: NCCL's SUM, PROD, MIN, MAX; AVG is SUM then a division by the group's
  size (NCCL's own average needs NCCL 2.10+).  BAND, BOR and BXOR are not in NCCL: ValueError,
  as torch's nccl.  On bool tensors SUM is MAX ("or") and PRODUCT is MIN ("and"), as torch.
* broadcast, all_gather, all_gather_into_tensor, reduce_scatter, reduce_scatter_tensor.
* send/recv/isend/irecv: one two-rank NcclCommunicator per pair of ranks, made on their
  first message (the lower rank's unique id travels over MPI), as torch's nccl does.
* barrier: an all_reduce of one element, then the host waits for the GPU (as torch).

Like CUDA kernels, the calls return as soon as the work is queued on the stream: the results
are there for every later GPU operation on that stream (and for ``.cpu()``, which waits for
it).  ``async_op=True`` returns a Work (``StreamWork``) whose ``wait()`` blocks the host until
the stream has passed the collective.  Non-contiguous tensors are copied into a contiguous
array, and the result copied back, on the same stream.

dtypes: float16, bfloat16 (when CuPy's nccl has NCCL_BFLOAT16), float32, float64, int8, uint8,
int32, int64; bool as uint8 and complex as pairs of floats, as torch.  int16 is not an NCCL
type: TypeError, as torch's nccl.  A CPU tensor in a "nccl" group is torch's RuntimeError ("No
backend type associated with device type cpu").

gather, scatter, all_to_all(_single) and the object collectives are not here: on a "nccl"
group they go through the host over MPI, as on the other backends.

NOTE: not yet run on a GPU.  tests/distributed/nccl_glue.py checks this module against a fake
CuPy that reduces on the host; scripts/gpu_check_nccl.py is the check to run on a GPU machine.
"""

from .. import _device
from .._tensor import _address
from . import _mpi
from ._types import RedOpType, as_red_op
from .distributed_c10d import _State

PAIR_ID_TAG = 32767  # the MPI tag that carries a pair's unique id (the top of MPI's range)


def nccl():
    """CuPy's NCCL module (imported on first use)."""
    from cupy.cuda import nccl as module

    return module


def cupy_cuda():
    """``cupy.cuda`` (streams and events)."""
    import cupy.cuda

    return cupy.cuda


# ----------------------------------------------------------------------------- communicators

class Communicators:
    """What a "nccl" group holds in ``ProcessGroup._nccl``: the NcclCommunicator over the whole
    group and the two-rank ones for send/recv, by peer."""

    def __init__(self):
        self.whole = None
        self.pairs = {}

    def close(self):
        for comm in [self.whole, *self.pairs.values()]:
            if comm is not None:
                comm.destroy()
        self.whole, self.pairs = None, {}


def group_communicator(pg):
    """The group's NcclCommunicator, made on first use: every rank of the group is inside the
    same collective at that moment (``agree`` checked it), so all of them make it together."""
    state = pg._nccl
    if state is None:
        state = pg._nccl = Communicators()
    if state.whole is None:
        module = nccl()
        unique_id = module.get_unique_id() if pg.rank() == 0 else None
        unique_id = watched(pg, "the NCCL communicator's unique id",
                            lambda: pg._comm.bcast(unique_id, 0))
        state.whole = watched(pg, "making the NCCL communicator",
                              lambda: module.NcclCommunicator(pg.size(), unique_id, pg.rank()))
    return state.whole


def pair_communicator(pg, peer):
    """The two-rank NcclCommunicator between this rank and group rank ``peer`` (the lower of
    the two is NCCL rank 0 and sends the unique id over MPI)."""
    state = pg._nccl
    if state is None:
        state = pg._nccl = Communicators()
    comm = state.pairs.get(peer)
    if comm is None:
        module = nccl()
        me = pg.rank()
        if me < peer:
            unique_id = module.get_unique_id()
            watched(pg, "sending an NCCL unique id",
                    lambda: pg._comm.send(unique_id, peer, PAIR_ID_TAG))
        else:
            unique_id = watched(pg, "receiving an NCCL unique id",
                                lambda: pg._comm.recv(None, peer, PAIR_ID_TAG))
        comm = state.pairs[peer] = watched(
            pg, "making an NCCL communicator for send/recv",
            lambda: module.NcclCommunicator(2, unique_id, 0 if me < peer else 1))
    return comm


def watched(pg, what, call):
    """``call()`` under the watchdog's eye (it stops the rank past the group's timeout)."""
    watchdog = _State.watchdog
    watchdog.enter(what, pg._timeout.total_seconds())
    try:
        return call()
    finally:
        watchdog.leave()


# ----------------------------------------------------------------------------- checks

# ember dtype -> the name of CuPy's NCCL constant it travels as (count multiplied by the
# second number: a complex number is two floats)
NCCL_TYPE = {"bool": ("NCCL_UINT8", 1), "uint8": ("NCCL_UINT8", 1), "int8": ("NCCL_INT8", 1),
             "int32": ("NCCL_INT32", 1), "int64": ("NCCL_INT64", 1),
             "float16": ("NCCL_FLOAT16", 1), "bfloat16": ("NCCL_BFLOAT16", 1),
             "float32": ("NCCL_FLOAT32", 1), "float64": ("NCCL_FLOAT64", 1),
             "complex64": ("NCCL_FLOAT32", 2), "complex128": ("NCCL_FLOAT64", 2)}

NCCL_OP = {RedOpType.SUM: "NCCL_SUM", RedOpType.AVG: "NCCL_SUM", RedOpType.PRODUCT: "NCCL_PROD",
           RedOpType.MIN: "NCCL_MIN", RedOpType.MAX: "NCCL_MAX"}


def check_device(t):
    """A "nccl" group runs CUDA tensors only (torch's RuntimeError for a CPU one)."""
    if t.device.type != "cuda":
        raise RuntimeError(f"No backend type associated with device type {t.device.type}: "
                           f"ember's \"nccl\" group runs CUDA tensors; move the tensor to the "
                           f"GPU (.cuda()) or use backend=\"gloo\" for CPU tensors")


def nccl_type(t, reducing):
    """(CuPy's NCCL datatype constant, elements per tensor element) for ``t``.

    int16 is not an NCCL type (torch's TypeError).  bfloat16 needs NCCL_BFLOAT16 in CuPy's
    nccl when reduced; only moved (broadcast, gather, send) it travels as float16, which has
    the same width and whose bits NCCL copies unchanged."""
    check_device(t)
    name = t.dtype.name
    if name not in NCCL_TYPE:
        raise TypeError(f"Input tensor data type is not supported for NCCL process group: "
                        f"{t.dtype._short} (ember's \"nccl\" carries {', '.join(NCCL_TYPE)}; "
                        f"convert the tensor, e.g. .int() for int16)")
    constant, per_element = NCCL_TYPE[name]
    module = nccl()
    if not hasattr(module, constant):
        if reducing:
            raise TypeError("Input tensor data type is not supported for NCCL process group: "
                            "this CuPy's nccl has no NCCL_BFLOAT16 (CuPy 10+ built with "
                            "NCCL 2.10+ has it)")
        constant = "NCCL_FLOAT16"
    return getattr(module, constant), per_element


def check_op(op, t):
    """The RedOpType for ``op`` with torch's nccl errors: BAND, BOR, BXOR are not NCCL
    reductions (ValueError); AVG of bools is a TypeError."""
    op = as_red_op(op)
    if op in (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR):
        raise ValueError(f"Cannot use ReduceOp.{op.name} with NCCL (NCCL has no bitwise "
                         f"reductions; use backend=\"gloo\" on CPU tensors for them)")
    if op == RedOpType.AVG and t.dtype.name == "bool":
        raise TypeError("Cannot use ReduceOp.AVG with boolean inputs")
    return op


def nccl_op(op, t):
    """CuPy's NCCL reduction constant for ``op`` on ``t`` (bool: SUM is MAX, PRODUCT is MIN)."""
    if t.dtype.name == "bool":
        op = {RedOpType.SUM: RedOpType.MAX, RedOpType.PRODUCT: RedOpType.MIN}.get(op, op)
    return getattr(nccl(), NCCL_OP[op])


# ----------------------------------------------------------------------------- buffers

class Wire:
    """A contiguous GPU array NCCL reads or writes for tensor ``t``: the tensor's own memory
    when it is contiguous, else a copy (``write_back`` copies the result in)."""

    def __init__(self, t, reducing):
        self.tensor = t
        self.dtype, per_element = nccl_type(t, reducing)
        data = t._data
        self.shared = bool(data.flags.c_contiguous)
        if not self.shared:
            data = _device.array_module_of(data).ascontiguousarray(data)
        self.array = data
        self.count = data.size * per_element
        self.ptr = _address(data)

    def write_back(self):
        if not self.shared:
            if grouped.after is not None:  # inside a group NCCL runs at the group's end:
                grouped.after.append(self.write_back)  # copy back after it
                return
            self.tensor._data[...] = self.array
        self.tensor._counter().value += 1


def scratch(shape, like):
    """An empty contiguous GPU array of ``shape`` in ``like``'s dtype."""
    return _device.array_module_of(like).empty(shape, like.dtype)


def divide(array, n):
    """AVG's last step: the sum over the ranks divided by their number, in place."""
    xp = _device.array_module_of(array)
    xp.divide(array, n, out=array)


def stream_ptr():
    """CuPy's current stream (NCCL queues its work there)."""
    return cupy_cuda().get_current_stream().ptr


def finish(pg, what, async_op, outputs):
    """None, or for ``async_op=True`` a Work that is done once the stream has passed here."""
    if not async_op:
        return None
    work = StreamWork(what, pg._timeout.total_seconds(), outputs)
    if grouped.after is not None:  # inside a group the NCCL work is queued at its end
        grouped.after.append(work.record)
    else:
        work.record()
    return work


class StreamWork(_mpi.Work):
    """The Work of a collective NCCL runs on the GPU: done when the stream has passed the
    event recorded just after the collective; ``wait()`` blocks the host until then (under
    the watchdog, so a peer that never joins stops the rank after the group's timeout)."""

    def __init__(self, what, timeout_s, outputs):
        super().__init__(None, [], None, what, timeout_s, outputs)
        self._event = None  # set by record()

    def record(self):
        """Mark the stream here: the work is done when the GPU has passed this point."""
        cuda = cupy_cuda()
        self._event = cuda.Event()
        self._event.record(cuda.get_current_stream())

    def _poll(self):
        if not self._mpi_done and self._event.done:
            self._done()

    def wait(self, timeout=None):
        if timeout is not None:
            self._timeout_s = timeout.total_seconds()
        if not self._mpi_done:
            watchdog = _State.watchdog
            watchdog.enter(self._what, self._timeout_s)
            try:
                self._event.synchronize()
            finally:
                watchdog.leave()
            self._done()
        return True

    synchronize = wait


# ----------------------------------------------------------------------------- collectives

def all_reduce(pg, tensor, op, async_op):
    buf = Wire(tensor, reducing=True)
    comm = group_communicator(pg)
    watched(pg, "all_reduce", lambda: comm.allReduce(
        buf.ptr, buf.ptr, buf.count, buf.dtype, nccl_op(op, tensor), stream_ptr()))
    if op == RedOpType.AVG:
        divide(buf.array, pg.size())
    buf.write_back()
    return finish(pg, "all_reduce", async_op, [tensor])


def reduce(pg, tensor, root, op, async_op):
    buf = Wire(tensor, reducing=True)
    comm = group_communicator(pg)
    watched(pg, "reduce", lambda: comm.reduce(
        buf.ptr, buf.ptr, buf.count, buf.dtype, nccl_op(op, tensor), root, stream_ptr()))
    if pg.rank() == root:
        if op == RedOpType.AVG:
            divide(buf.array, pg.size())
        buf.write_back()
    return finish(pg, "reduce", async_op, [tensor])


def broadcast(pg, tensor, root, async_op):
    buf = Wire(tensor, reducing=False)
    comm = group_communicator(pg)
    watched(pg, "broadcast", lambda: comm.broadcast(
        buf.ptr, buf.ptr, buf.count, buf.dtype, root, stream_ptr()))
    buf.write_back()
    return finish(pg, "broadcast", async_op, [tensor])


def all_gather_into_tensor(pg, output, input, async_op):
    send = Wire(input, reducing=False)
    recv = Wire(output, reducing=False)
    comm = group_communicator(pg)
    watched(pg, "all_gather_into_tensor", lambda: comm.allGather(
        send.ptr, recv.ptr, send.count, send.dtype, stream_ptr()))
    recv.write_back()
    return finish(pg, "all_gather_into_tensor", async_op, [output])


def all_gather(pg, tensor_list, tensor, async_op):
    """Gather into one contiguous array (rank-major), then copy each block into its tensor."""
    send = Wire(tensor, reducing=False)
    recv = scratch((pg.size(), send.array.size), send.array)
    comm = group_communicator(pg)
    watched(pg, "all_gather", lambda: comm.allGather(
        send.ptr, _address(recv), send.count, send.dtype, stream_ptr()))
    for t, block in zip(tensor_list, recv):
        t._data[...] = block.reshape(t._data.shape)
        t._counter().value += 1
    return finish(pg, "all_gather", async_op, tensor_list)


def reduce_scatter_tensor(pg, output, input, op, async_op):
    send = Wire(input, reducing=True)
    return _reduce_scatter(pg, "reduce_scatter_tensor", send.ptr, output, op, async_op)


def reduce_scatter(pg, output, input_list, op, async_op):
    """Stack the inputs into one contiguous array (rank-major), then reduce-scatter it."""
    send = scratch((pg.size(), output._data.size), output._data)
    for i, t in enumerate(input_list):
        send[i] = t._data.reshape(-1)
    return _reduce_scatter(pg, "reduce_scatter", _address(send), output, op, async_op)


def _reduce_scatter(pg, name, send_ptr, output, op, async_op):
    """NCCL's reduceScatter from the contiguous input at ``send_ptr`` into ``output``."""
    recv = Wire(output, reducing=True)
    comm = group_communicator(pg)
    watched(pg, name, lambda: comm.reduceScatter(
        send_ptr, recv.ptr, recv.count, recv.dtype, nccl_op(op, output), stream_ptr()))
    if op == RedOpType.AVG:
        divide(recv.array, pg.size())
    recv.write_back()
    return finish(pg, name, async_op, [output])


def barrier(pg, timeout_s, async_op):
    """An all_reduce of one element on the GPU, then the host waits for it (torch's nccl
    barrier blocks the host too); with ``async_op=True`` the Work's ``wait()`` does."""
    xp = _device.xp_for(_device.device("cuda", 0))
    one = xp.zeros(1, xp.float32)
    comm = group_communicator(pg)
    module = nccl()
    watched(pg, "barrier", lambda: comm.allReduce(
        _address(one), _address(one), 1, module.NCCL_FLOAT32, module.NCCL_SUM, stream_ptr()))
    work = StreamWork("barrier", timeout_s, [])
    work.record()
    if async_op:
        return work
    work.wait()
    return None


# ----------------------------------------------------------------------------- send / recv

def isend(pg, tensor, peer, global_peer):
    buf = Wire(tensor, reducing=False)
    comm = pair_communicator(pg, peer)
    # in the pair's communicator the peer is NCCL rank 1 when it is the higher group rank
    watched(pg, "send", lambda: comm.send(buf.ptr, buf.count, buf.dtype,
                                          int(peer > pg.rank()), stream_ptr()))
    return finish(pg, f"send to rank {global_peer}", True, [tensor])


def irecv(pg, tensor, peer, global_peer):
    buf = Wire(tensor, reducing=False)
    comm = pair_communicator(pg, peer)
    watched(pg, "recv", lambda: comm.recv(buf.ptr, buf.count, buf.dtype,
                                          int(peer > pg.rank()), stream_ptr()))
    buf.write_back()
    work = finish(pg, f"recv from rank {global_peer}", True, [tensor])
    work._source = global_peer
    return work


class grouped:
    """``with grouped():`` fuses the NCCL calls inside into one (ncclGroupStart/End), so a
    batch of sends and receives between the same ranks cannot wait on each other.  NCCL runs
    them at the group's end, so copies back into non-contiguous tensors wait until then."""

    after = None  # inside a group: the copies back to make after groupEnd

    def __enter__(self):
        grouped.after = []
        nccl().groupStart()

    def __exit__(self, *exc):
        copies, grouped.after = grouped.after, None
        nccl().groupEnd()
        for copy in copies:
            copy()
