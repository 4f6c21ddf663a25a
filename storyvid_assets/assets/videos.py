"""Videos: every requested format rendered from one timeline, and a blocking QC check on each file."""

# No `from __future__ import annotations` here: dagster 1.13.27 compares the `context` annotation
# with the class itself and rejects the string form.

import shutil
import uuid
import warnings
from pathlib import Path

import dagster as dg

from storyvid_assets.assets.metadata import inline_thumbnail_md
from storyvid_assets.assets.partitions import ASSET_GROUP, episode_partitions_def
from storyvid_assets.assets.review_gate import require_cleared
from storyvid_assets.catalog.queries.episodes import record_video
from storyvid_assets.catalog.queries.media import record_media
from storyvid_assets.episode import Episode
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
from storyvid_assets.render.assemble import episode_timeline, qc_expectations, rendered_video
from storyvid_assets.render.audio import MixedAudio
from storyvid_assets.render.captions import build_ass
from storyvid_assets.render.probe import frame_jpeg
from storyvid_assets.render.qc import QCReport, inspect_video
from storyvid_assets.render.timeline import Timeline
from storyvid_assets.resources.renderer import Renderer
from storyvid_assets.resources.storage.catalog import CatalogResource
from storyvid_assets.resources.storage.media_store import MediaStore

VIDEO_QC_CHECK = "video_qc"
TIMELINE_NAME = "timeline.json"


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
    episode = Episode.from_context(context, catalog)
    require_cleared(catalog, episode)  # held while a review item of this partition is unresolved
    timeline = episode_timeline(
        story, narration, scene_images, music, episode.channel, episode.seed, media_store.local_path
    )
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
    metadata.update(videos_metadata(made, timeline, audio, media_store.local_path(timeline_ref.key)))
    return dg.Output(EpisodeVideos(videos=made, attempt=episode.attempt), metadata=metadata)  # type: ignore[arg-type]


def videos_metadata(
    made: list[RenderedVideo], timeline: Timeline, audio: MixedAudio, timeline_path: Path
) -> dict[str, object]:
    """What the UI shows of the whole render: formats, length, loudness and the timeline file."""
    return {
        "formats": ", ".join(v.format for v in made),
        "duration_s": round(timeline.duration, 3),
        "loudness_lufs": round(audio.loudness.integrated_lufs, 2),
        "true_peak_dbtp": round(audio.loudness.true_peak_dbtp, 2),
        "timeline": dg.MetadataValue.path(str(timeline_path)),
    }


def format_metadata(slug: str, video: RenderedVideo, path: Path) -> dict[str, object]:
    """What the UI shows of one file: where it is, its length and size, how it was encoded and a preview frame."""
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


def qc_markdown(report: QCReport) -> str:
    """One line per measurement, passed or failed, for the check's metadata."""
    return "\n".join(f"- {'✅' if f.passed else '❌'} **{f.check}**: {f.detail}" for f in report.findings)


def _video_qc(videos: EpisodeVideos, narration: Narration, media_store: MediaStore) -> dg.AssetCheckResult:
    findings: dict[str, object] = {}
    failed: list[str] = []
    for video in videos.videos:
        timeline = Timeline.model_validate_json(media_store.read_bytes(str(video.metadata["timeline_key"])))
        ass = media_store.read_bytes(str(video.metadata["captions_key"])).decode()
        expected = qc_expectations(video, timeline, narration.duration, media_store.local_path(narration.audio.key))
        report = inspect_video(media_store.local_path(video.video.key), expected, ass)
        slug = format_slug(video.format)
        findings[slug] = dg.MetadataValue.md(qc_markdown(report))
        findings.update({f"{slug}_{name}": value for name, value in report.metrics.items()})
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
        "caption cues inside the video, captions in sync with the voice (utterance onsets measured in the file's "
        "audio within ±0.25 s of their caption starts).",
    )(_video_qc)
