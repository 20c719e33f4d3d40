"""Run under ``mpiexec -n N``: SyncBatchNorm over N ranks equals BatchNorm on the concatenated
batch: forward, input and parameter gradients, running statistics (float64; the combined
statistics differ from the two-pass ones by a few roundings, tolerance 1e-12).

Ranks hold different batch sizes (2 + rank), as torch allows.  Then a small convolutional
model converted with ``convert_sync_batchnorm`` and wrapped in DDP trains 5 SGD steps and must
equal one process with plain BatchNorm on the whole batch.
"""

import copy
import sys

import numpy as np

import ember
import ember.distributed as dist
import ember.nn as nn
from ember.nn.parallel import DistributedDataParallel as DDP

TOL = 1e-12


def close(a, b, what):
    a, b = np.asarray(a), np.asarray(b)
    worst = float(np.max(np.abs(a - b))) if a.size else 0.0
    assert a.shape == b.shape and worst <= TOL, (what, a.shape, b.shape, worst)


def batch_sizes(world):
    return [2 + r for r in range(world)]


def check_layer(momentum, affine, dims):
    rank, world = dist.get_rank(), dist.get_world_size()
    sizes = batch_sizes(world)
    rng = np.random.default_rng(3)
    shape_tail = (4,) + (3,) * (dims - 2)
    x_all = rng.standard_normal((sum(sizes),) + shape_tail) * 2 + 1
    c_all = rng.standard_normal(x_all.shape)
    lo = sum(sizes[:rank])
    hi = lo + sizes[rank]

    sync = nn.SyncBatchNorm(4, momentum=momentum, affine=affine).double()
    ref = nn.BatchNorm1d(4, momentum=momentum, affine=affine).double() if dims <= 3 else \
        nn.BatchNorm2d(4, momentum=momentum, affine=affine).double()
    if affine:
        with ember.no_grad():
            for m in (sync, ref):
                m.weight.copy_(ember.tensor(rng.standard_normal(4) * 0 + [1.5, -0.5, 2.0, 1.0]))
                m.bias.copy_(ember.tensor([0.1, 0.2, -0.3, 0.0], dtype=ember.float64))
    for _ in range(3):  # three steps: the running statistics accumulate
        x = ember.tensor(x_all[lo:hi], requires_grad=True)
        y = sync(x)
        (y * ember.tensor(c_all[lo:hi])).sum().backward()
        xr = ember.tensor(x_all, requires_grad=True)
        yr = ref(xr)
        (yr * ember.tensor(c_all)).sum().backward()
        close(y.detach().numpy(), yr.detach().numpy()[lo:hi], "output")
        close(x.grad.numpy(), xr.grad.numpy()[lo:hi], "input gradient")
    close(sync.running_mean.numpy(), ref.running_mean.numpy(), "running_mean")
    close(sync.running_var.numpy(), ref.running_var.numpy(), "running_var")
    assert int(sync.num_batches_tracked) == int(ref.num_batches_tracked) == 3
    if affine:  # local gradients: their sum over the ranks is the whole batch's
        for p, q in ((sync.weight, ref.weight), (sync.bias, ref.bias)):
            g = p.grad.clone()
            dist.all_reduce(g)
            close(g.numpy(), q.grad.numpy(), "parameter gradient")
    sync.eval()  # eval: the running statistics, no communication
    ref.eval()
    close(sync(ember.tensor(x_all[lo:hi])).detach(), ref(ember.tensor(x_all[lo:hi])).detach(),
          "eval output")


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3, padding=1)
        self.bn = nn.BatchNorm2d(3)
        self.fc = nn.Linear(3 * 4 * 4, 2)

    def forward(self, x):
        return self.fc(ember.relu(self.bn(self.conv(x))).flatten(1))


def check_ddp_model():
    rank, world = dist.get_rank(), dist.get_world_size()
    ember.manual_seed(0)
    ref = ConvNet().double()
    model = nn.SyncBatchNorm.convert_sync_batchnorm(copy.deepcopy(ref))
    assert type(model.bn) is nn.SyncBatchNorm
    ddp = DDP(model)
    opt = ember.optim.SGD(ddp.parameters(), lr=0.05)
    ref_opt = ember.optim.SGD(ref.parameters(), lr=0.05)
    rng = np.random.default_rng(5)
    B = 2
    for _ in range(5):
        x = rng.standard_normal((world * B, 2, 4, 4))
        t = rng.standard_normal((world * B, 2))
        part = slice(rank * B, (rank + 1) * B)
        loss = ((ddp(ember.tensor(x[part])) - ember.tensor(t[part])) ** 2).mean()
        loss.backward()
        opt.step()
        opt.zero_grad()
        ref_loss = ((ref(ember.tensor(x)) - ember.tensor(t)) ** 2).mean()
        ref_loss.backward()
        ref_opt.step()
        ref_opt.zero_grad()
    for (name, p), q in zip(model.state_dict().items(), ref.state_dict().values()):
        close(p.numpy(), q.numpy(), name)


def main():
    dist.init_process_group("gloo")
    for momentum, affine, dims in [(0.1, True, 4), (None, True, 3), (0.3, False, 2)]:
        check_layer(momentum, affine, dims)
    check_ddp_model()
    if dist.get_rank() == 0:
        print("ok sync_batchnorm", flush=True)
    dist.destroy_process_group()
    print("DONE", file=sys.stderr)


if __name__ == "__main__":
    main()
