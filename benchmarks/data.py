"""DataLoader throughput: ember with 0 and 2 workers, and ember vs torch with 2 workers.

    python benchmarks/data.py              # 2048 images, batches of 32, 5 rounds
    python benchmarks/data.py --items 512 --rounds 3

The dataset is image-like: each item is a 3x32x32 float32 image made and augmented with about
1 ms of NumPy work (noise, normalisation, a flip, a blur).  One epoch (worker start included)
is timed for ember with num_workers=0, ember with num_workers=2 and torch with num_workers=2,
in turns, and each figure is the median of the rounds.  For scale, the same items are also
loaded by 1 and by 2 plain forked processes with no loader: the machine's own ceiling.
The targets (issue 5):

    speed-up  = ember 0 workers / ember 2 workers       >= 1.6  (on 2 cores)
    vs torch  = ember 2 workers / torch 2 workers       <= 1.2

Machines here are shared and noisy: compare figures measured in one run.
"""

import argparse
import multiprocessing
import os
import statistics
import time

import numpy as np
import torch

import ember

torch.set_num_threads(1)


class AugmentedImages:
    """Item i: a 3x32x32 float32 image (seeded by i) after ~1 ms of NumPy augmentation, and
    its label.  A plain class, so both libraries' DataLoaders read the same object."""

    def __init__(self, n, work):
        self.n = n
        self.work = work  # blur passes: sets the per-item cost

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        rng = np.random.default_rng(i)
        image = rng.random((3, 32, 32), dtype=np.float32)
        image = (image - image.mean(axis=(1, 2), keepdims=True)) / 0.25
        if i % 2:
            image = image[:, :, ::-1]
        for _ in range(self.work):  # a 3x3 box blur, written with shifted views
            padded = np.pad(image, ((0, 0), (1, 1), (1, 1)), mode="edge")
            image = sum(padded[:, dy:dy + 32, dx:dx + 32] for dy in range(3)
                        for dx in range(3)) / 9.0
        return np.ascontiguousarray(image, dtype=np.float32), i % 10


def _cost(passes, items=64):
    dataset = AugmentedImages(items, passes)
    start = time.perf_counter()
    for i in range(items):
        dataset[i]
    return (time.perf_counter() - start) / items


def calibrate(target_s=1e-3):
    """The number of blur passes that makes one item cost about ``target_s``: the fixed cost
    (making and normalising the image) plus passes times the cost of one pass."""
    base, ten = min(_cost(0) for _ in range(3)), min(_cost(10) for _ in range(3))
    per_pass = (ten - base) / 10
    return max(1, round((target_s - base) / per_pass))


def epoch(lib, dataset, workers, batch_size):
    loader = lib.utils.data.DataLoader(dataset, batch_size, shuffle=True, num_workers=workers)
    start = time.perf_counter()
    count = 0
    for images, _labels in loader:
        count += images.shape[0]
    assert count == len(dataset)
    return time.perf_counter() - start


def _load_share(dataset, k, parts):
    for i in range(k, len(dataset), parts):
        dataset[i]


def plain_processes(dataset, parts):
    """The machine's ceiling: the items split between ``parts`` forked processes with no
    loader at all (no batching, no queues); 1 part runs in this process."""
    start = time.perf_counter()
    if parts == 1:
        _load_share(dataset, 0, 1)
        return time.perf_counter() - start
    context = multiprocessing.get_context("fork")
    procs = [context.Process(target=_load_share, args=(dataset, k, parts))
             for k in range(parts)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=2048)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    dataset = AugmentedImages(args.items, calibrate())
    start = time.perf_counter()
    for i in range(100):
        dataset[i]
    per_item_ms = (time.perf_counter() - start) * 10
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"{args.items} items of ~{per_item_ms:.2f} ms, batch {args.batch_size}, {cpus} CPUs, "
          f"{args.rounds} rounds")

    runs = {"ember, 0 workers": [], "ember, 2 workers": [], "torch, 2 workers": [],
            "plain, 1 process": [], "plain, 2 processes": []}
    epoch(ember, dataset, 2, args.batch_size)  # warm-up: imports and first fork
    epoch(torch, dataset, 2, args.batch_size)
    for _ in range(args.rounds):
        runs["ember, 0 workers"].append(epoch(ember, dataset, 0, args.batch_size))
        runs["ember, 2 workers"].append(epoch(ember, dataset, 2, args.batch_size))
        runs["torch, 2 workers"].append(epoch(torch, dataset, 2, args.batch_size))
        runs["plain, 1 process"].append(plain_processes(dataset, 1))
        runs["plain, 2 processes"].append(plain_processes(dataset, 2))
    median = {name: statistics.median(times) for name, times in runs.items()}
    for name, t in median.items():
        print(f"  {name:18s} {t * 1e3:8.1f} ms/epoch  {args.items / t:8.0f} items/s")
    speedup = median["ember, 0 workers"] / median["ember, 2 workers"]
    vs_torch = median["ember, 2 workers"] / median["torch, 2 workers"]
    print(f"speed-up with 2 workers: {speedup:.2f}x (target >= 1.6)")
    print(f"ember / torch time with 2 workers: {vs_torch:.2f} (target <= 1.2)")
    ceiling = median["plain, 1 process"] / median["plain, 2 processes"]
    torch_speedup = median["ember, 0 workers"] / median["torch, 2 workers"]
    print(f"for scale: torch's speed-up {torch_speedup:.2f}x, two plain processes with no "
          f"loader {ceiling:.2f}x (this machine's ceiling)")


if __name__ == "__main__":
    main()
