"""Renderers: turn an episode :class:`Timeline` into video files, one per format."""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path
from typing import Literal

import dagster as dg
from pydantic import Field

from storyvid_assets.render.audio import MixedAudio
from storyvid_assets.render.encoders import LIBX264, detect_encoder
from storyvid_assets.render.engine import FormatRender, prepare_audio, render_format_with_retry
from storyvid_assets.render.timeline import Timeline


class Renderer(dg.ConfigurableResource):
    """Compiles a timeline: the soundtrack once per episode, then each format from the same timeline."""

    @abstractmethod
    def mix_audio(self, timeline: Timeline, work_dir: Path) -> MixedAudio:
        """The episode's normalised soundtrack (AAC), with its measured loudness."""

    @abstractmethod
    def render(self, timeline: Timeline, fmt: str, audio: MixedAudio, output: Path, work_dir: Path) -> FormatRender:
        """Render ``fmt`` (``16:9``, ``9:16`` or ``1:1``) at its full size to ``output``."""


class FFmpegRenderer(Renderer):
    """The bundled ffmpeg: one filtergraph per format, libx264 or a hardware H.264 encoder that works."""

    preset: Literal["draft", "standard", "high"] = Field(
        default="standard", description="draft: x264 ultrafast, pans only; standard: veryfast; high: slow"
    )
    fps: int = Field(default=30, ge=1, le=60, description="frame rate of the rendered videos")
    hardware_encoder: bool = Field(
        default=True, description="use nvenc/qsv/vaapi when a test encode succeeds, else libx264"
    )

    def mix_audio(self, timeline: Timeline, work_dir: Path) -> MixedAudio:
        return prepare_audio(timeline, work_dir)

    def render(self, timeline: Timeline, fmt: str, audio: MixedAudio, output: Path, work_dir: Path) -> FormatRender:
        encoder = detect_encoder(self.hardware_encoder)
        return render_format_with_retry(
            timeline, fmt, audio, output, work_dir, self.preset, self.fps, encoder, fallback=LIBX264
        )
