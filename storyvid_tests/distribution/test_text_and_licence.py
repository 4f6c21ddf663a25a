"""The text each platform receives, and the licence-evidence gate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.queries.episodes import record_media
from storyvid_assets.distribution.licence import licence_findings
from storyvid_assets.distribution.limits import compose_text
from storyvid_assets.models import LicenceEvidence, MediaRef, MusicBed
from storyvid_tests.distribution.conftest import Media, make_item, make_options

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def test_text_ends_with_the_marker_and_carries_hashtags_once(media: Media) -> None:
    item = make_item(media, "youtube", "9:16", description="A calm story. #bedtimestories")
    text = compose_text(item, make_options("youtube", "9:16"))
    assert text.text.endswith("sv-20261125-9x16")
    assert text.text.count("#bedtimestories") == 1 and "#kidsstories" in text.text and "#Shorts" in text.text
    assert text.tags == ("bedtimestories", "kidsstories", "Shorts")
    reel = compose_text(make_item(media, "instagram", "9:16"), make_options("instagram", "9:16"))
    assert reel.title == "" and "#Shorts" not in reel.text


def bed(licence: LicenceEvidence, key: str = "bedtime/2026-11-25/music/attempt-1/music.wav") -> MusicBed:
    return MusicBed(
        audio=MediaRef(key=key, sha256="ab" * 32, bytes=10, content_type="audio/wav"),
        duration=30,
        mood="calm",
        peak_dbfs=-3,
        licence=licence,
        provider="synth",
    )


def evidence(**changes: object) -> LicenceEvidence:
    base = {
        "provider": "synth",
        "licence_id": "synth-123",
        "terms": "Generated in-house; all rights held.",
        "prompt": "calm",
        "created_at": NOW - timedelta(hours=1),
    }
    return LicenceEvidence.model_validate({**base, **changes})


def record(url: str, music: MusicBed, details: dict | None) -> None:
    with session_scope(url) as session:
        record_media(session, "bedtime", "2026-11-25", "music", 1, music.audio, details)


def findings(url: str, music: MusicBed | None) -> list[str]:
    with session_scope(url) as session:
        return licence_findings(session, "bedtime", "2026-11-25", music, NOW)


def test_valid_evidence_in_manifest_and_catalog_opens_the_gate(catalog_url: str) -> None:
    music = bed(evidence())
    record(catalog_url, music, {"licence": music.licence.model_dump(mode="json")})
    assert findings(catalog_url, music) == []


def test_missing_or_invalid_evidence_closes_the_gate(catalog_url: str) -> None:
    assert "music manifest is missing" in findings(catalog_url, None)[0]
    music = bed(evidence())
    assert any("no media_assets row" in f for f in findings(catalog_url, music))
    record(catalog_url, music, {})
    assert any("carries no licence evidence" in f for f in findings(catalog_url, music))
    bad = bed(evidence(licence_id=" ", terms="Non-commercial use only", created_at=NOW + timedelta(days=1)))
    record(catalog_url, bad, {"licence": bad.licence.model_dump(mode="json")})
    found = " | ".join(findings(catalog_url, bad))
    assert "empty 'licence_id'" in found and "non-commercial" in found and "in the future" in found
