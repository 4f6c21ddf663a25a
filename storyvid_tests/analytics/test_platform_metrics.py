"""Platform metric specs: the shipped file, validation errors that name the field, unit conversion into
``PostMetrics``, and what happens when a platform refuses a metric."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyvid_assets.analytics.platform_metrics import (
    FieldSource,
    MetricNames,
    PlatformMetricSpec,
    load_metric_specs,
    named_metric,
    number,
    post_metrics,
    request_metrics,
)
from storyvid_assets.distribution.errors import PlatformError
from storyvid_assets.errors import ConfigError


def spec(**overrides: object) -> PlatformMetricSpec:
    raw: dict[str, object] = {
        "kind": "lifetime",
        "metrics": ["plays", "likes", "avg_ms", "done", "started"],
        "fields": {
            "views": {"metric": "plays"},
            "likes": {"metric": "likes"},
            "completion_rate": {"metric": "done", "divide_by": "started", "cap": 1.0},
            "avg_view_pct": {"metric": "avg_ms", "factor": 0.1, "per_duration": True},
        },
        "fallbacks": {"plays": ["video_views", "views"]},
    }
    return PlatformMetricSpec.model_validate(raw | overrides)


class Refused(Exception):
    """A platform refusing the request with a message."""


def refusal(exc: Exception) -> str | None:
    return str(exc) if isinstance(exc, Refused) else None


def test_the_shipped_specs_follow_the_reference() -> None:
    specs = load_metric_specs()
    assert set(specs) == {"youtube", "instagram", "tiktok", "facebook"}
    youtube = specs["youtube"]
    assert youtube.kind == "daily" and youtube.fields["views"].metric == "engagedViews"
    assert youtube.fields["watch_time_s"] == FieldSource(metric="estimatedMinutesWatched", factor=60)
    assert youtube.optional == ["estimatedRevenue"] and youtube.fields["revenue_usd"].metric == "estimatedRevenue"
    assert all(specs[p].kind == "lifetime" for p in ("instagram", "tiktok", "facebook"))
    assert specs["tiktok"].batch_size <= 20 and "completion_rate" not in specs["tiktok"].fields
    removed = {"plays", "impressions", "video_views", "total_video_views_unique", "total_video_impressions"}
    assert not removed & {m for s in specs.values() for m in [*s.metrics, *s.optional]}
    assert load_metric_specs()["youtube"] is youtube, "read once per process"


def test_a_spec_file_is_validated_with_the_field_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "metrics.yaml"
    path.write_text("youtube:\n  kind: daily\n  metrics: [views]\n  fields:\n    views: {metric: engagedViews}\n")
    with pytest.raises(ConfigError) as bad:
        load_metric_specs(path)
    assert str(path) in str(bad.value) and "youtube" in bad.value.field and "engagedViews" in bad.value.problem
    path.write_text("myspace:\n  kind: daily\n  metrics: [views]\n  fields:\n    views: {metric: views}\n")
    with pytest.raises(ConfigError, match="myspace"):
        load_metric_specs(path)
    path.write_text("tiktok:\n  kind: lifetime\n  metrics: [view_count]\n  fields:\n    views: {metric: view_count}\n")
    assert load_metric_specs(path)["tiktok"].metrics == ["view_count"]


def test_views_must_come_from_requested_metrics() -> None:
    with pytest.raises(ValueError, match=r"fields\.views is required"):
        spec(fields={"likes": {"metric": "likes"}})
    with pytest.raises(ValueError, match="must come from metrics"):
        spec(metrics=["likes"], optional=["plays"], fields={"views": {"metric": "plays"}}, fallbacks={})
    with pytest.raises(ValueError, match="listed twice"):
        spec(optional=["likes"])


def test_numbers_are_read_from_what_platforms_send() -> None:
    assert number(3) == 3.0 and number("12.5") == 12.5 and number({"like": 3, "love": 2, "note": "x"}) == 5.0
    assert number(True) is None and number("n/a") is None and number(float("nan")) is None and number(None) is None


def test_post_metrics_converts_units_and_keeps_the_rest_as_extras() -> None:
    values = {"plays": 1000.4, "likes": "7", "avg_ms": 30_000, "done": 300, "started": 400, "reach": 800,
              "reactions": {"like": 2, "wow": 1}}
    m = post_metrics(spec(), "facebook", "v1", "2026-11-24", values, duration_s=60.0)
    assert (m.platform, m.post_id, m.day, m.kind, m.views, m.likes) == ("facebook", "v1", "2026-11-24", "lifetime",
                                                                      1000, 7)
    assert m.completion_rate == pytest.approx(0.75) and m.avg_view_pct == pytest.approx(50.0)
    assert m.watch_time_s == 0.0 and m.revenue_usd is None and m.comments == 0
    assert m.extra == {"started": 400.0, "reach": 800.0, "reactions.like": 2.0, "reactions.wow": 1.0}


def test_a_missing_divisor_or_duration_means_not_reported_and_caps_hold() -> None:
    m = post_metrics(spec(), "facebook", "v1", "d", {"plays": 10, "done": 5, "started": 0, "avg_ms": 9000})
    assert m.completion_rate is None and m.avg_view_pct is None, "no duration, zero starts: not reported"
    capped = post_metrics(spec(), "facebook", "v1", "d", {"plays": 10, "done": 9, "started": 4})
    assert capped.completion_rate == 1.0


@pytest.mark.parametrize(
    ("message", "asked", "expected"),
    [
        ("(#100) Starting from version v22.0 and above, the plays metric is no longer supported.",
         ["plays", "likes"], "plays"),
        ("(#100) metric[0] must be one of the following values: views, reach, likes", ["plays", "likes", "reach"],
         "plays"),
        ("Unknown identifier (likes) given in field parameters.metrics.", ["plays", "likes"], "likes"),
        ("(#100) The value must be a valid insights metric", ["plays", "likes"], None),
        ("(#100) plays and likes are both wrong", ["plays", "likes"], None),
        ("the total_video_views_unique metric was removed", ["total_video_views", "total_video_views_unique"],
         "total_video_views_unique"),
    ],
)
def test_the_refused_metric_is_read_from_the_message(message: str, asked: list[str], expected: str | None) -> None:
    assert named_metric(message, asked) == expected


def test_refused_names_fall_back_in_order_then_drop_or_stop() -> None:
    names = MetricNames("instagram", spec())
    names.refuse("plays", "removed")
    assert names.names()[0] == "video_views"
    names.refuse("video_views", "removed too")
    assert names.names()[0] == "views" and names.configured({"views": 5, "likes": 1}) == {"plays": 5, "likes": 1}
    names.refuse("avg_ms", "unknown")  # feeds avg_view_pct only: dropped with a note
    assert "avg_ms" not in names.names() and names.notes[-1].startswith("avg_ms refused")
    with pytest.raises(PlatformError, match=r"'views' was refused .* feeds \['views'\]"):
        names.refuse("views", "gone")
    divisor = MetricNames("facebook", spec())
    divisor.refuse("started", "gone")  # completion's divisor: completion is simply not reported
    assert "started" not in divisor.names()


def test_request_metrics_narrows_an_unnamed_refusal_down_by_asking_alone() -> None:
    asked: list[list[str]] = []

    def call(names: list[str]) -> dict[str, int]:
        asked.append(names)
        if "done" in names:
            raise Refused("(#100) The value must be a valid insights metric")
        return {name: 1 for name in names}

    names = MetricNames("facebook", spec())
    assert request_metrics(names, call, refusal) == {"plays": 1, "likes": 1, "avg_ms": 1, "started": 1}
    assert asked[1:6] == [["plays"], ["likes"], ["avg_ms"], ["done"], ["started"]]
    assert names.notes == ["done refused ((#100) The value must be a valid insights metric), skipped"]


def test_request_metrics_raises_what_is_not_a_metric_refusal() -> None:
    def everything_refused(names: list[str]) -> None:
        raise Refused("The query is not supported.")

    with pytest.raises(Refused):  # every name refused alone: the request is at fault, not a metric
        request_metrics(MetricNames("youtube", spec()), everything_refused, refusal)

    def outage(names: list[str]) -> None:
        raise ConnectionError("down")

    with pytest.raises(ConnectionError):
        request_metrics(MetricNames("youtube", spec()), outage, refusal)


def test_optional_metrics_refused_leave_nothing_to_ask() -> None:
    optional = MetricNames("youtube", spec(optional=["revenue"]), optional=True)

    def forbidden(names: list[str]) -> None:
        raise Refused("Forbidden (HTTP 403)")

    assert request_metrics(optional, forbidden, refusal) is None
    assert optional.names() == [] and optional.notes == ["revenue refused (Forbidden (HTTP 403)), skipped"]
