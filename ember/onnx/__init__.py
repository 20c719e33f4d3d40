"""ember.onnx: importable so that scripts load; ``export`` is a named gap until ember writes
ONNX files."""

__all__ = ["export"]


def export(model, *args, **kwargs):
    """Not there yet: raises NotImplementedError naming the gap."""
    raise NotImplementedError(
        f"ember cannot export ONNX yet (export of {type(model).__name__} with "
        f"{len(args) + len(kwargs)} more arguments): ember.onnx.export is a named gap; save "
        f"the weights with ember.save and export from torch")
