"""ember.func: torch.func's composable transforms (grad, vjp, jvp, jacrev, jacfwd, hessian,
vmap) and functional_call / stack_module_state.

The transforms live in _transforms.py (all built on ember's reverse-mode autograd), vmap in
_vmap.py (a loop over the batch dim), the module helpers in _module_state.py.
"""

from ._module_state import functional_call, stack_module_state
from ._transforms import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp
from ._vmap import vmap

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap",
           "functional_call", "stack_module_state"]

from ._tail import (  # noqa: E402
    debug_unwrap,
    functionalize,
    linearize,
    replace_all_batch_norm_modules_,
)

__all__ += ["debug_unwrap", "functionalize", "linearize", "replace_all_batch_norm_modules_"]
