"""ONNX for cnnlab: export a model by tracing the engine's graph, and load ONNX CNNs into it.

``export(model, args, f, ...)`` has ``torch.onnx.export``'s signature; ``load(path)`` returns a
cnnlab ``nn.Module``. Needs the ``onnx`` package (``pip install "cnnlab[onnx]"``, which also
brings ``onnxruntime`` to run the files).
"""

try:
    import onnx as _onnx
except ImportError as error:  # pragma: no cover - exercised only without the extra
    raise ImportError('cnnlab.onnx needs the onnx package: pip install "cnnlab[onnx]"') from error

from cnnlab.onnx.errors import OnnxExportError, OnnxImportError
from cnnlab.onnx.export import DEFAULT_OPSET, describe, export
from cnnlab.onnx.graph import EMITTERS, emits
from cnnlab.onnx.import_node import IMPORTERS, importer
from cnnlab.onnx.load import OnnxModule, load, read_model

__all__ = [
    "DEFAULT_OPSET",
    "EMITTERS",
    "IMPORTERS",
    "OnnxExportError",
    "OnnxImportError",
    "OnnxModule",
    "describe",
    "emits",
    "export",
    "importer",
    "load",
    "read_model",
]
