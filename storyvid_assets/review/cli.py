"""``storyvid review ...``: list, show, approve and reject review items, manage reviewers, serve the page.

The CLI works on the catalog directly, so whoever runs it has the catalog's credentials: decisions are
recorded as ``cli:<os user>`` with the admin role.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from storyvid_assets.catalog.db import migrate, session_scope
from storyvid_assets.catalog.queries.review import MAX_ID, valid_id
from storyvid_assets.episode import partition_key
from storyvid_assets.errors import StoryVidError
from storyvid_assets.reliability import secret_value
from storyvid_assets.resources.storage.media_store import MediaStore
from storyvid_assets.review import auth
from storyvid_assets.review.queue import STATUSES, ReviewError, decide, get_item, is_configuration_item, list_items
from storyvid_assets.review.views import item_view
from storyvid_assets.settings import REVIEW_PASSWORD_ENV, settings

CLI_ROLE = "admin"


def catalog_url() -> str:
    """The catalog URL of the current environment, with an EnvVar resolved."""
    from storyvid_assets.resources.sets import catalog_resource

    resolved = secret_value(catalog_resource().url)
    if not resolved:
        raise ReviewError("the catalog URL is empty; set STORYVID_CATALOG_URL or STORYVID_HOME")
    migrate(resolved)
    return resolved


def media_store() -> MediaStore:
    from storyvid_assets.resources.sets import build_resources

    return build_resources()["media_store"]


def cli_actor() -> str:
    return f"cli:{getpass.getuser()}"


def item_id(text: str) -> int:
    """An item id argument: a whole number a catalog can hold (argparse reports anything else, no traceback)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an item id; give a whole number such as 12") from None
    if not valid_id(value):
        raise argparse.ArgumentTypeError(f"{text} is not an item id; ids are whole numbers from 1 to {MAX_ID}")
    return value


def _print_table(rows: list[list[str]], header: list[str]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def cmd_list(args: argparse.Namespace) -> int:
    with session_scope(catalog_url()) as session:
        items = list_items(session, status=args.status, channel=args.channel)
        rows = [
            [
                str(i.id),
                str(partition_key(i.channel, i.date)),
                f"{i.asset}/{i.check_name}",
                str(i.attempt),
                i.status,
                i.summary[:70],
            ]
            for i in items
        ]
    if not rows:
        print(f"no {args.status} review items")
        return 0
    _print_table(rows, ["id", "partition", "asset/check", "attempt", "status", "summary"])
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    store = media_store()
    with session_scope(catalog_url()) as session:
        view = item_view(session, store, get_item(session, args.item_id))
        item = view.item
        where = partition_key(item.channel, item.date)
        print(f"item {item.id}: {where} {item.asset}/{item.check_name} attempt {item.attempt}")
        print(
            f"status: {item.status}"
            + (f" ({item.resolution})" if item.resolution else "")
            + f"; rejections so far: {view.rejections}; automatic regenerations: {view.automatic_regenerations}"
            + f"; policy {item.policy_version or 'not recorded'}"
        )
        if view.alert:
            print(f"ALERT: {view.alert}")
        print(f"summary: {item.summary}\n\nfindings:")
        for f in view.findings:
            print(
                f"  [{'BLOCK' if f.get('blocking') else 'note'}] {f.get('category')} ({f.get('level')}): "
                f"{f.get('what')}\n      where: {f.get('where')}\n      why: {f.get('why')}"
            )
        print("\nmedia of this attempt:")
        for m in [*view.images, *view.audio, *view.videos, *view.other]:
            mark = " (evidence)" if m.key in view.evidence_keys else ""
            print(f"  {m.label}{mark}: {_path(store, m.key)}")
        if view.audit:
            print("\nhistory:")
            for a in view.audit:
                print(
                    f"  {a.at:%Y-%m-%d %H:%M:%S} {a.actor}: {a.action} "
                    f"{a.before.get('status', '-')} -> {a.after.get('status', '-')} {a.detail[:80]}"
                )
        others = [e for e in view.episode_history if e.item_id != item.id]
        if others:
            print("\nthe episode's other items (earlier attempts, other checks):")
            for e in others:
                print(f"  {e.at:%Y-%m-%d %H:%M:%S} item {e.item_id} {e.check_name} attempt {e.attempt}: "
                      f"{e.actor}: {e.action} {e.detail[:80]}")
    return 0


def _path(store: MediaStore, key: str) -> str:
    try:
        return str(store.local_path(key))
    except FileNotFoundError:
        return f"{key} (missing)"


def cmd_decide(args: argparse.Namespace) -> int:
    with session_scope(catalog_url()) as session:
        decision = decide(session, args.item_id, args.action, args.note, cli_actor(), CLI_ROLE)
        if is_configuration_item(get_item(session, args.item_id)):
            from storyvid_assets.analytics.loop import settle_configuration_decision

            outcome = settle_configuration_decision(session, decision, cli_actor())
            print(f"item {args.item_id}: {args.action}d by {decision.decided_by}: {outcome.replace('_', ' ')} "
                  "(`storyvid config show` shows the active configuration)")
            return 0
        print(
            f"item {args.item_id}: {decision.status_before} -> {decision.status_after} by {decision.decided_by}; "
            "the review sensor launches the follow-up run"
        )
    return 0


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    password = settings().review_password
    if password is not None:
        return password.get_secret_value()
    if not sys.stdin.isatty():
        raise ReviewError(f"no password: pass --password-stdin or set {REVIEW_PASSWORD_ENV}")
    first, second = getpass.getpass("password: "), getpass.getpass("again: ")
    if first != second:
        raise ReviewError("the passwords differ")
    return first


def cmd_users(args: argparse.Namespace) -> int:
    with session_scope(catalog_url()) as session:
        if args.users_command == "add":
            user = auth.create_user(session, args.username, _password(args), args.role, cli_actor())
            print(f"added {user.username} ({user.role})")
        elif args.users_command == "set-role":
            user = auth.set_role(session, args.username, args.role, cli_actor())
            print(f"{user.username} is now {user.role}")
        elif args.users_command in ("disable", "enable"):
            user = auth.set_active(session, args.username, args.users_command == "enable", cli_actor())
            print(f"{user.username} is {'enabled' if user.active else 'disabled (every session ended)'}")
        elif args.users_command == "reset":
            password = auth.reset_password(session, args.username, cli_actor())
            print(f"temporary password of {args.username}: {password}\n(shown once; it must be changed at the next "
                  "login, and every session of the user has ended)")
        else:
            _print_table([[str(u.id), u.username, u.role, "yes" if u.active else "disabled"]
                          for u in auth.list_users(session)], ["id", "user", "role", "active"])
    return 0


def _run(func: Any) -> Any:
    """Report review errors as ``error: ...`` with exit code 2, like the rest of the CLI."""

    def wrapped(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except StoryVidError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    return wrapped


def register(subparsers: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """``storyvid review ...``; returns its subcommands (``storyvid review serve`` is added by the console)."""
    review = subparsers.add_parser("review", help="the manual-review queue of failed moderation checks")
    sub = review.add_subparsers(dest="review_command", required=True)
    ls = sub.add_parser("list", help="list review items")
    ls.add_argument("--status", default="open", help=f"one of {', '.join(STATUSES)}, or all (default open)")
    ls.add_argument("--channel", help="only this channel")
    ls.set_defaults(func=_run(cmd_list))
    show = sub.add_parser("show", help="an item's findings, media and history")
    show.add_argument("item_id", type=item_id, metavar="ID")
    show.set_defaults(func=_run(cmd_show))
    for action, text in (
        ("approve", "let the partition's downstream assets run"),
        ("reject", "regenerate the failed asset with the next attempt"),
    ):
        parser = sub.add_parser(action, help=text)
        parser.add_argument("item_id", type=item_id, metavar="ID")
        parser.add_argument("--note", help="why (required)")
        parser.set_defaults(func=_run(cmd_decide), action=action)
    users = sub.add_parser("users", help="reviewers who may log in to the page")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    add = users_sub.add_parser(
        "add", help=f"add a reviewer (password from --password-stdin, ${REVIEW_PASSWORD_ENV} or a prompt)"
    )
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=["admin", "operator", "viewer"])
    add.add_argument("--password-stdin", action="store_true")
    add.set_defaults(func=_run(cmd_users))
    set_role = users_sub.add_parser("set-role", help="change a reviewer's role")
    set_role.add_argument("username")
    set_role.add_argument("role", choices=["admin", "operator", "viewer"])
    set_role.set_defaults(func=_run(cmd_users))
    users_list = users_sub.add_parser("list", help="list reviewers")
    users_list.set_defaults(func=_run(cmd_users))
    for command, text in (("disable", "disable a user (their sessions end at once)"), ("enable", "enable a user again"),
                          ("reset", "give a user a temporary password they must change at the next login")):
        parser = users_sub.add_parser(command, help=text)
        parser.add_argument("username")
        parser.set_defaults(func=_run(cmd_users))
    return sub
