"""Weight averaging, as torch.optim.swa_utils: AveragedModel (SWA and EMA copies of a model),
the averaging functions, the SWALR schedule and update_bn (recompute BatchNorm statistics)."""

import itertools
import math
from copy import deepcopy

from .. import _dtype
from ..autograd.grad_mode import no_grad
from ..nn.modules.batchnorm import _BatchNorm
from ..nn.modules.module import Module
from ..ops.creation import tensor
from .lr_scheduler import LRScheduler, _per_group, _warn_get_lr_called_within_step

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn",
           "get_swa_multi_avg_fn", "get_ema_avg_fn", "get_swa_avg_fn"]


def _check_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in "
                         "[0,1] range.")


def get_ema_multi_avg_fn(decay=0.999):
    """In-place exponential moving average of lists of tensors:
    ema = ema + (1 - decay) * (model - ema)  (= decay * ema + (1 - decay) * model)."""
    _check_decay(decay)

    def ema_update(ema_param_list, current_param_list, _):
        with no_grad():
            if ema_param_list[0].is_floating_point() or ema_param_list[0].is_complex():
                for p_ema, p_model in zip(ema_param_list, current_param_list):
                    p_ema.lerp_(p_model, 1 - decay)
            else:  # integer buffers: the blend, rounded back by copy_
                for p_ema, p_model in zip(ema_param_list, current_param_list):
                    p_ema.copy_(p_ema * decay + p_model * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn():
    """In-place running mean of lists of tensors, n models averaged so far:
    avg = avg + (model - avg) / (n + 1)."""

    def swa_update(averaged_param_list, current_param_list, num_averaged):
        with no_grad():
            if averaged_param_list[0].is_floating_point() or averaged_param_list[0].is_complex():
                # NOTE: torch computes the weight 1 / (n + 1) as a tensor of the default dtype
                weight = 1 / (num_averaged + 1)
                weight = weight.item() if hasattr(weight, "item") else weight
                for p_avg, p_model in zip(averaged_param_list, current_param_list):
                    p_avg.lerp_(p_model, weight)
            else:
                for p_avg, p_model in zip(averaged_param_list, current_param_list):
                    diff = p_model - p_avg
                    if hasattr(num_averaged, "item"):
                        p_avg.addcdiv_(diff, num_averaged + 1)
                    else:
                        p_avg.add_(diff, alpha=1.0 / (num_averaged + 1))

    return swa_update


def get_ema_avg_fn(decay=0.999):
    """Exponential moving average of one tensor: decay * ema + (1 - decay) * model."""
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    """Running mean of one tensor: avg + (model - avg) / (n + 1)."""

    def swa_update(averaged_param, current_param, num_averaged):
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` whose parameters are a running average of ``model``'s (SWA, or EMA
    with ``get_ema_multi_avg_fn``).

    ``update_parameters(model)``: the first call copies model's parameters; each later one
    averages them in with ``multi_avg_fn`` (lists, in place), ``avg_fn`` (one tensor, returns the
    new value), or by default the equal-weight running mean. ``n_averaged`` (a buffer) counts
    the calls. Buffers are averaged too with ``use_buffers=True``; otherwise they are copied.

    Args:
        model: the module to average
        device: where the copy lives (default: model's device)
        avg_fn, multi_avg_fn: the averaging function (at most one of them)
        use_buffers (bool, default False)
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", tensor(0, dtype=_dtype.int64, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model):
        """Average ``model``'s current parameters (and buffers with use_buffers) into this one."""
        if self.use_buffers:
            own = itertools.chain(self.module.parameters(), self.module.buffers())
            theirs = itertools.chain(model.parameters(), model.buffers())
        else:
            own, theirs = self.parameters(), model.parameters()
        averaged, current = [], []
        first = bool(self.n_averaged == 0)
        for p_avg, p_model in zip(own, theirs):
            p_model = p_model.detach().to(p_avg.device)
            averaged.append(p_avg.detach())
            current.append(p_model)
            if first:
                averaged[-1].copy_(p_model)
        if self.n_averaged > 0:
            if self.avg_fn is None:
                self._average_groups(averaged, current)
            else:
                for p_avg, p_model in zip(averaged, current):
                    p_avg.copy_(self.avg_fn(p_avg, p_model, self.n_averaged.to(p_avg.device)))
        if not self.use_buffers:
            with no_grad():
                for b_avg, b_model in zip(self.module.buffers(), model.buffers()):
                    b_avg.copy_(b_model.detach().to(b_avg.device))
        self.n_averaged += 1

    def _average_groups(self, averaged, current):
        """multi_avg_fn (or the running mean) per group of tensors of one device and dtype."""
        groups = {}
        for p_avg, p_model in zip(averaged, current):
            lists = groups.setdefault((str(p_avg.device), str(p_avg.dtype)), ([], []))
            lists[0].append(p_avg)
            lists[1].append(p_model)
        for own, theirs in groups.values():
            n_averaged = self.n_averaged.to(own[0].device)
            if self.multi_avg_fn is not None:
                self.multi_avg_fn(own, theirs, n_averaged)
            else:  # NOTE: torch's CPU path: the one-tensor running mean, copied in
                avg_fn = get_swa_avg_fn()
                with no_grad():
                    for p_avg, p_model in zip(own, theirs):
                        p_avg.copy_(avg_fn(p_avg, p_model, n_averaged))


def update_bn(loader, model, device=None):
    """One pass over ``loader`` in training mode to recompute every BatchNorm's running mean and
    variance as plain averages over the batches (momentum None), then restore the momenta and
    the model's mode. A batch that is a list or tuple gives its first item to the model."""
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with no_grad():
        for input in loader:
            if isinstance(input, (list, tuple)):
                input = input[0]
            if device is not None:
                input = input.to(device)
            model(input)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneals each group's lr to ``swa_lr`` over ``anneal_epochs`` steps, then keeps it.

    At step s (t = min(1, s / anneal_epochs)), with a = anneal(t), anneal(t) = (1 - cos(pi t)) / 2
    ('cos') or t ('linear'):  lr = swa_lr * a + lr_0 * (1 - a), lr_0 recovered from the current
    lr and the previous step's a (so the schedule chains with changes made in between).

    Args: optimizer, swa_lr (float or one per group), anneal_epochs (int >= 0, default 10),
    anneal_strategy ('cos' or 'linear', default 'cos'), last_epoch (default -1).
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos",
                 last_epoch=-1):
        swa_lrs = _per_group("swa_lr", optimizer, swa_lr)
        for value, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = value
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        if anneal_strategy == "cos":
            self.anneal_func = self._cosine_anneal
        else:
            self.anneal_func = self._linear_anneal

    def get_lr(self):
        _warn_get_lr_called_within_step(self)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        groups = self.optimizer.param_groups
        prev_lrs = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in groups]
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(groups, prev_lrs)]

    def state_dict(self):
        """Every attribute except the optimizer and the annealing function."""
        return {key: value for key, value in self.__dict__.items()
                if key not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
