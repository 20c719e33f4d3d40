"""Side-by-side timings of ember and torch in one process: ratio = ember time / torch time.

    python benchmarks/run.py                    # all workloads
    python benchmarks/run.py add                # only those whose name contains 'add'
    python benchmarks/run.py --single-thread    # both libraries pinned to one thread

Threads: by default both libraries run at their default thread settings, what a user gets
(torch's intra-op threads, NumPy's BLAS pool for ember; the header line prints the counts).
--single-thread pins both to one thread (torch.set_num_threads(1), ember.set_num_threads(1)),
the setting of earlier figures, for a second column.

Each workload is timed alternately on both libraries, round after round; the times shown are
the medians, the ratio is the median of the rounds' ratios.  Machines here are shared and noisy:
compare ratios measured in one run, not single times.

Settling: after a call, idle worker threads keep spinning for a while in case more work comes
(OpenBLAS's for up to 2^28 cycles, ~0.1 s here; torch's OpenMP threads briefly).  Timed right
after the other library, a multi-threaded workload would share the cores with those spinning
threads, which no user running one library sees (torch's LeNet step measured 9.5 ms that way,
4.4 ms alone).  So before each timing of a model workload the process sleeps SETTLE seconds
and runs one untimed step: the timed steps then run as in a training loop, this library's
threads awake, the other's asleep.
"""

import argparse
import statistics
import sys
import time

import numpy as np
import torch

import ember

import models

SETTLE = 0.3  # seconds: longer than any idle thread of either library spins


def _time(fn, number, repeats):
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return samples


def add_no_grad(lib):
    a, b = lib.ones(1), lib.ones(1)
    return lambda: a + b


def add_with_grad(lib):
    a, b = lib.ones(1, requires_grad=True), lib.ones(1, requires_grad=True)
    return lambda: a + b


def scalar_forward_backward(lib):
    w = lib.tensor(2.0, requires_grad=True)
    x = lib.tensor(3.0)
    b = lib.tensor(1.0, requires_grad=True)

    def step():
        (w * x + b).sum().backward()

    return step


def linear_regression_1000_epochs(lib):
    x_np = np.arange(11, dtype=np.float32).reshape(-1, 1)
    inputs, labels = lib.from_numpy(x_np), lib.from_numpy(2 * x_np + 1)

    def run():
        lib.manual_seed(0)
        model = lib.nn.Linear(1, 1)
        criterion = lib.nn.MSELoss()
        optimizer = lib.optim.SGD(model.parameters(), lr=0.01)
        for _ in range(1000):
            optimizer.zero_grad()
            loss = criterion(model(inputs), labels)
            loss.backward()
            optimizer.step()

    return run


def tensor_from_list(lib):
    values = [0.37 * i for i in range(100)]  # what data pipelines and learner code hand over
    return lambda: lib.tensor(values)


# name, workload, calls per sample, rounds, target ratio (issue 16's targets for tensor(list)
# and the nn steps; the encoder step keeps the earlier issue's 1.5).
# Tiny workloads take many short rounds: the machines here change speed from one second to the
# next, and a round times torch and ember back to back, so each round's ratio sees one speed.
WORKLOADS = [
    ("a. add, 1 element, no grad", add_no_grad, 1000, 101, 1.0),
    ("a. add, 1 element, with grad", add_with_grad, 1000, 101, 1.0),
    ("b. (w*x+b).sum().backward(), scalars", scalar_forward_backward, 100, 61, 0.5),
    ("c. linear regression, 1000 epochs", linear_regression_1000_epochs, 1, 15, 0.5),
    ("tensor(list of 100 floats)", tensor_from_list, 100, 61, 1.5),
    ("nn: MLP 784-256-128-10 + Adam, batch 128", models.mlp_adam_step, 5, 7, 1.0),
    ("nn: LeNet-5 step, batch 64", models.lenet5_step, 3, 7, 1.0),
    ("nn: ResNet-18 (CIFAR) step, batch 32", models.resnet18_step, 1, 7, 1.3),
    ("nn: Transformer encoder x2 step, batch 32", models.transformer_step, 1, 7, 1.5),
    ("nn: pre-LN Transformer LM (GELU, vocab 1000)", models.transformer_lm_step, 1, 7, 1.2),
]


def set_threads(single_thread):
    """Pin torch and ember (NumPy's BLAS) to one thread, or leave both at their defaults;
    returns a line saying the thread counts in use."""
    if single_thread:
        torch.set_num_threads(1)
        ember.set_num_threads(1)  # NumPy's BLAS, like torch, on one thread
    setting = "single thread" if single_thread else "default threads"
    return (f"threads: {setting} (torch {torch.get_num_threads()}, "
            f"ember/BLAS {ember.get_num_threads()})")


def main(argv):
    parser = argparse.ArgumentParser(description="ember/torch timings, side by side")
    parser.add_argument("filter", nargs="?", default="",
                        help="run only the workloads whose name contains this")
    parser.add_argument("--single-thread", action="store_true",
                        help="pin torch and ember (NumPy's BLAS) to one thread")
    args = parser.parse_args(argv[1:])
    wanted = args.filter
    print(set_threads(args.single_thread))
    print(f"{'workload':42} {'torch':>11} {'ember':>11} {'ratio':>7} {'target':>7}")
    for name, make, number, rounds, target in WORKLOADS:
        if wanted not in name:
            continue
        try:
            fns = {"torch": make(torch), "ember": make(ember)}
        except (AttributeError, NotImplementedError) as e:  # a layer ember does not have yet
            print(f"{name:42} skipped: {e}")
            continue
        times = {"torch": [], "ember": []}
        for _ in range(rounds):  # alternate so both see the same machine load
            for lib_name, fn in fns.items():
                if name.startswith("nn:"):  # multi-threaded: let the other library's threads
                    time.sleep(SETTLE)       # stop spinning first (see the docstring), then
                    fn()                     # one untimed step wakes this library's own
                times[lib_name] += _time(fn, number, 1)
        t = statistics.median(times["torch"])
        e = statistics.median(times["ember"])
        # the ratio: the median of the rounds' ratios (each round's pair ran at one speed)
        ratio = statistics.median(b / a for a, b in zip(times["torch"], times["ember"]))
        ok = "ok" if ratio <= target else "MISS"
        print(f"{name:42} {t * 1e6:9.2f}us {e * 1e6:9.2f}us {ratio:7.2f} {target:6.2f} {ok}")


if __name__ == "__main__":
    main(sys.argv)
