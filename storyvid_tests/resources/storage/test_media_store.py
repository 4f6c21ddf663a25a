from __future__ import annotations

from pathlib import Path

import pytest

from storyvid_assets.episode import media_key
from storyvid_assets.resources.storage.media_store import LocalMediaStore, sha256_bytes


def test_put_and_read_round_trip_with_checksum(tmp_path: Path) -> None:
    store = LocalMediaStore(root=str(tmp_path))
    key = media_key("bedtime", "2026-11-01", "narration", 2, "narration.wav")
    assert key == "bedtime/2026-11-01/narration/attempt-2/narration.wav"
    ref = store.put_bytes(key, b"RIFF....", "audio/wav")
    assert ref.sha256 == sha256_bytes(b"RIFF....") and ref.bytes == 8
    assert store.read_bytes(key) == b"RIFF...."
    assert store.local_path(key) == tmp_path / key


def test_put_file_moves_into_place(tmp_path: Path) -> None:
    store = LocalMediaStore(root=str(tmp_path / "media"))
    source = store.scratch_dir() / "render.mp4"
    source.write_bytes(b"video")
    ref = store.put_file("c/2026-11-01/videos/attempt-1/9x16.mp4", source, "video/mp4")
    assert not source.exists()
    assert store.read_bytes(ref.key) == b"video"


def test_no_temporary_files_left_and_keys_stay_inside(tmp_path: Path) -> None:
    store = LocalMediaStore(root=str(tmp_path))
    store.put_bytes("a/b.txt", b"x", "text/plain")
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["b.txt"]
    with pytest.raises(ValueError, match="inside the store"):
        store.put_bytes("../escape.txt", b"x", "text/plain")
    with pytest.raises(FileNotFoundError, match="no object"):
        store.local_path("a/missing.txt")
