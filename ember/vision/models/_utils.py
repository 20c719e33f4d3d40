"""Pieces shared by the model families (torchvision.ops.misc and torchvision's helpers):
Conv2dNormActivation, SqueezeExcitation, StochasticDepth, _make_divisible, and the refusal of
pretrained weights (ember does not download)."""

import ember
from ember import nn


def check_weights(name, weights, kwargs):
    """weights=None is the only choice: ember has no network access to fetch checkpoints."""
    if kwargs.pop("pretrained", False) or weights is not None:
        raise RuntimeError(
            f"ember.vision cannot download pretrained weights for {name} (weights={weights!r}).\n"
            f"  Build the model with weights=None and load a local torchvision checkpoint:\n"
            f"      model = models.{name}()\n"
            f"      model.load_state_dict(ember.load('{name}.pth'))\n"
            "  (a .pth saved by torch from torchvision's model loads as it is).")
    kwargs.pop("progress", None)


def _make_divisible(v, divisor, min_value=None):
    """Round v to the nearest multiple of divisor (at least min_value), never more than 10%
    below v."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


class Conv2dNormActivation(nn.Sequential):
    """Conv2d (no bias when a norm follows) -> norm_layer -> activation_layer."""

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding=None,
                 groups=1, norm_layer=nn.BatchNorm2d, activation_layer=nn.ReLU, dilation=1,
                 inplace=True, bias=None):
        if padding is None:
            padding = (kernel_size - 1) // 2 * dilation
        if bias is None:
            bias = norm_layer is None
        layers = [nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding,
                            dilation=dilation, groups=groups, bias=bias)]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            layers.append(activation_layer(inplace=inplace) if inplace is not None
                          else activation_layer())
        super().__init__(*layers)
        self.out_channels = out_channels


class SqueezeExcitation(nn.Module):
    """x * scale_activation(fc2(activation(fc1(mean of x over H, W)))) (channel attention)."""

    def __init__(self, input_channels, squeeze_channels, activation=nn.ReLU,
                 scale_activation=nn.Sigmoid):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = activation()
        self.scale_activation = scale_activation()

    def forward(self, input):
        scale = self.fc2(self.activation(self.fc1(self.avgpool(input))))
        return input * self.scale_activation(scale)


class StochasticDepth(nn.Module):
    """Training: drop the whole residual branch of a sample with probability p ('row') or of
    the batch ('batch'), scaling survivors by 1 / (1 - p).  Eval: identity."""

    def __init__(self, p, mode):
        super().__init__()
        if p < 0.0 or p > 1.0:
            raise ValueError(f"drop probability has to be between 0 and 1, but got {p}")
        if mode not in ("batch", "row"):
            raise ValueError(f"mode has to be either 'batch' or 'row', but got {mode}")
        self.p = p
        self.mode = mode

    def forward(self, input):
        if not self.training or self.p == 0.0:
            return input
        survival = 1.0 - self.p
        shape = [input.shape[0]] + [1] * (input.ndim - 1) if self.mode == "row" else [1] * \
            input.ndim
        noise = ember.empty(shape, dtype=input.dtype, device=input.device).bernoulli_(survival)
        if survival > 0.0:
            noise.div_(survival)
        return input * noise

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p}, mode={self.mode})"


def init_conv_bn_linear(module, linear_std=0.01):
    """torchvision's common scheme: conv kaiming_normal_(fan_out), BN weight 1 bias 0,
    Linear normal_(0, linear_std) bias 0."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, linear_std)
            nn.init.zeros_(m.bias)
