"""Media store: where every media file lives, under versioned keys per channel/date/asset/attempt.

Writes are atomic (temporary file, then rename), so a failed step never leaves a half-written file that a
later step could pick up.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from abc import abstractmethod
from pathlib import Path

import dagster as dg

from storyvid_assets.models import MediaRef


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class MediaStore(dg.ConfigurableResource):
    """Stores media bytes under keys and hands out local paths for tools such as ffmpeg."""

    @abstractmethod
    def put_bytes(self, key: str, data: bytes, content_type: str) -> MediaRef: ...

    @abstractmethod
    def put_file(self, key: str, path: Path, content_type: str) -> MediaRef:
        """Store the file at ``path`` (moved or uploaded) under ``key``."""

    @abstractmethod
    def local_path(self, key: str) -> Path:
        """A local filesystem path holding the object's bytes (downloaded first for remote stores)."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def scratch_dir(self) -> Path:
        """A local folder for temporary work files, on the same filesystem as local objects."""

    def read_bytes(self, key: str) -> bytes:
        return self.local_path(key).read_bytes()


class LocalMediaStore(MediaStore):
    """Media on the local filesystem under ``root``."""

    root: str

    def _path(self, key: str) -> Path:
        if key.startswith("/") or ".." in Path(key).parts:
            raise ValueError(f"media key {key!r} must be relative and stay inside the store")
        return Path(self.root) / key

    def scratch_dir(self) -> Path:
        path = Path(self.root) / ".scratch"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def put_bytes(self, key: str, data: bytes, content_type: str) -> MediaRef:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return MediaRef(key=key, sha256=sha256_bytes(data), bytes=len(data), content_type=content_type)

    def put_file(self, key: str, path: Path, content_type: str) -> MediaRef:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if Path(path).resolve() != target.resolve():
            tmp = target.with_name(f".tmp-{os.getpid()}-{target.name}")
            shutil.move(str(path), tmp)
            os.replace(tmp, target)
        return MediaRef(key=key, sha256=sha256_file(target), bytes=target.stat().st_size, content_type=content_type)

    def local_path(self, key: str) -> Path:
        path = self._path(key)
        if not path.exists():
            raise FileNotFoundError(f"media store has no object {key!r} (looked in {path})")
        return path

    def exists(self, key: str) -> bool:
        return self._path(key).exists()
