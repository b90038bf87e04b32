"""The legacy ``.pt`` format (``torch.save(..., _use_new_zipfile_serialization=False)``)."""

from __future__ import annotations

from typing import Any

# every legacy file starts with the pickle of its magic number, protocol 2
LEGACY_START = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19."


def load_legacy(data: bytes, source: str, locate, encoding: str) -> Any:
    raise NotImplementedError(
        f"{source}: the legacy (non-zip) torch.save format is not supported; re-save the file "
        "with torch.save's default zip format"
    )
