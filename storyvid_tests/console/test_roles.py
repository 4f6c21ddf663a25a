"""Every console page for every role, in real Chromium: each page loads for each role, a viewer finds no
control that changes anything, and a forged cross-site POST (a form on another site that the browser
submits with the user's cookies, if it would send them) changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from storyvid_assets.catalog.db import session_scope
from storyvid_assets.console.core import NAV
from storyvid_assets.review.queue import get_item
from storyvid_tests.browser import live_server, screenshots
from storyvid_tests.console.conftest import log_in
from storyvid_tests.review.conftest import open_item

pytestmark = pytest.mark.browser
PAGES = [path for path, _ in NAV]
# POST forms a viewer may use: logging out and their own account (password, sessions)
VIEWER_FORMS = ("/logout", "/account/")


def post_actions(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "form", "forms => forms.filter(f => f.method.toLowerCase() === 'post').map(f => new URL(f.action).pathname)")


@pytest.mark.parametrize("user", ["vera", "otto", "ada"])
def test_every_page_loads_for_every_role(server: str, browser: Any, catalog_url: str, user: str) -> None:
    open_item(catalog_url)
    page = log_in(browser, server, user)
    for path in PAGES:
        response = page.goto(f"{server}{path}")
        assert response is not None and response.status == 200, (path, response and response.status)
        assert page.locator("#error").count() == 0, (path, page.inner_text("#error"))
        assert page.locator(f"#nav a[aria-current='page'][href='{path}']").count() == 1, path
        if user == "vera":
            changes = [a for a in post_actions(page) if not a.startswith(VIEWER_FORMS)]
            assert changes == [], (path, changes)
        screenshots(page, f"roles-{user}{path.replace('/', '-')}")


@pytest.fixture
def attacker(server: str) -> Iterator[str]:
    """Another site whose page posts a review decision to the console as soon as it loads."""

    async def forged(request: Any) -> HTMLResponse:
        item = request.query_params["item"]
        return HTMLResponse(f"""<!doctype html><form id="f" method="post" action="{server}/items/{item}/decision">
            <input name="action" value="approve"><input name="note" value="forged"><input name="csrf_token" value="x">
            </form><script>document.getElementById('f').submit()</script>""")

    with live_server(Starlette(routes=[Route("/", forged)])) as base:
        yield base.replace("127.0.0.1", "localhost")  # another site: a different host name


def test_a_forged_cross_site_post_changes_nothing(server: str, browser: Any, catalog_url: str, attacker: str) -> None:
    item_id = open_item(catalog_url)
    page = log_in(browser, server, "otto")  # logged in, the cookie is in this browser context
    page.goto(f"{attacker}/?item={item_id}")
    page.wait_for_load_state()
    assert page.url.startswith(server)  # the browser did submit the form to the console ...
    assert "approved" not in page.content()
    with session_scope(catalog_url) as session:  # ... and nothing changed
        assert get_item(session, item_id).status == "open"
    page.goto(f"{server}/items/{item_id}")
    assert page.inner_text("#status") == "open"
