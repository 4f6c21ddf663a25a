"""The licence-evidence gate: nothing is uploaded unless the episode's music (and any licensed image) has
valid evidence, both in the ``music`` manifest and in the catalog's ``media_assets`` row of that file.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from storyvid_assets.catalog.tables.core import MediaAssetRow
from storyvid_assets.distribution.quota import aware
from storyvid_assets.models import LicenceEvidence, MusicBed

FORBIDDING_TERMS = ("non-commercial", "noncommercial", "no redistribution", "personal use only", "not for broadcast")
CLOCK_SKEW = timedelta(minutes=5)


def evidence_findings(evidence: LicenceEvidence, what: str, now: datetime) -> list[str]:
    """What is wrong with one piece of evidence (empty when it is valid)."""
    findings = []
    for name in ("provider", "licence_id", "terms"):
        if not str(getattr(evidence, name)).strip():
            findings.append(f"{what}: licence evidence has an empty '{name}'")
    lowered = evidence.terms.lower()
    for phrase in FORBIDDING_TERMS:
        if phrase in lowered:
            findings.append(f"{what}: licence terms say '{phrase}', which forbids publishing")
    if aware(evidence.created_at) > now + CLOCK_SKEW:
        findings.append(f"{what}: licence evidence is dated in the future ({evidence.created_at.isoformat()})")
    return findings


def recorded_evidence(session: Session, key: str) -> tuple[MediaAssetRow | None, dict[str, Any] | None]:
    row = session.scalars(select(MediaAssetRow).filter_by(key=key)).one_or_none()
    return row, (row.details or {}).get("licence") if row else None


def licence_findings(session: Session, channel: str, date: str, music: MusicBed | None, now: datetime) -> list[str]:
    """Every reason the episode may not be published; an empty list means the gate is open."""
    if music is None:
        return ["music: the music manifest is missing; materialize 'music' for this episode"]
    findings = evidence_findings(music.licence, "music", now)
    if music.licence.provider != music.provider:
        findings.append(
            f"music: evidence is from {music.licence.provider!r} but the music came from {music.provider!r}"
        )
    row, recorded = recorded_evidence(session, music.audio.key)
    if row is None:
        findings.append(f"music: the catalog has no media_assets row for {music.audio.key}")
    elif row.sha256 != music.audio.sha256:
        findings.append(f"music: the catalog's file checksum differs from the manifest's ({music.audio.key})")
    elif recorded is None:
        findings.append(f"music: the catalog row of {music.audio.key} carries no licence evidence")
    else:
        try:
            stored = LicenceEvidence.model_validate(recorded)
        except ValidationError as exc:
            findings.append(f"music: the catalog's licence evidence is malformed ({exc.errors()[0]['msg']})")
        else:
            if (stored.licence_id, stored.provider) != (music.licence.licence_id, music.licence.provider):
                findings.append("music: the catalog's licence id differs from the manifest's")
    images = session.scalars(select(MediaAssetRow).filter_by(channel=channel, date=date, asset="scene_images")).all()
    for image in images:
        evidence = (image.details or {}).get("licence")
        if evidence is None:
            continue  # generated in-house: no third-party licence to prove
        try:
            findings += evidence_findings(LicenceEvidence.model_validate(evidence), f"image {image.key}", now)
        except ValidationError as exc:
            findings.append(f"image {image.key}: licence evidence is malformed ({exc.errors()[0]['msg']})")
    return findings
