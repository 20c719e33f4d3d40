"""Key-value stores, as torch.distributed's: HashStore (one process), FileStore (processes
sharing a file), TCPStore (a small server on one rank, clients on the others), PrefixStore.

ember's process groups need no store (MPI does the rendezvous); these are here for programs
that use a store themselves.  Every store keeps bytes under string keys.  Each operation is one
step on a dict, ``apply(data, op, args)``, done atomically by the store's backend: under a lock
(HashStore), under a file lock (FileStore), or by the server (TCPStore).  The operations that
wait (get, wait, blocking queue_pop) retry that step until it succeeds or ``timeout`` passes.
"""

import datetime
import fcntl
import pickle
import socket
import socketserver
import struct
import threading
import time

from ._errors import DistNetworkError, DistStoreError, QueueEmptyError

__all__ = ["Store", "HashStore", "FileStore", "TCPStore", "PrefixStore"]

class _Missing:
    """The answer "not there (yet)"; pickles as itself, so it survives a TCPStore reply."""

    def __reduce__(self):
        return "_MISSING"


_MISSING = _Missing()


def _bytes(value):
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, (list, tuple)):  # torch accepts a list of byte values too
        return bytes(value)
    raise TypeError(f"a store value must be str or bytes, got {type(value).__name__}")


def apply(data, op, args):
    """One store operation on the dict ``data``; _MISSING when a waiting op must retry."""
    if op == "set":
        data[args[0]] = args[1]
        return None
    if op == "get":
        return data.get(args[0], _MISSING)
    if op == "add":
        value = int(data.get(args[0], b"0")) + args[1]
        data[args[0]] = str(value).encode()
        return value
    if op == "compare_set":
        key, expected, desired = args
        if key not in data:
            if expected == b"":
                data[key] = desired
                return desired
            return expected
        if data[key] == expected:
            data[key] = desired
        return data[key]
    if op == "check":
        return all(k in data for k in args[0])
    if op == "delete":
        return data.pop(args[0], _MISSING) is not _MISSING
    if op == "num_keys":
        return len(data)
    if op == "list_keys":
        return sorted(k for k in data if not k.startswith("\0queue:"))
    if op == "append":
        data[args[0]] = data.get(args[0], b"") + args[1]
        return None
    if op == "queue_push":
        data.setdefault("\0queue:" + args[0], []).append(args[1])
        return None
    if op == "queue_pop":
        queue = data.get("\0queue:" + args[0])
        return queue.pop(0) if queue else _MISSING
    if op == "queue_len":
        return len(data.get("\0queue:" + args[0], []))
    raise ValueError(f"unknown store operation {op!r}")


class Store:
    """The operations every store has; a subclass supplies ``_apply(op, args)``."""

    def __init__(self, timeout=datetime.timedelta(seconds=300)):
        self._timeout = timeout

    # --- waiting
    def _wait_for(self, op, args, timeout=None):
        limit = (timeout or self._timeout).total_seconds()
        deadline, pause = time.monotonic() + limit, 0.0005
        while True:
            result = self._apply(op, args)
            if result is not _MISSING and result is not False:
                return result
            if time.monotonic() >= deadline:
                keys = args[0] if op == "check" else [args[0]]
                raise DistStoreError(self._timeout_message(keys, int(limit * 1000)))
            time.sleep(pause)
            pause = min(pause * 2, 0.01)

    def _timeout_message(self, keys, ms):
        return "Wait timeout"

    # --- torch's API
    @property
    def timeout(self):
        return self._timeout

    def set_timeout(self, timeout):
        self._timeout = timeout

    def set(self, key, value):
        """Store ``value`` (str or bytes) under ``key``."""
        self._apply("set", (key, _bytes(value)))

    def get(self, key):
        """The bytes under ``key``, waiting (up to the timeout) until some rank sets it."""
        return self._wait_for("get", (key,))

    def add(self, key, amount):
        """Add ``amount`` to the integer under ``key`` (0 when missing); the new value."""
        return self._apply("add", (key, int(amount)))

    def compare_set(self, key, expected_value, desired_value):
        """Set ``key`` to ``desired_value`` if it holds ``expected_value`` (or is missing
        and ``expected_value`` is empty); returns the value now there."""
        return self._apply("compare_set", (key, _bytes(expected_value), _bytes(desired_value)))

    def wait(self, keys, timeout=None):
        """Wait until every key of ``keys`` is set (DistStoreError after the timeout)."""
        self._wait_for("check", (list(keys),), timeout)

    def check(self, keys):
        """Whether every key of ``keys`` is set (no waiting)."""
        return self._apply("check", (list(keys),))

    def delete_key(self, key):
        """Remove ``key``; whether it was there."""
        return self._apply("delete", (key,))

    def num_keys(self):
        return self._apply("num_keys", ())

    def list_keys(self):
        return self._apply("list_keys", ())

    def append(self, key, value):
        """Append ``value`` to the bytes under ``key`` (set it when missing)."""
        self._apply("append", (key, _bytes(value)))

    def multi_get(self, keys):
        return [self.get(k) for k in keys]

    def multi_set(self, keys, values):
        for k, v in zip(keys, values):
            self.set(k, v)

    def queue_push(self, key, value):
        self._apply("queue_push", (key, _bytes(value)))

    def queue_pop(self, key, block=True):
        """The oldest value pushed to queue ``key``; without ``block``, QueueEmptyError when
        there is none."""
        if block:
            return self._wait_for("queue_pop", (key,))
        value = self._apply("queue_pop", (key,))
        if value is _MISSING:
            raise QueueEmptyError("queue is empty")
        return value

    def queue_len(self, key):
        return self._apply("queue_len", (key,))

    def has_extended_api(self):
        return True


class HashStore(Store):
    """A store in this process's memory (threads share it)."""

    def __init__(self):
        super().__init__()
        self._data = {}
        self._lock = threading.Lock()

    def _apply(self, op, args):
        with self._lock:
            return apply(self._data, op, args)


class FileStore(Store):
    """A store in a file that processes on one machine (or a shared file system) open by
    name; each operation locks the file, reads the dict, changes it and writes it back."""

    def __init__(self, file_name, world_size=-1):
        super().__init__()
        self.path = file_name
        self.world_size = world_size
        open(file_name, "ab").close()

    def _timeout_message(self, keys, ms):
        return f"Timeout waiting for key: {keys[0]} after {ms} ms"

    def _apply(self, op, args):
        with open(self.path, "r+b") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            raw = f.read()
            data = pickle.loads(raw) if raw else {}
            result = apply(data, op, args)
            if op not in ("get", "check", "num_keys", "list_keys", "queue_len"):
                f.seek(0)
                f.truncate()
                f.write(pickle.dumps(data))
            return result


def _send(sock, obj):
    payload = pickle.dumps(obj)
    sock.sendall(struct.pack("!I", len(payload)) + payload)


def _receive(sock):
    header = _exactly(sock, 4)
    return pickle.loads(_exactly(sock, struct.unpack("!I", header)[0]))


def _exactly(sock, n):
    chunks = b""
    while len(chunks) < n:
        chunk = sock.recv(n - len(chunks))
        if not chunk:
            raise DistNetworkError("the TCPStore connection was closed")
        chunks += chunk
    return chunks


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        store = self.server.store
        try:
            while True:
                op, args = _receive(self.request)
                _send(self.request, store._apply(op, args))
        except (DistNetworkError, ConnectionError, EOFError):
            return


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class TCPStore(Store):
    """A store served over TCP by the rank with ``is_master=True`` (port 0: a free port, read
    it from ``.port``); the other ranks connect as clients.  The values live in the master's
    memory; each request is one pickled (operation, arguments) message."""

    def __init__(self, host_name, port, world_size=None, is_master=False,
                 timeout=datetime.timedelta(seconds=300), wait_for_workers=True,
                 multi_tenant=False, master_listen_fd=None, use_libuv=True):
        super().__init__(timeout)
        if master_listen_fd is not None:
            raise ValueError("master_listen_fd (a socket inherited from a parent) is not "
                             "supported by ember's TCPStore")
        self.host = host_name
        self.libuvBackend = False  # ember's server is Python's socketserver, whatever use_libuv
        self._server = None
        if is_master:
            self._server = _Server((host_name, port), _Handler)
            self._server.store = HashStore()
            threading.Thread(target=self._server.serve_forever, daemon=True).start()
            port = self._server.server_address[1]
        self.port = port
        self._lock = threading.Lock()
        self._sock = self._connect(timeout)
        if world_size is not None and world_size > 0:
            self.add("\0workers", 1)  # each rank checks in
            if is_master and wait_for_workers:
                self._wait_for_count("\0workers", world_size)

    def _connect(self, timeout):
        deadline = time.monotonic() + timeout.total_seconds()
        while True:
            try:
                return socket.create_connection((self.host, self.port), timeout=None)
            except OSError as error:
                if time.monotonic() >= deadline:
                    raise DistNetworkError(f"could not connect to the TCPStore at "
                                           f"{self.host}:{self.port}: {error}") from None
                time.sleep(0.01)

    def _wait_for_count(self, key, count):
        deadline = time.monotonic() + self._timeout.total_seconds()
        while int(self._apply("get", (key,)) or b"0") < count:
            if time.monotonic() >= deadline:
                raise DistStoreError(f"Timed out waiting for {count} workers to join the "
                                     f"TCPStore")
            time.sleep(0.01)

    def _timeout_message(self, keys, ms):
        return f"wait timeout after {ms}ms, keys: " + ", ".join("/" + k for k in keys)

    def _apply(self, op, args):
        with self._lock:
            _send(self._sock, (op, args))
            return _receive(self._sock)

    def num_keys(self):
        return super().num_keys() - (1 if self.check(["\0workers"]) else 0)

    def list_keys(self):
        return [k for k in super().list_keys() if k != "\0workers"]

    def __del__(self):
        try:
            self._sock.close()
            if self._server is not None:
                self._server.shutdown()
                self._server.server_close()
        except Exception:
            pass


class PrefixStore(Store):
    """``store`` seen through a prefix: key k is ``prefix/k`` in the underlying store."""

    def __init__(self, prefix, store):
        super().__init__(store.timeout)
        self.underlying_store = store
        self._prefix = prefix + "/"

    def _key(self, key):
        return self._prefix + key

    def _apply(self, op, args):
        if op in ("num_keys", "list_keys"):
            return self.underlying_store._apply(op, args)
        if op == "check":
            return self.underlying_store._apply(op, ([self._key(k) for k in args[0]],))
        return self.underlying_store._apply(op, (self._key(args[0]),) + tuple(args[1:]))
