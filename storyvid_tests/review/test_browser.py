"""The review page in headless Chromium: an operator approves, a viewer cannot.

Needs Debian's ``chromium`` at /usr/bin/chromium (``scripts/ensure-chromium.sh`` installs it); Playwright
drives it through ``executable_path``, so no browser download is involved.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from storyvid_assets.catalog.db import session_scope
from storyvid_assets.resources.storage.media_store import LocalMediaStore
from storyvid_assets.review.queue import get_item
from storyvid_tests.browser import chromium, live_server
from storyvid_tests.browser import log_in as browser_log_in
from storyvid_tests.review.conftest import PASSWORDS, open_item

pytestmark = pytest.mark.browser


@pytest.fixture
def server(catalog_url: str, media_store: LocalMediaStore) -> Iterator[str]:
    from storyvid_assets.console.app import create_app

    with live_server(create_app(catalog_url, media_store)) as base:
        yield base


@pytest.fixture
def browser() -> Iterator[object]:
    with chromium() as instance:
        yield instance


def log_in(browser: object, base: str, user: str) -> object:
    return browser_log_in(browser, base, user, PASSWORDS[user], role={"otto": "operator", "vera": "viewer"}[user])


def test_operator_approves_and_viewer_cannot(server: str, browser: object, catalog_url: str) -> None:
    item_id = open_item(catalog_url)
    viewer = log_in(browser, server, "vera")
    viewer.goto(f"{server}/items/{item_id}")
    assert viewer.inner_text("#status") == "open"
    assert viewer.locator("#approve").count() == 0 and "viewer" in viewer.inner_text("#readonly")
    forged = viewer.evaluate(  # the viewer's own session and CSRF token, plus a role field the server must ignore
        """async ([id]) => {
             const csrf = document.querySelector("input[name=csrf_token]").value;
             const body = new URLSearchParams({action: "approve", note: "trust me", role: "admin", csrf_token: csrf});
             const r = await fetch(`/items/${id}/decision`, {method: "POST", body});
             return [r.status, await r.text()];
           }""",
        [item_id],
    )
    assert forged[0] == 403 and "viewers can look but not decide" in forged[1]

    operator = log_in(browser, server, "otto")
    operator.goto(f"{server}/review")
    operator.click(f"a[href='/items/{item_id}']")
    assert operator.inner_text("#status") == "open"
    operator.click("#approve")  # no note yet
    operator.wait_for_selector("#error")
    assert "a note is required" in operator.inner_text("#error") and operator.inner_text("#status") == "open"
    operator.fill("#note", "The word is the name of a town in the story.")
    operator.click("#approve")
    operator.wait_for_selector("#notice")
    assert operator.inner_text("#status") == "approved"
    assert "otto" in operator.inner_text("#audit") and operator.locator("#approve").count() == 0

    viewer.reload()
    assert viewer.inner_text("#status") == "approved"
    viewer.click("#logout")
    viewer.wait_for_selector("#login")
    with session_scope(catalog_url) as session:
        assert get_item(session, item_id).status == "approved"
