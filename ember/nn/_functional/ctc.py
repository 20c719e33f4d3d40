"""nn.functional, ctc_loss: connectionist temporal classification.

The loss sums the probability of every alignment of a target sequence to the input frames.
It is one node (torch's CtcLossBackward0): the forward-backward recursions in log space run
over the frames in a Python loop, vectorised over the batch and the target positions.
"""

from ... import _dtype as D
from ..._device import xp_for
from ..._tensor import Tensor
from ...autograd.function import Node
from .loss import _check_reduction

__all__ = ["ctc_loss"]


def _logsumexp3(xp, a, b, c):
    """log(exp(a) + exp(b) + exp(c)) element-wise, -inf where all three are -inf."""
    top = xp.maximum(xp.maximum(a, b), c)
    top = xp.where(xp.isinf(top), 0.0, top)
    return top + xp.log(xp.exp(a - top) + xp.exp(b - top) + xp.exp(c - top))


def _shift(xp, x, k, fill):
    """x moved k places right along the last axis (k < 0: left), ``fill`` coming in."""
    pad = xp.full(x.shape[:-1] + (abs(k),), fill, dtype=x.dtype)
    if k > 0:
        return xp.concatenate([pad, x[..., :-k]], axis=-1)
    return xp.concatenate([x[..., -k:], pad], axis=-1)


class CtcLoss(Node):
    """Per sample n, with l' the target with blanks around and between its labels (length
    S' = 2 L + 1) and lp the log-probabilities (T, N, C):

    alpha_t(s) = logsumexp(alpha_{t-1}(s), alpha_{t-1}(s-1), alpha_{t-1}(s-2) [if l'_s is not
                 blank and l'_s != l'_{s-2}]) + lp_t(l'_s),   alpha_0 = lp_0 at s = 0 and 1
    beta_t(s)  = the same recursion run backwards from the last frame (s+1, s+2)
    loss = -logsumexp(alpha_{T-1}(S'-1), alpha_{T-1}(S'-2))

    grad_lp[t, c] = exp(lp[t, c]) - exp(logsumexp_{s: l'_s = c}(alpha_t(s) + beta_t(s))
                    + loss - lp[t, c])   for t < T (0 after), times the loss's gradient.
    NOTE: as torch, this is the gradient w.r.t. the logits of a log_softmax (the exp(lp) term
    is what log_softmax's backward removes again), not the bare gradient w.r.t. lp.
    """

    def __init__(self, targets, input_lengths, target_lengths, blank, zero_infinity):
        self.targets = targets  # (N, S) padded labels
        self.input_lengths = input_lengths
        self.target_lengths = target_lengths
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs):
        xp = self.xp
        lp = log_probs.astype("float64")
        frames, batch, classes = lp.shape
        ext = xp.full((batch, 2 * self.targets.shape[1] + 1), self.blank, dtype="int64")
        ext[:, 1::2] = self.targets
        lp_ext = xp.take_along_axis(lp, xp.broadcast_to(ext[None], (frames,) + ext.shape), 2)
        skip = (ext != self.blank) & (ext != _shift(xp, ext, 2, self.blank))
        alpha = self._alpha(xp, lp_ext, skip)
        beta = self._beta(xp, lp_ext, skip)
        nll = self._nll(xp, alpha)
        grad = self._grad(xp, lp, ext, alpha + beta, nll)
        if self.zero_infinity:
            infinite = xp.isinf(nll)
            nll = xp.where(infinite, 0.0, nll)
            grad = xp.where(infinite[None, :, None], 0.0, grad)
        self.save(grad.astype(log_probs.dtype))
        return nll.astype(log_probs.dtype)

    def _alpha(self, xp, lp_ext, skip):
        frames, batch, states = lp_ext.shape
        alpha = xp.full(lp_ext.shape, -xp.inf)
        alpha[0, :, 0] = lp_ext[0, :, 0]
        if states > 1:
            alpha[0, :, 1] = xp.where(self.target_lengths > 0, lp_ext[0, :, 1], -xp.inf)
        for t in range(1, frames):
            prev = alpha[t - 1]
            two_back = xp.where(skip, _shift(xp, prev, 2, -xp.inf), -xp.inf)
            alpha[t] = _logsumexp3(xp, prev, _shift(xp, prev, 1, -xp.inf), two_back) + lp_ext[t]
        return alpha

    def _beta(self, xp, lp_ext, skip):
        frames, batch, states = lp_ext.shape
        last = self.input_lengths - 1  # each sample's last frame
        end = 2 * self.target_lengths  # each sample's last state
        s = xp.arange(states)[None, :]
        start_states = (s == end[:, None]) | ((s == end[:, None] - 1) & (end[:, None] > 0))
        skip_ahead = _shift(xp, skip, -2, False)  # may go from s to s + 2
        beta = xp.full(lp_ext.shape, -xp.inf)
        following = xp.full((batch, states), -xp.inf)
        for t in range(frames - 1, -1, -1):
            two_ahead = xp.where(skip_ahead, _shift(xp, following, -2, -xp.inf), -xp.inf)
            step = _logsumexp3(xp, following, _shift(xp, following, -1, -xp.inf), two_ahead)
            start = xp.where(start_states, lp_ext[t], -xp.inf)
            inside = (t < last)[:, None]
            beta[t] = xp.where((t == last)[:, None], start,
                               xp.where(inside, step + lp_ext[t], -xp.inf))
            following = beta[t]
        return beta

    def _nll(self, xp, alpha):
        batch = alpha.shape[1]
        rows = xp.arange(batch)
        last = xp.maximum(self.input_lengths - 1, 0)
        end = 2 * self.target_lengths
        final = alpha[last, rows, end]
        before = xp.where(end > 0, alpha[last, rows, xp.maximum(end - 1, 0)], -xp.inf)
        total = xp.logaddexp(final, before)
        # no frames: only the empty target is possible (probability 1)
        total = xp.where(self.input_lengths == 0, xp.where(end == 0, 0.0, -xp.inf), total)
        return -total

    def _grad(self, xp, lp, ext, ab, nll):
        frames, batch, classes = lp.shape
        top = ab.max(axis=2, keepdims=True)
        top = xp.where(xp.isinf(top), 0.0, top)
        # sum of exp(alpha + beta) over the states of each class: a scatter-add over states
        per_class = xp.zeros((batch, classes, frames))
        rows = xp.broadcast_to(xp.arange(batch)[:, None], ext.shape)
        xp.add.at(per_class, (rows, ext), xp.exp(ab - top).transpose(1, 2, 0))
        per_class = per_class.transpose(2, 0, 1)  # (T, N, C)
        occupancy = per_class * xp.exp(top + nll[None, :, None] - lp)
        grad = xp.exp(lp) - occupancy
        live = xp.arange(frames)[:, None] < self.input_lengths[None, :]
        return xp.where(live[:, :, None], grad, 0.0)

    def backward(self, grad):
        (saved,) = self.saved
        return saved * grad.reshape(1, -1, 1)


def _lengths(xp, lengths, name, batch):
    if isinstance(lengths, Tensor):
        values = xp.asarray(lengths._host().reshape(-1).astype("int64"))
    elif isinstance(lengths, int):
        values = xp.asarray([lengths], dtype="int64")
    else:
        values = xp.asarray([int(v) for v in lengths], dtype="int64")
    if values.shape[0] != batch:
        raise RuntimeError(f"{name} must be of size batch_size")
    return values


def _padded_targets(xp, targets, target_lengths, blank):
    """The targets as an (N, S) array: a 2-D input as it is, a 1-D concatenation cut up."""
    if targets.ndim == 2:
        return targets._data.astype("int64")
    flat = targets._data.reshape(-1).astype("int64")
    longest = int(target_lengths.max()) if target_lengths.size else 0
    starts = xp.cumsum(target_lengths) - target_lengths
    steps = xp.arange(longest)[None, :]
    valid = steps < target_lengths[:, None]
    positions = xp.minimum(starts[:, None] + steps, max(flat.shape[0] - 1, 0))
    picked = flat[positions] if flat.size else xp.zeros(positions.shape, dtype="int64")
    return xp.where(valid, picked, blank)


def _check_ctc(log_probs, targets, input_lengths, target_lengths, blank):
    where = " (while checking arguments for ctc_loss_allocate_outputs)"
    if not 0 <= blank < log_probs.shape[-1]:
        raise RuntimeError("blank must be in label range")
    frames = log_probs.shape[0]
    if input_lengths.size and int(input_lengths.max()) > frames:
        raise RuntimeError(f"Expected input_lengths to have value at most {frames}, but got "
                           f"value {int(input_lengths.max())}{where}")
    if target_lengths.size and int(target_lengths.min()) < 0:
        raise RuntimeError("Expected target_lengths to have value at least 0, but got value "
                           f"{int(target_lengths.min())}{where}")
    longest = int(target_lengths.max()) if target_lengths.size else 0
    if targets.ndim == 2 and longest > targets.shape[1]:
        raise RuntimeError(
            f"Expected tensor to have size at least {longest} at dimension 1, but got size "
            f"{targets.shape[1]} for argument #2 'targets'{where}")
    if targets.ndim == 1 and int(target_lengths.sum()) > targets.shape[0]:
        raise RuntimeError(
            f"Expected tensor to have size at least {int(target_lengths.sum())} at dimension "
            f"0, but got size {targets.shape[0]} for argument #2 'targets'{where}")


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """Connectionist temporal classification loss (see CtcLoss for the recursions).

    log_probs (T, N, C) or (T, C): log_softmax outputs;  targets (N, S) padded or the (sum of
    target_lengths,) concatenation, without blanks;  input_lengths, target_lengths (N,)
    tensors or sequences of ints.  reduction 'mean' divides each loss by its target length
    (at least 1) and averages over the batch; zero_infinity replaces infinite losses (no
    possible alignment) by 0 with no gradient.
    """
    _check_reduction(reduction)
    if log_probs.dtype.category < D.FLOAT:
        raise RuntimeError(f'"ctc_loss_cpu" not implemented for \'{log_probs.dtype._short}\'')
    xp = xp_for(log_probs.device)
    batched = log_probs.ndim == 3
    if not batched:
        log_probs = log_probs.unsqueeze(1)
        targets = targets.unsqueeze(0)
    batch = log_probs.shape[1]
    in_lengths = _lengths(xp, input_lengths, "input_lengths", batch)
    tg_lengths = _lengths(xp, target_lengths, "target_lengths", batch)
    if targets.device is not log_probs.device:
        targets = targets.to(log_probs.device)  # torch takes targets on either device
    _check_ctc(log_probs, targets, in_lengths, tg_lengths, blank)
    padded = _padded_targets(xp, targets, tg_lengths, blank)
    node = CtcLoss(padded[:, :int(tg_lengths.max()) if tg_lengths.size else 0], in_lengths,
                   tg_lengths, blank, zero_infinity)
    loss = node.apply(log_probs)
    if not batched:
        loss = loss.reshape(())
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    divisor = Tensor._make(xp.maximum(tg_lengths, 1).astype(loss._data.dtype), loss.device)
    return (loss / divisor.reshape(loss.shape)).mean()
