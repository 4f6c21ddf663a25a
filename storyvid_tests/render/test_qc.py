"""Video QC measures files: a good file passes; silent audio, a wrong size and a black stretch each fail clearly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from storyvid_assets.audio.wav import encode_wav
from storyvid_assets.render.audio import mix_audio
from storyvid_assets.render.ffmpeg import run_ffmpeg
from storyvid_assets.render.qc import QCExpectations, caption_findings, inspect_video, unexpected_black
from storyvid_assets.render.timeline import AudioMix

W, H, FPS, SECONDS = 320, 240, 10, 4.0
EXPECT = QCExpectations(width=W, height=H, fps=FPS, narration_duration=SECONDS, intended_dark=[(0.0, 0.4)])


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("qc")
    t = np.arange(int(SECONDS * 22050)) / 22050
    (folder / "voice.wav").write_bytes(encode_wav(0.3 * np.sin(2 * np.pi * 300 * t) * ((t % 1) < 0.7), 22050))
    mix_audio(AudioMix(narration_path=str(folder / "voice.wav")), SECONDS, folder)  # -> mix.m4a at -14 LUFS
    return folder


def _video(media: Path, name: str, size: str = f"{W}x{H}", audio: str = "mix", video_filter: str = "null") -> Path:
    audio_args = {
        "mix": ["-i", str(media / "mix.m4a")],
        "silent": ["-f", "lavfi", "-i", f"anullsrc=r=48000:cl=stereo:d={SECONDS}"],
        "none": [],
    }[audio]
    out = media / f"{name}.mp4"
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=s={size}:r={FPS}:d={SECONDS}",
            *audio_args,
            "-vf",
            video_filter,
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-t",
            str(SECONDS),
            "-y",
            str(out),
        ]
    )
    return out


def _failed(path: Path, ass: str | None = None) -> dict[str, str]:
    report = inspect_video(path, EXPECT, ass)
    return {f.check: f.detail for f in report.failures}


def test_good_file_passes(media: Path) -> None:
    report = inspect_video(_video(media, "good"), EXPECT)
    assert report.passed, report.summary()
    assert {f.check for f in report.findings} >= {
        "codec",
        "pixel_format",
        "resolution",
        "frame_rate",
        "duration",
        "audio",
        "loudness",
        "black_frames",
    }


def test_silent_audio_fails(media: Path) -> None:
    failed = _failed(_video(media, "silent", audio="silent"))
    assert "audio" in failed and "silent" in failed["audio"]
    assert "loudness" in failed


def test_missing_audio_fails(media: Path) -> None:
    assert _failed(_video(media, "mute", audio="none"))["audio"] == "no audio stream"


def test_wrong_size_fails(media: Path) -> None:
    failed = _failed(_video(media, "small", size="320x200"))
    assert set(failed) == {"resolution"} and "320x200 (want 320x240)" in failed["resolution"]


def test_black_stretch_fails(media: Path) -> None:
    path = _video(media, "black", video_filter="drawbox=c=black:t=fill:enable='between(t,1.5,2.6)'")
    failed = _failed(path)
    assert set(failed) == {"black_frames"}
    assert failed["black_frames"].startswith("black picture at 1.50-2.")


def test_intended_fades_are_not_black_findings() -> None:
    assert unexpected_black([(0.0, 0.55), (10.0, 10.6)], [(0.0, 0.4), (9.9, 10.5)]) == []
    assert unexpected_black([(3.0, 3.8)], [(0.0, 0.4)]) == [(3.0, 3.8)]
    assert unexpected_black([(3.0, 3.3)], []) == []  # shorter than 0.5 s


def test_caption_cues_outside_the_video_fail() -> None:
    ass = (
        "Dialogue: 2,0:00:01.00,0:00:02.00,Caption,,0,0,0,,{\\an2\\pos(160,200)}hello\n"
        "Dialogue: 2,0:00:03.50,0:00:04.80,Caption,,0,0,0,,{\\an2\\pos(160,200)}late\n"
        "Dialogue: 2,0:00:02.00,0:00:03.00,Caption,,0,0,0,,{\\an2\\pos(400,200)}off frame\n"
    )
    findings = {f.check: f for f in caption_findings(ass, SECONDS, W, H)}
    assert not findings["captions_in_time"].passed and "3.50-4.80" in findings["captions_in_time"].detail
    assert not findings["captions_in_frame"].passed
    good = "Dialogue: 2,0:00:01.00,0:00:02.00,Caption,,0,0,0,,{\\an2\\pos(160,200)}hello\n"
    assert all(f.passed for f in caption_findings(good, SECONDS, W, H))
