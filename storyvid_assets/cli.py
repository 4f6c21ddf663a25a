"""The ``storyvid`` command: make an episode headless, check channel files, manage the catalog.

Feature areas add subcommands through a ``register(subparsers)`` function (see ``SUBCOMMANDS``).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date as date_cls

import dagster as dg

from storyvid_assets.analytics_cli import register as register_analytics
from storyvid_assets.console.cli import add_serve_arguments
from storyvid_assets.console.cli import register as register_console
from storyvid_assets.credentials_cli import register as register_credentials
from storyvid_assets.errors import StoryVidError
from storyvid_assets.moderation.cli import register as register_moderation
from storyvid_assets.review.cli import register as register_review
from storyvid_assets.settings import settings, storyvid_home


def _dagster_instance() -> dg.DagsterInstance:
    """A persistent instance in ``$DAGSTER_HOME`` (default ``<home>/dagster``), so `make dev` shows demo runs."""
    home = (settings().dagster_home or storyvid_home() / "dagster").expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    return dg.DagsterInstance.from_config(str(home))


def cmd_demo(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from storyvid_assets.channels import get_channel
    from storyvid_assets.models import EpisodeThumbnails, EpisodeVideos, Publication
    from storyvid_assets.resources.sets import build_resources
    from storyvid_assets.runner import run_episode

    channel = get_channel(args.channel)
    day = args.date or date_cls.today().isoformat()
    resources = build_resources()
    if args.preset or args.fps:
        from storyvid_assets.resources.renderer import FFmpegRenderer

        resources["renderer"] = FFmpegRenderer(**{k: v for k, v in {"preset": args.preset, "fps": args.fps}.items()
                                                  if v})
    print(f"StoryVid: making the {channel.display_name} episode for {day} in {storyvid_home()}", flush=True)
    bar = tqdm(total=1, unit="step", desc="episode", dynamic_ncols=True)

    def progress(step: str, done: int, total: int) -> None:
        bar.total = max(total, done)
        bar.update(done - bar.n)
        bar.set_postfix_str(step)

    result = run_episode(channel.name, day, resources=resources, instance=_dagster_instance(), progress=progress,
                         raise_on_error=False, log_level="INFO")
    bar.close()
    if not result.success:
        failed = [e for e in result.all_events if e.is_failure]
        for event in failed:
            print(f"FAILED {event.step_key}: {event.message}", file=sys.stderr)
        return 1
    videos = result.output_for_node("videos")
    thumbs = result.output_for_node("thumbnail")
    publication = result.output_for_node("publication")
    assert isinstance(videos, EpisodeVideos) and isinstance(thumbs, EpisodeThumbnails)
    assert isinstance(publication, Publication)
    media = storyvid_home() / "media"
    print("\nDone. Your episode:")
    for video in videos.videos:
        print(f"  video {video.format:>5}  {media / video.video.key}  ({video.width}x{video.height}, "
              f"{video.duration:.1f} s)")
    print(f"  thumbnail    {media / thumbs.thumbnails[0].image.key}")
    print(f"  library      {publication.library_index}")
    print("Open the library page in a browser to watch; `make dev` shows every asset in the Dagster UI.")
    return 0


def cmd_channels(args: argparse.Namespace) -> int:
    from storyvid_assets.channels import load_channels

    for channel in load_channels().values():
        print(f"{channel.name:<12} {channel.audience:<8} {','.join(channel.formats):<14} "
              f"{','.join(channel.platforms):<32} {channel.source_file}")
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from storyvid_assets.catalog.db import migrate
    from storyvid_assets.reliability import secret_value
    from storyvid_assets.resources.sets import catalog_resource

    migrate(secret_value(catalog_resource().url) or "")
    print("catalog is at the newest schema")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="storyvid", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="make one complete episode on the local defaults")
    demo.add_argument("--channel", default="bedtime", help="channel name (a file in channels/)")
    demo.add_argument("--date", help="episode date YYYY-MM-DD (default: today)")
    demo.add_argument("--preset", choices=["draft", "standard", "high"], help="render quality preset")
    demo.add_argument("--fps", type=int, help="frames per second of the videos")
    demo.set_defaults(func=cmd_demo)
    channels = sub.add_parser("channels", help="validate and list the channel files")
    channels.set_defaults(func=cmd_channels)
    db = sub.add_parser("db-upgrade", help="migrate the catalog database to the newest schema")
    db.set_defaults(func=cmd_db_upgrade)
    review_commands = register_review(sub)
    for register in SUBCOMMANDS:
        register(sub)
    add_serve_arguments(review_commands.add_parser("serve", help="the console (alias of `storyvid console serve`)"))
    return parser


SUBCOMMANDS: list = [register_console, register_moderation, register_analytics, register_credentials]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except StoryVidError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
