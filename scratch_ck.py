import ember as torch, warnings
from ember.utils.checkpoint import checkpoint, checkpoint_sequential
a = torch.randn(3, requires_grad=True)
for r in (True, False):
    o = checkpoint(lambda t: t.sin(), a, use_reentrant=r); o.sum().backward(); print(a.grad, a.cos()); a.grad=None
    try: o.sum().backward(); print("ok twice")
    except Exception as e: print(type(e).__name__, str(e)[:100])
x = torch.randn(3)
lin = torch.nn.Linear(3,3)
o = checkpoint(lin, x, use_reentrant=False); print(o.requires_grad, o.grad_fn)
o.sum().backward(); print(lin.weight.grad)
o = checkpoint(lambda t: t.sin(), a, use_reentrant=True)
try: torch.autograd.grad(o.sum(), a)
except Exception as e: print(type(e).__name__, e)
o = checkpoint(lambda t: t.sin(), a, use_reentrant=False)
print(torch.autograd.grad(o.sum(), a), a.cos())
b = a * 2
o = checkpoint(lambda t: (t * b).sin(), a, use_reentrant=False)
print(torch.autograd.grad(o.sum(), a))
print(torch.autograd.grad(((a*(a*2)).sin()).sum(), a))
d = torch.nn.Dropout(0.5)
torch.manual_seed(0)
o = checkpoint(lambda t: d(t*3), a, use_reentrant=False); g1 = torch.autograd.grad(o.sum(), a, create_graph=True); print(o, g1)
seq = torch.nn.Sequential(*[torch.nn.Linear(3,3) for _ in range(4)])
o = checkpoint_sequential(seq, 2, torch.ones(2,3), use_reentrant=False); o.sum().backward(); print(seq[0].weight.grad)
