"""InstanceNorm1d/2d/3d: each channel of each sample normalised over its spatial dims, and
their lazy forms (LazyInstanceNorm*, num_features read from the first input)."""

import warnings

from .. import functional as F
from .batchnorm import _LazyNormBase, _NormBase

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LazyInstanceNorm1d",
           "LazyInstanceNorm2d", "LazyInstanceNorm3d"]


class _InstanceNorm(_NormBase):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, mean and (biased) var of each (sample,
    channel) over the spatial dims.

    Args:
        num_features: channels C
        eps: added to the variance (default 1e-5)
        momentum: running-average factor for the running statistics (default 0.1)
        affine: learn per-channel weight (ones) and bias (zeros) (default False)
        track_running_stats: keep running averages of the per-sample statistics and use them in
            eval mode (default False)
        bias: learn the bias when affine (keyword-only, default True)
    """

    _spatial = 1  # spatial dims of the input (1 for InstanceNorm1d ...)

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype,
                         bias)

    def _check_input_dim(self, input):
        low = self._spatial + 1
        if input.ndim not in (low, low + 1):
            raise ValueError(f"expected {low}D or {low + 1}D input (got {input.ndim}D input)")

    def forward(self, input):
        self._check_input_dim(input)
        unbatched = self._spatial + 1
        feature_dim = input.ndim - unbatched
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={feature_dim} to match "
                                 f"num_features ({self.num_features}), but got: "
                                 f"{input.shape[feature_dim]}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. You "
                          "can silence this warning by not passing in num_features, which is "
                          "not used because affine=False", stacklevel=2)
        if input.ndim == unbatched:
            return self._normalize(input.unsqueeze(0)).squeeze(0)
        return self._normalize(input)

    def _normalize(self, input):
        momentum = self.momentum if self.momentum is not None else 0.0
        return F.instance_norm(input, self.running_mean, self.running_var, self.weight,
                               self.bias, self.training or not self.track_running_stats,
                               momentum, self.eps)


class InstanceNorm1d(_InstanceNorm):
    __doc__ = ("Instance normalisation of (N, C, L) or (C, L) inputs.\n\n    "
               + _InstanceNorm.__doc__)
    _spatial = 1


class InstanceNorm2d(_InstanceNorm):
    __doc__ = ("Instance normalisation of (N, C, H, W) or (C, H, W) inputs.\n\n    "
               + _InstanceNorm.__doc__)
    _spatial = 2


class InstanceNorm3d(_InstanceNorm):
    __doc__ = ("Instance normalisation of (N, C, D, H, W) or (C, D, H, W) inputs.\n\n    "
               + _InstanceNorm.__doc__)
    _spatial = 3


class LazyInstanceNorm1d(_LazyNormBase, _InstanceNorm):
    """An InstanceNorm1d whose num_features is read from the first input (then it becomes an
    InstanceNorm1d).  NOTE: as torch, affine and track_running_stats default to True here, and
    num_features is input.shape[1] also for an unbatched input."""

    cls_to_become = InstanceNorm1d
    _spatial = 1


class LazyInstanceNorm2d(_LazyNormBase, _InstanceNorm):
    """An InstanceNorm2d whose num_features is read from the first input (see
    LazyInstanceNorm1d)."""

    cls_to_become = InstanceNorm2d
    _spatial = 2


class LazyInstanceNorm3d(_LazyNormBase, _InstanceNorm):
    """An InstanceNorm3d whose num_features is read from the first input (see
    LazyInstanceNorm1d)."""

    cls_to_become = InstanceNorm3d
    _spatial = 3
