"""Saving and loading a 100 MB state_dict: ember.save/ember.load against torch.save/torch.load
(ratio = ember time / torch time, median of the rounds; targets <= 1.5 each, issue 6).

    python benchmarks/serialization.py [--mb 100] [--rounds 5]

Each library saves its own state_dict of the same values and loads its own file; mmap=True
loads are shown too.  ember's save is atomic (temporary file, fsync, rename); torch's is not.
"""

import argparse
import os
import statistics
import tempfile
import time

import numpy as np
import torch

import ember


def _state(lib, mb):
    rng = np.random.default_rng(0)
    n = mb * (1 << 20) // 4 // 25
    return {f"layer{i}.weight": lib.tensor(rng.normal(size=n).astype(np.float32))
            for i in range(25)}


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    states = {"torch": _state(torch, args.mb), "ember": _state(ember, args.mb)}
    libs = {"torch": torch, "ember": ember}
    times = {k: [] for k in ("save torch", "save ember", "load torch", "load ember",
                             "mmap torch", "mmap ember")}
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(args.rounds):
            for name, lib in libs.items():
                path = os.path.join(folder, f"{name}.pt")
                times[f"save {name}"].append(_timed(lib.save, states[name], path))
                times[f"load {name}"].append(_timed(lib.load, path, weights_only=True))
                times[f"mmap {name}"].append(_timed(lib.load, path, weights_only=True,
                                                    mmap=True))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{args.mb} MB state_dict, {args.rounds} rounds (medians)")
    for what in ("save", "load", "mmap"):
        t, e = med[f"{what} torch"], med[f"{what} ember"]
        print(f"  {what:5} torch {t * 1e3:8.1f} ms   ember {e * 1e3:8.1f} ms   ratio {e / t:5.2f}")
    print(f"  ember mmap load / full load: {med['mmap ember'] / med['load ember']:.2f}")


if __name__ == "__main__":
    main()
