"""Uploads and alerts: every upload's state per platform, the alert list, "retry" (made due for the deferred
uploads sensor, never for a posted upload) and "mark handled", by role, with CSRF and audit rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.queries.console import console_audit
from storyvid_assets.catalog.queries.uploads import find_alert, record_post, upload_by_id, upload_events
from storyvid_assets.distribution import state
from storyvid_assets.models import PlatformPost
from storyvid_assets.resources.storage.catalog import CatalogResource
from storyvid_assets.sensors.uploads import resume_requests
from storyvid_tests.browser import screenshots
from storyvid_tests.console.conftest import csrf_of, log_in
from storyvid_tests.console.test_spend import table_rows

DATE = "2026-11-25"
RESUME_AT = datetime(2099, 1, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def uploads(catalog_url: str) -> dict[str, int]:
    """bedtime|2026-11-25 on four platforms, made through the upload state machine's own functions: YouTube
    published, TikTok deferred for quota, Instagram failed with an alert, Facebook uncertain."""
    url = catalog_url
    with session_scope(url) as session:
        done = record_post(session, "bedtime", DATE, "sha-a", PlatformPost(
            platform="youtube", format="16:9", post_id="yt-123", url="https://youtu.be/yt-123", status="published"))
        done_id = done.id
    deferred = state.open_upload(url, "bedtime", DATE, "9:16", "tiktok", "default", "sha-b")
    state.record_status(url, deferred, "deferred", "run-1", error="quota: 15 posts a day used",
                        deferred_until=RESUME_AT)
    failed = state.open_upload(url, "bedtime", DATE, "9:16", "instagram", "default", "sha-b")
    failed = state.record_status(url, failed, "failed", "run-1", error="instagram refused: media type unsupported")
    alert = state.open_alert(url, failed, "instagram refused: media type unsupported")
    uncertain = state.open_upload(url, "bedtime", DATE, "16:9", "facebook", "default", "sha-a")
    state.record_status(url, uncertain, "uncertain", "run-1", error="create got no answer",
                        deferred_until=RESUME_AT)
    return {"done": done_id, "deferred": deferred.id, "failed": failed.id, "uncertain": uncertain.id,
            "alert": int(alert.split("#")[1])}


def snapshot(url: str, ids: dict[str, int]) -> dict[str, Any]:
    with session_scope(url) as session:
        rows = {name: upload_by_id(session, i) for name, i in ids.items() if name != "alert"}
        return {
            "uploads": {n: (r.status, r.deferred_until, r.error) for n, r in rows.items()},
            "alert": find_alert(session, ids["alert"]).state,  # type: ignore[union-attr]
            "audit": [a.action for a in console_audit(session) if a.action.startswith(("upload.", "alert."))],
        }


def test_every_state_is_shown_and_a_viewer_cannot_act(
    client_as: Callable[[str], TestClient], uploads: dict[str, int], catalog_url: str
) -> None:
    client = client_as("vera")
    page = client.get("/uploads")
    assert page.status_code == 200, page.text
    rows = {r[0]: r for r in table_rows(page.text, "uploads")[1:]}
    assert rows[str(uploads["done"])][2:6] == ["youtube", "16:9", "done published", "yt-123"]
    assert 'href="https://youtu.be/yt-123"' in page.text
    assert rows[str(uploads["deferred"])][4] == "deferred"
    assert rows[str(uploads["deferred"])][5] == "resumes 2099-01-01 08:00:00 UTC quota: 15 posts a day used"
    assert rows[str(uploads["failed"])][4:6] == ["failed", "instagram refused: media type unsupported"]
    assert rows[str(uploads["uncertain"])][5].startswith("next check 2099-01-01 08:00:00 UTC")
    [alert] = table_rows(page.text, "alerts")[1:]
    assert alert[:5] == [str(uploads["alert"]), f"bedtime|{DATE}", f"instagram 9:16 upload {uploads['failed']}",
                         "instagram refused: media type unsupported", "open"]
    assert "retry-" not in page.text and "handle-" not in page.text and 'id="readonly"' in page.text
    token = csrf_of(page.text)  # the viewer's own valid token: the role, not the token, refuses them
    before = snapshot(catalog_url, uploads)
    assert client.post(f"/uploads/{uploads['failed']}/retry", data={"csrf_token": token}).status_code == 403
    assert client.post(f"/alerts/{uploads['alert']}/handled", data={"csrf_token": token}).status_code == 403
    assert snapshot(catalog_url, uploads) == before


def test_an_operator_retries_a_failed_upload_and_the_sensor_picks_it_up(
    client_as: Callable[[str], TestClient], uploads: dict[str, int], catalog_url: str
) -> None:
    catalog = CatalogResource(url=catalog_url)
    assert resume_requests(catalog, datetime.now(UTC)) == [], "nothing is due before the retry"
    client = client_as("otto")
    token = csrf_of(client.get("/uploads").text)
    started = datetime.now(UTC)
    response = client.post(f"/uploads/{uploads['failed']}/retry", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/uploads?done=retried"
    with session_scope(catalog_url) as session:
        row = upload_by_id(session, uploads["failed"])
        assert row.status == "deferred" and started <= row.deferred_until <= datetime.now(UTC)
        assert row.handle == {} and row.attempts == 0, "handles and counts are the state machine's, kept as they were"
        journal = upload_events(session, uploads["failed"])
        assert (journal[-1].step, journal[-1].run_id) == ("console_retry", "console:otto")
        assert journal[-1].detail["previous_status"] == "failed"
        [audit] = console_audit(session, action="upload.retry")
        assert (audit.actor, audit.target) == ("otto", f"upload:{uploads['failed']}")
        assert audit.before["status"] == "failed" and audit.after["status"] == "deferred"
    [request] = resume_requests(catalog, datetime.now(UTC))
    assert request.partition_key == f"bedtime|{DATE}" and request.asset_selection[0].path == ["uploads"]
    assert "Retry scheduled" in client.get("/uploads?done=retried").text


def test_a_deferred_upload_is_made_due_now_but_a_posted_one_is_never_retried(
    client_as: Callable[[str], TestClient], uploads: dict[str, int], catalog_url: str
) -> None:
    client = client_as("ada")
    token = csrf_of(client.get("/uploads").text)
    assert client.post(f"/uploads/{uploads['deferred']}/retry", data={"csrf_token": token},
                       follow_redirects=False).status_code == 303
    with session_scope(catalog_url) as session:
        assert upload_by_id(session, uploads["deferred"]).deferred_until <= datetime.now(UTC)
    before = snapshot(catalog_url, uploads)
    for name in ("done", "uncertain"):
        refused = client.post(f"/uploads/{uploads[name]}/retry", data={"csrf_token": token})
        assert refused.status_code == 409 and "only failed or deferred uploads can" in refused.text
    assert "posted already" in client.post(f"/uploads/{uploads['done']}/retry", data={"csrf_token": token}).text
    for bad in ("99999999999999999999", "0", "x1"):
        assert client.post(f"/uploads/{bad}/retry", data={"csrf_token": token}).status_code == 404
    assert snapshot(catalog_url, uploads) == before


def test_an_operator_marks_an_alert_handled_once(
    client_as: Callable[[str], TestClient], uploads: dict[str, int], catalog_url: str
) -> None:
    client = client_as("otto")
    token = csrf_of(client.get("/uploads").text)
    done = client.post(f"/alerts/{uploads['alert']}/handled", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    with session_scope(catalog_url) as session:
        assert find_alert(session, uploads["alert"]).state == "resolved"  # type: ignore[union-attr]
        [audit] = console_audit(session, action="alert.handled")
        assert audit.actor == "otto" and audit.before == {"state": "open"} and audit.after == {"state": "resolved"}
    again = client.post(f"/alerts/{uploads['alert']}/handled", data={"csrf_token": token})
    assert again.status_code == 409 and "resolved already" in again.text
    page = client.get("/uploads")
    assert f"handle-{uploads['alert']}" not in page.text and table_rows(page.text, "alerts")[1][4] == "resolved"


def test_forged_and_anonymous_posts_are_refused(
    app: Any, client_as: Callable[[str], TestClient], uploads: dict[str, int], catalog_url: str
) -> None:
    before = snapshot(catalog_url, uploads)
    client = client_as("ada")
    for path in (f"/uploads/{uploads['failed']}/retry", f"/alerts/{uploads['alert']}/handled"):
        assert client.post(path, data={}).status_code == 403
        assert client.post(path, data={"csrf_token": "forged"}).status_code == 403
        assert TestClient(app).post(path, data={"csrf_token": "x"}).status_code == 401
    anonymous = TestClient(app).get("/uploads", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert snapshot(catalog_url, uploads) == before


def test_filters_name_the_field(client_as: Callable[[str], TestClient], uploads: dict[str, int]) -> None:
    client = client_as("vera")
    only = client.get("/uploads", params={"status": "failed"})
    assert [r[4] for r in table_rows(only.text, "uploads")[1:]] == ["failed"]
    assert "no-uploads" in client.get("/uploads", params={"channel": "midnight"}).text
    assert "status:" in client.get("/uploads", params={"status": "bogus"}).text
    assert client.get("/uploads", params={"channel": "nope"}).status_code == 400


@pytest.mark.browser
def test_uploads_page_in_chromium_operator_retries(
    browser: Any, server: str, uploads: dict[str, int], catalog_url: str
) -> None:
    viewer = log_in(browser, server, "vera")
    viewer.goto(f"{server}/uploads")
    assert viewer.locator("button:has-text('Retry')").count() == 0 and viewer.is_visible("#readonly")
    page = log_in(browser, server, "otto")
    page.goto(f"{server}/uploads")
    page.click(f"#retry-{uploads['failed']}")
    page.wait_for_selector("#notice")
    assert "Retry scheduled" in page.inner_text("#notice")
    assert page.locator(f"#retry-{uploads['failed']}").count() == 1, "deferred now: it may be retried again"
    page.click(f"#handle-{uploads['alert']}")
    page.wait_for_selector("#notice")
    assert page.locator(f"#handle-{uploads['alert']}").count() == 0
    with session_scope(catalog_url) as session:
        assert {a.action for a in console_audit(session)} >= {"upload.retry", "alert.handled"}
        assert upload_by_id(session, uploads["failed"]).status == "deferred"
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 400, "wide tables scroll inside their box"
    for path in screenshots(page, "uploads"):
        assert path.stat().st_size > 0

