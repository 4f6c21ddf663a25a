"""Per-channel controls set in the console: is the daily schedule on, and which daily budgets replace the file's.

A channel without a row runs as its file says (schedule on, the file's ``providers.budgets_usd``). Changing the
controls is a conditional update on the revision the admin looked at, so a concurrent change is refused
(:class:`ControlsConflict`) instead of silently overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storyvid_assets.catalog.queries.rows import get_or_create
from storyvid_assets.catalog.tables.controls import ChannelControlsRow
from storyvid_assets.errors import StoryVidError


class ControlsConflict(StoryVidError):
    """Someone changed the channel's controls after the caller read them; nothing was changed by this call."""


def channel_controls(session: Session, channel: str) -> ChannelControlsRow | None:
    return session.get(ChannelControlsRow, channel)


def all_channel_controls(session: Session) -> dict[str, ChannelControlsRow]:
    return {row.channel: row for row in session.scalars(select(ChannelControlsRow))}


def controls_revision(session: Session, channel: str) -> int:
    """The revision of the channel's controls (0: never changed)."""
    row = channel_controls(session, channel)
    return row.revision if row else 0


def schedule_enabled(session: Session, channel: str) -> bool:
    """Whether the channel's daily schedule may make episodes (on unless an admin switched it off)."""
    row = channel_controls(session, channel)
    return True if row is None else bool(row.schedule_enabled)


def budget_overrides(session: Session, channel: str) -> dict[str, float]:
    """Daily budgets (provider -> USD) set in the console; each replaces the file's budget for that provider."""
    row = channel_controls(session, channel)
    return {name: float(amount) for name, amount in (row.budgets_usd if row else {}).items()}


def effective_budgets(file_budgets: Mapping[str, float], overrides: Mapping[str, float]) -> dict[str, float]:
    """The daily budgets in force: the file's, with the console's overrides replacing them provider by provider."""
    return {**dict(file_budgets), **dict(overrides)}


def set_channel_controls(
    session: Session, channel: str, *, based_on: int, schedule_enabled: bool, budgets_usd: Mapping[str, float],
    updated_by: str,
) -> ChannelControlsRow:
    """Store the channel's controls as revision ``based_on + 1``; :class:`ControlsConflict` when the stored
    revision is no longer ``based_on`` (the caller's transaction should then be rolled back)."""
    values = {"schedule_enabled": schedule_enabled, "budgets_usd": dict(budgets_usd), "updated_by": updated_by,
              "updated_at": datetime.now(UTC)}
    row, created = get_or_create(session, ChannelControlsRow, {"channel": channel}, {**values, "revision": 1})
    if created and based_on == 0:
        return row
    current = 0 if created else row.revision
    changed = session.execute(
        update(ChannelControlsRow)
        .where(ChannelControlsRow.channel == channel, ChannelControlsRow.revision == based_on)
        .values(**values, revision=based_on + 1)
    ).rowcount
    if created or changed != 1:
        raise ControlsConflict(f"{channel}: the controls are at revision {current}, not {based_on}; another change "
                               "was saved first")
    session.refresh(row)
    return row
