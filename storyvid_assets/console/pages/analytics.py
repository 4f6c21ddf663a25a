"""Analytics: per channel and episode, views, completion and revenue over time (charts), ROI per episode,
experiments, the latest recommendations with their intervals, and the pending configuration changes, which
operators and admins approve or reject here (a review decision the review sensor then applies; audited).

Figures from the simulated audience (the local default) are labelled as such wherever they are shown.
"""

from __future__ import annotations

import json
import math
from datetime import date as date_cls
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from storyvid_assets.analytics.models import DayRecommendation
from storyvid_assets.catalog.queries import analytics as metrics_db
from storyvid_assets.catalog.queries import configurations as config_db
from storyvid_assets.channels import ChannelConfig
from storyvid_assets.console import charts
from storyvid_assets.console.core import Console, Refused
from storyvid_assets.console.pages.spend import (
    channel_files,
    parse_channel,
    parse_days,
    parse_id,
    parse_size,
    since_day,
    window,
)
from storyvid_assets.episode import manifest_key, partition_key
from storyvid_assets.resources.budget import utc_day
from storyvid_assets.review.queue import ReviewError, allowed_actions, decide, get_item, is_configuration_item

if TYPE_CHECKING:
    import pandas as pd

SECTION = "/analytics"
METRICS = {"views": "views per day", "completion": "completion rate (views-weighted)", "revenue": "revenue in USD"}
NOTICES = {"approve": "Approved: the review sensor applies the change as a new configuration version.",
           "reject": "Rejected: the change is closed when the review sensor sees the decision."}


class EpisodeLine(BaseModel):
    """One episode's lifetime figures (all its uploads) with its cost and ROI."""

    date: str
    views: int
    completion: float | None
    revenue_usd: float | None
    cost_usd: float
    roi: float | None
    simulated: bool


class ExperimentLine(BaseModel):
    name: str
    setting: str
    variants: list[Any]
    status: str  # running | winner | no_difference | not evaluated yet
    detail: str = ""
    ended_on: str | None = None
    winner: Any = None


class ChangeLine(BaseModel):
    """A pending configuration change and the review item that asks for a decision on it."""

    change_id: int
    source: str
    diff: list[tuple[str, Any, Any]]
    sentence: str
    interval: str
    simulated: bool
    item_id: int | None
    item_status: str | None
    actions: list[str]


def _number(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def parse_episode(raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        return date_cls.fromisoformat(raw).isoformat()
    except ValueError:
        raise Refused(400, f"episode: {raw[:20]!r} is not a date; give the episode's date as YYYY-MM-DD") from None


def weighted_completion(frame: pd.DataFrame) -> float | None:
    """Completion rate weighted by views (rows without a rate or views do not count)."""
    known = frame[frame["completion_rate"].notna() & (frame["views"] > 0)]
    if not len(known):
        return None
    return float((known["completion_rate"] * known["views"]).sum() / known["views"].sum())


def metrics_window(console: Console, channel: str, days: int, episode: str | None) -> pd.DataFrame:
    with console.db() as session:
        frame = metrics_db.metrics_frame(session, channel, since=since_day(days))
    return frame[frame["date"] == episode] if episode else frame


def episode_lines(frame: pd.DataFrame, costs: pd.DataFrame, first: str) -> list[EpisodeLine]:
    """Episodes made from ``first`` on: every figure they have (none exist before their date) and their ROI."""
    from storyvid_assets.analytics.roi import roi_table

    frame = frame[frame["date"] >= first]
    costs = costs[costs["date"] >= first]
    table = roi_table(frame, costs)
    lines = []
    for row in table.itertuples():
        figures = frame[frame["date"] == row.date]
        lines.append(EpisodeLine(
            date=str(row.date), views=int(figures["views"].sum()), completion=weighted_completion(figures),
            revenue_usd=_number(row.revenue_usd), cost_usd=float(row.cost_usd), roi=_number(row.roi),
            simulated=bool(figures["simulated"].any()),
        ))
    return sorted(lines, key=lambda line: line.date, reverse=True)


def experiment_lines(console: Console, channel: ChannelConfig) -> list[ExperimentLine]:
    with console.db() as session:
        stored = {row.name: row for row in config_db.experiments(session, channel.name)}
        specs = {spec.name: spec.model_dump(mode="json") for spec in channel.experiments}
        for name, row in stored.items():
            specs.setdefault(name, dict(row.spec))
        lines = []
        for name, spec in specs.items():
            row = stored.get(name)
            result = dict(row.result or {}) if row is not None else {}
            lines.append(ExperimentLine(
                name=name, setting=str(spec.get("setting", "")), variants=list(spec.get("variants", [])),
                status=row.status if row is not None else "not evaluated yet", detail=str(result.get("detail", "")),
                ended_on=row.ended_on if row is not None else None, winner=result.get("winner"),
            ))
    return lines


def latest_recommendation(console: Console, channel: str) -> DayRecommendation | None:
    """The newest ``recommendations`` output of the channel in the media store (looked for on the days that
    have figures, newest first, and today)."""
    with console.db() as session:
        days = metrics_db.metric_days(session, channel)
    for day in sorted({utc_day(), *days}, reverse=True):
        key = manifest_key(partition_key(channel, day), "recommendations")
        if not console.media_store.exists(key):
            continue
        try:
            envelope = json.loads(console.media_store.read_bytes(key))
            return DayRecommendation.model_validate(envelope["data"])
        except (ValueError, KeyError, ValidationError):
            continue  # an older manifest layout: look at the day before
    return None


def change_lines(console: Console, channel: str, role: str) -> list[ChangeLine]:
    lines = []
    with console.db() as session:
        for change in config_db.pending_changes(session, channel):
            item = get_item(session, change.review_item_id) if change.review_item_id else None
            evidence = dict(change.evidence or {})
            uplift, low, high = (evidence.get(k) for k in ("uplift", "low", "high"))
            confidence = evidence.get("confidence")
            numbers = all(isinstance(v, int | float) for v in (uplift, low, high, confidence))
            interval = (f"{uplift:+.0%} ({confidence:.0%} interval {low:+.0%}..{high:+.0%})" if numbers else "")
            keys = sorted(set(change.before) | set(change.after))
            lines.append(ChangeLine(
                change_id=change.id, source=change.source,
                diff=[(k, change.before.get(k), change.after.get(k)) for k in keys
                      if change.before.get(k) != change.after.get(k)],
                sentence=str(evidence.get("sentence", "")), interval=interval,
                simulated=bool(evidence.get("simulated")), item_id=item.id if item else None,
                item_status=item.status if item else None, actions=allowed_actions(item, role) if item else [],
            ))
    return lines


def daily_series(frame: pd.DataFrame, metric: str, labels: list[str]) -> dict[str, list[float | None]]:
    """One series per platform over ``labels`` (days): summed views or revenue, views-weighted completion."""
    series: dict[str, list[float | None]] = {}
    for platform, rows in sorted(frame.groupby("platform"), key=lambda pair: str(pair[0])):
        values: list[float | None] = []
        for day in labels:
            today = rows[rows["day"] == day]
            if metric == "views":
                values.append(float(today["views"].sum()) if len(today) else None)
            elif metric == "revenue":
                values.append(_number(today["revenue_usd"].sum(min_count=1)) if len(today) else None)
            else:
                values.append(weighted_completion(today))
        series[str(platform)] = values
    return series


def register(app: FastAPI, console: Console) -> None:
    @app.get("/analytics")
    def analytics(request: Request, channel: str | None = None, days: str | None = None,
                  episode: str | None = None, done: str | None = None) -> Response:
        who = console.user(request)
        files = channel_files()
        name = parse_channel(channel, sorted(files), required=True)
        if name is None:
            raise Refused(404, "channel: there are no channels yet; add a channel file")
        chosen = files[name]
        shown_days = parse_days(days)
        only = parse_episode(episode)
        first = since_day(shown_days)
        frame = metrics_window(console, name, shown_days, only)
        with console.db() as session:
            costs = metrics_db.costs_frame(session, name)
        episodes = episode_lines(frame, costs, only or first)
        if only:
            episodes = [e for e in episodes if e.date == only]
        revenue = _number(frame["revenue_usd"].sum(min_count=1)) if len(frame) else None
        cost = float(sum(e.cost_usd for e in episodes))
        summary = {
            "views": int(frame["views"].sum()) if len(frame) else 0,
            "completion": weighted_completion(frame) if len(frame) else None,
            "revenue": revenue, "cost": cost,
            "roi": (revenue - cost) / cost if revenue is not None and cost > 0 else None,
            "uploads": int(frame["upload_id"].nunique()) if len(frame) else 0,
        }
        simulated_rows = int(frame["simulated"].sum()) if len(frame) else 0
        return console.page(
            "analytics.html", who=who, section=SECTION, channels=sorted(files),
            display={c.name: c.display_name for c in files.values()}, chosen=chosen, days=shown_days,
            episode=only, first=first, today=utc_day(), summary=summary, simulated_rows=simulated_rows,
            metric_rows=len(frame), episodes=episodes, metrics=METRICS, experiments=experiment_lines(console, chosen),
            recommendation=latest_recommendation(console, name), changes=change_lines(console, name, who.user.role),
            notice=NOTICES.get(done or ""), can_act=who.user.role in ("operator", "admin"),
        )

    @app.get("/charts/analytics.svg")
    def analytics_svg(request: Request, channel: str = "", metric: str = "views", days: str | None = None,
                      episode: str | None = None, size: str = "wide") -> Response:
        console.user(request)
        shape = parse_size(size)
        files = channel_files()
        name = parse_channel(channel, sorted(files), required=True)
        if name is None:
            raise Refused(404, "channel: there are no channels yet; add a channel file")
        if metric not in METRICS:
            raise Refused(400, f"metric: {metric[:20]!r} is not a chart; use one of {list(METRICS)}")
        shown_days = parse_days(days)
        only = parse_episode(episode)
        frame = metrics_window(console, name, shown_days, only)
        labels = window(shown_days)
        simulated = " — SIMULATED audience" if len(frame) and bool(frame["simulated"].any()) else ""
        title = f"{files[name].display_name}{f' episode {only}' if only else ''}: {METRICS[metric]}{simulated}"
        units = {"views": "views", "completion": "completion (0-1)", "revenue": "USD"}[metric]
        return charts.svg_response(charts.line_chart(title, labels, daily_series(frame, metric, labels),
                                                     y_label=units, empty="no figures for these days",
                                                     size=shape))

    @app.post("/analytics/changes/{item_id}/decision")
    def change_decision(
        request: Request,
        item_id: str,
        action: Annotated[str, Form()] = "",
        note: Annotated[str, Form()] = "",
        csrf_token: Annotated[str, Form()] = "",
    ) -> Response:
        who = console.user(request, "operator")
        console.check_csrf(who, csrf_token)
        number = parse_id(item_id, "review item")
        try:
            with console.db() as session:
                item = get_item(session, number)
                if not is_configuration_item(item):
                    raise Refused(404, f"review item {number} is not a configuration change; decide it on the "
                                       "review page")
                change = config_db.change_for_review_item(session, number)
                before = {"item_status": item.status, "change_status": change.status if change else None}
                decision = decide(session, number, action, note, who.user.username, who.user.role)
                console.audit(session, request, who.user.username, f"configuration_change.{action}",
                              f"review_item:{number}", before,
                              {"item_status": decision.status_after, "decision_id": decision.id},
                              f"{item.channel} change {change.id if change else '?'}: {note.strip()[:500]}")
                channel = item.channel
        except ReviewError as exc:
            raise Refused(exc.status, str(exc)) from None
        return RedirectResponse(f"/analytics?channel={channel}&done={action}", status_code=303)
