"""The smaller names of torch.distributed: the debug level, supports_complex,
get_backend_config, the (deprecated in torch) coalesced collectives, reduce_op, breakpoint."""

import enum
import os
import warnings

from . import _collectives as C
from ._types import RedOpType, ReduceOp
from .distributed_c10d import get_rank, resolve

__all__ = ["DebugLevel", "get_debug_level", "set_debug_level", "set_debug_level_from_env",
           "supports_complex", "get_backend_config", "all_reduce_coalesced",
           "all_gather_coalesced", "reduce_op", "breakpoint"]


class DebugLevel(enum.IntEnum):
    """How much checking and logging TORCH_DISTRIBUTED_DEBUG asks for.  ember's collectives
    always check that the ranks agree (the DETAIL level's main check in torch)."""

    OFF = 0
    INFO = 1
    DETAIL = 2

    def __repr__(self):
        return f"<DebugLevel.{self.name}: {self.value}>"

    def __str__(self):
        return f"DebugLevel.{self.name}"


_level = [DebugLevel.OFF]


def get_debug_level():
    return _level[0]


def set_debug_level(level):
    _level[0] = DebugLevel(level)


def set_debug_level_from_env():
    """Read TORCH_DISTRIBUTED_DEBUG (OFF, INFO or DETAIL)."""
    name = os.environ.get("TORCH_DISTRIBUTED_DEBUG", "OFF").upper()
    if name not in DebugLevel.__members__:
        raise ValueError(f"The value of TORCH_DISTRIBUTED_DEBUG must be OFF, INFO or DETAIL, "
                         f"got {name!r}")
    _level[0] = DebugLevel[name]


def supports_complex(reduceOp):
    """Whether ``reduceOp`` works on complex tensors (SUM, AVG and PREMUL_SUM do)."""
    op = reduceOp.op if isinstance(reduceOp, ReduceOp) else reduceOp
    return op in (RedOpType.SUM, RedOpType.AVG, RedOpType.PREMUL_SUM)


def get_backend_config(group=None):
    """The group's backend per device type, as torch prints it ("cpu:gloo")."""
    backend = resolve(group)._backend
    return "cuda:nccl" if backend == "nccl" else f"cpu:{backend}"


def all_reduce_coalesced(tensors, op=RedOpType.SUM, group=None, async_op=False):
    """all_reduce of several tensors of one dtype in one MPI call (their values packed into
    one flat buffer, reduced, and unpacked).  Deprecated in torch, with the same warning."""
    warnings.warn("torch.distributed.all_reduce_coalesced will be deprecated. If you must "
                  "use it, please revisit our documentation later at https://pytorch.org/docs/"
                  "main/distributed.html#collective-functions", FutureWarning, stacklevel=2)
    if not isinstance(tensors, (list, tuple)):
        tensors = [tensors]
    C.check_tensor_list(tensors, "tensors")
    if len({t.dtype for t in tensors}) > 1:
        raise RuntimeError("all_reduce_coalesced: all tensors must have the same dtype")
    if not tensors:
        return None
    from .. import cat

    flat = cat([t.detach().reshape(-1) for t in tensors])
    work = C.all_reduce(flat, op=op, group=group, async_op=async_op)

    def unpack():
        offset = 0
        for t in tensors:
            values = flat._data[offset:offset + t.numel()]
            t._data[...] = values.reshape(t._data.shape)
            t._counter().value += 1
            offset += t.numel()

    if work is None:
        unpack()
        return None
    finish = work._finish
    work._finish = lambda: (finish(), unpack())
    return work


def all_gather_coalesced(output_tensor_lists, input_tensor_list, group=None, async_op=False):
    """all_gather of each tensor of ``input_tensor_list`` into the matching list of
    ``output_tensor_lists`` (one list per rank).  Deprecated in torch, with the same warning."""
    warnings.warn("torch.distributed.all_gather_coalesced will be deprecated. If you must use "
                  "it, please revisit our documentation later at https://pytorch.org/docs/"
                  "main/distributed.html#collective-functions", FutureWarning, stacklevel=2)
    works = []
    for i, t in enumerate(input_tensor_list):
        outputs = [per_rank[i] for per_rank in output_tensor_lists]
        works.append(C.all_gather(outputs, t, group=group, async_op=async_op))
    if not async_op:
        return None
    last = works[-1]
    for w in works[:-1]:
        w.wait()
    return last


class _ReduceOpDeprecated:
    """``torch.distributed.reduce_op``: the old name of ReduceOp, warning when read."""

    def __getattr__(self, name):
        warnings.warn("`torch.distributed.reduce_op` is deprecated, please use "
                      "`torch.distributed.ReduceOp` instead", FutureWarning, stacklevel=2)
        return getattr(ReduceOp, name)


reduce_op = _ReduceOpDeprecated()


def breakpoint(rank=0, skip=0, timeout_s=3600):
    """Stop in the Python debugger on rank ``rank`` only (after ``skip`` calls); the other
    ranks wait at a barrier (up to ``timeout_s`` seconds) until it continues."""
    import datetime

    calls = _breakpoint_calls.get((rank, skip), 0) + 1
    _breakpoint_calls[(rank, skip)] = calls
    if calls <= skip:
        return
    if get_rank() == rank:
        import pdb

        pdb.Pdb().set_trace(__import__("sys")._getframe().f_back)
    C.barrier(timeout=datetime.timedelta(seconds=timeout_s))


_breakpoint_calls = {}
