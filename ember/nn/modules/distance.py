"""CosineSimilarity, PairwiseDistance: layers around their nn.functional forms."""

from .. import functional as F
from .module import Module

__all__ = ["CosineSimilarity", "PairwiseDistance"]


class CosineSimilarity(Module):
    """sum(x1 * x2) / (max(||x1||, eps) max(||x2||, eps)) along ``dim``.

    Args: dim (default 1), eps (default 1e-8).
    Shape: (*, D, *) and a broadcastable shape -> the broadcast shape without ``dim``.
    """

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """||x1 - x2 + eps||_p along the last dimension.

    Args: p (default 2.0), eps (default 1e-6), keepdim (default False).
    Shape: (N, D) or (D,) -> (N) or () (with a trailing 1 when keepdim).
    """

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
