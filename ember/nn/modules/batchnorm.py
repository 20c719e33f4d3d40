"""BatchNorm1d/2d/3d with running statistics (and _NormBase, shared with InstanceNorm), their
lazy forms (LazyBatchNorm*, num_features read from the first input) and SyncBatchNorm."""

from ... import _dtype as D
from ... import _tensor
from ..._device import array_module_of
from ...autograd.function import Function
from ...autograd.grad_mode import no_grad
from ...ops.creation import empty, ones, tensor, zeros
from .. import functional as F
from .. import init
from ..parameter import Parameter, UninitializedBuffer, UninitializedParameter
from .lazy import LazyModuleMixin
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LazyBatchNorm1d", "LazyBatchNorm2d",
           "LazyBatchNorm3d", "SyncBatchNorm"]


class _NormBase(Module):
    """Per-channel weight and bias, and the running_mean / running_var / num_batches_tracked
    buffers (registered as None when track_running_stats=False), in torch's state_dict order."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, bias=True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(empty(num_features, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(empty(num_features, device=device, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, device=device, dtype=dtype))
            self.register_buffer("running_var", ones(num_features, device=device, dtype=dtype))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=D.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        """running_mean = 0, running_var = 1, num_batches_tracked = 0."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        """Running statistics reset, weight = 1, bias = 0."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input):
        raise NotImplementedError

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    def forward(self, input):
        self._check_input_dim(input)
        # momentum None: a cumulative moving average, factor 1 / (batches seen so far)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked.item())
        # batch statistics when training, or when there are no running ones to use
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over (N, C) or (N, C, L) inputs, per channel C:
    y = (x - mean) / sqrt(var + eps) * weight + bias.

    Training uses the batch's mean and biased variance and updates
    running = (1 - momentum) * running + momentum * batch (the unbiased variance for
    running_var; momentum=None averages all batches equally); eval uses the running statistics.

    Args:
        num_features: channels C
        eps: added to the variance (default 1e-5)
        momentum: running-average factor (default 0.1; None for a cumulative average)
        affine: learn weight (ones) and bias (zeros) (default True)
        track_running_stats: keep running statistics (default True); without them the batch
            statistics are used in eval mode too
        bias: learn the bias when affine (keyword-only, default True)

    Shape: input (N, C) or (N, C, L) -> output of the same shape.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype,
                         bias)

    def _check_input_dim(self, input):
        if input.ndim not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.ndim}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) inputs per channel C; see BatchNorm1d for the maths
    and the arguments.

    Shape: input (N, C, H, W) -> output of the same shape.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype,
                         bias)

    def _check_input_dim(self, input):
        if input.ndim != 4:
            raise ValueError(f"expected 4D input (got {input.ndim}D input)")


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of (N, C, D, H, W) inputs per channel C; see BatchNorm1d for the
    maths and the arguments.

    Shape: input (N, C, D, H, W) -> output of the same shape.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype,
                         bias)

    def _check_input_dim(self, input):
        if input.ndim != 5:
            raise ValueError(f"expected 5D input (got {input.ndim}D input)")


class _LazyNormBase(LazyModuleMixin):
    """num_features = input.shape[1] on the first call (torch reads dim 1 for every lazy norm,
    unbatched inputs too); until then num_features is 0 and weight, bias, running_mean and
    running_var are uninitialized."""

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        # built with no affine parameters and no statistics, then given uninitialized ones
        super().__init__(0, eps, momentum, False, False, device, dtype)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = tensor(0, dtype=D.int64, device=device)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if not self.has_uninitialized_params():
            return
        self.num_features = input.shape[1]
        for name in ("weight", "bias", "running_mean", "running_var"):
            value = getattr(self, name)
            if value is not None:
                value.materialize((self.num_features,))
        self.reset_parameters()

    def _sizes_from_parameters(self):
        for value in (self.weight, self.running_mean):
            if value is not None:
                self.num_features = value.shape[0]


class LazyBatchNorm1d(_LazyNormBase, _BatchNorm):
    """A BatchNorm1d whose num_features is read from the first input (then it becomes a
    BatchNorm1d).  Args: as BatchNorm1d without num_features."""

    cls_to_become = BatchNorm1d
    _check_input_dim = BatchNorm1d._check_input_dim


class LazyBatchNorm2d(_LazyNormBase, _BatchNorm):
    """A BatchNorm2d whose num_features is read from the first input."""

    cls_to_become = BatchNorm2d
    _check_input_dim = BatchNorm2d._check_input_dim


class LazyBatchNorm3d(_LazyNormBase, _BatchNorm):
    """A BatchNorm3d whose num_features is read from the first input."""

    cls_to_become = BatchNorm3d
    _check_input_dim = BatchNorm3d._check_input_dim


class _SyncBatchNormFunction(Function):
    """Batch normalisation in training with the statistics of every rank of a process group.

    forward: each rank computes, per channel, its element count n_r, mean m_r and sum of
    squared deviations M2_r; one all_gather shares them, and every rank combines them the same
    way (Chan et al.'s pairwise rule, which keeps the precision of the two-pass variance):
        n = sum n_r,  mean = sum n_r m_r / n,  M2 = sum (M2_r + n_r (m_r - mean)^2),
        var = M2 / n (normalises),  M2 / (n - 1) (into running_var, as BatchNorm).
    Then y = (x - mean) / sqrt(var + eps) * weight + bias.

    backward: with xmu = x - mean and invstd = 1 / sqrt(var + eps), the input gradient needs
    the sums of dy and of dy * xmu over the *whole* batch, so each rank adds up its own and
    one all_reduce makes them global:
        dx = (dy - sum_dy / n - xmu * invstd^2 * sum_dy_xmu / n) * invstd * weight.
    The weight and bias gradients stay local (sum dy * xmu * invstd, sum dy), as torch's do:
    DistributedDataParallel averages them with the other parameters.
    """

    @staticmethod
    def forward(ctx, input, weight, bias, running_mean, running_var, eps, momentum,
                process_group, world_size):
        from ... import distributed as dist

        x = input._data
        xp = array_module_of(x)
        acc = x.dtype if x.dtype.itemsize >= 4 else xp.float32  # 16-bit floats sum in float32
        channels = x.shape[1]
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, channels) + (1,) * (x.ndim - 2)
        count = x.size // channels if channels else 0
        local = xp.zeros(1 + 2 * channels, dtype=acc)  # [n_r, m_r per channel, M2_r per channel]
        if count > 0:
            mean_r = x.mean(axis=axes, dtype=acc)
            local[0] = count
            local[1:1 + channels] = mean_r
            local[1 + channels:] = ((x - mean_r.reshape(shape)) ** 2).sum(axis=axes, dtype=acc)
        gathered = [_tensor.Tensor._make(xp.empty_like(local), input.device)
                    for _ in range(world_size)]
        dist.all_gather(gathered, _tensor.Tensor._make(local, input.device),
                        group=process_group)
        stats = xp.stack([g._data for g in gathered])
        counts = stats[:, :1]
        n = counts.sum()
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got "
                             f"{int(n)} values over the {world_size} ranks of the group")
        mean = (counts * stats[:, 1:1 + channels]).sum(axis=0) / n
        m2 = (stats[:, 1 + channels:] + counts * (stats[:, 1:1 + channels] - mean) ** 2).sum(
            axis=0)
        invstd = 1.0 / xp.sqrt(m2 / n + eps)
        if running_mean is not None:
            rm, rv = running_mean._data, running_var._data
            rm[...] = (1 - momentum) * rm + momentum * mean.astype(rm.dtype)
            rv[...] = (1 - momentum) * rv + momentum * (m2 / (n - 1)).astype(rv.dtype)
        xhat = (x - mean.reshape(shape)) * invstd.reshape(shape)
        y = xhat
        if weight is not None:
            y = y * weight._data.reshape(shape)
        if bias is not None:
            y = y + bias._data.reshape(shape)
        ctx.save_for_backward(input, weight)
        ctx.stats = (mean, invstd, n, shape, axes)
        ctx.process_group = process_group
        return _tensor.Tensor._make(y.astype(x.dtype, copy=False), input.device)

    @staticmethod
    def backward(ctx, grad):
        from ... import distributed as dist

        input, weight = ctx.saved_tensors
        mean, invstd, n, shape, axes = ctx.stats
        x, dy = input._data, grad._data
        xp = array_module_of(x)
        channels = x.shape[1]
        acc = mean.dtype
        xmu = x - mean.reshape(shape)
        sums = xp.empty(2 * channels, dtype=acc)
        sums[:channels] = dy.sum(axis=axes, dtype=acc)
        sums[channels:] = (dy * xmu).sum(axis=axes, dtype=acc)
        grad_weight = grad_bias = None
        if weight is not None and ctx.needs_input_grad[1]:
            grad_weight = _tensor.Tensor._make((sums[channels:] * invstd).astype(
                weight._data.dtype), weight.device)
        if ctx.needs_input_grad[2]:
            grad_bias = _tensor.Tensor._make(sums[:channels].astype(x.dtype), input.device)
        # every rank joins the all_reduce, needed or not, so that none waits for another
        sums_tensor = _tensor.Tensor._make(sums, input.device)
        dist.all_reduce(sums_tensor, group=ctx.process_group)
        total = sums_tensor._data
        grad_input = None
        if ctx.needs_input_grad[0]:
            mean_dy = (total[:channels] / n).reshape(shape)
            mean_dy_xmu = (total[channels:] / n).reshape(shape)
            scale = invstd.reshape(shape)
            if weight is not None:
                scale = scale * weight._data.reshape(shape)
            gx = (dy - mean_dy - xmu * invstd.reshape(shape) ** 2 * mean_dy_xmu) * scale
            grad_input = _tensor.Tensor._make(gx.astype(x.dtype, copy=False), input.device)
        return grad_input, grad_weight, grad_bias, None, None, None, None, None, None


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation whose statistics are reduced over every process of a group.

    In training, with ``ember.distributed`` initialised and more than one rank in the group,
    the mean and variance are those of the whole batch spread over the ranks (see
    ``_SyncBatchNormFunction``): the same result as BatchNorm on the concatenated batch,
    forward, backward and running statistics.  Otherwise (eval, one rank, no process group)
    it is BatchNorm over any input of 2 or more dims.  torch 2.13 accepts only GPU inputs on
    the synchronised path (ValueError for CPU ones); ember's runs on the CPU.

    Args: num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
    process_group=None (None: the default group), device, dtype, bias=True (keyword-only).
    Shape: (N, C, *) -> the same shape.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, process_group=None, device=None, dtype=None, *,
                 bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype,
                         bias)
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")

    def forward(self, input):
        self._check_input_dim(input)
        if input.shape[1] == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")
        if not self.training:
            return super().forward(input)
        from ... import distributed as dist

        world_size = 1
        if dist.is_available() and dist.is_initialized():
            world_size = dist.get_world_size(self.process_group)
        if world_size == 1:
            return super().forward(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # a cumulative average
                factor = 1.0 / float(self.num_batches_tracked.item())
        running_mean = self.running_mean if self.track_running_stats else None
        running_var = self.running_var if self.track_running_stats else None
        return _SyncBatchNormFunction.apply(input, self.weight, self.bias, running_mean,
                                            running_var, self.eps, factor, self.process_group,
                                            world_size)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """Replace every BatchNorm*D layer in ``module`` by a SyncBatchNorm holding the same
        parameters and buffers (the same objects); returns the converted module."""
        converted = module
        if isinstance(module, _BatchNorm):
            converted = SyncBatchNorm(module.num_features, module.eps, module.momentum,
                                      module.affine, module.track_running_stats, process_group)
            with no_grad():
                if module.affine:
                    converted.weight = module.weight
                    converted.bias = module.bias
            converted.running_mean = module.running_mean
            converted.running_var = module.running_var
            converted.num_batches_tracked = module.num_batches_tracked
            converted.training = module.training
        for name, child in module.named_children():
            converted.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return converted
