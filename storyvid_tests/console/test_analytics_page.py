"""The analytics page: views, completion and revenue per episode and over time (charts), ROI, experiments, the
latest recommendations with their intervals, pending configuration changes decided through the review queue
(and then applied by the review sensor's path), and the simulated-figures label."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg
import pytest
from fastapi.testclient import TestClient

from storyvid_assets.analytics.loop import propose_change, settle_configuration_decision
from storyvid_assets.analytics.models import DayRecommendation, GuardDecision, MetricValues, Recommendation, Uplift
from storyvid_assets.analytics.pinning import current_settings
from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.queries import configurations as config_db
from storyvid_assets.catalog.queries.analytics import store_daily
from storyvid_assets.catalog.queries.console import console_audit
from storyvid_assets.catalog.queries.costs import add_cost
from storyvid_assets.catalog.queries.review import decisions_for
from storyvid_assets.catalog.queries.uploads import record_post
from storyvid_assets.channels import get_channel
from storyvid_assets.episode import partition_key
from storyvid_assets.models import PlatformPost
from storyvid_assets.resources.storage.manifest_io import ManifestIOManager
from storyvid_assets.review.queue import get_item, open_review_item
from storyvid_tests.browser import screenshots
from storyvid_tests.console.conftest import csrf_of, log_in
from storyvid_tests.console.test_spend import svg_texts, table_rows


def days_ago(n: int) -> str:
    return (datetime.now(UTC).date() - timedelta(days=n)).isoformat()


D1, D2 = days_ago(10), days_ago(5)


def seed_metrics(url: str, *, simulated: bool) -> dict[str, int]:
    """Episode D1 on YouTube and TikTok, episode D2 on YouTube, with daily figures and D1's cost."""
    source = "simulated" if simulated else "api"
    with session_scope(url) as session:
        ids = {}
        for name, date, platform, fmt in [("d1_yt", D1, "youtube", "16:9"), ("d1_tt", D1, "tiktok", "9:16"),
                                          ("d2_yt", D2, "youtube", "16:9")]:
            post = PlatformPost(platform=platform, format=fmt, post_id=f"{name}-post", url="", status="published")
            ids[name] = record_post(session, "bedtime", date, f"sha-{name}", post).id
        figures = [("d1_yt", D1, 100, 0.5, 0.4), ("d1_yt", days_ago(9), 50, 0.3, 0.2), ("d1_tt", D1, 200, 0.2, None),
                   ("d2_yt", D2, 80, 0.4, 0.1)]
        for name, day, views, completion, revenue in figures:
            store_daily(session, "bedtime", ids[name], day,
                        MetricValues(views=views, completion_rate=completion, revenue_usd=revenue),
                        source=source, simulated=simulated)
        add_cost(session, run_id="r1", channel="bedtime", date=D1, asset="story", kind="story", provider="openai",
                 model="gpt-4o", tier="premium", outcome="served", units={}, cost_usd=0.5, detail="", day=D1)
    return ids


@pytest.fixture
def analytics(catalog_url: str, media_store: Any) -> dict[str, Any]:
    """Simulated figures, an ended experiment, a pending change (review item) and a recommendations manifest."""
    seed_metrics(catalog_url, simulated=True)
    channel = get_channel("bedtime")
    evidence = {"sentence": "music mood calm instead of dreamy: +9% completion", "uplift": 0.09, "low": 0.03,
                "high": 0.15, "confidence": 0.9, "simulated": True}
    with session_scope(catalog_url) as session:
        row = config_db.experiment_row(session, "bedtime", "mood-dreamy-calm",
                                       channel.experiments[0].model_dump(mode="json"))
        config_db.end_experiment(session, row.id, "no_difference", D2,
                                 {"name": "mood-dreamy-calm", "status": "no_difference", "detail": "p=0.62"}, None)
        change = propose_change(session, channel, D2, "music_mood", "calm", source=f"recommendations:{D2}",
                                evidence=evidence)
        assert change is not None and change.review_item_id
        item_id, change_id = change.review_item_id, change.id
    uplift = Uplift(setting="music_mood", current="dreamy", proposed="calm", uplift=0.09, low=0.03, high=0.15,
                    confidence=0.9, samples=24)
    result = DayRecommendation(
        recommendation=Recommendation(channel="bedtime", day=D2, target="completion_rate", samples=24,
                                      simulated=True, chosen_model="ridge", uplifts=[uplift]),
        decisions=[GuardDecision(allowed=True, setting="music_mood", proposed="calm", applied_value="calm")])
    context = dg.build_output_context(asset_key=dg.AssetKey("recommendations"),
                                      partition_key=str(partition_key("bedtime", D2)))
    ManifestIOManager(media_store=media_store).handle_output(context, result)  # as the asset's run stores it
    return {"item": item_id, "change": change_id}


def test_a_viewer_sees_figures_roi_experiments_recommendations_and_changes_but_cannot_decide(
    client_as: Callable[[str], TestClient], analytics: dict[str, Any], catalog_url: str
) -> None:
    client = client_as("vera")
    page = client.get("/analytics")  # the first channel, 30 days
    assert page.status_code == 200, page.text
    assert 'id="simulated"' in page.text and "SIMULATED: 4 of 4 daily figures" in page.text
    episodes = {r[0]: r for r in table_rows(page.text, "episodes")[1:]}
    assert episodes[D1][1:7] == ["350", "30.0%", "$0.60", "$0.5000", "20.0%", "simulated"]
    assert episodes[D2][1:6] == ["80", "40.0%", "$0.10", "$0.0000", "—"], "no cost: no ROI"
    [experiment] = table_rows(page.text, "experiments")[1:]
    assert experiment[:4] == ["mood-dreamy-calm", "music_mood", "dreamy, calm", f"no_difference {D2}"]
    assert "p=0.62" in experiment[4]
    [rec] = table_rows(page.text, "recommendations")[1:]
    assert rec == ["music_mood", "dreamy", "calm", "+9.0%", "90%: +3.0% .. +15.0%", "allowed"]
    assert "trained on SIMULATED figures" in page.text
    assert f'id="change-{analytics["change"]}"' in page.text and "+ music_mood: calm" in page.text
    assert "Expected effect: +9% (90% interval +3%..+15%)" in page.text
    assert f'id="decide-{analytics["item"]}"' not in page.text, "viewers get no decision form"
    refused = client.post(f"/analytics/changes/{analytics['item']}/decision",
                          data={"action": "approve", "note": "ok", "csrf_token": csrf_of(page.text)})
    assert refused.status_code == 403
    with session_scope(catalog_url) as session:
        assert get_item(session, analytics["item"]).status == "open" and decisions_for(session, analytics["item"]) == []


def test_an_operator_approves_a_change_and_the_review_sensor_path_applies_it(
    client_as: Callable[[str], TestClient], analytics: dict[str, Any], catalog_url: str
) -> None:
    client = client_as("otto")
    page = client.get("/analytics", params={"channel": "bedtime"})
    assert f'id="approve-{analytics["item"]}"' in page.text and f'id="reject-{analytics["item"]}"' in page.text
    token = csrf_of(page.text)
    no_note = client.post(f"/analytics/changes/{analytics['item']}/decision",
                          data={"action": "approve", "note": " ", "csrf_token": token})
    assert no_note.status_code == 422 and "note is required" in no_note.text
    done = client.post(f"/analytics/changes/{analytics['item']}/decision",
                       data={"action": "approve", "note": "calm suits bedtime", "csrf_token": token},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/analytics?channel=bedtime&done=approve"
    with session_scope(catalog_url) as session:
        [decision] = decisions_for(session, analytics["item"])
        assert (decision.action, decision.decided_by, decision.note) == ("approve", "otto", "calm suits bedtime")
        [audit] = console_audit(session, action="configuration_change.approve")
        assert audit.actor == "otto" and audit.target == f"review_item:{analytics['item']}"
        assert audit.before == {"item_status": "open", "change_status": "pending"}
        assert audit.after["item_status"] == "approved"
        assert settle_configuration_decision(session, decision, "review_sensor") == "config_applied"
    with session_scope(catalog_url) as session:
        version, settings = current_settings(session, get_channel("bedtime"))
        assert (version, settings.music_mood) == (1, "calm")
    after = client.get("/analytics?channel=bedtime&done=approve")
    assert "Approved: the review sensor applies" in after.text and 'id="no-changes"' in after.text
    again = client.post(f"/analytics/changes/{analytics['item']}/decision",
                        data={"action": "reject", "note": "changed my mind", "csrf_token": token})
    assert again.status_code == 409, "decided once"


def test_a_rejection_is_recorded_and_other_review_items_are_not_decided_here(
    client_as: Callable[[str], TestClient], analytics: dict[str, Any], catalog_url: str
) -> None:
    client = client_as("ada")
    token = csrf_of(client.get("/analytics").text)
    with session_scope(catalog_url) as session:
        other, _ = open_review_item(session, channel="bedtime", date=D2, asset="story", check_name="story_policy",
                                    attempt=1, findings=[], evidence={}, summary="a story check", run_id=None)
        other_id = other.id
    refused = client.post(f"/analytics/changes/{other_id}/decision",
                          data={"action": "approve", "note": "x", "csrf_token": token})
    assert refused.status_code == 404 and "review page" in refused.text
    for bad in ("99999999999999999999", "abc"):
        assert client.post(f"/analytics/changes/{bad}/decision",
                           data={"action": "approve", "note": "x", "csrf_token": token}).status_code == 404
    done = client.post(f"/analytics/changes/{analytics['item']}/decision",
                       data={"action": "reject", "note": "not now", "csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    with session_scope(catalog_url) as session:
        assert get_item(session, analytics["item"]).status == "rejected"
        assert get_item(session, other_id).status == "open"
        assert [a.action for a in console_audit(session) if a.action.startswith("configuration_change")] == [
            "configuration_change.reject"]


def test_forged_and_anonymous_decisions_are_refused(
    app: Any, client_as: Callable[[str], TestClient], analytics: dict[str, Any], catalog_url: str
) -> None:
    client = client_as("ada")
    path = f"/analytics/changes/{analytics['item']}/decision"
    assert client.post(path, data={"action": "approve", "note": "x"}).status_code == 403
    assert client.post(path, data={"action": "approve", "note": "x", "csrf_token": "forged"}).status_code == 403
    assert TestClient(app).post(path, data={"action": "approve", "note": "x", "csrf_token": "x"}).status_code == 401
    for anonymous in ("/analytics", "/charts/analytics.svg?channel=bedtime"):
        response = TestClient(app).get(anonymous, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
    with session_scope(catalog_url) as session:
        assert get_item(session, analytics["item"]).status == "open" and decisions_for(session, analytics["item"]) == []


def test_charts_are_svgs_of_the_figures_labelled_simulated(
    client_as: Callable[[str], TestClient], analytics: dict[str, Any]
) -> None:
    client = client_as("vera")
    for metric in ("views", "completion", "revenue"):
        chart = client.get("/charts/analytics.svg", params={"channel": "bedtime", "metric": metric, "days": "12"})
        assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")
        texts = svg_texts(chart.content)
        assert {"youtube", "tiktok", D1, D2} <= set(texts), (metric, texts)
        assert any("SIMULATED audience" in t for t in texts), texts
    one = svg_texts(client.get("/charts/analytics.svg", params={"channel": "bedtime", "episode": D2}).content)
    assert "youtube" in one and "tiktok" not in one, "one episode: only its uploads"
    narrow = client.get("/charts/analytics.svg", params={"channel": "bedtime", "size": "narrow"})
    assert narrow.status_code == 200 and b'width="331.2pt"' in narrow.content
    for params, field in [({"channel": "bedtime", "metric": "likes"}, "metric"), ({"channel": "zz"}, "channel"),
                          ({"channel": "bedtime", "size": "huge"}, "size"),
                          ({"channel": "bedtime", "episode": "soon"}, "episode")]:
        refused = client.get("/charts/analytics.svg", params=params)
        assert refused.status_code == 400 and f"{field}:" in refused.text


def test_platform_figures_are_not_labelled_simulated(client_as: Callable[[str], TestClient], catalog_url: str) -> None:
    seed_metrics(catalog_url, simulated=False)
    page = client_as("vera").get("/analytics", params={"channel": "bedtime", "days": "60"})
    assert 'id="simulated"' not in page.text and "come from the platforms" in page.text
    assert 'id="no-recommendations"' in page.text and 'id="no-changes"' in page.text
    texts = svg_texts(client_as("vera").get("/charts/analytics.svg", params={"channel": "bedtime"}).content)
    assert not any("SIMULATED" in t for t in texts)


@pytest.mark.browser
def test_analytics_page_in_chromium_operator_approves(
    browser: Any, server: str, analytics: dict[str, Any], catalog_url: str
) -> None:
    page = log_in(browser, server, "otto")
    page.goto(f"{server}/analytics?channel=bedtime")
    page.wait_for_function("[...document.querySelectorAll('img.analytics-chart')].every(i => i.complete)")
    widths = page.eval_on_selector_all("img.analytics-chart", "imgs => imgs.map(i => i.naturalWidth)")
    assert len(widths) == 6 and all(w > 0 for w in widths), widths
    assert page.is_visible("#simulated")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 400, "nothing scrolls the page sideways"
    for path in screenshots(page, "analytics"):
        assert path.stat().st_size > 0
    page.fill(f"#note-{analytics['item']}", "calm suits bedtime")
    page.click(f"#approve-{analytics['item']}")
    page.wait_for_selector("#notice")
    card = page.inner_text(f"#change-{analytics['change']}")
    assert "is approved: the review sensor applies it" in card, "pending until the sensor applies it"
    assert page.locator(f"#approve-{analytics['item']}").count() == 0
    with session_scope(catalog_url) as session:
        assert get_item(session, analytics["item"]).status == "approved"
