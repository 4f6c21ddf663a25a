"""Console fixtures: a migrated catalog with an admin (ada), an operator (otto) and a viewer (vera), the app,
HTTP clients logged in as each, and a live server with Chromium for browser tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from storyvid_assets.catalog.db import migrate, session_scope
from storyvid_assets.console.app import create_app
from storyvid_assets.resources.storage.media_store import LocalMediaStore
from storyvid_assets.review import auth
from storyvid_tests.browser import chromium, live_server
from storyvid_tests.browser import log_in as browser_log_in

PASSWORDS = {"ada": "admin-password-1", "otto": "operator-password-1", "vera": "viewer-password-1"}
ROLES = {"ada": "admin", "otto": "operator", "vera": "viewer"}


@pytest.fixture
def catalog_url(sqlite_catalog_url: str) -> str:
    migrate(sqlite_catalog_url)
    with session_scope(sqlite_catalog_url) as session:
        for name, password in PASSWORDS.items():
            auth.create_user(session, name, password, ROLES[name], "test")
    return sqlite_catalog_url


@pytest.fixture
def media_store(tmp_path: Path) -> LocalMediaStore:
    return LocalMediaStore(root=str(tmp_path / "media"))


@pytest.fixture
def app(catalog_url: str, media_store: LocalMediaStore) -> Any:
    return create_app(catalog_url, media_store)


@pytest.fixture
def client_as(app: Any) -> Callable[[str], TestClient]:
    """``client_as("otto")``: a test client logged in as that user through the login form."""

    def make(user: str) -> TestClient:
        client = TestClient(app)
        token = csrf_of(client.get("/login").text)  # the login form's token (double-submit cookie)
        response = client.post("/login", data={"username": user, "password": PASSWORDS[user], "csrf_token": token},
                               follow_redirects=False)
        assert response.status_code == 303, response.text
        return client

    return make


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


@pytest.fixture
def server(app: Any) -> Iterator[str]:
    with live_server(app) as base:
        yield base


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as instance:
        yield instance


def log_in(browser: Any, base: str, user: str) -> Any:
    return browser_log_in(browser, base, user, PASSWORDS[user], role=ROLES[user])
