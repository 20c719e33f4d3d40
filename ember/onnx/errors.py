"""ember.onnx's errors, under torch.onnx's names."""

__all__ = ["OnnxExporterError", "UnsupportedOperatorError"]


class OnnxExporterError(RuntimeError):
    """The model could not be exported (same class as torch.onnx.OnnxExporterError)."""


class UnsupportedOperatorError(OnnxExporterError):
    """An op of the model has no ONNX mapping; the message names the op and the module path."""
