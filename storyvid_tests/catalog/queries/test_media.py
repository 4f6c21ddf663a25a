"""Media rows and the licence evidence kept beside them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.queries.media import (
    media_by_id,
    media_by_key,
    partition_media,
    record_licence_evidence,
    record_media,
)
from storyvid_assets.catalog.tables.review import LicenceEvidenceRow
from storyvid_assets.models import LicenceEvidence, MediaRef


def ref(key: str, sha: str = "0") -> MediaRef:
    return MediaRef(key=key, sha256=sha * 64, bytes=3, content_type="audio/wav")


def test_media_by_key_and_partition(url: str) -> None:
    with session_scope(url) as session:
        record_media(session, "bedtime", "2026-11-01", "music", 1, ref("b/music.wav"))
        record_media(session, "bedtime", "2026-11-01", "narration", 1, ref("b/narration.wav"))
        record_media(session, "bedtime", "2026-11-01", "narration", 2, ref("b/narration-2.wav"))
        record_media(session, "bedtime", "2026-11-02", "music", 1, ref("c/music.wav"))
        row = media_by_key(session, "b/music.wav")
        assert row is not None and media_by_id(session, row.id) is row
        assert media_by_key(session, "nope") is None
        assert [m.key for m in partition_media(session, "bedtime", "2026-11-01", attempt=1)] == [
            "b/music.wav", "b/narration.wav",
        ]
        assert [m.key for m in partition_media(session, "bedtime", "2026-11-01", asset="narration")] == [
            "b/narration-2.wav", "b/narration.wav",
        ]


def test_licence_evidence_is_one_row_per_file(url: str) -> None:
    licence = LicenceEvidence(
        provider="local", licence_id="L-1", terms="royalty free", prompt="calm", created_at=datetime.now(UTC)
    )
    for attempt, sha in ((1, "a"), (2, "b")):
        with session_scope(url) as session:
            media = ref("b/music.wav", sha)
            record_licence_evidence(session, "bedtime", "2026-11-01", "music", attempt, media, licence)
    with session_scope(url) as session:
        row = session.scalars(select(LicenceEvidenceRow)).one()
        assert (row.attempt, row.media_sha256, row.licence_id) == (2, "b" * 64, "L-1")
