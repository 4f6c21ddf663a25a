"""``storyvid credentials list``: the credential store's rotating platform tokens — name, kind, expiry and last
refresh; never a token (nothing is decrypted, so no key is needed)."""

from __future__ import annotations

import argparse
from datetime import datetime

from storyvid_assets.review.cli import _print_table, _run, catalog_url


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


def cmd_list(args: argparse.Namespace) -> int:
    from storyvid_assets.distribution.credentials import list_credentials

    infos = list_credentials(catalog_url())
    if not infos:
        print("no stored credentials (they are seeded from the environment on first use)")
        return 0
    rows = [
        [i.name, i.kind, str(i.version), _when(i.expires_at), _when(i.refreshed_at), _when(i.updated_at)] for i in infos
    ]
    _print_table(rows, ["name", "kind", "version", "expires", "last refresh", "updated"])
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    credentials = subparsers.add_parser("credentials", help="stored platform credentials (never their secrets)")
    sub = credentials.add_subparsers(dest="credentials_command", required=True)
    listing = sub.add_parser("list", help="each credential's name, expiry and last refresh")
    listing.set_defaults(func=_run(cmd_list))
