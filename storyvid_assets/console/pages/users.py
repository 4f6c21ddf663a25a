"""Users: admins add users, change roles, disable and enable them, reset passwords and end sessions; everyone
changes their own password and can log out everywhere. Every change is in the console's audit trail."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from storyvid_assets.catalog.queries.console import console_audit
from storyvid_assets.console.core import COOKIE, Console, Refused
from storyvid_assets.review import auth
from storyvid_assets.review.queue import ROLES, ReviewError

SECTION = "/users"
ADMIN_ACTIONS = ("role", "disable", "enable", "reset", "end-sessions")


def register(app: FastAPI, console: Console) -> None:
    def show(who: auth.LoggedIn, status: int = 200, *, error: str | None = None, notice: str | None = None,
             temporary: tuple[str, str] | None = None) -> HTMLResponse:
        """The page: everyone's own account; for admins also every user and the recent user changes."""
        values: dict[str, Any] = {"users": [], "audit": []}
        if who.user.role == "admin":
            with console.db() as session:
                counts = auth.session_counts(session)
                values["users"] = [{"user": u, "sessions": counts.get(u.id, 0)} for u in auth.list_users(session)]
                values["audit"] = [row for row in console_audit(session, limit=200)
                                   if row.target.startswith("user ")][:20]
        return console.page("users.html", status, who=who, section=SECTION, roles=ROLES, error=error,
                            notice=notice, temporary=temporary, **values)

    def client(request: Request) -> str | None:
        return request.client.host if request.client else None

    @app.get("/users")
    def users(request: Request) -> Response:
        return show(console.user(request))

    @app.post("/users")
    def add_user(
        request: Request,
        username: Annotated[str, Form()] = "",
        role: Annotated[str, Form()] = "",
        csrf_token: Annotated[str, Form()] = "",
    ) -> Response:
        who = console.user(request, "admin")
        console.check_csrf(who, csrf_token)
        password = auth.temporary_password()
        try:
            with console.db() as session:
                auth.create_user(session, username.strip(), password, role, who.user.username,
                                 must_change_password=True, client=client(request))
        except ReviewError as exc:
            return show(who, exc.status, error=str(exc))
        return show(who, notice=f"Added {username.strip()} ({role}).", temporary=(username.strip(), password))

    @app.post("/users/{username}/{action}")
    def change_user(
        request: Request,
        username: str,
        action: str,
        role: Annotated[str, Form()] = "",
        csrf_token: Annotated[str, Form()] = "",
    ) -> Response:
        who = console.user(request, "admin")
        console.check_csrf(who, csrf_token)
        if action not in ADMIN_ACTIONS:
            raise Refused(404, f"there is no user action {action!r}; use one of {', '.join(ADMIN_ACTIONS)}")
        actor, where = who.user.username, client(request)
        temporary = None
        try:
            with console.db() as session:
                if action == "role":
                    auth.set_role(session, username, role, actor, client=where)
                    notice = f"{username} is now {role}."
                elif action in ("disable", "enable"):
                    auth.set_active(session, username, action == "enable", actor, client=where)
                    notice = f"{username} is {action}d" + (" and every session of theirs has ended." if
                                                          action == "disable" else ".")
                elif action == "reset":
                    temporary = (username, auth.reset_password(session, username, actor, client=where))
                    notice = f"{username}'s password was reset; every session of theirs has ended."
                else:
                    ended = auth.end_all_sessions(session, username, actor, client=where)
                    notice = f"Ended {ended} session(s) of {username}."
        except ReviewError as exc:
            return show(who, exc.status, error=str(exc))
        if username == actor and action in ("disable", "reset", "end-sessions"):
            return RedirectResponse("/login", status_code=303)  # this browser's session has just ended too
        return show(who, notice=notice, temporary=temporary)

    @app.post("/account/password")
    def own_password(
        request: Request,
        current_password: Annotated[str, Form()] = "",
        new_password: Annotated[str, Form()] = "",
        new_password_again: Annotated[str, Form()] = "",
        csrf_token: Annotated[str, Form()] = "",
    ) -> Response:
        who = console.user(request)
        console.check_csrf(who, csrf_token)
        try:
            with console.db() as session:
                auth.change_password(session, who.user.username, current_password, new_password, new_password_again,
                                     keep_token=request.cookies.get(COOKIE), client=client(request))
        except ReviewError as exc:
            return show(who, exc.status, error=str(exc))
        return show(who, notice="Your password was changed; your other sessions have ended.")

    @app.post("/account/logout-everywhere")
    def logout_everywhere(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
        who = console.user(request)
        console.check_csrf(who, csrf_token)
        with console.db() as session:
            auth.end_all_sessions(session, who.user.username, who.user.username, client=client(request))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response
