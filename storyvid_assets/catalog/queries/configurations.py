"""Configuration versions, their changes (the audit trail), experiments and what each episode was made with.

Every state change is a conditional update or an insert guarded by a unique key, so two workers (or two
reviewers) acting at once cannot both win: activating a version deactivates exactly the version it was
based on, a pending change is decided once, and an episode's settings are pinned once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storyvid_assets.catalog.queries.rows import get_or_create
from storyvid_assets.catalog.tables.analytics import ConfigurationChangeRow, ExperimentRow, ModelConfigurationRow
from storyvid_assets.catalog.tables.core import EpisodeRow
from storyvid_assets.errors import StoryVidError


class ConfigurationConflict(StoryVidError):
    """Another process changed the channel's configuration first; nothing was changed by this call."""


def active_configuration(session: Session, channel: str) -> ModelConfigurationRow | None:
    query = select(ModelConfigurationRow).filter_by(channel=channel, is_active=True)
    return session.scalars(query.order_by(ModelConfigurationRow.version.desc()).limit(1)).first()


def configuration(session: Session, channel: str, version: int) -> ModelConfigurationRow | None:
    return session.scalars(select(ModelConfigurationRow).filter_by(channel=channel, version=version)).one_or_none()


def configurations(session: Session, channel: str) -> list[ModelConfigurationRow]:
    query = select(ModelConfigurationRow).filter_by(channel=channel).order_by(ModelConfigurationRow.version)
    return list(session.scalars(query))


def activate_new_version(
    session: Session, channel: str, based_on: int | None, settings: dict[str, Any], *, name: str, created_by: str,
    reason: str,
) -> ModelConfigurationRow:
    """Add version ``based_on + 1`` as the active one, deactivating ``based_on`` (None/0: the channel file).

    Raises :class:`ConfigurationConflict` when ``based_on`` is no longer the active version (another change
    won); the caller's transaction should then be rolled back."""
    current = active_configuration(session, channel)
    current_version = current.version if current else 0
    if current_version != (based_on or 0):
        raise ConfigurationConflict(
            f"{channel}: the active configuration is version {current_version}, not {based_on or 0}; "
            "another change was applied first — review the proposal again")
    if based_on:
        deactivated = session.execute(
            update(ModelConfigurationRow)
            .where(ModelConfigurationRow.channel == channel, ModelConfigurationRow.version == based_on,
                   ModelConfigurationRow.is_active.is_(True))
            .values(is_active=False)
        ).rowcount
        if deactivated != 1:
            raise ConfigurationConflict(f"{channel}: version {based_on} was deactivated by another change")
    highest = session.scalar(select(func.max(ModelConfigurationRow.version)).filter_by(channel=channel)) or 0
    row, created = get_or_create(session, ModelConfigurationRow, {"channel": channel, "version": highest + 1}, {
        "name": name, "settings": settings, "is_active": True, "created_by": created_by, "reason": reason,
    })
    if not created:
        raise ConfigurationConflict(f"{channel}: version {highest + 1} was created by another change")
    return row


def add_change(session: Session, channel: str, proposal_key: str, values: dict[str, Any]) -> tuple[
        ConfigurationChangeRow, bool]:
    """The change for ``proposal_key`` (created the first time: proposing twice is one proposal)."""
    return get_or_create(session, ConfigurationChangeRow, {"channel": channel, "proposal_key": proposal_key}, values)


def change_by_id(session: Session, change_id: int) -> ConfigurationChangeRow | None:
    return session.get(ConfigurationChangeRow, change_id)


def change_for_review_item(session: Session, item_id: int) -> ConfigurationChangeRow | None:
    return session.scalars(select(ConfigurationChangeRow).filter_by(review_item_id=item_id)).one_or_none()


def pending_changes(session: Session, channel: str) -> list[ConfigurationChangeRow]:
    query = select(ConfigurationChangeRow).filter_by(channel=channel, status="pending")
    return list(session.scalars(query.order_by(ConfigurationChangeRow.id)))


def changes(session: Session, channel: str) -> list[ConfigurationChangeRow]:
    query = select(ConfigurationChangeRow).filter_by(channel=channel).order_by(ConfigurationChangeRow.id)
    return list(session.scalars(query))


def decide_change(session: Session, change_id: int, status: str, **values: Any) -> bool:
    """Move a pending change to ``status``; False when it was already decided (someone else was first)."""
    result = session.execute(
        update(ConfigurationChangeRow)
        .where(ConfigurationChangeRow.id == change_id, ConfigurationChangeRow.status == "pending")
        .values(status=status, **values)
    )
    return result.rowcount == 1


# --------------------------------------------------------------------------- episodes


def pin_episode(session: Session, channel: str, date: str, values: dict[str, Any]) -> EpisodeRow:
    """Record what the episode is made with, once: the first caller's values win, later callers read them."""
    row, _ = get_or_create(session, EpisodeRow, {"channel": channel, "date": date},
                           {"status": "in_progress", "attempt": 1})
    session.execute(
        update(EpisodeRow).where(EpisodeRow.id == row.id, EpisodeRow.config_version.is_(None)).values(**values)
    )
    session.refresh(row)
    return row


def episode_row(session: Session, channel: str, date: str) -> EpisodeRow | None:
    return session.scalars(select(EpisodeRow).filter_by(channel=channel, date=date)).one_or_none()


def merge_episode_features(session: Session, channel: str, date: str, values: dict[str, Any]) -> None:
    """Add measured features (genre from the story, duration from the video) to the episode's record."""
    row = session.scalars(select(EpisodeRow).filter_by(channel=channel, date=date).with_for_update()).one_or_none()
    if row is None:
        return
    row.features = {**(row.features or {}), **values}
    session.flush()


# --------------------------------------------------------------------------- experiments


def experiment_row(session: Session, channel: str, name: str, spec: dict[str, Any]) -> ExperimentRow:
    return get_or_create(session, ExperimentRow, {"channel": channel, "name": name},
                         {"spec": spec, "status": "running", "result": {}})[0]


def experiments(session: Session, channel: str) -> list[ExperimentRow]:
    return list(session.scalars(select(ExperimentRow).filter_by(channel=channel).order_by(ExperimentRow.id)))


def end_experiment(session: Session, row_id: int, status: str, day: str, result: dict[str, Any],
                   change_id: int | None) -> bool:
    """End a running experiment once (a second evaluation of the same day changes nothing)."""
    done = session.execute(
        update(ExperimentRow).where(ExperimentRow.id == row_id, ExperimentRow.status == "running")
        .values(status=status, ended_on=day, result=result, change_id=change_id)
    ).rowcount
    return done == 1
