"""The Dagster UI behind the console's login: ``/dagster/...`` proxied to a real ``dagster-webserver --path-prefix
/dagster`` started by the test, over HTTP (the UI page, its assets, GraphQL) and websockets (subscriptions)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import dagster
import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from storyvid_assets.console.app import create_app
from storyvid_assets.console.core import COOKIE
from storyvid_assets.settings import REPO_ROOT
from storyvid_tests.browser import live_server, screenshots
from storyvid_tests.console.conftest import PASSWORDS, csrf_of, log_in
from storyvid_tests.console.dagster_instance import DagsterDeployment, dagster_deployment

SUBSCRIPTION = ('subscription { pipelineRunLogs(runId: "no-such-run") { __typename '
                "... on PipelineRunLogsSubscriptionFailure { message missingRunId } } }")
LAUNCH = ('mutation { launchPipelineExecution(executionParams: {selector: {repositoryLocationName: "storyvid", '
          'repositoryName: "__repository__", pipelineName: "episode_job"}, executionMetadata: {tags: '
          '[{key: "dagster/partition", value: "bedtime|2026-02-01"}, {key: "dagster/partition/channel", value: '
          '"bedtime"}, {key: "dagster/partition/date", value: "2026-02-01"}]}}) { __typename } }')
HARMLESS_MUTATION = 'mutation { terminateRun(runId: "00000000-0000-0000-0000-000000000000") { __typename } }'


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DagsterDeployment]:
    with dagster_deployment(tmp_path_factory.mktemp("dagster-ui"), daemon=False) as running:
        yield running


@pytest.fixture
def app(catalog_url: str, media_store: Any, deployment: DagsterDeployment) -> Any:
    return create_app(catalog_url, media_store, dagster_url=deployment.url)


def graphql(client: TestClient, query: str, **headers: str) -> httpx.Response:
    return client.post("/dagster/graphql", json={"query": query}, headers=headers)


def test_without_a_session_the_ui_and_its_api_are_refused(app: Any, deployment: DagsterDeployment) -> None:
    client = TestClient(app)
    page = client.get("/dagster/runs", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/dagster/runs"
    assert client.get("/dagster/_next/static/chunks/webpack.js", follow_redirects=False).status_code == 303
    assert graphql(client, "{ version }").status_code == 401
    assert client.get("/dagster/graphql", params={"query": "{ version }"}, follow_redirects=False).status_code == 303
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect("/dagster/graphql",
                                                                                subprotocols=["graphql-ws"]):
        pass
    assert refused.value.code == 1008


def test_a_viewer_sees_the_ui_and_queries_but_cannot_change_anything(
        client_as: Callable[[str], TestClient], deployment: DagsterDeployment) -> None:
    vera = client_as("vera")
    page = vera.get("/dagster/runs")
    assert page.status_code == 200 and "<title" in page.text and ">Dagster</title>" in page.text
    assert '"pathPrefix": "/dagster"' in page.text  # Dagster's own page, rendered for its path prefix
    assert "nonce-" in page.headers["content-security-policy"]  # Dagster's CSP for its page, not the console's
    script = re.search(r'src="(/dagster/_next/static/chunks/webpack-[^"]+\.js)"', page.text)
    assert script, "the UI page links no webpack chunk"
    asset = vera.get(script.group(1))
    assert asset.status_code == 200 and "javascript" in asset.headers["content-type"] and len(asset.content) > 1000

    answer = graphql(vera, "{ version }")
    assert answer.status_code == 200 and answer.json() == {"data": {"version": dagster.__version__}}
    nux = graphql(vera, "mutation { setNuxSeen }")  # the UI's welcome-dialog flag is all a viewer may set
    assert nux.status_code == 200 and nux.json() == {"data": {"setNuxSeen": True}}

    runs = deployment.run_ids()
    for refused in (graphql(vera, LAUNCH),
                    vera.get("/dagster/graphql", params={"query": LAUNCH}),
                    vera.post("/dagster/graphql", content=LAUNCH, headers={"content-type": "application/graphql"}),
                    vera.post("/dagster/graphql", json=[{"query": LAUNCH}]),
                    vera.post("/dagster/report_asset_materialization/story", json={}),
                    vera.get("/dagster/runs", params={"query": LAUNCH}),  # GraphQL in any URL is looked at
                    graphql(vera, "mutation { setNuxSeen " + HARMLESS_MUTATION.removeprefix("mutation {"))):
        assert refused.status_code == 403, refused.text
        assert "read-only for viewers" in refused.text
    assert deployment.run_ids() == runs  # nothing was launched


def test_an_operator_may_change_things_but_not_from_another_site(
        client_as: Callable[[str], TestClient], deployment: DagsterDeployment) -> None:
    otto = client_as("otto")
    answer = graphql(otto, HARMLESS_MUTATION, origin="http://testserver")
    assert answer.status_code == 200
    assert answer.json()["data"]["terminateRun"]["__typename"] == "RunNotFoundError"  # Dagster executed it
    forged = graphql(otto, HARMLESS_MUTATION, origin="https://evil.example")
    assert forged.status_code == 403 and "another site" in forged.text
    assert graphql(otto, HARMLESS_MUTATION, **{"sec-fetch-site": "cross-site"}).status_code == 403


def test_the_console_cookie_is_not_passed_on(catalog_url: str, media_store: Any) -> None:
    """What the upstream receives, seen by a loopback server that echoes a request's headers."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    def echo(request: Request) -> JSONResponse:
        return JSONResponse({"path": request.url.path, "query": request.url.query, "headers": dict(request.headers)},
                            headers={"set-cookie": f"{COOKIE}=from-upstream"})

    with live_server(Starlette(routes=[Route("/dagster/{path:path}", echo)])) as upstream:
        app = create_app(catalog_url, media_store, dagster_url=f"{upstream}/dagster")
        client = TestClient(app)
        token = csrf_of(client.get("/login").text)
        client.post("/login", data={"username": "vera", "password": PASSWORDS["vera"], "csrf_token": token})
        session = client.cookies.get(COOKIE)
        assert session
        seen = client.get("/dagster/some/page", params={"a": "1"})
    assert seen.status_code == 200
    body = seen.json()
    assert body["path"] == "/dagster/some/page" and body["query"] == "a=1"
    assert "cookie" not in body["headers"]  # the console's session stays with the console
    assert body["headers"]["x-forwarded-host"] == "testserver"
    assert "set-cookie" not in seen.headers  # nor may Dagster set the console's cookies
    assert client.cookies.get(COOKIE) == session


def login_cookie(base: str, user: str) -> str:
    with httpx.Client(base_url=base) as client:
        token = csrf_of(client.get("/login").text)
        response = client.post("/login", data={"username": user, "password": PASSWORDS[user], "csrf_token": token})
        assert response.status_code in (200, 303), response.text
        return client.cookies[COOKIE]


async def subscribe(url: str, headers: dict[str, str], query: str) -> list[dict[str, Any]]:
    from websockets.asyncio.client import connect
    from websockets.typing import Subprotocol

    async with connect(url, subprotocols=[Subprotocol("graphql-ws")], additional_headers=headers,
                       open_timeout=10) as socket:
        assert socket.subprotocol == "graphql-ws"
        await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
        messages = [json.loads(await asyncio.wait_for(socket.recv(), 10))]
        await socket.send(json.dumps({"type": "start", "id": "1", "payload": {"query": query}}))
        messages.append(json.loads(await asyncio.wait_for(socket.recv(), 10)))
        return messages


def test_a_websocket_subscription_round_trips_only_with_a_session(server: str, deployment: DagsterDeployment) -> None:
    from websockets.exceptions import ConnectionClosedError, InvalidStatus

    url = server.replace("http://", "ws://") + "/dagster/graphql"
    cookie = f"{COOKIE}={login_cookie(server, 'vera')}"
    ack, data = asyncio.run(subscribe(url, {"Cookie": cookie, "Origin": server}, SUBSCRIPTION))
    assert ack == {"type": "connection_ack"}
    assert data["type"] == "data" and data["id"] == "1"
    failure = data["payload"]["data"]["pipelineRunLogs"]
    assert failure["__typename"] == "PipelineRunLogsSubscriptionFailure" and failure["missingRunId"] == "no-such-run"

    for headers in ({"Origin": server},  # no session
                    {"Cookie": f"{COOKIE}=not-a-session", "Origin": server},
                    {"Cookie": cookie, "Origin": "https://evil.example"}):  # cross-site websocket hijacking
        with pytest.raises(InvalidStatus) as refused:
            asyncio.run(subscribe(url, headers, SUBSCRIPTION))
        assert refused.value.response.status_code == 403

    with pytest.raises(ConnectionClosedError) as closed:  # a viewer cannot send a mutation down the socket
        asyncio.run(subscribe(url, {"Cookie": cookie, "Origin": server}, HARMLESS_MUTATION))
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


def test_dot_segments_do_not_get_past_the_viewer_check(server: str, deployment: DagsterDeployment) -> None:
    """A raw ``/dagster/x/../graphql`` (clients like httpx would normalise it first) is refused, not forwarded."""
    import http.client
    from urllib.parse import quote

    connection = http.client.HTTPConnection(server.removeprefix("http://"), timeout=10)
    connection.request("GET", f"/dagster/x/../graphql?query={quote(LAUNCH)}",
                       headers={"Cookie": f"{COOKIE}={login_cookie(server, 'vera')}"})
    response = connection.getresponse()
    assert response.status == 400 and "segments" in response.read().decode()
    assert deployment.run_ids() == set()


def test_not_proxied_without_the_path_prefix(catalog_url: str, media_store: Any) -> None:
    app = create_app(catalog_url, media_store, dagster_url="http://127.0.0.1:3000")
    client = TestClient(app)
    token = csrf_of(client.get("/login").text)
    client.post("/login", data={"username": "vera", "password": PASSWORDS["vera"], "csrf_token": token})
    response = client.get("/dagster/runs")
    assert response.status_code == 404 and "--path-prefix /dagster" in response.text


@pytest.mark.browser
def test_the_dagster_ui_renders_in_chromium_behind_the_login(server: str, browser: Any,
                                                              deployment: DagsterDeployment) -> None:
    anonymous = browser.new_page()
    anonymous.goto(f"{server}/dagster/runs")
    assert anonymous.url.endswith("/login?next=/dagster/runs")
    page = log_in(browser, server, "vera")
    answered: list[tuple[str, int]] = []
    page.on("response", lambda response: answered.append((response.url, response.status)))
    page.goto(f"{server}/dagster/runs")
    page.wait_for_selector("text=No runs found", timeout=30_000)  # the runs list, from GraphQL through the proxy
    skip = page.get_by_role("button", name="Skip")  # the welcome dialog (the UI marks it seen with setNuxSeen)
    if skip.count():
        skip.click()
        skip.wait_for(state="hidden")
    assert any("/dagster/graphql?op=" in url and status == 200 for url, status in answered)
    assert [(url, status) for url, status in answered if status >= 400] == []  # the viewer's UI: nothing refused
    screenshots(page, "dagster-ui")


def test_make_dev_keeps_the_ui_on_loopback() -> None:
    """`make dev` serves the Dagster UI (which has no login) on 127.0.0.1 only."""
    makefile = (REPO_ROOT / "Makefile").read_text()
    recipe = re.search(r"^dev:.*?\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe, "the Makefile has no dev target"
    assert re.search(r"\b(dg|dagster) dev\b.*--host 127\.0\.0\.1\b", recipe.group(1)), recipe.group(1)
    assert "0.0.0.0" not in recipe.group(1)
