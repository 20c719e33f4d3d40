"""What pruning saves: ``autograd.grad(net(x).sum(), x)`` (a saliency map) on a 5-layer MLP.

Since 2026-12-06 the engine runs only the nodes on a path to the requested inputs and, inside a
linear layer's node, computes only the input's gradient (no weight gradient).  This times the
same call on an old revision of ember (default: a4bb3e7, before pruning) and on the working
tree in one process, alternating rounds, and prints the median of the rounds' ratios; torch
is the third column.

    python benchmarks/pruning.py [--old REV]
"""

import statistics
import sys
import time

import ab
import torch

import ember


def saliency(lib, width=512, batch=64, layers=5):
    lib.manual_seed(0)
    mods = []
    for _ in range(layers):
        mods += [lib.nn.Linear(width, width), lib.nn.ReLU()]
    net = lib.nn.Sequential(*mods)
    x = lib.randn(batch, width, requires_grad=True)

    def step():
        (g,) = lib.autograd.grad(net(x).sum(), x)
        return g

    return step


def main(argv):
    old_rev = argv[argv.index("--old") + 1] if "--old" in argv else "a4bb3e7"
    libs = {"old": ab.import_old(old_rev), "new": ember, "torch": torch}
    fns = {name: saliency(lib) for name, lib in libs.items()}
    times = {name: [] for name in libs}
    for _ in range(15):
        for name, fn in fns.items():
            start = time.perf_counter()
            for _ in range(5):
                fn()
            times[name].append((time.perf_counter() - start) / 5)
    med = {name: statistics.median(t) * 1e3 for name, t in times.items()}
    ratio = statistics.median(n / o for o, n in zip(times["old"], times["new"]))
    vs_torch = statistics.median(n / t for t, n in zip(times["torch"], times["new"]))
    print(f"grad(net(x).sum(), x), 5 x Linear(512, 512) + ReLU, batch 64 (old: {old_rev})")
    print(f"old {med['old']:.2f} ms   new {med['new']:.2f} ms   torch {med['torch']:.2f} ms   "
          f"new/old {ratio:.2f}   new/torch {vs_torch:.2f}")


if __name__ == "__main__":
    main(sys.argv)
