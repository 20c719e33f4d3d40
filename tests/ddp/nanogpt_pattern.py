"""nanoGPT's distributed training loop (karpathy/nanoGPT train.py), written as a torch script
(``import ember as torch``), started by ember's torchrun-like launcher:

    python -m ember.distributed.run --nproc-per-node=2 tests/ddp/nanogpt_pattern.py

The lines that matter are nanoGPT's own: DDP is on when RANK is set; init_process_group(
backend=backend); RANK/LOCAL_RANK/WORLD_SIZE from the environment; the gradient-accumulation
steps divided by the world size; DDP(model, device_ids=[ddp_local_rank]); raw_model =
model.module; require_backward_grad_sync set per micro-step; GradScaler; clip_grad_norm_;
zero_grad(set_to_none=True); destroy_process_group().  The one change: nanoGPT always puts a
DDP rank on 'cuda:<local rank>'; here a machine without a GPU uses the CPU and, as torch
requires for CPU modules, DDP gets no device_ids.  The model ties its embedding and output
weights, as nanoGPT's does (one parameter, two uses in forward).
"""

import os
import sys
from contextlib import nullcontext

import numpy as np

import ember as torch
import ember.nn as nn
import ember.nn.functional as F
from ember.distributed import destroy_process_group, init_process_group
from ember.nn.parallel import DistributedDataParallel as DDP

backend = "gloo"
gradient_accumulation_steps = 4
batch_size, block_size, vocab, n_embd = 2, 8, 32, 16
max_iters = 6
grad_clip = 1.0
dtype = "float32"


class TinyGPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(vocab, n_embd)
        self.wpe = nn.Embedding(block_size, n_embd)
        self.ln = nn.LayerNorm(n_embd)
        self.mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.GELU(),
                                 nn.Linear(4 * n_embd, n_embd))
        self.lm_head = nn.Linear(n_embd, vocab, bias=False)
        self.wte.weight = self.lm_head.weight  # weight tying

    def forward(self, idx, targets=None):
        pos = torch.arange(idx.shape[1])
        x = self.wte(idx) + self.wpe(pos)
        x = x + self.mlp(self.ln(x))
        logits = self.lm_head(x)
        loss = F.cross_entropy(logits.view(-1, vocab), targets.view(-1))
        return logits, loss


ddp = int(os.environ.get("RANK", -1)) != -1  # is this a ddp run?
if ddp:
    init_process_group(backend=backend)
    ddp_rank = int(os.environ["RANK"])
    ddp_local_rank = int(os.environ["LOCAL_RANK"])
    ddp_world_size = int(os.environ["WORLD_SIZE"])
    device = f"cuda:{ddp_local_rank}" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda"):
        torch.cuda.set_device(device)
    master_process = ddp_rank == 0
    seed_offset = ddp_rank
    assert gradient_accumulation_steps % ddp_world_size == 0
    gradient_accumulation_steps //= ddp_world_size
else:
    master_process = True
    seed_offset = 0
    ddp_world_size = 1
    device = "cpu"
torch.manual_seed(1337 + seed_offset)
rng = np.random.default_rng(seed_offset)
data = np.random.default_rng(0).integers(0, vocab, size=2000)


def get_batch():
    ix = rng.integers(0, len(data) - block_size - 1, size=batch_size)
    x = torch.stack([torch.tensor(data[i:i + block_size]) for i in ix])
    y = torch.stack([torch.tensor(data[i + 1:i + 1 + block_size]) for i in ix])
    return x.to(device), y.to(device)


model = TinyGPT().to(device)
scaler = torch.cuda.amp.GradScaler(enabled=(dtype == "float16"))
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
if ddp:
    model = DDP(model, device_ids=[ddp_local_rank] if device.startswith("cuda") else None)
ctx = nullcontext()
raw_model = model.module if ddp else model

X, Y = get_batch()
losses = []
for iter_num in range(max_iters):  # noqa: B007 (nanoGPT logs iter_num)
    for micro_step in range(gradient_accumulation_steps):
        if ddp:
            model.require_backward_grad_sync = (micro_step == gradient_accumulation_steps - 1)
        with ctx:
            logits, loss = model(X, Y)
            loss = loss / gradient_accumulation_steps
        X, Y = get_batch()
        scaler.scale(loss).backward()
    if grad_clip != 0.0:
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    scaler.step(optimizer)
    scaler.update()
    optimizer.zero_grad(set_to_none=True)
    losses.append(loss.item() * gradient_accumulation_steps)

if ddp:  # every rank ends with the same weights
    import ember.distributed as dist

    flat = torch.cat([p.detach().flatten() for p in raw_model.parameters()])
    gathered = [torch.zeros_like(flat) for _ in range(ddp_world_size)]
    dist.all_gather(gathered, flat)
    assert all(torch.equal(g, gathered[0]) for g in gathered), "ranks disagree"
    assert raw_model.wte.weight is raw_model.lm_head.weight
    destroy_process_group()
if master_process:
    print(f"ok nanogpt_pattern ddp={ddp} world={ddp_world_size} losses "
          + " ".join(f"{v:.3f}" for v in losses), flush=True)
print("DONE", file=sys.stderr)
