"""Pooling and resampling: timings against torch, and a CUDA check.

    python benchmarks/nn_pool.py            # ember/torch time ratios (CPU, one thread each),
                                            # forward + backward
    python benchmarks/nn_pool.py --cuda     # every pooling/vision function on the GPU (CuPy)
                                            # against ember on the CPU: values and gradients
    python benchmarks/nn_pool.py --cuda --fake   # the same on the NumPy-backed fake cuda
"""

import sys
import time

import numpy as np

import ember

# (function, input shape, args, kwargs); the first ones are LeNet-5's and ResNet-18's pools
CASES = [
    ("max_pool2d", (64, 6, 28, 28), (2,), {}),
    ("max_pool2d", (16, 64, 112, 112), (3, 2, 1), {}),
    ("adaptive_avg_pool2d", (32, 512, 7, 7), ((1, 1),), {}),
    ("avg_pool2d", (64, 6, 28, 28), (2,), {}),
    ("avg_pool2d", (16, 32, 56, 56), (3, 2, 1), {}),
    ("adaptive_max_pool2d", (16, 32, 28, 28), ((5, 7),), {}),
    ("interpolate", (8, 16, 32, 32), (), {"scale_factor": 2, "mode": "bilinear"}),
    ("interpolate", (8, 16, 32, 32), (), {"scale_factor": 2, "mode": "nearest"}),
]

CUDA_CASES = CASES[2:] + [
    ("max_pool2d", (2, 3, 7, 6), (3, 2, 1), {"return_indices": True, "ceil_mode": True}),
    ("max_pool1d", (2, 3, 9), (3, 2, 1), {"dilation": 2}),
    ("max_pool3d", (2, 2, 5, 6, 7), (3, 2, 1), {}),
    ("avg_pool2d", (2, 3, 7, 6), (3, 2, 1), {"count_include_pad": False, "ceil_mode": True}),
    ("avg_pool3d", (2, 2, 4, 4, 6), (2,), {}),
    ("adaptive_avg_pool2d", (2, 3, 7, 6), ((3, 4),), {}),
    ("adaptive_max_pool1d", (2, 3, 7), (5,), {"return_indices": True}),
    ("lp_pool2d", (2, 3, 7, 6), (2, 2), {}),
    ("interpolate", (2, 3, 5, 7), (), {"size": (8, 4), "mode": "bicubic"}),
    ("interpolate", (2, 3, 5, 7), (), {"scale_factor": 1.7, "mode": "nearest-exact"}),
    ("interpolate", (2, 3, 5, 7), (), {"size": (3, 4), "mode": "area"}),
    ("interpolate", (1, 2, 4, 5, 3), (), {"scale_factor": 1.5, "mode": "trilinear"}),
    ("pixel_shuffle", (2, 12, 3, 4), (2,), {}),
    ("channel_shuffle", (2, 12, 3, 4), (3,), {}),
]


def _best_ms(fn, repeat=5):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def timings():
    import torch

    torch.set_num_threads(1)  # NumPy's elementwise maths is single-threaded
    print(f"{'case':58s} {'ember ms':>9s} {'torch ms':>9s} {'ratio':>6s}")
    for fn, shape, args, kwargs in CASES:
        x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
        times = []
        for lib in (ember, torch):
            xx = lib.tensor(x, requires_grad=True)
            f = getattr(lib.nn.functional, fn)

            def step(xx=xx, f=f, lib=lib, args=args, kwargs=kwargs):
                y = f(xx, *args, **kwargs)
                y.backward(lib.ones_like(y))

            step()
            times.append(_best_ms(step))
        name = f"{fn}{shape}{args}{kwargs or ''}"
        print(f"{name:58s} {times[0]:9.2f} {times[1]:9.2f} {times[0] / times[1]:6.2f}")


def cuda_check(fake):
    if fake:
        ember._device.enable_fake_cuda()
    failures = 0
    for fn, shape, args, kwargs in CUDA_CASES:
        x = np.random.default_rng(1).normal(size=shape)
        results = []
        for device in ("cpu", "cuda"):
            xx = ember.tensor(x, device=device, requires_grad=True)
            y = getattr(ember.nn.functional, fn)(xx, *args, **kwargs)
            extra = None
            if isinstance(y, tuple):
                y, extra = y
                extra = extra.cpu().numpy()
            g = ember.tensor(np.random.default_rng(2).normal(size=tuple(y.shape)), device=device)
            y.backward(g)
            results.append((y.detach().cpu().numpy(), xx.grad.cpu().numpy(), extra))
        ok = all(np.allclose(a, b, rtol=1e-9, atol=1e-12) for a, b in zip(results[0][:2],
                                                                           results[1][:2]))
        ok = ok and (results[0][2] is None or np.array_equal(results[0][2], results[1][2]))
        failures += not ok
        print("ok  " if ok else "FAIL", fn, shape, args, kwargs)
    # grid_sample and affine_grid: gradients to input, grid and theta
    rng = np.random.default_rng(3)
    x, theta = rng.normal(size=(2, 3, 5, 6)), rng.normal(size=(2, 2, 3)) * 0.7
    outs = []
    for device in ("cpu", "cuda"):
        xx = ember.tensor(x, device=device, requires_grad=True)
        th = ember.tensor(theta, device=device, requires_grad=True)
        grid = ember.nn.functional.affine_grid(th, (2, 3, 4, 5), align_corners=False)
        y = ember.nn.functional.grid_sample(xx, grid, padding_mode="reflection",
                                            align_corners=False)
        (y * y).sum().backward()
        outs.append([t.detach().cpu().numpy() for t in (y, xx.grad, th.grad)])
    ok = all(np.allclose(a, b, rtol=1e-9, atol=1e-12) for a, b in zip(*outs))
    failures += not ok
    print("ok  " if ok else "FAIL", "affine_grid + grid_sample (reflection)")
    print("failures:", failures)
    return failures


if __name__ == "__main__":
    if "--cuda" in sys.argv:
        sys.exit(1 if cuda_check("--fake" in sys.argv) else 0)
    timings()
