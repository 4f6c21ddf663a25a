"""Metrics providers: one interface, three implementations.

- :class:`SimulatedAudience` (the local default): a documented generative audience model
  (``analytics/data/audience.yaml``); every figure it makes is labelled simulated.
- :class:`PlatformMetrics`: the platforms' analytics APIs through the platform clients (YouTube Analytics,
  Instagram media insights, TikTok video query, Facebook video insights), same retries, breaker and quota.
- :class:`CsvMetrics`: CSV exports (YouTube Studio, or StoryVid's own layout) dropped in a folder.

``STORYVID_METRICS`` picks one (``simulated`` locally, ``platforms`` in the cloud and production sets).
"""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import dagster as dg

from storyvid_assets.analytics.models import MetricReading, MetricsBatch, MetricsSource, UploadRef

if TYPE_CHECKING:
    from storyvid_assets.analytics.loop import CollectEnv


class MetricsProvider(dg.ConfigurableResource):
    """Reports how uploads performed on given days."""

    source: ClassVar[MetricsSource]

    @abstractmethod
    def collect(self, uploads: list[UploadRef], days: list[str], env: CollectEnv) -> MetricsBatch:
        """Readings for ``uploads`` on ``days``; uploads without data yet go to ``missing``."""


class SimulatedAudience(MetricsProvider):
    """Offline: engagement from the simulated audience model (planted effects, day-of-life decay, noise)."""

    source: ClassVar[MetricsSource] = "simulated"
    model_file: str | None = None  # an audience YAML instead of the packaged one
    seed: int = 0

    def collect(self, uploads: list[UploadRef], days: list[str], env: CollectEnv) -> MetricsBatch:

        from storyvid_assets.analytics.audience import load_audience_model  # numpy-heavy: only when collecting
        from storyvid_assets.analytics.simulation import AudienceCollector

        model = load_audience_model(Path(self.model_file) if self.model_file else None)
        return AudienceCollector(model, self.seed).collect(uploads, days, env)


class CsvMetrics(MetricsProvider):
    """CSV exports in ``inbox`` (every ``*.csv``; newer files win for the same post and day)."""

    source: ClassVar[MetricsSource] = "csv"
    inbox: str

    def collect(self, uploads: list[UploadRef], days: list[str], env: CollectEnv) -> MetricsBatch:

        from storyvid_assets.analytics.csv_import import read_metrics_csv

        wanted = {(u.platform, u.post_id): u for u in uploads}
        found: dict[tuple[int, str], MetricReading] = {}
        notes: list[str] = []
        for path in sorted(Path(self.inbox).glob("*.csv"), key=lambda p: p.stat().st_mtime):
            imported = read_metrics_csv(path)
            notes += [f"{path.name}: {n}" for n in imported.notes]
            for row in imported.rows:
                upload = wanted.get((row.platform, row.post_id))
                if upload is not None and row.day in days:
                    found[(upload.upload_id, row.day)] = MetricReading(
                        upload_id=upload.upload_id, day=row.day, kind="daily", source="csv", values=row.values)
        missing = [(u.upload_id, d) for u in uploads for d in days if d >= u.date and (u.upload_id, d) not in found]
        return MetricsBatch(readings=list(found.values()), missing=missing, notes=notes)
