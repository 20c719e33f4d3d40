"""Vision Transformer (Dosovitskiy et al. 2020): vit_b_16, vit_b_32, vit_l_16, vit_l_32.
Patches -> linear embedding (a strided conv) + class token + position embedding -> pre-norm
transformer encoder -> the class token's output -> head."""

import math
from collections import OrderedDict
from functools import partial

import ember
from ember import nn

from ._utils import check_weights

# torchvision's default norm layer for ViT
_layer_norm = partial(nn.LayerNorm, eps=1e-6)


class MLPBlock(nn.Sequential):
    """Linear(in, mlp) -> GELU -> Dropout -> Linear(mlp, in) -> Dropout (xavier weights,
    biases ~ N(0, 1e-6))."""

    def __init__(self, in_dim, mlp_dim, dropout):
        super().__init__(nn.Linear(in_dim, mlp_dim), nn.GELU(), nn.Dropout(dropout),
                         nn.Linear(mlp_dim, in_dim), nn.Dropout(dropout))
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6)


class EncoderBlock(nn.Module):
    """x = x + dropout(attention(ln_1(x)));  x = x + mlp(ln_2(x))."""

    def __init__(self, num_heads, hidden_dim, mlp_dim, dropout, attention_dropout,
                 norm_layer=_layer_norm):
        super().__init__()
        self.num_heads = num_heads
        self.ln_1 = norm_layer(hidden_dim)
        self.self_attention = nn.MultiheadAttention(hidden_dim, num_heads,
                                                    dropout=attention_dropout, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.ln_2 = norm_layer(hidden_dim)
        self.mlp = MLPBlock(hidden_dim, mlp_dim, dropout)

    def forward(self, input):
        if input.dim() != 3:
            raise ValueError("Expected (batch_size, seq_length, hidden_dim) got "
                             f"{tuple(input.shape)}")
        x = self.ln_1(input)
        x, _ = self.self_attention(x, x, x, need_weights=False)
        x = self.dropout(x) + input
        return x + self.mlp(self.ln_2(x))


class Encoder(nn.Module):
    """Add the learned position embedding, then the encoder blocks, then a LayerNorm."""

    def __init__(self, seq_length, num_layers, num_heads, hidden_dim, mlp_dim, dropout,
                 attention_dropout, norm_layer=_layer_norm):
        super().__init__()
        self.pos_embedding = nn.Parameter(
            ember.empty(1, seq_length, hidden_dim).normal_(std=0.02))
        self.dropout = nn.Dropout(dropout)
        layers = OrderedDict()
        for i in range(num_layers):
            layers[f"encoder_layer_{i}"] = EncoderBlock(num_heads, hidden_dim, mlp_dim, dropout,
                                                        attention_dropout, norm_layer)
        self.layers = nn.Sequential(layers)
        self.ln = norm_layer(hidden_dim)

    def forward(self, input):
        return self.ln(self.layers(self.dropout(input + self.pos_embedding)))


class VisionTransformer(nn.Module):
    def __init__(self, image_size, patch_size, num_layers, num_heads, hidden_dim, mlp_dim,
                 dropout=0.0, attention_dropout=0.0, num_classes=1000, representation_size=None,
                 norm_layer=_layer_norm, conv_stem_configs=None):
        super().__init__()
        if image_size % patch_size != 0:
            raise ValueError("Input shape indivisible by patch size!")
        if conv_stem_configs is not None:
            raise NotImplementedError("ember.vision: VisionTransformer(conv_stem_configs=...) "
                                      "is not supported; use the patch embedding")
        self.image_size = image_size
        self.patch_size = patch_size
        self.hidden_dim = hidden_dim
        self.mlp_dim = mlp_dim
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.num_classes = num_classes
        self.representation_size = representation_size
        self.norm_layer = norm_layer
        self.conv_proj = nn.Conv2d(3, hidden_dim, kernel_size=patch_size, stride=patch_size)
        seq_length = (image_size // patch_size) ** 2 + 1  # + the class token
        self.class_token = nn.Parameter(ember.zeros(1, 1, hidden_dim))
        self.encoder = Encoder(seq_length, num_layers, num_heads, hidden_dim, mlp_dim, dropout,
                               attention_dropout, norm_layer)
        self.seq_length = seq_length
        heads = OrderedDict()
        if representation_size is None:
            heads["head"] = nn.Linear(hidden_dim, num_classes)
        else:
            heads["pre_logits"] = nn.Linear(hidden_dim, representation_size)
            heads["act"] = nn.Tanh()
            heads["head"] = nn.Linear(representation_size, num_classes)
        self.heads = nn.Sequential(heads)
        fan_in = 3 * patch_size * patch_size
        nn.init.trunc_normal_(self.conv_proj.weight, std=math.sqrt(1 / fan_in))
        nn.init.zeros_(self.conv_proj.bias)
        if representation_size is not None:
            fan_in = self.heads.pre_logits.in_features
            nn.init.trunc_normal_(self.heads.pre_logits.weight, std=math.sqrt(1 / fan_in))
            nn.init.zeros_(self.heads.pre_logits.bias)
        nn.init.zeros_(self.heads.head.weight)
        nn.init.zeros_(self.heads.head.bias)

    def _process_input(self, x):
        n, _, h, w = x.shape
        p = self.patch_size
        if h != self.image_size:
            raise ValueError(f"Wrong image height! Expected {self.image_size} but got {h}!")
        if w != self.image_size:
            raise ValueError(f"Wrong image width! Expected {self.image_size} but got {w}!")
        x = self.conv_proj(x)  # (n, hidden_dim, h / p, w / p)
        x = x.reshape(n, self.hidden_dim, (h // p) * (w // p))
        return x.permute(0, 2, 1)  # (n, patches, hidden_dim)

    def forward(self, x):
        x = self._process_input(x)
        batch_class_token = self.class_token.expand(x.shape[0], -1, -1)
        x = self.encoder(ember.cat([batch_class_token, x], dim=1))
        return self.heads(x[:, 0])


def _vit(name, patch_size, num_layers, num_heads, hidden_dim, mlp_dim, weights, kwargs):
    check_weights(name, weights, kwargs)
    image_size = kwargs.pop("image_size", 224)
    return VisionTransformer(image_size, patch_size, num_layers, num_heads, hidden_dim, mlp_dim,
                             **kwargs)


def vit_b_16(*, weights=None, progress=True, **kwargs):
    return _vit("vit_b_16", 16, 12, 12, 768, 3072, weights, kwargs)


def vit_b_32(*, weights=None, progress=True, **kwargs):
    return _vit("vit_b_32", 32, 12, 12, 768, 3072, weights, kwargs)


def vit_l_16(*, weights=None, progress=True, **kwargs):
    return _vit("vit_l_16", 16, 24, 16, 1024, 4096, weights, kwargs)


def vit_l_32(*, weights=None, progress=True, **kwargs):
    return _vit("vit_l_32", 32, 24, 16, 1024, 4096, weights, kwargs)
