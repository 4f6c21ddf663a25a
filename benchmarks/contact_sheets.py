"""Illustration benchmark (``make bench-illustrations``): contact sheets, scene distinctness and image time.

For each shipped channel, stories come from the local writer (dates from 2026-03-01, attempt 1) and every scene is
painted by the local illustrator exactly as the ``scene_images`` asset paints it (seed = episode seed + scene index):

- a contact sheet, every scene of the first three episodes tiled one episode per row, written to
  ``benchmarks/results/contact_sheets/<channel>_<label>.png``;
- scene distinctness over ``--episodes`` episodes at ``--size`` px: per episode the median pairwise 64-bit dHash
  distance and colour-histogram distance between its scenes (``storyvid_assets.imaging.distinctness``), then the
  median over episodes;
- the image time per scene at the real size (``SCENE_IMAGE_SIZE``) over ``--timing-scenes`` scenes.

The numbers go under ``--label`` (before|after) in ``benchmarks/results/illustrations.json``; other labels there
are kept, so one file holds the before/after comparison.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from storyvid_assets.assets.images import SCENE_IMAGE_SIZE
from storyvid_assets.channels import ChannelConfig
from storyvid_assets.episode import Episode
from storyvid_assets.imaging.distinctness import distinctness
from storyvid_assets.models import ImageStyle, Story
from storyvid_assets.resources.images import ProceduralImages
from storyvid_assets.story.writer import generate_story

# Run as a script: the story request helpers live in the test package, which is not installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from storyvid_tests.story.helpers import dates, request_for, shipped_channels

RESULTS = Path(__file__).resolve().parent / "results"
FIRST_DATE = "2026-03-01"
SHEET_EPISODES = 3
LABEL_BAR = 18  # px of text above each episode's row


def scene_pngs(channel: ChannelConfig, day: str, size: int) -> tuple[Story, list[bytes]]:
    """The story of ``channel`` on ``day`` and its scene pictures, drawn as the scene_images asset draws them."""
    story = generate_story(request_for(channel, day))
    seed = Episode(channel=channel, date=day, attempt=1).seed
    provider = ProceduralImages()
    pngs = []
    for scene in story.scenes:
        style = ImageStyle(mood=scene.mood, genre=story.genre, seed=seed + scene.index)
        pngs.append(provider.generate(scene.image_prompt, style, size, size).png)
    return story, pngs


def contact_sheet(rows: list[tuple[str, list[bytes]]], tile: int) -> Image.Image:
    """Every scene of each row side by side, a caption bar above each row."""
    columns = max(len(pngs) for _, pngs in rows)
    sheet = Image.new("RGB", (columns * (tile + 4) + 4, len(rows) * (tile + LABEL_BAR + 4) + 4), (24, 24, 28))
    draw = ImageDraw.Draw(sheet)
    for r, (caption, pngs) in enumerate(rows):
        y = 4 + r * (tile + LABEL_BAR + 4)
        draw.text((6, y + 3), caption, fill=(230, 230, 230))
        for c, png in enumerate(pngs):
            with Image.open(io.BytesIO(png)) as im:
                sheet.paste(
                    im.convert("RGB").resize((tile, tile), Image.Resampling.LANCZOS),
                    (4 + c * (tile + 4), y + LABEL_BAR),
                )
    return sheet


def channel_numbers(channel: ChannelConfig, episodes: int, size: int, tile: int, label: str) -> dict[str, Any]:
    per_episode = []
    rows: list[tuple[str, list[bytes]]] = []
    for k, day in enumerate(dates(FIRST_DATE, episodes)):
        story, pngs = scene_pngs(channel, day, size)
        per_episode.append(distinctness(pngs))
        if k < SHEET_EPISODES:
            rows.append((f"{day}  {story.title}", pngs))
    sheets = RESULTS / "contact_sheets"
    sheets.mkdir(parents=True, exist_ok=True)
    contact_sheet(rows, tile).save(sheets / f"{channel.name}_{label}.png", optimize=True)
    bits = [d.median_dhash_bits for d in per_episode]
    hist = [d.median_histogram_distance for d in per_episode]
    return {
        "episodes": episodes,
        "median_dhash_bits": statistics.median(bits),
        "p10_episode_dhash_bits": round(statistics.quantiles(bits, n=10)[0], 2) if len(bits) > 1 else bits[0],
        "min_pair_dhash_bits": min(d.min_dhash_bits for d in per_episode),
        "median_histogram_distance": round(statistics.median(hist), 4),
    }


def image_seconds(channel: ChannelConfig, scenes: int, size: int) -> list[float]:
    """Seconds per scene picture at ``size`` for the first ``scenes`` scenes of the channel's episodes."""
    provider = ProceduralImages()
    times: list[float] = []
    for day in dates(FIRST_DATE, scenes):
        story = generate_story(request_for(channel, day))
        seed = Episode(channel=channel, date=day, attempt=1).seed
        scene = story.scenes[len(times) % len(story.scenes)]
        style = ImageStyle(mood=scene.mood, genre=story.genre, seed=seed + scene.index)
        start = time.perf_counter()
        provider.generate(scene.image_prompt, style, size, size)
        times.append(time.perf_counter() - start)
        if len(times) >= scenes:
            break
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--label", choices=["before", "after"], default="after")
    parser.add_argument("--episodes", type=int, default=100, help="episodes per channel for distinctness")
    parser.add_argument("--size", type=int, default=256, help="picture side for the distinctness measure")
    parser.add_argument("--tile", type=int, default=192, help="contact sheet tile side")
    parser.add_argument("--timing-scenes", type=int, default=8, help="scenes timed at the real size per channel")
    args = parser.parse_args()
    report: dict[str, Any] = {"size": args.size, "timing_size": SCENE_IMAGE_SIZE, "channels": {}}
    all_times: list[float] = []
    for channel in shipped_channels():
        numbers = channel_numbers(channel, args.episodes, args.size, args.tile, args.label)
        times = image_seconds(channel, args.timing_scenes, SCENE_IMAGE_SIZE)
        all_times += times
        numbers["median_image_seconds"] = round(statistics.median(times), 3)
        report["channels"][channel.name] = numbers
        print(channel.name, numbers, flush=True)
    report["median_image_seconds"] = round(statistics.median(all_times), 3)
    out = RESULTS / "illustrations.json"
    existing = json.loads(out.read_text()) if out.exists() else {}
    existing[args.label] = report
    if "before" in existing and "after" in existing:
        existing["histogram_distance_ratio"] = {
            name: round(
                a["median_histogram_distance"]
                / max(1e-9, existing["before"]["channels"][name]["median_histogram_distance"]),
                2,
            )
            for name, a in existing["after"]["channels"].items()
            if name in existing["before"]["channels"]
        }
    out.write_text(json.dumps(existing, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
