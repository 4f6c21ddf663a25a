"""``storyvid console serve``: the console (``storyvid review serve`` is an alias)."""

from __future__ import annotations

import argparse
import sys

from storyvid_assets.review.cli import _run, catalog_url, media_store


def cmd_serve(args: argparse.Namespace) -> int:
    from storyvid_assets.console.app import serve
    from storyvid_assets.console.dagster_link import parse_dagster_url
    from storyvid_assets.settings import settings

    dagster_url = args.dagster_url or settings().dagster_url
    for url in (dagster_url, args.dagster_ui_url):
        if url and not url.startswith("/"):  # a UI address may be a path on the console, e.g. /dagster
            try:
                parse_dagster_url(url)
            except ValueError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
    serve(catalog_url(), media_store(), args.host, args.port, secure_cookies=args.secure_cookies,
          dagster_url=dagster_url, dagster_ui_url=args.dagster_ui_url)
    return 0


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--secure-cookies", action="store_true", help="mark the login cookie Secure (behind HTTPS)")
    parser.add_argument("--dagster-url", default=None,
                        help="the Dagster webserver the runs page talks to, e.g. http://127.0.0.1:3000; one started "
                        "with --path-prefix /dagster (http://127.0.0.1:3000/dagster) is also served behind the "
                        "console's login at /dagster (default: $STORYVID_DAGSTER_URL, else not connected)")
    parser.add_argument("--dagster-ui-url", default=None,
                        help="where browsers reach the Dagster UI, for links to run pages (default: /dagster on the "
                        "console when it serves the UI, else --dagster-url)")
    parser.set_defaults(func=_run(cmd_serve))


def register(subparsers: argparse._SubParsersAction) -> None:
    console = subparsers.add_parser("console", help="the web console: channels, runs, spend, uploads, review")
    sub = console.add_subparsers(dest="console_command", required=True)
    add_serve_arguments(sub.add_parser("serve", help="serve the console (login required)"))
