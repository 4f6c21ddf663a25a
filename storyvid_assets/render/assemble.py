"""From an episode's pieces to the timeline the renderer takes; from a rendered file to its record and to what
QC expects of it."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from storyvid_assets.channels import ChannelConfig
from storyvid_assets.models import FORMAT_SIZES, MediaRef, MusicBed, Narration, RenderedVideo, SceneImages, Story
from storyvid_assets.render.audio import MixedAudio
from storyvid_assets.render.engine import FormatRender
from storyvid_assets.render.probe import probe_media
from storyvid_assets.render.qc import QCExpectations
from storyvid_assets.render.timeline import Timeline, build_timeline


def music_gain_db(music: MusicBed, volume_db: float) -> float:
    """The gain that makes the music peak at the channel's ``volume_db`` before ducking (a silent bed: as is)."""
    peak = music.peak_dbfs if math.isfinite(music.peak_dbfs) else 0.0
    return volume_db - min(peak, 0.0)


def episode_timeline(
    story: Story,
    narration: Narration,
    scene_images: SceneImages,
    music: MusicBed,
    channel: ChannelConfig,
    seed: int,
    local_path: Callable[[str], Path],
) -> Timeline:
    """The episode's timeline, its media given as local paths (``local_path`` maps a media key to one)."""
    return build_timeline(
        story,
        narration,
        [(image, local_path(image.image.key)) for image in scene_images.images],
        local_path(narration.audio.key),
        local_path(music.audio.key),
        channel.look,
        channel.captions,
        channel.display_name,
        music_gain_db=music_gain_db(music, channel.music.volume_db),
        seed=seed,
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


def qc_expectations(
    video: RenderedVideo, timeline: Timeline, narration_duration: float, narration_path: Path | None = None
) -> QCExpectations:
    """What QC measures ``video`` against: its format's size, the frame rate asked for, the narration's length,
    the timeline's loudness targets, its intended dark stretches (fades) and the captions' word timings (checked
    against the clean narration at ``narration_path``, when given, found in the file's audio)."""
    width, height = FORMAT_SIZES[video.format]
    return QCExpectations(
        width=width,
        height=height,
        fps=float(video.metadata.get("target_fps", 30)),
        narration_duration=narration_duration,
        target_lufs=timeline.audio.target_lufs,
        lufs_tolerance=timeline.audio.lufs_tolerance,
        true_peak_ceiling_dbtp=timeline.audio.true_peak_ceiling_dbtp,
        intended_dark=timeline.intended_dark_intervals(),
        caption_spans=[(w.start, w.end) for s in timeline.captions.sentences for w in s.words],
        narration_path=None if narration_path is None else str(narration_path),
    )
