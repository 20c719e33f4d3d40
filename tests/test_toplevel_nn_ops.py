"""The nn.functional ops torch also exposes as torch.<name> exist under ember.<name>."""

import numpy as np
import pytest
import torch

import ember

from conftest import assert_same

NAMES = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
         "conv_transpose3d", "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d",
         "adaptive_avg_pool1d", "adaptive_max_pool1d", "pixel_shuffle", "pixel_unshuffle",
         "channel_shuffle", "cosine_similarity", "pairwise_distance", "pdist"]


@pytest.mark.parametrize("name", NAMES)
def test_top_level_alias_exists_in_both(name):
    assert hasattr(torch, name)
    assert getattr(ember, name) is getattr(ember.nn.functional, name)


def test_top_level_conv2d_and_max_pool2d_match_torch():
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(2, 3, 8, 8)).astype(np.float32), rng.normal(size=(4, 3, 3, 3))
    w = w.astype(np.float32)
    e = ember.max_pool2d(ember.conv2d(ember.tensor(x), ember.tensor(w), padding=1), 2)
    t = torch.max_pool2d(torch.conv2d(torch.tensor(x), torch.tensor(w), padding=1), 2)
    assert_same(e, t)
