"""What the Instagram and Facebook fakes share: Graph API tokens, the error envelope, token exchange."""

from __future__ import annotations

from typing import Any

from storyvid_tests.fakes.platform_server import Done, Exchange, PlatformFake

VERSION = "v23.0"


def graph_error(message: str, code: int, subcode: int | None = None, transient: bool = False) -> dict[str, Any]:
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "is_transient": transient,
        "fbtrace_id": "AbCdEf123",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


class GraphFake(PlatformFake):
    """Tokens arrive as ``Authorization: OAuth|Bearer``, ``access_token`` query or form field.

    Every token has a kind: ``user`` (what :meth:`new_token` and ``fb_exchange_token`` issue) or ``page``
    (derived from a user token: ``GET /{page-id}?fields=access_token``). Endpoints name the kind they take
    (:meth:`authorize`). ``fb_exchange_token`` refuses an expired token ("You can not use an expired token to
    request a long-lived token") and a Page token (the grant takes a user token):
    https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived (platform-protocols.md
    Instagram §7). The ``expired_token`` fault expires the token presented at that step (a Page token can be
    derived again from the user token; an expired user token needs a person).
    """

    def __init__(self, app_id: str = "app-1", app_secret: str = "app-secret", now: Any = None) -> None:
        super().__init__(now)
        self.app_id = app_id
        self.app_secret = app_secret
        self.issued: set[str] = set()
        self.kinds: dict[str, str] = {}  # token -> "user" | "page"
        self.expired: set[str] = set()
        self._expire_next = 0  # armed expired_token faults: the next presented token expires
        self.kinds_seen: list[tuple[str, str]] = []  # (step, kind of the token presented), valid tokens only
        self.route("GET", rf"/{VERSION}/oauth/access_token")(self.exchange_token)

    def new_token(self, kind: str = "user") -> str:
        token = self.issue_token()
        with self.lock:
            self.issued.add(token)
            self.kinds[token] = kind
        return token

    def expire_tokens(self) -> None:  # the expired_token fault: see authorize
        with self.lock:
            self._expire_next += 1

    def expire(self, token: str) -> None:
        with self.lock:
            self.tokens.discard(token)
            self.expired.add(token)

    def presented_token(self, ex: Exchange) -> str:
        header = ex.headers.get("authorization", "")
        return header.split(" ", 1)[1].strip() if " " in header else ex.form().get("access_token", "")

    def authorize(self, ex: Exchange, kind: str | None = None) -> None:
        """Refuse a missing, expired or revoked token (190/463) and a token of the wrong kind for this endpoint
        (190: e.g. a Page token where a User access token is documented)."""
        token = self.presented_token(ex)
        with self.lock:
            if self._expire_next and token in self.tokens:
                self._expire_next -= 1
                self.expire(token)
            valid = token in self.tokens
            actual = self.kinds.get(token, "user")
        if not valid:
            ex.reply(400, graph_error("Error validating access token: Session has expired.", 190, 463))
            raise Done
        with self.lock:
            self.kinds_seen.append((ex.step, actual))
        if kind is not None and actual != kind:
            message = f"(#190) This endpoint requires a {kind} access token, got a {actual} token"
            ex.reply(400, graph_error(message, 190))
            raise Done

    def exchange_token(self, ex: Exchange) -> None:
        ex.step = "token"
        q = ex.query
        token = q.get("fb_exchange_token", "")
        with self.lock:
            usable = token in self.tokens and self.kinds.get(token, "user") == "user"
        if (
            q.get("grant_type") != "fb_exchange_token"
            or q.get("client_id") != self.app_id
            or q.get("client_secret") != self.app_secret
            or not usable
        ):
            ex.reply(400, graph_error("Invalid OAuth access token.", 190))
            return
        with self.lock:
            self.refreshes += 1
        ex.reply(200, {"access_token": self.new_token(), "token_type": "bearer", "expires_in": 5183944})

    def server_error(self, ex: Exchange, status: int) -> None:
        if status == 503:
            ex.reply(503, graph_error("Service temporarily unavailable", 2, transient=True))
        else:
            ex.reply(500, graph_error("An unknown error occurred", 1, transient=True))

    def throttled(self, ex: Exchange, retry_after: str) -> None:
        ex.reply(429, graph_error("Application request limit reached", 4, transient=True), {"Retry-After": retry_after})
