"""Resumes deferred uploads (quota used up, circuit open) once their resume time has come, and uncertain ones
(a create got no answer) when their next look at the platform's list is due."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg

from storyvid_assets.catalog.db import migrate
from storyvid_assets.catalog.queries.uploads import due_deferred
from storyvid_assets.episode import partition_key, run_tags
from storyvid_assets.resources.storage.catalog import CatalogResource

UPLOADS_KEY = dg.AssetKey("uploads")
RESUME_INTERVAL_S = 300
UNCERTAIN_INTERVAL_S = 30  # uncertain checks back off from ~30 s: look often enough to honour them


def resume_requests(catalog: CatalogResource, now: datetime, status: str = "deferred") -> list[dg.RunRequest]:
    """One run of ``uploads`` per episode whose ``status`` uploads are due; the run key changes with each
    deferral (or each next check of an uncertain upload)."""
    with catalog.session() as session:
        due = due_deferred(session, now, status)
    prefix, sensor = ("resume-uploads", "deferred_uploads_sensor")
    if status == "uncertain":
        prefix, sensor = ("check-uncertain-uploads", "uncertain_uploads_sensor")
    return [
        dg.RunRequest(
            run_key=f"{prefix}|{partition_key(channel, date)}|{until.isoformat()}",
            partition_key=partition_key(channel, date),
            asset_selection=[UPLOADS_KEY],
            tags=run_tags(channel, sensor),
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
    requests = resume_requests(catalog, datetime.now(UTC))
    if not requests:
        return dg.SensorResult(skip_reason=dg.SkipReason("no deferred upload is due"))
    return dg.SensorResult(run_requests=requests)


@dg.sensor(
    name="uncertain_uploads_sensor",
    minimum_interval_seconds=UNCERTAIN_INTERVAL_S,
    asset_selection=[UPLOADS_KEY],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Launches `uploads` again for episodes whose uncertain uploads (a create got no answer) are due "
    "for their next look at the platform's list.",
)
def uncertain_uploads_sensor(context: dg.SensorEvaluationContext, catalog: CatalogResource) -> dg.SensorResult:
    migrate(catalog.url)
    requests = resume_requests(catalog, datetime.now(UTC), status="uncertain")
    if not requests:
        return dg.SensorResult(skip_reason=dg.SkipReason("no uncertain upload is due for a check"))
    return dg.SensorResult(run_requests=requests)
