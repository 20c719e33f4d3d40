"""``ember.get_device_module``: the module of calls for a device type (ember.cuda, ember.cpu),
as torch.get_device_module."""

__all__ = ["get_device_module"]


def get_device_module(device=None):
    """The device module of ``device`` (a device, a string like 'cuda:0', or None for the
    current accelerator, else the CPU): ember.cuda for 'cuda', ember.cpu for 'cpu'."""
    import ember

    from . import _device

    if device is None:
        kind = "cuda" if _device.cuda_available() else "cpu"
    else:
        kind = _device.device(device).type
    if kind == "meta":
        raise RuntimeError("Device 'meta' does not have a corresponding module registered as "
                           "'torch.meta'.")
    return getattr(ember, kind)
