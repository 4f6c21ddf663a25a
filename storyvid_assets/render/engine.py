"""Runs a compiled timeline: the shared work once per episode (soundtrack, prepared stills of every format, each
source image decoded once), then one ffmpeg encode per format, in turn.

Sequential formats keep memory low (one encoder at a time) and x264 already uses every core.
"""

from __future__ import annotations

import time
from pathlib import Path

from pydantic import BaseModel

from storyvid_assets.models import FORMAT_SIZES, format_slug
from storyvid_assets.render.audio import MixedAudio, mix_audio
from storyvid_assets.render.captions import build_ass, write_ass
from storyvid_assets.render.compiler import FormatScene, ffmpeg_args, plan_format, still_args, total_frames
from storyvid_assets.render.encoders import PRESETS, Encoder, Preset
from storyvid_assets.render.ffmpeg import FFmpegError, run_ffmpeg
from storyvid_assets.render.look import still_filters
from storyvid_assets.render.timeline import Timeline

STILL_OUTPUTS_PER_PROCESS = 12  # bounds the memory of a still-preparing process (~25 MB per still)


class FormatRender(BaseModel):
    """One rendered file and how it was made."""

    format: str
    path: str
    width: int
    height: int
    duration: float
    fps: int
    frames: int
    encoder: str
    preset: str
    render_seconds: float
    realtime_factor: float  # seconds of video per second of rendering
    retried_with_draft: bool = False
    first_error: str = ""


def fonts_dir() -> str:
    import font_roboto

    return str(font_roboto.font_directory)


def format_size(fmt: str) -> tuple[int, int]:
    if fmt not in FORMAT_SIZES:
        raise ValueError(f"unknown video format {fmt!r}; use one of {sorted(FORMAT_SIZES)}")
    return FORMAT_SIZES[fmt]


def prepare_audio(timeline: Timeline, work_dir: Path) -> MixedAudio:
    work_dir.mkdir(parents=True, exist_ok=True)
    return mix_audio(timeline.audio, timeline.duration, work_dir)


def format_scenes(timeline: Timeline, fmt: str, fps: int, preset: Preset) -> list[FormatScene]:
    """The scenes of one format; their still files are named by format and motion mode."""
    width, height = format_size(fmt)
    mode = "z" if PRESETS[preset].full_motion else "p"
    return plan_format(timeline, width, height, fps, preset, tag=f"{format_slug(fmt)}-{mode}-")


def prepare_stills(timeline: Timeline, formats: list[str], fps: int, preset: Preset, work_dir: Path) -> None:
    """Write the prepared stills of ``formats`` that are not in ``work_dir`` yet; each source image is decoded once
    for all formats, at most ``STILL_OUTPUTS_PER_PROCESS`` stills per ffmpeg process (bounds its memory)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    by_format = [format_scenes(timeline, fmt, fps, preset) for fmt in formats]
    jobs: list[tuple[str, list[FormatScene]]] = []
    for i, scene in enumerate(timeline.scenes):
        missing = [scenes[i] for scenes in by_format if not (work_dir / scenes[i].still).exists()]
        if missing:
            jobs.append((scene.image_path, missing))
    look = timeline.look
    look_filters = still_filters(look.grade, look.vignette, look.grain, PRESETS[preset].animated_grain)
    batch: list[tuple[str, list[FormatScene]]] = []
    for job in jobs:
        if batch and sum(len(p) for _, p in batch) + len(job[1]) > STILL_OUTPUTS_PER_PROCESS:
            run_ffmpeg(still_args(batch, look_filters), cwd=work_dir)
            batch = []
        batch.append(job)
    if batch:
        run_ffmpeg(still_args(batch, look_filters), cwd=work_dir)


class PreparedEpisode(BaseModel):
    """What every format shares: the soundtrack and the prepared stills (in the work folder)."""

    audio: MixedAudio
    formats: list[str]
    seconds: float


def prepare_episode(
    timeline: Timeline, formats: list[str], fps: int, preset: Preset, work_dir: Path
) -> PreparedEpisode:
    started = time.perf_counter()
    audio = prepare_audio(timeline, work_dir)
    prepare_stills(timeline, formats, fps, preset, work_dir)
    return PreparedEpisode(audio=audio, formats=formats, seconds=round(time.perf_counter() - started, 3))


def render_format(
    timeline: Timeline,
    fmt: str,
    audio: MixedAudio | None,
    output: Path,
    work_dir: Path,
    preset: Preset,
    fps: int,
    encoder: Encoder,
) -> FormatRender:
    """Render one format of ``timeline`` to ``output`` (preparing its stills first if they are not there)."""
    width, height = format_size(fmt)
    work_dir.mkdir(parents=True, exist_ok=True)
    ass_name = None
    if timeline.captions.enabled or timeline.cards:
        ass_name = f"captions-{format_slug(fmt)}.ass"
        # Clip cues to the frame-rounded length of the video, not the narration's exact length.
        video_duration = total_frames(timeline, fps) / fps
        write_ass(work_dir / ass_name, build_ass(timeline.captions, timeline.cards, width, height, video_duration))
    started = time.perf_counter()
    scenes = format_scenes(timeline, fmt, fps, preset)
    prepare_stills(timeline, [fmt], fps, preset, work_dir)
    args = ffmpeg_args(
        timeline,
        scenes,
        width,
        height,
        fps,
        preset,
        audio.path if audio else None,
        ass_name,
        fonts_dir(),
        encoder,
        output.resolve(),
    )
    try:
        run_ffmpeg(args, cwd=work_dir)
    finally:
        for scene in scenes:
            (work_dir / scene.still).unlink(missing_ok=True)
    seconds = time.perf_counter() - started
    frames = total_frames(timeline, fps)
    return FormatRender(
        format=fmt,
        path=str(output),
        width=width,
        height=height,
        duration=frames / fps,
        fps=fps,
        frames=frames,
        encoder=encoder.name,
        preset=preset,
        render_seconds=round(seconds, 3),
        realtime_factor=round(frames / fps / max(seconds, 1e-6), 3),
    )


def render_format_with_retry(
    timeline: Timeline,
    fmt: str,
    audio: MixedAudio | None,
    output: Path,
    work_dir: Path,
    preset: Preset,
    fps: int,
    encoder: Encoder,
    fallback: Encoder,
) -> FormatRender:
    """Render; on an ffmpeg failure retry once with the draft preset (and the software encoder), saying so."""
    try:
        return render_format(timeline, fmt, audio, output, work_dir, preset, fps, encoder)
    except FFmpegError as exc:
        result = render_format(timeline, fmt, audio, output, work_dir, "draft", fps, fallback)
        return result.model_copy(update={"retried_with_draft": True, "first_error": str(exc)[-400:]})
