"""``storyvid analytics ...`` and ``storyvid config ...``: import metrics exports, simulate a channel's history
offline, look at the stored figures, and read, approve, reject or roll back configuration versions.

Like ``storyvid review``, these work on the catalog directly and act as ``cli:<os user>``.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from storyvid_assets.catalog.db import session_scope
from storyvid_assets.channels import get_channel
from storyvid_assets.review.cli import _print_table, _run, catalog_url, cli_actor


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


# --------------------------------------------------------------------------- analytics


def cmd_import(args: argparse.Namespace) -> int:
    from storyvid_assets.analytics.csv_import import read_metrics_csv
    from storyvid_assets.analytics.loop import store_readings
    from storyvid_assets.analytics.models import MetricReading
    from storyvid_assets.catalog.queries.analytics import live_uploads

    channel = get_channel(args.channel)
    imported = read_metrics_csv(Path(args.file), args.platform)
    url = catalog_url()
    with session_scope(url) as session:
        uploads = {(u.platform, u.post_id): u for u in live_uploads(session, channel.name, as_of="9999-12-31")}
        readings, unknown = [], set()
        for row in imported.rows:
            upload = uploads.get((row.platform, row.post_id))
            if upload is None:
                unknown.add(f"{row.platform}:{row.post_id}")
                continue
            readings.append(MetricReading(upload_id=upload.upload_id, day=row.day, kind="daily", source="csv",
                                          values=row.values))
        stored, revisions, _ = store_readings(session, channel.name, readings, _today())
    print(f"{args.file} ({imported.layout}): {stored} daily rows stored for {channel.name}, "
          f"{len(revisions)} replaced existing figures")
    for note in imported.notes:
        print(f"  note: {note}")
    if unknown:
        print(f"  {len(unknown)} post(s) are not uploads of {channel.name} and were skipped: "
              + ", ".join(sorted(unknown)[:10]) + (" ..." if len(unknown) > 10 else ""))
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from storyvid_assets.analytics.audience import load_audience_model
    from storyvid_assets.analytics.simulation import simulate_history

    channel = get_channel(args.channel)
    end = args.end or (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    start = (datetime.fromisoformat(end).date() - timedelta(days=args.days - 1)).isoformat()
    model = load_audience_model(Path(args.audience) if args.audience else None)
    for planted in args.plant or []:
        model = _planted(model, planted)
    print(f"SIMULATED audience: {args.days} days of {channel.display_name} ({start} .. {end}); "
          "every figure made here is labelled simulated")
    bar = tqdm(total=args.days, unit="day", desc="simulating", dynamic_ncols=True)

    def progress(day: str, done: int, total: int) -> None:
        bar.update(done - bar.n)
        bar.set_postfix_str(day)

    report = simulate_history(catalog_url(), channel, start, args.days, model=model, seed=args.seed,
                              auto_apply=True if args.auto_apply else None, progress=progress)
    bar.close()
    versions = sorted({d.config_version for d in report.days})
    print(f"\n{len(report.days)} days: {sum(d.episode == 'simulated' for d in report.days)} simulated episodes, "
          f"configuration versions used: {versions}")
    last = report.recommendations[-1].recommendation if report.recommendations else None
    if last is not None:
        print(f"recommendations on {last.day} ({last.samples} mature episodes, model {last.chosen_model or 'none'}):")
        for uplift in last.uplifts[:5]:
            print(f"  - {uplift.sentence(last.target)}")
        if last.reason:
            print(f"  {last.reason}")
    for result in report.experiments:
        print(f"experiment {result.name}: {result.status} {result.detail}")
    if report.changes:
        print(f"configuration changes: {', '.join(map(str, report.changes))} "
              "(`storyvid config history --channel " + channel.name + "`)")
    print("pending changes wait in `storyvid review list`; the Dagster UI shows the analytics assets (`make dev`)")
    return 0


def _planted(model: Any, text: str) -> Any:
    """``music_mood=calm:completion=0.1`` (or ``views=0.2``) → a model with that planted effect."""
    try:
        target, effect = text.split(":", 1)
        feature, value = target.split("=", 1)
        kind, size = effect.split("=", 1)
        return model.with_effect(feature, value, **{kind: float(size)})
    except (ValueError, TypeError) as exc:
        from storyvid_assets.errors import ConfigError

        raise ConfigError("--plant", text, str(exc), "write FEATURE=VALUE:completion=0.1 or FEATURE=VALUE:views=0.2"
                          ) from None


def cmd_show(args: argparse.Namespace) -> int:
    from storyvid_assets.catalog.queries.analytics import metrics_frame

    channel = get_channel(args.channel)
    since = (datetime.now(UTC).date() - timedelta(days=args.days)).isoformat() if args.days else None
    with session_scope(catalog_url()) as session:
        frame = metrics_frame(session, channel.name, since=since)
    if frame.empty:
        print(f"no metrics stored for {channel.name}; run `storyvid analytics simulate --channel {channel.name}` "
              "or materialize daily_metrics")
        return 0
    daily = frame.groupby(["day", "simulated"], as_index=False)[["views", "likes", "comments", "shares"]].sum()
    daily["simulated"] = daily["simulated"].map({True: "SIMULATED", False: ""})
    print(daily.tail(args.rows).to_string(index=False))
    return 0


# --------------------------------------------------------------------------- config


def cmd_config_show(args: argparse.Namespace) -> int:
    from storyvid_assets.analytics.pinning import current_settings
    from storyvid_assets.analytics.tunables import base_settings
    from storyvid_assets.catalog.queries.configurations import pending_changes

    channel = get_channel(args.channel)
    with session_scope(catalog_url()) as session:
        version, current = current_settings(session, channel)
        pending = pending_changes(session, channel.name)
        base = base_settings(channel)
        rows = [[name, str(value), "channel file" if getattr(base, name) == value else f"version {version}"]
                for name, value in current.model_dump().items() if value is not None]
        waiting = [[str(c.id), c.source, json.dumps({k: v for k, v in c.after.items() if c.before.get(k) != v}),
                    str(c.review_item_id or "")] for c in pending]
    print(f"{channel.name}: active configuration version {version}" + (" (the channel file)" if not version else ""))
    _print_table(rows, ["setting", "value", "from"])
    if waiting:
        print("\nwaiting for review (`storyvid review approve ITEM --note ...`):")
        _print_table(waiting, ["change", "source", "proposes", "review item"])
    return 0


def cmd_config_history(args: argparse.Namespace) -> int:
    from storyvid_assets.catalog.queries.configurations import changes, configurations

    channel = get_channel(args.channel)
    with session_scope(catalog_url()) as session:
        versions = [[str(v.version), "yes" if v.is_active else "", f"{v.created_at:%Y-%m-%d %H:%M}", v.created_by,
                     json.dumps(v.settings)[:80]] for v in configurations(session, channel.name)]
        audit = [[str(c.id), f"{c.created_at:%Y-%m-%d %H:%M}", c.source, c.status,
                  f"{c.from_version}->{c.to_version if c.to_version is not None else ''}",
                  "; ".join(f"{k}: {c.before.get(k)} → {v}" for k, v in c.after.items() if c.before.get(k) != v),
                  c.actor] for c in changes(session, channel.name)]
    if not versions and not audit:
        print(f"{channel.name} has only its channel file (version 0); no change was ever proposed")
        return 0
    print(f"versions of {channel.name} (0 = the channel file):")
    _print_table(versions, ["version", "active", "created", "by", "settings"])
    print("\nchanges (audit):")
    _print_table(audit, ["change", "when", "source", "status", "versions", "before → after", "by"])
    return 0


def cmd_config_rollback(args: argparse.Namespace) -> int:
    from storyvid_assets.analytics.loop import rollback

    channel = get_channel(args.channel)
    with session_scope(catalog_url()) as session:
        version = rollback(session, channel, args.to, actor=cli_actor(), note=args.note or "")
    print(f"{channel.name}: version {version} is active, with the settings of version {args.to}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    analytics = subparsers.add_parser("analytics", help="metrics read back from the platforms, and the loop")
    sub = analytics.add_subparsers(dest="analytics_command", required=True)
    imp = sub.add_parser("import", help="import a metrics CSV (YouTube Studio export or StoryVid layout)")
    imp.add_argument("file")
    imp.add_argument("--channel", required=True)
    imp.add_argument("--platform", help="platform of a YouTube Studio file (default youtube)")
    imp.set_defaults(func=_run(cmd_import))
    sim = sub.add_parser("simulate", help="simulate days of a channel's history with the simulated audience")
    sim.add_argument("--channel", default="bedtime")
    sim.add_argument("--days", type=int, default=60)
    sim.add_argument("--end", help="last simulated day YYYY-MM-DD (default yesterday)")
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--audience", help="an audience model YAML instead of the packaged one")
    sim.add_argument("--plant", action="append", metavar="FEATURE=VALUE:completion=0.1",
                     help="plant an effect in the simulated audience (repeatable)")
    sim.add_argument("--auto-apply", action="store_true",
                     help="apply changes that pass the guard rails without review (as auto_apply: true)")
    sim.set_defaults(func=_run(cmd_simulate))
    show = sub.add_parser("show", help="the channel's stored daily totals")
    show.add_argument("--channel", required=True)
    show.add_argument("--days", type=int, help="only the last N days")
    show.add_argument("--rows", type=int, default=30)
    show.set_defaults(func=_run(cmd_show))

    config = subparsers.add_parser("config", help="a channel's configuration versions (the loop's changes)")
    csub = config.add_subparsers(dest="config_command", required=True)
    cshow = csub.add_parser("show", help="the active configuration and changes waiting for review")
    cshow.add_argument("--channel", required=True)
    cshow.set_defaults(func=_run(cmd_config_show))
    hist = csub.add_parser("history", help="every version and every change with before/after")
    hist.add_argument("--channel", required=True)
    hist.set_defaults(func=_run(cmd_config_history))
    roll = csub.add_parser("rollback", help="make an earlier version's settings active again (0: the file)")
    roll.add_argument("--channel", required=True)
    roll.add_argument("--to", type=int, required=True, metavar="VERSION")
    roll.add_argument("--note", help="why")
    roll.set_defaults(func=_run(cmd_config_rollback))
