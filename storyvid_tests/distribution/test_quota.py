"""Quota: the ledger's windows, YouTube's daily quota running out in the fake, deferral and resumption."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storyvid_assets.distribution.errors import QuotaExhausted
from storyvid_assets.distribution.publish import publish_target
from storyvid_assets.distribution.quota import QuotaLedger, QuotaRule, quota_window
from storyvid_assets.models import POSTED_STATUSES
from storyvid_assets.resources.storage.catalog import CatalogResource
from storyvid_assets.sensors.uploads import resume_requests
from storyvid_tests.distribution.conftest import FakeClock, Media, client_for, make_env, make_item, make_options
from storyvid_tests.fakes.youtube import FakeYouTube


def test_youtube_window_is_the_pacific_day() -> None:
    rule = QuotaRule("youtube", limit=10_000, unit="units", timezone="America/Los_Angeles")
    window, resets = quota_window(rule, datetime(2026, 11, 26, 7, 59, tzinfo=UTC))  # 23:59 in Los Angeles
    assert window == "2026-11-25" and resets == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    assert quota_window(rule, datetime(2026, 11, 26, 8, 0, tzinfo=UTC))[0] == "2026-11-26"


def test_ledger_spends_defers_and_forgets_at_reset(catalog_url: str, clock: FakeClock) -> None:
    ledger = QuotaLedger(catalog_url, clock)
    rule = QuotaRule("tiktok", limit=2)
    ledger.spend(rule, "default", 1, "init")
    ledger.spend(rule, "default", 1, "init")
    with pytest.raises(QuotaExhausted) as refused:
        ledger.spend(rule, "default", 1, "init")
    assert refused.value.resume_at == datetime(2026, 11, 26, tzinfo=UTC)
    assert "tiktok" in str(refused.value) and "2/2 posts" in str(refused.value)
    assert ledger.remaining(rule, "other-account") == 2, "accounts have their own ledgers"
    clock.t = refused.value.resume_at
    assert ledger.remaining(rule, "default") == 2


def test_exhausting_youtube_quota_defers_later_uploads_until_the_reset(
    media: Media, catalog_url: str, clock: FakeClock
) -> None:
    """The fake allows 3,300 units a day: two uploads with thumbnails (2 × 1,650); the third is refused by
    YouTube (403 quotaExceeded) and deferred to Pacific midnight; the fourth is deferred by the ledger without
    a call; after the reset the sensor asks for both episodes and they are published."""
    fake = FakeYouTube(daily_units=3_300, now=clock.now).start()
    try:
        client = client_for("youtube", fake)
        dates = ["2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24"]
        items = {d: make_item(media, "youtube", "16:9", date=d) for d in dates}
        opts = {d: make_options("youtube", "16:9", date=d) for d in dates}
        outcomes = {
            d: publish_target(make_env(catalog_url, clock, run_id=f"r-{d}"), client, items[d], opts[d]) for d in dates
        }
        assert [outcomes[d].status in POSTED_STATUSES for d in dates] == [True, True, False, False]
        assert fake.units_used() == 3_300
        reset = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # midnight in Los Angeles after 2026-11-25 12:00 UTC
        for d in dates[2:]:
            assert outcomes[d].status == "deferred" and outcomes[d].deferred_until == reset
            assert "quota" in (outcomes[d].error or "")
        refused = [s for s in fake.seen if s.step == "session" and s.status == 403]
        assert len(refused) == 1, "the ledger deferred the fourth upload without calling YouTube"

        assert resume_requests(CatalogResource(url=catalog_url), clock.now()) == [], "nothing is due before the reset"
        clock.t = reset + timedelta(minutes=1)
        requests = resume_requests(CatalogResource(url=catalog_url), clock.now())
        assert [r.partition_key for r in requests] == ["bedtime|2026-11-23", "bedtime|2026-11-24"]
        assert all(r.asset_selection and r.asset_selection[0].to_user_string() == "uploads" for r in requests)
        for d in dates[2:]:
            resumed = publish_target(make_env(catalog_url, clock, run_id=f"resume-{d}"), client, items[d], opts[d])
            assert resumed.status in POSTED_STATUSES
        assert len(fake.posts) == 4 and all(len(fake.posts_with(o.marker)) == 1 for o in opts.values())
        assert resume_requests(CatalogResource(url=catalog_url), clock.now()) == []
    finally:
        fake.stop()


def test_cost_model_is_configurable(media: Media, catalog_url: str, clock: FakeClock) -> None:
    """With the current docs' model (insert = 100 units in a 10,000 budget) a 250-unit ledger allows two inserts."""
    fake = FakeYouTube(now=clock.now).start()
    try:
        client = client_for(
            "youtube", fake, daily_quota_units=250, quota_costs={"videos.insert": 100, "thumbnails.set": 25}
        )
        results = []
        for d in ("2026-11-21", "2026-11-22", "2026-11-23"):
            results.append(
                publish_target(
                    make_env(catalog_url, clock),
                    client,
                    make_item(media, "youtube", "16:9", date=d),
                    make_options("youtube", "16:9", date=d),
                ).status
            )
        assert results[:2] == ["processing", "processing"] and results[2] == "deferred"
        assert len(fake.posts) == 2
    finally:
        fake.stop()


def test_sensor_launches_uploads_for_due_deferrals(catalog_url: str) -> None:
    import dagster as dg

    from storyvid_assets.catalog.db import session_scope
    from storyvid_assets.catalog.tables.core import PlatformUploadRow
    from storyvid_assets.resources.storage.catalog import CatalogResource
    from storyvid_assets.sensors.uploads import deferred_uploads_sensor

    catalog = CatalogResource(url=catalog_url)
    empty = deferred_uploads_sensor(dg.build_sensor_context(resources={"catalog": catalog}))
    assert isinstance(empty, dg.SensorResult) and not empty.run_requests
    now = datetime.now(UTC)
    with session_scope(catalog_url) as session:
        for fmt, until in (("16:9", now - timedelta(minutes=5)), ("9:16", now + timedelta(hours=3))):
            session.add(
                PlatformUploadRow(
                    channel="midnight",
                    date="2026-11-20",
                    format=fmt,
                    platform="youtube",
                    account="default",
                    content_sha256="00" * 32,
                    status="deferred",
                    attempts=1,
                    handle={},
                    deferred_until=until,
                )
            )
    result = deferred_uploads_sensor(dg.build_sensor_context(resources={"catalog": catalog}))
    [request] = result.run_requests
    assert request.partition_key == "midnight|2026-11-20"
    assert request.run_key and request.run_key.startswith("resume-uploads|midnight|2026-11-20|")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_workers_spending_at_once_never_overspend_the_window(
    backend: str, request: pytest.FixtureRequest, clock: FakeClock
) -> None:
    """Eight workers race for a window with room for ten calls: exactly ten are spent, the rest refused."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from storyvid_assets.catalog.db import migrate

    url = request.getfixturevalue("catalog_url" if backend == "sqlite" else "postgres_url")
    migrate(url)
    rule = QuotaRule("tiktok", limit=10)
    start = Barrier(8)

    def worker(_: int) -> int:
        ledger = QuotaLedger(url, clock)
        start.wait()
        spent = 0
        for _ in range(4):
            try:
                ledger.spend(rule, "default", 1, "init")
                spent += 1
            except QuotaExhausted:
                pass
        return spent

    with ThreadPoolExecutor(8) as pool:
        spent = sum(pool.map(worker, range(8)))
    assert spent == 10
    assert QuotaLedger(url, clock).remaining(rule, "default") == 0
