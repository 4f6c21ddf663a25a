"""The review page: a small server-rendered FastAPI app over the catalog and the media store.

Login is required for every page. Roles come from the ``review_users`` row of the session's user:
admins and operators decide, viewers only look. Decisions are POST forms carrying the session's CSRF token;
anything wrong (unknown item, deciding twice, missing note, a viewer or forged request) gets an error page
with the right status code and changes nothing.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from storyvid_assets.catalog.db import migrate, session_scope
from storyvid_assets.catalog.queries.media import media_by_id
from storyvid_assets.resources.storage.media_store import MediaStore
from storyvid_assets.review import auth
from storyvid_assets.review.queue import STATUSES, ReviewError, allowed_actions, decide, get_item, list_items
from storyvid_assets.review.views import item_view

COOKIE = "storyvid_review"
TEMPLATES = Path(__file__).resolve().parent / "templates"


def _templates() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))
    env.filters["ts"] = lambda value: value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""
    return env


def create_app(catalog_url: str, media_store: MediaStore, *, secure_cookies: bool = False) -> FastAPI:
    """The review app for the catalog at ``catalog_url`` (migrated on start) and its media store."""
    migrate(catalog_url)
    app = FastAPI(title="StoryVid review", docs_url=None, redoc_url=None, openapi_url=None)
    env = _templates()

    @contextmanager
    def db() -> Iterator[Session]:
        with session_scope(catalog_url) as session:
            yield session

    def page(name: str, http_status: int = 200, **values: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**values), status_code=http_status)

    def current(request: Request) -> auth.LoggedIn | None:
        with db() as session:
            return auth.session_user(session, request.cookies.get(COOKIE))

    def error_page(who: auth.LoggedIn | None, status: int, message: str) -> HTMLResponse:
        return page("error.html", status, who=who, message=message, status_code=status)

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request) -> Response:
        return page("login.html", who=None, error=None, next=request.query_params.get("next", "/"))

    @app.post("/login")
    def login(
        username: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/"
    ) -> Response:
        with db() as session:
            user = auth.authenticate(session, username.strip(), password)
            if user is None:
                return page("login.html", 401, who=None, error="Wrong user name or password.", next=next)
            token, _ = auth.start_session(session, user)
        target = next if next.startswith("/") and not next.startswith("//") else "/"
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=secure_cookies,
            max_age=auth.SESSION_HOURS * 3600,
            path="/",
        )
        return response

    @app.post("/logout")
    def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
        who = current(request)
        if who is not None and not hmac.compare_digest(csrf_token.encode(), who.csrf_token.encode()):
            return error_page(who, 403, "This form was not sent by the review page; use the Log out button.")
        with db() as session:
            auth.end_session(session, request.cookies.get(COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    def login_redirect(request: Request) -> RedirectResponse:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request, status: str = "open") -> Response:
        who = current(request)
        if who is None:
            return login_redirect(request)
        try:
            with db() as session:
                items = list_items(session, status=status)
                rows = [
                    {
                        "id": i.id,
                        "partition": f"{i.channel}|{i.date}",
                        "asset": i.asset,
                        "check": i.check_name,
                        "attempt": i.attempt,
                        "status": i.status,
                        "summary": i.summary,
                        "updated": i.updated_at,
                    }
                    for i in items
                ]
        except ReviewError as exc:
            return error_page(who, exc.status, str(exc))
        return page("items.html", who=who, items=rows, status=status, statuses=[*STATUSES, "all"])

    def show(
        who: auth.LoggedIn,
        item_id: int,
        status: int = 200,
        error: str | None = None,
        note: str = "",
        done: str | None = None,
    ) -> HTMLResponse:
        try:
            with db() as session:
                view = item_view(session, media_store, get_item(session, item_id))
                actions = allowed_actions(view.item, who.user.role)
                return page(
                    "item.html",
                    status,
                    who=who,
                    view=view,
                    item=view.item,
                    actions=actions,
                    error=error,
                    note=note,
                    done=done,
                )
        except ReviewError as exc:
            return error_page(who, exc.status, str(exc))

    @app.get("/items/{item_id}", response_class=HTMLResponse)
    def item_page(request: Request, item_id: int) -> Response:
        who = current(request)
        if who is None:
            return login_redirect(request)
        return show(who, item_id, done=request.query_params.get("done"))

    @app.post("/items/{item_id}/decision", response_class=HTMLResponse)
    def decision(
        request: Request,
        item_id: int,
        action: Annotated[str, Form()] = "",
        note: Annotated[str, Form()] = "",
        csrf_token: Annotated[str, Form()] = "",
    ) -> Response:
        who = current(request)
        if who is None:
            return error_page(None, 401, "Log in first: your session is missing or has expired.")
        if not hmac.compare_digest(csrf_token.encode(), who.csrf_token.encode()):
            return show(
                who,
                item_id,
                403,
                "This form is out of date or was not sent by the review page; reload the page and try again.",
                note,
            )
        try:
            with db() as session:
                decide(session, item_id, action, note, who.user.username, who.user.role)
        except ReviewError as exc:
            return show(who, item_id, exc.status, str(exc), note)
        return RedirectResponse(f"/items/{item_id}?done={action}", status_code=303)

    @app.get("/media/{media_id}")
    def media(request: Request, media_id: int) -> Response:
        who = current(request)
        if who is None:
            return error_page(None, 401, "Log in first.")
        with db() as session:
            row = media_by_id(session, media_id)
            if row is None or not media_store.exists(row.key):
                return error_page(who, 404, f"there is no media file {media_id}")
            key, content_type = row.key, row.content_type
        return FileResponse(media_store.local_path(key), media_type=content_type)

    return app


def serve(catalog_url: str, media_store: MediaStore, host: str, port: int, *, secure_cookies: bool = False) -> None:
    """Run the review page until interrupted (behind HTTPS, pass ``secure_cookies=True``)."""
    import uvicorn

    uvicorn.run(
        create_app(catalog_url, media_store, secure_cookies=secure_cookies), host=host, port=port, log_level="info"
    )
