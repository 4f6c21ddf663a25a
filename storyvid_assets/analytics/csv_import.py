"""Metrics from CSV exports (``storyvid analytics import FILE.csv``): daily figures per post, in one of two layouts
recognised from the header. Columns are matched by header name (case and surrounding spaces ignored), never by
position; files are read as UTF-8 with or without a byte-order mark. Rows are numbered as a spreadsheet numbers
them (the header is row 1). Samples: ``examples/analytics/``.

**YouTube Studio** (Analytics → Advanced mode → Export → ``Chart data.csv``; one row per date × video).
Required: ``Date`` (``2026-09-01`` or ``Sep 1, 2026``), ``Content`` (the video id; rows whose Content is ``Total``
are skipped) and ``Views`` or ``Engaged views``. Read when present:

===================================  ====================================================================
``Engaged views`` / ``Views``        views; ``Engaged views`` wins when both are there (it keeps one definition
                                     across YouTube's 2025-26 view-count change), the other goes to ``extra``
``Likes``, ``Shares``                likes, shares
``Comments added``                   comments
``Watch time (hours)``               watch_time_s (× 3600)
``Average view duration``            ``H:MM:SS``, into ``extra`` in seconds; gives watch_time_s (× views)
                                     when the file has no watch time column
``Average percentage viewed (%)``    avg_view_pct, and completion_rate = pct / 100 capped at 1
``Your estimated revenue (USD)``     revenue_usd (else ``Estimated revenue (USD)``)
``Video title``, ``Video publish     not metrics: ignored
time``, ``Duration``
any other column                     ``extra`` under its header, when numeric (a ``%`` sign is dropped);
                                     a column with text in it is ignored with a note
===================================  ====================================================================

The platform is ``youtube`` unless the caller says otherwise. Studio exports one metric per chart unless more
are selected; counts a file does not have are read as 0 and optional figures as "not reported".

**StoryVid metrics CSV** (for any other tool; write it with these headers)::

    platform,post_id,day,views,likes,comments,shares,watch_time_s,avg_view_pct,completion_rate,revenue_usd

Required: ``platform`` (local, youtube, instagram, tiktok, facebook; an empty cell takes the platform given to
the import), ``post_id`` (the platform's id of the post), ``day`` (``YYYY-MM-DD``) and ``views``. Optional:
``likes``, ``comments``, ``shares`` (whole numbers, empty = 0), ``watch_time_s`` (seconds), ``avg_view_pct``
(0-100), ``completion_rate`` (0-1), ``revenue_usd`` (empty = not reported); other numeric columns go to
``extra``. Figures are the day's own, not cumulative.

A file in neither layout, a bad value (error naming the row and column) or the same post and day twice is an
error, ``MetricsCsvError``.
"""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import date, datetime
from pathlib import Path
from typing import Literal, get_args

from pydantic import Field

from storyvid_assets.analytics.models import MetricValues
from storyvid_assets.errors import StoryVidError
from storyvid_assets.models import Frozen, Platform

CsvLayout = Literal["youtube_studio", "storyvid"]
PLATFORMS: tuple[str, ...] = get_args(Platform)
STUDIO_REQUIRED = ("Date", "Content")
STUDIO_VIEWS = ("Engaged views", "Views")
STUDIO_IGNORED = ("Video title", "Video publish time", "Duration")
STUDIO_REVENUE = ("Your estimated revenue (USD)", "Estimated revenue (USD)")
STUDIO_DATE_FORMATS = ("%Y-%m-%d", "%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%Y/%m/%d")
GENERIC_COLUMNS = ("platform", "post_id", "day", "views", "likes", "comments", "shares", "watch_time_s",
                   "avg_view_pct", "completion_rate", "revenue_usd")
GENERIC_REQUIRED = ("platform", "post_id", "day", "views")
LAYOUT_FIX = (
    "export 'Chart data.csv' from YouTube Studio (Analytics → Advanced mode → Export, with Views or Engaged views "
    "selected), or write the StoryVid layout with the header " + ",".join(GENERIC_COLUMNS)
    + " (documented in storyvid_assets/analytics/csv_import.py)"
)
THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DURATION = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})$")


class MetricsCsvError(StoryVidError):
    """A metrics CSV that cannot be read: names the file, the row and column when there is one, and the fix."""

    def __init__(self, path: Path | str, problem: str, fix: str, *, row: int | None = None,
                 column: str | None = None) -> None:
        self.path = str(path)
        self.row = row
        self.column = column
        self.problem = problem
        self.fix = fix
        where = ", ".join(part for part in (f"row {row}" if row else "", f"column '{column}'" if column else "")
                          if part)
        super().__init__(f"{path}: {where + ': ' if where else ''}{problem}. Fix: {fix}")


class ImportedRow(Frozen):
    """One post's figures for one day, read from a CSV export."""

    platform: Platform
    post_id: str
    day: str
    values: MetricValues


class CsvImport(Frozen):
    """What a metrics CSV held: its rows, which layout it was, what the reader decided and how many rows it
    skipped (Studio's ``Total`` rows, blank lines)."""

    layout: CsvLayout
    rows: list[ImportedRow] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    skipped: int = 0


def _key(header: str) -> str:
    return " ".join(header.split()).lower()


class _Cells:
    """One data row's cells by normalised header, with typed readers that raise errors naming row and column."""

    def __init__(self, path: Path, row: int, headers: list[str], cells: list[str]) -> None:
        self.path, self.row = path, row
        self.names = {_key(h): h for h in headers}
        self.cells = {_key(h): (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(headers)}

    def error(self, key: str, problem: str, fix: str) -> MetricsCsvError:
        return MetricsCsvError(self.path, problem, fix, row=self.row, column=self.names.get(key, key))

    def text(self, key: str) -> str:
        return self.cells.get(key, "")

    def number(self, key: str, *, low: float | None = 0.0, high: float | None = None) -> float | None:
        """The cell as a number (``1,234`` and ``12.5%`` accepted); None when empty or absent."""
        raw = self.text(key)
        if raw == "":
            return None
        value = _parse_number(raw)
        if value is None:
            raise self.error(key, f"{raw!r} is not a number", "write a plain number such as 1234 or 12.5")
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"between {low:g} and {high:g}" if low is not None and high is not None else f"at least {low:g}"
            raise self.error(key, f"{raw!r} is out of range", f"the value must be {bounds}")
        return value

    def count(self, key: str) -> int:
        value = self.number(key)
        if value is None:
            return 0
        if not value.is_integer():
            raise self.error(key, f"{self.text(key)!r} is not a whole number", "counts are whole numbers")
        return int(value)

    def seconds(self, key: str) -> float | None:
        """``H:MM:SS`` or ``M:SS`` (or plain seconds) as seconds."""
        raw = self.text(key)
        match = DURATION.match(raw)
        if match:
            hours, minutes, secs = (int(g or 0) for g in match.groups())
            return hours * 3600.0 + minutes * 60 + secs
        return self.number(key)


def _parse_number(raw: str) -> float | None:
    text = raw.strip().removesuffix("%").strip()
    if THOUSANDS.match(text):
        text = text.replace(",", "")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise MetricsCsvError(path, f"cannot be read ({exc.strerror or exc})", "check the path") from exc
    except UnicodeDecodeError as exc:
        raise MetricsCsvError(path, "is not UTF-8 text", "export the file again as CSV (UTF-8)") from exc
    records = list(csv.reader(io.StringIO(text, newline="")))
    if not records or not any(cell.strip() for cell in records[0]):
        raise MetricsCsvError(path, "has no header row", LAYOUT_FIX, row=1)
    headers = [h.strip() for h in records[0]]
    seen: dict[str, str] = {}
    for header in headers:
        if _key(header) in seen:
            raise MetricsCsvError(path, "appears twice in the header", "keep one column of each name", row=1,
                                  column=header)
        seen[_key(header)] = header
    return headers, records[1:]


def _layout(path: Path, headers: list[str]) -> CsvLayout:
    keys = {_key(h) for h in headers}
    studio_missing = [c for c in STUDIO_REQUIRED if _key(c) not in keys]
    if not any(_key(c) in keys for c in STUDIO_VIEWS):
        studio_missing.append(" or ".join(STUDIO_VIEWS))
    generic_missing = [c for c in GENERIC_REQUIRED if c not in keys]
    if not studio_missing:
        return "youtube_studio"
    if not generic_missing:
        return "storyvid"
    raise MetricsCsvError(
        path,
        "is not a known metrics CSV layout: as a YouTube Studio 'Chart data.csv' it lacks "
        f"{', '.join(studio_missing)}; as a StoryVid metrics CSV it lacks {', '.join(generic_missing)}",
        LAYOUT_FIX, row=1,
    )


def _platform(path: Path, platform: str | None) -> None:
    if platform is not None and platform not in PLATFORMS:
        raise MetricsCsvError(path, f"unknown platform {platform!r}", f"use one of {', '.join(PLATFORMS)}")


def _studio_day(cells: _Cells) -> str:
    raw = cells.text("date")
    for fmt in STUDIO_DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt).date().isoformat()
        except ValueError:
            continue
    raise cells.error("date", f"{raw!r} is not a date", "write dates as 2026-09-01 or Sep 1, 2026")


def _iso_day(cells: _Cells, key: str) -> str:
    raw = cells.text(key)
    try:
        if ISO_DAY.match(raw):
            return date.fromisoformat(raw).isoformat()
    except ValueError:
        pass
    raise cells.error(key, f"{raw!r} is not a date", "write days as YYYY-MM-DD")


class _Extras:
    """Columns outside a layout: numeric cells go to ``extra``; a column with text in it is dropped, with a note."""

    def __init__(self, headers: list[str], known: set[str]) -> None:
        self.headers = [h for h in headers if _key(h) not in known and h]
        self.dropped: list[str] = []

    def read(self, cells: _Cells) -> dict[str, float]:
        extra = {}
        for header in self.headers:
            raw = cells.text(_key(header))
            if raw == "" or header in self.dropped:
                continue
            value = _parse_number(raw)
            if value is None:
                self.dropped.append(header)
            else:
                extra[header] = value
        return extra

    def notes(self) -> list[str]:
        return [f"column '{h}' holds text, not a number: ignored" for h in self.dropped]

    def drop_from(self, rows: list[ImportedRow]) -> list[ImportedRow]:
        """Rows without the values of dropped columns (read before a later row showed the column is text)."""
        if not self.dropped:
            return rows
        return [r.model_copy(update={"values": r.values.model_copy(update={"extra": {
            k: v for k, v in r.values.extra.items() if k not in self.dropped}})}) for r in rows]


def _studio_row(cells: _Cells, platform: str, views_key: str, extras: _Extras) -> ImportedRow:
    views = cells.count(views_key)
    extra = extras.read(cells)
    other_views = next((k for k in map(_key, STUDIO_VIEWS) if k != views_key and k in cells.cells), None)
    if other_views is not None and cells.text(other_views):
        extra[cells.names[other_views]] = float(cells.count(other_views))
    avg_duration = cells.seconds("average view duration") if "average view duration" in cells.cells else None
    if avg_duration is not None:
        extra[cells.names["average view duration"]] = avg_duration
    hours = cells.number("watch time (hours)")
    watch = round(hours * 3600.0 if hours is not None else (avg_duration or 0.0) * views, 3)
    pct = cells.number("average percentage viewed (%)")
    revenue = next((value for value in (cells.number(_key(c)) for c in STUDIO_REVENUE) if value is not None), None)
    return ImportedRow(
        platform=platform,
        post_id=cells.text("content"),
        day=_studio_day(cells),
        values=MetricValues(
            views=views,
            likes=cells.count("likes"),
            comments=cells.count("comments added"),
            shares=cells.count("shares"),
            watch_time_s=watch,
            avg_view_pct=pct,
            completion_rate=min(pct / 100.0, 1.0) if pct is not None else None,
            revenue_usd=revenue,
            extra=extra,
        ),
    )


def _studio_notes(names: dict[str, str], views_key: str) -> list[str]:
    keys = set(names)
    notes = [f"views from '{names[views_key]}'"]
    if views_key == _key("Engaged views") and _key("Views") in keys:
        notes[0] += f" (YouTube's engagement-based count; '{names[_key('Views')]}' kept in extra)"
    if _key("Average percentage viewed (%)") in keys:
        notes.append("completion_rate is the average percentage viewed / 100 (capped at 1)")
    if "watch time (hours)" not in keys and "average view duration" in keys:
        notes.append("watch_time_s = views × average view duration (the file has no watch time column)")
    revenue = [c for c in STUDIO_REVENUE if _key(c) in keys]
    if len(revenue) > 1:
        notes.append(f"revenue from '{revenue[0]}' ('{revenue[1]}' where it is empty)")
    return notes


def _generic_row(cells: _Cells, platform: str | None, extras: _Extras) -> ImportedRow:
    row_platform = cells.text("platform") or platform
    if not row_platform:
        raise cells.error("platform", "is empty", "name the platform in the cell or pass it to the import")
    if row_platform not in PLATFORMS:
        raise cells.error("platform", f"{row_platform!r} is not a platform", f"use one of {', '.join(PLATFORMS)}")
    if platform is not None and row_platform != platform:
        raise cells.error("platform", f"{row_platform!r} but the import is for {platform!r}",
                          "import the file without a platform, or split it by platform")
    if not cells.text("views"):
        raise cells.error("views", "is empty", "give the day's views (0 if there were none)")
    return ImportedRow(
        platform=row_platform,
        post_id=cells.text("post_id"),
        day=_iso_day(cells, "day"),
        values=MetricValues(
            views=cells.count("views"),
            likes=cells.count("likes"),
            comments=cells.count("comments"),
            shares=cells.count("shares"),
            watch_time_s=cells.number("watch_time_s") or 0.0,
            avg_view_pct=cells.number("avg_view_pct"),
            completion_rate=cells.number("completion_rate", high=1.0),
            revenue_usd=cells.number("revenue_usd"),
            extra=extras.read(cells),
        ),
    )


def read_metrics_csv(path: Path, platform: str | None = None) -> CsvImport:
    """Daily figures per post from a YouTube Studio export or a StoryVid metrics CSV (the module docstring lists
    both layouts). ``platform`` applies to Studio files (default ``youtube``) and fills empty platform cells."""
    _platform(path, platform)
    headers, records = _read_table(path)
    layout = _layout(path, headers)
    names = {_key(h): h for h in headers}
    if layout == "youtube_studio":
        views_key = next(k for k in map(_key, STUDIO_VIEWS) if k in names)
        known = {_key(c) for c in (*STUDIO_REQUIRED, *STUDIO_VIEWS, *STUDIO_IGNORED, *STUDIO_REVENUE)} | {
            "likes", "shares", "comments added", "watch time (hours)", "average view duration",
            "average percentage viewed (%)"}
        notes = _studio_notes(names, views_key)
    else:
        known = set(GENERIC_COLUMNS)
        notes = []
    extras = _Extras(headers, known)
    rows: list[ImportedRow] = []
    where: dict[tuple[str, str, str], int] = {}
    skipped = totals = 0
    for number, record in enumerate(records, start=2):
        if not any(cell.strip() for cell in record):
            skipped += 1
            continue
        if len(record) > len(headers):
            raise MetricsCsvError(path, f"has {len(record)} cells but the header has {len(headers)}",
                                  "quote cells that contain commas", row=number)
        cells = _Cells(path, number, headers, record)
        if layout == "youtube_studio":
            if cells.text("content").lower() == "total":
                skipped += 1
                totals += 1
                continue
            if not cells.text("content"):
                raise cells.error("content", "is empty", "each row needs the video id in Content")
            row = _studio_row(cells, platform or "youtube", views_key, extras)
        else:
            if not cells.text("post_id"):
                raise cells.error("post_id", "is empty", "each row needs the platform's id of the post")
            row = _generic_row(cells, platform, extras)
        ident = (row.platform, row.post_id, row.day)
        if ident in where:
            raise MetricsCsvError(path, f"{row.post_id} on {row.day} again (first in row {where[ident]})",
                                  "keep one row per post and day (sum split rows first)", row=number)
        where[ident] = number
        rows.append(row)
    if totals:
        notes.append(f"skipped {totals} 'Total' row{'s' if totals > 1 else ''}")
    return CsvImport(layout=layout, rows=extras.drop_from(rows), notes=notes + extras.notes(), skipped=skipped)
