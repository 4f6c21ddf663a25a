"""Running the bundled static ffmpeg (imageio-ffmpeg) and turning its failures into clear errors."""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path

from storyvid_assets.errors import ProviderError

STDERR_TAIL_CHARS = 1500


class FFmpegError(ProviderError):
    """ffmpeg exited with an error; the message carries the tail of its log."""

    def __init__(self, message: str) -> None:
        super().__init__("ffmpeg", message, retryable=False)


@cache
def ffmpeg_exe() -> str:
    """Path of the static ffmpeg shipped by the ``imageio-ffmpeg`` wheel."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(args: list[str], timeout: float = 1800.0, cwd: Path | None = None) -> str:
    """Run ffmpeg with ``args`` (without the executable); returns its stderr log, raises :class:`FFmpegError`."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd, check=False)
    except subprocess.TimeoutExpired as exc:
        raise FFmpegError(f"timed out after {timeout:.0f} s") from exc
    if proc.returncode != 0:
        tail = proc.stderr[-STDERR_TAIL_CHARS:].strip()
        raise FFmpegError(f"exit code {proc.returncode}: {tail}")
    return proc.stderr
