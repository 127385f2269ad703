"""ONNX, both ways: :func:`export` writes a neurona model as an ONNX file (checked in onnxruntime by the
tests), :func:`load` builds a trainable neurona Module from an ONNX file (neurona's own or
``torch.onnx.export``'s). Needs the extra: ``pip install 'neurona[onnx]'``. See docs/onnx.md.
"""

from neurona.onnx._graph import ExportError, OnnxImportError, UnsupportedOpError, Value
from neurona.onnx.export import DEFAULT_OPSET, export
from neurona.onnx.export_layers import register_exporter
from neurona.onnx.load import OnnxModule, load

__all__ = ["DEFAULT_OPSET", "ExportError", "OnnxImportError", "OnnxModule", "UnsupportedOpError", "Value", "export",
           "load", "register_exporter"]
