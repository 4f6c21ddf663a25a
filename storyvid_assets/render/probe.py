"""Measurements of rendered files: streams via PyAV; loudness (EBU R128), black stretches and the decoded audio via
ffmpeg."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from storyvid_assets.render.ffmpeg import FFmpegError, run_ffmpeg

EBUR128_SUMMARY_RE = re.compile(
    r"Integrated loudness:\s*I:\s*(?P<i>-?[\d.]+|-inf) LUFS.*?Loudness range:\s*LRA:\s*(?P<lra>-?[\d.]+) LU"
    r".*?True peak:\s*Peak:\s*(?P<tp>-?[\d.]+|-inf) dBFS",
    re.S,
)
BLACK_RE = re.compile(r"black_start:(?P<start>[\d.]+)\s+black_end:(?P<end>[\d.]+)")


class MediaInfo(BaseModel):
    """What a player sees in a file."""

    width: int
    height: int
    video_codec: str
    pix_fmt: str
    fps: float
    duration: float
    video_duration: float
    audio_codec: str | None
    audio_channels: int | None
    audio_sample_rate: int | None
    audio_duration: float | None
    bytes: int


class Loudness(BaseModel):
    """EBU R128 measurement of a file's audio."""

    integrated_lufs: float
    true_peak_dbtp: float
    lra_lu: float


def probe_media(path: Path) -> MediaInfo:
    """Streams, codecs, size and durations of ``path`` (needs a video stream)."""
    import av

    with av.open(str(path)) as container:
        if not container.streams.video:
            raise ValueError(f"{path} has no video stream")
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        total = (container.duration or 0) / 1_000_000

        def seconds(stream: av.stream.Stream) -> float:
            if stream.duration is not None and stream.time_base is not None:
                return float(stream.duration * stream.time_base)
            return total

        return MediaInfo(
            width=video.codec_context.width,
            height=video.codec_context.height,
            video_codec=video.codec_context.name,
            pix_fmt=video.codec_context.pix_fmt or "",
            fps=float(video.average_rate or video.guessed_rate or 0),
            duration=total,
            video_duration=seconds(video),
            audio_codec=audio.codec_context.name if audio else None,
            audio_channels=audio.codec_context.channels if audio else None,
            audio_sample_rate=audio.codec_context.sample_rate if audio else None,
            audio_duration=seconds(audio) if audio else None,
            bytes=path.stat().st_size,
        )


def _number(text: str) -> float:
    return float("-inf") if text == "-inf" else float(text)


def parse_ebur128(log: str) -> Loudness:
    """The last ``ebur128`` summary in an ffmpeg log."""
    matches = list(EBUR128_SUMMARY_RE.finditer(log))
    if not matches:
        raise FFmpegError("ffmpeg printed no ebur128 summary")
    match = matches[-1]
    return Loudness(
        integrated_lufs=_number(match["i"]), true_peak_dbtp=_number(match["tp"]), lra_lu=float(match["lra"])
    )


def measure_loudness(path: Path) -> Loudness:
    """Integrated loudness, true peak and loudness range of the first audio stream (ffmpeg ``ebur128``)."""
    return parse_ebur128(
        run_ffmpeg(
            ["-i", str(path), "-map", "0:a:0", "-filter:a", "ebur128=peak=true:framelog=quiet", "-f", "null", "-"]
        )
    )


def detect_black(
    path: Path,
    min_duration: float = 0.5,
    pixel_threshold: float = 0.10,
    picture_threshold: float = 0.98,
    scale_width: int = 320,
) -> list[tuple[float, float]]:
    """Stretches of (almost) black picture at least ``min_duration`` long (ffmpeg ``blackdetect``).

    The frames are scaled down first: blackdetect looks at luma ratios, which scaling keeps, and it is ~10x faster.
    """
    log = run_ffmpeg(
        [
            "-i",
            str(path),
            "-map",
            "0:v:0",
            "-an",
            "-vf",
            f"scale={scale_width}:-2,blackdetect=d={min_duration}:pix_th={pixel_threshold}:pic_th={picture_threshold}",
            "-f",
            "null",
            "-",
        ]
    )
    return [(float(m["start"]), float(m["end"])) for m in BLACK_RE.finditer(log)]


def frame_jpeg(path: Path, at_seconds: float, width: int = 320) -> bytes:
    """One frame of ``path`` at ``at_seconds``, scaled to ``width``, as JPEG bytes."""
    import subprocess

    from storyvid_assets.render.ffmpeg import ffmpeg_exe

    proc = subprocess.run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-ss",
            f"{max(at_seconds, 0):.3f}",
            "-i",
            str(path),
            "-frames:v",
            "1",
            "-vf",
            f"scale={width}:-2",
            "-f",
            "image2pipe",
            "-c:v",
            "mjpeg",
            "-",
        ],
        capture_output=True,
        check=False,
        timeout=60,
    )
    if proc.returncode != 0 or not proc.stdout:
        raise FFmpegError(f"could not grab a frame at {at_seconds:.2f} s of {path}: {proc.stderr[-300:]!r}")
    return proc.stdout


def decode_audio(path: Path, sample_rate: int = 16000) -> np.ndarray:
    """The first audio stream of ``path`` as mono 16-bit samples at ``sample_rate`` (decoded by ffmpeg)."""
    import subprocess

    from storyvid_assets.render.ffmpeg import ffmpeg_exe

    proc = subprocess.run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-i",
            str(path),
            "-map",
            "0:a:0",
            "-ac",
            "1",
            "-ar",
            str(sample_rate),
            "-f",
            "s16le",
            "-c:a",
            "pcm_s16le",
            "-",
        ],
        capture_output=True,
        check=False,
        timeout=300,
    )
    if proc.returncode != 0:
        raise FFmpegError(f"could not decode the audio of {path}: {proc.stderr[-300:]!r}")
    return np.frombuffer(proc.stdout, dtype="<i2").copy()
