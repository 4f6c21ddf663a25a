"""A loopback HTTP server base for the AI provider fakes, with scripted faults.

Each fake subclasses :class:`FakeAIServer`, checks the provider's auth header and answers in the provider's
wire format. Tests script what the next requests get with :meth:`FakeAIServer.enqueue` (or every request
with :meth:`FakeAIServer.fail_always`): a success, a 429 with ``Retry-After``, a 5xx, a quota or auth error,
or a malformed / truncated answer. Every request is recorded; every usage the fake reports is kept in
``reported_usage`` so tests can check the ledger against it.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

FaultKind = Literal["ok", "rate_limit", "server_error", "quota", "auth", "malformed", "truncated"]


@dataclass(frozen=True)
class Fault:
    kind: FaultKind = "ok"
    status: int | None = None  # override the status the fault normally answers with
    retry_after_s: int = 1  # Retry-After seconds on 429s (the SDKs honour it; keep it small)
    retry_after_ms: int | None = 30  # retry-after-ms on 429s (openai/anthropic prefer it); None to leave out


OK = Fault()
RATE_LIMIT = Fault("rate_limit")
SERVER_ERROR = Fault("server_error")
QUOTA = Fault("quota")
AUTH = Fault("auth")
MALFORMED = Fault("malformed")
TRUNCATED = Fault("truncated")


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    fault: Fault

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    declared_length: int | None = None  # a Content-Length larger than the body: the connection drops early

    @classmethod
    def json(cls, status: int, payload: Any, **headers: str) -> Reply:
        return cls(status, json.dumps(payload).encode(), dict(headers))


class FakeAIServer:
    """A threaded HTTP server on 127.0.0.1 (ephemeral port) answering like one AI provider."""

    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        self.reported_usage: list[dict[str, Any]] = []
        self._faults: deque[Fault] = deque()
        self._always: Fault | None = None
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------------------

    def start(self) -> FakeAIServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                fake._handle(self)

            do_GET = do_POST = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- scripting -----------------------------------------------------------------------------------------

    def enqueue(self, *faults: Fault) -> None:
        """The next requests get these faults, in order; after them requests succeed."""
        with self._lock:
            self._faults.extend(faults)

    def fail_always(self, fault: Fault | None) -> None:
        """Every request gets ``fault`` (``None`` to stop)."""
        with self._lock:
            self._always = fault

    def _next_fault(self) -> Fault:
        with self._lock:
            if self._faults:
                return self._faults.popleft()
            return self._always or OK

    def calls(self, path_part: str = "") -> list[RecordedRequest]:
        return [r for r in self.requests if path_part in r.path]

    def record_usage(self, **usage: Any) -> None:
        with self._lock:
            self.reported_usage.append(usage)

    # -- serving -------------------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        body = handler.rfile.read(length) if length else b""
        parts = urlsplit(handler.path)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        fault = self._next_fault() if self.authorized(headers) else AUTH
        request = RecordedRequest(handler.command, parts.path, parse_qs(parts.query), headers, body, fault)
        with self._lock:
            self.requests.append(request)
        try:
            reply = self.answer(request, fault)
        except Exception as exc:  # a bug in the fake: answer 500 with the reason rather than hang the client
            reply = Reply.json(500, {"fake_error": f"{type(exc).__name__}: {exc}"})
        handler.send_response(reply.status)
        handler.send_header("Content-Type", reply.content_type)
        handler.send_header("Content-Length", str(reply.declared_length or len(reply.body)))
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        if reply.declared_length:
            handler.send_header("Connection", "close")
            handler.close_connection = True
        handler.end_headers()
        handler.wfile.write(reply.body)
        handler.wfile.flush()

    def authorized(self, headers: dict[str, str]) -> bool:
        raise NotImplementedError

    def answer(self, request: RecordedRequest, fault: Fault) -> Reply:
        raise NotImplementedError


def retry_headers(fault: Fault) -> dict[str, str]:
    headers = {"retry-after": str(fault.retry_after_s)}
    if fault.retry_after_ms is not None:
        headers["retry-after-ms"] = str(fault.retry_after_ms)
    return headers


def masked_key(key: str) -> str:
    """How OpenAI echoes a wrong key back: the first and last four characters."""
    return f"{key[:4]}{'*' * max(0, len(key) - 8)}{key[-4:]}"
