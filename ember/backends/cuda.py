"""ember.backends.cuda: torch.backends.cuda's flags and questions.

``is_built()`` is True when CuPy (ember's CUDA backend) is installed.
``matmul.allow_tf32`` follows ``ember.set_float32_matmul_precision`` as in torch ('highest'
means False); ember's products stay float32 whatever it says.  The scaled-dot-product
attention switches are recorded (ember has one attention kernel, the maths one).
"""

import importlib.util

from .. import _setup

__all__ = ["is_built", "matmul", "enable_flash_sdp", "enable_mem_efficient_sdp",
           "enable_math_sdp", "enable_cudnn_sdp", "flash_sdp_enabled",
           "mem_efficient_sdp_enabled", "math_sdp_enabled", "cudnn_sdp_enabled"]


def is_built():
    """Whether ember can run CUDA tensors on this install (CuPy present; a GPU is another
    question: ``ember.cuda.is_available()``)."""
    return importlib.util.find_spec("cupy") is not None


class cuBLASModule:
    """``ember.backends.cuda.matmul``: the cuBLAS flags (unknown names raise, as torch)."""

    _FLAGS = ("allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction")

    def __init__(self):
        object.__setattr__(self, "_values", dict.fromkeys(self._FLAGS, True))

    def __getattr__(self, name):
        if name == "allow_tf32":
            return _setup.get_float32_matmul_precision() != "highest"
        if name in self._FLAGS:
            return self._values[name]
        raise AttributeError(f"Unknown attribute {name}")

    def __setattr__(self, name, value):
        if name == "allow_tf32":
            _setup.set_float32_matmul_precision("high" if value else "highest")
        elif name in self._FLAGS:
            self._values[name] = bool(value)
        else:
            raise AttributeError(f"Unknown attribute {name}")


matmul = cuBLASModule()

_sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def enable_flash_sdp(enabled):
    _sdp["flash"] = bool(enabled)


def enable_mem_efficient_sdp(enabled):
    _sdp["mem_efficient"] = bool(enabled)


def enable_math_sdp(enabled):
    _sdp["math"] = bool(enabled)


def enable_cudnn_sdp(enabled):
    _sdp["cudnn"] = bool(enabled)


def flash_sdp_enabled():
    return _sdp["flash"]


def mem_efficient_sdp_enabled():
    return _sdp["mem_efficient"]


def math_sdp_enabled():
    return _sdp["math"]


def cudnn_sdp_enabled():
    return _sdp["cudnn"]
