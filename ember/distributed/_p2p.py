"""Point-to-point messages (send, recv, isend, irecv, P2POp, batch_isend_irecv) and the object
collectives (all_gather_object, broadcast_object_list, gather_object, scatter_object_list,
send_object_list, recv_object_list), as torch.distributed.

Tensors go through MPI's buffer calls (NCCL's send/recv in a "nccl" group: ``_nccl``); objects
are pickled (mpi4py's lower-case calls), which is what torch does for them too.
"""

from . import _mpi, _nccl
from ._collectives import check_tensor, group_or_none, group_root, run_blocking
from .distributed_c10d import _State, resolve

__all__ = ["send", "recv", "isend", "irecv", "P2POp", "batch_isend_irecv",
           "all_gather_object", "broadcast_object_list", "gather_object",
           "scatter_object_list", "send_object_list", "recv_object_list"]

TAG_LIMIT = 32767  # the smallest upper bound MPI guarantees for tags


def _peer(pg, what, rank, group_rank, name):
    """The peer's rank inside ``pg``; torch's errors for a peer that is this rank."""
    peer = group_root(pg, what, rank, group_rank, name)
    if peer == pg.rank():
        kind = "destination" if name == "dst" else "source"
        raise ValueError(f"Invalid {kind} rank: {kind} rank should not be the same as the "
                         f"rank of the current process.")
    return peer


def _tag(tag):
    if not 0 <= tag <= TAG_LIMIT:
        raise ValueError(f"tag must be in 0..{TAG_LIMIT} (MPI's guaranteed range), got {tag}")
    return tag


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to rank ``dst`` (blocks until MPI has taken the data)."""
    work = isend(tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into ``tensor`` from rank ``src`` (any rank when None); returns the sender's
    rank."""
    work = irecv(tensor, src, group, tag, group_src)
    if work is None:
        return -1
    return work.source_rank()


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Start sending ``tensor`` to rank ``dst``; returns a Work to ``wait()`` on."""
    check_tensor(tensor)
    pg = group_or_none(group, "isend")
    if pg is None:
        return None
    peer = _peer(pg, "send", dst, group_dst, "dst")
    if pg._backend == "nccl":
        _tag(tag)  # (NCCL has no tags: checked, then unused, as torch's nccl)
        return _nccl.isend(pg, tensor, peer, pg._ranks[peer])
    data = _mpi.Buffer(tensor, reducing=False).array
    request = pg._comm.Isend(data, peer, _tag(tag))
    return _mpi.Work(_State.watchdog, [request], None, f"send to rank {dst}",
                     pg._timeout.total_seconds(), [tensor])


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """Start receiving into ``tensor`` from rank ``src`` (any rank when both src and group_src
    are None); returns a Work (``work.source_rank()`` names the sender)."""
    check_tensor(tensor)
    pg = group_or_none(group, "irecv")
    if pg is None:
        return None
    if pg._backend == "nccl":
        if src is None and group_src is None:
            raise RuntimeError("ProcessGroupNCCL does not support recvAnysource: name the "
                               "sender (src=) in a \"nccl\" group")
        peer = _peer(pg, "recv", src, group_src, "src")
        _tag(tag)
        return _nccl.irecv(pg, tensor, peer, pg._ranks[peer])
    MPI = _mpi.mpi()
    peer = MPI.ANY_SOURCE if src is None and group_src is None else \
        _peer(pg, "recv", src, group_src, "src")
    buf = _mpi.Buffer(tensor, reducing=False)
    status = MPI.Status()
    request = pg._comm.Irecv(buf.array, peer, _tag(tag))

    def finish():
        got = status.Get_count(MPI._typedict[buf.array.dtype.char])
        source = status.Get_source()
        if got != buf.array.size:
            raise RuntimeError(f"recv: rank {pg._ranks[source]} sent {got} elements but the "
                               f"receiving tensor holds {buf.array.size}")
        work._source = pg._ranks[source]
        buf.write_back()

    work = _mpi.Work(_State.watchdog, [request], finish, f"recv from rank {src}",
                     pg._timeout.total_seconds(), [tensor], status=status)
    return work


class P2POp:
    """One send or receive for ``batch_isend_irecv``: ``P2POp(dist.isend, tensor, peer)``."""

    def __init__(self, op, tensor, peer=None, group=None, tag=0, group_peer=None):
        if op not in (isend, irecv, send, recv):
            raise ValueError("Invalid ``op``. Expected ``op`` to be of type "
                             "``torch.distributed.isend`` or ``torch.distributed.irecv``.")
        check_tensor(tensor)
        self.op = {send: isend, recv: irecv}.get(op, op)
        self.tensor = tensor
        self.peer = peer
        self.group = group
        self.tag = tag
        self.group_peer = group_peer

    def __repr__(self):
        return (f"P2POp(op={self.op.__name__}, peer={self.peer}, tag={self.tag}, "
                f"tensor={list(self.tensor.shape)})")


def batch_isend_irecv(p2p_op_list):
    """Start every P2POp of the list; returns their Works (wait on each)."""
    if not isinstance(p2p_op_list, list) or \
            not all(isinstance(p, P2POp) for p in p2p_op_list):
        raise ValueError("Invalid ``p2p_op_list``. Each op is expected to to be of type "
                         "``torch.distributed.P2POp``.")
    pg = resolve(p2p_op_list[0].group) if p2p_op_list else None
    if getattr(pg, "_backend", None) == "nccl":
        if any(resolve(p.group) is not pg for p in p2p_op_list):
            raise ValueError("batch_isend_irecv: in a \"nccl\" group every P2POp must use "
                             "the same group")
        return _nccl_batch(pg, p2p_op_list)
    return [p.op(p.tensor, p.peer, p.group, p.tag, p.group_peer) for p in p2p_op_list]


def _nccl_batch(pg, p2p_op_list):
    """The batch as one NCCL group call, so sends and receives between the same ranks cannot
    wait on each other.  The pair communicators are made first (not allowed inside a group
    call), in one order on every rank (by peer rank), so no two ranks wait on each other."""
    peers = set()
    for p in p2p_op_list:
        name = "dst" if p.op is isend else "src"
        peers.add(_peer(pg, p.op.__name__, p.peer, p.group_peer, name))
    for peer in sorted(peers):
        _nccl.pair_communicator(pg, peer)
    with _nccl.grouped():
        return [p.op(p.tensor, p.peer, p.group, p.tag, p.group_peer) for p in p2p_op_list]


# ----------------------------------------------------------------------------- objects

def all_gather_object(object_list, obj, group=None):
    """Every rank's (picklable) ``obj`` into ``object_list``, in rank order."""
    pg = group_or_none(group, "all_gather_object")
    if pg is None:
        return None
    gathered = []
    run_blocking(pg, "all_gather_object", lambda: gathered.extend(pg._comm.allgather(obj)))
    for i, value in enumerate(gathered):
        object_list[i] = value
    return None


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Rank ``src``'s ``object_list`` into every rank's ``object_list`` (same length)."""
    pg = group_or_none(group, "broadcast_object_list")
    if pg is None:
        return None
    root = group_root(pg, "broadcast_object_list", src, group_src, "src")
    got = []
    run_blocking(pg, "broadcast_object_list",
                 lambda: got.append(pg._comm.bcast(list(object_list), root)))
    object_list[:] = _on_device(got[0], device)
    return None


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    """Every rank's ``obj`` into rank ``dst``'s ``object_gather_list``."""
    pg = group_or_none(group, "gather_object")
    if pg is None:
        return None
    root = group_root(pg, "gather_object", dst, group_dst, "dst")
    if pg.rank() == root and object_gather_list is None:
        raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
    if pg.rank() != root and object_gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination "
                         "ranks.")
    got = []
    run_blocking(pg, "gather_object", lambda: got.append(pg._comm.gather(obj, root)))
    if pg.rank() == root:
        for i, value in enumerate(got[0]):
            object_gather_list[i] = value
    return None


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=None,
                        group=None, group_src=None):
    """Rank ``src``'s ``scatter_object_input_list[i]`` into rank i's
    ``scatter_object_output_list[0]``."""
    pg = group_or_none(group, "scatter_object_list")
    if pg is None:
        return None
    if not isinstance(scatter_object_output_list, list) or not scatter_object_output_list:
        raise ValueError("Expected argument scatter_object_output_list to be a list of size "
                         "at least 1.")
    root = group_root(pg, "scatter_object_list", src, group_src, "src")
    items = None
    if pg.rank() == root:
        items = list(scatter_object_input_list or [])
        if len(items) != pg.size():
            raise ValueError(f"scatter_object_list: scatter_object_input_list must have one "
                             f"object per rank ({pg.size()}), got {len(items)}")
    got = []
    run_blocking(pg, "scatter_object_list", lambda: got.append(pg._comm.scatter(items, root)))
    scatter_object_output_list[0] = got[0]
    return None


def send_object_list(object_list, dst=None, group=None, device=None, group_dst=None,
                     use_batch=False):
    """Send the (picklable) objects of ``object_list`` to rank ``dst``.  ``use_batch`` (torch
    batches its two messages) changes nothing here: ember sends one message."""
    pg = group_or_none(group, "send_object_list")
    if pg is None:
        return None
    peer = _peer(pg, "send_object_list", dst, group_dst, "dst")
    run_blocking(pg, "send_object_list", lambda: pg._comm.send(list(object_list), peer, 0))
    return None


def recv_object_list(object_list, src=None, group=None, device=None, group_src=None,
                     use_batch=False):
    """Receive into ``object_list`` what rank ``src`` (any rank when None) sent with
    send_object_list; returns the sender's rank."""
    pg = group_or_none(group, "recv_object_list")
    if pg is None:
        return -1
    MPI = _mpi.mpi()
    peer = MPI.ANY_SOURCE if src is None and group_src is None else \
        _peer(pg, "recv_object_list", src, group_src, "src")
    status = MPI.Status()
    got = []
    run_blocking(pg, "recv_object_list",
                 lambda: got.append(pg._comm.recv(None, peer, 0, status=status)))
    object_list[:len(got[0])] = _on_device(got[0], device)
    return pg._ranks[status.Get_source()]


def _on_device(objects, device):
    """The objects, with the tensors among them moved to ``device`` when one is given."""
    if device is None:
        return objects
    from .._tensor import Tensor

    return [o.to(device) if isinstance(o, Tensor) else o for o in objects]
