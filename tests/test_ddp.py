"""DistributedDataParallel and SyncBatchNorm on real ranks: the scripts in tests/ddp/ run under
``mpiexec -n 2`` and ``-n 4`` (oversubscribed on a 2-core machine) and assert inside; this file
starts them with a time bound and compares what they print with torch.

The bucket assignment is also checked here, in one process, against torch's own helper
(``torch.distributed._compute_bucket_assignment_by_size``) on the same parameter shapes.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import ember
from ember.nn.parallel.distributed import FIRST_BUCKET_BYTES, bucket_assignment

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = Path(__file__).resolve().parent / "ddp"
TIMEOUT = 180  # seconds for one mpiexec run; each takes a few seconds on an idle machine

# torch 2.13's rebuilt ResNet-18 buckets (bytes), read from _get_ddp_logging_data() [wave2-facts
# §1.4]; the test below also derives them from torch's helper.
TORCH_RESNET18_BUCKETS = [2052000, 28852224, 15853824]


def _mpiexec():
    beside = Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else shutil.which("mpiexec")


def _can_run_ranks():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return "mpi4py is not installed"
    if _mpiexec() is None:
        return "no mpiexec beside the interpreter or on PATH"
    import ember.distributed as dist

    if not dist.is_available():
        return "ember.distributed has no process groups in this build"
    return None


_WHY_NOT = _can_run_ranks()
needs_ranks = pytest.mark.skipif(_WHY_NOT is not None, reason=str(_WHY_NOT))


def run_ranks(script, n):
    """``mpiexec -n n python tests/ddp/<script>``; its stdout, or a failure with all output."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in
                                                       [env.get("PYTHONPATH")] if p])
    env["OMP_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] = "1"
    cmd = [_mpiexec(), "-n", str(n), sys.executable, str(SCRIPTS / script)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, env=env,
                              cwd=ROOT)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{script} on {n} ranks did not finish in {TIMEOUT} s:\n{e.stdout}\n"
                    f"{e.stderr}")
    assert done.returncode == 0, f"{script} on {n} ranks failed:\n{done.stdout}\n{done.stderr}"
    assert done.stderr.count("DONE") == n, done.stderr
    return done.stdout


# ---------------------------------------------------------------------------- buckets, one process


def _torch_buckets(shapes_dtypes, caps):
    """torch's assignment over the parameters in reverse, mapped back to forward indices."""
    tensors = [torch.empty(s, dtype=d) for s, d in shapes_dtypes][::-1]
    buckets, _ = torch.distributed._compute_bucket_assignment_by_size(tensors, caps)
    n = len(tensors)
    return [[n - 1 - j for j in b] for b in buckets]


def test_first_bucket_bytes_is_torchs():
    assert FIRST_BUCKET_BYTES == torch.distributed._DEFAULT_FIRST_BUCKET_BYTES


def test_resnet18_buckets_equal_torchs():
    from ember.vision.models import resnet18

    ember.set_default_device("meta")  # shapes and dtypes without data: built in milliseconds
    try:
        params = list(resnet18().parameters())
    finally:
        ember.set_default_device("cpu")
    ours = bucket_assignment(params)
    shapes = [(tuple(p.shape), torch.float32) for p in params]
    assert ours == _torch_buckets(shapes, [FIRST_BUCKET_BYTES, 25 * 1024 * 1024])
    sizes = [sum(params[i].numel() * 4 for i in b) for b in ours]
    assert sizes == TORCH_RESNET18_BUCKETS


@pytest.mark.parametrize("caps", [(1000, 5000), (64, 64), (10 ** 9, 10 ** 9)])
def test_mixed_dtype_buckets_equal_torchs(caps):
    rng = np.random.default_rng(0)
    dtypes = [(ember.float32, torch.float32), (ember.float64, torch.float64),
              (ember.float16, torch.float16)]
    params, shapes = [], []
    for _ in range(40):
        size = tuple(int(s) for s in rng.integers(1, 12, size=rng.integers(1, 3)))
        e, t = dtypes[rng.integers(0, 3)]
        params.append(ember.empty(size, dtype=e))
        shapes.append((size, t))
    assert bucket_assignment(params, caps[1], caps[0]) == _torch_buckets(shapes, list(caps))


# -------------------------------------------------------------------- end-of-backward callback


def test_queue_callback_runs_after_every_gradient():
    """engine.queue_callback (torch's Variable._execution_engine.queue_callback): called from a
    hook, the callback runs once backward has filled every .grad; one it queues runs too."""
    from ember.autograd import engine

    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = ember.tensor([3.0], requires_grad=True)
    seen = []

    def at_end():
        seen.append((a.grad.tolist(), b.grad.tolist()))
        engine.queue_callback(lambda: seen.append("second"))

    handle = a.register_post_accumulate_grad_hook(lambda p: engine.queue_callback(at_end))
    ((a * 2).sum() * b).sum().backward()
    assert seen == [([6.0, 6.0], [6.0]), "second"]
    seen.clear()
    (a * b).sum().backward()  # the queue was emptied: only this backward's callback
    assert seen == [([9.0, 9.0], [9.0]), "second"]
    handle.remove()


def test_queue_callback_dropped_when_backward_fails():
    from ember.autograd import engine

    a = ember.tensor([1.0], requires_grad=True)
    ran = []

    def hook(grad):
        engine.queue_callback(lambda: ran.append(1))
        raise ValueError("hook failed")

    a.register_hook(hook)
    with pytest.raises(ValueError):
        (a * 2).sum().backward()
    b = ember.tensor([1.0], requires_grad=True)
    (b * 2).sum().backward()
    assert ran == []


def test_queue_callback_belongs_to_the_thread_that_queued_it():
    """A callback queued during one thread's backward is not run by another thread's backward
    that ends first (as torch, where callbacks belong to the running graph task)."""
    import threading

    from ember.autograd import engine

    queued, release, ran = threading.Event(), threading.Event(), []

    def slow_hook(grad):
        engine.queue_callback(lambda: ran.append(threading.current_thread().name))
        queued.set()
        release.wait(10)
        return grad

    def first():
        a = ember.tensor([1.0], requires_grad=True)
        a.register_hook(slow_hook)
        (a * 2).sum().backward()

    worker = threading.Thread(target=first, name="first")
    worker.start()
    assert queued.wait(10)
    b = ember.tensor([1.0], requires_grad=True)
    (b * 3).sum().backward()  # the main thread's backward ends while "first" is inside its own
    assert ran == []
    release.set()
    worker.join(10)
    assert ran == ["first"]


# ---------------------------------------------------------------------------- on real ranks


@needs_ranks
@pytest.mark.parametrize("n", [2, 4])
def test_ddp_equals_one_process_on_the_whole_batch(n):
    out = run_ranks("equivalence.py", n)
    assert out.count("ok ") == 7, out


@needs_ranks
@pytest.mark.parametrize("n", [2, 4])
def test_sync_batchnorm_equals_batchnorm_on_the_whole_batch(n):
    assert "ok sync_batchnorm" in run_ranks("sync_batchnorm.py", n)


@needs_ranks
@pytest.mark.parametrize("n", [2, 4])
def test_ddp_behaviour_buckets_and_sampler(n):
    """Also: the buckets DDP built equal torch's helper's on the same shapes."""
    out = run_ranks("behaviour.py", n)
    assert "ok behaviour" in out
    lines = {line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in out.splitlines()
             if " " in line}
    shapes = [((512, 512), torch.float32), ((512,), torch.float32)] * 3
    expected = [sum(4 * int(np.prod(shapes[i][0])) for i in b)
                for b in _torch_buckets(shapes, [FIRST_BUCKET_BYTES, 25 * 1024 * 1024])]
    assert [int(s) for s in lines["BUCKETS"].split(", ")] == expected == [1050624, 2101248]
    sampler = json.loads(lines["SAMPLER"])
    from torch.utils.data.distributed import DistributedSampler

    dataset = list(range(23))
    for key, per_rank in sampler.items():
        shuffle, drop_last, epoch = key.split("-")
        for rank, got in enumerate(per_rank):
            s = DistributedSampler(dataset, num_replicas=n, rank=rank, shuffle=shuffle == "True",
                                   seed=5, drop_last=drop_last == "True")
            s.set_epoch(int(epoch))
            assert [int(i) for i in got] == list(s), (key, rank)


def _launcher_missing():
    import importlib.util

    if _WHY_NOT is not None:
        return _WHY_NOT
    if importlib.util.find_spec("ember.distributed.run") is None:
        return "no ember.distributed.run launcher in this build"
    return None


@pytest.mark.skipif(_launcher_missing() is not None, reason=str(_launcher_missing()))
def test_nanogpt_pattern_runs_under_the_launcher():
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    cmd = [sys.executable, "-m", "ember.distributed.run", "--nproc-per-node=2",
           str(SCRIPTS / "nanogpt_pattern.py")]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, env=env,
                          cwd=ROOT)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    assert "ok nanogpt_pattern ddp=True world=2" in done.stdout, done.stdout
    assert done.stderr.count("DONE") == 2, done.stderr
