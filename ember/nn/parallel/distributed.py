"""DistributedDataParallel: one copy of the model per process, gradients averaged over the group.

Each process (rank) runs the same script on its own share of the data.  The wrapper keeps the
copies equal:

1. Construction: every parameter and buffer is broadcast from rank 0, so ranks that initialised
   their weights differently start alike.  The parameters are then grouped into *buckets*
   (``bucket_assignment``): walking them in reverse order (the order backward tends to produce
   their gradients), a bucket is closed as soon as it holds ``first_bucket_bytes`` (1 MiB) for
   the first one, ``bucket_cap_mb`` (25 MiB) for the rest; each dtype has its own buckets.
2. Forward: the buffers (BatchNorm's running statistics) are broadcast from rank 0 again, the
   module runs, and the reducer reads the autograd graph below the outputs: how many gradient
   contributions each parameter will receive (a parameter used twice gets two; one not used
   gets none).
3. Backward: a hook after each parameter's gradient accumulation counts its contributions down.
   When a bucket's parameters are all complete, their gradients are copied into the bucket's
   flat buffer, divided by the world size and all-reduced (sum) *without waiting*, so the
   communication runs while backward goes on.  Buckets are launched in bucket order, which is
   the same on every rank: MPI needs every rank to start its collectives in the same order.
4. End of backward (an ``autograd.engine.queue_callback``): wait for every bucket and copy the
   averaged gradients back into ``.grad``.

``no_sync()`` (or ``require_backward_grad_sync = False``, as nanoGPT writes it) leaves the
gradients local, so they accumulate; the next synchronised backward averages the sums.
"""

import functools
import warnings
from contextlib import contextmanager

from ... import _device, _dtype, _tensor
from ... import distributed as dist
from ..._device import array_module_of
from ...autograd import engine as _engine
from ...autograd.grad_mode import is_grad_enabled
from ..modules.module import Module

__all__ = ["DistributedDataParallel", "bucket_assignment"]

_MiB = 1024 * 1024
FIRST_BUCKET_BYTES = 1 * _MiB  # torch.distributed._DEFAULT_FIRST_BUCKET_BYTES
DEFAULT_BUCKET_CAP_MB = 25

_UNUSED_ERROR = (
    "Expected to have finished reduction in the prior iteration before starting a new one. "
    "This error indicates that your module has parameters that were not used in producing "
    "loss. You can enable unused parameter detection by passing the keyword argument "
    "`find_unused_parameters=True` to `torch.nn.parallel.DistributedDataParallel`, and by \n"
    "making sure all `forward` function outputs participate in calculating loss. \n"
    "If you already have done the above, then the distributed data parallel module wasn't able "
    "to locate the output tensors in the return value of your module's `forward` function. "
    "Please include the loss function and the structure of the return value of `forward` of "
    "your module when reporting this issue (e.g. list, dict, iterable).\n"
    "Parameter indices which did not receive grad for rank {rank}: {indices}\n"
    " In addition, you can set the environment variable TORCH_DISTRIBUTED_DEBUG to either INFO "
    "or DETAIL to print out information about which particular parameters did not receive "
    "gradient on this rank as part of this error")

_NOTHING_UNUSED_WARNING = (
    "find_unused_parameters=True was specified in DDP constructor, but did not find any unused "
    "parameters in the forward pass. This flag results in an extra traversal of the autograd "
    "graph every iteration,  which can adversely affect performance. If your model indeed never "
    "has any unused parameters in the forward pass, consider turning this flag off. Note that "
    "this warning may be a false positive if your model has flow control causing later "
    "iterations to have unused parameters.")


def bucket_assignment(params, bucket_cap_bytes=DEFAULT_BUCKET_CAP_MB * _MiB,
                      first_bucket_bytes=FIRST_BUCKET_BYTES):
    """Group ``params`` into buckets: a list of lists of indices into ``params``.

    The parameters are walked from the last to the first.  Each dtype (and device) fills its
    own open bucket; a bucket closes once its bytes reach the limit, which is
    ``first_bucket_bytes`` for that dtype's first bucket and ``bucket_cap_bytes`` afterwards.
    The buckets come out ordered by the position of their first parameter in the walk, so the
    first bucket holds the last parameters: the gradients backward produces first.
    """
    buckets = []  # (position in the walk of the first member, [indices])
    open_buckets = {}  # (dtype, device) -> [first position, indices, bytes]
    closed_count = {}  # (dtype, device) -> how many buckets that key has closed
    for position, i in enumerate(reversed(range(len(params)))):
        p = params[i]
        key = (p.dtype, p.device)
        bucket = open_buckets.get(key)
        if bucket is None:
            bucket = open_buckets[key] = [position, [], 0]
        bucket[1].append(i)
        bucket[2] += p.numel() * p.element_size()
        limit = first_bucket_bytes if closed_count.get(key, 0) == 0 else bucket_cap_bytes
        if bucket[2] >= limit:
            buckets.append((bucket[0], bucket[1]))
            closed_count[key] = closed_count.get(key, 0) + 1
            del open_buckets[key]
    for first, indices, _ in open_buckets.values():
        buckets.append((first, indices))
    buckets.sort(key=lambda b: b[0])
    return [indices for _, indices in buckets]


def _output_tensors(value, found):
    """Every tensor in a forward's output (tensors, lists, tuples, dicts, dataclass-likes)."""
    if isinstance(value, _tensor.Tensor):
        found.append(value)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _output_tensors(v, found)
    elif isinstance(value, dict):
        for v in value.values():
            _output_tensors(v, found)
    return found


def _count_leaf_uses(outputs):
    """{id(leaf): how many gradient contributions it gets} over the graph below ``outputs``.

    The engine delivers one gradient per edge into a leaf (and runs its post-accumulate hooks
    each time), so a parameter used twice in forward completes after its second delivery."""
    uses = {}
    seen = set()
    stack = []
    for t in outputs:
        if t.grad_fn is not None:
            stack.append(t.grad_fn)
        elif t._requires_grad:  # the output is a parameter itself
            uses[id(t)] = uses.get(id(t), 0) + 1
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for target, nr, _, _ in node._edges:
            if target is None:
                continue
            if nr < 0:  # a leaf
                uses[id(target)] = uses.get(id(target), 0) + 1
            elif id(target) not in seen:
                stack.append(target)
    return uses


class _Bucket:
    """A flat buffer holding the gradients of some parameters of one dtype, all-reduced at once."""

    def __init__(self, indices, params):
        self.indices = indices
        self.offsets = []
        total = 0
        for i in indices:
            self.offsets.append(total)
            total += params[i].numel()
        first = params[indices[0]]
        xp = array_module_of(first._data)
        self.buffer = xp.zeros(total, dtype=first._data.dtype)
        self.tensor = _tensor.Tensor._make(self.buffer, first.device)
        self.bytes = total * first.element_size()
        self.pending = len(indices)  # parameters whose gradient is not complete yet
        self.work = None  # the all-reduce in flight

    def view(self, position, shape):
        """The part of the buffer that belongs to the parameter at ``position``, shaped."""
        start = self.offsets[position]
        size = 1
        for s in shape:
            size *= s
        return self.buffer[start:start + size].reshape(shape)


class DistributedDataParallel(Module):
    """``DistributedDataParallel(module, device_ids=None, output_device=None, dim=0,
    broadcast_buffers=None, init_sync=True, process_group=None, bucket_cap_mb=None,
    find_unused_parameters=False, ...)``: data parallel training over the ranks of a process
    group (``ember.distributed.init_process_group`` first).

    Args:
        module: the model; kept as ``.module`` (so ``state_dict`` keys start with ``module.``)
        device_ids, output_device: for a CPU module None (torch's rule), or one device for a
            module on one GPU; ember checks and keeps them (``dim`` too)
        broadcast_buffers: broadcast the buffers from rank 0 before each forward (None: True;
            deprecated in torch 2.13 for ``forward_sync_buffers``, which wins when given)
        init_sync: broadcast parameters and buffers from rank 0 now (default True)
        process_group: the group to average over (None: the default group)
        bucket_cap_mb: bucket size in MiB (None: 25, and a first bucket of 1 MiB)
        find_unused_parameters: allow parameters that get no gradient in an iteration (their
            ``.grad`` stays None where no rank used them); False raises torch's error at the
            next iteration instead
        gradient_as_bucket_view: ``.grad`` becomes a view into the bucket after each reduction
            (no copy back; the values are the same)
        static_graph, check_reduction, batched_grad_copy: accepted; they change no value here
        delay_all_reduce_named_params, param_to_hook_all_reduce, mixed_precision, device_mesh,
        skip_all_reduce_unused_params, bucket_cap_mb_list: not supported (NotImplementedError
        unless left at their defaults)
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=None, init_sync=True, process_group=None, bucket_cap_mb=None,
                 find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False,
                 delay_all_reduce_named_params=None, param_to_hook_all_reduce=None,
                 mixed_precision=None, device_mesh=None, skip_all_reduce_unused_params=False,
                 bucket_cap_mb_list=None, batched_grad_copy=False, forward_sync_buffers=None):
        super().__init__()
        unsupported = {"delay_all_reduce_named_params": delay_all_reduce_named_params,
                       "param_to_hook_all_reduce": param_to_hook_all_reduce,
                       "mixed_precision": mixed_precision, "device_mesh": device_mesh,
                       "bucket_cap_mb_list": bucket_cap_mb_list,
                       "skip_all_reduce_unused_params": skip_all_reduce_unused_params or None}
        for name, value in unsupported.items():
            if value is not None:
                raise NotImplementedError(f"DistributedDataParallel({name}=...) is not "
                                          f"supported by ember; leave it at its default")
        if any(p.requires_grad for p in module.parameters()) is False:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't "
                               "have any parameter that requires a gradient.")
        self.device_ids, self.output_device = self._check_devices(module, device_ids,
                                                                  output_device)
        self.module = module
        self.dim = dim
        self.process_group = process_group
        if check_reduction:  # a no-op in torch too, since its reducer always checks
            warnings.warn("The `check_reduction` argument in `DistributedDataParallel` module "
                          "is deprecated. Please avoid using it.", FutureWarning, stacklevel=2)
        self.static_graph = static_graph
        self.batched_grad_copy = batched_grad_copy  # how torch copies; same values
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        if broadcast_buffers is not None:  # torch 2.13's deprecation, word for word
            warnings.warn(
                "Both `broadcast_buffers` and `forward_sync_buffers` were specified. "
                "`broadcast_buffers` is deprecated and its value is ignored when "
                "`forward_sync_buffers` is provided." if forward_sync_buffers is not None else
                "`broadcast_buffers` is deprecated. Use `forward_sync_buffers` instead. "
                "IMPORTANT: unlike `broadcast_buffers=False`, `forward_sync_buffers=False` still "
                "syncs buffers at init. If you rely on buffers NOT being synced at init (e.g. "
                "rank-local buffers), keep using `broadcast_buffers=False` until "
                "`init_sync_buffers` is available.", FutureWarning, stacklevel=2)
        if forward_sync_buffers is not None:
            self.forward_sync_buffers = forward_sync_buffers
            init_sync_buffers = True
        else:  # the old flag also decides whether buffers are broadcast at construction
            self.forward_sync_buffers = True if broadcast_buffers is None else broadcast_buffers
            init_sync_buffers = self.forward_sync_buffers
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        if bucket_cap_mb is None:
            self.bucket_bytes_cap = DEFAULT_BUCKET_CAP_MB * _MiB
            first_cap = FIRST_BUCKET_BYTES
        else:  # torch: an explicit cap applies to the first bucket too
            self.bucket_bytes_cap = int(bucket_cap_mb * _MiB)
            first_cap = self.bucket_bytes_cap
        self._world_size = dist.get_world_size(process_group)
        self._rank = dist.get_rank(process_group)

        self._module_buffers = [b for b in module.buffers() if b is not None]
        if init_sync:
            self._check_same_model(list(module.parameters()))
            self._broadcast_coalesced(list(module.parameters())
                                      + (self._module_buffers if init_sync_buffers else []))

        self._params = [p for p in module.parameters() if p.requires_grad]
        self._buckets = [_Bucket(indices, self._params)
                         for indices in bucket_assignment(self._params, self.bucket_bytes_cap,
                                                          first_cap)]
        self._where = [None] * len(self._params)  # parameter index -> (bucket, position)
        for bucket in self._buckets:
            for position, i in enumerate(bucket.indices):
                self._where[i] = (bucket, position)
        self._hook_handles = [
            p.register_post_accumulate_grad_hook(functools.partial(self._grad_accumulated, i))
            for i, p in enumerate(self._params)]
        # the state of one synchronised backward (see _prepare_for_backward)
        self._expect_hooks = False
        self._started = False
        self._uses_left = [0] * len(self._params)
        self._got_grad = [False] * len(self._params)
        self._ready = [False] * len(self._params)
        self._unused = []
        self._next_bucket = 0
        self._in_flight = []  # the all-reduces started and not seen complete yet
        self._unfinished = None  # indices that got no gradient in the last synced backward
        self._warned_nothing_unused = False

    @staticmethod
    def _check_devices(module, device_ids, output_device):
        """torch's rule: a CPU module takes device_ids None (or []) and output_device None; a
        module on one GPU may name that one device.  Returns (device_ids, output_device) as
        torch keeps them."""
        devices = {p.device for p in module.parameters()}
        on_cpu = all(d.type == "cpu" for d in devices)
        if device_ids is not None and len(device_ids) > 1:
            raise ValueError("device_ids can only be None or contain a single element.")
        if on_cpu or len(devices) > 1:
            if device_ids or output_device is not None:
                raise ValueError(
                    "DistributedDataParallel device_ids and output_device arguments only work "
                    "with single-device/multiple-device GPU modules or CPU modules, but got "
                    f"device_ids {device_ids}, output_device {output_device}, and module "
                    f"parameters {devices}.")
            return None, None
        if not device_ids:
            return None, None
        index = [d if isinstance(d, int) else (_device.device(d).index or 0) for d in device_ids]
        return index, index[0] if output_device is None else output_device

    # ---------------------------------------------------------------- broadcasting state

    @property
    def broadcast_buffers(self):
        """The old name of ``forward_sync_buffers``."""
        return self.forward_sync_buffers

    @broadcast_buffers.setter
    def broadcast_buffers(self, value):
        self.forward_sync_buffers = value

    def _check_same_model(self, params):
        """Every rank must hold the same parameters (count, then sizes), else torch's error
        rather than collectives of different lengths."""
        if self._world_size == 1:
            return
        from ...ops.creation import tensor, zeros

        device = params[0].device if params else None  # a "nccl" group needs CUDA tensors
        counts = [zeros(1, dtype=_dtype.int64, device=device) for _ in range(self._world_size)]
        dist.all_gather(counts, tensor([len(params)], device=device), group=self.process_group)
        counts = [int(c.item()) for c in counts]
        for r, n in enumerate(counts):
            if n != counts[self._rank]:
                raise RuntimeError(
                    f"DDP expects same model across all ranks, but Rank {self._rank} has "
                    f"{counts[self._rank]} params, while rank {r} has inconsistent {n} params.")
        sizes = tensor([[p.numel(), p.ndim] for p in params], dtype=_dtype.int64,
                       device=device).reshape(-1)
        every = [zeros(sizes.shape, dtype=_dtype.int64, device=device)
                 for _ in range(self._world_size)]
        dist.all_gather(every, sizes, group=self.process_group)
        for r, other in enumerate(every):
            different = (other != sizes).nonzero()
            if len(different):
                i = int(different[0]) // 2
                raise RuntimeError(
                    f"DistributedDataParallel: params[{i}] in this process (rank {self._rank}) "
                    f"with sizes {list(params[i].shape)} appears not to match the sizes of the "
                    f"same param in rank {r}: every rank must build the same model.")

    def _broadcast_coalesced(self, tensors):
        """Broadcast ``tensors`` from rank 0 in place: one flat buffer per dtype, one call each."""
        if self._world_size == 1:
            return
        groups = {}
        for t in tensors:
            groups.setdefault((t.dtype, t.device), []).append(t)
        for members in groups.values():
            xp = array_module_of(members[0]._data)
            flat = xp.concatenate([t._data.reshape(-1) for t in members])
            flat_tensor = _tensor.Tensor._make(flat, members[0].device)
            dist.broadcast(flat_tensor, 0, group=self.process_group)
            flat = flat_tensor._data
            start = 0
            for t in members:
                n = t._data.size
                t._data[...] = flat[start:start + n].reshape(t._data.shape)
                start += n

    def _sync_buffers(self):
        self._broadcast_coalesced(self._module_buffers)

    def will_sync_module_buffers(self):
        """True when the next forward broadcasts the buffers from rank 0."""
        return (self.require_forward_param_sync and self.forward_sync_buffers
                and len(self._module_buffers) > 0)

    # ---------------------------------------------------------------- forward

    def forward(self, *inputs, **kwargs):
        """Run the module; with gradient sync on, prepare the gradient reduction of the next
        backward from the graph below the outputs."""
        sync = is_grad_enabled() and self.require_backward_grad_sync
        if sync:
            self._check_prior_reduction()
        if self.will_sync_module_buffers() and self._world_size > 1:
            self._sync_buffers()
        output = self.module(*inputs, **kwargs)
        if sync:
            self.require_forward_param_sync = True
            self._prepare_for_backward(output)
        else:
            self.require_forward_param_sync = False
            self._expect_hooks = False
        return output

    def _check_prior_reduction(self):
        if self._unfinished is not None:
            indices = " ".join(str(i) for i in self._unfinished)
            self._unfinished = None
            raise RuntimeError(_UNUSED_ERROR.format(rank=self._rank, indices=indices))

    def _prepare_for_backward(self, output):
        uses = _count_leaf_uses(_output_tensors(output, []))
        self._uses_left = [uses.get(id(p), 0) for p in self._params]
        self._got_grad = [False] * len(self._params)
        self._ready = [False] * len(self._params)
        self._unused = [i for i, n in enumerate(self._uses_left) if n == 0]
        if self.find_unused_parameters and not self._unused and \
                not self._warned_nothing_unused:
            self._warned_nothing_unused = True
            warnings.warn(_NOTHING_UNUSED_WARNING, UserWarning, stacklevel=3)
        for bucket in self._buckets:
            bucket.pending = len(bucket.indices)
            bucket.work = None
        self._next_bucket = 0
        self._in_flight = []
        self._started = False
        self._expect_hooks = True

    # ---------------------------------------------------------------- backward

    def _grad_accumulated(self, index, param):
        """The post-accumulate-grad hook of parameter ``index``."""
        if not self._expect_hooks:
            return  # no_sync, or a backward that this forward did not prepare
        if not self._started:
            self._started = True
            _engine.queue_callback(self._finish_backward)
            if self.find_unused_parameters:
                for i in self._unused:  # nothing will come for them: ready now, as zeros
                    self._mark_ready(i)
        if self._in_flight:
            self._poke()
        self._got_grad[index] = True
        left = self._uses_left[index] - 1
        self._uses_left[index] = left
        if left == 0:  # its last contribution is in .grad
            self._mark_ready(index)

    def _mark_ready(self, index):
        self._ready[index] = True
        bucket, _ = self._where[index]
        bucket.pending -= 1
        if bucket.pending == 0:
            self._launch_ready_buckets()

    def _launch_ready_buckets(self):
        """Start the all-reduce of every complete bucket, in bucket order."""
        while self._next_bucket < len(self._buckets):
            bucket = self._buckets[self._next_bucket]
            if bucket.pending > 0:
                return
            self._launch(bucket)
            self._next_bucket += 1

    def _launch(self, bucket):
        """Copy the bucket's gradients in, divided by the world size, and all-reduce (sum)
        without waiting: the average arrives while backward goes on."""
        scale = 1.0 / self._world_size
        for position, i in enumerate(bucket.indices):
            p = self._params[i]
            part = bucket.view(position, p._data.shape)
            grad = p._grad
            if grad is None or not self._got_grad[i]:
                part[...] = 0  # unused here: contributes nothing
            elif grad._data.base is bucket.buffer:  # gradient_as_bucket_view: already there
                part *= scale
            else:
                part[...] = grad._data
                part *= scale
        bucket.work = dist.all_reduce(bucket.tensor, op=dist.ReduceOp.SUM,
                                      group=self.process_group, async_op=True)
        self._in_flight.append(bucket.work)

    def _poke(self):
        """Let the all-reduces in flight move on.  MPI without a progress thread advances a
        non-blocking collective only inside MPI calls; asking whether one has completed is
        such a call, cheap, made from each gradient hook while backward computes."""
        still = []
        for work in self._in_flight:
            is_completed = getattr(work, "is_completed", None)
            if is_completed is None or not is_completed():
                still.append(work)
        self._in_flight = still

    def _finish_backward(self):
        """End of backward: wait for every bucket, put the averages into ``.grad``."""
        self._expect_hooks = False
        self._in_flight = []
        missing = []
        for i, ready in enumerate(self._ready):
            if not ready:
                if self._got_grad[i]:  # some of its paths gave no gradient: it is complete
                    self._uses_left[i] = 0
                    self._mark_ready(i)
                else:  # unused (find_unused_parameters marked those ready already)
                    missing.append(i)
        if missing:
            # torch's reducer raises at the next iteration; wait for what was sent so that
            # no request is left in flight
            for bucket in self._buckets:
                if bucket.work is not None:
                    bucket.work.wait()
                    bucket.work = None
            self._unfinished = missing
            return
        self._launch_ready_buckets()
        used_anywhere = None
        if self.find_unused_parameters:
            used_anywhere = self._used_anywhere()
        for bucket in self._buckets:
            bucket.work.wait()
            bucket.work = None
            self._copy_back(bucket, used_anywhere)

    def _used_anywhere(self):
        """Which parameters got a gradient on some rank (one all-reduce of a flag per one)."""
        xp = array_module_of(self._buckets[0].buffer)
        flags = xp.array(self._got_grad, dtype=xp.int32)
        flags_tensor = _tensor.Tensor._make(flags, self._params[0].device)
        dist.all_reduce(flags_tensor, op=dist.ReduceOp.MAX, group=self.process_group)
        return flags_tensor._data > 0

    def _copy_back(self, bucket, used_anywhere):
        for position, i in enumerate(bucket.indices):
            p = self._params[i]
            if used_anywhere is not None and not used_anywhere[i]:
                continue  # no rank used it: its .grad is left as it is (None)
            part = bucket.view(position, p._data.shape)
            grad = p._grad
            if self.gradient_as_bucket_view:
                if grad is None or grad._data.base is not bucket.buffer:
                    p._grad = _tensor.Tensor._make(part, p.device)
            elif grad is None:
                p._grad = _tensor.Tensor._make(part.copy(), p.device)
            else:
                grad._data[...] = part

    # ---------------------------------------------------------------- public helpers

    @contextmanager
    def no_sync(self):
        """Inside, backward leaves the gradients local (they accumulate); the first synchronised
        backward after it averages the accumulated sums."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def register_comm_hook(self, state, hook):
        """Not in ember: DDP's all-reduce of each bucket is fixed (sum, divided by the world
        size)."""
        raise NotImplementedError(
            f"DistributedDataParallel.register_comm_hook(state={type(state).__name__}, "
            f"hook={getattr(hook, '__name__', hook)!r}) is not supported by ember: its buckets "
            f"are always averaged with one all_reduce each")

    def join(self, divide_by_initial_world_size=True, enable=True,
             throw_on_early_termination=False):
        """Not in ember: uneven inputs across ranks (torch's Join) are not supported."""
        raise NotImplementedError(
            "DistributedDataParallel.join(divide_by_initial_world_size="
            f"{divide_by_initial_world_size}, enable={enable}, throw_on_early_termination="
            f"{throw_on_early_termination}) is not supported by ember: give every rank the same "
            "number of batches (DistributedSampler does)")

    def _get_ddp_logging_data(self):
        """Some of torch's logging keys: the bucket sizes in bytes (as a comma-separated
        string, reverse parameter order first), the cap, the flags, the world size."""
        sizes = ", ".join(str(b.bytes) for b in self._buckets)
        return {"bucket_sizes": sizes, "rebuilt_bucket_sizes": sizes,
                "bucket_cap_bytes": self.bucket_bytes_cap,
                "find_unused_parameters": int(self.find_unused_parameters),
                "gradient_as_bucket_view": int(self.gradient_as_bucket_view),
                "world_size": self._world_size, "rank": self._rank,
                "backend_name": dist.get_backend(self.process_group)}
