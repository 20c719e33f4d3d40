"""ember.distributed: torch.distributed over MPI.

Start the ranks with ``python -m ember.distributed.run --nproc-per-node=N script.py`` (which
runs ``mpiexec``) or with ``mpiexec -n N python script.py``; the script calls
``init_process_group()`` and then the collectives.  Process groups are MPI communicators,
tensors travel through mpi4py's buffer calls; see docs/architecture.md, "Distributed".

The names are loaded on first use (``_WHERE`` says from which module).
"""

import importlib

# where each public name lives; a name's module is imported the first time it is read, so
# `import ember` does not pay for the collectives, the stores or the watchdog
_WHERE = {
    # _collectives
    "all_gather": "_collectives",
    "all_gather_into_tensor": "_collectives",
    "all_gather_single": "_collectives",
    "all_reduce": "_collectives",
    "all_to_all": "_collectives",
    "all_to_all_single": "_collectives",
    "barrier": "_collectives",
    "broadcast": "_collectives",
    "gather": "_collectives",
    "monitored_barrier": "_collectives",
    "reduce": "_collectives",
    "reduce_scatter": "_collectives",
    "reduce_scatter_single": "_collectives",
    "reduce_scatter_tensor": "_collectives",
    "scatter": "_collectives",
    # _errors
    "DistBackendError": "_errors",
    "DistError": "_errors",
    "DistNetworkError": "_errors",
    "DistStoreError": "_errors",
    "QueueEmptyError": "_errors",
    # _extras
    "DebugLevel": "_extras",
    "all_gather_coalesced": "_extras",
    "all_reduce_coalesced": "_extras",
    "breakpoint": "_extras",
    "get_backend_config": "_extras",
    "get_debug_level": "_extras",
    "reduce_op": "_extras",
    "set_debug_level": "_extras",
    "set_debug_level_from_env": "_extras",
    "supports_complex": "_extras",
    # _mpi
    "Work": "_mpi",
    # _p2p
    'P2POp': '_p2p',
    "all_gather_object": "_p2p",
    "batch_isend_irecv": "_p2p",
    "broadcast_object_list": "_p2p",
    "gather_object": "_p2p",
    "irecv": "_p2p",
    "isend": "_p2p",
    "recv": "_p2p",
    "recv_object_list": "_p2p",
    "scatter_object_list": "_p2p",
    "send": "_p2p",
    "send_object_list": "_p2p",
    # _store
    "FileStore": "_store",
    "HashStore": "_store",
    "PrefixStore": "_store",
    "Store": "_store",
    "TCPStore": "_store",
    # _types
    "Backend": "_types",
    "GroupMember": "_types",
    "ProcessGroup": "_types",
    "ReduceOp": "_types",
    "default_pg_timeout": "_types",
    "group": "_types",
    # distributed_c10d
    "destroy_process_group": "distributed_c10d",
    "get_backend": "distributed_c10d",
    "get_default_backend_for_device": "distributed_c10d",
    "get_global_rank": "distributed_c10d",
    "get_group_rank": "distributed_c10d",
    "get_node_local_rank": "distributed_c10d",
    "get_pg_count": "distributed_c10d",
    "get_process_group_ranks": "distributed_c10d",
    "get_rank": "distributed_c10d",
    "get_world_size": "distributed_c10d",
    "init_process_group": "distributed_c10d",
    "is_available": "distributed_c10d",
    "is_backend_available": "distributed_c10d",
    "is_gloo_available": "distributed_c10d",
    "is_initialized": "distributed_c10d",
    "is_mpi_available": "distributed_c10d",
    "is_nccl_available": "distributed_c10d",
    "is_torchelastic_launched": "distributed_c10d",
    "is_ucc_available": "distributed_c10d",
    "is_xccl_available": "distributed_c10d",
    "new_group": "distributed_c10d",
    "new_subgroups": "distributed_c10d",
    "new_subgroups_by_enumeration": "distributed_c10d",
}

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


def __getattr__(name):
    """Load the module that defines ``name`` (the first time it is read)."""
    if name not in _WHERE:
        raise AttributeError(f"module 'ember.distributed' has no attribute {name!r}")
    value = getattr(importlib.import_module("." + _WHERE[name], __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
