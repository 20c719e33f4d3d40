"""Run under ``mpiexec -n N``: DistributedDataParallel's behaviour around the averaging, as
torch 2.13 shows it (see ../../shared wave2-facts §1.4), and DistributedSampler on real ranks.

Prints ``BUCKETS <sizes>`` (the bucket sizes of 3 x Linear(512, 512)) and ``SAMPLER <json>``
(every rank's indices) from rank 0 for the pytest side to compare with torch.
"""

import json
import sys
import warnings

import numpy as np

import ember
import ember.distributed as dist
import ember.nn as nn
from ember.nn.parallel import DistributedDataParallel as DDP
from ember.utils.data import DistributedSampler


def gather_numbers(values):
    """Every rank's list of numbers (all the same length), in rank order."""
    t = ember.tensor(np.asarray(values, dtype=np.float64))
    out = [ember.zeros_like(t) for _ in range(dist.get_world_size())]
    dist.all_gather(out, t)
    return [o.numpy().tolist() for o in out]


def check_state_dict_and_init():
    rank = dist.get_rank()
    ember.manual_seed(rank)  # each rank starts elsewhere
    model = nn.Linear(3, 2)
    ddp = DDP(model)
    assert list(ddp.state_dict()) == ["module.weight", "module.bias"], list(ddp.state_dict())
    assert ddp.module is model
    weights = gather_numbers(model.weight.detach().numpy().ravel())
    assert all(w == weights[0] for w in weights), "parameters not broadcast at construction"
    assert ddp.require_backward_grad_sync is True and ddp.require_forward_param_sync is True
    assert ddp.device_ids is None and ddp.output_device is None and ddp.dim == 0
    ddp2 = DDP(nn.Linear(3, 2), device_ids=[])  # CPU module: [] is None, as torch
    assert ddp2.device_ids is None
    for kwargs in ({"device_ids": [0]}, {"output_device": 0}, {"device_ids": [0, 1]}):
        try:
            DDP(nn.Linear(3, 2), **kwargs)
        except ValueError:
            pass
        else:
            raise AssertionError(f"DDP(cpu module, {kwargs}) should raise ValueError")
    # different models on different ranks: torch's error on every rank, not a hang
    for make in (lambda r: nn.Linear(3, 2, bias=r != 0), lambda r: nn.Linear(3, 2 + (r == 0))):
        try:
            DDP(make(rank))
        except RuntimeError as e:
            assert "DDP expects same model across all ranks" in str(e) or \
                "appears not to match" in str(e), str(e)
        else:
            raise AssertionError("DDP over different models should raise")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        DDP(nn.Linear(2, 2), broadcast_buffers=False, check_reduction=True)
    assert sorted(w.category.__name__ for w in caught) == ["FutureWarning"] * 2
    frozen = nn.Linear(2, 2).requires_grad_(False)
    try:
        DDP(frozen)
    except RuntimeError as e:
        assert "doesn't have any parameter that requires a gradient" in str(e)
    else:
        raise AssertionError("DDP of a frozen module should raise")


class WithBN(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 3)
        self.bn = nn.BatchNorm1d(3)

    def forward(self, x):
        return self.bn(self.lin(x))


def check_buffers(broadcast):
    rank = dist.get_rank()
    ember.manual_seed(0)
    model = WithBN()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # broadcast_buffers is deprecated
        ddp = DDP(model, broadcast_buffers=broadcast)
    seen = []
    model.register_forward_pre_hook(lambda m, args: seen.append(m.bn.running_mean.numpy().copy()))
    for _ in range(2):
        x = ember.randn(4, 3) + rank * 3  # each rank's batch differs
        ddp(x).sum().backward()
    at_step2 = gather_numbers(seen[1])
    after = gather_numbers(model.bn.running_mean.numpy())
    if broadcast:  # rank 0's buffers at each forward; each rank's own batch after it
        assert all(v == at_step2[0] for v in at_step2), at_step2
    else:
        assert at_step2[0] != at_step2[1]
    assert after[0] != after[1]


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(2, 2)
        self.b = nn.Linear(2, 2)

    def forward(self, x, use_b):
        return self.b(x) if use_b else self.a(x)


def check_unused_error():
    rank = dist.get_rank()
    ddp = DDP(TwoHeads())
    ddp(ember.ones(1, 2), False).sum().backward()  # b's weight and bias (2 and 3) get nothing
    try:
        ddp(ember.ones(1, 2), False)
    except RuntimeError as e:
        text = str(e)
        assert text.startswith("Expected to have finished reduction in the prior iteration "
                               "before starting a new one."), text
        assert "find_unused_parameters=True" in text
        assert f"Parameter indices which did not receive grad for rank {rank}: 2 3" in text, text
    else:
        raise AssertionError("an unused parameter should raise at the next iteration")


def check_find_unused():
    rank, world = dist.get_rank(), dist.get_world_size()
    ember.manual_seed(0)
    model = TwoHeads()
    ddp = DDP(model, find_unused_parameters=True)
    for _ in range(2):  # no error at the next iteration
        model.zero_grad(set_to_none=True)
        ddp(ember.ones(1, 2), False).sum().backward()
    assert model.b.weight.grad is None and model.b.bias.grad is None
    assert model.a.weight.grad is not None
    # b used on rank 0 only: its gradient is rank 0's divided by the world size, everywhere
    model.zero_grad(set_to_none=True)
    x = ember.full((1, 2), 2.0)
    ddp(x, rank == 0).sum().backward()
    assert model.b.weight.grad is not None, "a parameter used on another rank gets the average"
    assert np.allclose(model.b.weight.grad.numpy(), 2.0 / world)
    assert np.allclose(model.a.weight.grad.numpy(), 2.0 * (world - 1) / world)
    # nothing unused: torch's warning, once
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plain = DDP(nn.Linear(2, 2), find_unused_parameters=True)
        plain(ember.ones(1, 2)).sum().backward()
        plain(ember.ones(1, 2)).sum().backward()
    texts = [str(w.message) for w in caught if "did not find any unused" in str(w.message)]
    assert len(texts) == 1, texts


def check_no_sync_semantics():
    """Local gradients 1 and 2 (rank + 1): no_sync keeps them, the next synced backward
    averages the accumulated sums (torch: (1+1, 2+2) -> 3 for 2 ranks)."""
    rank, world = dist.get_rank(), dist.get_world_size()
    w = nn.Linear(1, 1, bias=False)
    ddp = DDP(w)
    with ember.no_grad():
        w.weight.fill_(0.0)
    x = ember.full((1, 1), float(rank + 1))
    with ddp.no_sync():
        ddp(x).sum().backward()
    assert w.weight.grad.item() == rank + 1
    ddp(x).sum().backward()
    expected = sum(2 * (r + 1) for r in range(world)) / world
    assert w.weight.grad.item() == expected, (w.weight.grad.item(), expected)
    assert ddp.require_backward_grad_sync is True  # restored after no_sync


def report_buckets():
    """Three Linear(512, 512): the first bucket closes past 1 MiB, the rest share one."""
    model = nn.Sequential(*[nn.Linear(512, 512) for _ in range(3)])
    ddp = DDP(model)
    return ddp._get_ddp_logging_data()["bucket_sizes"]


def report_sampler():
    dataset = list(range(23))
    out = {}
    for shuffle, drop_last in ((True, False), (False, False), (True, True)):
        sampler = DistributedSampler(dataset, shuffle=shuffle, seed=5, drop_last=drop_last)
        assert sampler.num_replicas == dist.get_world_size() and sampler.rank == dist.get_rank()
        for epoch in (0, 3):
            sampler.set_epoch(epoch)
            out[f"{shuffle}-{drop_last}-{epoch}"] = gather_numbers(list(sampler))
    return out


def main():
    dist.init_process_group(backend="gloo")
    check_state_dict_and_init()
    check_buffers(True)
    check_buffers(False)
    check_unused_error()
    check_find_unused()
    check_no_sync_semantics()
    buckets = report_buckets()
    sampler = report_sampler()
    if dist.get_rank() == 0:
        print("BUCKETS", buckets, flush=True)
        print("SAMPLER", json.dumps(sampler), flush=True)
        print("ok behaviour", flush=True)
    dist.destroy_process_group()
    print("DONE", file=sys.stderr)


if __name__ == "__main__":
    main()
