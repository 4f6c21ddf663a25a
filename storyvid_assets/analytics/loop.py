"""The loop's steps on the catalog, shared by the Dagster assets and ``storyvid analytics``.

- :func:`collect_day` asks a metrics provider for one day and stores daily figures (lifetime counters become
  daily figures by differencing stored snapshots); rerunning a day replaces its rows.
- :func:`recommend_day` trains on the mature uploads and, on decision days, sends the best allowed proposal
  down the guarded path; :func:`experiments_day` evaluates experiments and promotes winners the same way.
- :func:`propose_change`, :func:`apply_change`, :func:`reject_change`, :func:`rollback` change the versioned
  configuration, each with an audit row (before/after).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date as date_cls
from datetime import timedelta
from typing import Any, Protocol

import pandas as pd
from sqlalchemy.orm import Session

from storyvid_assets.analytics.experiments import evaluate
from storyvid_assets.analytics.features import training_frame
from storyvid_assets.analytics.guards import guard
from storyvid_assets.analytics.models import (
    COUNT_FIELDS,
    DayMetrics,
    DayRecommendation,
    ExperimentResult,
    ExperimentSpec,
    MetricReading,
    MetricsBatch,
    MetricValues,
    Revision,
    Uplift,
    UploadRef,
)
from storyvid_assets.analytics.pinning import current_settings
from storyvid_assets.analytics.recommend import plot_png, recommend
from storyvid_assets.analytics.roi import roi_table
from storyvid_assets.analytics.tunables import base_settings, resolve
from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.queries import analytics as metrics_db
from storyvid_assets.catalog.queries import configurations as config_db
from storyvid_assets.catalog.tables.analytics import ConfigurationChangeRow
from storyvid_assets.catalog.tables.review import ReviewDecisionRow
from storyvid_assets.channels import ChannelConfig, get_channel
from storyvid_assets.moderation.findings import Finding
from storyvid_assets.review.queue import CONFIG_REVIEW_ASSET, get_item, open_review_item, record_dispatch

Log = Callable[[str], None]


def day_offset(day: str, days: int) -> str:
    return (date_cls.fromisoformat(day) + timedelta(days=days)).isoformat()


# --------------------------------------------------------------------------- metrics


@dataclass
class CollectEnv:
    """What a metrics provider gets besides the uploads: the catalog, today's date, logging, platform clients."""

    catalog_url: str
    today: str
    log: Log = lambda message: None
    clients: dict[str, Any] = field(default_factory=dict)


class MetricsCollector(Protocol):
    """A metrics provider (the ``metrics_provider`` resources implement it)."""

    def collect(self, uploads: list[UploadRef], days: list[str], env: CollectEnv) -> MetricsBatch: ...


def lifetime_to_daily(current: MetricValues, previous: MetricValues | None) -> MetricValues:
    """The day's figures from two lifetime readings. A counter that went down (platforms remove invalid views)
    gives 0 for the day and records the correction in ``extra``; averages (view %, completion) stay as read."""
    if previous is None:
        return current
    extra: dict[str, float] = dict(current.extra)
    counts: dict[str, int] = {}
    for name in COUNT_FIELDS:
        delta = getattr(current, name) - getattr(previous, name)
        counts[name] = max(0, delta)
        if delta < 0:
            extra[f"correction_{name}"] = float(delta)
    watch = max(0.0, current.watch_time_s - previous.watch_time_s)
    revenue = None if current.revenue_usd is None else max(0.0, current.revenue_usd - (previous.revenue_usd or 0.0))
    return current.model_copy(update={**counts, "watch_time_s": watch, "revenue_usd": revenue, "extra": extra})


def _changes(before: MetricValues, after: MetricValues) -> dict[str, tuple[float | None, float | None]]:
    names = [*COUNT_FIELDS, "watch_time_s", "avg_view_pct", "completion_rate", "revenue_usd"]
    return {n: (getattr(before, n), getattr(after, n)) for n in names
            if getattr(before, n) != getattr(after, n)
            and not (isinstance(getattr(before, n), float) and isinstance(getattr(after, n), float)
                     and abs(getattr(before, n) - getattr(after, n)) < 1e-9)}


def _store_daily(session: Session, channel: str, reading: MetricReading, values: MetricValues) -> Revision | None:
    before = metrics_db.daily_row(session, reading.upload_id, reading.day)
    old = metrics_db.row_values(before) if before else None
    metrics_db.store_daily(session, channel, reading.upload_id, reading.day, values, source=reading.source,
                           simulated=reading.simulated)
    changes = _changes(old, values) if old else {}
    return Revision(upload_id=reading.upload_id, day=reading.day, changes=changes) if changes else None


def store_readings(session: Session, channel: str, readings: list[MetricReading], today: str) -> tuple[
        int, list[Revision], list[str]]:
    """Store a provider's readings as daily rows; returns (rows stored, revisions, notes). Daily readings of a
    day are written in one statement; lifetime readings become snapshots and their differences."""
    stored, revisions, notes = 0, [], []
    daily = [r for r in readings if r.kind == "daily"]
    for day in sorted({r.day for r in daily}):
        todays = [r for r in daily if r.day == day]
        old = metrics_db.daily_rows(session, [r.upload_id for r in todays], day)
        for reading in todays:
            before = old.get(reading.upload_id)
            changes = _changes(metrics_db.row_values(before), reading.values) if before else {}
            revisions += [Revision(upload_id=reading.upload_id, day=day, changes=changes)] if changes else []
        metrics_db.store_daily_many(session, channel, day, [(r.upload_id, r.values, r.source, r.simulated)
                                                            for r in todays])
        stored += len(todays)
    for reading in (r for r in readings if r.kind == "lifetime"):
        if reading.day < day_offset(today, -1):
            notes.append(f"upload {reading.upload_id}: lifetime counters read today cannot stand for "
                         f"{reading.day}; the snapshot of that day is kept")
            continue
        metrics_db.store_snapshot(session, reading.upload_id, reading.day, reading.values, reading.source)
        previous = metrics_db.previous_snapshot(session, reading.upload_id, reading.day)
        prior = MetricValues(**previous.values) if previous else None
        revision = _store_daily(session, channel, reading, lifetime_to_daily(reading.values, prior))
        later = metrics_db.next_snapshot(session, reading.upload_id, reading.day)
        if later is not None:  # the next day's difference depends on this snapshot
            again = MetricReading(upload_id=reading.upload_id, day=later.day, kind="daily", source=reading.source,
                                  values=lifetime_to_daily(MetricValues(**later.values), reading.values),
                                  simulated=reading.simulated)
            _store_daily(session, channel, again, again.values)
        stored += 1
        revisions += [revision] if revision else []
    return stored, revisions, notes


def collect_day(catalog_url: str, channel: str, day: str, provider: MetricsCollector, env: CollectEnv) -> DayMetrics:
    """Collect and store one day of the channel's live uploads (a rerun replaces the day's rows)."""
    with session_scope(catalog_url) as session:
        uploads = metrics_db.live_uploads(session, channel, as_of=day)
    if not uploads:
        return DayMetrics(channel=channel, day=day, uploads=0, stored=0, notes=["no live uploads on this day"])
    batch = provider.collect(uploads, [day], env)
    known = {u.upload_id for u in uploads}
    readings = [r for r in batch.readings if r.upload_id in known and r.day == day]
    with session_scope(catalog_url) as session:
        stored, revisions, notes = store_readings(session, channel, readings, env.today)
    return DayMetrics(
        channel=channel, day=day, uploads=len(uploads), stored=stored, revised=revisions, missing=batch.missing,
        notes=[*batch.notes, *notes], simulated=any(r.simulated for r in readings),
        sources=sorted({r.source for r in readings}),
    )


# --------------------------------------------------------------------------- configuration changes


def _finding(channel: str, setting: str, before: Any, after: Any, evidence: dict[str, Any]) -> Finding:
    return Finding(
        category="configuration_change", level="mild", blocking=True,
        what=f"{setting.replace('_', ' ')}: {before} → {after}", where=f"channel {channel} configuration",
        why=str(evidence.get("sentence") or "proposed by the analytics loop"), field=setting,
    )


def propose_change(
    session: Session, channel: ChannelConfig, day: str, setting: str, value: Any, *, source: str,
    evidence: dict[str, Any], auto_apply: bool | None = None, actor: str = "analytics",
) -> ConfigurationChangeRow | None:
    """Send one setting change down the guarded path: a review item (default) or, with ``auto_apply``, a new
    version at once. None when another change of the channel is still waiting for review."""
    version, current = current_settings(session, channel)
    after = resolve(current, {setting: value})
    key = f"{source}|{setting}={value}"
    waiting = [c for c in config_db.pending_changes(session, channel.name) if c.proposal_key != key]
    if waiting:
        return None
    change, created = config_db.add_change(session, channel.name, key, {
        "source": source, "status": "pending", "from_version": version,
        "before": current.model_dump(exclude_none=True), "after": after.model_dump(exclude_none=True),
        "evidence": evidence, "actor": actor, "note": "",
    })
    if not created:
        return change
    if channel.optimization.auto_apply if auto_apply is None else auto_apply:
        apply_change(session, channel, change.id, actor=f"{actor} (auto_apply)", note="applied by auto_apply")
        return config_db.change_by_id(session, change.id)
    item, _ = open_review_item(
        session, channel=channel.name, date=day, asset=CONFIG_REVIEW_ASSET, check_name=f"change_{change.id}",
        attempt=1, findings=[_finding(channel.name, setting, getattr(current, setting), value, evidence)],
        evidence={"change_id": change.id, "source": source, **{k: v for k, v in evidence.items() if k != "sentence"}},
        summary=f"apply this configuration change? {setting}: {getattr(current, setting)} → {value} "
                f"({evidence.get('sentence', source)})",
        run_id=None,
    )
    change.review_item_id = item.id
    session.flush()
    return change


def apply_change(session: Session, channel: ChannelConfig, change_id: int, *, actor: str, note: str = "") -> int:
    """Make a pending change the active configuration; returns the new version. Raises
    :class:`~storyvid_assets.catalog.queries.configurations.ConfigurationConflict` when it cannot apply."""
    change = config_db.change_by_id(session, change_id)
    if change is None or change.status != "pending":
        raise config_db.ConfigurationConflict(
            f"change {change_id} is {change.status if change else 'unknown'}; only a pending change can be applied")
    what = ", ".join(f"{k} {change.before.get(k)} → {v}" for k, v in change.after.items() if change.before.get(k) != v)
    row = config_db.activate_new_version(
        session, channel.name, change.from_version, change.after, name=f"{channel.name}: {what or 'no change'}",
        created_by=actor, reason=f"{change.source}: {change.evidence.get('sentence', '')}".strip(": "),
    )
    if not config_db.decide_change(session, change_id, "applied", to_version=row.version, actor=actor, note=note):
        raise config_db.ConfigurationConflict(f"change {change_id} was decided by someone else first")
    return row.version


def reject_change(session: Session, change_id: int, *, actor: str, note: str = "") -> bool:
    return config_db.decide_change(session, change_id, "rejected", actor=actor, note=note)


def rollback(session: Session, channel: ChannelConfig, version: int, *, actor: str, note: str = "") -> int:
    """Make ``version``'s settings active again as a new version (history stays linear); returns it."""
    if version == 0:
        target: dict[str, Any] = {}
    else:
        old = config_db.configuration(session, channel.name, version)
        if old is None:
            known = [c.version for c in config_db.configurations(session, channel.name)]
            raise config_db.ConfigurationConflict(
                f"{channel.name} has no configuration version {version}; known versions: {[0, *known]}")
        target = dict(old.settings)
    current_version, current = current_settings(session, channel)
    after = resolve(base_settings(channel), target)
    row = config_db.activate_new_version(
        session, channel.name, current_version, after.model_dump(exclude_none=True),
        name=f"{channel.name}: rollback to version {version}", created_by=actor, reason=note or "rollback",
    )
    config_db.add_change(session, channel.name, f"rollback|{current_version}->{row.version}", {
        "source": "rollback", "status": "applied", "from_version": current_version, "to_version": row.version,
        "before": current.model_dump(exclude_none=True), "after": after.model_dump(exclude_none=True),
        "evidence": {"rolled_back_to": version}, "actor": actor, "note": note,
    })
    return row.version


# --------------------------------------------------------------------------- recommendations


def mature_episodes(frame: pd.DataFrame) -> int:
    return int(frame["date"].nunique()) if len(frame) else 0


def is_decision_day(metrics: pd.DataFrame, episodes: pd.DataFrame, channel: ChannelConfig, day: str) -> bool:
    """Changes are proposed only when the mature sample crosses another multiple of ``min_sample``: looking
    at every day's interval would turn noise into changes (repeated looks inflate false positives)."""
    opt = channel.optimization
    today = mature_episodes(training_frame(metrics, episodes, target=opt.target, horizon_days=opt.horizon_days,
                                           as_of=day))
    before = mature_episodes(training_frame(metrics, episodes, target=opt.target, horizon_days=opt.horizon_days,
                                            as_of=day_offset(day, -1)))
    return today // opt.min_sample > before // opt.min_sample


def recommend_day(
    catalog_url: str, channel: ChannelConfig, day: str, *, seed: int = 0,
    save_plot: Callable[[bytes], str] | None = None, auto_apply: bool | None = None, propose: bool = True,
) -> DayRecommendation:
    """Train on the channel's mature uploads, rank setting changes, and on decision days send the best allowed
    one down the guarded path."""
    opt = channel.optimization
    with session_scope(catalog_url) as session:
        metrics = metrics_db.metrics_frame(session, channel.name, until=day)
        episodes = metrics_db.episodes_frame(session, channel.name)
        costs = metrics_db.costs_frame(session, channel.name)
        _, current = current_settings(session, channel)
    frame = training_frame(metrics, episodes, target=opt.target, horizon_days=opt.horizon_days, as_of=day)
    result = recommend(frame, channel=channel.name, day=day, current=current.model_dump(), choices=opt.choices,
                       settings=opt, seed=seed)
    if save_plot is not None and result.scores:
        result = result.model_copy(update={"plot_key": save_plot(plot_png(result, frame))})
    decisions = [guard(u, channel, current) for u in result.uplifts]
    roi = roi_table(metrics, costs).to_dict("records") if len(metrics) else []
    decision_day = bool(result.uplifts) and is_decision_day(metrics, episodes, channel, day)
    outcome = DayRecommendation(recommendation=result, decisions=decisions, decision_day=decision_day, roi=roi)
    allowed = [(u, d) for u, d in zip(result.uplifts, decisions, strict=True) if d.allowed]
    if not (propose and opt.enabled and decision_day and allowed):
        return outcome
    uplift, decision = allowed[0]
    evidence = {"sentence": uplift.sentence(result.target), "uplift": uplift.uplift, "low": uplift.low,
                "high": uplift.high, "confidence": uplift.confidence, "samples": uplift.samples,
                "model": result.chosen_model, "guard": decision.reasons, "simulated": result.simulated}
    with session_scope(catalog_url) as session:
        change = propose_change(session, channel, day, uplift.setting, decision.applied_value,
                                source=f"recommendations:{day}", evidence=evidence, auto_apply=auto_apply)
        if change is None:
            return outcome.model_copy(update={"note": "a configuration change is already waiting for review"})
        return outcome.model_copy(update={"change_id": change.id, "change_status": change.status})


# --------------------------------------------------------------------------- experiments


def experiment_outcomes(frame: pd.DataFrame, episodes: pd.DataFrame, spec: ExperimentSpec) -> pd.DataFrame:
    """One row per mature episode in the experiment: its variant and its metric (mean over its uploads)."""
    variants = {row.date: row.assignments.get(spec.name) for row in episodes.itertuples()
                if isinstance(row.assignments, dict) and spec.name in row.assignments}
    if not len(frame) or not variants:
        return pd.DataFrame({"variant": [], "value": []})
    per_episode = frame.groupby("date")["target"].mean()
    rows = [{"variant": variants[d], "value": float(v)} for d, v in per_episode.items() if d in variants]
    return pd.DataFrame.from_records(rows, columns=["variant", "value"])


def _experiment_uplift(spec: ExperimentSpec, result: ExperimentResult, current: Any) -> Uplift:
    others = [m for v, m in result.means.items() if str(v) != str(result.winner)]
    baseline = min(others) if others else 0.0
    best = result.means.get(str(result.winner), baseline)
    rel = best / baseline - 1 if baseline else 0.0
    return Uplift(setting=spec.setting, current=current, proposed=result.winner, uplift=rel, low=rel, high=rel,
                  confidence=1 - spec.alpha, samples=sum(result.counts.values()))


def experiments_day(catalog_url: str, channel: ChannelConfig, day: str, *, auto_apply: bool | None = None
                    ) -> list[tuple[ExperimentResult, int | None]]:
    """Evaluate the channel's running experiments on ``day``; a winner becomes a guarded configuration change,
    "no difference" ends the experiment with nothing changed. Returns each result with its change id."""
    if not channel.experiments:
        return []
    opt = channel.optimization
    with session_scope(catalog_url) as session:
        metrics = metrics_db.metrics_frame(session, channel.name, until=day)
        episodes = metrics_db.episodes_frame(session, channel.name)
    out: list[tuple[ExperimentResult, int | None]] = []
    for spec in channel.experiments:
        frame = training_frame(metrics, episodes, target=spec.metric, horizon_days=opt.horizon_days, as_of=day)
        with session_scope(catalog_url) as session:
            row = config_db.experiment_row(session, channel.name, spec.name, spec.model_dump(mode="json"))
            if row.status != "running":
                out.append((ExperimentResult(**row.result) if row.result else ExperimentResult(
                    name=spec.name, status=row.status), row.change_id))
                continue
            result = evaluate(spec, experiment_outcomes(frame, episodes, spec), day)
            change_id = None
            if result.status == "winner":
                _, current = current_settings(session, channel)
                uplift = _experiment_uplift(spec, result, getattr(current, spec.setting))
                decision = guard(uplift, channel, current)
                evidence = {"sentence": f"experiment {spec.name}: {result.detail}", "p_value": result.p_value,
                            "means": result.means, "counts": result.counts, "guard": decision.reasons}
                if decision.allowed and getattr(current, spec.setting) != result.winner:
                    change = propose_change(session, channel, day, spec.setting, decision.applied_value,
                                            source=f"experiment:{spec.name}", evidence=evidence, auto_apply=auto_apply)
                    change_id = change.id if change else None
                    if change is None:  # another change is waiting: evaluate again tomorrow
                        out.append((result.model_copy(update={"status": "running", "detail": result.detail
                                    + " (waiting: another configuration change is under review)"}), None))
                        continue
            if result.status != "running":
                config_db.end_experiment(session, row.id, result.status, day, result.model_dump(mode="json"),
                                         change_id)
            out.append((result, change_id))
    return out


def settle_configuration_decision(session: Session, decision: ReviewDecisionRow, actor: str) -> str:
    """Carry out a reviewer's decision on a configuration-change item (once): approve applies the change as a
    new version, reject closes it. Returns the outcome recorded on the decision."""
    if decision.dispatched_at is not None:
        return decision.outcome or ""
    item = get_item(session, decision.item_id)
    change = config_db.change_for_review_item(session, item.id)
    if change is None:
        outcome, detail = "config_conflict", f"no configuration change belongs to review item {item.id}"
    elif decision.action == "approve" and change.status == "pending":
        try:
            with session.begin_nested():
                version = apply_change(session, get_channel(item.channel), change.id, actor=decision.decided_by,
                                       note=decision.note)
            outcome, detail = "config_applied", f"configuration version {version} of {item.channel} is active"
        except config_db.ConfigurationConflict as exc:
            reject_change(session, change.id, actor=actor, note=f"could not apply: {exc}")
            outcome, detail = "config_conflict", str(exc)
    elif decision.action == "approve":
        outcome, detail = "config_conflict", f"change {change.id} is already {change.status}"
    else:
        reject_change(session, change.id, actor=decision.decided_by, note=decision.note)
        outcome, detail = "config_rejected", f"change {change.id} rejected by {decision.decided_by}"
    record_dispatch(session, decision, outcome, None, None, actor, detail)
    return outcome
