"""TikTok video/query through the real client against the loopback Display API: lifetime totals in batches of
at most 20 ids, only the user's videos, refused fields, retries and token refresh."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from storyvid_assets.analytics.platform_metrics import FieldSource, MetricsAnswer, load_metric_specs
from storyvid_assets.models import PlatformPost
from storyvid_tests.distribution.conftest import FakeClock, client_for
from storyvid_tests.fakes.tiktok import FakeTikTok

DAYS = ["2026-11-24"]
SPEC = load_metric_specs()["tiktok"]


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakeTikTok]:
    with FakeTikTok(now=clock.now) as started:
        yield started  # type: ignore[misc]


def post(video_id: str) -> PlatformPost:
    return PlatformPost(platform="tiktok", format="9:16", post_id=video_id, url="", status="published")


def fetch(fake: FakeTikTok, catalog_url: str, clock: FakeClock, videos: list[str], **kwargs: Any) -> MetricsAnswer:
    spec = kwargs.pop("spec", SPEC)
    return client_for("tiktok", fake, **kwargs).fetch_metrics(
        [post(v) for v in videos], DAYS, catalog_url=catalog_url, clock=clock, spec=spec
    )


def statuses(fake: FakeTikTok, count: int) -> list[int | None]:
    """The answers to the video queries, once ``count`` are logged (the fake logs just after answering)."""
    deadline = time.monotonic() + 5
    while len(fake.steps("video_query")) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return [s.status for s in fake.steps("video_query")]


def test_lifetime_totals_in_batches_of_twenty(fake: FakeTikTok, catalog_url: str, clock: FakeClock) -> None:
    own = [f"73{i:04d}" for i in range(25)]
    for i, vid in enumerate(own):
        fake.set_stats(vid, view_count=1000 + i, like_count=i, comment_count=2, share_count=3, duration=61)
    answer = fetch(fake, catalog_url, clock, [*own, "other-account", "v_pub_file~v2-9"], spec=SPEC.model_copy(
        update={"batch_size": 50}))  # more than the API takes: the client keeps to 20
    assert [len(b) for b in fake.query_batches] == [20, 6]
    assert all("v_pub_file~v2-9" not in b for b in fake.query_batches), "a publish id is not a video id"
    got = {m.post_id: m for m in answer.metrics}
    assert set(got) == set(own)
    m = got["730007"]
    assert (m.kind, m.day, m.views, m.likes, m.comments, m.shares) == ("lifetime", "2026-11-24", 1007, 7, 2, 3)
    assert m.completion_rate is None and m.avg_view_pct is None and m.watch_time_s == 0.0, "not reported"
    assert m.extra == {"duration": 61.0}
    assert sorted(answer.missing) == [("other-account", "2026-11-24"), ("v_pub_file~v2-9", "2026-11-24")]
    assert any("other-account" in n for n in answer.notes) and any("moderation" in n for n in answer.notes)


def test_the_fake_refuses_more_than_twenty_ids(fake: FakeTikTok) -> None:
    token = fake.issue_token()
    with httpx.Client(base_url=fake.origin, headers={"Authorization": f"Bearer {token}"}) as http:
        answer = http.post("/v2/video/query/", params={"fields": "id,view_count"},
                           json={"filters": {"video_ids": [str(i) for i in range(21)]}})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_params"


def test_a_refused_field_falls_back(fake: FakeTikTok, catalog_url: str, clock: FakeClock) -> None:
    stale = SPEC.model_copy(update={
        "metrics": ["play_count", *SPEC.metrics[1:]],
        "fields": SPEC.fields | {"views": FieldSource(metric="play_count")},
        "fallbacks": {"play_count": ["view_count"]},
    })
    fake.set_stats("7301", view_count=42)
    [m] = fetch(fake, catalog_url, clock, ["7301"], spec=stale).metrics
    assert m.views == 42
    assert statuses(fake, 2) == [400, 200]


def test_retry_after_5xx_and_expired_token(fake: FakeTikTok, catalog_url: str, clock: FakeClock) -> None:
    fake.set_stats("7301", view_count=42, like_count=1)
    [first] = fetch(fake, catalog_url, clock, ["7301"]).metrics  # gets a token first (only a refresh token set)
    fake.inject("rate_limit", "video_query", retry_after="1")
    fake.inject("http_503", "video_query")
    fake.inject("expired_token", "video_query")
    [again] = fetch(fake, catalog_url, clock, ["7301"]).metrics
    assert first.views == again.views == 42
    assert 1.0 in clock.slept and len(clock.slept) == 2
    # the second client uses the access token the first one stored (credential store), then refreshes after the 401
    assert fake.refreshes == 2, "one refresh for the first client, one after the 401"
    assert statuses(fake, 5) == [200, 429, 503, 401, 200]
