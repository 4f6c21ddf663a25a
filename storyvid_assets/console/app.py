"""The StoryVid console: one login-protected, server-rendered FastAPI app over the catalog and the media store.

Sections (one module each in ``console/pages``): channels and configuration, runs, spend, uploads and
alerts, analytics, the review queue, users. Roles come from the logged-in user's catalog row: viewers
look, operators also launch runs and decide review items, admins also change configuration, budgets,
policies and users. Every page sends security headers (CSP, frame-ancestors, nosniff, Referrer-Policy)
and ``Cache-Control: no-store``.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from storyvid_assets.catalog.db import migrate
from storyvid_assets.console.core import STATIC, Console, LoginRequired, Refused
from storyvid_assets.console.pages import PAGE_MODULES
from storyvid_assets.resources.storage.media_store import MediaStore

CACHEABLE = ("/static/", "/dagster/_next/static/")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def create_app(
    catalog_url: str,
    media_store: MediaStore,
    *,
    secure_cookies: bool = False,
    dagster_url: str | None = None,
    dagster_ui_url: str | None = None,
) -> FastAPI:
    """The console for the catalog at ``catalog_url`` (migrated on start) and its media store; the runs page
    talks to the Dagster webserver at ``dagster_url`` (GraphQL) and links to ``dagster_ui_url``."""
    migrate(catalog_url)
    console = Console(catalog_url, media_store, secure_cookies=secure_cookies, dagster_url=dagster_url,
                      dagster_ui_url=dagster_ui_url or dagster_url)
    app = FastAPI(title="StoryVid console", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.console = console
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.middleware("http")
    async def security_headers(request: Request, call_next: object) -> Response:
        response: Response = await call_next(request)  # type: ignore[operator]
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith(CACHEABLE):  # the console's own and the Dagster UI's static files
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.exception_handler(LoginRequired)
    def login_required(request: Request, _: LoginRequired) -> Response:
        if request.method == "GET":
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return console.error(None, 401, "Log in first: your session is missing or has expired.")

    @app.exception_handler(Refused)
    def refused(request: Request, exc: Refused) -> HTMLResponse:
        return console.error(console.current(request), exc.status, exc.message)

    @app.get("/")
    def home(request: Request) -> RedirectResponse:
        console.user(request)
        return RedirectResponse("/review", status_code=303)

    for module in PAGE_MODULES:
        module.register(app, console)
    return app


def serve(catalog_url: str, media_store: MediaStore, host: str, port: int, **options: object) -> None:
    """Run the console until interrupted (behind HTTPS, pass ``secure_cookies=True``)."""
    import uvicorn

    uvicorn.run(create_app(catalog_url, media_store, **options), host=host, port=port, log_level="info")  # type: ignore[arg-type]
