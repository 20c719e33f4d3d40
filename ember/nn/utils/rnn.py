"""Recurrent-layer helpers: PackedSequence, pad_sequence, pack_padded_sequence,
pad_packed_sequence, pack_sequence, unpad_sequence, unpack_sequence (as torch.nn.utils.rnn).

A batch of sequences of different lengths is stored either *padded* (one (T, B, *) tensor, the
short sequences filled with ``padding_value``) or *packed*: the sequences sorted by length,
longest first, and their rows interleaved time step by time step, so that step t holds
``batch_sizes[t]`` rows (the sequences still running at t)::

    lengths [3, 2, 1]        data rows: a0 b0 c0 | a1 b1 | a2        batch_sizes [3, 2, 1]

Every conversion here is one ``cat`` and one ``index_select`` (a gather with an index built on
the host from the lengths), so gradients flow through packing and padding and no Python loop
touches the elements.
"""

from collections import namedtuple

import numpy as np

from ... import _dtype as D
from ..._tensor import Tensor
from ...ops.creation import full, tensor
from ...ops.join import cat

__all__ = ["PackedSequence", "pad_sequence", "pack_padded_sequence", "pad_packed_sequence",
           "pack_sequence", "unpad_sequence", "unpack_sequence"]


def _invert_permutation(permutation):
    """The indices that undo ``permutation`` (None stays None)."""
    if permutation is None:
        return None
    inverse = np.empty(len(permutation), dtype=np.int64)
    inverse[np.asarray(permutation.tolist(), dtype=np.int64)] = np.arange(len(permutation))
    return tensor(inverse, device=permutation.device)


class PackedSequence(namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices",
                                                    "unsorted_indices"])):
    """Sequences of different lengths packed into one tensor (made by pack_padded_sequence).

    Fields:
        data: (sum of lengths, *) the rows of all sequences, time step by time step
        batch_sizes: int64 CPU tensor, how many sequences are still running at each step
        sorted_indices: the batch order used for packing (None when the input was sorted)
        unsorted_indices: the permutation that restores the original order
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = _invert_permutation(sorted_indices)
        if batch_sizes is None:  # PackedSequence((data, batch_sizes)), as torch allows
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """The same sequence with ``data`` converted by Tensor.to (batch_sizes stay on CPU)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        sorted_indices = self.sorted_indices
        unsorted_indices = self.unsorted_indices
        if sorted_indices is not None:
            sorted_indices = sorted_indices.to(device=data.device)
            unsorted_indices = unsorted_indices.to(device=data.device)
        return type(self)(data, self.batch_sizes, sorted_indices, unsorted_indices)

    def cuda(self, *args, **kwargs):
        return self.to("cuda", *args, **kwargs)

    def cpu(self, *args, **kwargs):
        return self.to("cpu", *args, **kwargs)

    def double(self):
        return self.to(dtype=D.float64)

    def float(self):
        return self.to(dtype=D.float32)

    def half(self):
        return self.to(dtype=D.float16)

    def long(self):
        return self.to(dtype=D.int64)

    def int(self):
        return self.to(dtype=D.int32)

    def short(self):
        return self.to(dtype=D.int16)

    def char(self):
        return self.to(dtype=D.int8)

    def byte(self):
        return self.to(dtype=D.uint8)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def _lengths_list(lengths):
    """``lengths`` (list or tensor) as a list of Python ints, with torch's 1-D check."""
    if isinstance(lengths, Tensor):
        if lengths.ndim != 1:
            raise RuntimeError("'lengths' argument should be a 1D CPU int64 tensor, but got "
                               f"{lengths.ndim}D {lengths.device.type} {lengths.dtype._short} "
                               "tensor")
        return [int(n) for n in lengths.tolist()]
    return [int(n) for n in lengths]


def _gather_rows(rows, index, padding_value=None):
    """rows[index] along dim 0; index entries equal to len(rows) pick a row of padding_value."""
    if padding_value is not None:
        pad = full((1, *rows.shape[1:]), padding_value, dtype=rows.dtype, device=rows.device)
        rows = cat([rows, pad], 0)
    return rows.index_select(0, tensor(index, device=rows.device))


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Packs a padded batch (T, B, *) -- (B, T, *) with batch_first -- of sequences with the
    given lengths into a PackedSequence. With enforce_sorted=True the lengths must be in
    decreasing order; otherwise the batch is sorted and the order is remembered.
    Same as torch.nn.utils.rnn.pack_padded_sequence."""
    lengths = _lengths_list(lengths)
    batch_dim = 0 if batch_first else 1
    sorted_indices = None
    if enforce_sorted:
        if any(a < b for a, b in zip(lengths, lengths[1:])):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability.")
        order = list(range(len(lengths)))
    else:
        # stable, longest first (ties keep their order)
        order = sorted(range(len(lengths)), key=lambda b: -lengths[b])
        sorted_indices = tensor(order, dtype=D.int64, device=input.device)
    if input.ndim < 2 or len(lengths) != input.shape[batch_dim]:
        batch = input.shape[batch_dim] if input.ndim > batch_dim else 0
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{len(lengths)} (batch_size={batch})")
    if any(n <= 0 for n in lengths):
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    steps, batch = input.shape[1 - batch_dim], input.shape[batch_dim]
    if max(lengths) > steps:
        raise RuntimeError(f"pack_padded_sequence: a length ({max(lengths)}) is larger than the "
                           f"padded sequence ({steps} steps)\n  hint: each length must be at most "
                           f"input.shape[{1 - batch_dim}]")
    sorted_lengths = np.array([lengths[b] for b in order], dtype=np.int64)
    batch_sizes = (sorted_lengths[None, :] > np.arange(sorted_lengths[0])[:, None]).sum(1)
    # rows of the flattened input, step by step: (t, b) for the sequences still running at t
    t, rank = np.nonzero(np.arange(sorted_lengths[0])[:, None] < sorted_lengths[None, :])
    b = np.asarray(order, dtype=np.int64)[rank]
    flat_index = b * steps + t if batch_first else t * batch + b
    rows = input.reshape(steps * batch, *input.shape[2:])
    data = _gather_rows(rows, flat_index)
    return PackedSequence(data, tensor(batch_sizes, dtype=D.int64), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undoes pack_padded_sequence: returns (padded, lengths), padded being (T, B, *) -- or
    (B, T, *) with batch_first -- in the original batch order, T = total_length or the longest
    length. Same as torch.nn.utils.rnn.pad_packed_sequence."""
    data, batch_sizes = sequence.data, np.asarray(sequence.batch_sizes.tolist(), dtype=np.int64)
    steps = len(batch_sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {steps}")
        steps = total_length
    batch = int(batch_sizes[0])
    # sorted_lengths[s]: how many steps have the s-th longest sequence in them
    sorted_lengths = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(1)
    rank = np.arange(batch)  # column b of the output holds the sorted sequence rank[b]
    if sequence.unsorted_indices is not None:
        rank = np.asarray(sequence.unsorted_indices.tolist(), dtype=np.int64)
    offsets = np.zeros(steps, dtype=np.int64)
    offsets[1:len(batch_sizes)] = np.cumsum(batch_sizes)[:-1]
    t = np.arange(steps)[:, None]
    running = t < sorted_lengths[rank][None, :]
    index = np.where(running, offsets[:, None] + rank[None, :], data.shape[0])  # (T, B)
    if batch_first:
        index = index.T
    padded = _gather_rows(data, index.reshape(-1), padding_value)
    padded = padded.reshape(*index.shape, *data.shape[1:])
    return padded, tensor(sorted_lengths[rank], dtype=D.int64)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stacks sequences of shapes (L_i, *) into one (T, B, *) tensor -- (B, T, *) with
    batch_first -- T the longest L_i, filling the rest with padding_value on padding_side.
    Same as torch.nn.utils.rnn.pad_sequence."""
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    sequences = list(sequences)
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    first = sequences[0]
    trailing = tuple(first.shape[1:])
    for seq in sequences[1:]:
        if tuple(seq.shape[1:]) != trailing:
            for dim, (a, b) in enumerate(zip(trailing, seq.shape[1:])):
                if a != b:
                    raise RuntimeError(
                        f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                        f"non-singleton dimension {dim + 1}\n  ember: pad_sequence got sequences "
                        f"of shapes {list(first.shape)} and {list(seq.shape)}; all dimensions "
                        "but the first (the length) must be equal")
            raise RuntimeError(f"pad_sequence: sequences of shapes {list(first.shape)} and "
                               f"{list(seq.shape)} have different numbers of dimensions")
    lengths = np.array([seq.shape[0] for seq in sequences], dtype=np.int64)
    steps, batch = int(lengths.max()), len(sequences)
    starts = np.zeros(batch, dtype=np.int64)
    starts[1:] = np.cumsum(lengths)[:-1]
    t = np.arange(steps)[:, None]
    if padding_side == "right":
        position = np.broadcast_to(t, (steps, batch))  # each sequence's step at output row t
    else:
        position = t - (steps - lengths)[None, :]
    running = (position >= 0) & (position < lengths[None, :])
    index = np.where(running, starts[None, :] + position, int(lengths.sum()))  # (T, B)
    if batch_first:
        index = index.T
    rows = cat([seq.to(first.dtype) for seq in sequences], 0)
    padded = _gather_rows(rows, index.reshape(-1), padding_value)
    return padded.reshape(*index.shape, *trailing)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Splits a padded batch back into a list of sequences of the given lengths (views).
    Same as torch.nn.utils.rnn.unpad_sequence."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    lengths = _lengths_list(lengths)
    batch = padded_sequences.shape[0]
    if len(lengths) != batch:
        relation = "shorter" if len(lengths) < batch else "longer"
        raise ValueError(f"zip() argument 2 is {relation} than argument 1\n  ember: "
                         f"unpad_sequence got {len(lengths)} lengths for a batch of {batch} "
                         "sequences; give one length per sequence")
    return [padded_sequences[b, :length] for b, length in enumerate(lengths)]


def pack_sequence(sequences, enforce_sorted=True):
    """Packs a list of sequences (L_i, *) of decreasing lengths (any order with
    enforce_sorted=False). Same as torch.nn.utils.rnn.pack_sequence."""
    lengths = [seq.shape[0] for seq in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences in a PackedSequence, in their original order.
    Same as torch.nn.utils.rnn.unpack_sequence."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
