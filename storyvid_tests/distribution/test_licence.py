"""One licence rule, applied by the upload gate and by the music check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.queries.media import record_media
from storyvid_assets.distribution.licence import evidence_problems, licence_findings, music_problems
from storyvid_assets.models import LicenceEvidence, MediaRef, MusicBed
from storyvid_assets.moderation.audio import music_licence_findings

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


MUSIC_KEY = "bedtime/2026-11-25/music/attempt-1/music.wav"


def bed(licence: LicenceEvidence, key: str = MUSIC_KEY, provider: str = "synth") -> MusicBed:
    return MusicBed(
        audio=MediaRef(key=key, sha256="ab" * 32, bytes=10, content_type="audio/wav"),
        duration=30,
        mood="calm",
        peak_dbfs=-3,
        licence=licence,
        provider=provider,
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


def test_the_rule_for_one_piece_of_evidence() -> None:
    good = evidence(licence_id="CC0-1.0", terms="public domain", created_at=NOW - timedelta(minutes=1))
    assert evidence_problems(good, "music", NOW) == []
    bad = good.model_copy(update={"licence_id": " ", "prompt": "", "created_at": NOW + timedelta(days=1)})
    assert sorted(p.field for p in evidence_problems(bad, "music", NOW)) == [
        "licence.created_at",
        "licence.licence_id",
        "licence.prompt",
    ]
    assert [p.what for p in evidence_problems(None, "music", NOW)] == ["no licence evidence"]


def test_the_check_and_the_gate_apply_the_same_rule(catalog_url: str) -> None:
    """Once the music check required a prompt and the gate did not; the gate refused non-commercial terms and
    allowed 5 minutes of clock skew, the check did neither; only the gate compared the catalog's copy."""
    cases = {
        "no prompt": evidence(prompt=""),
        "non-commercial": evidence(terms="Free for non-commercial use"),
        "skewed clock": evidence(created_at=NOW + timedelta(minutes=2)),
    }
    for name, licence in cases.items():
        music = bed(licence, key=f"bedtime/2026-11-25/music/attempt-1/{name.replace(' ', '-')}.wav")
        record(catalog_url, music, {"licence": licence.model_dump(mode="json")})
        with session_scope(catalog_url) as session:
            problems = music_problems(session, music, NOW)
        gate = findings(catalog_url, music)
        check = music_licence_findings(problems)
        assert gate == [str(p) for p in problems] and [f.what for f in check] == [p.what for p in problems]
        assert bool(gate) == (name != "skewed clock"), name
        assert all(f.category == "music_licence" and f.blocking for f in check)


def test_evidence_must_come_from_the_provider_that_made_the_music(catalog_url: str) -> None:
    """A cloud provider reports ``name:model``; its evidence names the provider alone (once refused by the gate)."""
    licence = evidence(provider="elevenlabs-music")
    made_here = bed(licence, provider="elevenlabs-music:music_v1")
    record(catalog_url, made_here, {"licence": licence.model_dump(mode="json")})
    assert findings(catalog_url, made_here) == []
    elsewhere = bed(licence, provider="storyvid-synth")
    found = findings(catalog_url, elsewhere)
    assert found == ["music: evidence is from 'elevenlabs-music' but the music came from 'storyvid-synth'"]
