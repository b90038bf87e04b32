"""Atomic file writes: a reader (or a crash) never sees a half-written file.

The bytes go to a temporary file in the same directory, are flushed and ``fsync``-ed, and the
temporary file is renamed over the target with ``os.replace`` (atomic on POSIX and Windows);
the directory is then ``fsync``-ed so the rename itself survives a power cut. If anything fails
the target keeps its old content and the temporary file is removed.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO


def atomic_write(
    path: str | Path, write: Callable[[BinaryIO], None], *, durable: bool = True
) -> Path:
    """Call ``write(file)`` on a temporary file, then move it over ``path`` atomically.

    With ``durable`` the file and the directory are ``fsync``-ed, so the new content survives a
    power cut too; without it a reader still never sees a partial file, but a crash of the
    machine (not just of the process) may keep the old one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    # os.open honours the umask, unlike tempfile's 0600, so the file gets the usual mode.
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(descriptor, "wb") as file:
            write(file)
            file.flush()
            if durable:
                os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        with suppress(FileNotFoundError):
            temporary.unlink()
        if isinstance(error, OSError) and error.errno is not None:
            # name the file the user asked for, not the temporary one
            raise OSError(error.errno, error.strerror, str(path)) from error
        raise
    if durable:
        fsync_directory(path.parent)
    return path


def atomic_write_text(path: str | Path, text: str, *, durable: bool = True) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write(path, lambda file: file.write(text.encode("utf-8")), durable=durable)


def fsync_directory(directory: Path) -> None:
    """Flush a directory entry to disk (a no-op where directories cannot be opened)."""
    with suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
