"""The first code each rank runs under ``python -m ember.distributed.run``: it sets torchrun's
environment variables from MPI's and runs the user's script (or module, or program).

It is started as a file, not as ``-m ember.distributed._rank``, so that starting a rank does
not load ember (the script does that, once).  MPICH names the rank PMI_RANK / PMI_SIZE /
MPI_LOCALRANKID / MPI_LOCALNRANKS; Open MPI names them OMPI_COMM_WORLD_*.
"""

import os
import runpy
import sys


def first(*names):
    for name in names:
        if name in os.environ:
            return os.environ[name]
    raise RuntimeError(f"ember.distributed.run: none of {names} is set: this rank was not "
                       f"started by mpiexec")


def torchrun_environment():
    rank = int(first("PMI_RANK", "OMPI_COMM_WORLD_RANK"))
    size = int(first("PMI_SIZE", "OMPI_COMM_WORLD_SIZE"))
    local_rank = int(first("MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK"))
    local_size = int(first("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE"))
    nnodes = int(os.environ.get("EMBER_NNODES", "1"))
    node = rank // local_size
    return {"RANK": rank, "WORLD_SIZE": size, "LOCAL_RANK": local_rank,
            "LOCAL_WORLD_SIZE": local_size, "GROUP_RANK": node, "GROUP_WORLD_SIZE": nnodes,
            "ROLE_RANK": rank, "ROLE_WORLD_SIZE": size, "ROLE_NAME": "default"}


def main():
    mode, target, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.environ.update({k: str(v) for k, v in torchrun_environment().items()})
    run_dir = os.environ.get("EMBER_RUN_DIR")
    if run_dir:  # the launcher names a rank that dies from its pid
        with open(os.path.join(run_dir, f"{os.getpid()}.rank"), "w") as f:
            f.write(os.environ["RANK"])
    if mode == "--no-python":
        os.execvp(target, [target, *args])
    if mode == "-m":
        sys.argv = [target, *args]
        sys.path[0] = os.getcwd()
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        sys.argv = [target, *args]
        sys.path[0] = os.path.dirname(os.path.abspath(target))
        runpy.run_path(target, run_name="__main__")


if __name__ == "__main__":
    main()
