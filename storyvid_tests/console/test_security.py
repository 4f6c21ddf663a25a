"""The console's security fixes (issue #11): racing decisions, login limits and lockout, timing, login CSRF,
argon2id, security headers, out-of-range ids, the library page and the ``done=`` notice."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from storyvid_assets.catalog.db import migrate, session_scope
from storyvid_assets.catalog.queries import review as review_rows
from storyvid_assets.catalog.queries.console import console_audit
from storyvid_assets.catalog.queries.media import record_media
from storyvid_assets.catalog.tables.review import ReviewDecisionRow, ReviewUserRow
from storyvid_assets.cli import main
from storyvid_assets.console.app import create_app
from storyvid_assets.console.core import COOKIE
from storyvid_assets.console.pages.login import LOGIN_CSRF_COOKIE
from storyvid_assets.distribution.library import publish_to_library
from storyvid_assets.models import PublishItem
from storyvid_assets.resources.storage.catalog import CatalogResource
from storyvid_assets.resources.storage.media_store import LocalMediaStore
from storyvid_assets.review import auth
from storyvid_assets.review.queue import Conflict, UnknownItem, decide, get_item
from storyvid_assets.sensors.review import review_decisions_sensor
from storyvid_tests.browser import screenshots
from storyvid_tests.console.conftest import PASSWORDS, csrf_of
from storyvid_tests.review.conftest import open_item

# ----------------------------------------------------------------------------- helpers


def login_token(client: TestClient) -> str:
    """GET the login page: sets the pre-session cookie on ``client`` and returns the form's token."""
    return csrf_of(client.get("/login").text)


def post_login(client: TestClient, user: str, password: str, **headers: str) -> Any:
    data = {"username": user, "password": password, "csrf_token": login_token(client)}
    return client.post("/login", data=data, headers=headers, follow_redirects=False)


def short_limits(app: Any, per_user: auth.Tiers = ((5, 60, 1),), per_ip: auth.Tiers = ((1000, 60, 1),)) -> None:
    """Login limits with locks of a second or so (the defaults lock for minutes)."""
    app.state.login_throttle = auth.LoginThrottle(auth.LoginLimits(per_user=per_user, per_ip=per_ip))


# ----------------------------------------------------------------------------- 1. racing decisions


def race_decisions(url: str, items: list[int]) -> tuple[int, int]:
    """For every item, an approve and a reject at the same moment (threads, separate sessions)."""
    barrier = threading.Barrier(2 * len(items))
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def one(item_id: int, action: str, actor: str) -> None:
        try:
            barrier.wait()
            with session_scope(url) as session:
                decide(session, item_id, action, f"{action} in a race", actor, "operator")
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(item_id, action, actor))
               for item_id in items for action, actor in (("approve", "otto"), ("reject", "oscar"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return outcomes.count("ok"), outcomes.count("conflict")


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.getMessage()}")


def sensor_requests(url: str, defs: dg.Definitions, logs: Lines | None = None) -> list[dg.RunRequest]:
    """Tick the review sensor until its cursor stops moving; every run request it made."""
    requests: list[dg.RunRequest] = []
    cursor = None
    with dg.instance_for_test() as instance:
        for _ in range(5):
            context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs,
                                              resources={"catalog": CatalogResource(url=url)})
            if logs is not None:
                context.log.addHandler(logs)
            result = review_decisions_sensor(context)
            assert isinstance(result, dg.SensorResult)
            requests += result.run_requests or []
            if result.cursor == cursor:
                break
            cursor = result.cursor
    return requests


@pytest.fixture
def defs(storyvid_home: Path) -> dg.Definitions:
    from storyvid_assets.definitions import build_definitions
    from storyvid_assets.resources.sets import local_resources

    return build_definitions(local_resources())


def check_one_decision_per_item(url: str, defs: dg.Definitions) -> None:
    items = [open_item(url, date=f"2026-03-{day:02d}") for day in range(1, 21)]
    succeeded, conflicts = race_decisions(url, items)
    assert (succeeded, conflicts) == (20, 20)
    with session_scope(url) as session:
        for item_id in items:
            (decision,) = review_rows.decisions_for(session, item_id)
            assert get_item(session, item_id).status == decision.status_after
    requests = sensor_requests(url, defs)
    assert sorted(int(r.tags["storyvid/review-item"]) for r in requests) == sorted(items)


def test_twenty_racing_decision_pairs_make_one_decision_and_one_run_each_sqlite(
    catalog_url: str, defs: dg.Definitions
) -> None:
    check_one_decision_per_item(catalog_url, defs)


@pytest.mark.postgres
def test_twenty_racing_decision_pairs_make_one_decision_and_one_run_each_postgres(
    postgres_url: str, defs: dg.Definitions
) -> None:
    migrate(postgres_url)
    check_one_decision_per_item(postgres_url, defs)


def test_the_sensor_skips_a_decision_that_another_one_overtook(
    catalog_url: str, defs: dg.Definitions
) -> None:
    """Two decisions recorded for one item (as the old race did): only the one matching the item is dispatched."""
    item_id = open_item(catalog_url)
    with session_scope(catalog_url) as session:
        decide(session, item_id, "reject", "gore", "otto", "operator")
        stale = review_rows.add_decision(session, item_id=item_id, action="approve", note="fine", decided_by="oscar",
                                         status_before="open", status_after="approved")
        stale_id = stale.id
    logs = Lines()
    requests = sensor_requests(catalog_url, defs, logs)
    assert len(requests) == 1 and requests[0].tags["storyvid/review-decision"] != str(stale_id)
    assert any(line.startswith(f"WARNING review decision {stale_id} (approve by oscar) skipped: item {item_id} is "
                               "resolved") for line in logs.lines), logs.lines
    with session_scope(catalog_url) as session:
        assert session.get(ReviewDecisionRow, stale_id).dispatched_at is None


# ----------------------------------------------------------------------------- 2. login limits and lockout


def test_fifty_wrong_passwords_lock_the_user_out_until_the_window_passes(app: Any, catalog_url: str) -> None:
    short_limits(app)
    client = TestClient(app)
    answers = [post_login(client, "otto", f"wrong-password-{i}") for i in range(50)]
    assert [a.status_code for a in answers[:5]] == [401] * 5
    assert {a.status_code for a in answers[5:]} == {429}
    assert {a.headers["Retry-After"] for a in answers[5:]} == {"1"}
    right = post_login(client, "otto", PASSWORDS["otto"])
    assert right.status_code == 429 and "Too many login attempts" in right.text and COOKIE not in right.cookies
    with session_scope(catalog_url) as session:
        failed = console_audit(session, action="login_failed")
        locked = console_audit(session, action="login_locked")
        assert len(failed) == 5 and {row.actor for row in failed} == {"otto"} and len(locked) == 1
        everything = json.dumps([[r.actor, r.target, r.before, r.after, r.detail] for r in console_audit(session)])
    assert "wrong-password" not in everything and PASSWORDS["otto"] not in everything
    time.sleep(1.2)  # every attempt during the lock started it again: only a quiet second ends it
    assert post_login(client, "otto", PASSWORDS["otto"]).status_code == 303


def test_per_address_limit_covers_every_user_name(app: Any) -> None:
    short_limits(app, per_user=((100, 60, 1),), per_ip=((10, 60, 2),))
    client = TestClient(app)
    assert {post_login(client, f"someone{i}", "wrong-password").status_code for i in range(10)} == {401}
    locked = post_login(client, "vera", PASSWORDS["vera"])
    assert locked.status_code == 429 and locked.headers["Retry-After"] == "2"


def test_hammering_during_a_lockout_backs_off_to_the_longer_tier(app: Any) -> None:
    short_limits(app, per_user=((3, 60, 1), (6, 60, 3)))
    client = TestClient(app)
    assert [post_login(client, "otto", "wrong-password").status_code for _ in range(3)] == [401] * 3
    first = post_login(client, "otto", "wrong-password")
    assert first.status_code == 429 and int(first.headers["Retry-After"]) == 1
    time.sleep(1.1)
    answers = [post_login(client, "otto", "wrong-password") for _ in range(3)]
    assert [a.status_code for a in answers] == [401, 401, 429]  # the 4th attempt above counted in the long tier
    assert answers[-1].headers["Retry-After"] == "3"


def test_a_right_password_clears_the_user_count(app: Any) -> None:
    short_limits(app, per_user=((3, 60, 5),))
    client = TestClient(app)
    for _ in range(2):
        assert post_login(client, "otto", "wrong-password").status_code == 401
    assert post_login(client, "otto", PASSWORDS["otto"]).status_code == 303
    assert [post_login(TestClient(app), "otto", "wrong-password").status_code for _ in range(3)] == [401] * 3


def test_long_user_names_are_cut_in_the_audit_trail(app: Any, catalog_url: str) -> None:
    client = TestClient(app)
    assert post_login(client, "x" * 500, "wrong-password").status_code == 401
    with session_scope(catalog_url) as session:
        (row,) = console_audit(session, action="login_failed")
    assert row.actor == "x" * auth.ACTOR_CHARS and row.client


@pytest.mark.redis
def test_limits_are_shared_through_redis(redis_url: str, monkeypatch: pytest.MonkeyPatch, catalog_url: str,
                                         media_store: LocalMediaStore) -> None:
    name = f"user-{secrets.token_hex(4)}"
    limits = auth.LoginLimits(per_user=((3, 60, 5),), per_ip=((1000, 60, 5),))
    one, other = auth.LoginThrottle(limits, redis_url), auth.LoginThrottle(limits, redis_url)
    assert [one.attempt(name, "10.0.0.1").allowed for _ in range(2)] == [True, True]
    assert other.attempt(name, "10.0.0.2").allowed and not other.attempt(name, "10.0.0.3").allowed
    assert not one.attempt(name, "10.0.0.1").allowed
    monkeypatch.setenv("STORYVID_REDIS_URL", redis_url)
    throttle = create_app(catalog_url, media_store).state.login_throttle
    assert type(throttle._limiter.storage).__name__ == "RedisStorage"


# ----------------------------------------------------------------------------- 3. timing


def test_unknown_users_cost_what_wrong_passwords_cost(catalog_url: str) -> None:
    def median_seconds(username: str) -> float:
        times = []
        for _ in range(15):
            with session_scope(catalog_url) as session:
                start = time.perf_counter()
                assert auth.authenticate(session, username, "wrong-password") is None
                times.append(time.perf_counter() - start)
        return statistics.median(times)

    median_seconds("nobody")  # warm up: the one dummy hash is made here
    unknown, wrong = median_seconds("nobody"), median_seconds("otto")
    assert 0.6 <= unknown / wrong <= 1.6, (unknown, wrong)


def test_the_dummy_hash_is_made_once(catalog_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with session_scope(catalog_url) as session:
        auth.authenticate(session, "nobody", "wrong-password")

        def no_hashing(password: str) -> str:
            raise AssertionError("a hash was made for an unknown user")

        monkeypatch.setattr(auth, "hash_password", no_hashing)
        assert auth.authenticate(session, "nobody-else", "wrong-password") is None


# ----------------------------------------------------------------------------- 4. login CSRF


@pytest.mark.parametrize(
    "forgery",
    ["no token", "wrong token", "no cookie", "other origin", "null origin", "other referer"],
)
def test_cross_site_logins_are_refused(app: Any, forgery: str) -> None:
    client = TestClient(app)
    token = login_token(client)
    data = {"username": "otto", "password": PASSWORDS["otto"], "csrf_token": token}
    headers: dict[str, str] = {}
    if forgery == "no token":
        del data["csrf_token"]
    elif forgery == "wrong token":
        data["csrf_token"] = "x" + token
    elif forgery == "no cookie":
        client.cookies.delete(LOGIN_CSRF_COOKIE, path="/login")
    elif forgery == "other origin":
        headers["Origin"] = "https://evil.example"
    elif forgery == "null origin":
        headers["Origin"] = "null"
    else:
        headers["Referer"] = "https://evil.example/page.html"
    response = client.post("/login", data=data, headers=headers, follow_redirects=False)
    assert response.status_code == 403 and COOKIE not in response.cookies
    assert client.get("/review", follow_redirects=False).status_code == 303  # still not logged in


def test_same_site_login_with_origin_and_referer_works(app: Any) -> None:
    client = TestClient(app)
    response = post_login(client, "otto", PASSWORDS["otto"], Origin="http://testserver",
                          Referer="http://testserver/login")
    assert response.status_code == 303 and client.get("/review").status_code == 200


def test_the_login_page_sets_its_token_cookie(app: Any) -> None:
    page = TestClient(app).get("/login")
    cookie = page.headers["set-cookie"]
    assert f"{LOGIN_CSRF_COOKIE}=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert page.headers["Referrer-Policy"] == "same-origin"


# ----------------------------------------------------------------------------- 5. argon2id


def scrypt_hash(password: str) -> str:
    """A hash as catalogs before argon2 stored it."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt$16384$8$1${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def stored_hash(url: str, username: str) -> str:
    with session_scope(url) as session:
        return session.scalars(select(ReviewUserRow).filter_by(username=username)).one().password_hash


def set_hash(url: str, username: str, value: str) -> None:
    with session_scope(url) as session:
        session.scalars(select(ReviewUserRow).filter_by(username=username)).one().password_hash = value


def test_new_hashes_are_argon2id(catalog_url: str) -> None:
    assert stored_hash(catalog_url, "otto").startswith("$argon2id$")


@pytest.mark.parametrize("old", ["scrypt", "weak argon2"])
def test_old_hashes_verify_and_are_replaced_at_login(app: Any, catalog_url: str, old: str) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    before = scrypt_hash(PASSWORDS["otto"]) if old == "scrypt" else weak.hash(PASSWORDS["otto"])
    set_hash(catalog_url, "otto", before)
    assert post_login(TestClient(app), "otto", "wrong-password").status_code == 401
    assert stored_hash(catalog_url, "otto") == before  # a wrong password changes nothing
    assert post_login(TestClient(app), "otto", PASSWORDS["otto"]).status_code == 303
    after = stored_hash(catalog_url, "otto")
    assert after != before and after.startswith("$argon2id$") and not auth.needs_rehash(after)
    assert post_login(TestClient(app), "otto", PASSWORDS["otto"]).status_code == 303


# ----------------------------------------------------------------------------- 6. security headers


def test_every_page_sends_the_security_headers(client_as: Any, catalog_url: str, media_store: LocalMediaStore,
                                               app: Any) -> None:
    item_id = open_item(catalog_url)
    ref = media_store.put_bytes("midnight/2026-03-01/story/attempt-1/story.md", b"# Title\n\ntext", "text/markdown")
    with session_scope(catalog_url) as session:
        media_id = record_media(session, "midnight", "2026-03-01", "story", 1, ref).id
    admin = client_as("ada")
    pages = {
        "login": TestClient(app).get("/login"),
        "review": admin.get("/review"),
        "item": admin.get(f"/items/{item_id}"),
        "users": admin.get("/users"),
        "media": admin.get(f"/media/{media_id}"),
        "error": admin.get("/items/424242"),
    }
    assert pages["error"].status_code == 404 and pages["media"].content == b"# Title\n\ntext"
    for name, response in pages.items():
        headers = response.headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], name
        assert "default-src 'self'" in headers["Content-Security-Policy"], name
        assert headers["X-Content-Type-Options"] == "nosniff", name
        assert headers["Referrer-Policy"] in ("no-referrer", "same-origin"), name
        assert headers["Cache-Control"] == "no-store", name


# ----------------------------------------------------------------------------- 8. out-of-range ids

HUGE = "99999999999999999999"


@pytest.mark.parametrize("path", [f"/items/{HUGE}", f"/media/{HUGE}", "/items/0", "/media/-5",
                                  f"/items/{2**63}", f"/media/{2**63}"])
def test_out_of_range_ids_are_a_404_page(client_as: Any, path: str) -> None:
    response = client_as("vera").get(path)
    assert response.status_code == 404 and "Error 404" in response.text


def test_out_of_range_decisions_are_unknown_items(catalog_url: str) -> None:
    with pytest.raises(UnknownItem, match="ids are whole numbers"), session_scope(catalog_url) as session:
        decide(session, int(HUGE), "approve", "x", "otto", "operator")


@pytest.mark.parametrize("args", [["show", HUGE], ["approve", HUGE, "--note", "x"], ["show", "12abc"]])
def test_the_cli_reports_a_bad_id_without_a_traceback(
    storyvid_home: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["review", *args])
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and "is not an item id" in err and "Traceback" not in err


# ----------------------------------------------------------------------------- 9. the library page


def test_the_library_page_shows_markup_as_text(tmp_path: Path) -> None:
    video = tmp_path / "video.mp4"
    video.write_bytes(b"....ftyp")
    metadata = {"platform": "local", "title": "<script>alert('title')</script>", "made_for_kids": False,
                "description": 'a "quote"\n<img src=x onerror=alert(2)>', "hashtags": ["#<b>bold</b>"]}
    item = PublishItem.model_validate({
        "channel": "bedtime", "date": "2026-11-01", "format": "16:9", "video_path": str(video),
        "video_sha256": "0" * 64, "thumbnail_path": None, "captions_path": None, "metadata": metadata,
        "content_marker": "m", "duration": 3.0, "width": 1920, "height": 1080,
    })
    publish_to_library(tmp_path / "library", item)
    index = (tmp_path / "library" / "index.html").read_text()
    assert "<script>" not in index and "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in index
    assert "<img src=x" not in index and "&lt;img src=x onerror=alert(2)&gt;" in index
    assert "a &#34;quote&#34;<br>" in index and "<b>" not in index and "#&lt;b&gt;bold&lt;/b&gt;" in index


# ----------------------------------------------------------------------------- 10. the done= notice


def test_the_done_notice_shows_only_fixed_words(client_as: Any, catalog_url: str) -> None:
    item_id = open_item(catalog_url)
    otto = client_as("otto")
    forged = otto.get(f"/items/{item_id}", params={"done": "<script>alert('x')</script> approved by the CEO"})
    assert forged.status_code == 200 and 'id="notice"' not in forged.text
    assert "alert(" not in forged.text and "by the CEO" not in forged.text
    assert "Recorded: approve." in otto.get(f"/items/{item_id}", params={"done": "approve"}).text


# ----------------------------------------------------------------------------- in the browser


@pytest.mark.browser
def test_the_lockout_in_the_browser(app: Any, server: str, browser: Any) -> None:
    short_limits(app, per_user=((3, 60, 30),))
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    page.goto(f"{server}/login")
    screenshots(page, "login-form")
    for _ in range(3):
        page.fill("#username", "otto")
        page.fill("#password", "wrong-password")
        page.click("#login")
        page.wait_for_selector("#error")
        assert page.inner_text("#error") == "Wrong user name or password."
    page.fill("#username", "otto")
    page.fill("#password", PASSWORDS["otto"])
    with page.expect_response(lambda r: r.url.endswith("/login") and r.request.method == "POST") as answer:
        page.click("#login")
    assert answer.value.status == 429 and int(answer.value.headers["retry-after"]) > 1
    assert "Too many login attempts" in page.inner_text("#error") and page.query_selector("#who-name") is None
    screenshots(page, "login-lockout")
