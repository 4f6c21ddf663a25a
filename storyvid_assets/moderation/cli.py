"""``storyvid moderation ...``: the policy version each channel is judged under, and which episodes were
judged under another one (after a word list, threshold, preset or region changed).

- ``storyvid moderation policy [--channel NAME]``: the current version and what it is made of;
- ``storyvid moderation judged [--channel NAME] [--stale | --version V]``: per episode and check, the version
  that judged its newest attempt; ``--stale`` keeps those judged under a version that is no longer current.
"""

from __future__ import annotations

import argparse
import json

from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.queries.review import latest_judgements
from storyvid_assets.channels import get_channel, load_channels
from storyvid_assets.episode import partition_key
from storyvid_assets.moderation.version import channel_policy_version
from storyvid_assets.review.cli import _print_table, _run, catalog_url


def cmd_policy(args: argparse.Namespace) -> int:
    names = [args.channel] if args.channel else sorted(load_channels())
    for name in names:
        version = channel_policy_version(get_channel(name))
        print(f"{name}: policy {version.version} ({version.preset} preset)")
        if args.verbose:
            print(json.dumps(version.model_dump(mode="json"), indent=2))
    return 0


def cmd_judged(args: argparse.Namespace) -> int:
    current: dict[str, str] = {}
    with session_scope(catalog_url()) as session:
        rows = []
        for j in latest_judgements(session, args.channel):
            if j.channel not in current:
                channels = load_channels()
                current[j.channel] = (
                    channel_policy_version(channels[j.channel]).version if j.channel in channels else "(no channel)"
                )
            if args.stale and j.policy_version == current[j.channel]:
                continue
            if args.version and j.policy_version != args.version:
                continue
            rows.append([
                str(partition_key(j.channel, j.date)), j.check_name, str(j.attempt), j.policy_version,
                "yes" if j.policy_version == current[j.channel] else f"no (now {current[j.channel]})",
                "passed" if j.passed else "failed", f"{j.judged_at:%Y-%m-%d %H:%M}",
            ])
    if not rows:
        print("no episodes match" + (" (every judgement used the current policy)" if args.stale else ""))
        return 0
    _print_table(rows, ["episode", "check", "attempt", "policy", "current", "verdict", "judged (UTC)"])
    episodes = {r[0] for r in rows}
    print(f"{len(episodes)} episode(s), {len(rows)} check result(s)")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    moderation = subparsers.add_parser("moderation", help="policy versions and the episodes they judged")
    sub = moderation.add_subparsers(dest="moderation_command", required=True)
    policy = sub.add_parser("policy", help="each channel's current policy version")
    policy.add_argument("--channel", help="only this channel")
    policy.add_argument("--verbose", "-v", action="store_true", help="print what the version is made of")
    policy.set_defaults(func=_run(cmd_policy))
    judged = sub.add_parser("judged", help="which policy version judged each episode's checks")
    judged.add_argument("--channel", help="only this channel")
    which = judged.add_mutually_exclusive_group()
    which.add_argument("--stale", action="store_true", help="only episodes judged under a policy no longer current")
    which.add_argument("--version", help="only episodes judged under this version")
    judged.set_defaults(func=_run(cmd_judged))
