"""L-BFGS: a quasi-Newton method that re-evaluates the loss through a closure.

The line search lives in ``_line_search.py``; this file has the two-loop recursion.
"""

from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad
from ._line_search import strong_wolfe
from .optimizer import Optimizer, _check_lr, _value, _xp


class LBFGS(Optimizer):
    """L-BFGS (Nocedal, 1980; Liu and Nocedal, 1989), after minFunc as torch's.

    All parameters are seen as one flat vector x with gradient g. Each call of ``step(closure)``
    runs up to ``max_iter`` iterations:
        d = -H g        the direction, H g from the last ``history_size`` pairs
                        (s = x_k+1 - x_k, y = g_k+1 - g_k) by the two-loop recursion, with
                        the initial H = (s.y / y.y) I; a pair is kept only if s.y > 1e-10
        t = min(1, 1 / sum|g|) * lr  on the very first iteration, lr afterwards
        x = x + t d     (or t from the strong-Wolfe line search, line_search_fn='strong_wolfe')
    and stops early when max|g| <= tolerance_grad, when max|t d| or the change of the loss is
    below tolerance_change, or after ``max_eval`` evaluations of the closure.

    Args:
        params: parameters (one group only)
        lr (float or 0-dim Tensor, default 1), max_iter (int, default 20),
        max_eval (int, default max_iter * 5 // 4), tolerance_grad (float, default 1e-7),
        tolerance_change (float, default 1e-9), history_size (int, default 100),
        line_search_fn (None or 'strong_wolfe', default None)
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        _check_lr(lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    # ------------------------------------------------------------------ the flat vector

    def _flat_grad(self):
        """All gradients as one vector (zeros for a parameter without one)."""
        xp = _xp(self._params[0]._data)
        parts = [xp.zeros(p._data.size, p._data.dtype) if p.grad is None
                 else p.grad._data.reshape(-1) for p in self._params]
        return xp.concatenate(parts)

    def _add_to_params(self, t, d):
        """x = x + t d, in place on every parameter."""
        offset = 0
        for p in self._params:
            n = p._data.size
            p._data += (t * d[offset:offset + n]).reshape(p._data.shape)
            p._counter().value += 1
            offset += n

    def _evaluate_at(self, closure, x, t, d):
        """Loss and gradient at x + t d, then put the parameters back to x."""
        self._add_to_params(t, d)
        loss = float(closure())
        flat_grad = self._flat_grad()
        for p, saved in zip(self._params, x):
            p._data[...] = saved
            p._counter().value += 1
        return loss, flat_grad

    def step(self, closure):
        """Run up to max_iter iterations; ``closure()`` must recompute the loss and gradients.

        Returns the loss from the first evaluation of the closure.
        """
        def evaluate():
            with enable_grad():
                return closure()

        group = self.param_groups[0]
        lr = _value(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = evaluate()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        xp = _xp(flat_grad)
        if xp.abs(flat_grad).max() <= tolerance_grad:
            return orig_loss

        # NOTE: t is kept as a tensor when it is one in torch (a step from the line search);
        # it must come back as an array too, or s = d * t becomes a tensor and the maths
        # below mixes tensors with arrays
        d, t = _array(state.get("d")), _array(state.get("t"))
        old_dirs = [_array(v) for v in state.get("old_dirs", [])]
        old_stps = [_array(v) for v in state.get("old_stps", [])]
        ro = [_array(v) for v in state.get("ro", [])]
        H_diag = _array(state.get("H_diag"))
        prev_flat_grad = _array(state.get("prev_flat_grad"))
        prev_loss = state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = y.dot(s)
                if ys > 1e-10:  # keep the pair only while the curvature is positive
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / y.dot(y)
                d = _two_loop(flat_grad, old_dirs, old_stps, ro, H_diag, state, history_size)

            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / xp.abs(flat_grad).sum()) * lr
            else:
                t = lr
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:  # not a descent direction
                break

            ls_func_evals = 0
            if group["line_search_fn"] is not None:
                if group["line_search_fn"] != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = [p._data.copy() for p in self._params]

                def obj_func(x, step, direction):
                    return self._evaluate_at(evaluate, x, step, direction)

                loss, flat_grad, t, ls_func_evals = strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd,
                    max_ls=max_eval - current_evals)
                self._add_to_params(t, d)
                opt_cond = xp.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_to_params(t, d)
                opt_cond = False
                if n_iter != max_iter:  # re-evaluate, unless this was the last iteration
                    loss = float(evaluate())
                    flat_grad = self._flat_grad()
                    opt_cond = xp.abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if xp.abs(d * t).max() <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        device = self._params[0].device
        state["d"] = _tensor(d, device)
        state["t"] = _number(t, device)
        state["old_dirs"] = [_tensor(v, device) for v in old_dirs]
        state["old_stps"] = [_tensor(v, device) for v in old_stps]
        state["ro"] = [_tensor(v, device) for v in ro]
        state["H_diag"] = _number(H_diag, device)
        state["prev_flat_grad"] = _tensor(prev_flat_grad, device)
        state["prev_loss"] = prev_loss
        if "al" in state:  # made by the first two-loop recursion, history_size long
            state["al"] = [_number(v, device) for v in state["al"]]
        return orig_loss


def _two_loop(flat_grad, old_dirs, old_stps, ro, H_diag, state, history_size):
    """d = -H g by the L-BFGS two-loop recursion over the kept (s, y) pairs."""
    if "al" not in state:
        state["al"] = [None] * history_size
    al = state["al"]
    q = -flat_grad
    for i in range(len(old_dirs) - 1, -1, -1):
        al[i] = old_stps[i].dot(q) * ro[i]
        q -= al[i] * old_dirs[i]
    r = q * H_diag
    for i in range(len(old_dirs)):
        be_i = old_dirs[i].dot(r) * ro[i]
        r += (al[i] - be_i) * old_stps[i]
    return r


def _array(value):
    """A state value as an array (state may hold ember tensors, e.g. after load_state_dict)."""
    return value._data if isinstance(value, Tensor) else value


def _tensor(value, device):
    return None if value is None else Tensor._make(value, device)


def _number(value, device):
    """Scalars that torch keeps as 0-dim tensors (array scalars here) become tensors too."""
    if hasattr(value, "dtype"):
        return Tensor._make(value, device)
    return value
