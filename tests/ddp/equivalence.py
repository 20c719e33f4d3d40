"""Run under ``mpiexec -n N``: DDP over N ranks x batch B equals one process on the batch N*B.

Every rank builds the model from its own seed (DDP must broadcast rank 0's weights), trains 20
steps on its slice of a shared data set, and also trains a plain copy of rank 0's start on the
whole concatenated batch.  The parameters must agree to 1e-12 (float64: each averaged gradient
differs from the one-process gradient by a few roundings of 2**-53, and 20 steps of SGD or Adam
on this small model keep that far below 1e-12).

Cases: SGD and Adam; gradient accumulation over 2 micro-batches with ``no_sync()`` and with
``require_backward_grad_sync = False`` (nanoGPT's form); a parameter used twice in forward;
tiny buckets (many all-reduces in flight) and ``gradient_as_bucket_view``.
"""

import copy
import sys

import numpy as np

import ember
import ember.distributed as dist
import ember.nn as nn
from ember.nn.parallel import DistributedDataParallel as DDP

TOL = 1e-12
STEPS = 20
B = 3  # samples per rank and micro-batch


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(5, 8)
        self.mid = nn.Linear(8, 8)  # applied twice: two gradient contributions per step
        self.out = nn.Linear(8, 2)

    def forward(self, x):
        h = ember.tanh(self.inp(x))
        h = ember.tanh(self.mid(h))
        h = ember.tanh(self.mid(h))
        return self.out(h)


def make_optimizer(name, params):
    if name == "sgd":
        return ember.optim.SGD(params, lr=0.1, momentum=0.9)
    return ember.optim.Adam(params, lr=0.01)


def run(opt_name, accumulate, how, ddp_kwargs):
    rank, world = dist.get_rank(), dist.get_world_size()
    ember.manual_seed(100 + rank)  # different weights on each rank before DDP
    model = Net().double()
    reference = copy.deepcopy(model)
    ddp = DDP(model, **ddp_kwargs)
    # rank 0's starting weights, for the one-process reference
    for p, q in zip(reference.parameters(), model.parameters()):
        with ember.no_grad():
            p.copy_(q)
    opt = make_optimizer(opt_name, ddp.parameters())
    ref_opt = make_optimizer(opt_name, reference.parameters())
    micro = 2 if accumulate else 1
    data = np.random.default_rng(7)
    for _ in range(STEPS):
        xs = data.standard_normal((micro, world * B, 5))
        ys = data.standard_normal((micro, world * B, 2))
        for k in range(micro):
            x = ember.tensor(xs[k, rank * B:(rank + 1) * B])
            y = ember.tensor(ys[k, rank * B:(rank + 1) * B])
            last = k == micro - 1
            if how == "no_sync" and not last:
                with ddp.no_sync():
                    loss = ((ddp(x) - y) ** 2).mean() / micro
                    loss.backward()
            else:
                if how == "flag":
                    ddp.require_backward_grad_sync = last
                loss = ((ddp(x) - y) ** 2).mean() / micro
                loss.backward()
            ref_loss = ((reference(ember.tensor(xs[k])) - ember.tensor(ys[k])) ** 2).mean()
            (ref_loss / micro).backward()
        opt.step()
        opt.zero_grad()
        ref_opt.step()
        ref_opt.zero_grad()
    worst = max(float((p - q).abs().max()) for p, q in zip(model.parameters(),
                                                            reference.parameters()))
    assert worst <= TOL, (opt_name, accumulate, how, ddp_kwargs, worst)
    # and every rank holds the same weights
    flat = np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])
    gathered = [ember.zeros(flat.shape, dtype=ember.float64) for _ in range(world)]
    dist.all_gather(gathered, ember.tensor(flat))
    for g in gathered:
        assert np.array_equal(g.numpy(), flat), "ranks disagree"
    return worst


def main():
    dist.init_process_group(backend="gloo")
    cases = [("sgd", False, "plain", {}),
             ("adam", False, "plain", {}),
             ("sgd", True, "no_sync", {}),
             ("adam", True, "no_sync", {}),
             ("adam", True, "flag", {}),
             ("sgd", False, "plain", {"bucket_cap_mb": 0.0002}),
             ("adam", True, "no_sync", {"bucket_cap_mb": 0.0002,
                                        "gradient_as_bucket_view": True})]
    for case in cases:
        worst = run(*case)
        if dist.get_rank() == 0:
            print("ok", case, f"max |ddp - one process| = {worst:.1e}", flush=True)
    dist.destroy_process_group()
    print("DONE", file=sys.stderr)


if __name__ == "__main__":
    main()
