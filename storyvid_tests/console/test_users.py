"""The users page: admins manage users and revoke access; everyone changes their own password and can log
out everywhere; viewers and operators change nothing but their own account; everything is audited."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.queries.console import console_audit
from storyvid_assets.cli import main
from storyvid_assets.console.core import COOKIE
from storyvid_assets.review import auth
from storyvid_assets.review.cli import catalog_url as cli_catalog_url
from storyvid_tests.browser import screenshots
from storyvid_tests.console.conftest import PASSWORDS, csrf_of, log_in


def user_row(url: str, name: str) -> auth.Reviewer:
    with session_scope(url) as session:
        (user,) = [u for u in auth.list_users(session) if u.username == name]
        return user


def sessions_of(url: str, name: str) -> int:
    with session_scope(url) as session:
        return auth.session_counts(session).get(user_row(url, name).id, 0)


def logged_in(client: TestClient) -> bool:
    return client.get("/review", follow_redirects=False).status_code == 200


def post(client: TestClient, path: str, **data: str) -> Any:
    token = csrf_of(client.get("/users").text)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def login(app: Any, user: str, password: str) -> Any:
    client = TestClient(app)
    token = csrf_of(client.get("/login").text)
    return client, client.post("/login", data={"username": user, "password": password, "csrf_token": token},
                               follow_redirects=False)


def audit_rows(url: str) -> list[Any]:
    with session_scope(url) as session:
        return list(reversed(console_audit(session)))


def no_secrets_in_audit(url: str, *secrets: str) -> None:
    text = json.dumps([[r.actor, r.target, r.before, r.after, r.detail] for r in audit_rows(url)])
    assert "$argon2" not in text and "scrypt$" not in text
    for secret in secrets:
        assert secret not in text


# ----------------------------------------------------------------------------- who sees what


@pytest.mark.parametrize("user", ["vera", "otto"])
def test_viewers_and_operators_see_only_their_own_account(client_as: Any, user: str) -> None:
    page = client_as(user).get("/users")
    assert page.status_code == 200 and f"You are <strong>{user}</strong>" in page.text
    assert 'id="password-form"' in page.text and 'id="logout-everywhere"' in page.text
    assert 'id="users"' not in page.text and 'id="add-user-form"' not in page.text and "ada" not in page.text


@pytest.mark.parametrize("user", ["vera", "otto"])
@pytest.mark.parametrize(("path", "data"), [
    ("/users/ada/disable", {}), ("/users/ada/reset", {}), ("/users/ada/end-sessions", {}),
    ("/users/vera/role", {"role": "admin"}), ("/users", {"username": "mallory", "role": "admin"}),
])
def test_only_admins_change_users(client_as: Any, catalog_url: str, user: str, path: str,
                                  data: dict[str, str]) -> None:
    client, admin = client_as(user), client_as("ada")
    before = [(u.username, u.role, u.active, u.must_change_password) for u in auth_users(catalog_url)]
    response = post(client, path, **data)
    assert response.status_code == 403 and "needs the admin role" in response.text
    assert [(u.username, u.role, u.active, u.must_change_password) for u in auth_users(catalog_url)] == before
    assert logged_in(admin) and audit_rows(catalog_url)[-1].action == "logged_in"


def auth_users(url: str) -> list[auth.Reviewer]:
    with session_scope(url) as session:
        return auth.list_users(session)


def test_forged_and_anonymous_posts_are_refused(client_as: Any, app: Any, catalog_url: str) -> None:
    otto = client_as("otto")
    admin = client_as("ada")
    forged = admin.post("/users/otto/disable", data={"csrf_token": "not-the-token"}, follow_redirects=False)
    missing = admin.post("/users/otto/disable", data={}, follow_redirects=False)
    anonymous = TestClient(app).post("/users/otto/disable", data={"csrf_token": "x"}, follow_redirects=False)
    assert (forged.status_code, missing.status_code, anonymous.status_code) == (403, 403, 401)
    assert TestClient(app).get("/users", follow_redirects=False).headers["location"] == "/login?next=/users"
    assert user_row(catalog_url, "otto").active and logged_in(otto)


# ----------------------------------------------------------------------------- admins revoke access


def test_disabling_ends_every_session_at_once_and_enabling_restores_login(
    client_as: Any, app: Any, catalog_url: str
) -> None:
    otto_phone, otto_laptop, admin = client_as("otto"), client_as("otto"), client_as("ada")
    page = post(admin, "/users/otto/disable")
    assert page.status_code == 200 and "otto is disabled and every session of theirs has ended." in page.text
    assert not logged_in(otto_phone) and not logged_in(otto_laptop) and sessions_of(catalog_url, "otto") == 0
    assert login(app, "otto", PASSWORDS["otto"])[1].status_code == 401
    row = [r for r in audit_rows(catalog_url) if r.action == "user_disabled"][-1]
    assert (row.actor, row.target, row.client) == ("ada", "user otto", "testclient")
    assert row.before["active"] is True and row.before["sessions"] == 2
    assert row.after["active"] is False and row.after["sessions"] == 0
    assert post(admin, "/users/otto/enable").status_code == 200
    assert login(app, "otto", PASSWORDS["otto"])[1].status_code == 303
    no_secrets_in_audit(catalog_url, *PASSWORDS.values())


def test_reset_gives_a_temporary_password_that_must_be_changed(client_as: Any, app: Any, catalog_url: str) -> None:
    otto, admin = client_as("otto"), client_as("ada")
    page = post(admin, "/users/otto/reset")
    temporary = re.search(r'<code id="temporary-password">([^<]+)</code>', page.text).group(1)
    assert not logged_in(otto) and user_row(catalog_url, "otto").must_change_password
    assert temporary not in admin.get("/users").text  # shown once
    assert login(app, "otto", PASSWORDS["otto"])[1].status_code == 401
    client, answer = login(app, "otto", temporary)
    assert answer.status_code == 200 and 'id="new-password-form"' in answer.text and COOKIE not in client.cookies
    assert not logged_in(client)
    token = csrf_of(answer.text)
    short = client.post("/login/new-password", data={"username": "otto", "password": temporary, "csrf_token": token,
                                                     "new_password": "short", "new_password_again": "short"})
    assert short.status_code == 400 and "at least 10 characters" in short.text and not logged_in(client)
    done = client.post("/login/new-password", follow_redirects=False, data={
        "username": "otto", "password": temporary, "csrf_token": token,
        "new_password": "brand-new-password", "new_password_again": "brand-new-password"})
    assert done.status_code == 303 and logged_in(client)
    assert not user_row(catalog_url, "otto").must_change_password
    assert login(app, "otto", "brand-new-password")[1].status_code == 303
    assert login(app, "otto", temporary)[1].status_code == 401
    actions = [r.action for r in audit_rows(catalog_url) if r.target == "user otto"]
    assert "password_reset" in actions and "password_changed" in actions
    no_secrets_in_audit(catalog_url, temporary, "brand-new-password", *PASSWORDS.values())


def test_end_all_sessions_of_a_user(client_as: Any, catalog_url: str) -> None:
    one, two, admin = client_as("vera"), client_as("vera"), client_as("ada")
    page = post(admin, "/users/vera/end-sessions")
    assert "Ended 2 session(s) of vera." in page.text
    assert not logged_in(one) and not logged_in(two) and logged_in(admin)
    row = [r for r in audit_rows(catalog_url) if r.action == "sessions_ended"][-1]
    assert (row.before["sessions"], row.after["sessions"]) == (2, 0)


def test_admin_adds_a_user_and_changes_roles(client_as: Any, app: Any, catalog_url: str) -> None:
    admin = client_as("ada")
    page = post(admin, "/users", username="nina", role="operator")
    temporary = re.search(r'<code id="temporary-password">([^<]+)</code>', page.text).group(1)
    assert user_row(catalog_url, "nina").role == "operator" and user_row(catalog_url, "nina").must_change_password
    assert login(app, "nina", temporary)[1].status_code == 200  # the new-password form, no session yet
    assert post(admin, "/users", username="Bad Name", role="viewer").status_code == 400
    assert post(admin, "/users", username="nina", role="viewer").status_code == 409
    assert post(admin, "/users/vera/role", role="root").status_code == 400
    assert "vera is now operator." in post(admin, "/users/vera/role", role="operator").text
    row = [r for r in audit_rows(catalog_url) if r.action == "role_changed"][-1]
    assert (row.before["role"], row.after["role"], row.actor) == ("viewer", "operator", "ada")
    assert post(admin, "/users/nobody/disable").status_code == 400
    assert post(admin, "/users/vera/promote").status_code == 404


def test_the_last_admin_cannot_be_disabled_or_demoted(client_as: Any, catalog_url: str) -> None:
    admin = client_as("ada")
    assert post(admin, "/users/ada/disable").status_code == 409
    assert "only active admin" in post(admin, "/users/ada/role", role="viewer").text
    assert user_row(catalog_url, "ada").active and user_row(catalog_url, "ada").role == "admin"
    post(admin, "/users/otto/role", role="admin")
    assert post(admin, "/users/ada/role", role="operator").status_code == 200


# ----------------------------------------------------------------------------- everyone's own account


def test_changing_my_password_needs_the_current_one_and_ends_my_other_sessions(
    client_as: Any, app: Any, catalog_url: str
) -> None:
    here, elsewhere = client_as("vera"), client_as("vera")
    wrong = post(here, "/account/password", current_password="not-my-password",
                 new_password="another-password-1", new_password_again="another-password-1")
    assert wrong.status_code == 403 and "current password is wrong" in wrong.text
    differ = post(here, "/account/password", current_password=PASSWORDS["vera"],
                  new_password="another-password-1", new_password_again="another-password-2")
    assert differ.status_code == 400 and logged_in(elsewhere)
    done = post(here, "/account/password", current_password=PASSWORDS["vera"],
                new_password="another-password-1", new_password_again="another-password-1")
    assert done.status_code == 200 and "Your password was changed" in done.text
    assert logged_in(here) and not logged_in(elsewhere)
    assert login(app, "vera", PASSWORDS["vera"])[1].status_code == 401
    assert login(app, "vera", "another-password-1")[1].status_code == 303
    no_secrets_in_audit(catalog_url, "another-password-1", "not-my-password")


def test_logout_ends_one_session_and_logout_everywhere_ends_all(client_as: Any, catalog_url: str) -> None:
    one, two, three = client_as("otto"), client_as("otto"), client_as("otto")
    token = csrf_of(one.get("/review").text)
    assert one.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert not logged_in(one) and logged_in(two) and logged_in(three)
    response = post(two, "/account/logout-everywhere")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert not logged_in(two) and not logged_in(three) and sessions_of(catalog_url, "otto") == 0


# ----------------------------------------------------------------------------- the CLI


def test_cli_disables_enables_and_resets(storyvid_home: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert main(["review", "users", "add", "otto", "--role", "operator", "--password-stdin"]) == 0
    assert main(["review", "users", "disable", "otto"]) == 0
    assert "otto is disabled" in capsys.readouterr().out
    url = cli_catalog_url()
    with session_scope(url) as session:
        assert auth.authenticate(session, "otto", "a-long-password") is None
    assert main(["review", "users", "enable", "otto"]) == 0 and main(["review", "users", "reset", "otto"]) == 0
    temporary = re.search(r"temporary password of otto: (\S+)", capsys.readouterr().out).group(1)
    with session_scope(url) as session:
        user = auth.authenticate(session, "otto", temporary)
        assert user is not None and user.must_change_password
        actions = [r.action for r in console_audit(session, target="user otto")]
    assert actions[:3] == ["password_reset", "user_enabled", "user_disabled"]
    assert main(["review", "users", "disable", "nobody"]) == 2
    assert "there is no user 'nobody'" in capsys.readouterr().err


# ----------------------------------------------------------------------------- in the browser


@pytest.mark.browser
def test_a_viewer_sees_only_their_own_account(server: str, browser: Any) -> None:
    page = log_in(browser, server, "vera")
    page.goto(f"{server}/users")
    assert page.inner_text("#own-account") == "You are vera, viewer."
    assert page.query_selector("#users") is None and page.query_selector("#add-user-form") is None
    assert page.is_visible("#change-password") and page.is_visible("#logout-everywhere")
    screenshots(page, "users-viewer")


@pytest.mark.browser
def test_an_admin_disables_a_user_whose_open_page_is_logged_out_on_reload(
    server: str, browser: Any, catalog_url: str
) -> None:
    otto = log_in(browser, server, "otto")
    otto.goto(f"{server}/review")
    assert otto.inner_text("#who-name") == "otto"
    admin = log_in(browser, server, "ada")
    admin.goto(f"{server}/users")
    assert admin.inner_text("#user-otto .sessions") == "1"
    screenshots(admin, "users-admin")
    admin.click("#user-otto button.disable")
    admin.wait_for_selector("#notice")
    assert "otto is disabled" in admin.inner_text("#notice")
    assert admin.inner_text("#user-otto .status") == "disabled"
    otto.reload()
    assert otto.url.startswith(f"{server}/login") and otto.query_selector("#who-name") is None
    assert not user_row(catalog_url, "otto").active
    admin.click("#user-otto button.reset")
    admin.wait_for_selector("#temporary-password")
    screenshots(admin, "users-temporary-password")
