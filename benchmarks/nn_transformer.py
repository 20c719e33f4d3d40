"""A training step of a 2-layer TransformerEncoder, ember against torch (ratio = ember / torch).

    python benchmarks/nn_transformer.py

d_model=128, 4 heads, dim_feedforward=512, sequence 64, batch 32, batch_first, dropout 0.1,
train mode: forward, an MSE loss, backward and an SGD step.  Both libraries run in this process
with torch on one thread, as benchmarks/run.py does, and NumPy's BLAS on one thread too (set
before NumPy loads): the same footing, and on a shared machine BLAS threads that spin while
waiting for work make the timings swing by 5x.  Target ratio (the nn issue): <= 1.5.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

import ember  # noqa: E402

torch.set_num_threads(1)

TARGET = 1.5


def transformer_encoder_train_step(lib, dropout=0.1):
    """A callable running one training step of the workload on ``lib`` (ember or torch)."""
    lib.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's nested-tensor notice
        layer = lib.nn.TransformerEncoderLayer(128, 4, dim_feedforward=512, dropout=dropout,
                                               batch_first=True)
        model = lib.nn.TransformerEncoder(layer, 2)
    model.train()
    rng = np.random.default_rng(0)
    x = lib.from_numpy(rng.normal(size=(32, 64, 128)).astype(np.float32))
    target = lib.from_numpy(rng.normal(size=(32, 64, 128)).astype(np.float32))
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = lib.nn.MSELoss()

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), target)
        loss.backward()
        optimizer.step()

    return step


# name, dropout; the second isolates attention, linear and norm layers from dropout's draws
WORKLOADS = [
    ("2-layer TransformerEncoder train step", 0.1),
    ("  the same with dropout=0", 0.0),
]


def main(repeats=7):
    print(f"{'workload':42} {'torch':>11} {'ember':>11} {'ratio':>7} {'target':>7}")
    ratios = []
    for label, dropout in WORKLOADS:
        fns = {"torch": transformer_encoder_train_step(torch, dropout),
               "ember": transformer_encoder_train_step(ember, dropout)}
        for fn in fns.values():  # warm up
            fn()
        times = {"torch": [], "ember": []}
        for _ in range(repeats):  # alternate so both see the same machine load
            for name, fn in fns.items():
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
        t = statistics.median(times["torch"])
        e = statistics.median(times["ember"])
        ok = "ok" if e / t <= TARGET else "MISS"
        print(f"{label:42} {t * 1e3:9.2f}ms {e * 1e3:9.2f}ms {e / t:7.2f} {TARGET:6.2f} {ok}")
        ratios.append(e / t)
    return ratios


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
