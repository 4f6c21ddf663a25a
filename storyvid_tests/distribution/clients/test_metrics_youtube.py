"""YouTube Analytics through the real client against the loopback ``reports.query``: one daily series per video,
lag as missing days, paging, revenue refused for non-partners, retries, token refresh, quota, removed metrics."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from storyvid_assets.analytics.platform_metrics import MetricsAnswer, load_metric_specs
from storyvid_assets.distribution.errors import CircuitOpen, PlatformError, QuotaExhausted
from storyvid_assets.distribution.quota import QuotaLedger, QuotaRule
from storyvid_assets.models import PlatformPost
from storyvid_assets.resources.platforms import PlatformClient
from storyvid_tests.distribution.conftest import FakeClock, client_for
from storyvid_tests.fakes.youtube import ANALYTICS_SCOPE, FakeYouTube

DAYS = ["2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24"]  # the clock's Pacific day: 11-25
SPEC = load_metric_specs()["youtube"]


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakeYouTube]:
    with FakeYouTube(now=clock.now) as started:
        yield started  # type: ignore[misc]


def statuses(fake: FakeYouTube, count: int) -> list[int | None]:
    """The answers to the report queries, once ``count`` are logged (the fake logs each just after answering)."""
    deadline = time.monotonic() + 5
    while len(fake.steps("reports")) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return [s.status for s in fake.steps("reports")]


def client(fake: FakeYouTube, **overrides: Any) -> PlatformClient:
    return client_for("youtube", fake, analytics_base_url=fake.origin + "/", **overrides)


def post(video_id: str) -> PlatformPost:
    return PlatformPost(platform="youtube", format="16:9", post_id=video_id, url="", status="published")


def seed(fake: FakeYouTube, video: str, days: list[str], base: int) -> None:
    for i, day in enumerate(days):
        fake.set_daily(video, day, engagedViews=base + i, views=2 * (base + i), likes=i, comments=1, shares=2,
                       estimatedMinutesWatched=10 + i, averageViewPercentage=55.5 + i, estimatedRevenue=0.25 * i)


def fetch(fake: FakeYouTube, catalog_url: str, clock: FakeClock, videos: list[str], **kwargs: Any) -> MetricsAnswer:
    spec = kwargs.pop("spec", SPEC)
    return client(fake, **kwargs).fetch_metrics([post(v) for v in videos], DAYS, catalog_url=catalog_url,
                                                clock=clock, spec=spec)


def test_one_daily_series_per_video_with_converted_units(fake: FakeYouTube, catalog_url: str, clock: FakeClock) -> None:
    seed(fake, "vidA", DAYS, 100)
    seed(fake, "vidB", DAYS[:3], 500)
    fake.set_daily("vidB", "2026-11-23", engagedViews=7, averageViewPercentage=130.0)  # replays: over 100 %
    answer = fetch(fake, catalog_url, clock, ["vidA", "vidB"])

    got = {(m.post_id, m.day): m for m in answer.metrics}
    a = got[("vidA", "2026-11-21")]
    assert (a.kind, a.views, a.likes, a.comments, a.shares) == ("daily", 101, 1, 1, 2)
    assert a.watch_time_s == 11 * 60 and a.avg_view_pct == 56.5 and a.completion_rate == pytest.approx(0.565)
    assert a.revenue_usd == 0.25 and a.extra["subscribersGained"] == 0
    assert got[("vidB", "2026-11-20")].views == 500, "each video's own figures: never the sum of both"
    over = got[("vidB", "2026-11-23")]
    assert over.avg_view_pct == 130.0 and over.completion_rate == 1.0
    # the newest days are left out (lag): missing, not zero
    assert sorted(answer.missing) == [("vidA", "2026-11-24"), ("vidB", "2026-11-24")]
    assert len(answer.metrics) == 8


def test_only_per_video_day_queries_are_sent(fake: FakeYouTube, catalog_url: str, clock: FakeClock) -> None:
    for video in ("vidA", "vidB", "vidC"):
        seed(fake, video, DAYS, 10)
    fetch(fake, catalog_url, clock, ["vidA", "vidB", "vidC"])
    main = [q for q in fake.report_queries if "estimatedRevenue" not in q["metrics"]]
    assert [q["filters"] for q in main] == ["video==vidA", "video==vidB", "video==vidC"]
    assert all(q["dimensions"] == "day" and q["ids"] == "channel==MINE" for q in fake.report_queries)
    assert all((q["startDate"], q["endDate"]) == (DAYS[0], DAYS[-1]) for q in fake.report_queries)
    assert any(ANALYTICS_SCOPE in scopes for scopes in fake.token_scopes.values()), "analytics scope requested"


def test_the_fake_refuses_day_by_video_and_sums_several_ids(fake: FakeYouTube) -> None:
    """The shapes the client must avoid behave as the real API's do [Y5][Y10]."""
    seed(fake, "vidA", DAYS, 100)
    seed(fake, "vidB", DAYS, 1)
    token = fake.issue_token()
    base = {"ids": "channel==MINE", "startDate": DAYS[0], "endDate": DAYS[0], "metrics": "engagedViews"}
    with httpx.Client(base_url=fake.origin, headers={"Authorization": f"Bearer {token}"}) as http:
        refused = http.get("/v2/reports", params=base | {"dimensions": "day,video"})
        summed = http.get("/v2/reports", params=base | {"dimensions": "day", "filters": "video==vidA,vidB"})
        nobody = http.get("/v2/reports", params=base | {"dimensions": "day"}, headers={"Authorization": "Bearer x"})
    assert refused.status_code == 400 and "The query is not supported." in refused.json()["error"]["message"]
    assert summed.json()["rows"] == [[DAYS[0], 101]]
    assert nobody.status_code == 401


def test_no_rows_means_every_day_is_missing(fake: FakeYouTube, catalog_url: str, clock: FakeClock) -> None:
    seed(fake, "vidA", DAYS, 100)
    answer = fetch(fake, catalog_url, clock, ["vidA", "fresh"])
    assert {m.post_id for m in answer.metrics} == {"vidA"}
    assert sorted(d for v, d in answer.missing if v == "fresh") == DAYS
    fresh_queries = [q for q in fake.report_queries if q["filters"] == "video==fresh"]
    assert len(fresh_queries) == 1, "no revenue query for a video without data"


def test_rows_are_paged_with_start_index(fake: FakeYouTube, catalog_url: str, clock: FakeClock) -> None:
    seed(fake, "vidA", DAYS, 100)
    spec = SPEC.model_copy(update={"page_size": 3, "optional": [],
                                   "fields": {k: v for k, v in SPEC.fields.items() if k != "revenue_usd"}})
    answer = fetch(fake, catalog_url, clock, ["vidA"], spec=spec)
    assert [q["startIndex"] for q in fake.report_queries] == ["1", "4"]  # 3 rows, then the 4th (the rest: lag)
    assert all(q["maxResults"] == "3" and q["sort"] == "day" for q in fake.report_queries)
    assert [m.day for m in answer.metrics] == DAYS[:4] and [m.views for m in answer.metrics] == [100, 101, 102, 103]


def test_revenue_refused_for_a_non_partner_channel_is_a_note(
    fake: FakeYouTube, catalog_url: str, clock: FakeClock
) -> None:
    seed(fake, "vidA", DAYS, 100)
    seed(fake, "vidB", DAYS, 200)
    fake.partner = False
    answer = fetch(fake, catalog_url, clock, ["vidA", "vidB"])
    assert len(answer.metrics) == 8 and all(m.revenue_usd is None for m in answer.metrics)
    assert any(n.startswith("estimatedRevenue refused") and n.endswith("skipped") for n in answer.notes)
    asked = [q for q in fake.report_queries if "estimatedRevenue" in q["metrics"]]
    assert len(asked) == 1, "refused once for the channel: not asked again for the next video"


def test_retry_after_is_honoured_and_5xx_retried(fake: FakeYouTube, catalog_url: str, clock: FakeClock) -> None:
    seed(fake, "vidA", DAYS, 100)
    fake.inject("rate_limit", "reports", retry_after="1")
    fake.inject("http_503", "reports")
    answer = fetch(fake, catalog_url, clock, ["vidA"])
    assert [m.views for m in answer.metrics] == [100, 101, 102, 103]
    assert 1.0 in clock.slept and len(clock.slept) == 2
    assert statuses(fake, 4) == [429, 503, 200, 200]  # the main query (3 tries), then the revenue query


def test_a_long_retry_after_defers(fake: FakeYouTube, catalog_url: str, clock: FakeClock) -> None:
    seed(fake, "vidA", DAYS, 100)
    fake.inject("rate_limit", "reports", retry_after="3600")
    with pytest.raises(QuotaExhausted) as deferred:
        fetch(fake, catalog_url, clock, ["vidA"])
    assert deferred.value.resume_at == clock.now() + timedelta(seconds=3600)
    assert statuses(fake, 1) == [429], "no early retry that would be refused again"


def test_expired_token_is_refreshed(fake: FakeYouTube, catalog_url: str, clock: FakeClock) -> None:
    seed(fake, "vidA", DAYS, 100)
    fake.inject("expired_token", "reports")
    answer = fetch(fake, catalog_url, clock, ["vidA"])
    assert len(answer.metrics) == 4
    assert fake.refreshes == 2, "the first token, then one refresh after the 401"
    assert statuses(fake, 3) == [401, 200, 200]  # refused, then the main and the revenue query


def test_a_removed_metric_falls_back(fake: FakeYouTube, catalog_url: str, clock: FakeClock) -> None:
    seed(fake, "vidA", DAYS, 100)
    seed(fake, "vidB", DAYS, 300)
    fake.removed_metrics = {"engagedViews"}
    answer = fetch(fake, catalog_url, clock, ["vidA", "vidB"])
    assert [m.views for m in answer.metrics if m.post_id == "vidB"] == [600, 602, 604, 606]  # `views` counts
    assert any(n.startswith("engagedViews refused") and "using views instead" in n for n in answer.notes)
    assert statuses(fake, 5).count(400) == 1, "the fallback is remembered for the next video"


def test_a_removed_metric_without_fallback_feeding_views_stops_with_the_fix(
    fake: FakeYouTube, catalog_url: str, clock: FakeClock
) -> None:
    seed(fake, "vidA", DAYS, 100)
    fake.removed_metrics = {"engagedViews", "views"}
    with pytest.raises(PlatformError, match=r"platform_metrics\.yaml.*youtube\.metrics"):
        fetch(fake, catalog_url, clock, ["vidA"])


def test_queries_are_counted_in_the_quota_ledger(fake: FakeYouTube, catalog_url: str, clock: FakeClock) -> None:
    seed(fake, "vidA", DAYS, 100)
    seed(fake, "vidB", DAYS, 100)
    fetch(fake, catalog_url, clock, ["vidA", "vidB"], daily_quota_units=5)
    rule = QuotaRule("youtube", limit=5, unit="units", timezone="America/Los_Angeles")
    assert len(fake.report_queries) == 4 and QuotaLedger(catalog_url, clock).remaining(rule, "default") == 1
    with pytest.raises(QuotaExhausted):
        fetch(fake, catalog_url, clock, ["vidA", "vidB"], daily_quota_units=5)
    assert len(fake.report_queries) == 5, "the ledger refused the query before it was sent"


def test_an_open_breaker_defers(fake: FakeYouTube, catalog_url: str, clock: FakeClock) -> None:
    seed(fake, "vidA", DAYS, 100)
    fake.inject("http_503", "reports", times=50)
    with pytest.raises(PlatformError, match="gave up after 3 attempts"):
        fetch(fake, catalog_url, clock, ["vidA"], breaker_threshold=3)
    with pytest.raises(CircuitOpen):
        fetch(fake, catalog_url, clock, ["vidA"], breaker_threshold=3)
    assert statuses(fake, 3) == [503, 503, 503], "the open breaker sent nothing"
