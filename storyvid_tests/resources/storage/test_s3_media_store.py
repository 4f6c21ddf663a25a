"""S3MediaStore against moto's S3 server on loopback (real HTTP, real boto3/s3transfer code paths)."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from botocore.exceptions import EndpointConnectionError
from dagster_aws.s3 import S3Resource
from pydantic import ValidationError

from storyvid_assets.episode import media_key
from storyvid_assets.errors import ProviderError
from storyvid_assets.resources.storage import s3_media_store
from storyvid_assets.resources.storage.manifest_io import ManifestIOManager
from storyvid_assets.resources.storage.media_store import sha256_bytes
from storyvid_assets.resources.storage.s3_media_store import S3_MIN_PART_BYTES, S3MediaStore
from storyvid_tests.production.conftest import new_bucket
from storyvid_tests.production.tiny_graph import TinyStats, tiny_line, tiny_stats

KEY = media_key("bedtime", "2026-11-25", "narration", 1, "narration.wav")


@pytest.fixture(autouse=True)
def fresh_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test builds its own boto3 clients (tests hook events on them and change credentials)."""
    monkeypatch.setattr(s3_media_store, "_CLIENTS", {})


def make_store(endpoint: str, tmp_path: Path, **overrides: Any) -> S3MediaStore:
    settings: dict[str, Any] = {
        "s3": S3Resource(endpoint_url=endpoint, region_name="us-east-1", max_attempts=1),
        "bucket": new_bucket(endpoint),
        "prefix": "prod/media",
        "cache_dir": str(tmp_path / "cache"),
    }
    settings.update(overrides)
    return S3MediaStore(**settings)


def count_calls(store: S3MediaStore) -> Counter[str]:
    """Counts S3 API calls the store's client makes, by operation name."""
    calls: Counter[str] = Counter()
    store.client().meta.events.register("before-call.s3.*", lambda model, **_: calls.update([model.name]))
    return calls


def cache_files(store: S3MediaStore) -> list[Path]:
    return sorted(p for p in Path(store.cache_dir).rglob("*") if p.is_file())


def test_round_trip_under_prefix_with_checksum_metadata(aws_env: str, tmp_path: Path) -> None:
    store = make_store(aws_env, tmp_path)
    data = b"RIFF" + os.urandom(2048)
    ref = store.put_bytes(KEY, data, "audio/wav")
    assert (ref.key, ref.sha256, ref.bytes, ref.content_type) == (KEY, sha256_bytes(data), len(data), "audio/wav")

    head = store.client().head_object(Bucket=store.bucket, Key=f"prod/media/{KEY}")
    assert head["Metadata"]["sha256"] == sha256_bytes(data)
    assert head["ContentType"] == "audio/wav"
    assert store.exists(KEY) and not store.exists(KEY + ".missing")
    assert store.read_bytes(KEY) == data
    path = store.local_path(KEY)
    assert path.name == "narration.wav" and path.read_bytes() == data
    with pytest.raises(FileNotFoundError, match="no object"):
        store.local_path("bedtime/2026-11-25/narration/attempt-1/missing.wav")
    with pytest.raises(ValueError, match="inside the store"):
        store.put_bytes("../escape.txt", b"x", "text/plain")


def test_put_file_moves_into_cache_so_local_path_needs_no_download(aws_env: str, tmp_path: Path) -> None:
    store = make_store(aws_env, tmp_path)
    source = store.scratch_dir() / "render.mp4"
    source.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(4096))
    expected = source.read_bytes()
    calls = count_calls(store)

    ref = store.put_file("c/2026-11-25/videos/attempt-1/16x9.mp4", source, "video/mp4")
    assert not source.exists()
    assert ref.sha256 == sha256_bytes(expected) and ref.bytes == len(expected)
    assert store.local_path(ref.key).read_bytes() == expected
    assert calls["GetObject"] == 0  # served from the file that was uploaded
    assert store.client().get_object(Bucket=store.bucket, Key=f"prod/media/{ref.key}")["Body"].read() == expected


def test_local_cache_reused_until_the_object_changes(aws_env: str, tmp_path: Path) -> None:
    store = make_store(aws_env, tmp_path)
    store.put_bytes(KEY, b"first version", "audio/wav")
    calls = count_calls(store)

    first = store.local_path(KEY)
    again = store.local_path(KEY)
    assert first == again and first.read_bytes() == b"first version"
    assert calls["GetObject"] == 1 and calls["HeadObject"] == 2

    store.put_bytes(KEY, b"second version", "audio/wav")  # new ETag -> new cache entry
    changed = store.local_path(KEY)
    assert changed != first and changed.read_bytes() == b"second version"
    assert calls["GetObject"] == 2
    assert first.read_bytes() == b"first version"  # a path handed out earlier is never rewritten in place
    # A second store (another process, another day) with the same cache folder reuses the download.
    other = make_store(aws_env, tmp_path, bucket=store.bucket)
    other_calls = count_calls(other)
    assert other.local_path(KEY) == changed and other_calls["GetObject"] == 0


def test_corrupt_object_is_refused_and_leaves_no_cache_file(aws_env: str, tmp_path: Path) -> None:
    store = make_store(aws_env, tmp_path)
    ref = store.put_bytes(KEY, b"the real narration", "audio/wav")
    # Someone overwrites the bytes but keeps the old checksum metadata.
    store.client().put_object(
        Bucket=store.bucket, Key=f"prod/media/{KEY}", Body=b"tampered bytes!!", Metadata={"sha256": ref.sha256}
    )
    with pytest.raises(ProviderError, match="corrupt") as error:
        store.local_path(KEY)
    assert "re-materialize" in str(error.value)
    with pytest.raises(ProviderError, match="corrupt"):
        store.read_bytes(KEY)
    assert cache_files(store) == []  # no partial or unverified file is left for a later step to pick up


def test_failed_multipart_upload_leaves_previous_object_and_no_parts(aws_env: str, tmp_path: Path) -> None:
    store = make_store(aws_env, tmp_path, multipart_chunk_bytes=S3_MIN_PART_BYTES)
    store.put_bytes(KEY, b"version one", "audio/wav")
    big = store.scratch_dir() / "narration.wav"
    big.write_bytes(os.urandom(S3_MIN_PART_BYTES + 1024))  # two parts

    def drop_connection(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url=aws_env)

    client = store.client()
    client.meta.events.register("before-send.s3.CompleteMultipartUpload", drop_connection)
    calls = count_calls(store)
    with pytest.raises(ProviderError) as error:
        store.put_file(KEY, big, "audio/wav")
    assert error.value.retryable
    assert calls["UploadPart"] == 2 and calls["AbortMultipartUpload"] == 1
    assert client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", []) == []
    assert store.read_bytes(KEY) == b"version one"  # readers still see the complete previous version
    assert big.exists()  # the source is kept so the step can retry

    client.meta.events.unregister("before-send.s3.CompleteMultipartUpload", drop_connection)
    ref = store.put_file(KEY, big, "audio/wav")
    assert store.local_path(KEY).stat().st_size == ref.bytes == S3_MIN_PART_BYTES + 1024


def test_stores_with_the_same_settings_share_one_client(aws_env: str, tmp_path: Path) -> None:
    first = make_store(aws_env, tmp_path)
    assert make_store(aws_env, tmp_path / "b", bucket=first.bucket).client() is first.client()
    elsewhere = S3Resource(endpoint_url=aws_env, region_name="eu-west-1", max_attempts=1)
    assert make_store(aws_env, tmp_path, s3=elsewhere, bucket=first.bucket).client() is not first.client()


def test_chunk_size_below_s3_minimum_is_rejected(aws_env: str, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="multipart_chunk_bytes"):
        make_store(aws_env, tmp_path, multipart_chunk_bytes=1024)


def test_missing_bucket_and_credentials_errors_name_the_fix(
    aws_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = make_store(aws_env, tmp_path, bucket="storyvid-no-such-bucket")
    with pytest.raises(ProviderError, match="STORYVID_S3_BUCKET"):
        store.put_bytes(KEY, b"x", "audio/wav")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(s3_media_store, "_CLIENTS", {})
    no_credentials = make_store(aws_env, tmp_path, bucket=store.bucket)
    with pytest.raises(ProviderError, match="AWS_ACCESS_KEY_ID"):
        no_credentials.put_bytes(KEY, b"x", "audio/wav")


def test_manifest_io_manager_on_s3(aws_env: str, tmp_path: Path) -> None:
    store = make_store(aws_env, tmp_path)
    resources = {"media_store": store, "manifest_io_manager": ManifestIOManager(media_store=store)}
    result = dg.materialize([tiny_line, tiny_stats], resources=resources, partition_key="science|2026-11-25")
    assert result.success
    stats = result.output_for_node("tiny_stats")
    assert isinstance(stats, TinyStats) and stats.words == 11
    keys = {o["Key"] for o in store.client().list_objects_v2(Bucket=store.bucket)["Contents"]}
    assert {
        "prod/media/science/2026-11-25/manifests/tiny_line.json",
        "prod/media/science/2026-11-25/manifests/tiny_stats.json",
        "prod/media/science/2026-11-25/tiny_line/attempt-1/line.txt",
    } <= keys
    # A later run (fresh resources, empty cache) loads the upstream manifest back from S3.
    fresh = make_store(aws_env, tmp_path / "other", bucket=store.bucket)
    again = dg.materialize(
        [tiny_line, tiny_stats],
        resources={"media_store": fresh, "manifest_io_manager": ManifestIOManager(media_store=fresh)},
        partition_key="science|2026-11-25",
        selection=[tiny_stats],
    )
    assert again.success and again.output_for_node("tiny_stats") == stats.model_copy(update={"pid": os.getpid()})
