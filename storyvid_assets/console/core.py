"""What every console page shares: the catalog session, templates, the logged-in user, roles, CSRF, errors.

A page module registers its routes with ``register(app, console)`` and uses :class:`Console`:
``console.user(request, "operator")`` returns the logged-in user or raises :class:`LoginRequired` /
:class:`Refused`, which the app turns into a redirect to the login page or an error page with the status;
``console.check_csrf(who, token)`` refuses a form the console did not send; ``console.page(...)`` renders a
template with the navigation and the user.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.queries.console import add_console_audit
from storyvid_assets.resources.storage.media_store import MediaStore
from storyvid_assets.review import auth
from storyvid_assets.review.queue import ROLES

COOKIE = "storyvid_console"
TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
ROLE_RANK = {role: rank for rank, role in enumerate(reversed(ROLES))}  # viewer 0, operator 1, admin 2
# (path, label) of each section, in the navigation's order
NAV: list[tuple[str, str]] = [
    ("/channels", "Channels"),
    ("/runs", "Runs"),
    ("/spend", "Spend"),
    ("/uploads", "Uploads & alerts"),
    ("/analytics", "Analytics"),
    ("/review", "Review"),
    ("/users", "Users"),
]


class LoginRequired(Exception):
    """No valid session: GET pages redirect to the login page, anything else is a 401."""


class Refused(Exception):
    """The request cannot be carried out; nothing was changed. Rendered as an error page with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def templates_env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))
    env.filters["ts"] = lambda value: value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""
    return env


@dataclass
class Console:
    """The console's shared state; one per app."""

    catalog_url: str
    media_store: MediaStore
    secure_cookies: bool = False
    dagster_url: str | None = None  # the Dagster webserver (GraphQL) the runs page talks to
    dagster_ui_url: str | None = None  # where browsers reach the Dagster UI (links to run pages)
    templates: Environment = field(default_factory=templates_env)

    @contextmanager
    def db(self) -> Iterator[Session]:
        with session_scope(self.catalog_url) as session:
            yield session

    def current(self, request: Request) -> auth.LoggedIn | None:
        with self.db() as session:
            return auth.session_user(session, request.cookies.get(COOKIE))

    def user(self, request: Request, role: str = "viewer") -> auth.LoggedIn:
        """The logged-in user, who must have at least ``role`` (viewer < operator < admin)."""
        who = self.current(request)
        if who is None:
            raise LoginRequired()
        if ROLE_RANK.get(who.user.role, -1) < ROLE_RANK[role]:
            raise Refused(403, f"{who.user.username} is a {who.user.role}; this needs the {role} role "
                               "(ask an admin to change your role)")
        return who

    def check_csrf(self, who: auth.LoggedIn, token: str) -> None:
        """Refuse a form that does not carry the session's CSRF token."""
        if not hmac.compare_digest(token.encode(), who.csrf_token.encode()):
            raise Refused(403, "This form is out of date or was not sent by the console; reload the page and try "
                               "again.")

    def page(self, name: str, status: int = 200, *, who: auth.LoggedIn | None, section: str | None = None,
             **values: Any) -> HTMLResponse:
        """Render ``name`` with the navigation (what ``who`` may see) and the current section highlighted."""
        nav = [(path, label) for path, label in NAV if path != "/users" or who is not None]
        html = self.templates.get_template(name).render(who=who, nav=nav, section=section, **values)
        return HTMLResponse(html, status_code=status)

    def error(self, who: auth.LoggedIn | None, status: int, message: str) -> HTMLResponse:
        return self.page("error.html", status, who=who, message=message, status_code=status)

    @staticmethod
    def audit(session: Session, request: Request | None, actor: str, action: str, target: str,
              before: dict[str, Any] | None = None, after: dict[str, Any] | None = None, detail: str = "") -> None:
        """Record an action in the console's audit trail (never a secret: callers pass what is safe to show)."""
        add_console_audit(session, at=datetime.now(UTC), actor=actor, action=action, target=target,
                          before=before or {}, after=after or {}, detail=detail,
                          client=request.client.host if request is not None and request.client else None)
