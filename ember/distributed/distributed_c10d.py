"""Process groups: init_process_group, destroy_process_group, new_group and the questions
(get_rank, get_world_size, ...), as torch.distributed.distributed_c10d.

Every process group is an MPI communicator.  The default group is a duplicate of
MPI_COMM_WORLD, so the ranks and the world size always come from MPI (from ``mpiexec`` or
``python -m ember.distributed.run``); ``env://`` variables and ``rank=``/``world_size=`` are
checked against them.  "mpi" and "gloo" run over MPI on the CPU; "nccl" runs the collectives
of CUDA tensors in NCCL through CuPy (``_nccl``) and needs CuPy with NCCL.
"""

import datetime
import os

from . import _mpi
from ._types import Backend, GroupMember, ProcessGroup, default_pg_timeout

__all__ = ["init_process_group", "destroy_process_group", "is_initialized", "is_available",
           "is_mpi_available", "is_gloo_available", "is_nccl_available", "is_ucc_available",
           "is_xccl_available", "is_backend_available", "is_torchelastic_launched",
           "get_rank", "get_world_size", "get_backend", "get_process_group_ranks",
           "get_global_rank", "get_group_rank", "get_default_backend_for_device",
           "get_node_local_rank", "get_pg_count", "new_group", "new_subgroups",
           "new_subgroups_by_enumeration", "split_group"]

NO_GROUP = ("Default process group has not been initialized, please make sure to call "
            "init_process_group.")


class _State:
    """The process's distributed state: the default group, the watchdog, the groups made."""

    default = None      # the default ProcessGroup
    watchdog = None     # the _mpi.Watchdog of this process
    groups = []         # every ProcessGroup made (default first)
    count = 0           # groups made so far (names them)


# ----------------------------------------------------------------------------- availability

def is_available():
    """True when ember.distributed can run: mpi4py (and an MPI library) is installed."""
    return _mpi.available()


def is_mpi_available():
    return _mpi.available()


def is_gloo_available():
    """ember's "gloo" runs over MPI, so it is there when MPI is."""
    return _mpi.available()


def is_nccl_available():
    """True when CuPy with NCCL is installed (ember's "nccl" backend)."""
    try:
        from cupy.cuda import nccl  # noqa: F401
    except Exception:
        return False
    return True


def is_ucc_available():
    return False


def is_xccl_available():
    return False


def is_backend_available(backend):
    """Whether ``backend`` ("mpi", "gloo", "nccl", ...) can be used here."""
    return {"mpi": is_mpi_available, "gloo": is_gloo_available,
            "nccl": is_nccl_available}.get(Backend(backend), lambda: False)()


def is_torchelastic_launched():
    """True when torchrun (torch's elastic agent) started this process."""
    return os.getenv("TORCHELASTIC_RUN_ID") is not None


def get_default_backend_for_device(device):
    """The backend torch picks for a device type: "gloo" for cpu, "nccl" for cuda."""
    kind = device if isinstance(device, str) else device.type
    kind = kind.split(":")[0]
    if kind not in Backend.default_device_backend_map:
        raise ValueError(f"Default backend not registered for device : {kind}")
    return Backend.default_device_backend_map[kind]


def get_node_local_rank(fallback_rank=None):
    """This process's rank on its machine: LOCAL_RANK, else ``fallback_rank``."""
    if "LOCAL_RANK" in os.environ:
        return int(os.environ["LOCAL_RANK"])
    if fallback_rank is not None:
        return int(fallback_rank)
    raise RuntimeError("LOCAL_RANK is not in the environment. Consider passing fallback_rank "
                       "to allow `get_node_local_rank` to work, assuming you are not running "
                       "in a multi-device context and want the code to run locally instead.")


# ----------------------------------------------------------------------------- init / destroy

def is_initialized():
    """Whether init_process_group has run (and destroy_process_group has not)."""
    return _State.default is not None


def _timeout_seconds(timeout):
    if timeout is None:
        return default_pg_timeout
    if not isinstance(timeout, datetime.timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got "
                        f"{type(timeout).__name__}")
    return timeout


def _check_backend(backend, device_id):
    if backend is None:
        device_type = getattr(device_id, "type", "cuda" if isinstance(device_id, int) else "cpu")
        backend = get_default_backend_for_device(device_type)
    backend = Backend(backend)
    if backend not in ("mpi", "gloo", "nccl"):
        raise ValueError(f"Unknown backend type {backend}: ember.distributed runs \"mpi\", "
                         f"\"gloo\" (both over MPI on the CPU) and \"nccl\" (CuPy's NCCL)")
    if not _mpi.available():
        raise RuntimeError("ember.distributed needs mpi4py and an MPI library: "
                           "pip install 'ember[distributed]' (mpi4py and the mpich wheel)")
    if backend == "nccl" and not is_nccl_available():
        raise RuntimeError("Distributed package doesn't have NCCL built in (ember's \"nccl\" "
                           "needs CuPy with NCCL; use backend=\"gloo\" on the CPU)")
    return backend


def _expected_rank_and_size(init_method, rank, world_size):
    """The rank and world size the caller asked for (-1: whatever MPI says)."""
    init_method = "env://" if init_method is None else init_method
    scheme = init_method.split("://")[0] if "://" in init_method else ""
    if scheme not in ("env", "tcp", "file"):
        raise ValueError(f"No rendezvous handler for {init_method}")
    if scheme == "env":
        for name, given in (("RANK", rank), ("WORLD_SIZE", world_size)):
            if given == -1 and name in os.environ:
                value = int(os.environ[name])
                rank, world_size = (value, world_size) if name == "RANK" else (rank, value)
    return rank, world_size


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    """Join this process to the default process group (every rank MPI started).

    Ranks and the world size come from MPI; ``env://`` (the default) reads RANK and WORLD_SIZE
    when they are set (ember's launcher and torchrun set them) and, like ``rank=`` and
    ``world_size=``, they must agree with MPI.  ``tcp://`` and ``file://`` URLs are accepted
    (MPI does the rendezvous).  ``timeout`` (a timedelta, default 30 minutes) bounds how long a
    collective may wait for the other ranks before this rank stops with an error.  ``store``
    becomes the group's store (``get_group_store()``); ``pg_options`` is not supported.
    """
    if _State.default is not None:
        raise ValueError("trying to initialize the default process group twice!")
    backend = _check_backend(backend, device_id)
    timeout = _timeout_seconds(timeout)
    if pg_options is not None:
        raise ValueError("pg_options are options of torch's C++ backends; ember's MPI "
                         "backends take none")
    if store is not None and (rank == -1 or world_size == -1):
        raise ValueError("world_size and rank must be specified if store is specified")
    want_rank, want_size = _expected_rank_and_size(init_method, rank, world_size)
    MPI = _mpi.mpi()
    world = MPI.COMM_WORLD
    if want_size not in (-1, world.Get_size()) or want_rank not in (-1, world.Get_rank()):
        raise RuntimeError(
            f"ember.distributed runs over MPI, which started this process as rank "
            f"{world.Get_rank()} of {world.Get_size()}, but rank={want_rank}, "
            f"world_size={want_size} were asked for: start the script with "
            f"`python -m ember.distributed.run --nproc-per-node=N script.py` or "
            f"`mpiexec -n N python script.py` (torchrun starts unconnected processes)")
    comm = world.Dup()
    peers = comm.allgather((os.uname().nodename, os.getpid()))
    _State.watchdog = _mpi.Watchdog(comm, peers)
    pg = ProcessGroup(comm, range(comm.Get_size()), backend, timeout, group_name or "0")
    pg._store = store
    pg.bound_device_id = device_id
    _State.default = pg
    _State.groups = [pg]
    _State.count = 1
    GroupMember.WORLD = pg


def destroy_process_group(group=None):
    """Free ``group`` (default: the default group and every group, ending ember.distributed's
    state: is_initialized() is False again)."""
    if group is None or group is _State.default:
        if _State.default is None:
            raise AssertionError("Process group cannot be None")
        for pg in _State.groups:
            if pg._nccl is not None:
                pg._nccl.close()  # the group's NCCL communicators ("nccl" groups)
            pg._comm.Free()
        _State.watchdog.close()
        _State.default = _State.watchdog = None
        _State.groups = []
        GroupMember.WORLD = None
        return
    if group is GroupMember.NON_GROUP_MEMBER:
        return
    if group not in _State.groups:
        raise ValueError("Invalid process group specified")
    _State.groups.remove(group)
    if group._nccl is not None:
        group._nccl.close()
    group._comm.Free()


# ----------------------------------------------------------------------------- questions

def default_group():
    """The default group, or torch's ValueError when there is none."""
    if _State.default is None:
        raise ValueError(NO_GROUP)
    return _State.default


def resolve(group):
    """The ProcessGroup for ``group`` (None: the default one); NON_GROUP_MEMBER passes."""
    pg = default_group()
    if group is None:
        return pg
    if group is GroupMember.NON_GROUP_MEMBER or isinstance(group, ProcessGroup):
        return group
    raise ValueError(f"Group {group!r} is not registered, please create group with "
                     f"torch.distributed.new_group API")


def get_rank(group=None):
    """This process's rank in ``group`` (default: the default group); -1 outside it."""
    pg = resolve(group)
    return -1 if pg is GroupMember.NON_GROUP_MEMBER else pg.rank()


def get_world_size(group=None):
    """How many ranks ``group`` has (default: all); -1 for a rank outside it."""
    pg = resolve(group)
    return -1 if pg is GroupMember.NON_GROUP_MEMBER else pg.size()


def get_backend(group=None):
    """The backend name of ``group`` ("mpi", "gloo" or "nccl")."""
    pg = resolve(group)
    if pg is GroupMember.NON_GROUP_MEMBER:
        raise ValueError("Invalid process group specified")
    return pg._backend


def get_process_group_ranks(group):
    """The global ranks of ``group``'s members, in group-rank order."""
    pg = resolve(group)
    if pg is GroupMember.NON_GROUP_MEMBER:
        raise ValueError("Invalid process group specified")
    return list(pg._ranks)


def get_global_rank(group, group_rank):
    """The global rank of ``group``'s rank ``group_rank``."""
    pg = resolve(group)
    if pg is _State.default:
        return group_rank
    if not 0 <= group_rank < len(pg._ranks):
        raise ValueError(f"Group rank {group_rank} is not part of group {pg.group_name}")
    return pg._ranks[group_rank]


def get_group_rank(group, global_rank):
    """The rank inside ``group`` of global rank ``global_rank``."""
    pg = resolve(group)
    if pg is _State.default:
        return global_rank
    if global_rank not in pg._group_rank_of:
        raise ValueError(f"Global rank {global_rank} is not part of group {pg.group_name}")
    return pg._group_rank_of[global_rank]


def get_pg_count():
    """How many process groups this process has made (default group included)."""
    return _State.count


# ----------------------------------------------------------------------------- new groups

def new_group(ranks=None, timeout=None, backend=None, pg_options=None,
              use_local_synchronization=False, group_desc=None, device_id=None,
              sort_ranks=True):
    """A group of the given global ranks (default: all), with its own MPI communicator.

    Every rank calls it, members or not (non-members get ``GroupMember.NON_GROUP_MEMBER``),
    unless ``use_local_synchronization=True``, where only the members call it."""
    world = default_group()
    size = world.size()
    ranks = list(range(size)) if ranks is None else [int(r) for r in ranks]
    for r in ranks:
        if not 0 <= r < size:
            raise ValueError(f"Invalid rank {r}, out of range of the world size {size}")
    if len(set(ranks)) != len(ranks):
        raise ValueError(f"ranks passed to new_group contain duplicates: {ranks}")
    if sort_ranks:
        ranks = sorted(ranks)
    backend = world._backend if backend is None else _check_backend(backend, device_id)
    if pg_options is not None:
        raise ValueError("pg_options are options of torch's C++ backends; ember's MPI "
                         "backends take none")
    timeout = world._timeout if timeout is None else _timeout_seconds(timeout)
    name = str(_State.count)
    _State.count += 1
    members = world._comm.Get_group().Incl(ranks)
    if use_local_synchronization:
        if world.rank() not in ranks:
            return GroupMember.NON_GROUP_MEMBER
        comm = world._comm.Create_group(members)
    else:
        comm = world._comm.Create(members)
    members.Free()
    if comm == _mpi.mpi().COMM_NULL:
        return GroupMember.NON_GROUP_MEMBER
    pg = ProcessGroup(comm, ranks, backend, timeout, name)
    pg.group_desc = group_desc or name
    pg.bound_device_id = device_id
    _State.groups.append(pg)
    return pg


def new_subgroups(group_size=None, group=None, timeout=None, backend=None, pg_options=None,
                  group_desc=None):
    """Split the world into consecutive groups of ``group_size`` ranks (default: the number
    of CUDA devices, as torch); returns (this rank's subgroup, all subgroups)."""
    if group_size is None:
        from .. import cuda

        group_size = cuda.device_count()
    if group_size <= 0:
        raise ValueError(f"The arg 'group_size' ({group_size}) must be positive")
    ranks = get_process_group_ranks(group) if group is not None else \
        list(range(get_world_size()))
    if group_size > len(ranks):
        raise ValueError(f"The arg 'group_size' ({group_size}) must not exceed the world size "
                         f"({len(ranks)})")
    if len(ranks) % group_size != 0:
        raise ValueError("The world size must be divisible by 'group_size'")
    lists = [ranks[i:i + group_size] for i in range(0, len(ranks), group_size)]
    return new_subgroups_by_enumeration(lists, timeout, backend, pg_options, group_desc)


def new_subgroups_by_enumeration(ranks_per_subgroup_list, timeout=None, backend=None,
                                 pg_options=None, group_desc=None):
    """One group per list of ranks (each rank in at most one); returns (this rank's subgroup
    or None, all subgroups this rank can see)."""
    if not ranks_per_subgroup_list:
        raise ValueError("The arg 'ranks_per_subgroup_list' cannot be empty")
    seen = {}
    for ranks in ranks_per_subgroup_list:
        for r in ranks:
            if r in seen:
                raise ValueError(f"Rank {r} has appeared in both subgroup {seen[r]} and "
                                 f"{list(ranks)}")
            seen[r] = list(ranks)
    mine, subgroups = None, []
    me = get_rank()
    for ranks in ranks_per_subgroup_list:
        pg = new_group(ranks, timeout=timeout, backend=backend, pg_options=pg_options,
                       group_desc=group_desc)
        subgroups.append(pg)
        if me in ranks:
            mine = pg
    return mine, subgroups


def split_group(parent_pg=None, split_ranks=None, timeout=None, pg_options=None,
                group_desc=None, backend=None):
    """Split ``parent_pg`` (default: the default group) into the groups ``split_ranks``
    (lists of ranks of the parent group, not overlapping) with one MPI_Comm_split; every
    rank of the parent calls it and gets its own group, or NON_GROUP_MEMBER when no list
    names it."""
    parent = resolve(parent_pg)
    if parent is GroupMember.NON_GROUP_MEMBER:
        raise ValueError("split_group: this rank is not a member of the parent group")
    if not split_ranks:
        raise ValueError("split_ranks cannot be None or empty")
    if pg_options is not None:
        raise ValueError("pg_options are options of torch's C++ backends; ember's MPI "
                         "backends take none")
    color, mine = _mpi.mpi().UNDEFINED, None
    seen = set()
    for index, ranks in enumerate(split_ranks):
        for r in ranks:
            if r in seen or not 0 <= r < parent.size():
                raise ValueError(f"split_group: rank {r} is repeated or not a rank of the "
                                 f"parent group (size {parent.size()})")
            seen.add(r)
        if parent.rank() in ranks:
            color, mine = index, sorted(ranks)
    comm = parent._comm.Split(color, parent.rank())
    if mine is None:
        return GroupMember.NON_GROUP_MEMBER
    name = str(_State.count)
    _State.count += 1
    backend = parent._backend if backend is None else _check_backend(backend, None)
    timeout = parent._timeout if timeout is None else _timeout_seconds(timeout)
    pg = ProcessGroup(comm, [parent._ranks[r] for r in mine], backend, timeout, name)
    pg.group_desc = group_desc or name
    _State.groups.append(pg)
    return pg
