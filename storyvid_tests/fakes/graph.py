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
    """Tokens arrive as ``Authorization: OAuth|Bearer``, ``access_token`` query or form field."""

    def __init__(self, app_id: str = "app-1", app_secret: str = "app-secret", now: Any = None) -> None:
        super().__init__(now)
        self.app_id = app_id
        self.app_secret = app_secret
        self.issued: set[str] = set()
        self.route("GET", rf"/{VERSION}/oauth/access_token")(self.exchange_token)

    def new_token(self) -> str:
        token = self.issue_token()
        with self.lock:
            self.issued.add(token)
        return token

    def authorize(self, ex: Exchange) -> None:
        header = ex.headers.get("authorization", "")
        token = header.split(" ", 1)[1].strip() if " " in header else ex.form().get("access_token", "")
        if token not in self.tokens:
            ex.reply(400, graph_error("Error validating access token: Session has expired.", 190, 463))
            raise Done

    def exchange_token(self, ex: Exchange) -> None:
        ex.step = "token"
        q = ex.query
        if (
            q.get("grant_type") != "fb_exchange_token"
            or q.get("client_id") != self.app_id
            or q.get("client_secret") != self.app_secret
            or q.get("fb_exchange_token") not in self.issued
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
