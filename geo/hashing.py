"""The one SHA-256 helper: the fingerprint written to the history of every import,
upload and restore."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import BinaryIO


def sha256_of(source: BinaryIO | str | Path | bytes) -> str:
    """SHA-256 (hex) of bytes, of a file named by its path, or of a file object's content
    (read from its start, in chunks; its position is restored)."""
    digest = hashlib.sha256()
    if isinstance(source, bytes | bytearray | memoryview):
        digest.update(source)
        return digest.hexdigest()
    if isinstance(source, str | Path):
        with Path(source).open("rb") as fh:
            return sha256_of(fh)
    pos = source.tell()
    source.seek(0)
    for chunk in iter(lambda: source.read(1 << 20), b""):
        digest.update(chunk)
    source.seek(pos)
    return digest.hexdigest()
