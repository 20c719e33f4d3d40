"""Optimizer timings against torch.optim in one process: ratio = ember time / torch time.

    python benchmarks/optim.py            # all workloads
    python benchmarks/optim.py tiny       # only those whose name contains 'tiny'

Same method as benchmarks/run.py (torch on one thread, alternating samples, medians). NumPy's
BLAS is held to one thread too (before NumPy is imported), so both libraries get one core: on a
shared machine a multi-threaded BLAS otherwise fights the other processes for the cores.
"""

import os
import statistics
import sys

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402  (after the thread settings)
import torch  # noqa: E402
from run import _time  # noqa: E402

import ember  # noqa: E402


def resnet18_shapes():
    """The parameter shapes of torchvision's ResNet-18 (62 tensors, 11,689,512 numbers)."""
    shapes = [(64, 3, 7, 7), (64,), (64,)]
    in_channels = 64
    for out_channels in (64, 128, 256, 512):
        for block in range(2):
            first_in = in_channels if block == 0 else out_channels
            shapes += [(out_channels, first_in, 3, 3), (out_channels,), (out_channels,),
                       (out_channels, out_channels, 3, 3), (out_channels,), (out_channels,)]
            if block == 0 and out_channels != 64:  # the downsampling shortcut
                shapes += [(out_channels, in_channels, 1, 1), (out_channels,), (out_channels,)]
        in_channels = out_channels
    return shapes + [(1000, 512), (1000,)]


def _params_with_grads(lib, shapes):
    rng = np.random.default_rng(0)
    params = []
    for shape in shapes:
        p = lib.tensor(rng.standard_normal(shape, dtype=np.float32), requires_grad=True)
        p.grad = lib.tensor(rng.standard_normal(shape, dtype=np.float32))
        params.append(p)
    return params


def adam_resnet18(lib):
    opt = lib.optim.Adam(_params_with_grads(lib, resnet18_shapes()), lr=1e-3)
    opt.step()  # the state exists: time the steady state
    return opt.step


def adam_200_tiny(lib):
    opt = lib.optim.Adam(_params_with_grads(lib, [(4,)] * 200), lr=1e-3)
    opt.step()
    return opt.step


def sgd_momentum_resnet18(lib):
    opt = lib.optim.SGD(_params_with_grads(lib, resnet18_shapes()), lr=1e-2, momentum=0.9)
    opt.step()
    return opt.step


def mlp_adam_training_step(lib):
    """One training step of an MLP 784-256-128-10 with Adam, batch 128 (from the nn issue)."""
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(784, 256), lib.nn.ReLU(), lib.nn.Linear(256, 128),
                              lib.nn.ReLU(), lib.nn.Linear(128, 10))
    criterion = lib.nn.CrossEntropyLoss()
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((128, 784), dtype=np.float32))
    y = lib.tensor(rng.integers(0, 10, 128))

    def step():
        opt.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        opt.step()

    return step


# name, workload, calls per sample, target ratio (issues 3 and 4)
WORKLOADS = [
    ("Adam.step, ResNet-18 parameters", adam_resnet18, 3, 1.5),
    ("Adam.step, 200 tiny parameters", adam_200_tiny, 100, 1.0),
    ("SGD(momentum).step, ResNet-18 params", sgd_momentum_resnet18, 3, None),
    ("MLP 784-256-128-10 + Adam, batch 128", mlp_adam_training_step, 20, 1.2),
]


def main(argv):
    wanted = argv[1] if len(argv) > 1 else ""
    print(f"{'workload':42} {'torch':>11} {'ember':>11} {'ratio':>7} {'target':>7}")
    for name, make, number, target in WORKLOADS:
        if wanted not in name:
            continue
        fns = {"torch": make(torch), "ember": make(ember)}
        times = {"torch": [], "ember": []}
        for _ in range(7):  # alternate so both see the same machine load
            for lib_name, fn in fns.items():
                times[lib_name] += _time(fn, number, 1)
        t = statistics.median(times["torch"])
        e = statistics.median(times["ember"])
        verdict = "" if target is None else ("ok" if e / t <= target else "MISS")
        shown = "-" if target is None else f"{target:.2f}"
        print(f"{name:42} {t * 1e6:9.0f}us {e * 1e6:9.0f}us {e / t:7.2f} {shown:>6} {verdict}")


if __name__ == "__main__":
    main(sys.argv)
