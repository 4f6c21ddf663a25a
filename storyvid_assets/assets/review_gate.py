"""The gate: downstream assets (videos, publication, uploads) refuse to run while a review item is unresolved.

Blocking checks already stop downstream steps in the run where a check fails. The gate covers every
other way a run can start (a schedule, a sensor, a backfill, a manual launch of just ``videos``): the
partition must have no ``open``, ``rejected`` or ``needs_human`` item, i.e. it was approved or regenerated.
"""

from __future__ import annotations

import dagster as dg

from storyvid_assets.episode import Episode
from storyvid_assets.resources.storage.catalog import CatalogResource
from storyvid_assets.review.queue import unresolved_items


def require_cleared(catalog: CatalogResource, episode: Episode) -> None:
    """Raise :class:`dagster.Failure` when the episode's partition waits for a review decision."""
    with catalog.session() as session:
        items = [
            (i.id, i.asset, i.check_name, i.attempt, i.status, i.summary)
            for i in unresolved_items(session, episode.channel.name, episode.date)
        ]
    if not items:
        return
    listing = "; ".join(
        f"#{i} {asset}/{check} attempt {attempt} is {status}" for i, asset, check, attempt, status, _ in items
    )
    raise dg.Failure(
        description=(
            f"{episode.label} is held for review: {listing}. Approve or reject with "
            f"`storyvid review approve|reject ID --note ...` or on the review page; the approval launches "
            f"this step again."
        ),
        metadata={
            "review_items": dg.MetadataValue.json(
                [
                    {"id": i, "asset": asset, "check": check, "attempt": attempt, "status": status, "summary": summary}
                    for i, asset, check, attempt, status, summary in items
                ]
            ),
        },
        allow_retries=False,
    )
