"""Logging in and out, with login CSRF protection, rate limits with lockout, and the forced password change.

- The login form carries a token that must equal a pre-session cookie (double submit), and a POST whose
  ``Origin`` (or, without one, ``Referer``) names another site is refused: no cross-site page can log a
  browser in as someone else.
- Attempts are limited per user name and per address (:class:`auth.LoginThrottle`, in Redis when
  ``STORYVID_REDIS_URL`` is set); once a limit is used up the answer is 429 with ``Retry-After``, even for the
  right password. Failed logins and lockouts are audited (the submitted user name, never the password).
- After an admin's password reset, the right temporary password leads to a form for a new one; only then
  does a session start.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from storyvid_assets.console.core import COOKIE, Console, Refused
from storyvid_assets.review import auth
from storyvid_assets.review.queue import ReviewError
from storyvid_assets.settings import settings

LOGIN_CSRF_COOKIE = "storyvid_login_csrf"
WRONG = "Wrong user name or password."


def safe_next(target: str) -> str:
    """Only a path on this site (never ``//host`` or a URL) may follow a login."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def check_same_site(request: Request) -> None:
    """Refuse a POST whose Origin (or Referer, when there is no Origin) is not this site."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None:
        return
    if urlsplit(source).netloc.lower() != (request.headers.get("host") or "").lower():
        raise Refused(403, "This login form was sent from another site; open the console's own login page and log "
                           "in there.")


def check_login_csrf(request: Request, token: str) -> None:
    """The form's token must equal the pre-session cookie that the login page set (double submit)."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not token or not hmac.compare_digest(cookie.encode(), token.encode()):
        raise Refused(403, "This login form is out of date or was not sent by the console; reload the login page "
                           "and try again.")


def throttle_of(app: FastAPI) -> auth.LoginThrottle:
    """The app's login limits (tests may replace ``app.state.login_throttle`` with shorter windows)."""
    return app.state.login_throttle  # type: ignore[no-any-return]


def register(app: FastAPI, console: Console) -> None:
    redis = settings().redis_url
    app.state.login_throttle = auth.LoginThrottle(storage_url=redis.get_secret_value() if redis else None)

    def form(request: Request, status: int = 200, *, error: str | None = None, next: str = "/",
             change_for: str | None = None) -> HTMLResponse:
        token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
        response = console.page("login.html", status, who=None, error=error, next=safe_next(next),
                                login_csrf=token, change_for=change_for, min_chars=auth.MIN_PASSWORD_CHARS)
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                            secure=console.secure_cookies, max_age=3600, path="/login")
        # under the console's no-referrer policy a browser sends "Origin: null" with the form; same-origin lets
        # it send the real origin to this site (and still nothing to any other)
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    def admitted(request: Request, username: str, csrf_token: str, next: str) -> HTMLResponse | None:
        """Check the form's origin and token, and count the attempt; a response when it is refused."""
        check_same_site(request)
        check_login_csrf(request, csrf_token)
        client = request.client.host if request.client else "unknown"
        verdict = throttle_of(app).attempt(username, client)
        if verdict.allowed:
            return None
        if verdict.locked_now:
            with console.db() as session:
                auth.audit_login(session, username, "login_locked",
                                 f"too many login attempts; locked for {verdict.retry_after} s", client)
        response = form(request, 429, next=next, error=f"Too many login attempts for this user name or from this "
                                                     f"address; try again in {verdict.retry_after} seconds.")
        response.headers["Retry-After"] = str(verdict.retry_after)
        return response

    def logged_in(request: Request, user: auth.Reviewer, next: str) -> RedirectResponse:
        with console.db() as session:
            token, _ = auth.start_session(session, user)
            auth.audit_login(session, user.username, "logged_in", client=request.client.host if request.client
                             else None)
        response = RedirectResponse(safe_next(next), status_code=303)
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=console.secure_cookies,
                            max_age=auth.SESSION_HOURS * 3600, path="/")
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
        return response

    def failed(request: Request, username: str, next: str) -> HTMLResponse:
        with console.db() as session:
            auth.audit_login(session, username, "login_failed", "wrong user name or password",
                             request.client.host if request.client else None)
        return form(request, 401, error=WRONG, next=next)

    def checked(request: Request, username: str, password: str, csrf_token: str, next: str
                ) -> auth.Reviewer | Response:
        """The user behind a login form that passed the CSRF, origin and rate checks, or the refusal."""
        refused = admitted(request, username, csrf_token, next)
        if refused is not None:
            return refused
        with console.db() as session:
            user = auth.authenticate(session, username, password)
        if user is None:
            return failed(request, username, next)
        throttle_of(app).succeeded(username)
        return user

    @app.get("/login")
    def login_form(request: Request) -> Response:
        return form(request, next=request.query_params.get("next", "/"))

    @app.post("/login")
    def login(
        request: Request,
        username: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "/",
        csrf_token: Annotated[str, Form()] = "",
    ) -> Response:
        user = checked(request, username.strip(), password, csrf_token, next)
        if isinstance(user, Response):
            return user
        if user.must_change_password:
            return form(request, next=next, change_for=user.username,
                        error="An admin reset your password: choose a new one to log in.")
        return logged_in(request, user, next)

    @app.post("/login/new-password")
    def new_password(
        request: Request,
        username: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        new_password: Annotated[str, Form()] = "",
        new_password_again: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "/",
        csrf_token: Annotated[str, Form()] = "",
    ) -> Response:
        user = checked(request, username.strip(), password, csrf_token, next)
        if isinstance(user, Response):
            return user
        try:
            with console.db() as session:
                auth.change_password(session, user.username, password, new_password, new_password_again,
                                     client=request.client.host if request.client else None)
        except ReviewError as exc:
            return form(request, exc.status, next=next, change_for=user.username, error=str(exc))
        return logged_in(request, user, next)

    @app.post("/logout")
    def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
        """End this browser's session only (the users page ends all of them)."""
        who = console.current(request)
        if who is not None:
            console.check_csrf(who, csrf_token)
        with console.db() as session:
            auth.end_session(session, request.cookies.get(COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response
