"""DataParallel on one device: the wrapper scripts put around their model.

torch's DataParallel splits each batch over several GPUs.  On a CPU-only machine torch's
wrapper just calls the module (its ``device_ids`` become ``[]``), and so does ember's; with one
GPU the inputs are moved to it and the module runs there.  Splitting over several GPUs is
ember.distributed's job (not there yet) and raises NotImplementedError.  The wrapper keeps the
module as ``.module``, so ``state_dict`` keys start with ``module.`` as in torch.
"""

from ... import _device
from ..modules.module import Module

__all__ = ["DataParallel", "data_parallel"]


def _device_indices(device_ids):
    """GPU indices from ints, 'cuda:i' strings or devices (None: every GPU)."""
    from ... import cuda

    if device_ids is None:
        return list(range(cuda.device_count()))
    return [d if isinstance(d, int) else (_device.device(d).index or 0) for d in device_ids]


def _to_device(value, dev):
    if hasattr(value, "to") and hasattr(value, "device") and not isinstance(value, Module):
        return value.to(dev)
    if isinstance(value, (list, tuple)):
        return type(value)(_to_device(v, dev) for v in value)
    if isinstance(value, dict):
        return {k: _to_device(v, dev) for k, v in value.items()}
    return value


class DataParallel(Module):
    """``DataParallel(module, device_ids=None, output_device=None, dim=0)``.

    Without a GPU: ``forward`` calls ``module`` as it is and ``device_ids`` is ``[]`` (as a
    CPU-only torch; the other arguments are not used then).  With GPUs: one device runs the
    module on ``cuda:device_ids[0]`` (inputs moved there; outputs left there, which is
    ``output_device`` when it is the same GPU); more devices raise NotImplementedError."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        if not _device.cuda_available():
            self.device_ids = []
            return
        ids = _device_indices(device_ids)
        out = ids[0] if output_device is None else _device_indices([output_device])[0]
        if len(ids) > 1 or out != ids[0]:
            raise NotImplementedError(
                f"ember's DataParallel runs on one device; splitting batches over "
                f"{len(ids)} GPUs (dim={dim}) and gathering on cuda:{out} needs "
                f"ember.distributed, which ember does not have yet. Use device_ids=[0].")
        self.device_ids = ids
        self.output_device = out
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        dev = _device.device("cuda", self.device_ids[0])
        return self.module(*_to_device(inputs, dev), **_to_device(kwargs, dev))


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0,
                  module_kwargs=None):
    """The functional form: ``DataParallel(module, ...)(*inputs, **module_kwargs)``; without a
    GPU torch's RuntimeError (unlike the class, the function needs one)."""
    if not _device.cuda_available():
        raise RuntimeError("device type could not be determined\n  ember: data_parallel needs "
                           "a GPU (ember.cuda.is_available() is False); call the module itself")
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    wrapper = DataParallel(module, device_ids, output_device, dim)
    return wrapper(*inputs, **(module_kwargs or {}))
