"""Renderers: turn an episode :class:`Timeline` into video files, one per format."""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path
from typing import Literal

import dagster as dg
from pydantic import Field

from storyvid_assets.render.encoders import LIBX264, detect_encoder
from storyvid_assets.render.engine import (
    FormatRender,
    PreparedEpisode,
    prepare_episode,
    render_format_with_retry,
)
from storyvid_assets.render.timeline import Timeline


class Renderer(dg.ConfigurableResource):
    """Compiles a timeline: the soundtrack once per episode, then each format from the same timeline."""

    @abstractmethod
    def prepare(self, timeline: Timeline, formats: list[str], work_dir: Path) -> PreparedEpisode:
        """The work every format shares: the normalised soundtrack (with its measured loudness) and the stills."""

    @abstractmethod
    def render(
        self, timeline: Timeline, fmt: str, prepared: PreparedEpisode, output: Path, work_dir: Path
    ) -> FormatRender:
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

    def prepare(self, timeline: Timeline, formats: list[str], work_dir: Path) -> PreparedEpisode:
        return prepare_episode(timeline, formats, self.fps, self.preset, work_dir)

    def render(
        self, timeline: Timeline, fmt: str, prepared: PreparedEpisode, output: Path, work_dir: Path
    ) -> FormatRender:
        encoder = detect_encoder(self.hardware_encoder)
        audio = prepared.audio
        return render_format_with_retry(
            timeline, fmt, audio, output, work_dir, self.preset, self.fps, encoder, fallback=LIBX264
        )
