"""The errors of ONNX export and import: ``ValueError``s whose message says what is wrong."""

from __future__ import annotations


class OnnxExportError(ValueError):
    """A model cannot be exported: the message names the op and the layer, or the argument."""


class OnnxImportError(ValueError):
    """An ONNX file cannot be read or run by the engine: the message names the file, and the
    node and op where one is at fault."""
