"""autocast: torch's mixed precision region, as a context manager and a decorator.

Inside ``with ember.autocast('cpu'):`` the ops of ``policy.py`` change dtype: matrix products and
convolutions run in bfloat16 (float16 on CUDA), losses and a few sensitive ops in float32; the
rest run in whatever dtype arrives.  The state is per thread, as torch's: one ``_AutocastState``
object (threading.local) holds, per device type, whether autocast is on and its dtype, plus the
nesting depth and the weight cast cache.

How the policy reaches the ops without costing anything when autocast is off: ``Node.apply`` is
the one door every op goes through.  While no thread has autocast on it is the plain method.
When a thread turns autocast on, ``Node.apply`` is swapped for ``_autocast_apply``, which reads
the node class's policy (one attribute, set by policy.install) and the thread's state, casts the
inputs, then calls the plain method; when the last thread turns it off, the plain method comes
back.  So a program that never uses autocast runs exactly the code it ran before.  The few
functions that need the policy before their own code (policy.FUNCTIONS: linear, conv, the
losses, ...) get wrappers the first time autocast is turned on, and keep them.

The casts are ops too (``ToCopy`` nodes), so gradients flow back through them and arrive in
each input's own dtype: a float32 weight used in bfloat16 gets a float32 ``.grad``.
"""

import functools
import threading
import warnings

import numpy as np

from .. import _device, _mkl
from .. import _dtype as D
from .._bfloat16 import (
    bfloat16_view,
    float32_base,
    round_in_float32,
    round_to_bfloat16,
    truncate_to_bfloat16,
    widen_bfloat16,
)
from ..autograd import function as _function
from ..autograd.grad_mode import state as _grad_mode
from ..ops.convert import ToCopy
from . import policy as _policy

__all__ = ["autocast", "is_autocast_available", "is_autocast_enabled", "custom_fwd",
           "custom_bwd", "get_autocast_dtype", "set_autocast_enabled", "set_autocast_dtype",
           "get_autocast_cpu_dtype", "get_autocast_gpu_dtype", "set_autocast_cpu_dtype",
           "set_autocast_gpu_dtype", "is_autocast_cpu_enabled", "set_autocast_cpu_enabled",
           "is_autocast_cache_enabled", "set_autocast_cache_enabled", "clear_autocast_cache",
           "autocast_increment_nesting", "autocast_decrement_nesting", "get_autocast_ipu_dtype",
           "get_autocast_xla_dtype", "is_autocast_ipu_enabled", "is_autocast_xla_enabled",
           "set_autocast_ipu_dtype", "set_autocast_ipu_enabled", "set_autocast_xla_dtype",
           "set_autocast_xla_enabled"]

# torch's default lower-precision dtype per device type (get_autocast_dtype)
_DEFAULT_DTYPE = {"cpu": D.bfloat16, "cuda": D.float16, "xpu": D.float16, "ipu": D.float16,
                  "hpu": D.bfloat16, "xla": D.bfloat16, "mps": D.float16, "mtia": D.float16,
                  "maia": D.float16, "privateuseone": D.float16}


class _AutocastState(threading.local):
    """One thread's autocast state (``__init__`` runs once in each thread that reads it)."""

    def __init__(self):
        self.on = False  # autocast is on for some device type in this thread
        self.enabled = {}  # device type -> bool
        self.dtype = dict(_DEFAULT_DTYPE)  # device type -> lower-precision dtype
        self.cache_enabled = True
        self.nesting = 0
        self.cache = {}  # (id(weight), dtype) -> (weight, its cast): the weight cast cache


state = _AutocastState()

# ---------------------------------------------------------------------------- the dispatch hook

_plain_apply = _function.Node.apply
entry_points = []  # (namespace, name, plain function, wrapper), from policy.function_swaps
_threads_on = 0  # how many threads have autocast on (the hook is installed while > 0)
_backward_users = 0  # backwards of lower-precision nodes running now (they need the hook too)
_threads_lock = threading.Lock()


def _sync():
    """After this thread's enabled flags changed: update ``state.on`` and, if this thread
    joined or left the threads with autocast on, install or remove the hook."""
    global _threads_on
    on = any(state.enabled.values())
    if on == state.on:
        return
    state.on = on
    with _threads_lock:
        _threads_on += 1 if on else -1
        hooked = _threads_on > 0
        _function.Node.apply = _autocast_apply if hooked or _backward_users else _plain_apply
        if hooked:
            _wrap_functions()


_functions_wrapped = [False]


def _wrap_functions():
    """Put the wrappers of policy.FUNCTIONS in place, the first time a thread turns autocast
    on; they stay (each checks the thread's state first, and calls the plain function when
    autocast is off).  NOTE: swapping ~300 entries in and out at every region cost an MLP's
    autocast step ~1.4 ms (setattr on the Tensor class is slow): most programs enter a region
    every step, and a wrapper left in place costs ~0.2 us per call of those few functions."""
    if _functions_wrapped[0]:
        return
    entry_points[:] = _policy.function_swaps(wrap_function)
    for namespace, name, _plain, wrapper in entry_points:
        setattr(namespace, name, wrapper)
    _functions_wrapped[0] = True


def _autocast_apply(node, *inputs):
    """``Node.apply`` while some thread has autocast on: the node's policy, if it has one for
    the inputs' device type and this thread has autocast on there, then the plain apply."""
    policies = node._autocast
    if policies is not None and state.on:
        device_type = inputs[0].device.type
        if state.enabled.get(device_type):
            policy = policies[device_type] if device_type in policies else None
            if policy is not None:
                return _apply_policy(node, policy, inputs, device_type)
    return _plain_apply(node, *inputs)


def _apply_policy(node, policy, inputs, device_type):
    if policy is _policy.WIDEN or policy is _policy.WIDEN_EXACT:
        if _all_bfloat16(inputs) and not node.computes_bfloat16(*[t._data for t in inputs]):
            # a node may know that this call only moves values (max-pooling's gradient with
            # windows that do not overlap: an assignment, no sums)
            exact = policy is _policy.WIDEN_EXACT or getattr(node, "moves_values", False)
            node.forward = _forward_in_float32(node, D.bfloat16, exact)
            node.backward = _backward_in_lower_precision(node, device_type, D.bfloat16)
        return _plain_apply(node, *inputs)
    target = _target_dtype(policy, inputs, device_type)
    inputs = [_cast(t, target, device_type) for t in inputs]
    if policy is _policy.LOWER and node.computes_bfloat16(*[t._data for t in inputs]):
        # products on MKL (ember/_mkl.py): the node takes bfloat16 as it is, sums in float32
        # and rounds once, forward and backward; nothing to widen
        return _plain_apply(node, *inputs)
    if policy is _policy.LOWER:
        node.forward = _forward_in_float32(node, target, widened=[_widened(t) for t in inputs])
        node.backward = _backward_in_lower_precision(node, device_type, target)
    return _plain_apply(node, *inputs)


def _backward_in_lower_precision(node, device_type, low):
    """The node's backward, run with its products under the same policy as its forward, as
    torch runs a lower-precision op's backward (usually outside the autocast region): the
    gradient's products then compute in float32 on the 16-bit values and round once, instead
    of going through ml_dtypes' slow 16-bit loops.  Only Node.apply's hook is needed for it
    (the function entry points stay as they are); the weight cache is not used."""
    backward = node.backward

    def run(*grads):
        global _backward_users
        if state.on and state.enabled.get(device_type):
            return backward(*grads)  # already inside an autocast region
        if node.backward_rounds_once and not _grad_mode.enabled:
            results = _backward_in_float32(node, backward, grads, low)
            if results is not None:
                return results
        saved = (state.on, state.enabled.get(device_type, False), state.dtype.get(device_type),
                 state.cache_enabled)
        with _threads_lock:
            _backward_users += 1
            _function.Node.apply = _autocast_apply
        state.on, state.enabled[device_type], state.dtype[device_type] = True, True, low
        state.cache_enabled = False
        try:
            return backward(*grads)
        finally:
            state.on, state.enabled[device_type], state.dtype[device_type], \
                state.cache_enabled = saved
            with _threads_lock:
                _backward_users -= 1
                if not _threads_on and not _backward_users:
                    _function.Node.apply = _plain_apply

    return run


def _backward_in_float32(node, backward, grads, low):
    """The backward of a node whose every input gradient is one op of the gradient and the
    saved values (``Node.backward_rounds_once``: products, convolutions), run once in float32
    on widened copies, each input's gradient rounded to ``low`` once: the numbers torch's
    16-bit kernels give (16-bit values in, float32 sums, one rounding), without running each
    inner product through the policy.  None (nothing done) when a saved value or gradient is
    of another floating dtype or the saved values were freed: the caller takes the general
    way, which also gives those cases their errors."""
    Tensor = _function._tensor.Tensor
    widen, narrow = _converters(low)
    saved = node._saved
    if type(saved) is not tuple:
        return None
    wide_saved = []
    for v in saved:
        if type(v) is Tensor or isinstance(v, Tensor):
            if v._dtype is low:
                wide = _widened(v)
                wide = Tensor._make(widen(v._data) if wide is None else wide, v.device)
                wide._vc = v._vc  # the same version counter: saved's checks still apply
                v = wide
            elif v._dtype.category >= D.FLOAT:
                return None
        elif getattr(v, "dtype", None) == low.np:
            v = widen(v)
        wide_saved.append(v)
    wide_grads = []
    for g in grads:
        if g is not None:
            if g._dtype is not low:
                return None
            g = Tensor._make(widen(g._data), g.device)
        wide_grads.append(g)
    node._saved = tuple(wide_saved)
    try:
        results = backward(*wide_grads)
    finally:
        node._saved = saved
    single = type(results) is not tuple
    rounded = []
    for r, edge in zip((results,) if single else results, node._edges):
        for g, wide in zip(grads, wide_grads):
            if r is wide and wide is not None:  # passed through (linear's bias): the original
                r = g
        if r is not None and r._dtype is D.float32 and edge[3] is low:
            if type(edge[0]) is _Cast and low is D.bfloat16 and _own_array(r, wide_saved):
                # to a cast's backward, which wants it in float32: rounded where it is, and
                # seen as bfloat16 (no copy either way)
                wide = round_in_float32(r._data, out=r._data)
                r = Tensor._make(bfloat16_view(wide), r.device)
                r._widened = wide
            else:
                r = Tensor._make(narrow(r._data), r.device)
        rounded.append(r)
    return rounded[0] if single else tuple(rounded)


def _own_array(r, wide_saved):
    """True when result ``r``'s array is a new float32 array of its own (a product's), not a
    view and not one of the float32 copies the backward was given: it may be changed."""
    a = r._data
    if type(a) is not np.ndarray or a.dtype != np.float32 or not a.flags.owndata:
        return False
    return a.flags.c_contiguous and not any(a is getattr(v, "_data", v) for v in wide_saved)


def _converters(low, exact=False):
    """(widen, narrow): ``low`` array -> float32 array of the same values, and float32 ->
    ``low`` rounded to nearest (``exact``: values that are ``low`` values already)."""
    if low is D.bfloat16:  # bit arithmetic (ember/_bfloat16.py), called directly: ~100 a step
        return widen_bfloat16, (truncate_to_bfloat16 if exact else round_to_bfloat16)

    def widen(a):
        return a.astype(np.float32)

    def narrow(a):
        return D.cast(a, low)

    return widen, narrow


def _all_bfloat16(tensors):
    """True when every floating input is bfloat16 (and one is): then the result is bfloat16
    too, and computing on float32 copies and rounding once gives torch's values."""
    found = False
    for t in tensors:
        if t._dtype is D.bfloat16:
            found = True
        elif t._dtype.category >= D.FLOAT:
            return False
    return found


def _eligible(t, device_type):
    """torch casts only floating tensors of the region's device type that are not float64."""
    return (t._dtype.category == D.FLOAT and t._dtype is not D.float64
            and t.device.type == device_type)


def _target_dtype(policy, tensors, device_type):
    """The dtype a policy casts the eligible inputs to."""
    if policy is _policy.BANNED:
        raise RuntimeError(_policy.BANNED_MESSAGE)
    low = state.dtype[device_type]
    if policy is _policy.LOWER:
        return low
    if policy is _policy.FP32:
        return D.float32
    # PROMOTE: the widest floating dtype among the eligible inputs, the region's dtype if none
    # (bfloat16 with float16 is float32, as torch's type promotion says)
    target = None
    for t in tensors:
        if _eligible(t, device_type):
            target = t._dtype if target is None else D.promote_types(target, t._dtype)
    return low if target is None else target


def _cast(t, dtype, device_type):
    """``t`` in ``dtype`` (a differentiable cast) if autocast casts it, else ``t`` itself.

    The weight cache: a float32 leaf that requires grad and is not a view (a parameter) is cast
    to the lower dtype once per outermost autocast region, however many ops use it."""
    if t._dtype is dtype or not _eligible(t, device_type):
        return t
    if (state.cache_enabled and t._requires_grad and t.grad_fn is None and t._base is None
            and t._dtype is D.float32 and dtype is not D.float32):
        key = (id(t), dtype)  # NOTE: with the dtype: an inner region may use the other one
        hit = state.cache.get(key)
        if hit is not None and hit[0] is t:
            return hit[1]
        cast = _cast_copy(t, dtype)
        state.cache[key] = (t, cast)  # holding t keeps its id from being reused
        return cast
    return _cast_copy(t, dtype)


class _Cast(ToCopy):
    """autocast's cast (torch's ToCopyBackward0 node).  Rounding a float32 tensor to bfloat16:
    with MKL (ember/_mkl.py) it writes bfloat16, which the products read as it is.  Without, it
    writes the rounded values as float32 (``round_in_float32``) and gives the new bfloat16
    tensor a view of their top halves (``bfloat16_view``); the float32 array goes on the tensor
    as ``_widened``: every product that reads the tensor, forward and backward, computes on it,
    so nothing is widened again.  Its backward takes such a float32 array when one comes with
    the gradient (``_backward_in_float32`` makes it, and so does MKL's weight gradient: a
    bfloat16 view of float32 values, ``float32_base``).  The arrays live as long as their
    tensors: a weight's until its gradient is made.
    NOTE: the casts of the weights and inputs were ~half of an autocast MLP step's extra time:
    one pass that writes 4 bytes a value instead of 2 + 4 (or a bfloat16 array widened again
    for each product)."""

    def forward(self, x):
        if self.dtype is D.bfloat16 and type(x) is np.ndarray and x.dtype == np.float32:
            if _mkl.available():  # MKL's products read bfloat16 as it is (ember/_mkl.py)
                return round_to_bfloat16(x)
            self.widened = round_in_float32(x)
            return bfloat16_view(self.widened)
        return super().forward(x)

    def backward(self, grad):
        wide = _widened(grad)
        if wide is None and type(grad._data) is np.ndarray and D.is_bfloat16(grad._data):
            wide = float32_base(grad._data)  # (MKL's weight gradients: ops/linalg.py)
        if wide is not None and self._edges[0][3] is D.float32 and not grad._requires_grad:
            return _function._tensor.Tensor._make(wide, grad.device)
        return super().backward(grad)


def _cast_copy(t, dtype):
    node = _Cast(dtype, None)
    cast = node.apply(t)
    wide = node.__dict__.pop("widened", None)
    if wide is not None:
        cast._widened = wide
    return cast


def _widened(t):
    """The float32 copy of a bfloat16 tensor's values that autocast made with it (None if it
    made none, or if the tensor was changed in place since: its version counter moved)."""
    wide = t._widened
    if wide is not None and (t._vc is None or t._vc.value == 0):
        return wide
    return None


def _forward_in_float32(node, low, exact=False, widened=None):
    """The node's forward, computing in float32 on the (already rounded) low-precision inputs
    and rounding its floating results to ``low``: what torch's kernels do (16-bit inputs,
    float32 accumulation, one rounding at the end).  NumPy has no fast 16-bit products, and
    this way every listed op gets the same numerics whatever its own forward does.
    ``exact``: the op's results are some of its inputs' values (relu, max-pooling), so they are
    bfloat16 values already and need no rounding, only their top 16 bits.
    ``widened``: per input, its float32 copy when autocast's cast made one (else None)."""
    forward = node.forward
    low_np = low.np
    widen, narrow = _converters(low, exact)
    if widened is not None:
        for w in widened:
            if w is not None:
                break
        else:
            widened = None  # none came with a float32 copy

    def run(*arrays):
        if widened is None:
            wide = tuple([widen(a) if a.dtype == low_np else a for a in arrays])
        else:
            wide = tuple([w if w is not None else widen(a) if a.dtype == low_np else a
                          for a, w in zip(arrays, widened)])
        out = forward(*wide)
        if type(out) is tuple:
            rounded = tuple([_narrowed(o, narrow) for o in out])
        else:
            rounded = _narrowed(out, narrow)
        # backward must read the rounded inputs the graph holds, not the float32 copies: put
        # them back in what forward saved (apply then recognizes them as the inputs), and the
        # same for an output it saved (relu's y)
        saved = getattr(node, "_saved", None)
        if saved:
            outs = out if type(out) is tuple else (out,)
            kept = rounded if type(out) is tuple else (rounded,)
            node._saved = tuple([_original(_original(v, wide, arrays), outs, kept)
                                 for v in saved])
        return rounded

    return run


def _original(value, wide, arrays):
    for w, a in zip(wide, arrays):
        if value is w:
            return a
    return value


def _narrowed(array, narrow):
    """A float32 result in the low dtype; other results (indices, float64) as they are."""
    if getattr(array, "dtype", None) == np.float32:
        return narrow(array)
    return array


# ---------------------------------------------------------------------------- functions

def wrap_function(fn, policies):
    """The wrapper that stands in for an ember function of policy.FUNCTIONS while autocast is
    on somewhere: in a thread with autocast on for the arguments' device, cast the tensor
    arguments by the policy, then run the function (FP32 and PROMOTE with autocast paused, so
    its inner ops are not cast again, as in torch); otherwise just call it."""

    @functools.wraps(fn)
    def at_entry(*args, **kwargs):
        if not state.on:
            return fn(*args, **kwargs)
        tensors = _tensors_in(args, kwargs)
        if not tensors:
            return fn(*args, **kwargs)
        device_type = tensors[0].device.type
        policy = policies.get(device_type)
        if policy is None or not state.enabled.get(device_type):
            return fn(*args, **kwargs)
        target = _target_dtype(policy, tensors, device_type)
        args = [_cast_argument(a, target, device_type) for a in args]
        kwargs = {k: _cast_argument(v, target, device_type) for k, v in kwargs.items()}
        if policy is _policy.LOWER:  # its products run under the node policy: float32 compute
            return fn(*args, **kwargs)
        # autocast paused for this thread while fn runs (state.on is what the hook reads first)
        state.on = False
        try:
            return fn(*args, **kwargs)
        finally:
            state.on = True

    return at_entry


def _tensors_in(args, kwargs):
    Tensor = _function._tensor.Tensor
    found = []
    for values in (args, kwargs.values()) if kwargs else (args,):
        for a in values:
            if isinstance(a, Tensor):
                found.append(a)
            elif isinstance(a, (list, tuple)):
                found.extend([x for x in a if isinstance(x, Tensor)])
    return found


def _cast_argument(a, dtype, device_type):
    Tensor = _function._tensor.Tensor
    if isinstance(a, Tensor):
        return _cast(a, dtype, device_type)
    if isinstance(a, (list, tuple)) and any(isinstance(x, Tensor) for x in a):
        return type(a)([_cast_argument(x, dtype, device_type) for x in a])
    return a


# ---------------------------------------------------------------------------- torch's API

def _check_device_type(device_type):
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    _device.device(device_type)  # torch's RuntimeError for an unknown device type


def is_autocast_available(device_type):
    """Whether autocast knows ``device_type`` (torch: cpu and cuda among others)."""
    _device.device(device_type)  # torch's error for an unknown device type
    return device_type in ("cpu", "cuda")


def is_autocast_enabled(device_type=None):
    """Whether autocast is on for ``device_type`` in this thread ('cuda' if not given)."""
    if device_type is None:
        device_type = "cuda"
    else:
        _device.device(device_type)
    return state.enabled.get(device_type, False)


def set_autocast_enabled(device_type, enabled=None):
    """``set_autocast_enabled(device_type, enabled)`` or torch's older ``(enabled)`` for cuda."""
    if enabled is None:
        device_type, enabled = "cuda", device_type
    _device.device(device_type)
    state.enabled[device_type] = bool(enabled)
    _sync()


def get_autocast_dtype(device_type):
    """The dtype autocast lowers to on ``device_type`` (bfloat16 on cpu, float16 on cuda)."""
    _device.device(device_type)
    return state.dtype.get(device_type, D.float16)


def set_autocast_dtype(device_type, dtype):
    _device.device(device_type)
    state.dtype[device_type] = dtype


def is_autocast_cache_enabled():
    return state.cache_enabled


def set_autocast_cache_enabled(enabled):
    state.cache_enabled = bool(enabled)


def clear_autocast_cache():
    """Forget the weight casts (autocast's outermost exit does this)."""
    state.cache.clear()


def autocast_increment_nesting():
    """One level deeper into autocast regions; returns the new depth."""
    state.nesting += 1
    return state.nesting


def autocast_decrement_nesting():
    """One level out; returns the new depth (0: outside every region)."""
    state.nesting -= 1
    return state.nesting


def _deprecated(old, device_type, new, arg=""):
    """torch's DeprecationWarning for the per-device spellings (is_autocast_cpu_enabled, ...)."""
    tail = f", {arg}" if arg else ""
    warnings.warn(f"torch.{old}({arg}) is deprecated. Please use torch.{new}('{device_type}'"
                  f"{tail}) instead.", DeprecationWarning, stacklevel=3)


def is_autocast_cpu_enabled():
    _deprecated("is_autocast_cpu_enabled", "cpu", "is_autocast_enabled")
    return is_autocast_enabled("cpu")


def set_autocast_cpu_enabled(enabled):
    _deprecated("set_autocast_cpu_enabled", "cpu", "set_autocast_enabled", "enabled")
    set_autocast_enabled("cpu", enabled)


def get_autocast_cpu_dtype():
    _deprecated("get_autocast_cpu_dtype", "cpu", "get_autocast_dtype")
    return get_autocast_dtype("cpu")


def set_autocast_cpu_dtype(dtype):
    _deprecated("set_autocast_cpu_dtype", "cpu", "set_autocast_dtype", "dtype")
    set_autocast_dtype("cpu", dtype)


def get_autocast_gpu_dtype():
    _deprecated("get_autocast_gpu_dtype", "cuda", "get_autocast_dtype")
    return get_autocast_dtype("cuda")


def set_autocast_gpu_dtype(dtype):
    _deprecated("set_autocast_gpu_dtype", "cuda", "set_autocast_dtype", "dtype")
    set_autocast_dtype("cuda", dtype)


def is_autocast_ipu_enabled():
    _deprecated("is_autocast_ipu_enabled", "ipu", "is_autocast_enabled")
    return state.enabled.get("ipu", False)


def set_autocast_ipu_enabled(enabled):
    _deprecated("set_autocast_ipu_enabled", "ipu", "set_autocast_enabled", "enabled")
    state.enabled["ipu"] = bool(enabled)
    _sync()


def get_autocast_ipu_dtype():
    _deprecated("get_autocast_ipu_dtype", "ipu", "get_autocast_dtype")
    return state.dtype["ipu"]


def set_autocast_ipu_dtype(dtype):
    _deprecated("set_autocast_ipu_dtype", "ipu", "set_autocast_dtype", "dtype")
    state.dtype["ipu"] = dtype


def is_autocast_xla_enabled():
    _deprecated("is_autocast_xla_enabled", "xla", "is_autocast_enabled")
    return state.enabled.get("xla", False)


def set_autocast_xla_enabled(enabled):
    _deprecated("set_autocast_xla_enabled", "xla", "set_autocast_enabled", "enabled")
    state.enabled["xla"] = bool(enabled)
    _sync()


def get_autocast_xla_dtype():
    _deprecated("get_autocast_xla_dtype", "xla", "get_autocast_dtype")
    return state.dtype["xla"]


def set_autocast_xla_dtype(dtype):
    _deprecated("set_autocast_xla_dtype", "xla", "set_autocast_dtype", "dtype")
    state.dtype["xla"] = dtype


_DEVICE_NAME = {"cpu": "CPU", "cuda": "CUDA", "xpu": "XPU", "mps": "MPS", "hpu": "HPU",
                "xla": "XLA", "ipu": "IPU", "mtia": "MTIA", "maia": "MAIA"}


class autocast:
    """``with ember.autocast(device_type, dtype=None, enabled=True, cache_enabled=None):`` or
    ``@ember.autocast(...)``: the listed ops of the region (policy.py) run in ``dtype``
    (default: bfloat16 on 'cpu', float16 on 'cuda') or in float32.

    Entering saves this thread's state for the device type and sets the region's; leaving
    restores it, so regions nest (an inner ``enabled=False`` turns autocast off inside).  The
    weight cast cache is dropped when the outermost region exits.  'cuda' on a machine without
    CUDA warns and runs disabled, as torch does."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        _check_device_type(device_type)
        self.device = device_type
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype
        self._cache_enabled = is_autocast_cache_enabled() if cache_enabled is None \
            else cache_enabled
        if enabled:
            if device_type == "cuda":
                if not _device.cuda_available():
                    # NOTE: a CPU-only torch does exactly this (warns, then runs disabled)
                    warnings.warn("CUDA is not available or torch_xla is imported. Disabling "
                                  "autocast.", stacklevel=2)
                    enabled = False
            elif self.fast_dtype not in (D.bfloat16, D.float16):
                name = _DEVICE_NAME.get(device_type, device_type.upper())
                warnings.warn(f"In {name} autocast, but the target dtype is not supported. "
                              f"Disabling autocast.\n{name} Autocast only supports dtypes of "
                              "torch.bfloat16, torch.float16 currently.", stacklevel=2)
                enabled = False
        self._enabled = bool(enabled)

    def __enter__(self):
        self.prev_cache_enabled = state.cache_enabled
        self.prev = state.enabled.get(self.device, False)
        self.prev_fastdtype = get_autocast_dtype(self.device)
        state.enabled[self.device] = self._enabled
        state.dtype[self.device] = self.fast_dtype
        state.nesting += 1
        state.cache_enabled = self._cache_enabled
        _sync()
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        state.nesting -= 1
        if state.nesting == 0:
            state.cache.clear()
        state.enabled[self.device] = self.prev
        state.dtype[self.device] = self.prev_fastdtype
        state.cache_enabled = self.prev_cache_enabled
        _sync()
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def decorate_autocast(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return decorate_autocast


# ---------------------------------------------------------------------------- custom Functions

def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """Decorator for a custom ``autograd.Function``'s ``forward``.  With ``cast_inputs`` (a
    dtype), inside an autocast region the floating tensor arguments are cast to it and forward
    runs with autocast off; without, forward runs in the current autocast state, and
    ``custom_bwd`` makes backward run in that same state."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        ctx = args[0]
        ctx._dtype = get_autocast_dtype(device_type)
        if cast_inputs is None or not is_autocast_enabled(device_type):
            ctx._fwd_used_autocast = cast_inputs is None and is_autocast_enabled(device_type)
            return fwd(*args, **kwargs)
        ctx._fwd_used_autocast = False
        with autocast(device_type=device_type, enabled=False):
            args = [_cast_to(a, device_type, cast_inputs) for a in args]
            kwargs = {k: _cast_to(v, device_type, cast_inputs) for k, v in kwargs.items()}
            return fwd(*args, **kwargs)

    return decorate_fwd


def custom_bwd(bwd=None, *, device_type):
    """Decorator for a custom ``autograd.Function``'s ``backward``: it runs with the autocast
    state (on/off and dtype) its forward ran with."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        ctx = args[0]
        with autocast(device_type=device_type, enabled=ctx._fwd_used_autocast,
                      dtype=ctx._dtype):
            return bwd(*args, **kwargs)

    return decorate_bwd


def _cast_to(value, device_type, dtype):
    """custom_fwd's cast: floating tensors of the device type (float64 too, as torch) to
    ``dtype``; lists, tuples and dicts are walked; anything else is returned as it is."""
    Tensor = _function._tensor.Tensor
    if isinstance(value, Tensor):
        if value.is_floating_point() and value.device.type == device_type:
            return value.to(dtype)
        return value
    if isinstance(value, (list, tuple)):
        return type(value)([_cast_to(v, device_type, dtype) for v in value])
    if isinstance(value, dict):
        return {k: _cast_to(v, device_type, dtype) for k, v in value.items()}
    return value
