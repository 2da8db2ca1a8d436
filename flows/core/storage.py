"""Uploaded proof photos: checked by content, stored under a random name outside the static
folder, behind one small interface so the directory can be a shared mount (or, later, an
object store) that every web worker and machine sees."""
from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from flows.core.refusals import Refused

STORAGE_KEY = re.compile(r"^[0-9a-f]{32}\.(jpg|png|webp)$")
SIGNATURES = {b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png"}
MAX_BYTES = 5 * 1024 * 1024


def is_storage_key(value: str) -> bool:
    """Whether `value` is a key this storage could have made (128 random bits and a type)."""
    return bool(STORAGE_KEY.match(value))


class StorageRefused(Refused):
    """The upload was not stored, for a reason the user can act on (a `storage.*` message)."""


def sniff(data: bytes) -> str | None:
    """The image type by its first bytes (never by the file name or the browser's word)."""
    for magic, ext in SIGNATURES.items():
        if data.startswith(magic):
            return ext
    if len(data) > 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


class Storage:
    """A directory of uploads named by 128 random bits."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def save(self, data: bytes, max_bytes: int = MAX_BYTES) -> str:
        """Store an image; returns its key. Raises StorageRefused, rendered in the reader's language."""
        if not data:
            raise StorageRefused("storage.empty")
        if len(data) > max_bytes:
            raise StorageRefused("storage.too_large", {"limit": max_bytes // (1024 * 1024)})
        ext = sniff(data)
        if ext is None:
            raise StorageRefused("storage.type")
        key = f"{secrets.token_hex(16)}.{ext}"
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)  # readers never see half a file
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StorageRefused("storage.disk") from exc
        return key

    def path(self, key: str) -> Path | None:
        """The file for a key, or None for a key that is malformed or missing."""
        if not is_storage_key(key):
            return None
        path = self._path(key)
        return path if path.is_file() else None

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key
