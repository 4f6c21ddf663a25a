"""The review queue: failed moderation checks, their evidence, and people's decisions (operators and admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from storyvid_assets.catalog.queries.media import media_by_id
from storyvid_assets.catalog.queries.review import valid_id
from storyvid_assets.console.core import Console, Refused
from storyvid_assets.review import auth
from storyvid_assets.review.queue import STATUSES, ReviewError, allowed_actions, decide, get_item, list_items
from storyvid_assets.review.views import item_view

SECTION = "/review"


def register(app: FastAPI, console: Console) -> None:
    @app.get("/review")
    def queue(request: Request, status: str = "open") -> Response:
        who = console.user(request)
        try:
            with console.db() as session:
                rows = [
                    {"id": i.id, "partition": f"{i.channel}|{i.date}", "asset": i.asset, "check": i.check_name,
                     "attempt": i.attempt, "status": i.status, "summary": i.summary, "updated": i.updated_at}
                    for i in list_items(session, status=status)
                ]
        except ReviewError as exc:
            raise Refused(exc.status, str(exc)) from None
        return console.page("review.html", who=who, section=SECTION, items=rows, shown=status,
                            statuses=[*STATUSES, "all"])

    def show(who: auth.LoggedIn, item_id: int, status: int = 200, error: str | None = None, note: str = "",
             done: str | None = None) -> HTMLResponse:
        try:
            with console.db() as session:
                view = item_view(session, console.media_store, get_item(session, item_id))
                return console.page("item.html", status, who=who, section=SECTION, view=view, item=view.item,
                                    actions=allowed_actions(view.item, who.user.role), error=error, note=note,
                                    done=done)
        except ReviewError as exc:
            raise Refused(exc.status, str(exc)) from None

    @app.get("/items/{item_id}")
    def item_page(request: Request, item_id: int) -> Response:
        done = request.query_params.get("done")  # only the fixed words below are shown, never the URL's text
        return show(console.user(request), item_id, done=done if done in ("approve", "reject") else None)

    @app.post("/items/{item_id}/decision")
    def decision(
        request: Request,
        item_id: int,
        action: Annotated[str, Form()] = "",
        note: Annotated[str, Form()] = "",
        csrf_token: Annotated[str, Form()] = "",
    ) -> Response:
        who = console.user(request)
        try:
            console.check_csrf(who, csrf_token)
        except Refused as exc:
            return show(who, item_id, exc.status, exc.message, note)
        try:
            with console.db() as session:
                decide(session, item_id, action, note, who.user.username, who.user.role)
        except ReviewError as exc:
            return show(who, item_id, exc.status, str(exc), note)
        return RedirectResponse(f"/items/{item_id}?done={action}", status_code=303)

    @app.get("/media/{media_id}")
    def media(request: Request, media_id: int) -> Response:
        console.user(request)
        if not valid_id(media_id):
            raise Refused(404, f"there is no media file {media_id}")
        with console.db() as session:
            row = media_by_id(session, media_id)
            if row is None or not console.media_store.exists(row.key):
                raise Refused(404, f"there is no media file {media_id}")
            key, content_type = row.key, row.content_type
        return FileResponse(console.media_store.local_path(key), media_type=content_type)
