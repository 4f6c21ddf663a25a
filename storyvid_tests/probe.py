"""Measure media files the way a viewer's player sees them (PyAV wraps FFmpeg's libraries)."""

from __future__ import annotations

from pathlib import Path

import av
from pydantic import BaseModel


class Probe(BaseModel):
    width: int
    height: int
    video_codec: str
    pix_fmt: str
    fps: float
    video_duration: float
    audio_codec: str | None
    audio_duration: float | None


def probe(path: Path) -> Probe:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None

        def seconds(stream: av.stream.Stream) -> float:
            if stream.duration is not None:
                return float(stream.duration * stream.time_base)
            return container.duration / 1_000_000

        return Probe(
            width=video.codec_context.width, height=video.codec_context.height, video_codec=video.codec_context.name,
            pix_fmt=video.codec_context.pix_fmt or "", fps=float(video.average_rate or 0),
            video_duration=seconds(video), audio_codec=audio.codec_context.name if audio else None,
            audio_duration=seconds(audio) if audio else None,
        )
