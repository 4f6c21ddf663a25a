"""Media store on S3 (or any S3-compatible server such as MinIO), for production deployments.

Objects live at ``s3://<bucket>/<prefix>/<key>``. Each object carries its SHA-256 (computed locally before
upload) as the ``sha256`` user metadata; downloads are checked against it. Uploads are atomic: S3 shows an
object only once a PUT (or a multipart upload) completes, and a failed multipart upload is aborted.

Local tools such as ffmpeg need files, so ``local_path`` downloads into a cache folder keyed by the object key
and its ETag: a changed object gets a new cache entry, an unchanged one is reused after one HEAD request.
Cache entries appear by rename, never half-written. The cache is never pruned by StoryVid; deleting it at any
time is safe.

Credentials come from the default AWS chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, a profile, an
instance or pod role); they are never logged and never appear in errors.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from dagster_aws.s3 import S3Resource
from pydantic import Field, PrivateAttr

from storyvid_assets.errors import ProviderError
from storyvid_assets.models import MediaRef
from storyvid_assets.resources.storage.media_store import MediaStore, sha256_bytes, sha256_file

SHA256_METADATA = "sha256"
S3_MIN_PART_BYTES = 5 * 1024 * 1024
_PROVIDER = "s3 media store"
_RETRYABLE_CODES = {
    "PreconditionFailed",
    "412",
    "SlowDown",
    "Throttling",
    "RequestTimeout",
    "InternalError",
    "ServiceUnavailable",
    "503",
    "500",
}
_MISSING_CODES = {"404", "NoSuchKey", "NotFound"}
_CLIENTS: dict[tuple[Any, ...], Any] = {}


def object_key(prefix: str, key: str) -> str:
    """``<prefix>/<key>``; the media key must be relative and must not climb out with ``..``."""
    if not key or key.startswith("/") or ".." in key.split("/"):
        raise ValueError(f"media key {key!r} must be relative and stay inside the store")
    prefix = prefix.strip("/")
    return f"{prefix}/{key}" if prefix else key


def cache_entry(cache_root: Path, bucket: str, s3_key: str, etag: str) -> Path:
    """Where the object's bytes for this ETag live locally: ``<root>/<hash of bucket+key>/<etag>/<name>``."""
    key_hash = hashlib.sha256(f"{bucket}/{s3_key}".encode()).hexdigest()[:32]
    safe_etag = re.sub(r"[^A-Za-z0-9-]", "", etag) or "no-etag"
    return cache_root / key_hash / safe_etag / s3_key.rsplit("/", 1)[-1]


def _error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def provider_error(error: Exception, action: str, location: str) -> ProviderError:
    """A ProviderError that says what failed and how to fix it; boto's messages carry no secrets."""
    from botocore.exceptions import (
        ConnectionError as BotoConnectionError,
    )
    from botocore.exceptions import (
        NoCredentialsError,
        PartialCredentialsError,
    )

    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return ProviderError(
            _PROVIDER,
            f"{action} {location}: no AWS credentials found. Fix: set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, or give the machine/pod an IAM role)",
        )
    if isinstance(error, BotoConnectionError):
        return ProviderError(
            _PROVIDER,
            f"{action} {location}: cannot reach the S3 endpoint ({type(error).__name__}). Fix: check "
            "STORYVID_S3_ENDPOINT_URL / AWS_ENDPOINT_URL_S3 and the network",
            retryable=True,
        )
    code = _error_code(error)
    if code == "NoSuchBucket":
        return ProviderError(
            _PROVIDER,
            f"{action} {location}: the bucket does not exist. Fix: create it or "
            "set STORYVID_S3_BUCKET to an existing bucket",
        )
    if code in {"AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"}:
        return ProviderError(
            _PROVIDER,
            f"{action} {location}: access denied ({code}). Fix: check the "
            "credentials and that their policy allows s3:GetObject/PutObject on the prefix",
        )
    return ProviderError(
        _PROVIDER, f"{action} {location} failed: {code or type(error).__name__}", retryable=code in _RETRYABLE_CODES
    )


class S3MediaStore(MediaStore):
    """Media in ``s3://<bucket>/<prefix>/``, with a local download cache for tools that need files."""

    s3: S3Resource = Field(description="Endpoint, region and (default-chain) credentials of the S3 service.")
    bucket: str = Field(description="Bucket holding the media (must exist).")
    prefix: str = Field(default="storyvid/media", description="Key prefix inside the bucket.")
    cache_dir: str = Field(description="Local folder for downloaded objects and scratch files.")
    multipart_chunk_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=S3_MIN_PART_BYTES,
        description="Files larger than this upload in parts of this size (S3's minimum part size is 5 MiB).",
    )

    _client: Any = PrivateAttr(default=None)

    # --- plumbing -------------------------------------------------------------------------------------------

    def client(self) -> Any:
        """The boto3 S3 client, shared by stores with the same S3 settings in this process (boto3 clients are
        thread-safe, and building one costs about a second)."""
        if self._client is None:
            key = (os.getpid(), tuple(sorted(self.s3.model_dump().items(), key=lambda item: item[0])))
            if key not in _CLIENTS:
                _CLIENTS[key] = self.s3.get_client()
            self._client = _CLIENTS[key]
        return self._client

    def _location(self, s3_key: str) -> str:
        return f"s3://{self.bucket}/{s3_key}"

    def _transfer_config(self) -> Any:
        from boto3.s3.transfer import TransferConfig

        return TransferConfig(
            multipart_threshold=self.multipart_chunk_bytes, multipart_chunksize=self.multipart_chunk_bytes
        )

    def _head(self, s3_key: str) -> dict[str, Any] | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self.client().head_object(Bucket=self.bucket, Key=s3_key)
        except ClientError as error:
            if _error_code(error) in _MISSING_CODES:
                return None
            raise provider_error(error, "looking up", self._location(s3_key)) from None
        except BotoCoreError as error:
            raise provider_error(error, "looking up", self._location(s3_key)) from None

    def _require_head(self, key: str, s3_key: str) -> dict[str, Any]:
        head = self._head(s3_key)
        if head is None:
            raise FileNotFoundError(f"media store has no object {key!r} (looked in {self._location(s3_key)})")
        return head

    def _check_digest(self, s3_key: str, head: dict[str, Any], digest: str) -> None:
        expected = head.get("Metadata", {}).get(SHA256_METADATA)
        if expected and expected != digest:
            raise ProviderError(
                _PROVIDER,
                f"{self._location(s3_key)} is corrupt: sha256 {digest} does not match the recorded {expected}. "
                "Fix: re-materialize the asset that wrote it",
            )

    def _cache_root(self) -> Path:
        return Path(self.cache_dir) / "objects"

    # --- MediaStore interface -------------------------------------------------------------------------------

    def scratch_dir(self) -> Path:
        path = Path(self.cache_dir) / ".scratch"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def put_bytes(self, key: str, data: bytes, content_type: str) -> MediaRef:
        from botocore.exceptions import BotoCoreError, ClientError

        s3_key = object_key(self.prefix, key)
        digest = sha256_bytes(data)
        try:
            self.client().put_object(
                Bucket=self.bucket,
                Key=s3_key,
                Body=data,
                ContentType=content_type,
                Metadata={SHA256_METADATA: digest},
            )
        except (BotoCoreError, ClientError) as error:
            raise provider_error(error, "uploading", self._location(s3_key)) from None
        return MediaRef(key=key, sha256=digest, bytes=len(data), content_type=content_type)

    def put_file(self, key: str, path: Path, content_type: str) -> MediaRef:
        """Upload ``path`` (in parts when large; aborted on failure), then move it into the download cache."""
        from botocore.exceptions import BotoCoreError, ClientError

        s3_key = object_key(self.prefix, key)
        path = Path(path)
        digest, size = sha256_file(path), path.stat().st_size
        try:
            self.client().upload_file(
                str(path),
                self.bucket,
                s3_key,
                ExtraArgs={"ContentType": content_type, "Metadata": {SHA256_METADATA: digest}},
                Config=self._transfer_config(),
            )
        except (BotoCoreError, ClientError) as error:
            raise provider_error(error, "uploading", self._location(s3_key)) from None
        except Exception as error:  # s3transfer wraps client errors in its own S3UploadFailedError
            cause = error.__cause__ or error.__context__
            if isinstance(cause, BotoCoreError | ClientError):
                raise provider_error(cause, "uploading", self._location(s3_key)) from None
            raise
        head = self._require_head(key, s3_key)
        self._move_into_cache(path, cache_entry(self._cache_root(), self.bucket, s3_key, head["ETag"]))
        return MediaRef(key=key, sha256=digest, bytes=size, content_type=content_type)

    def local_path(self, key: str) -> Path:
        """The object's bytes as a local file: reused from the cache when the ETag is unchanged."""
        s3_key = object_key(self.prefix, key)
        head = self._require_head(key, s3_key)
        target = cache_entry(self._cache_root(), self.bucket, s3_key, head["ETag"])
        if target.exists():
            return target
        self._download(s3_key, head, target)
        return target

    def exists(self, key: str) -> bool:
        return self._head(object_key(self.prefix, key)) is not None

    def read_bytes(self, key: str) -> bytes:
        """The object's bytes, checked against its recorded sha256 (no cache: used for small manifests)."""
        from botocore.exceptions import BotoCoreError, ClientError

        s3_key = object_key(self.prefix, key)
        try:
            response = self.client().get_object(Bucket=self.bucket, Key=s3_key)
            data = response["Body"].read()
        except ClientError as error:
            if _error_code(error) in _MISSING_CODES:
                raise FileNotFoundError(
                    f"media store has no object {key!r} (looked in {self._location(s3_key)})"
                ) from None
            raise provider_error(error, "downloading", self._location(s3_key)) from None
        except BotoCoreError as error:
            raise provider_error(error, "downloading", self._location(s3_key)) from None
        self._check_digest(s3_key, response, sha256_bytes(data))
        return data

    # --- cache ----------------------------------------------------------------------------------------------

    def _download(self, s3_key: str, head: dict[str, Any], target: Path) -> None:
        """Stream the object (pinned to the ETag seen) into a temporary file, verify, then rename into place."""
        from botocore.exceptions import BotoCoreError, ClientError

        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
        tmp = Path(tmp_name)
        digest = hashlib.sha256()
        try:
            with os.fdopen(fd, "wb") as out:
                try:
                    body = self.client().get_object(Bucket=self.bucket, Key=s3_key, IfMatch=head["ETag"])["Body"]
                    for block in iter(lambda: body.read(1 << 20), b""):
                        digest.update(block)
                        out.write(block)
                except (BotoCoreError, ClientError) as error:
                    raise provider_error(error, "downloading", self._location(s3_key)) from None
            self._check_digest(s3_key, head, digest.hexdigest())
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    def _move_into_cache(self, source: Path, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.resolve() == target.resolve():
            return
        tmp = target.with_name(f".tmp-{os.getpid()}-{target.name}")
        shutil.move(str(source), tmp)
        os.replace(tmp, target)
