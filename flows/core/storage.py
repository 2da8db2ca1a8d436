"""Uploaded photos: checked by content, stored under a random name outside the static folder,
behind one small interface so that every web node sees them: a directory (a shared mount when
there are several machines) or an S3-compatible object store (`YIJIA_STORAGE_S3_BUCKET`,
through boto3, the AWS SDK every S3-compatible store answers)."""
from __future__ import annotations

import io
import os
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

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
    """Uploads named by 128 random bits: what every store checks before it keeps a file."""

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
        self._put(key, data)
        return key

    def size(self, key: str) -> int | None:
        """The stored file's size in bytes, or None for a key that is malformed or missing."""
        return self._size(key) if is_storage_key(key) else None

    def open(self, key: str) -> Path | BinaryIO | None:
        """The file to send for a key (a path, or its bytes), or None when malformed or missing."""
        return self._open(key) if is_storage_key(key) else None

    def delete(self, key: str) -> bool:
        """Remove a stored file (a person's photos when they are erased); whether it was there."""
        return self._delete(key) if is_storage_key(key) else False

    def _put(self, key: str, data: bytes) -> None:
        raise NotImplementedError

    def _delete(self, key: str) -> bool:
        raise NotImplementedError

    def _size(self, key: str) -> int | None:
        raise NotImplementedError

    def _open(self, key: str) -> Path | BinaryIO | None:
        raise NotImplementedError


class DirectoryStorage(Storage):
    """A directory of uploads, two hex digits of fan-out (a shared mount for several machines)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        tmp = path.with_suffix(".part")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)  # readers never see half a file
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StorageRefused("storage.disk") from exc

    def _delete(self, key: str) -> bool:
        path = self._path(key)
        if not path.is_file():
            return False
        path.unlink()
        return True

    def _size(self, key: str) -> int | None:
        path = self._path(key)
        return path.stat().st_size if path.is_file() else None

    def _open(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key


class ObjectStorage(Storage):
    """A bucket of an S3-compatible object store. Credentials come from the SDK's usual chain
    (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a credentials file, an instance role), never from
    Yijia's settings; an object is written whole or not at all, so readers never see half."""

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None, region: str | None = None):
        self.bucket, self.prefix = bucket, prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client: Any = _client(endpoint_url, region)

    def _put(self, key: str, data: bytes) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data,
                                   ContentType=TYPES[key.rsplit(".", 1)[1]])
        except (BotoCoreError, ClientError) as exc:
            raise StorageRefused("storage.disk") from exc

    def _delete(self, key: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            found = self._size(key) is not None
            if found:
                self.client.delete_object(Bucket=self.bucket, Key=self._name(key))
        except (BotoCoreError, ClientError) as exc:
            raise StorageRefused("storage.disk") from exc
        return found

    def _size(self, key: str) -> int | None:
        from botocore.exceptions import ClientError

        try:
            return int(self.client.head_object(Bucket=self.bucket, Key=self._name(key))["ContentLength"])
        except ClientError as exc:
            if _missing(exc):
                return None
            raise

    def _open(self, key: str) -> BinaryIO | None:
        from botocore.exceptions import ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
        return io.BytesIO(answer["Body"].read())  # at most MAX_BYTES: an upload's bound

    def _name(self, key: str) -> str:
        return f"{self.prefix}{key[:2]}/{key}"


TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def configured(directory: Path | None = None) -> Storage:
    """The store the settings name: the bucket when one is set, else the directory (`directory`
    overrides the settings' one: a test's or an app's own)."""
    from schemas.settings import get_settings

    settings = get_settings()
    if settings.storage_s3_bucket and directory is None:
        return ObjectStorage(settings.storage_s3_bucket, settings.storage_s3_prefix, settings.storage_s3_endpoint_url,
                             settings.storage_s3_region)
    return DirectoryStorage(directory or settings.storage_dir)


def _missing(error: Any) -> bool:
    """A missing object: 404, or 403 where the credentials may not list the bucket (S3 then
    hides whether a key exists); docs/deploy.md asks for read, write, delete and list."""
    return error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound", "403", "AccessDenied")


@lru_cache(maxsize=8)  # a client is thread-safe once made
def _client(endpoint_url: str | None, region: str | None) -> Any:
    """One client per process and endpoint (making one costs tens of milliseconds; they are
    thread-safe)."""
    import boto3
    from botocore.config import Config

    # a session of its own: boto3's default one is not safe to build clients from in threads
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url, region_name=region,
                        config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5,
                                      read_timeout=30))
