"""Shared pieces of the gate tests: short stories, bad images, the local resources at draft quality, and
running what the review sensor asks for."""

from __future__ import annotations

from typing import Any

import dagster as dg
from sqlalchemy import select

from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.tables.review import ReviewItemRow
from storyvid_assets.episode import partition_key
from storyvid_assets.models import GeneratedImage, ImageStyle, Story, StoryRequest
from storyvid_assets.resources.images import ImageProvider
from storyvid_assets.resources.story import LocalStoryWriter
from storyvid_assets.runner import run_episode
from storyvid_assets.sensors.review import review_decisions_sensor

CHANNEL = "midnight"
BLOCKED = ("videos", "thumbnail", "publication", "uploads")
WORDS_PER_SCENE = 8


class ShortStories(LocalStoryWriter):
    """The local writer's story cut to five scenes of a few words (a short render); with ``swear_first`` its
    attempt 1 has a sweary line in scene 2, like a provider gone wrong."""

    swear_first: bool = False
    scenes: int = 5

    def write_story(self, request: StoryRequest) -> Story:
        story = super().write_story(request)
        scenes = [
            s.model_copy(update={"narration": " ".join(s.narration.split()[:WORDS_PER_SCENE]).rstrip(",;:") + "."})
            for s in story.scenes[: self.scenes]
        ]
        if self.swear_first and request.attempt == 1:
            scenes[1] = scenes[1].model_copy(update={"narration": scenes[1].narration + " What the fuck was that?"})
        return story.model_copy(update={"scenes": scenes})


class FlatGreyImages(ImageProvider):
    """Every scene the same flat grey: blank and near-duplicate images."""

    def generate(self, prompt: str, style: ImageStyle, width: int, height: int) -> GeneratedImage:
        import io

        from PIL import Image

        buf = io.BytesIO()
        Image.new("RGB", (width, height), (120, 120, 120)).save(buf, format="PNG")
        return GeneratedImage(png=buf.getvalue(), width=width, height=height, provider="flat-grey")


def resources(**overrides: Any) -> dict[str, Any]:
    from storyvid_assets.resources.renderer import FFmpegRenderer
    from storyvid_assets.resources.sets import local_resources

    return local_resources(
        renderer=FFmpegRenderer(preset="draft", fps=10), **{"story_writer": ShortStories(), **overrides}
    )


def materialized(instance: dg.DagsterInstance, asset: str, date: str) -> bool:
    partition = str(partition_key(CHANNEL, date))
    return bool(
        instance.get_latest_materialization_event(dg.AssetKey(asset))
        and partition in instance.get_materialized_partitions(dg.AssetKey(asset))
    )


def items(url: str, date: str) -> list[tuple[str, str, int, str]]:
    with session_scope(url) as session:
        rows = session.scalars(select(ReviewItemRow).filter_by(channel=CHANNEL, date=date).order_by(ReviewItemRow.id))
        return [(r.asset, r.check_name, r.attempt, r.status) for r in rows]


def only_request(defs: dg.Definitions, instance: dg.DagsterInstance) -> dg.RunRequest:
    context = dg.build_sensor_context(
        instance=instance, definitions=defs, resources={"catalog": defs.resources["catalog"]}
    )
    result = review_decisions_sensor(context)
    assert isinstance(result, dg.SensorResult)
    assert len(result.run_requests) == 1
    return result.run_requests[0]


def run_request(
    request: dg.RunRequest, date: str, res: dict[str, Any], instance: dg.DagsterInstance
) -> dg.ExecuteInProcessResult:
    return run_episode(
        CHANNEL,
        date,
        resources=res,
        instance=instance,
        tags=dict(request.tags),
        asset_selection=list(request.asset_selection or []),
        raise_on_error=False,
    )


def failed_checks(result: dg.ExecuteInProcessResult) -> list[str]:
    return [e.check_name for e in result.get_asset_check_evaluations() if not e.passed]
