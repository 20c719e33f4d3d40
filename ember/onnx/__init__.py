"""ember.onnx: write a model as an ONNX file (torch.onnx's export and is_in_onnx_export).

``export`` runs the model once in eval mode while ember records the op nodes it builds
anyway (ember/onnx/_trace.py), then maps each op to ONNX nodes with the ``onnx`` package
(ember/onnx/_ops.py, _modules.py): see docs/architecture.md, "ONNX export".  ``onnx`` (and
``onnxruntime`` for ember.onnx.check) come with ``pip install 'ember[onnx]'``; ember imports
them only when exporting.
"""

from . import check, errors
from ._export import DEFAULT_OPSET, export
from ._trace import is_in_onnx_export
from .errors import OnnxExporterError, UnsupportedOperatorError

__all__ = ["export", "is_in_onnx_export", "OnnxExporterError", "UnsupportedOperatorError",
           "errors", "check", "DEFAULT_OPSET", "supported_ops"]


def supported_ops():
    """The names of the ember op nodes and modules the exporter maps, sorted."""
    from ._modules import MODULES
    from ._ops import OPS
    return sorted(OPS) + sorted(f"nn.{name}" for _, name in MODULES)
