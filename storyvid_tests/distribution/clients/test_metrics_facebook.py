"""Facebook video insights through the real client against the loopback Graph API: lifetime values over several
pages, completion from complete views, empty answers as missing, a removed metric found by asking alone,
retries and token refresh."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from storyvid_assets.analytics.platform_metrics import MetricsAnswer, load_metric_specs
from storyvid_assets.models import PlatformPost
from storyvid_tests.distribution.conftest import FakeClock, client_for
from storyvid_tests.fakes.facebook import FakeFacebook

DAYS = ["2026-11-22", "2026-11-24"]
SPEC = load_metric_specs()["facebook"]
VIDEO = {"total_video_views": 400, "total_video_complete_views": 100, "total_video_avg_time_watched": 12_000,
         "total_video_view_total_time": 4_800_000, "total_video_reactions_by_type_total": {"like": 20, "wow": 2}}


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakeFacebook]:
    with FakeFacebook(now=clock.now) as started:
        yield started  # type: ignore[misc]


def post(video_id: str) -> PlatformPost:
    return PlatformPost(platform="facebook", format="16:9", post_id=video_id, url="", status="published")


def fetch(fake: FakeFacebook, catalog_url: str, clock: FakeClock, videos: list[str], **kwargs: Any) -> MetricsAnswer:
    spec = kwargs.pop("spec", SPEC)
    return client_for("facebook", fake, **kwargs).fetch_metrics(
        [post(v) for v in videos], DAYS, catalog_url=catalog_url, clock=clock, spec=spec,
        durations={v: 48.0 for v in videos},
    )


def statuses(fake: FakeFacebook, count: int) -> list[int | None]:
    """The answers to the insights requests, once ``count`` are logged (the fake logs just after answering)."""
    deadline = time.monotonic() + 5
    while len(fake.steps("insights")) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return [s.status for s in fake.steps("insights")]


def test_lifetime_values_over_several_pages(fake: FakeFacebook, catalog_url: str, clock: FakeClock) -> None:
    fake.insights_page_size = 2  # 5 metrics: 3 pages, followed through paging.next
    fake.set_insights("v1", VIDEO)
    answer = fetch(fake, catalog_url, clock, ["v1"])
    [m] = answer.metrics
    assert (m.kind, m.day, m.views, m.likes) == ("lifetime", "2026-11-24", 400, 22)  # likes: the reactions' sum
    assert m.completion_rate == pytest.approx(0.25) and m.avg_view_pct == pytest.approx(25.0)  # 12 s of 48 s
    assert m.watch_time_s == 4800.0 and m.comments == 0 and m.revenue_usd is None
    assert m.extra == {}, "every metric asked for was read into a field"
    assert statuses(fake, 3) == [200, 200, 200] and answer.missing == []


def test_no_entries_yet_is_missing(fake: FakeFacebook, catalog_url: str, clock: FakeClock) -> None:
    fake.set_insights("v1", VIDEO)
    fake.set_insights("v2", None)
    answer = fetch(fake, catalog_url, clock, ["v1", "v2"])
    assert [m.post_id for m in answer.metrics] == ["v1"] and answer.missing == [("v2", "2026-11-24")]


def test_a_removed_metric_is_found_by_asking_alone_and_dropped(
    fake: FakeFacebook, catalog_url: str, clock: FakeClock
) -> None:
    """The refusal names no metric: each name is asked alone once, the refused one is dropped for good."""
    stale = SPEC.model_copy(update={"metrics": [*SPEC.metrics, "total_video_views_unique"]})
    fake.set_insights("v1", VIDEO)
    fake.set_insights("v2", VIDEO | {"total_video_views": 9})
    answer = fetch(fake, catalog_url, clock, ["v1", "v2"], spec=stale)
    assert [m.views for m in answer.metrics] == [400, 9]
    assert any(n.startswith("total_video_views_unique refused") and n.endswith("skipped") for n in answer.notes)
    assert fake.insight_queries[-1] == SPEC.metrics, "not asked for again"
    singles = [q for q in fake.insight_queries if len(q) == 1]
    assert singles == [[name] for name in stale.metrics]


def test_retry_after_5xx_and_expired_token(fake: FakeFacebook, catalog_url: str, clock: FakeClock) -> None:
    fake.set_insights("v1", VIDEO)
    fake.inject("rate_limit", "insights", retry_after="1")
    fake.inject("http_503", "insights")
    fake.inject("expired_token", "insights")
    [m] = fetch(fake, catalog_url, clock, ["v1"]).metrics
    # the refused Page token is derived again from the user token, never exchanged (fb_exchange_token)
    assert m.views == 400 and fake.refreshes == 0 and not fake.steps("token")
    assert [s.status for s in fake.steps("page_token")] == [200, 200]
    assert 1.0 in clock.slept and len(clock.slept) == 2
    assert statuses(fake, 5) == [429, 503, 400, 200, 200]  # 400: code 190; then two pages
