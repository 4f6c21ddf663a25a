"""Resumes deferred uploads (quota used up, circuit open) once their resume time has come."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
from sqlalchemy import select

from storyvid_assets.assets.partitions import episode_partition_key
from storyvid_assets.catalog.db import migrate, session_scope
from storyvid_assets.catalog.tables.core import PlatformUploadRow
from storyvid_assets.distribution.quota import aware
from storyvid_assets.resources.storage.catalog import CatalogResource

UPLOADS_KEY = dg.AssetKey("uploads")
RESUME_INTERVAL_S = 300


def resume_requests(catalog_url: str, now: datetime) -> list[dg.RunRequest]:
    """One run of ``uploads`` per episode whose deferred uploads are due; the run key changes with each deferral."""
    with session_scope(catalog_url) as session:
        rows = session.scalars(select(PlatformUploadRow).filter_by(status="deferred")).all()
        due: dict[tuple[str, str], datetime] = {}
        for row in rows:
            until = aware(row.deferred_until) if row.deferred_until else now
            if until <= now:
                key = (row.channel, row.date)
                due[key] = max(due.get(key, until), until)
    return [
        dg.RunRequest(
            run_key=f"resume-uploads|{channel}|{date}|{until.isoformat()}",
            partition_key=episode_partition_key(channel, date),
            asset_selection=[UPLOADS_KEY],
            tags={"storyvid/channel": channel, "storyvid/trigger": "deferred_uploads_sensor"},
        )
        for (channel, date), until in sorted(due.items())
    ]


@dg.sensor(
    name="deferred_uploads_sensor",
    minimum_interval_seconds=RESUME_INTERVAL_S,
    asset_selection=[UPLOADS_KEY],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Launches `uploads` again for episodes whose deferred uploads may resume now.",
)
def deferred_uploads_sensor(context: dg.SensorEvaluationContext, catalog: CatalogResource) -> dg.SensorResult:
    migrate(catalog.url)
    requests = resume_requests(catalog.url, datetime.now(UTC))
    if not requests:
        return dg.SensorResult(skip_reason=dg.SkipReason("no deferred upload is due"))
    return dg.SensorResult(run_requests=requests)
