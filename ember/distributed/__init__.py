"""ember.distributed: torch.distributed over MPI.

Start the ranks with ``python -m ember.distributed.run --nproc-per-node=N script.py`` (which
runs ``mpiexec``) or with ``mpiexec -n N python script.py``; the script calls
``init_process_group()`` and then the collectives.  Process groups are MPI communicators,
tensors travel through mpi4py's buffer calls; see docs/architecture.md, "Distributed".
"""

from ._collectives import (
                           all_gather,
                           all_gather_into_tensor,
                           all_gather_single,
                           all_reduce,
                           all_to_all,
                           all_to_all_single,
                           barrier,
                           broadcast,
                           gather,
                           monitored_barrier,
                           reduce,
                           reduce_scatter,
                           reduce_scatter_single,
                           reduce_scatter_tensor,
                           scatter,
)
from ._errors import DistBackendError, DistError, DistNetworkError, DistStoreError, QueueEmptyError
from ._extras import (
                           DebugLevel,
                           all_gather_coalesced,
                           all_reduce_coalesced,
                           breakpoint,
                           get_backend_config,
                           get_debug_level,
                           reduce_op,
                           set_debug_level,
                           set_debug_level_from_env,
                           supports_complex,
)
from ._mpi import Work
from ._p2p import (
                           P2POp,
                           all_gather_object,
                           batch_isend_irecv,
                           broadcast_object_list,
                           gather_object,
                           irecv,
                           isend,
                           recv,
                           recv_object_list,
                           scatter_object_list,
                           send,
                           send_object_list,
)
from ._store import FileStore, HashStore, PrefixStore, Store, TCPStore
from ._types import Backend, GroupMember, ProcessGroup, ReduceOp, default_pg_timeout, group
from .distributed_c10d import (
                           destroy_process_group,
                           get_backend,
                           get_default_backend_for_device,
                           get_global_rank,
                           get_group_rank,
                           get_node_local_rank,
                           get_pg_count,
                           get_process_group_ranks,
                           get_rank,
                           get_world_size,
                           init_process_group,
                           is_available,
                           is_backend_available,
                           is_gloo_available,
                           is_initialized,
                           is_mpi_available,
                           is_nccl_available,
                           is_torchelastic_launched,
                           is_ucc_available,
                           is_xccl_available,
                           new_group,
                           new_subgroups,
                           new_subgroups_by_enumeration,
)

__all__ = [
    "init_process_group", "destroy_process_group", "is_initialized", "is_available",
    "is_mpi_available", "is_gloo_available", "is_nccl_available", "is_ucc_available",
    "is_xccl_available", "is_backend_available", "is_torchelastic_launched", "get_rank",
    "get_world_size", "get_backend", "get_process_group_ranks", "get_global_rank",
    "get_group_rank", "get_default_backend_for_device", "get_node_local_rank", "get_pg_count",
    "new_group", "new_subgroups", "new_subgroups_by_enumeration",
    "ReduceOp", "Backend", "ProcessGroup", "GroupMember", "group", "default_pg_timeout", "Work",
    "DistError", "DistBackendError", "DistNetworkError", "DistStoreError", "QueueEmptyError",
    "Store", "HashStore", "FileStore", "TCPStore", "PrefixStore",
    "all_reduce", "broadcast", "reduce", "all_gather", "all_gather_into_tensor",
    "all_gather_single", "reduce_scatter", "reduce_scatter_tensor", "reduce_scatter_single",
    "gather", "scatter", "all_to_all", "all_to_all_single", "barrier", "monitored_barrier",
    "send", "recv", "isend", "irecv", "P2POp", "batch_isend_irecv",
    "all_gather_object", "broadcast_object_list", "gather_object", "scatter_object_list",
    "send_object_list", "recv_object_list",
    "DebugLevel", "get_debug_level", "set_debug_level", "set_debug_level_from_env",
    "supports_complex", "get_backend_config", "all_reduce_coalesced", "all_gather_coalesced",
    "reduce_op", "breakpoint",
]
