"""The review page over HTTP (FastAPI's test client): login, roles, decisions, and bad requests."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.queries.media import record_media
from storyvid_assets.console.app import create_app
from storyvid_assets.console.core import COOKIE
from storyvid_assets.resources.storage.media_store import LocalMediaStore
from storyvid_assets.review.queue import AutoRegeneration, get_item, open_review_item
from storyvid_tests.review.conftest import PASSWORDS, open_item, profanity_finding


@pytest.fixture
def client(catalog_url: str, media_store: LocalMediaStore) -> TestClient:
    return TestClient(create_app(catalog_url, media_store))


def login_token(client: TestClient) -> str:
    """The login form's CSRF token (its cookie is set on the client by the same request)."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert match, "the login form has no CSRF token"
    return match.group(1)


def login(client: TestClient, user: str) -> str:
    data = {"username": user, "password": PASSWORDS[user], "csrf_token": login_token(client)}
    response = client.post("/login", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    page = client.get("/")
    assert f'<strong id="who-name">{user}</strong>' in page.text
    return page.text


def csrf(client: TestClient, item_id: int) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(f"/items/{item_id}").text)
    assert match, "the decision form is missing"
    return match.group(1)


def status_of(url: str, item_id: int) -> str:
    with session_scope(url) as session:
        return get_item(session, item_id).status


def test_login_required_and_wrong_password(client: TestClient, catalog_url: str) -> None:
    item_id = open_item(catalog_url)
    assert client.get(f"/items/{item_id}", follow_redirects=False).headers["location"].startswith("/login")
    bad = client.post("/login", data={"username": "otto", "password": "nope", "csrf_token": login_token(client)})
    assert bad.status_code == 401 and "Wrong user name or password" in bad.text
    client.cookies.set(COOKIE, "made-up-token")
    forged = client.get("/", follow_redirects=False)
    assert forged.status_code == 303 and forged.headers["location"].startswith("/login")


def test_operator_approves_and_sees_the_item_with_its_media(
    client: TestClient, catalog_url: str, media_store: LocalMediaStore
) -> None:
    item_id = open_item(catalog_url)
    story = media_store.put_bytes(
        "midnight/2026-03-01/story/attempt-1/story.md", b"# The Radio\n\nIt said fuck.", "text/markdown"
    )
    audio = media_store.put_bytes("midnight/2026-03-01/narration/attempt-1/narration.wav", b"RIFF....", "audio/wav")
    image = media_store.put_bytes("midnight/2026-03-01/scene_images/attempt-1/scene-00.png", b"\x89PNG..", "image/png")
    video = media_store.put_bytes("midnight/2026-03-01/videos/attempt-1/9x16.mp4", b"....ftyp", "video/mp4")
    with session_scope(catalog_url) as session:
        for asset, ref in (("story", story), ("narration", audio), ("scene_images", image), ("videos", video)):
            record_media(session, "midnight", "2026-03-01", asset, 1, ref)
    login(client, "otto")
    page = html.unescape(client.get(f"/items/{item_id}").text)
    assert "It said fuck." in page and 'id="approve"' in page and 'id="reject"' in page
    assert 'profanity "fuck"' in page and "scene 2 narration, characters 18-22" in page
    media_id = re.search(r'<audio controls preload="none" src="/media/(\d+)"', page).group(1)
    assert client.get(f"/media/{media_id}").content == b"RIFF...."
    image_id = re.search(r'<img src="/media/(\d+)" alt="scene_images: scene-00.png"', page).group(1)
    assert client.get(f"/media/{image_id}").headers["content-type"] == "image/png"
    assert re.search(r'<video controls preload="none" width="480" src="/media/\d+"', page)
    assert client.get("/media/9999").status_code == 404
    done = client.post(
        f"/items/{item_id}/decision", data={"action": "approve", "note": "a name", "csrf_token": csrf(client, item_id)}
    )
    assert done.status_code == 200 and 'id="status">approved<' in done.text
    assert status_of(catalog_url, item_id) == "approved"
    history = html.unescape(done.text)
    assert "otto" in history and "name" in history


@pytest.mark.parametrize(
    ("case", "status", "message"),
    [
        ("missing note", 422, "a note is required"),
        ("bad csrf", 403, "form is out of date"),
        ("unknown action", 400, "unknown action"),
        ("unknown item", 404, "there is no review item 999"),
        ("twice", 409, "already approved by otto"),
    ],
)
def test_bad_decisions_get_clear_errors_and_change_nothing(
    client: TestClient, catalog_url: str, case: str, status: int, message: str
) -> None:
    item_id = open_item(catalog_url)
    login(client, "otto")
    token = csrf(client, item_id)
    data = {"action": "approve", "note": "fine", "csrf_token": token}
    target = item_id
    if case == "twice":
        assert client.post(f"/items/{item_id}/decision", data=data).status_code == 200
    before = status_of(catalog_url, item_id)
    if case == "missing note":
        data["note"] = " "
    elif case == "bad csrf":
        data["csrf_token"] = "forged"
    elif case == "unknown action":
        data["action"] = "publish"
    elif case == "unknown item":
        target = 999
    response = client.post(f"/items/{target}/decision", data=data)
    assert response.status_code == status and message in html.unescape(response.text)
    assert status_of(catalog_url, item_id) == before


def test_viewer_cannot_decide_even_with_a_forged_role(client: TestClient, catalog_url: str) -> None:
    item_id = open_item(catalog_url)
    login(client, "vera")
    page = client.get(f"/items/{item_id}").text
    assert 'id="approve"' not in page and "You are a viewer" in page
    session_token = client.cookies.get(COOKIE)
    from storyvid_assets.review import auth

    with session_scope(catalog_url) as session:
        token = auth.session_user(session, session_token).csrf_token
    forged = client.post(
        f"/items/{item_id}/decision",
        data={"action": "approve", "note": "trust me", "csrf_token": token, "role": "admin"},
    )
    assert forged.status_code == 403 and "viewers can look but not decide" in html.unescape(forged.text)
    assert status_of(catalog_url, item_id) == "open"


def test_logged_out_posts_are_refused(client: TestClient, catalog_url: str) -> None:
    item_id = open_item(catalog_url)
    response = client.post(f"/items/{item_id}/decision", data={"action": "approve", "note": "x", "csrf_token": "x"})
    assert response.status_code == 401
    assert status_of(catalog_url, item_id) == "open"


def test_escalated_item_shows_the_alert_and_only_admins_may_approve(client: TestClient, catalog_url: str) -> None:
    from storyvid_assets.review.queue import decide, record_dispatch

    item_id = open_item(catalog_url)
    with session_scope(catalog_url) as session:
        decision = decide(session, item_id, "reject", "third strike", "otto", "operator")
        record_dispatch(session, decision, "escalated", None, None, "sensor:test", "3 rejections")
    login(client, "otto")
    page = html.unescape(client.get(f"/items/{item_id}").text)
    assert 'id="alert"' in page and "Escalated" in page and 'id="approve"' not in page
    client.post("/logout", data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)})
    login(client, "ada")
    page = client.get(f"/items/{item_id}").text
    assert 'id="approve"' in page and 'id="reject"' not in page


def test_the_page_shows_what_was_regenerated_automatically_before_a_person_was_asked(
    client: TestClient, catalog_url: str
) -> None:
    automatic = AutoRegeneration(limit=1)
    with session_scope(catalog_url) as session:
        for attempt in (1, 2):
            item, _ = open_review_item(
                session, channel="midnight", date="2026-03-09", asset="scene_images",
                check_name="scene_images_quality", attempt=attempt, findings=[profanity_finding()],
                evidence={"media": []}, summary=f"flagged on attempt {attempt}", run_id=None,
                policy_version="abc123def456", automatic=automatic,
            )
        first_id, last_id, status = item.id - 1, item.id, item.status
    assert status == "open"
    login(client, "otto")
    page = html.unescape(client.get(f"/items/{last_id}").text)
    assert '<span id="automatic-count">1</span>' in page
    assert '<code id="policy-version">abc123def456</code>' in page
    history = page[page.index('id="episode-history"'):]
    assert "automatic regeneration 1 of 1: flagged on attempt 1" in history
    assert f'<a href="/items/{first_id}">{first_id}</a>' in history
    assert "1 automatic regeneration(s) did not fix it; a person decides" in history
