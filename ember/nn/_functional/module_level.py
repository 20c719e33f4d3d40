"""torch's module-level spellings of dropout: ``torch.dropout(input, p, train)`` and friends,
which nn.functional's dropouts call inside torch (and some programs call directly).

They are the same maths and the same random draws as ``ember.nn.functional``'s dropouts, with
torch's argument names (``train``, always given), plus the feature (channel) dropouts for any
input of two or more dims and their in-place ``_`` forms.  ``ember/__init__.py`` re-exports them.
"""

from ..functional import _alpha_noise, _apply_noise, _check_dropout_p
from ..functional import alpha_dropout as _alpha_dropout
from ..functional import dropout as _dropout

__all__ = ["dropout", "dropout_", "alpha_dropout", "alpha_dropout_", "feature_dropout",
           "feature_dropout_", "feature_alpha_dropout", "feature_alpha_dropout_"]


def dropout(input, p, train):
    """Same as torch.dropout: nn.functional.dropout(input, p, training=train)."""
    return _dropout(input, p, train)


def dropout_(input, p, train):
    return _dropout(input, p, train, inplace=True)


def alpha_dropout(input, p, train):
    """Same as torch.alpha_dropout: nn.functional.alpha_dropout(input, p, training=train)."""
    return _alpha_dropout(input, p, train)


def alpha_dropout_(input, p, train):
    return _alpha_dropout(input, p, train, inplace=True)


def _channels(input):
    """The noise shape of a feature dropout: one draw per (N, C), broadcast over the rest."""
    if input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return tuple(input.shape[:2]) + (1,) * (input.ndim - 2)


def feature_dropout(input, p, train, inplace=False):
    """Drops whole channels (dim 1) of an input of two or more dims. Same as
    torch.feature_dropout."""
    _check_dropout_p(p)
    if not train or p == 0 or input.numel() == 0:
        return input
    return _apply_noise(input, _channels(input), p, inplace)


def feature_dropout_(input, p, train):
    return feature_dropout(input, p, train, inplace=True)


def feature_alpha_dropout(input, p, train, inplace=False):
    """alpha_dropout (see nn.functional.alpha_dropout) with one draw per channel. Same as
    torch.feature_alpha_dropout."""
    _check_dropout_p(p)
    if not train or p == 0 or input.numel() == 0:
        return input
    return _alpha_noise(input, _channels(input), p, inplace)


def feature_alpha_dropout_(input, p, train):
    return feature_alpha_dropout(input, p, train, inplace=True)
