"""The licence rule: what evidence is enough to publish a piece of media, applied by the music check and the
upload gate alike.

Evidence is enough when it names its provider, licence id, terms and prompt; its terms do not forbid
publishing; it is not dated in the future (beyond a little clock skew); it comes from the provider that made
the media; and the catalog keeps the same evidence beside the same file (``media_assets``). Images generated
in-house carry no evidence; a licensed image must carry valid evidence.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.orm import Session

from storyvid_assets.catalog.base import aware
from storyvid_assets.catalog.queries.media import media_by_key, partition_media
from storyvid_assets.catalog.tables.core import MediaAssetRow
from storyvid_assets.models import LicenceEvidence, MediaRef, MusicBed

REQUIRED_FIELDS = ("provider", "licence_id", "terms", "prompt")
FORBIDDING_TERMS = ("non-commercial", "noncommercial", "no redistribution", "personal use only", "not for broadcast")
CLOCK_SKEW = timedelta(minutes=5)  # evidence stamped by another machine's clock may be this far ahead


class LicenceProblem(BaseModel):
    """One reason a piece of media may not be published."""

    model_config = ConfigDict(frozen=True)

    subject: str  # "music", "image <key>"
    field: str  # what is wrong: "licence", "licence.<name>", "music.provider", "catalog"
    what: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.what}"


def evidence_problems(evidence: LicenceEvidence | None, subject: str, now: datetime) -> list[LicenceProblem]:
    """What is wrong with one piece of evidence (empty when it is enough)."""
    if evidence is None:
        return [LicenceProblem(subject=subject, field="licence", what="no licence evidence")]
    problems = [
        LicenceProblem(subject=subject, field=f"licence.{name}", what=f"licence evidence has an empty '{name}'")
        for name in REQUIRED_FIELDS
        if not str(getattr(evidence, name) or "").strip()
    ]
    lowered = evidence.terms.lower()
    problems += [
        LicenceProblem(
            subject=subject, field="licence.terms", what=f"licence terms say '{phrase}', which forbids publishing"
        )
        for phrase in FORBIDDING_TERMS
        if phrase in lowered
    ]
    if aware(evidence.created_at) > now + CLOCK_SKEW:
        problems.append(
            LicenceProblem(
                subject=subject,
                field="licence.created_at",
                what=f"licence evidence is dated in the future ({evidence.created_at.isoformat()})",
            )
        )
    return problems


def provider_problems(music: MusicBed) -> list[LicenceProblem]:
    """The evidence must come from the provider that made the music (``provider`` may name its model too)."""
    made_by = music.provider.partition(":")[0]
    if music.licence.provider == made_by:
        return []
    what = f"evidence is from {music.licence.provider!r} but the music came from {music.provider!r}"
    return [LicenceProblem(subject="music", field="licence.provider", what=what)]


def recorded_problems(subject: str, ref: MediaRef, row: MediaAssetRow | None, expected: LicenceEvidence) -> list[
    LicenceProblem
]:
    """The catalog's row of the file must be this file and carry the same evidence."""

    def problem(what: str) -> list[LicenceProblem]:
        return [LicenceProblem(subject=subject, field="catalog", what=what)]

    if row is None:
        return problem(f"the catalog has no media_assets row for {ref.key}")
    if row.sha256 != ref.sha256:
        return problem(f"the catalog's file checksum differs from the manifest's ({ref.key})")
    recorded: dict[str, Any] | None = (row.details or {}).get("licence")
    if recorded is None:
        return problem(f"the catalog row of {ref.key} carries no licence evidence")
    try:
        stored = LicenceEvidence.model_validate(recorded)
    except ValidationError as exc:
        return problem(f"the catalog's licence evidence is malformed ({exc.errors()[0]['msg']})")
    if (stored.licence_id, stored.provider) != (expected.licence_id, expected.provider):
        return problem("the catalog's licence id differs from the manifest's")
    return []


def music_problems(session: Session, music: MusicBed, now: datetime) -> list[LicenceProblem]:
    """Every licence problem of the episode's music: its evidence, its provider, the catalog's copy."""
    return [
        *evidence_problems(music.licence, "music", now),
        *provider_problems(music),
        *recorded_problems("music", music.audio, media_by_key(session, music.audio.key), music.licence),
    ]


def image_problems(session: Session, channel: str, date: str, now: datetime) -> list[LicenceProblem]:
    """Licence problems of the episode's licensed images (images generated in-house carry no evidence)."""
    problems: list[LicenceProblem] = []
    for image in partition_media(session, channel, date, asset="scene_images"):
        evidence = (image.details or {}).get("licence")
        if evidence is None:
            continue
        subject = f"image {image.key}"
        try:
            problems += evidence_problems(LicenceEvidence.model_validate(evidence), subject, now)
        except ValidationError as exc:
            what = f"licence evidence is malformed ({exc.errors()[0]['msg']})"
            problems.append(LicenceProblem(subject=subject, field="licence", what=what))
    return problems


def licence_findings(session: Session, channel: str, date: str, music: MusicBed | None, now: datetime) -> list[str]:
    """The upload gate: every reason the episode may not be published; an empty list means the gate is open."""
    if music is None:
        return ["music: the music manifest is missing; materialize 'music' for this episode"]
    return [str(p) for p in (*music_problems(session, music, now), *image_problems(session, channel, date, now))]
