"""Real-browser helpers: a live server on a free loopback port, Debian's Chromium through Playwright, logins
and screenshots at desktop and phone widths.

Needs Debian's ``chromium`` at /usr/bin/chromium (``scripts/ensure-chromium.sh`` installs it; ``make test``
runs it); Playwright drives it through ``executable_path``, so no browser download is involved. Screenshots
go to ``test-artifacts/screenshots/`` (ignored by git), to be looked at after a run.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from storyvid_assets.settings import REPO_ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}


def require_chromium() -> None:
    """Skip (fail under CI=true) when Chromium is missing."""
    if Path(CHROMIUM).exists():
        return
    message = f"Chromium is not installed at {CHROMIUM}; run scripts/ensure-chromium.sh"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Serve an ASGI app on loopback in a thread; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


@contextmanager
def chromium() -> Iterator[Any]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def log_in(browser: Any, base: str, user: str, password: str, *, role: str | None = None) -> Any:
    """A new browser context logged in through the login form; returns its page."""
    page = browser.new_context(viewport={"width": WIDTHS["desktop"][0], "height": WIDTHS["desktop"][1]}).new_page()
    page.goto(f"{base}/login")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("#login")
    page.wait_for_selector("#who-name")
    if role is not None:
        assert page.inner_text("#who-role") == role
    return page


def screenshots(page: Any, name: str) -> list[Path]:
    """Full-page screenshots of the current page at desktop and phone widths (``<name>-desktop.png`` ...)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    written = []
    for label, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        path = SCREENSHOTS / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        written.append(path)
    page.set_viewport_size({"width": WIDTHS["desktop"][0], "height": WIDTHS["desktop"][1]})
    return written
