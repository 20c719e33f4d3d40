"""ember.distributed's names that need no second process, against torch.distributed: the
value types, the errors before init, availability questions, and the stores (the same
sequence of operations on ember's and torch's HashStore, FileStore, TCPStore, PrefixStore)."""

import datetime
import os

import pytest
import torch
import torch.distributed as tdist

import ember.distributed as dist


def test_reduce_op_and_backend():
    for name in ("SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR", "PREMUL_SUM"):
        ours, theirs = getattr(dist.ReduceOp, name), getattr(tdist.ReduceOp, name)
        assert int(ours) == int(theirs) and repr(ours) == repr(theirs) and \
            str(ours) == str(theirs)
        assert dist.ReduceOp(ours) == ours and hash(dist.ReduceOp(ours)) == hash(ours)
    assert list(dist.ReduceOp.RedOpType.__members__) == \
        list(tdist.ReduceOp.RedOpType.__members__)
    for name in ("GLOO", "gloo", "NCCL", "MPI", "Mpi"):
        assert dist.Backend(name) == tdist.Backend(name)
        assert isinstance(dist.Backend(name), str)
    assert dist.Backend.GLOO == tdist.Backend.GLOO
    assert dist.Backend.backend_list == tdist.Backend.backend_list
    assert dist.Backend.default_device_backend_map == tdist.Backend.default_device_backend_map
    assert dist.default_pg_timeout == tdist.default_pg_timeout
    assert dist.GroupMember.NON_GROUP_MEMBER == tdist.GroupMember.NON_GROUP_MEMBER
    assert dist.group.WORLD is None and dist.group is dist.GroupMember


def test_error_family():
    for name in ("DistError", "DistBackendError", "DistNetworkError", "DistStoreError",
                 "QueueEmptyError"):
        ours, theirs = getattr(dist, name), getattr(tdist, name)
        assert [c.__name__ for c in ours.__mro__] == [c.__name__ for c in theirs.__mro__]


def test_questions_before_init():
    assert dist.is_initialized() is tdist.is_initialized() is False
    for name in ("get_rank", "get_world_size", "get_backend", "barrier", "new_group"):
        with pytest.raises(ValueError) as theirs:
            getattr(tdist, name)()
        with pytest.raises(ValueError) as ours:
            getattr(dist, name)()
        assert str(ours.value) == str(theirs.value)
    import ember

    with pytest.raises(ValueError, match="has not been initialized"):
        dist.all_reduce(ember.ones(2))
    with pytest.raises(AssertionError, match="Process group cannot be None"):
        dist.destroy_process_group()
    with pytest.raises(ValueError, match="Unknown backend type"):
        dist.init_process_group("no-such-backend")
    with pytest.raises(ValueError, match="No rendezvous handler"):
        dist.init_process_group("gloo", init_method="ftp://x")
    with pytest.raises(TypeError, match="timedelta"):
        dist.init_process_group("gloo", timeout=30)


def test_availability(monkeypatch):
    assert dist.is_available() and dist.is_mpi_available() and dist.is_gloo_available()
    assert dist.is_ucc_available() is tdist.is_ucc_available() is False
    assert dist.is_xccl_available() is False
    assert dist.is_nccl_available() is False  # no CuPy with NCCL on this machine
    assert dist.is_backend_available("gloo") and dist.is_backend_available("MPI")
    assert not dist.is_backend_available("ucc")
    for device in ("cpu", "cuda", "cuda:1"):
        assert dist.get_default_backend_for_device(device) == \
            tdist.get_default_backend_for_device(device)
    assert dist.get_default_backend_for_device(torch.device("cpu")) == "gloo"
    monkeypatch.delenv("TORCHELASTIC_RUN_ID", raising=False)
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    assert dist.is_torchelastic_launched() is tdist.is_torchelastic_launched() is False
    assert dist.get_node_local_rank(3) == tdist.get_node_local_rank(3) == 3
    for lib in (dist, tdist):
        with pytest.raises(RuntimeError, match="LOCAL_RANK is not in the environment"):
            lib.get_node_local_rank()
    monkeypatch.setenv("LOCAL_RANK", "2")
    assert dist.get_node_local_rank() == tdist.get_node_local_rank() == 2
    with pytest.raises(RuntimeError, match="NCCL built in"):
        dist.init_process_group("nccl")


def exercise(store, lib, queues=True):
    """The same operations on an ember and a torch store; returns what they answered."""
    seen = []
    store.set("a", "1")
    store.set("b", b"bytes")
    seen += [store.get("a"), store.get("b"), store.add("n", 5), store.add("n", -2),
             store.get("n")]
    seen += [store.compare_set("a", "1", "2"), store.compare_set("a", "x", "3"),
             store.compare_set("new", "", "v"), store.compare_set("none", "q", "v"),
             store.check(["none"]), store.check(["a", "n"]), store.check(["a", "zz"])]
    seen += [store.delete_key("a"), store.delete_key("a")]
    store.append("ap", "x")
    store.append("ap", "y")
    seen.append(store.get("ap"))
    store.multi_set(["k1", "k2"], ["v1", b"v2"])
    seen.append(store.multi_get(["k1", "k2"]))
    if queues:  # (torch's FileStore has no queues; ember's has)
        store.queue_push("q", "first")
        store.queue_push("q", "second")
        seen += [store.queue_len("q"), store.queue_pop("q"),
                 store.queue_pop("q", block=False)]
        with pytest.raises(lib.QueueEmptyError, match="queue is empty"):
            store.queue_pop("q", block=False)
    store.set_timeout(datetime.timedelta(milliseconds=50))
    seen.append(store.timeout)
    # torch's FileStore raises a plain RuntimeError ("Timeout waiting for key"), the others
    # DistStoreError("Wait timeout"); ember's are all DistStoreError (a RuntimeError)
    expected = RuntimeError if lib is tdist else dist.DistStoreError
    with pytest.raises(expected, match="(?i)wait timeout|Timeout waiting"):
        store.get("missing")
    with pytest.raises(expected, match="(?i)wait timeout|Timeout waiting"):
        store.wait(["missing"], datetime.timedelta(milliseconds=20))
    store.wait(["b", "n"])
    seen.append(store.has_extended_api())
    return seen


@pytest.mark.parametrize("kind", ["HashStore", "FileStore", "TCPStore", "PrefixStore"])
def test_stores_answer_as_torch(kind, tmp_path):
    made = {}
    for name, lib in (("ember", dist), ("torch", tdist)):
        if kind == "HashStore":
            store = lib.HashStore()
        elif kind == "FileStore":
            store = lib.FileStore(str(tmp_path / f"{name}.store"), 1)
        elif kind == "TCPStore":
            store = lib.TCPStore("127.0.0.1", 0, 1, True)
            assert store.port > 0 and store.host == "127.0.0.1"
        else:
            base = lib.HashStore()
            store = lib.PrefixStore("pre", base)
            store.set("k", "v")
            assert base.get("pre/k") == b"v" and store.underlying_store is base
        made[name] = exercise(store, lib, queues=kind != "FileStore" or lib is dist)
    if kind == "FileStore":
        assert made["ember"][-5:-2] == [2, b"first", b"second"]
        del made["ember"][-5:-2]
        # deleting a missing key: torch's FileStore answers True, its other stores and
        # every ember store False
        assert made["ember"][13] is False and made["torch"][13] is True
        made["torch"][13] = False
        # has_extended_api: ember's FileStore has the queue calls, torch's has not
        assert made["ember"][-1] is True and made["torch"][-1] is False
        made["torch"][-1] = True
    assert made["ember"] == made["torch"]


def test_stores_shared_between_processes(tmp_path):
    """A FileStore and a TCPStore client in a second process see the first one's keys."""
    import subprocess
    import sys

    path = str(tmp_path / "shared.store")
    master = dist.TCPStore("127.0.0.1", 0, 2, True, wait_for_workers=False)
    file_store = dist.FileStore(path, 2)
    code = (f"import sys; sys.path.insert(0, {os.getcwd()!r}); import ember.distributed as d;"
            f"t = d.TCPStore('127.0.0.1', {master.port}, 2, False); t.set('from', 'child');"
            f"print(t.get('to').decode()); f = d.FileStore({path!r}, 2); f.add('count', 2)")
    master.set("to", "parent")
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=60)
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == "parent"
    assert master.get("from") == b"child"
    assert file_store.add("count", 1) == 3


def test_misuse_raises_as_torch():
    """The same wrong calls on one rank: torch with gloo, ember under mpiexec -n 1."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("mpi4py")
    script = str(Path(__file__).parent / "distributed" / "misuse.py")
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    mpiexec = str(Path(sys.executable).parent / "mpiexec")
    answers = {}
    for lib, command in (("torch", [sys.executable, script, "torch"]),
                         ("ember", [mpiexec, "-n", "1", sys.executable, script, "ember"])):
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
        assert done.returncode == 0, done.stderr
        answers[lib] = {name: (cls, text) for name, cls, text in json.loads(done.stdout)}
    # where torch's text is gloo's internals, ember says the same in its own words
    own_words = {"broadcast bad root", "all_gather list length"}
    for name, (cls, text) in answers["torch"].items():
        ours = answers["ember"][name]
        if name == "recv from self":  # gloo fails inside ("Pair is not connected")
            assert cls == "RuntimeError" and ours[0] == "ValueError"
            assert ours[1].startswith("Invalid source rank")
            continue
        assert ours[0] == cls, (name, ours, cls)
        if name not in own_words:
            assert ours[1] == text.replace("torch.Tensor", "ember.Tensor"), (name, ours, text)


def test_debug_level_supports_complex_reduce_op(monkeypatch):
    assert list(dist.DebugLevel.__members__) == list(tdist.DebugLevel.__members__)
    assert repr(dist.DebugLevel.OFF) == repr(tdist.DebugLevel.OFF)
    assert str(dist.get_debug_level()) == str(tdist.get_debug_level()) == "DebugLevel.OFF"
    monkeypatch.setenv("TORCH_DISTRIBUTED_DEBUG", "DETAIL")
    for lib in (dist, tdist):
        lib.set_debug_level_from_env()
    assert str(dist.get_debug_level()) == str(tdist.get_debug_level()) == "DebugLevel.DETAIL"
    for lib in (dist, tdist):
        lib.set_debug_level(lib.DebugLevel.OFF)
    assert dist.get_debug_level() == dist.DebugLevel.OFF
    monkeypatch.setenv("TORCH_DISTRIBUTED_DEBUG", "LOUD")
    with pytest.raises(ValueError, match="OFF, INFO or DETAIL"):
        dist.set_debug_level_from_env()
    for name in tdist.ReduceOp.RedOpType.__members__:
        assert dist.supports_complex(getattr(dist.ReduceOp, name)) == \
            tdist.supports_complex(getattr(tdist.ReduceOp, name))
    with pytest.warns(FutureWarning, match="reduce_op` is deprecated"):
        assert dist.reduce_op.SUM == dist.ReduceOp.SUM
