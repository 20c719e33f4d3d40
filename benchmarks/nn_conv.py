"""Side-by-side timings of convolutions, ember vs torch in one process (ratio = ember / torch).

    python benchmarks/nn_conv.py            # all workloads
    python benchmarks/nn_conv.py resnet     # only those whose name contains 'resnet'

Each workload is one conv2d layer's forward and backward (the gradients of weight and bias,
and of the input where a layer before it needs one) on the shapes of LeNet-5 (1x28x28, batch
64) and of ResNet-18's CIFAR variant (batch 32).  Both libraries run on one thread: torch as
in run.py, and NumPy's BLAS (OpenBLAS) through OPENBLAS_NUM_THREADS, set before NumPy loads.
The figure is the median of 7 alternating samples; the machines here are shared and noisy,
so compare ratios from one run.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402

import ember  # noqa: E402

torch.set_num_threads(1)


def _conv_step(shape, out_channels, kernel, stride=1, padding=0, input_grad=True):
    """A workload: conv forward, then backward of the sum of its output."""

    def make(lib):
        lib.manual_seed(0)
        x = lib.randn(*shape, requires_grad=input_grad)
        layer = lib.nn.Conv2d(shape[1], out_channels, kernel, stride, padding)

        def step():
            layer.zero_grad()
            layer(x).sum().backward()

        return step

    return make


def _lenet_step(lib):
    """LeNet-5's two convolutions, pools and tanh in one forward and backward, batch 64."""
    lib.manual_seed(0)
    x = lib.randn(64, 1, 28, 28)
    conv1 = lib.nn.Conv2d(1, 6, 5, padding=2)
    conv2 = lib.nn.Conv2d(6, 16, 5)

    def step():
        conv1.zero_grad()
        conv2.zero_grad()
        h = conv1(x).tanh()
        h = h.reshape(64, 6, 14, 2, 14, 2).mean((3, 5))  # 2x2 average pooling
        conv2(h).tanh().sum().backward()

    return step


# name, workload, calls per sample
WORKLOADS = [
    ("lenet conv1 1->6 k5 pad2, 64x28x28", _conv_step((64, 1, 28, 28), 6, 5, 1, 2, False), 5),
    ("lenet conv2 6->16 k5, 64x14x14", _conv_step((64, 6, 14, 14), 16, 5), 5),
    ("lenet convs + tanh + avgpool, batch 64", _lenet_step, 5),
    ("resnet stem 3->64 k3, 32x32x32", _conv_step((32, 3, 32, 32), 64, 3, 1, 1, False), 2),
    ("resnet 64->64 k3, 32x32x32", _conv_step((32, 64, 32, 32), 64, 3, 1, 1), 1),
    ("resnet 64->128 k3 s2, 32x32x32", _conv_step((32, 64, 32, 32), 128, 3, 2, 1), 1),
    ("resnet 128->128 k3, 32x16x16", _conv_step((32, 128, 16, 16), 128, 3, 1, 1), 1),
    ("resnet 256->256 k3, 32x8x8", _conv_step((32, 256, 8, 8), 256, 3, 1, 1), 2),
    ("resnet 512->512 k3, 32x4x4", _conv_step((32, 512, 4, 4), 512, 3, 1, 1), 2),
    ("resnet shortcut 64->128 k1 s2, 32x32x32", _conv_step((32, 64, 32, 32), 128, 1, 2), 2),
]


def _time(fn, number):
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def main(argv):
    wanted = argv[1] if len(argv) > 1 else ""
    print(f"{'workload':42} {'torch':>10} {'ember':>10} {'ratio':>6}")
    for name, make, number in WORKLOADS:
        if wanted not in name:
            continue
        fns = {"torch": make(torch), "ember": make(ember)}
        for fn in fns.values():
            fn()  # warm up
        times = {"torch": [], "ember": []}
        for _ in range(7):  # alternate so both see the same machine load
            for lib_name, fn in fns.items():
                times[lib_name].append(_time(fn, number))
        t = statistics.median(times["torch"])
        e = statistics.median(times["ember"])
        print(f"{name:42} {t * 1e3:8.2f}ms {e * 1e3:8.2f}ms {e / t:6.2f}")


if __name__ == "__main__":
    main(sys.argv)
