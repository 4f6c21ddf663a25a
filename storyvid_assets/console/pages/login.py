"""Logging in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response

from storyvid_assets.console.core import COOKIE, Console
from storyvid_assets.review import auth


def safe_next(target: str) -> str:
    """Only a path on this site (never ``//host`` or a URL) may follow a login."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def register(app: FastAPI, console: Console) -> None:
    @app.get("/login")
    def login_form(request: Request) -> Response:
        return console.page("login.html", who=None, error=None, next=safe_next(request.query_params.get("next", "/")))

    @app.post("/login")
    def login(
        username: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/"
    ) -> Response:
        with console.db() as session:
            user = auth.authenticate(session, username.strip(), password)
            if user is None:
                return console.page("login.html", 401, who=None, error="Wrong user name or password.",
                                    next=safe_next(next))
            token, _ = auth.start_session(session, user)
        response = RedirectResponse(safe_next(next), status_code=303)
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=console.secure_cookies,
                            max_age=auth.SESSION_HOURS * 3600, path="/")
        return response

    @app.post("/logout")
    def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
        who = console.current(request)
        if who is not None:
            console.check_csrf(who, csrf_token)
        with console.db() as session:
            auth.end_session(session, request.cookies.get(COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response
