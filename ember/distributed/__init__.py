"""ember.distributed: torch.distributed's first questions, before ember has process groups.

``is_available()`` is False (ember cannot yet run a process group: that is its own issue), and
``is_initialized()`` False, so scripts that guard their distributed code with them run on one
process.  The group queries raise torch's error for a missing default group.
"""

__all__ = ["is_available", "is_initialized", "get_rank", "get_world_size",
           "init_process_group"]

_NO_GROUP = ("Default process group has not been initialized, please make sure to call "
             "init_process_group.")


def is_available():
    """False: ember has no distributed backend yet."""
    return False


def is_initialized():
    """False: no process group has been made."""
    return False


def get_rank(group=None):
    """torch's ValueError: there is no default process group."""
    raise ValueError(_NO_GROUP + ("" if group is None else f" (group {group!r})"))


def get_world_size(group=None):
    """torch's ValueError: there is no default process group."""
    raise ValueError(_NO_GROUP + ("" if group is None else f" (group {group!r})"))


def init_process_group(backend=None, *args, **kwargs):
    """Not there yet: ember cannot run several processes as one group."""
    raise NotImplementedError(
        f"ember.distributed has no process groups yet (init_process_group(backend={backend!r}, "
        f"{len(args) + len(kwargs)} more arguments)): run the script as one process, "
        f"without torchrun")
