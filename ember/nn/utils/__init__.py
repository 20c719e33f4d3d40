"""ember.nn.utils: gradient clipping, parameter/vector conversion, and the rnn helpers."""

from . import rnn
