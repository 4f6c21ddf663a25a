"""The review page in headless Chromium: an operator approves, a viewer cannot.

Needs Debian's ``chromium`` at /usr/bin/chromium (``scripts/ensure-chromium.sh`` installs it); Playwright
drives it through ``executable_path``, so no browser download is involved.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from storyvid_assets.catalog.db import session_scope
from storyvid_assets.resources.storage.media_store import LocalMediaStore
from storyvid_assets.review.queue import get_item
from storyvid_tests.review.conftest import PASSWORDS, open_item

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = pytest.mark.browser


def _require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    message = f"Chromium is not installed at {CHROMIUM}; run scripts/ensure-chromium.sh"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def server(catalog_url: str, media_store: LocalMediaStore) -> Iterator[str]:
    import uvicorn

    from storyvid_assets.review.web import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(catalog_url, media_store), host="127.0.0.1", port=port, log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started:
        assert time.monotonic() < deadline, "the review server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=5)


@pytest.fixture
def browser() -> Iterator[object]:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def log_in(browser: object, base: str, user: str) -> object:
    page = browser.new_context().new_page()
    page.goto(f"{base}/")
    assert "/login" in page.url
    page.fill("#username", user)
    page.fill("#password", PASSWORDS[user])
    page.click("#login")
    page.wait_for_selector("#who-name")
    assert page.inner_text("#who-role") == {"otto": "operator", "vera": "viewer"}[user]
    return page


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
