"""The Dagster UI behind the console's login: ``/dagster/...`` is proxied, HTTP and websockets, to a Dagster
webserver started with ``--path-prefix /dagster`` and bound to loopback (``--dagster-url
http://127.0.0.1:3000/dagster``; ``deploy/README.md``).

The Dagster UI has no login of its own, so every request (the websocket handshake too) needs a console session.
Viewers may look: GETs, and GraphQL queries and subscriptions; a GraphQL mutation or any other write needs
the operator role. Writes from another site are refused by their ``Origin`` (the session cookie is also
``SameSite=Strict``). The console's session cookie is never passed on to Dagster.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import Response, StreamingResponse
from graphql import FieldNode, GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from storyvid_assets.console.core import ROLE_RANK, Console, Refused
from storyvid_assets.console.dagster_link import PROXY_PREFIX, proxied, safe_url
from storyvid_assets.review import auth

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                        "transfer-encoding", "upgrade", "host", "cookie", "set-cookie", "content-length"})
MAX_BODY = 32 * 1024 * 1024
VIEWER_MUTATIONS = frozenset({"setNuxSeen"})  # the UI's "seen the welcome dialog" flag
POLICY_VIOLATION = 1008  # websocket close code: refused
NOT_PROXIED = ("The console serves the Dagster UI only when --dagster-url (or STORYVID_DAGSTER_URL) points at a "
               "Dagster webserver started with --path-prefix /dagster, e.g. http://127.0.0.1:3000/dagster "
               "(see deploy/README.md).")
READ_ONLY = ("{user} is a viewer: the Dagster UI is read-only for viewers (queries, no mutations or other writes); "
             "ask an admin for the operator role")


def writes(query: str) -> bool:
    """Whether a GraphQL document holds a mutation other than the UI's own bookkeeping (:data:`VIEWER_MUTATIONS`).
    A document that does not parse executes nothing, upstream or here."""
    try:
        document = parse(query)
    except GraphQLError:
        return False
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and definition.operation == OperationType.MUTATION:
            fields = definition.selection_set.selections
            if not all(isinstance(f, FieldNode) and f.name.value in VIEWER_MUTATIONS for f in fields):
                return True
    return False


def graphql_writes(method: str, content_type: str, query_params: dict[str, str], body: bytes) -> bool:
    """Whether a request to Dagster's ``/graphql`` may change something (read as Dagster's endpoint reads it:
    the ``query`` parameter, a JSON body's ``query``, or an ``application/graphql`` body)."""
    queries = [query_params["query"]] if "query" in query_params else []
    if method == "POST" and "application/json" in content_type:
        try:
            data = json.loads(body or b"null")
        except ValueError:
            data = {}  # Dagster answers 400 and executes nothing
        if not isinstance(data, dict):
            return True  # not a shape Dagster reads; refuse rather than guess
        query = data.get("query")
        if query is not None and not isinstance(query, str):
            return True
        queries = [query] if query is not None else []  # Dagster reads the body, not the URL, then
    elif method == "POST" and "application/graphql" in content_type:
        queries = [body.decode("utf-8", "replace")]
    return any(writes(q) for q in queries)


def same_origin(headers: Any) -> bool:
    """A request from this console's own host (its ``Origin``), or one no browser marked as cross-site."""
    origin = headers.get("origin")
    if origin is None:
        return headers.get("sec-fetch-site") in (None, "same-origin", "none")
    return urlsplit(origin).netloc.lower() == (headers.get("host") or "").lower()


def register(app: FastAPI, console: Console) -> None:
    upstream = console.dagster_url.rstrip("/") if console.dagster_url and proxied(console.dagster_url) else None
    parts = urlsplit(upstream) if upstream else None
    origin = f"{parts.scheme}://{parts.netloc}" if parts else ""
    ws_origin = origin.replace("http", "ws", 1)

    def permitted(who: auth.LoggedIn, request: Request, path: str, body: bytes) -> None:
        if ROLE_RANK.get(who.user.role, -1) >= ROLE_RANK["operator"]:
            return
        message = READ_ONLY.format(user=who.user.username)
        graphql_post = request.method == "POST" and path.strip("/") == "graphql"
        if request.method not in SAFE_METHODS and not graphql_post:
            raise Refused(403, message)
        # any request may carry GraphQL in its URL (Dagster executes GETs too): look at every one
        if graphql_writes(request.method, request.headers.get("content-type", ""), dict(request.query_params), body):
            raise Refused(403, message)

    def forwarded_headers(request: Request | WebSocket) -> dict[str, str]:
        return {"x-forwarded-for": request.client.host if request.client else "",
                "x-forwarded-proto": request.url.scheme.replace("ws", "http", 1),
                "x-forwarded-host": request.headers.get("host", "")}

    async def http_proxy(request: Request, path: str = "") -> Response:
        who = await run_in_threadpool(console.user, request)  # no session: redirect to the login (GET) or 401
        if upstream is None:
            raise Refused(404, NOT_PROXIED)
        if any(segment in (".", "..") for segment in path.split("/")):
            raise Refused(400, "a path with '.' or '..' segments cannot be proxied; use the plain path")
        if request.method not in SAFE_METHODS and not same_origin(request.headers):
            raise Refused(403, "This request came from another site; the console refuses it (open the Dagster UI "
                               "through the console and try again).")
        if int(request.headers.get("content-length") or 0) > MAX_BODY:
            raise Refused(413, f"the request body is larger than {MAX_BODY // 2**20} MiB")
        try:
            body = await request.body()
        except ClientDisconnect:  # the browser went away (a page left mid-request)
            return Response(status_code=400)
        permitted(who, request, path, body)
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
        headers += list(forwarded_headers(request).items())
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        url = origin + raw_path.decode("latin-1") + (f"?{request.url.query}" if request.url.query else "")
        client = httpx.AsyncClient(timeout=httpx.Timeout(120, connect=5), trust_env=False, follow_redirects=False)
        try:
            upstream_response = await client.send(
                client.build_request(request.method, url, headers=headers, content=body), stream=True)
        except httpx.HTTPError as exc:
            await client.aclose()
            raise Refused(502, f"The Dagster webserver at {safe_url(upstream)} did not answer ({type(exc).__name__}); "
                               "start it with dagster-webserver -h 127.0.0.1 -p 3000 --path-prefix /dagster") from None

        async def close() -> None:
            await upstream_response.aclose()
            await client.aclose()

        response = StreamingResponse(upstream_response.aiter_raw(), status_code=upstream_response.status_code,
                                     background=BackgroundTask(close))
        response.raw_headers = [
            (k.encode("latin-1"), v.encode("latin-1")) for k, v in upstream_response.headers.multi_items()
            if k.lower() not in HOP_BY_HOP - {"content-length"}
        ]
        return response

    app.add_api_route(PROXY_PREFIX, http_proxy, methods=METHODS, include_in_schema=False)
    app.add_api_route(PROXY_PREFIX + "/{path:path}", http_proxy, methods=METHODS, include_in_schema=False)

    @app.websocket(PROXY_PREFIX + "/{path:path}")
    async def websocket_proxy(websocket: WebSocket, path: str) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, WebSocketException
        from websockets.typing import Subprotocol

        who = await run_in_threadpool(console.current, websocket)  # type: ignore[arg-type]  # reads the cookie
        if who is None or upstream is None or not same_origin(websocket.headers):
            await websocket.close(code=POLICY_VIOLATION)  # before accepting: the handshake is answered 403
            return
        viewer = ROLE_RANK.get(who.user.role, -1) < ROLE_RANK["operator"]
        raw_path = websocket.scope.get("raw_path") or websocket.url.path.encode()
        url = ws_origin + raw_path.decode("latin-1") + (f"?{websocket.url.query}" if websocket.url.query else "")
        subprotocols = [Subprotocol(p) for p in websocket.scope.get("subprotocols", [])] or None
        try:
            upstream_socket = await connect(url, subprotocols=subprotocols, open_timeout=10, max_size=None,
                                            additional_headers=forwarded_headers(websocket))
        except (OSError, TimeoutError, WebSocketException):
            await websocket.close(code=1011)  # the Dagster webserver did not answer
            return
        async with upstream_socket:
            await websocket.accept(subprotocol=upstream_socket.subprotocol)

            async def from_browser() -> None:
                while True:
                    message = await websocket.receive()
                    if message["type"] == "websocket.disconnect":
                        return
                    if message.get("text") is not None:
                        if viewer and subscription_writes(message["text"]):
                            await websocket.close(code=POLICY_VIOLATION)
                            return
                        await upstream_socket.send(message["text"])
                    elif message.get("bytes") is not None:
                        await upstream_socket.send(message["bytes"])

            async def from_dagster() -> None:
                try:
                    async for message in upstream_socket:
                        if isinstance(message, str):
                            await websocket.send_text(message)
                        else:
                            await websocket.send_bytes(message)
                except ConnectionClosed:
                    pass
                await websocket.close(code=upstream_socket.close_code or 1000)

            tasks = [asyncio.create_task(from_browser()), asyncio.create_task(from_dagster())]
            _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def subscription_writes(text: str) -> bool:
    """Whether a websocket message (graphql-ws protocol) starts an operation that is a mutation."""
    try:
        message = json.loads(text)
    except ValueError:
        return False
    if not isinstance(message, dict) or message.get("type") not in ("start", "subscribe"):
        return False
    payload = message.get("payload")
    query = payload.get("query") if isinstance(payload, dict) else None
    return isinstance(query, str) and writes(query)
