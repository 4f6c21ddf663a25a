"""Videos: every requested format rendered from one timeline, and a blocking QC check on each file."""

# No `from __future__ import annotations` here: dagster 1.13.27 compares the `context` annotation
# with the class itself and rejects the string form.

import math
import shutil
import uuid
import warnings
from pathlib import Path

import dagster as dg

from storyvid_assets.assets.common import ASSET_GROUP, Episode, current_episode, inline_thumbnail_md
from storyvid_assets.assets.partitions import episode_partitions_def
from storyvid_assets.catalog.queries.episodes import record_media, record_video
from storyvid_assets.models import (
    FORMAT_SIZES,
    EpisodeVideos,
    MediaRef,
    MusicBed,
    Narration,
    RenderedVideo,
    SceneImages,
    Story,
    format_slug,
)
from storyvid_assets.render.audio import MixedAudio
from storyvid_assets.render.captions import build_ass
from storyvid_assets.render.engine import FormatRender
from storyvid_assets.render.probe import frame_jpeg, probe_media
from storyvid_assets.render.qc import QCExpectations, inspect_video
from storyvid_assets.render.timeline import Timeline, build_timeline
from storyvid_assets.resources.renderer import Renderer
from storyvid_assets.resources.storage.catalog import CatalogResource
from storyvid_assets.resources.storage.media_store import MediaStore
from storyvid_assets.review.gate import require_cleared

VIDEO_QC_CHECK = "video_qc"
TIMELINE_NAME = "timeline.json"


def episode_timeline(
    story: Story,
    narration: Narration,
    scene_images: SceneImages,
    music: MusicBed,
    episode: Episode,
    media_store: MediaStore,
) -> Timeline:
    """The episode's timeline with local paths of its media."""
    channel = episode.channel
    images = [(image, media_store.local_path(image.image.key)) for image in scene_images.images]
    peak = music.peak_dbfs if math.isfinite(music.peak_dbfs) else 0.0
    music_gain = channel.music.volume_db - min(peak, 0.0)  # the music peaks at volume_db before ducking
    return build_timeline(
        story,
        narration,
        images,
        media_store.local_path(narration.audio.key),
        media_store.local_path(music.audio.key),
        channel.look,
        channel.captions,
        channel.display_name,
        music_gain_db=music_gain,
        seed=episode.seed,
    )


def rendered_video(
    result: FormatRender, ref: MediaRef, audio: MixedAudio, path: Path, extra: dict[str, str]
) -> RenderedVideo:
    """The catalogue record of one file, with its duration measured from the file itself."""
    info = probe_media(path)
    return RenderedVideo(
        format=result.format,
        video=ref,
        width=info.width,
        height=info.height,
        duration=round(info.video_duration, 3),
        fps=info.fps,
        preset=result.preset,
        encoder=result.encoder,
        metadata={
            "target_fps": result.fps,
            "render_seconds": result.render_seconds,
            "realtime_factor": result.realtime_factor,
            "loudness_lufs": audio.loudness.integrated_lufs,
            "true_peak_dbtp": audio.loudness.true_peak_dbtp,
            "retried_with_draft": result.retried_with_draft,
            **({"first_error": result.first_error} if result.first_error else {}),
            **extra,
        },
    )


@dg.asset(
    partitions_def=episode_partitions_def(),
    group_name=ASSET_GROUP,
    kinds={"video"},
    io_manager_key="manifest_io_manager",
)
def videos(
    context: dg.AssetExecutionContext,
    story: Story,
    narration: Narration,
    scene_images: SceneImages,
    music: MusicBed,
    renderer: Renderer,
    catalog: CatalogResource,
    media_store: MediaStore,
) -> dg.Output[EpisodeVideos]:
    """Each of the channel's formats (H.264/AAC, captions burned in, -14 LUFS), all from one timeline."""
    episode = current_episode(context, catalog)
    require_cleared(catalog, episode)  # held while a review item of this partition is unresolved
    timeline = episode_timeline(story, narration, scene_images, music, episode, media_store)
    timeline_ref = media_store.put_bytes(
        episode.media_key("videos", TIMELINE_NAME), timeline.model_dump_json(indent=1).encode(), "application/json"
    )
    work = media_store.scratch_dir() / f"render-{uuid.uuid4().hex[:12]}"
    made: list[RenderedVideo] = []
    refs: list[MediaRef] = [timeline_ref]
    metadata: dict[str, object] = {}
    try:
        prepared = renderer.prepare(timeline, list(episode.channel.formats), work)
        audio = prepared.audio
        context.log.info(
            f"soundtrack mixed: {audio.loudness.integrated_lufs:.1f} LUFS, "
            f"true peak {audio.loudness.true_peak_dbtp:.1f} dBTP"
        )
        for fmt in episode.channel.formats:
            slug = format_slug(fmt)
            width, height = FORMAT_SIZES[fmt]
            context.log.info(
                f"rendering {fmt} ({width}x{height}), {timeline.duration:.1f} s, {len(timeline.scenes)} scenes"
            )
            result = renderer.render(timeline, fmt, prepared, work / f"{slug}.mp4", work)
            ass = media_store.put_bytes(
                episode.media_key("videos", f"captions-{slug}.ass"),
                build_ass(timeline.captions, timeline.cards, width, height, result.duration).encode(),
                "text/x-ssa",
            )
            ref = media_store.put_file(episode.media_key("videos", f"{slug}.mp4"), Path(result.path), "video/mp4")
            path = media_store.local_path(ref.key)
            video = rendered_video(
                result, ref, audio, path, {"captions_key": ass.key, "timeline_key": timeline_ref.key}
            )
            made.append(video)
            refs += [ass, ref]
            context.log.info(
                f"{fmt}: {video.duration:.2f} s, {ref.bytes / 1e6:.1f} MB in {result.render_seconds:.1f} s "
                f"({result.realtime_factor:.2f}x realtime, {result.encoder}, {result.preset})"
                + (" - retried with the draft preset" if result.retried_with_draft else "")
            )
            metadata.update(format_metadata(slug, video, path))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with catalog.session() as session:
        for ref in refs:
            record_media(session, episode.channel.name, episode.date, "videos", episode.attempt, ref)
        for video in made:
            record_video(session, episode.channel.name, episode.date, episode.attempt, video)
    metadata.update(
        {
            "formats": ", ".join(v.format for v in made),
            "duration_s": round(timeline.duration, 3),
            "loudness_lufs": round(audio.loudness.integrated_lufs, 2),
            "true_peak_dbtp": round(audio.loudness.true_peak_dbtp, 2),
            "timeline": dg.MetadataValue.path(str(media_store.local_path(timeline_ref.key))),
        }
    )
    return dg.Output(EpisodeVideos(videos=made, attempt=episode.attempt), metadata=metadata)  # type: ignore[arg-type]


def format_metadata(slug: str, video: RenderedVideo, path: Path) -> dict[str, object]:
    meta: dict[str, object] = {
        f"{slug}_path": dg.MetadataValue.path(str(path)),
        f"{slug}_duration_s": video.duration,
        f"{slug}_mb": round(video.video.bytes / 1e6, 2),
        f"{slug}_encoder": video.encoder,
        f"{slug}_preset": video.preset,
        f"{slug}_render_s": video.metadata["render_seconds"],
        f"{slug}_x_realtime": video.metadata["realtime_factor"],
    }
    if video.metadata.get("retried_with_draft"):
        meta[f"{slug}_retried_with_draft"] = True
    try:
        meta[f"{slug}_preview"] = dg.MetadataValue.md(inline_thumbnail_md(frame_jpeg(path, video.duration / 2), slug))
    except Exception as exc:  # a preview is a nicety; never fail the render for it
        meta[f"{slug}_preview"] = f"no preview: {exc}"
    return meta


def _video_qc(videos: EpisodeVideos, narration: Narration, media_store: MediaStore) -> dg.AssetCheckResult:
    findings: dict[str, object] = {}
    failed: list[str] = []
    for video in videos.videos:
        timeline = Timeline.model_validate_json(media_store.read_bytes(str(video.metadata["timeline_key"])))
        ass = media_store.read_bytes(str(video.metadata["captions_key"])).decode()
        width, height = FORMAT_SIZES[video.format]
        report = inspect_video(
            media_store.local_path(video.video.key),
            QCExpectations(
                width=width,
                height=height,
                fps=float(video.metadata.get("target_fps", 30)),
                narration_duration=narration.duration,
                target_lufs=timeline.audio.target_lufs,
                lufs_tolerance=timeline.audio.lufs_tolerance,
                true_peak_ceiling_dbtp=timeline.audio.true_peak_ceiling_dbtp,
                intended_dark=timeline.intended_dark_intervals(),
            ),
            ass,
        )
        slug = format_slug(video.format)
        findings[slug] = dg.MetadataValue.md(
            "\n".join(f"- {'✅' if f.passed else '❌'} **{f.check}**: {f.detail}" for f in report.findings)
        )
        if not report.passed:
            failed.append(f"{video.format}: {report.summary()}")
    findings["failures"] = "; ".join(failed) if failed else "none"
    return dg.AssetCheckResult(passed=not failed, severity=dg.AssetCheckSeverity.ERROR, metadata=findings)  # type: ignore[arg-type]


with warnings.catch_warnings():  # checks evaluated per partition are a preview feature in dagster 1.13
    warnings.simplefilter("ignore", category=dg.PreviewWarning)
    video_qc = dg.asset_check(
        asset=videos,
        name=VIDEO_QC_CHECK,
        blocking=True,
        partitions_def=episode_partitions_def(),
        additional_ins={"narration": dg.AssetIn("narration")},
        description="Measures every rendered file: codec, pixel format, size, frame rate, duration = narration "
        "±0.25 s, audio present and at -14 LUFS ±1 (true peak <= -1 dBTP), no black stretch over 0.5 s outside fades, "
        "caption cues inside the video.",
    )(_video_qc)
