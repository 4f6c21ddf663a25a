"""A month (or a year) of simulated channel history, so the whole loop can be seen offline.

For each day: the day's episode is pinned like a real one (active configuration, exploration, experiment
variants) but only recorded, not rendered, and marked simulated; its posts go live on the channel's platforms
as simulated uploads; the simulated audience reports the day's figures for every live upload; experiments are
evaluated; and on decision days the recommendations run and their best allowed change goes down the guarded
path (a review item, or a new version with ``auto_apply``), so later episodes are made with it. Days that
already hold a real episode keep it (its real uploads get simulated figures too).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date as date_cls
from datetime import timedelta

from pydantic import Field

from storyvid_assets.analytics.audience import AudienceModel, simulate_day
from storyvid_assets.analytics.loop import (
    CollectEnv,
    DayRecommendation,
    collect_day,
    experiments_day,
    is_decision_day,
    recommend_day,
)
from storyvid_assets.analytics.models import ExperimentResult, MetricReading, MetricsBatch, UploadRef
from storyvid_assets.analytics.pinning import episode_settings
from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.queries import analytics as metrics_db
from storyvid_assets.catalog.queries import configurations as config_db
from storyvid_assets.catalog.queries.uploads import record_post
from storyvid_assets.channels import ChannelConfig
from storyvid_assets.models import Frozen, PlatformPost, format_slug

SIMULATED_ACCOUNT = "simulated"
WORDS_DEFAULT = 400  # the offline writer's typical story length


@dataclass
class AudienceCollector:
    """The simulated audience as a metrics provider: daily figures for any upload and day, labelled simulated."""

    model: AudienceModel
    seed: int = 0

    def collect(self, uploads: list[UploadRef], days: list[str], env: CollectEnv) -> MetricsBatch:
        readings = [
            MetricReading(upload_id=u.upload_id, day=day, kind="daily", source="simulated", simulated=True,
                          values=simulate_day(self.model, u, day, self.seed))
            for u in uploads for day in days if day >= u.date
        ]
        return MetricsBatch(readings=readings, notes=["simulated audience: these figures are not real"])


class SimulatedDay(Frozen):
    day: str
    episode: str  # "simulated" | "real (kept)"
    settings: dict[str, object]
    config_version: int
    uploads: int
    stored: int


class SimulationReport(Frozen):
    channel: str
    start: str
    end: str
    days: list[SimulatedDay] = Field(default_factory=list)
    recommendations: list[DayRecommendation] = Field(default_factory=list)
    experiments: list[ExperimentResult] = Field(default_factory=list)
    changes: list[int] = Field(default_factory=list)  # configuration change ids proposed or applied


def _pick(pool: list[str], *parts: object) -> str:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return pool[int.from_bytes(digest[:4], "big") % len(pool)]


def simulated_features(channel: ChannelConfig, day: str, words: int | None, rate: int | None) -> dict[str, object]:
    """What rendering would have measured: duration from the words and the narration rate; a theme."""
    spoken = (words or WORDS_DEFAULT) / max(60, rate or channel.narrator.rate) * 60.0
    return {"duration_s": round(spoken + 8.0, 1), "theme": _pick(channel.theme_pool, channel.name, day, "theme"),
            "provider_tier": "local"}


def simulated_targets(channel: ChannelConfig) -> list[tuple[str, str]]:
    """(platform, format) of an episode's posts: every format in the local library, and each social platform's
    formats of the channel's ``distribution``."""
    return [("local", fmt) for fmt in channel.formats if "local" in channel.platforms] + [
        (platform, fmt) for platform in channel.platforms if platform != "local"
        for fmt in channel.distribution.formats_for(platform) if fmt in channel.formats
    ]


def simulate_history(
    catalog_url: str, channel: ChannelConfig, start: str, days: int, *, model: AudienceModel, seed: int = 0,
    auto_apply: bool | None = None, progress: Callable[[str, int, int], None] | None = None,
    recommend_every_day: bool = False,
) -> SimulationReport:
    """Simulate ``days`` days of ``channel`` from ``start`` (see the module docstring)."""
    collector = AudienceCollector(model, seed)
    report_days: list[SimulatedDay] = []
    recs: list[DayRecommendation] = []
    changes: list[int] = []
    first = date_cls.fromisoformat(start)
    dates = [(first + timedelta(days=i)).isoformat() for i in range(days)]
    for index, day in enumerate(dates):
        with session_scope(catalog_url) as session:
            row = config_db.episode_row(session, channel.name, day)
            real = row is not None and not row.simulated and row.config_version is not None
            pinned = episode_settings(session, channel, day, simulated=True)
            if not real:
                settings = pinned.settings
                config_db.merge_episode_features(session, channel.name, day, simulated_features(
                    channel, day, settings.target_words, settings.narrator_rate))
                for platform, fmt in simulated_targets(channel):
                    post = PlatformPost(platform=platform, format=fmt, status="published", url="",  # type: ignore[arg-type]
                                        post_id=f"sim-{platform}-{channel.name}-{day}-{format_slug(fmt)}")
                    record_post(session, channel.name, day, "simulated", post, account=SIMULATED_ACCOUNT)
        collected = collect_day(catalog_url, channel.name, day, collector, CollectEnv(catalog_url, today=day))
        experiments_day(catalog_url, channel, day, auto_apply=auto_apply)
        last = index == len(dates) - 1
        learning = channel.optimization.enabled
        if learning and (recommend_every_day or last or _decision_day(catalog_url, channel, day)):
            rec = recommend_day(catalog_url, channel, day, seed=seed, auto_apply=auto_apply)
            recs.append(rec)
            changes += [rec.change_id] if rec.change_id else []
        report_days.append(SimulatedDay(
            day=day, episode="real (kept)" if real else "simulated", settings=pinned.settings.changed(),
            config_version=pinned.version, uploads=collected.uploads, stored=collected.stored,
        ))
        if progress:
            progress(day, index + 1, len(dates))
    with session_scope(catalog_url) as session:
        ended = [ExperimentResult(**e.result) if e.result else ExperimentResult(name=e.name, status="running")
                 for e in config_db.experiments(session, channel.name)]
    return SimulationReport(channel=channel.name, start=dates[0], end=dates[-1], days=report_days,
                            recommendations=recs, experiments=ended, changes=changes)


def _decision_day(catalog_url: str, channel: ChannelConfig, day: str) -> bool:
    with session_scope(catalog_url) as session:
        metrics = metrics_db.metrics_frame(session, channel.name, until=day)
        episodes = metrics_db.episodes_frame(session, channel.name)
    return is_decision_day(metrics, episodes, channel, day)
