"""A loopback HTTP server base for the social-platform fakes, with faults injected on command.

Each fake (``youtube.py``, ``instagram.py``, ``tiktok.py``, ``facebook.py``) declares routes and speaks its
platform's wire protocol. ``inject(kind, step, times)`` arms a fault for the next ``times`` requests of a
step; the fakes apply them where the real platform could fail:

- ``drop``: read part of the request body, then close the connection without an answer (mid-chunk drop)
- ``http_500`` / ``http_503``: the platform's server-error envelope
- ``rate_limit``: 429 (or the platform's throttling code) with ``Retry-After``
- ``expired_token``: the current access token stops working (401 / code 190); a refresh gets a new one
- ``quota``: the platform's quota / posting-limit error
- ``lost_response``: do the work (create the post), then close the connection without an answer
- list lag (:meth:`PlatformFake.lag_lists`): list endpoints hide posts younger than N seconds, as the platforms'
  lists do (eventual consistency; the docs promise no read-after-write: "assume lists lag",
  /work/shared/reference/platform-protocols.md)

The fakes are deliberately *not* idempotent where the platforms are not: every completed create makes a new
post, so a client that repeats a create blindly is caught double-posting.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

FAULT_KINDS = ("drop", "http_500", "http_503", "rate_limit", "expired_token", "quota", "lost_response")


@dataclass
class Fault:
    kind: str
    step: str
    times: int = 1
    retry_after: str = "1"


@dataclass
class Post:
    """One post as the fake holds it: the bytes it received and the text it was given."""

    id: str
    sha256: str
    size: int
    text: str
    title: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None  # when the fake made it (list lag hides it for a while)


@dataclass
class Seen:
    method: str
    path: str
    step: str
    status: int | None
    body_bytes: int


class Done(Exception):
    """The handler has answered (or dropped the connection); stop handling the request."""


class Dropped(Done):
    """The handler closed the connection on purpose."""


class Exchange:
    """One request: lazy body, parsed query/form, and ways to answer or to drop the connection."""

    def __init__(self, handler: BaseHTTPRequestHandler) -> None:
        self.handler = handler
        parts = urlsplit(handler.path)
        self.method = handler.command
        self.path = parts.path
        self.query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        self.headers = {k.lower(): v for k, v in handler.headers.items()}
        self._body: bytes | None = None
        self.status: int | None = None
        self.step = ""  # handlers name the step they served (fault targets use these names)

    @property
    def length(self) -> int:
        return int(self.headers.get("content-length") or 0)

    def body(self) -> bytes:
        if self._body is None:
            self._body = self.handler.rfile.read(self.length) if self.length else b""
        return self._body

    def form(self) -> dict[str, str]:
        merged = dict(self.query)
        if "application/x-www-form-urlencoded" in self.headers.get("content-type", ""):
            merged |= {k: v[0] for k, v in parse_qs(self.body().decode(), keep_blank_values=True).items()}
        return merged

    def json(self) -> Any:
        raw = self.body()
        return json.loads(raw) if raw else {}

    def reply(self, status: int, payload: Any = None, headers: dict[str, str] | None = None) -> None:
        self.body()  # an unread body would be parsed as the next request on this keep-alive connection
        data = b"" if payload is None else json.dumps(payload).encode()
        self.status = status
        self.handler.send_response(status)
        for name, value in (headers or {}).items():
            self.handler.send_header(name, value)
        if payload is not None:
            self.handler.send_header("Content-Type", "application/json; charset=UTF-8")
        self.handler.send_header("Content-Length", str(len(data)))
        self.handler.end_headers()
        self.handler.wfile.write(data)

    def read_partial(self, fraction: float = 0.5) -> bytes:
        """Read only part of the body (the rest never arrives: call :meth:`cut` next)."""
        self._body = self.handler.rfile.read(int(self.length * fraction)) if self.length else b""
        return self._body

    def drop(self, fraction: float = 0.5) -> None:
        """A connection drop mid-body: read part of it, then cut the connection."""
        self.read_partial(fraction)
        self.cut()

    def hang_up(self) -> None:
        """Close without an answer after the request was fully read (a lost response)."""
        self.body()
        self.cut()

    def cut(self) -> None:
        self.handler.close_connection = True
        with contextlib.suppress(OSError):
            self.handler.connection.shutdown(socket.SHUT_RDWR)
        raise Dropped


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:  # dropped connections are on purpose
        return


Route = tuple[str, "re.Pattern[str]", Callable[..., None]]


class PlatformFake:
    """Base of the four platform fakes: routing, fault queue, request log, tokens, posts."""

    name = "platform"

    def __init__(self, now: Callable[[], datetime] | None = None) -> None:
        self.now = now or (lambda: datetime.now(UTC))
        self.faults: list[Fault] = []
        self.seen: list[Seen] = []
        self.posts: list[Post] = []
        self.lock = threading.RLock()
        self.tokens: set[str] = set()
        self.refreshes = 0
        self.list_lag_s = 0.0
        self._counter = 0
        self._server: _Server | None = None
        self.routes: list[Route] = []

    # -- lifecycle ----------------------------------------------------------------------------------------

    def start(self) -> PlatformFake:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no Nagle stalls

            def _serve(self) -> None:
                fake._dispatch(self)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> PlatformFake:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- scripting ----------------------------------------------------------------------------------------

    def inject(self, kind: str, step: str, times: int = 1, retry_after: str = "1") -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; use one of {FAULT_KINDS}")
        with self.lock:
            self.faults.append(Fault(kind, step, times, retry_after))

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def take_fault(self, step: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.step == step and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def lag_lists(self, seconds: float) -> None:
        """The "list lags" fault: list endpoints leave out posts younger than ``seconds`` (fake time)."""
        with self.lock:
            self.list_lag_s = seconds

    def listed_posts(self) -> list[Post]:
        """The posts a list endpoint shows now, newest first (posts younger than the list lag are missing)."""
        now = self.now()
        with self.lock:
            return [
                p
                for p in reversed(self.posts)
                if p.created_at is None or (now - p.created_at).total_seconds() >= self.list_lag_s
            ]

    def posts_with(self, marker: str) -> list[Post]:
        with self.lock:
            return [p for p in self.posts if marker in p.text]

    def steps(self, step: str) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.step == step]

    def next_id(self, prefix: str) -> str:
        with self.lock:
            self._counter += 1
            return f"{prefix}{self._counter}"

    def issue_token(self) -> str:
        token = self.next_id("tok-")
        with self.lock:
            self.tokens.add(token)
        return token

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    @staticmethod
    def sha256(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    # -- faults, answered in each platform's own envelope ----------------------------------------------------

    def server_error(self, ex: Exchange, status: int) -> None:
        raise NotImplementedError

    def throttled(self, ex: Exchange, retry_after: str) -> None:
        raise NotImplementedError

    def quota_error(self, ex: Exchange) -> None:
        raise NotImplementedError

    def apply_faults(self, ex: Exchange, step: str) -> Fault | None:
        """Apply an armed fault of ``step``; returns a ``lost_response`` fault for the handler to act on."""
        ex.step = step
        return self.handle_fault(ex, self.take_fault(step))

    def handle_fault(self, ex: Exchange, fault: Fault | None) -> Fault | None:
        if fault is None:
            return None
        if fault.kind == "drop":
            ex.drop()
        if fault.kind in ("http_500", "http_503"):
            ex.body()
            self.server_error(ex, int(fault.kind[-3:]))
            raise Done
        if fault.kind == "rate_limit":
            ex.body()
            self.throttled(ex, fault.retry_after)
            raise Done
        if fault.kind == "quota":
            ex.body()
            self.quota_error(ex)
            raise Done
        if fault.kind == "expired_token":
            self.expire_tokens()  # the handler's token check now refuses the request
            return None
        return fault

    # -- dispatch -----------------------------------------------------------------------------------------

    def route(self, method: str, pattern: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
        def register(handler: Callable[..., None]) -> Callable[..., None]:
            self.routes.append((method, re.compile(pattern + r"\Z"), handler))
            return handler

        return register

    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        ex = Exchange(handler)
        step = "unknown"
        try:
            for method, pattern, fn in self.routes:
                match = pattern.match(ex.path)
                if method == ex.method and match:
                    step = fn.__name__
                    fn(ex, **match.groupdict())
                    break
            else:
                ex.reply(404, {"error": {"message": f"no route {ex.method} {ex.path}"}})
        except Done:
            pass
        finally:
            with self.lock:
                self.seen.append(Seen(ex.method, ex.path, ex.step or step, ex.status, len(ex._body or b"")))
