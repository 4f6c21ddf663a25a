"""Media files of an episode (``media_assets``) and the licence evidence of the ones that need it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storyvid_assets.catalog.queries.rows import upsert
from storyvid_assets.catalog.tables.core import MediaAssetRow
from storyvid_assets.catalog.tables.review import LicenceEvidenceRow
from storyvid_assets.models import LicenceEvidence, MediaRef


def record_media(session: Session, channel: str, date: str, asset: str, attempt: int, ref: MediaRef,
                 details: dict[str, Any] | None = None) -> MediaAssetRow:
    return upsert(session, MediaAssetRow, {"key": ref.key}, {
        "channel": channel, "date": date, "asset": asset, "attempt": attempt, "sha256": ref.sha256,
        "bytes": ref.bytes, "content_type": ref.content_type, "details": details or {},
    })


def media_by_key(session: Session, key: str) -> MediaAssetRow | None:
    return session.scalars(select(MediaAssetRow).filter_by(key=key)).one_or_none()


def media_by_id(session: Session, media_id: int) -> MediaAssetRow | None:
    return session.get(MediaAssetRow, media_id)


def partition_media(
    session: Session, channel: str, date: str, *, attempt: int | None = None, asset: str | None = None
) -> list[MediaAssetRow]:
    """The partition's media files (of one attempt, of one asset, when given), by asset and key."""
    filters: dict[str, Any] = {"channel": channel, "date": date}
    if attempt is not None:
        filters["attempt"] = attempt
    if asset is not None:
        filters["asset"] = asset
    query = select(MediaAssetRow).filter_by(**filters).order_by(MediaAssetRow.asset, MediaAssetRow.key)
    return list(session.scalars(query))


def record_licence_evidence(
    session: Session, channel: str, date: str, asset: str, attempt: int, ref: MediaRef, licence: LicenceEvidence
) -> LicenceEvidenceRow:
    """The licence evidence of one media file, kept beside it (one row per file)."""
    return upsert(session, LicenceEvidenceRow, {"media_key": ref.key}, {
        "channel": channel, "date": date, "asset": asset, "attempt": attempt, "media_sha256": ref.sha256,
        "provider": licence.provider, "licence_id": licence.licence_id, "terms": licence.terms,
        "prompt": licence.prompt, "evidence_created_at": licence.created_at,
    })
