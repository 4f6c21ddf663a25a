"""Metrics from the platforms' analytics APIs, through the same clients (and credentials) as the uploads."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, ClassVar

from storyvid_assets.analytics.models import MetricReading, MetricsBatch, MetricsSource, MetricValues, UploadRef
from storyvid_assets.distribution.errors import CircuitOpen, PlatformError, QuotaExhausted
from storyvid_assets.models import PlatformPost, PostMetrics
from storyvid_assets.resources.metrics import MetricsProvider

if TYPE_CHECKING:
    from storyvid_assets.analytics.loop import CollectEnv


def reading_values(metrics: PostMetrics) -> MetricValues:
    numbers = {k: float(v) for k, v in metrics.extra.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    return MetricValues(
        views=max(0, metrics.views), likes=max(0, metrics.likes), comments=max(0, metrics.comments),
        shares=max(0, metrics.shares), watch_time_s=max(0.0, metrics.watch_time_s), avg_view_pct=metrics.avg_view_pct,
        completion_rate=None if metrics.completion_rate is None else min(1.0, max(0.0, metrics.completion_rate)),
        revenue_usd=metrics.revenue_usd, extra=numbers,
    )


class PlatformMetrics(MetricsProvider):
    """YouTube Analytics (daily series), Instagram/TikTok/Facebook (lifetime counters, differenced daily)."""

    source: ClassVar[MetricsSource] = "api"

    def collect(self, uploads: list[UploadRef], days: list[str], env: CollectEnv) -> MetricsBatch:
        by_platform: dict[str, list[UploadRef]] = defaultdict(list)
        for upload in uploads:
            by_platform[upload.platform].append(upload)
        readings: list[MetricReading] = []
        missing: list[tuple[int, str]] = []
        notes: list[str] = []
        for platform, group in sorted(by_platform.items()):
            client = env.clients.get(platform)
            if client is None:
                notes.append(f"{platform}: no analytics API ({len(group)} upload(s) not collected)")
                continue
            if client.missing_credentials():
                notes.append(f"{platform}: skipped, set {', '.join(client.missing_credentials())}")
                missing += [(u.upload_id, d) for u in group for d in days]
                continue
            ids = {u.post_id: u for u in group}
            posts = [PlatformPost(platform=platform, format=u.format, post_id=u.post_id, url="", status="published")
                     for u in group]
            try:
                answer = client.fetch_metrics(posts, days, catalog_url=env.catalog_url,
                                              durations={u.post_id: u.duration_s for u in group}, log=env.log)
            except (QuotaExhausted, CircuitOpen, PlatformError) as exc:
                notes.append(f"{platform}: not collected ({exc}); the next run tries again")
                missing += [(u.upload_id, d) for u in group for d in days]
                continue
            for metrics in answer.metrics:
                upload = ids.get(metrics.post_id)
                if upload is None or metrics.day not in days:
                    continue
                readings.append(MetricReading(upload_id=upload.upload_id, day=metrics.day, kind=metrics.kind,
                                              source="api", values=reading_values(metrics)))
            missing += [(ids[p].upload_id, d) for p, d in answer.missing if p in ids]
            notes += [f"{platform}: {n}" for n in answer.notes]
        return MetricsBatch(readings=readings, missing=missing, notes=notes)
