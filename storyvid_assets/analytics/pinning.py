"""What an episode is made with: the active configuration version, exploration and experiment variants,
pinned the first time any step of the episode asks (the first writer wins), so every step sees the same
settings and reruns and backfills keep them."""

from __future__ import annotations

from datetime import date as date_cls
from typing import Any

from sqlalchemy.orm import Session

from storyvid_assets.analytics.assignment import assignments, experiment_layer
from storyvid_assets.analytics.models import TunableSettings
from storyvid_assets.analytics.tunables import base_settings, explore, resolve
from storyvid_assets.catalog.queries import configurations as config_db
from storyvid_assets.channels import ChannelConfig
from storyvid_assets.models import Frozen


class PinnedSettings(Frozen):
    """The settings an episode is made with, pinned when its first step runs."""

    version: int  # the configuration version (0: the channel file alone)
    settings: TunableSettings
    assignments: dict[str, Any]  # experiment name -> variant
    explored: dict[str, Any]  # the exploration layer ({} on most days)


def current_settings(session: Session, channel: ChannelConfig) -> tuple[int, TunableSettings]:
    """The active configuration version and the settings it resolves to over the channel file."""
    active = config_db.active_configuration(session, channel.name)
    base = base_settings(channel)
    return (active.version, resolve(base, dict(active.settings))) if active else (0, base)


def episode_features(channel: ChannelConfig, date: str, settings: TunableSettings) -> dict[str, Any]:
    """What the learning code knows about an episode before it is made (measured features come later)."""
    values = settings.model_dump(exclude_none=True)
    return {**values, "weekday": date_cls.fromisoformat(date).weekday()}


def planned_settings(session: Session, channel: ChannelConfig, date: str) -> PinnedSettings:
    """What the episode of ``date`` would be made with if it were pinned now (nothing is written)."""
    row = config_db.episode_row(session, channel.name, date)
    if row is not None and row.config_version is not None:
        return _pinned(row.config_version, row.settings, row.assignments)
    version, current = current_settings(session, channel)
    ended = {e.name for e in config_db.experiments(session, channel.name) if e.status != "running"}
    assigned = assignments(channel, date, ended)
    layer = experiment_layer(channel, assigned)
    explored = explore(channel.name, date, current, channel.optimization,
                       audience=channel.audience) if channel.optimization.enabled else {}
    explored = {k: v for k, v in explored.items() if k not in layer}
    resolved = resolve(current, explored, layer)
    return PinnedSettings(version=version, settings=resolved, assignments=assigned, explored=explored)


def episode_settings(session: Session, channel: ChannelConfig, date: str, *, simulated: bool = False,
                     features: dict[str, Any] | None = None) -> PinnedSettings:
    """The episode's pinned settings; pinned now (race-safe: the first writer wins) if nothing was pinned."""
    row = config_db.episode_row(session, channel.name, date)
    if row is not None and row.config_version is not None:
        return _pinned(row.config_version, row.settings, row.assignments)
    plan = planned_settings(session, channel, date)
    row = config_db.pin_episode(session, channel.name, date, {
        "config_version": plan.version, "settings": plan.settings.model_dump(exclude_none=True),
        "assignments": {**plan.assignments, **({"explore": plan.explored} if plan.explored else {})},
        "features": {**episode_features(channel, date, plan.settings), **(features or {})}, "simulated": simulated,
    })
    return _pinned(row.config_version or 0, row.settings, row.assignments)


def _pinned(version: int, settings: dict[str, Any], assignments_: dict[str, Any]) -> PinnedSettings:
    assigned = dict(assignments_ or {})
    explored = assigned.pop("explore", {})
    return PinnedSettings(version=version, settings=TunableSettings(**settings), assignments=assigned,
                          explored=explored)
