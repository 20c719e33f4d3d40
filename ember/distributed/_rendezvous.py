"""rendezvous(url): the (store, rank, world_size) a URL names, as torch.distributed.rendezvous.

ember's process groups need none of this (MPI starts the ranks and tells them who they are);
it is here for programs that build their own store: ``env://`` (a TCPStore at
MASTER_ADDR:MASTER_PORT, served by rank 0), ``tcp://host:port?rank=r&world_size=n`` and
``file:///path?rank=r&world_size=n``.  ``register_rendezvous_handler`` adds a scheme.
"""

import datetime
import os
from urllib.parse import parse_qs, urlparse

from ._store import FileStore, TCPStore

__all__ = ["rendezvous", "register_rendezvous_handler"]

_handlers = {}


def register_rendezvous_handler(scheme, handler):
    """Make ``rendezvous`` call ``handler(url, **kwargs)`` (an iterator of (store, rank,
    world_size)) for URLs of ``scheme``."""
    if scheme in _handlers:
        raise RuntimeError(f"Rendezvous handler for {scheme}:// already registered")
    _handlers[scheme] = handler


def rendezvous(url, rank=-1, world_size=-1, **kwargs):
    """An iterator of (store, rank, world_size) for ``url``; ``rank``/``world_size`` are
    added to the URL's query when given."""
    if not isinstance(url, str):
        raise RuntimeError(f"`url` must be a string. {type(url)}: {url}")
    if not isinstance(rank, int) or not isinstance(world_size, int):
        raise RuntimeError(f"`rank` must be an integer. {rank}")
    parsed = urlparse(url)
    query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
    if rank != -1:
        query["rank"] = str(rank)
    if world_size != -1:
        query["world_size"] = str(world_size)
    if parsed.scheme not in _handlers:
        raise RuntimeError(f"No rendezvous handler for {parsed.scheme}://")
    rebuilt = parsed._replace(query="&".join(f"{k}={v}" for k, v in query.items())).geturl()
    return _handlers[parsed.scheme](rebuilt, **kwargs)


def _rank_and_size(query, url):
    missing = [name for name in ("rank", "world_size") if name not in query]
    if missing:
        raise ValueError(f"Error initializing torch.distributed using {url} rendezvous: "
                         f"{missing[0]} parameter missing")
    return int(query["rank"]), int(query["world_size"])


def _tcp(url, timeout=datetime.timedelta(seconds=300), **kwargs):
    parsed = urlparse(url)
    query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
    rank, world_size = _rank_and_size(query, "tcp://")
    store = TCPStore(parsed.hostname, parsed.port, world_size, rank == 0, timeout)
    yield store, rank, world_size
    raise RuntimeError("Unable to perform re-rendezvous using tcp:// method")


def _file(url, **kwargs):
    parsed = urlparse(url)
    query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
    rank, world_size = _rank_and_size(query, "file://")
    yield FileStore(parsed.path, world_size), rank, world_size
    raise RuntimeError("Unable to perform re-rendezvous using file:// method")


def _env(url, timeout=datetime.timedelta(seconds=300), **kwargs):
    query = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}

    def read(name, given=None):
        if given is not None:
            return given
        if name not in os.environ:
            raise ValueError(f"Error initializing torch.distributed using env:// rendezvous: "
                             f"environment variable {name} expected, but not set")
        return os.environ[name]

    rank = int(read("RANK", query.get("rank")))
    world_size = int(read("WORLD_SIZE", query.get("world_size")))
    host, port = read("MASTER_ADDR"), int(read("MASTER_PORT"))
    yield TCPStore(host, port, world_size, rank == 0, timeout), rank, world_size
    raise RuntimeError("Unable to perform re-rendezvous using env:// method")


register_rendezvous_handler("tcp", _tcp)
register_rendezvous_handler("file", _file)
register_rendezvous_handler("env", _env)
