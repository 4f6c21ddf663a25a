"""Which metrics each platform's analytics API is asked for, and how its answer becomes a ``PostMetrics``.

Platforms rename and remove metrics (YouTube's ``views`` changed meaning in 2025, Instagram's ``plays`` and
``impressions`` now fail the whole request, Facebook drops reach/impression metrics), so the names live in
``data/platform_metrics.yaml``, not in the clients. Sources: /work/shared/reference/analytics-apis.md
(YouTube [Y1][Y3][Y5], Instagram [I1][I5], TikTok [T1], Facebook [F1][F2][F3]).

A refused metric is handled by :class:`MetricNames` and :func:`request_metrics`: the refused name is found in
the platform's message (or by asking for each name alone), swapped for its next fallback, dropped with a note
when nothing we report depends on it, or reported as an error that names this file and the fix.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, RootModel, model_validator

from storyvid_assets.distribution.errors import PlatformError
from storyvid_assets.models import Frozen, PostMetrics
from storyvid_assets.yamlfile import load_yaml_model

T = TypeVar("T")
DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_METRICS_FILE = DATA_DIR / "platform_metrics.yaml"
SPEC_FIX = "see PlatformMetricSpec in storyvid_assets/analytics/platform_metrics.py and the file's comments"
PLATFORMS = ("youtube", "instagram", "tiktok", "facebook")
MetricField = Literal[
    "views", "likes", "comments", "shares", "watch_time_s", "avg_view_pct", "completion_rate", "revenue_usd"
]
COUNT_FIELDS = ("views", "likes", "comments", "shares")
REQUIRED_FIELDS = ("views",)  # never dropped: every figure downstream is relative to views


class FieldSource(BaseModel):
    """How one of our fields is read: ``metric × factor`` (÷ ``divide_by`` metric, ÷ the post's duration),
    capped at ``cap``. Example: watch time in seconds = ``estimatedMinutesWatched × 60``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str
    factor: float = Field(default=1.0, gt=0)
    divide_by: str | None = None  # another platform metric (a ratio); no value or zero -> not reported
    per_duration: bool = False  # divide by the post's duration in seconds; unknown duration -> not reported
    cap: float | None = None


class PlatformMetricSpec(BaseModel):
    """One platform's analytics request: names to ask for, how they map to our fields, what to do on refusal."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["daily", "lifetime"]  # the platform's figures: per day (YouTube) or cumulative counters
    metrics: list[str] = Field(min_length=1)  # platform metric names, requested together
    fields: dict[MetricField, FieldSource]
    fallbacks: dict[str, list[str]] = Field(default_factory=dict)  # name -> alternatives, tried in order
    optional: list[str] = Field(default_factory=list)  # requested separately; a refusal is a note, not an error
    lag_days: int = Field(default=0, ge=0)  # days before a day's figures appear (re-collect at least these)
    batch_size: int = Field(default=1, ge=1)  # posts per request (TikTok: at most 20 ids)
    page_size: int | None = Field(default=None, ge=1)  # rows per page where the API pages (YouTube maxResults)

    @model_validator(mode="after")
    def _consistent(self) -> PlatformMetricSpec:
        asked = [*self.metrics, *self.optional]
        if len(set(asked)) != len(asked):
            raise ValueError("a metric is listed twice (metrics and optional together must be distinct)")
        for name, source in self.fields.items():
            for metric in (source.metric, source.divide_by):
                if metric is not None and metric not in asked:
                    raise ValueError(f"fields.{name} reads {metric!r}, which is not in metrics or optional")
            if name in REQUIRED_FIELDS and source.metric in self.optional:
                raise ValueError(f"fields.{name} must come from metrics, not optional")
        if "views" not in self.fields:
            raise ValueError("fields.views is required")
        if unknown := sorted(set(self.fallbacks) - set(asked)):
            raise ValueError(f"fallbacks for {unknown}, which are not in metrics or optional")
        return self


class MetricSpecsFile(RootModel[dict[Literal["youtube", "instagram", "tiktok", "facebook"], PlatformMetricSpec]]):
    """``platform_metrics.yaml``: platform -> :class:`PlatformMetricSpec`."""


class MetricsAnswer(Frozen):
    """A platform's answer for some posts and days: readings, ``missing`` (post_id, day) with no data yet (lag,
    an empty answer: not the same as zero), and ``notes`` (refused or renamed metrics, skipped posts)."""

    metrics: list[PostMetrics] = Field(default_factory=list)
    missing: list[tuple[str, str]] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


def load_metric_specs(path: Path | None = None) -> dict[str, PlatformMetricSpec]:
    """The metric specs in ``path`` (default: the shipped ``data/platform_metrics.yaml``), read once per file."""
    return dict(_load(path or DEFAULT_METRICS_FILE).root)


@cache
def _load(path: Path) -> MetricSpecsFile:
    return load_yaml_model(path, MetricSpecsFile, SPEC_FIX, file_fix="restore the file from the repository")


# --------------------------------------------------------------------------- numbers -> PostMetrics


def number(value: Any) -> float | None:
    """A reported value as a number: numbers and numeric strings as they are, a breakdown (``{"like": 3,
    "love": 1}``) as its sum; anything else (missing, text) as ``None``."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            parsed = float(value)
        except ValueError:
            return None
        return parsed if math.isfinite(parsed) else None
    if isinstance(value, Mapping):
        parts = [n for n in (number(v) for v in value.values()) if n is not None]
        return sum(parts) if parts else None
    return None


def field_value(source: FieldSource, values: Mapping[str, Any], duration_s: float | None) -> float | None:
    """One field from the platform's values (``None``: not reported, or its divisor is missing or zero)."""
    value = number(values.get(source.metric))
    if value is None:
        return None
    value *= source.factor
    if source.divide_by is not None:
        divisor = number(values.get(source.divide_by))
        if not divisor:
            return None
        value /= divisor
    if source.per_duration:
        if not duration_s or duration_s <= 0:
            return None
        value /= duration_s
    return min(value, source.cap) if source.cap is not None else value


def extra_values(values: Mapping[str, Any], used: Iterable[str]) -> dict[str, float]:
    """Metrics not read into a field, by their platform names; a breakdown becomes ``name.key`` entries."""
    skip = set(used)
    out: dict[str, float] = {}
    for name, raw in values.items():
        if name in skip:
            continue
        if isinstance(raw, Mapping):
            out |= {f"{name}.{key}": n for key, value in raw.items() if (n := number(value)) is not None}
        elif (n := number(raw)) is not None:
            out[name] = n
    return out


def post_metrics(
    spec: PlatformMetricSpec,
    platform: str,
    post_id: str,
    day: str,
    values: Mapping[str, Any],
    duration_s: float | None = None,
) -> PostMetrics:
    """``values`` (keyed by the configured metric names) as a ``PostMetrics`` of ``spec.kind``."""
    read = {name: field_value(source, values, duration_s) for name, source in spec.fields.items()}
    counts = {name: round(v) for name in COUNT_FIELDS if (v := read.get(name)) is not None}
    watch = read.get("watch_time_s")
    return PostMetrics(
        platform=platform,  # type: ignore[arg-type]
        post_id=post_id,
        day=day,
        kind=spec.kind,
        **counts,
        watch_time_s=watch if watch is not None else 0.0,
        avg_view_pct=read.get("avg_view_pct"),
        completion_rate=read.get("completion_rate"),
        revenue_usd=read.get("revenue_usd"),
        extra=extra_values(values, (source.metric for source in spec.fields.values())),
    )


# --------------------------------------------------------------------------- refused metrics


def named_metric(message: str, asked: list[str]) -> str | None:
    """The requested metric a refusal is about, when its message says so.

    ``"... the plays metric is no longer supported"`` names one; ``"metric[0] must be one of the following
    values: views, reach, ..."`` lists the valid ones, so the one asked for and not listed is meant.
    """

    def mentioned(name: str) -> bool:
        return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", message) is not None

    named = [name for name in asked if mentioned(name)]
    if "one of" in message and len(named) == len(asked) - 1:
        return next(name for name in asked if name not in named)
    return named[0] if len(named) == 1 else None


class MetricNames:
    """The names to request now: each configured name, or the fallback it was swapped for, or dropped."""

    def __init__(
        self, platform: str, spec: PlatformMetricSpec, *, optional: bool = False, source: str | None = None
    ) -> None:
        self.platform = platform
        self.spec = spec
        self.optional = optional
        self.source = source or str(DEFAULT_METRICS_FILE)
        configured = spec.optional if optional else spec.metrics
        self.current: dict[str, str | None] = {name: name for name in configured}
        self.notes: list[str] = []

    def names(self) -> list[str]:
        return [name for name in self.current.values() if name is not None]

    def configured(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The platform's values keyed by the configured names (a fallback's value under the name it replaces)."""
        back = {effective: name for name, effective in self.current.items() if effective is not None}
        return {back.get(name, name): value for name, value in values.items()}

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def refuse(self, effective: str, message: str) -> None:
        """``effective`` was refused: use its next fallback, or drop it, or raise when a count depends on it."""
        name = next(n for n, e in self.current.items() if e == effective)
        chain = [name, *self.spec.fallbacks.get(name, [])]
        later = chain[chain.index(effective) + 1 :] if effective in chain else []
        short = message.removeprefix(f"{self.platform}: ")[:240]  # notes are shown under the platform
        if later:
            self.current[name] = later[0]
            self._note(f"{effective} refused ({short}); using {later[0]} instead")
            return
        feeds = sorted(f for f, s in self.spec.fields.items() if name in (s.metric, s.divide_by))
        if not self.optional and set(feeds) & set(REQUIRED_FIELDS):
            raise PlatformError(
                self.platform,
                "metrics",
                f"metric {effective!r} was refused ({short}) and no fallback is left; it feeds {feeds}. "
                f"Fix: in {self.source}, field '{self.platform}.metrics', use the platform's current name or add "
                f"one under '{self.platform}.fallbacks'",
                retryable=False,
            )
        self.current[name] = None
        self._note(f"{effective} refused ({short}), skipped")


def request_metrics(
    names: MetricNames, call: Callable[[list[str]], T], refusal: Callable[[Exception], str | None]
) -> T | None:
    """``call(names)`` until the platform accepts the names asked for; ``None`` when every name was dropped.

    ``refusal(exc)`` gives the platform's message when ``exc`` refuses a metric (else the error is raised).
    A refusal that names no metric is narrowed down by asking for each name alone.
    """
    while asked := names.names():
        try:
            return call(asked)
        except Exception as exc:
            message = refusal(exc)
            if message is None:
                raise
            culprit = asked[0] if len(asked) == 1 else named_metric(message, asked)
            if culprit is None:
                culprit = _probe(asked, call, refusal)
            if culprit is None:
                raise
            names.refuse(culprit, message)
    return None


def _probe(
    asked: list[str], call: Callable[[list[str]], Any], refusal: Callable[[Exception], str | None]
) -> str | None:
    """The first name the platform refuses when asked for alone; ``None`` when it refuses none or every one of
    them (then the request, not a metric, is at fault)."""
    refused: list[str] = []
    for name in asked:
        try:
            call([name])
        except Exception as exc:
            if refusal(exc) is None:
                raise
            refused.append(name)
    return refused[0] if refused and len(refused) < len(asked) else None
