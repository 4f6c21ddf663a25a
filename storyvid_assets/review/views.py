"""What a reviewer sees of an item: findings, the story text, images, audio and video of that attempt.

Plain functions over a catalog session and a media store, shared by the CLI and the web page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from storyvid_assets.catalog.queries.episodes import story_row, videos_at
from storyvid_assets.catalog.queries.media import media_by_key, partition_media
from storyvid_assets.catalog.queries.review import audit_for, decisions_for, partition_history, rejection_count
from storyvid_assets.catalog.tables.core import MediaAssetRow
from storyvid_assets.catalog.tables.review import ReviewAuditRow, ReviewDecisionRow, ReviewItemRow
from storyvid_assets.resources.storage.media_store import MediaStore
from storyvid_assets.review.queue import MAX_REJECTIONS

STORY_TEXT_LIMIT = 20_000


@dataclass
class MediaView:
    id: int
    key: str
    asset: str
    content_type: str
    label: str


@dataclass(frozen=True)
class EpisodeEvent:
    """One audit row of any item of the episode, with the item it belongs to."""

    item_id: int
    check_name: str
    attempt: int
    policy_version: str | None
    at: datetime
    actor: str
    action: str
    detail: str


@dataclass
class ItemView:
    item: ReviewItemRow
    findings: list[dict[str, Any]]
    story_title: str | None
    story_text: str | None
    images: list[MediaView] = field(default_factory=list)
    audio: list[MediaView] = field(default_factory=list)
    videos: list[MediaView] = field(default_factory=list)
    other: list[MediaView] = field(default_factory=list)
    decisions: list[ReviewDecisionRow] = field(default_factory=list)
    audit: list[ReviewAuditRow] = field(default_factory=list)
    rejections: int = 0
    evidence_keys: set[str] = field(default_factory=set)
    # the episode's other items (earlier attempts, other checks) with their audit trails, automatic
    # regenerations included: what the system already tried before it asked a person
    episode_history: list[EpisodeEvent] = field(default_factory=list)

    @property
    def automatic_regenerations(self) -> int:
        return sum(1 for e in self.episode_history if e.action == "automatic_regeneration")

    @property
    def escalated(self) -> bool:
        return self.item.status == "needs_human"

    @property
    def alert(self) -> str | None:
        if not self.escalated:
            return None
        return (
            f"Escalated: rejected {self.rejections} times (limit {MAX_REJECTIONS}); no more automatic "
            "regeneration. Fix the source and have an admin approve, or leave the episode unpublished."
        )


def _label(row: MediaAssetRow) -> str:
    return f"{row.asset}: {row.key.rsplit('/', 1)[-1]}"


def story_text(
    session: Session, media_store: MediaStore, item: ReviewItemRow, media: list[MediaAssetRow]
) -> tuple[str | None, str | None]:
    """The story (markdown) of the item's attempt, from the media store, else from the catalog row."""
    row = story_row(session, item.channel, item.date)
    title = row.title if row and row.attempt == item.attempt else None
    for m in media:
        if m.asset == "story" and m.key.endswith(".md") and media_store.exists(m.key):
            return title, media_store.read_bytes(m.key).decode("utf-8", "replace")[:STORY_TEXT_LIMIT]
    if row and row.attempt == item.attempt:
        return title, row.text[:STORY_TEXT_LIMIT]
    return title, None


def item_view(session: Session, media_store: MediaStore, item: ReviewItemRow) -> ItemView:
    media = partition_media(session, item.channel, item.date, attempt=item.attempt)
    title, text = story_text(session, media_store, item, media)
    view = ItemView(
        item=item,
        findings=list(item.findings or []),
        story_title=title,
        story_text=text,
        decisions=decisions_for(session, item.id),
        audit=audit_for(session, item.id),
        rejections=rejection_count(session, item),
        evidence_keys={m["key"] for m in (item.evidence or {}).get("media", [])},
        episode_history=[
            EpisodeEvent(other.id, other.check_name, other.attempt, other.policy_version, a.at, a.actor, a.action,
                         a.detail)
            for other, trail in partition_history(session, item.channel, item.date)
            for a in trail
        ],
    )
    for m in media:
        entry = MediaView(m.id, m.key, m.asset, m.content_type, _label(m))
        if m.content_type.startswith("image/"):
            view.images.append(entry)
        elif m.content_type.startswith("audio/"):
            view.audio.append(entry)
        elif m.content_type.startswith("video/"):
            view.videos.append(entry)
        else:
            view.other.append(entry)
    known = {v.key for v in view.videos}
    for video in videos_at(session, item.channel, item.date, item.attempt):
        if video.key not in known:
            row = media_by_key(session, video.key)
            if row:
                view.videos.append(MediaView(row.id, row.key, "videos", row.content_type, f"video {video.format}"))
    return view
