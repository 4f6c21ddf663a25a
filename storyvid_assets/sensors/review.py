"""``review_decisions_sensor``: turns reviewers' decisions into runs.

- approve: one run of the partition's assets downstream of the checked asset (at the same attempt);
- reject: one regeneration run of the checked asset and everything downstream, with ``attempt + 1`` (the
  catalog's ``episodes.attempt`` moves too), so every provider makes different content;
- an automatic rejection (a failed gate's own, ``review_decisions.automatic``): the same regeneration; for
  scene images only the flagged scenes are redrawn and the others are kept (``PartialRegeneration``);
- a configuration-change item (``review/queue.CONFIG_REVIEW_ASSET``): approve applies the change as a new
  configuration version, reject closes it (no run either way);
- the :data:`MAX_REJECTIONS`-th rejection of the same check escalates the item to ``needs_human``, logs an
  alert and records an observation with the alert on the asset.

The cursor is the id of the last decision handled; the run key is derived from the decision id, and the
catalog remembers what was dispatched, so a repeated tick never launches a second run or moves the
attempt twice. Before dispatching, the item's status is checked again: a decision that another one
overtook launches nothing.

No ``from __future__ import annotations`` here (dagster-io/dagster#26837).
"""

from typing import Any

import dagster as dg
from sqlalchemy.orm import Session

from storyvid_assets.assets.partitions import ASSET_GROUP
from storyvid_assets.catalog.db import migrate
from storyvid_assets.catalog.queries.episodes import current_attempt, set_episode_status
from storyvid_assets.catalog.queries.review import pending_decisions, rejection_count
from storyvid_assets.catalog.tables.review import ReviewDecisionRow, ReviewItemRow
from storyvid_assets.episode import PartialRegeneration, partition_key, run_tags
from storyvid_assets.resources.storage.catalog import CatalogResource
from storyvid_assets.review.queue import MAX_REJECTIONS, get_item, is_configuration_item, record_dispatch

SENSOR_ACTOR = "sensor:review_decisions_sensor"
DECISION_TAG = "storyvid/review-decision"
ITEM_TAG = "storyvid/review-item"
MAX_DECISIONS_PER_TICK = 25


def run_key_for(decision_id: int) -> str:
    return f"review-decision-{decision_id}"


def selection_for(
    asset_graph: Any, asset: str, *, include_asset: bool
) -> tuple[list[dg.AssetKey], list[dg.AssetCheckKey]]:
    """The asset and its downstream assets (or only the downstream ones), with their checks."""
    keys = set(dg.AssetSelection.assets(asset).downstream().resolve(asset_graph))
    if not include_asset:
        keys.discard(dg.AssetKey(asset))
    checks = sorted((k for k in asset_graph.asset_check_keys if k.asset_key in keys), key=lambda k: k.to_user_string())
    return sorted(keys, key=lambda k: k.to_user_string()), checks


def _request(
    item: ReviewItemRow, decision: ReviewDecisionRow, asset_graph: Any, attempt: int, include_asset: bool, trigger: str
) -> dg.RunRequest | None:
    assets, checks = selection_for(asset_graph, item.asset, include_asset=include_asset)
    if not assets:
        return None
    partial = partial_for(item) if decision.automatic and include_asset else None
    return dg.RunRequest(
        run_key=run_key_for(decision.id),
        partition_key=str(partition_key(item.channel, item.date)),
        asset_selection=assets,
        asset_check_keys=checks,
        tags={**run_tags(item.channel, trigger, attempt), DECISION_TAG: str(decision.id), ITEM_TAG: str(item.id),
              **(partial.tags() if partial else {})},
    )


def partial_for(item: ReviewItemRow) -> PartialRegeneration | None:
    """Scene images: redraw only the scenes with blocking findings (None when a finding concerns them all)."""
    if item.asset != "scene_images":
        return None
    scenes = [f.get("scene_index") for f in item.findings or [] if f.get("blocking")]
    if not scenes or None in scenes:
        return None
    return PartialRegeneration(scenes=frozenset(scenes), reuse_attempt=item.attempt)


def _escalation(item: ReviewItemRow, rejections: int) -> dg.AssetObservation:
    return dg.AssetObservation(
        asset_key=item.asset,
        partition=str(partition_key(item.channel, item.date)),
        metadata={
            "review_status": "needs_human",
            "review_item": item.id,
            "alert": dg.MetadataValue.text(
                f"{item.check_name} was rejected {rejections} times; automatic regeneration stopped. "
                f"A person must fix the source and an admin approve item {item.id}."
            ),
        },
    )


def dispatch(
    session: Session, decision: ReviewDecisionRow, asset_graph: Any, log: Any
) -> tuple[dg.RunRequest | None, dg.AssetObservation | None]:
    """What one decision asks for. Re-dispatching an already handled decision rebuilds the same request.

    A decision not yet handled whose item is no longer in the state the decision left it in (another decision
    or a reopening came after it) is skipped with a log line: it asks for nothing any more.
    """
    item = get_item(session, decision.item_id)
    if decision.dispatched_at is None and item.status != decision.status_after:
        log.warning(
            f"review decision {decision.id} ({decision.action} by {decision.decided_by}) skipped: item {item.id} "
            f"is {item.status}, not {decision.status_after} as the decision left it"
        )
        return None, None
    if is_configuration_item(item):  # "apply this configuration change?": no run, a new configuration version
        from storyvid_assets.analytics.loop import settle_configuration_decision  # loads pandas: only when needed

        outcome = settle_configuration_decision(session, decision, SENSOR_ACTOR)
        log.info(f"review item {item.id} (configuration change of {item.channel}): {outcome}")
        return None, None
    if decision.action == "approve":
        request = _request(item, decision, asset_graph, item.attempt, include_asset=False, trigger="review-approval")
        record_dispatch(
            session,
            decision,
            "downstream_run",
            request.run_key if request else None,
            None,
            SENSOR_ACTOR,
            f"approved by {decision.decided_by}: launching {item.asset}'s downstream assets",
        )
        return request, None
    trigger = "automatic-regeneration" if decision.automatic else "review-regeneration"
    if decision.dispatched_at is not None and decision.outcome == "regeneration":
        return _request(
            item, decision, asset_graph, decision.new_attempt or item.attempt + 1, include_asset=True, trigger=trigger
        ), None
    rejections = rejection_count(session, item, up_to_decision=decision.id)
    if decision.outcome == "escalated" or rejections >= MAX_REJECTIONS:
        if decision.dispatched_at is None:
            log.error(
                f"ALERT review item {item.id} ({partition_key(item.channel, item.date)} {item.asset}/"
                f"{item.check_name}) was rejected {rejections} times: escalated to needs_human, no more regeneration"
            )
        record_dispatch(
            session, decision, "escalated", None, None, SENSOR_ACTOR, f"{rejections} rejections: a person must fix this"
        )
        return None, _escalation(item, rejections)
    new_attempt = max(item.attempt, current_attempt(session, item.channel, item.date)) + 1
    set_episode_status(session, item.channel, item.date, "regenerating", new_attempt)
    request = _request(item, decision, asset_graph, new_attempt, include_asset=True, trigger=trigger)
    partial = partial_for(item) if decision.automatic else None
    what = f"scenes {', '.join(str(i + 1) for i in sorted(partial.scenes))} of " if partial else ""
    why = decision.note.split(":", 1)[0] if decision.automatic else f"rejected by {decision.decided_by}"
    record_dispatch(
        session,
        decision,
        "regeneration",
        request.run_key if request else None,
        new_attempt,
        SENSOR_ACTOR,
        f"{why}: regenerating {what}{item.asset} as attempt {new_attempt}",
    )
    return request, None


@dg.sensor(
    name="review_decisions_sensor",
    target=dg.AssetSelection.groups(ASSET_GROUP),
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Approvals launch the blocked downstream assets; rejections (people's, and a failed gate's automatic "
        "ones) regenerate with the next attempt."
    ),
)
def review_decisions_sensor(context: dg.SensorEvaluationContext, catalog: CatalogResource) -> dg.SensorResult:
    after = int(context.cursor) if context.cursor and context.cursor.isdigit() else 0
    migrate(catalog.url)
    asset_graph = context.repository_def.asset_graph
    requests: list[dg.RunRequest] = []
    events: list[dg.AssetObservation] = []
    last = after
    with catalog.session() as session:
        for decision in pending_decisions(session, after, MAX_DECISIONS_PER_TICK):
            request, event = dispatch(session, decision, asset_graph, context.log)
            requests += [request] if request else []
            events += [event] if event else []
            last = decision.id
    if requests:
        context.log.info(f"launching {len(requests)} run(s) for review decisions up to #{last}")
    return dg.SensorResult(run_requests=requests, asset_events=events, cursor=str(last))
