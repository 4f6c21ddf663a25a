"""Instagram media insights through the real client against the loopback Graph API: lifetime counters and units,
completion from the duration, empty answers as missing, removed metrics, retries and token refresh."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from storyvid_assets.analytics.platform_metrics import FieldSource, MetricsAnswer, load_metric_specs
from storyvid_assets.distribution.errors import PlatformError
from storyvid_assets.models import PlatformPost
from storyvid_tests.distribution.conftest import FakeClock, client_for
from storyvid_tests.fakes.instagram import FakeInstagram

DAYS = ["2026-11-23", "2026-11-24"]
SPEC = load_metric_specs()["instagram"]
REEL = {"views": 2000, "reach": 1500, "likes": 120, "comments": 9, "shares": 14, "saved": 5, "total_interactions": 148,
        "ig_reels_avg_watch_time": 45_000, "ig_reels_video_view_total_time": 90_000_000,
        "reels_skip_rate": 31.5, "reposts": 2}


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakeInstagram]:
    with FakeInstagram(now=clock.now) as started:
        yield started  # type: ignore[misc]


def post(media_id: str) -> PlatformPost:
    return PlatformPost(platform="instagram", format="9:16", post_id=media_id, url="", status="published")


def fetch(fake: FakeInstagram, catalog_url: str, clock: FakeClock, media: list[str], **kwargs: Any) -> MetricsAnswer:
    spec = kwargs.pop("spec", SPEC)
    durations = kwargs.pop("durations", {})
    return client_for("instagram", fake, **kwargs).fetch_metrics(
        [post(m) for m in media], DAYS, catalog_url=catalog_url, clock=clock, spec=spec, durations=durations
    )


def statuses(fake: FakeInstagram, count: int) -> list[int | None]:
    """The answers to the insights requests, once ``count`` are logged (the fake logs just after answering)."""
    deadline = time.monotonic() + 5
    while len(fake.steps("insights")) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return [s.status for s in fake.steps("insights")]


def test_lifetime_counters_in_our_units(fake: FakeInstagram, catalog_url: str, clock: FakeClock) -> None:
    fake.set_insights("m1", REEL)
    fake.set_insights("m2", REEL | {"views": 10, "ig_reels_avg_watch_time": 90_000})
    answer = fetch(fake, catalog_url, clock, ["m1", "m2"], durations={"m1": 60.0, "m2": 60.0})
    m1, m2 = answer.metrics
    assert (m1.kind, m1.day, m1.views, m1.likes, m1.comments, m1.shares) == ("lifetime", "2026-11-24", 2000, 120, 9, 14)
    assert m1.watch_time_s == 90_000.0  # milliseconds -> seconds
    assert m1.completion_rate == pytest.approx(0.75) and m1.avg_view_pct == pytest.approx(75.0)  # 45 s of 60 s
    assert m1.extra["reach"] == 1500 and m1.extra["saved"] == 5 and m1.extra["reels_skip_rate"] == 31.5
    assert m1.revenue_usd is None
    assert m2.views == 10 and m2.completion_rate == 1.0 and m2.avg_view_pct == pytest.approx(150.0)  # replays
    assert answer.missing == [] and answer.notes == []
    assert fake.insight_queries[0] == SPEC.metrics and fake.insight_queries[1] == SPEC.optional


def test_completion_needs_the_duration(fake: FakeInstagram, catalog_url: str, clock: FakeClock) -> None:
    fake.set_insights("m1", REEL)
    [m1] = fetch(fake, catalog_url, clock, ["m1"]).metrics
    assert m1.completion_rate is None and m1.avg_view_pct is None and m1.views == 2000


def test_an_empty_data_array_is_missing_not_zero(fake: FakeInstagram, catalog_url: str, clock: FakeClock) -> None:
    fake.set_insights("old", REEL)
    fake.set_insights("new", None)
    answer = fetch(fake, catalog_url, clock, ["old", "new", "deleted"])
    assert [m.post_id for m in answer.metrics] == ["old"]
    assert answer.missing == [("new", "2026-11-24"), ("deleted", "2026-11-24")]
    assert any("deleted" in n and "not found" in n for n in answer.notes)


def test_a_removed_metric_falls_back_for_every_later_media(
    fake: FakeInstagram, catalog_url: str, clock: FakeClock
) -> None:
    """A configuration written before v22 asks for ``plays``; the platform refuses it, ``views`` answers."""
    stale = SPEC.model_copy(update={
        "metrics": ["plays", *SPEC.metrics[1:]],
        "fields": SPEC.fields | {"views": FieldSource(metric="plays")},
        "fallbacks": {"plays": ["views"]},
        "optional": [],
    })
    fake.set_insights("m1", REEL)
    fake.set_insights("m2", REEL | {"views": 3})
    answer = fetch(fake, catalog_url, clock, ["m1", "m2"], spec=stale)
    assert [m.views for m in answer.metrics] == [2000, 3]
    assert "views" not in answer.metrics[0].extra, "the fallback's value is read as the field, not as an extra"
    assert any(n.startswith("plays refused") and n.endswith("using views instead") for n in answer.notes)
    assert [q[0] for q in fake.insight_queries] == ["plays", "views", "views"], "plays is not asked for again"
    assert statuses(fake, 3).count(400) == 1


def test_an_unknown_optional_metric_is_dropped_with_a_note(
    fake: FakeInstagram, catalog_url: str, clock: FakeClock
) -> None:
    """An older API version lists the metrics it knows ("must be one of ..."): the one not listed is dropped."""
    fake.unsupported_metrics = {"reels_skip_rate"}
    fake.set_insights("m1", REEL)
    [m1] = fetch(fake, catalog_url, clock, ["m1"]).metrics
    answer = fetch(fake, catalog_url, clock, ["m1"])
    assert m1.extra["reposts"] == 2 and "reels_skip_rate" not in m1.extra and m1.views == 2000
    assert any(n.startswith("reels_skip_rate refused") and n.endswith("skipped") for n in answer.notes)


def test_a_refused_metric_feeding_views_without_fallback_names_the_fix(
    fake: FakeInstagram, catalog_url: str, clock: FakeClock
) -> None:
    stale = SPEC.model_copy(update={"metrics": ["plays", *SPEC.metrics[1:]],
                                    "fields": SPEC.fields | {"views": FieldSource(metric="plays")}})
    fake.set_insights("m1", REEL)
    with pytest.raises(PlatformError, match=r"'plays' was refused .*'instagram\.fallbacks'"):
        fetch(fake, catalog_url, clock, ["m1"], spec=stale)


def test_retry_after_5xx_and_expired_token(fake: FakeInstagram, catalog_url: str, clock: FakeClock) -> None:
    fake.set_insights("m1", REEL)
    fake.inject("rate_limit", "insights", retry_after="1")
    fake.inject("http_500", "insights")
    fake.inject("expired_token", "insights")
    # an expired token cannot be exchanged (fb_exchange_token refuses it): the error says what to renew
    with pytest.raises(PlatformError, match=r"INSTAGRAM_ACCESS_TOKEN.* expired or was revoked; renew it"):
        fetch(fake, catalog_url, clock, ["m1"])
    assert 1.0 in clock.slept and len(clock.slept) == 2, "Retry-After honoured, then a backoff after the 500"
    assert fake.refreshes == 0 and not fake.steps("token"), "the refused token is never exchanged"
    assert statuses(fake, 3) == [429, 500, 400]  # 400: code 190
