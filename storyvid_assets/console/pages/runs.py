"""Runs: per channel, the recent partitions (dates) with the catalog's status and attempt and Dagster's runs;
"make this episode" and "backfill these dates" (operators and admins) launch them in Dagster.

Without a Dagster URL (``--dagster-url`` / ``STORYVID_DAGSTER_URL``) the page shows the catalog's side and says
so. Every launch is audited (``runs.make_episode``, ``runs.backfill``) with the partition's catalog state
before and the run or backfill after.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict

from storyvid_assets.catalog.queries.configurations import episode_row
from storyvid_assets.catalog.queries.episodes import recent_episodes
from storyvid_assets.channels import ChannelConfig, load_channels
from storyvid_assets.console.core import Console, Refused
from storyvid_assets.console.dagster_link import (
    EPISODE_JOB,
    DagsterBackfill,
    DagsterLink,
    DagsterLinkError,
    DagsterRun,
    episode_run_tags,
    safe_url,
)
from storyvid_assets.episode import partition_key
from storyvid_assets.review import auth
from storyvid_assets.settings import settings

SECTION = "/runs"
MAX_BACKFILL_DAYS = 62
DATES_ALL, DATES_ONE = 10, 31  # partitions shown per channel: all channels / one channel
RUNS_PER_CHANNEL = 100
RUN_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
BACKFILL_ID = re.compile(r"^[a-z0-9]{1,32}$")
NOT_CONNECTED = ("Dagster is not connected, so this page shows the catalog's side only and nothing can be launched. "
                 "Start the console with --dagster-url http://127.0.0.1:3000 (or set STORYVID_DAGSTER_URL).")


class EpisodeLaunch(BaseModel):
    """A checked "make this episode" request."""

    model_config = ConfigDict(frozen=True)

    channel: str
    date: str


class BackfillLaunch(BaseModel):
    """A checked "backfill these dates" request: every date from ``dates[0]`` to ``dates[-1]``."""

    model_config = ConfigDict(frozen=True)

    channel: str
    dates: list[str]


class PartitionLine(BaseModel):
    """One date of a channel: the catalog's status and attempt and Dagster's runs of it (newest first)."""

    date: str
    status: str | None = None
    attempt: int | None = None
    runs: list[DagsterRun] = []


class ChannelRuns(BaseModel):
    name: str
    display_name: str
    lines: list[PartitionLine]


def today() -> date:
    """The newest partition's day (the date dimension is daily in UTC and includes today)."""
    return datetime.now(UTC).date()


def check_channel(raw: str, channels: dict[str, ChannelConfig]) -> str:
    name = raw.strip()
    known = ", ".join(sorted(channels))
    if not name:
        raise Refused(400, f"channel: choose a channel (one of {known})")
    if name not in channels:
        raise Refused(400, f"channel: there is no channel {name!r}; choose one of {known} (channel files live in "
                           "channels/)")
    return name


def check_date(raw: str, field: str, newest: date) -> date:
    """A partition day: YYYY-MM-DD, not before STORYVID_START_DATE, not after today."""
    text = raw.strip()
    try:
        day = date.fromisoformat(text)
        if len(text) != 10:
            raise ValueError(text)
    except ValueError:
        raise Refused(400, f"{field}: {text!r} is not a date; give it as YYYY-MM-DD, e.g. {newest}") from None
    first = settings().start_date
    if day < first:
        raise Refused(400, f"{field}: {day} is before the first episode day {first} (STORYVID_START_DATE); pick "
                           f"{first} or later")
    if day > newest:
        raise Refused(400, f"{field}: {day} is in the future; the newest episode day is today, {newest}")
    return day


def episode_launch(channel: str, day: str, channels: dict[str, ChannelConfig], newest: date) -> EpisodeLaunch:
    return EpisodeLaunch(channel=check_channel(channel, channels), date=check_date(day, "date", newest).isoformat())


def backfill_launch(channel: str, date_from: str, date_to: str, channels: dict[str, ChannelConfig],
                    newest: date) -> BackfillLaunch:
    name = check_channel(channel, channels)
    first, last = check_date(date_from, "from", newest), check_date(date_to, "to", newest)
    if first > last:
        raise Refused(400, f"from: {first} is after to ({last}); swap the two dates")
    days = (last - first).days + 1
    if days > MAX_BACKFILL_DAYS:
        raise Refused(400, f"to: {first} to {last} is {days} days; backfill at most {MAX_BACKFILL_DAYS} days at a "
                           "time (split the range)")
    return BackfillLaunch(channel=name, dates=[(first + timedelta(days=i)).isoformat() for i in range(days)])


def merge(catalog: list[PartitionLine], runs: list[DagsterRun], limit: int) -> list[PartitionLine]:
    """The ``limit`` newest dates known to the catalog or to Dagster, each with both sides."""
    lines = {line.date: line.model_copy(update={"runs": []}) for line in catalog}
    for run in runs:  # newest first
        if run.date:
            lines.setdefault(run.date, PartitionLine(date=run.date)).runs.append(run)
    return [lines[day] for day in sorted(lines, reverse=True)[:limit]]


def register(app: FastAPI, console: Console) -> None:
    def link() -> DagsterLink | None:
        return DagsterLink(console.dagster_url, console.dagster_ui_url) if console.dagster_url else None

    def render(who: auth.LoggedIn, status: int = 200, *, shown: str | None = None, launched: str | None = None,
               backfill: str | None = None, error: str | None = None, form: dict[str, str] | None = None) -> Response:
        channels = load_channels()
        if shown is not None and shown not in channels:
            raise Refused(404, f"channel: there is no channel {shown!r}; choose one of {', '.join(sorted(channels))}")
        names = [shown] if shown else sorted(channels)
        limit = DATES_ONE if shown else DATES_ALL
        with console.db() as session:
            catalog = {name: [PartitionLine(date=row.date, status=row.status, attempt=row.attempt)
                              for row in recent_episodes(session, name, limit)] for name in names}
        runs: dict[str, list[DagsterRun]] = {name: [] for name in names}
        backfills: list[DagsterBackfill] = []
        launched_run: DagsterRun | None = None
        launched_backfill: DagsterBackfill | None = None
        dagster_error = None
        try:
            dagster = link()
            if dagster is not None:
                runs = dagster.channel_runs(names, RUNS_PER_CHANNEL)
                backfills = [b for b in dagster.backfills() if shown is None or b.channel == shown]
                if launched:
                    launched_run = dagster.run(launched)
                if backfill:
                    launched_backfill = next((b for b in backfills if b.backfill_id == backfill), None)
        except (DagsterLinkError, ValueError) as exc:
            dagster_error = str(exc)
        sections = [ChannelRuns(name=name, display_name=channels[name].display_name,
                                lines=merge(catalog[name], runs[name], limit)) for name in names]
        newest = today()
        values = {"channel": shown or names[0], "date": newest.isoformat(),
                  "date_from": (newest - timedelta(days=6)).isoformat(), "date_to": newest.isoformat()}
        return console.page(
            "runs.html", status, who=who, section=SECTION, sections=sections, channels=sorted(channels), shown=shown,
            connected=console.dagster_url is not None and dagster_error is None,
            not_connected=NOT_CONNECTED if console.dagster_url is None else None, dagster_error=dagster_error,
            dagster_at=safe_url(console.dagster_url) if console.dagster_url else None,
            can_launch=who.user.role in ("operator", "admin"), backfills=backfills, launched=launched,
            launched_run=launched_run, backfill=backfill, launched_backfill=launched_backfill, error=error,
            form=values | (form or {}), newest=newest.isoformat(), max_days=MAX_BACKFILL_DAYS,
        )

    def connected() -> DagsterLink:
        dagster = link()
        if dagster is None:
            raise Refused(503, NOT_CONNECTED)
        return dagster

    def catalog_state(channel: str, day: str) -> dict[str, Any]:
        with console.db() as session:
            row = episode_row(session, channel, day)
            return {"status": row.status, "attempt": row.attempt} if row else {"status": None}

    @app.get("/runs")
    def runs_page(request: Request, channel: str | None = None, launched: str | None = None,
                  backfill: str | None = None) -> Response:
        who = console.user(request)
        return render(who, shown=channel or None, launched=launched if launched and RUN_ID.match(launched) else None,
                      backfill=backfill if backfill and BACKFILL_ID.match(backfill) else None)

    @app.post("/runs/episode")
    def make_episode(
        request: Request,
        channel: Annotated[str, Form()] = "",
        date: Annotated[str, Form()] = "",
        csrf_token: Annotated[str, Form()] = "",
    ) -> Response:
        who = console.user(request, "operator")
        console.check_csrf(who, csrf_token)
        form = {"channel": channel, "date": date}
        try:
            launch = episode_launch(channel, date, load_channels(), today())
            dagster = connected()
            before = catalog_state(launch.channel, launch.date)
            run_id = dagster.launch_episode(launch.channel, launch.date, who.user.username)
        except Refused as exc:
            return render(who, exc.status, error=exc.message, form=form)
        except (DagsterLinkError, ValueError) as exc:
            return render(who, 502, error=str(exc), form=form)
        tags = episode_run_tags(launch.channel, launch.date, "console", who.user.username)
        with console.db() as session:
            console.audit(session, request, who.user.username, "runs.make_episode",
                          str(partition_key(launch.channel, launch.date)), before=before,
                          after={"run_id": run_id, "job": EPISODE_JOB, "tags": tags},
                          detail=f"launched {EPISODE_JOB} run {run_id} in Dagster")
        return RedirectResponse(f"/runs?channel={launch.channel}&launched={run_id}", status_code=303)

    @app.post("/runs/backfill")
    def backfill_dates(
        request: Request,
        channel: Annotated[str, Form()] = "",
        date_from: Annotated[str, Form()] = "",
        date_to: Annotated[str, Form()] = "",
        csrf_token: Annotated[str, Form()] = "",
    ) -> Response:
        who = console.user(request, "operator")
        console.check_csrf(who, csrf_token)
        form = {"channel": channel, "date_from": date_from, "date_to": date_to}
        try:
            launch = backfill_launch(channel, date_from, date_to, load_channels(), today())
            dagster = connected()
            backfill_id = dagster.launch_backfill(launch.channel, launch.dates, who.user.username)
        except Refused as exc:
            return render(who, exc.status, error=exc.message, form=form)
        except (DagsterLinkError, ValueError) as exc:
            return render(who, 502, error=str(exc), form=form)
        with console.db() as session:
            console.audit(session, request, who.user.username, "runs.backfill",
                          f"{launch.channel} {launch.dates[0]}..{launch.dates[-1]}", before={},
                          after={"backfill_id": backfill_id, "job": EPISODE_JOB, "partitions": len(launch.dates)},
                          detail=f"launched backfill {backfill_id} of {len(launch.dates)} partitions in Dagster")
        return RedirectResponse(f"/runs?channel={launch.channel}&backfill={backfill_id}", status_code=303)
