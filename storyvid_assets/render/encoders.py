"""H.264 encoders: quality presets, and a hardware encoder when one really works on this machine."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from storyvid_assets.render.ffmpeg import ffmpeg_exe

Preset = Literal["draft", "standard", "high"]
HARDWARE_ENCODERS = ("h264_nvenc", "h264_qsv", "h264_vaapi")
VAAPI_DEVICE = "/dev/dri/renderD128"


@dataclass(frozen=True)
class PresetSpec:
    x264_preset: str
    crf: int
    tune: str | None
    full_motion: bool  # per-frame zoom (scale) or pans only (draft)
    animated_grain: bool  # grain per frame (costly) or baked into the stills
    nvenc_preset: str
    qsv_preset: str
    hw_quality: int


PRESETS: dict[str, PresetSpec] = {
    "draft": PresetSpec("ultrafast", 30, None, False, False, "p1", "veryfast", 30),
    "standard": PresetSpec("veryfast", 22, "stillimage", True, False, "p4", "medium", 23),
    "high": PresetSpec("slow", 18, "stillimage", True, True, "p7", "veryslow", 19),
}


@dataclass(frozen=True)
class Encoder:
    name: str  # ffmpeg encoder name
    input_args: tuple[str, ...] = ()  # before the inputs (e.g. a VAAPI device)
    upload_filter: str = ""  # appended to the video filter chain (e.g. hwupload for VAAPI)


LIBX264 = Encoder("libx264")


def encoder_for(name: str) -> Encoder:
    if name == "h264_vaapi":
        return Encoder(name, ("-vaapi_device", VAAPI_DEVICE), ",format=nv12,hwupload")
    if name == "h264_qsv":
        return Encoder(name, (), ",format=nv12")
    return Encoder(name)


def video_codec_args(encoder: Encoder, preset: Preset, fps: int) -> list[str]:
    """Codec options for ``encoder`` at ``preset``: H.264 high profile, keyframe every 2 s, yuv420p output."""
    spec = PRESETS[preset]
    gop = ["-g", str(2 * fps), "-keyint_min", str(fps)]
    if encoder.name == "libx264":
        args = ["-c:v", "libx264", "-preset", spec.x264_preset, "-crf", str(spec.crf), "-pix_fmt", "yuv420p"]
        if spec.tune:
            args += ["-tune", spec.tune]
        return [*args, "-profile:v", "high", *gop]
    if encoder.name == "h264_nvenc":
        return [
            "-c:v",
            "h264_nvenc",
            "-preset",
            spec.nvenc_preset,
            "-rc",
            "vbr",
            "-cq",
            str(spec.hw_quality),
            "-b:v",
            "0",
            "-pix_fmt",
            "yuv420p",
            "-profile:v",
            "high",
            *gop,
        ]
    if encoder.name == "h264_qsv":
        return [
            "-c:v",
            "h264_qsv",
            "-preset",
            spec.qsv_preset,
            "-global_quality",
            str(spec.hw_quality),
            "-profile:v",
            "high",
            *gop,
        ]
    if encoder.name == "h264_vaapi":
        return ["-c:v", "h264_vaapi", "-qp", str(spec.hw_quality), "-profile:v", "high", *gop]
    return ["-c:v", encoder.name, "-pix_fmt", "yuv420p", *gop]  # any other ffmpeg encoder: its defaults


def _works(encoder: Encoder) -> bool:
    """A real one-second test encode of a small frame (listing an encoder does not mean the hardware is there)."""
    if encoder.name == "h264_vaapi" and not Path(VAAPI_DEVICE).exists():
        return False
    cmd = [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        *encoder.input_args,
        "-f",
        "lavfi",
        "-i",
        "color=c=gray:s=320x240:r=10:d=1",
        "-vf",
        f"format=yuv420p{encoder.upload_filter}",
        *video_codec_args(encoder, "draft", 10),
        "-f",
        "null",
        "-",
    ]
    try:
        return subprocess.run(cmd, capture_output=True, timeout=20, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@cache
def detect_encoder(allow_hardware: bool = True) -> Encoder:
    """The first hardware H.264 encoder that passes a test encode, else libx264."""
    if allow_hardware:
        listed = subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-encoders"], capture_output=True, text=True, check=False
        ).stdout
        for name in HARDWARE_ENCODERS:
            if f" {name} " in listed and _works(encoder_for(name)):
                return encoder_for(name)
    return LIBX264
