"""Deterministic assignment of episodes to experiment variants.

Assignment is a sha256 of (channel, date, experiment name) mapped onto the variants' weights, so an episode
gets the same variant in a rerun, a backfill or another process, with nothing stored beforehand.
"""

from __future__ import annotations

from datetime import date as Date
from typing import Any

from storyvid_assets.analytics.models import ExperimentSpec
from storyvid_assets.analytics.tunables import hash_share
from storyvid_assets.channels import ChannelConfig


def days_since_start(spec: ExperimentSpec, date: str) -> int:
    return (Date.fromisoformat(date) - Date.fromisoformat(spec.start)).days


def assign(channel: str, date: str, spec: ExperimentSpec) -> Any | None:
    """The variant the episode of ``channel`` on ``date`` gets, or ``None`` outside the experiment's days
    (before ``spec.start``, or from ``start + max_days`` on). Variants get episodes in proportion to weights."""
    if not 0 <= days_since_start(spec, date) < spec.max_days:
        return None
    weights = spec.weights or [1.0] * len(spec.variants)
    point = hash_share(channel, date, spec.name) * sum(weights)
    for variant, weight in zip(spec.variants, weights, strict=True):
        point -= weight
        if point < 0:
            return variant
    return spec.variants[-1]


def assignments(channel: ChannelConfig, date: str, ended: set[str]) -> dict[str, Any]:
    """Experiment name -> variant for every experiment of ``channel`` running on ``date`` (those in ``ended``
    are skipped). When two experiments test the same setting on the same day, the one listed first in the
    channel file wins and the other records nothing that day (its episode is not one of its samples)."""
    taken: set[str] = set()
    out = {}
    for spec in channel.experiments:
        if spec.name in ended or spec.setting in taken:
            continue
        variant = assign(channel.name, date, spec)
        if variant is not None:
            out[spec.name] = variant
            taken.add(spec.setting)
    return out


def experiment_layer(channel: ChannelConfig, assigned: dict[str, Any]) -> dict[str, Any]:
    """The settings layer of the assigned variants (setting -> variant), for :func:`tunables.resolve`."""
    return {spec.setting: assigned[spec.name] for spec in channel.experiments if spec.name in assigned}
