"""Mixed precision: the cost of an autocast training step against the plain float32 step.

    python benchmarks/amp.py               # MLP and LeNet-5 (benchmarks/models.py), ember
    python benchmarks/amp.py --torch       # the same ratios for torch, for reference
    python benchmarks/amp.py --rounds 30

Each round times one plain float32 step and one step whose forward runs under
``autocast('cpu')`` (bfloat16), interleaved so both see the same machine load; the ratio is the
median of the rounds' ratios (issue 18 asks for at most 1.3 on ember).
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import models  # noqa: E402  (benchmarks/models.py)


def _model_and_batch(lib, name):
    lib.manual_seed(0)
    nn = lib.nn
    rng = np.random.default_rng(0)
    if name == "MLP":
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                              nn.Linear(128, 10))
        x = lib.tensor(rng.normal(size=(128, 784)).astype(np.float32))
        optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
    else:
        model = models.lenet5(lib)
        x = lib.tensor(rng.normal(size=(64, 1, 28, 28)).astype(np.float32))
        optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    y = lib.tensor(rng.integers(0, 10, size=x.shape[0]))
    return model, optimizer, x, y


def steps(lib, name):
    """(plain step, autocast step) on two copies of the same model."""
    criterion = lib.nn.CrossEntropyLoss()

    def make(use_autocast):
        model, optimizer, x, y = _model_and_batch(lib, name)

        def step():
            optimizer.zero_grad()
            with lib.autocast("cpu", enabled=use_autocast):
                loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()

        return step

    return make(False), make(True)


def _time(fn, number):
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--torch", action="store_true", help="time torch instead of ember")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--number", type=int, default=5, help="steps per timing")
    args = parser.parse_args(argv)
    if args.torch:
        import torch as lib
    else:
        import ember as lib
    print(f"{lib.__name__}: autocast('cpu', bfloat16) step / float32 step (median of "
          f"{args.rounds} rounds)")
    for name in ("MLP", "LeNet-5"):
        plain, mixed = steps(lib, name)
        for fn in (plain, mixed, plain, mixed):  # warm up
            fn()
        ratios, plain_times, mixed_times = [], [], []
        for _ in range(args.rounds):
            a = _time(plain, args.number)
            b = _time(mixed, args.number)
            plain_times.append(a)
            mixed_times.append(b)
            ratios.append(b / a)
        print(f"  {name:8s} float32 {statistics.median(plain_times) * 1e3:7.2f} ms   autocast "
              f"{statistics.median(mixed_times) * 1e3:7.2f} ms   ratio "
              f"{statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
