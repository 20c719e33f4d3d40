"""The small value types of torch.distributed: ReduceOp, Backend, ProcessGroup, GroupMember."""

import datetime
import enum

__all__ = ["ReduceOp", "Backend", "ProcessGroup", "GroupMember", "group", "default_pg_timeout"]

# torch's default for every backend but NCCL (which waits 10 minutes)
default_pg_timeout = datetime.timedelta(minutes=30)


class RedOpType(enum.IntEnum):
    """The reduction a collective applies (torch's numbering)."""

    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8

    def __repr__(self):
        return f"<RedOpType.{self.name}: {self.value}>"

    def __str__(self):
        return f"RedOpType.{self.name}"


class ReduceOp:
    """torch.distributed.ReduceOp: ``ReduceOp.SUM``, ``.AVG``, ``.PRODUCT``, ``.MIN``, ``.MAX``,
    ``.BAND``, ``.BOR``, ``.BXOR`` (and ``.PREMUL_SUM``, which ember does not run).

    The members are ``ReduceOp.RedOpType`` values, as in torch; ``ReduceOp(ReduceOp.SUM)`` makes
    an instance holding one, which the collectives accept too."""

    RedOpType = RedOpType
    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR
    PREMUL_SUM = RedOpType.PREMUL_SUM

    def __init__(self, op):
        self.op = RedOpType(op.op if isinstance(op, ReduceOp) else op)

    def __eq__(self, other):
        other = other.op if isinstance(other, ReduceOp) else other
        return self.op == other

    def __hash__(self):
        return hash(self.op)


def as_red_op(op):
    """The RedOpType of ``op`` (a RedOpType, a ReduceOp instance or its int value)."""
    if isinstance(op, ReduceOp):
        return op.op
    try:
        return RedOpType(op)
    except ValueError:
        raise TypeError(f"op must be a torch.distributed.ReduceOp member, got {op!r}") from None


class Backend(str):
    """A backend name, lower-cased: ``Backend("GLOO") == "gloo"``; ``Backend.GLOO`` etc.

    In ember "mpi" and "gloo" both run over MPI on the CPU; "nccl" needs CuPy's NCCL."""

    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    XCCL = "xccl"
    UCC = "ucc"
    MPI = "mpi"
    FAKE = "fake"
    backend_list = [UNDEFINED, GLOO, NCCL, XCCL, UCC, MPI, FAKE]
    default_device_backend_map = {"cpu": GLOO, "cuda": NCCL, "xpu": XCCL, "mps": GLOO}

    def __new__(cls, name):
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, got {name!r}")
        return str.__new__(cls, name.lower())


class ProcessGroup:
    """A set of ranks that run collectives together: the default group (every rank) or one made
    by ``new_group``.  It holds an MPI communicator over its ranks.

    ``rank()`` is this process's rank inside the group, ``size()`` the group's size."""

    def __init__(self, comm, ranks, backend, timeout, name):
        self._comm = comm                       # mpi4py communicator of the group's ranks
        self._ranks = list(ranks)               # group rank i is global rank _ranks[i]
        self._group_rank_of = {g: i for i, g in enumerate(self._ranks)}
        self._backend = Backend(backend)
        self._timeout = timeout                 # a datetime.timedelta
        self.group_name = name
        self.group_desc = name
        self._nccl = None                       # CuPy's NCCL communicator, made on first use

    _store = None          # the store= given to init_process_group
    bound_device_id = None

    def rank(self):
        return self._comm.Get_rank()

    def get_group_store(self):
        """The store given to init_process_group (None when MPI did the rendezvous)."""
        return self._store

    def size(self):
        return len(self._ranks)

    def name(self):
        return self._backend

    def set_timeout(self, timeout):
        self._timeout = timeout

    def __repr__(self):
        return (f"<ember.distributed.ProcessGroup {self.group_name!r} backend={self._backend} "
                f"ranks={self._ranks}>")


class GroupMember:
    """``GroupMember.WORLD``: the default group once initialised (None before);
    ``GroupMember.NON_GROUP_MEMBER``: what ``new_group`` returns on ranks outside the group."""

    WORLD = None
    NON_GROUP_MEMBER = -100


group = GroupMember  # torch.distributed.group: the same class, read as ``group.WORLD``
