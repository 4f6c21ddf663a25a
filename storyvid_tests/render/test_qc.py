"""Video QC measures files: a good file passes; silent audio, a wrong size, a black stretch and captions out of sync
with the voice each fail clearly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from storyvid_assets.audio.music import compose_music
from storyvid_assets.audio.wav import encode_wav
from storyvid_assets.models import VoiceSettings
from storyvid_assets.render.audio import mix_audio
from storyvid_assets.render.ffmpeg import run_ffmpeg
from storyvid_assets.render.qc import (
    QCCheck,
    QCExpectations,
    QCReport,
    caption_findings,
    inspect_video,
    measure_caption_sync,
    unexpected_black,
)
from storyvid_assets.render.timeline import AudioMix
from storyvid_assets.resources.speech import EspeakSpeech

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


# --------------------------------------------------------------------------- caption sync, from the file's audio

TINY = (160, 90)
SCENES = [
    '"Hmm," she said at last. The fox looked up at the sky, and the stars looked back at her.',
    '"I\'m so tired," it said in a small voice. Soon, everyone in the little house was fast asleep.',
]


@pytest.fixture(scope="module")
def narrated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An espeak-ng narration under the local music bed, mixed like an episode, in a tiny video."""
    folder = tmp_path_factory.mktemp("sync")
    spoken = EspeakSpeech().synthesize(SCENES, VoiceSettings(voice="en-us", rate=150, pitch=55))
    (folder / "voice.wav").write_bytes(spoken.wav)
    bed = compose_music("playful", spoken.duration + 2, seed=3)  # the busiest bed: notes and percussion
    (folder / "music.wav").write_bytes(encode_wav(bed.samples, bed.sample_rate))
    gain = -20.0 - min(0.0, 20 * float(np.log10(np.max(np.abs(bed.samples)))))
    mix = AudioMix(narration_path=str(folder / "voice.wav"), music_path=str(folder / "music.wav"), music_gain_db=gain)
    audio = mix_audio(mix, spoken.duration, folder)
    spans = [(w.start, w.end) for s in spoken.sentences for w in s.words]
    expect = QCExpectations(
        width=TINY[0],
        height=TINY[1],
        fps=FPS,
        narration_duration=spoken.duration,
        caption_spans=spans,
        narration_path=str(folder / "voice.wav"),
    )
    return {"folder": folder, "audio": audio.path, "expect": expect, "duration": spoken.duration}


def _narrated_video(narrated: dict[str, Any], name: str, audio: str | None = None, audio_filter: str = "anull") -> Path:
    """A tiny test-pattern video with ``audio`` (default: the mixed soundtrack), made once per name."""
    out = narrated["folder"] / f"{name}.mp4"
    if out.exists():
        return out
    seconds = narrated["duration"]
    picture = ["-f", "lavfi", "-i", f"testsrc2=s={TINY[0]}x{TINY[1]}:r={FPS}:d={seconds}"]
    encode = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"]
    run_ffmpeg(
        [*picture, "-i", audio or narrated["audio"], "-af", audio_filter, *encode, "-t", f"{seconds}", "-y", str(out)]
    )
    return out


def _sync(report: QCReport) -> QCCheck:
    return next(f for f in report.findings if f.check == "caption_sync")


def test_captions_in_sync_pass_with_their_numbers_in_the_metrics(narrated: dict[str, Any]) -> None:
    report = inspect_video(_narrated_video(narrated, "in-sync"), narrated["expect"])
    assert _sync(report).passed, _sync(report).detail
    metrics = report.metrics
    assert metrics["caption_sync_onsets"] >= 6
    assert metrics["caption_sync_within_0_1_s_pct"] >= 95 and abs(metrics["caption_sync_worst_s"]) <= 0.1
    assert {"caption_sync_median_s", "caption_sync_p95_s", "caption_sync_last_third_s"} <= set(metrics)


def test_planted_caption_drift_fails(narrated: dict[str, Any]) -> None:
    expect: QCExpectations = narrated["expect"]
    factor = 1 - 0.4 / expect.caption_spans[-1][0]  # captions ahead of the voice, by 0.4 s at the last word
    drifting = expect.model_copy(update={"caption_spans": [(a * factor, b * factor) for a, b in expect.caption_spans]})
    report = inspect_video(_narrated_video(narrated, "in-sync"), drifting)
    assert not _sync(report).passed
    assert set(f.check for f in report.failures) == {"caption_sync"}
    assert report.metrics["caption_sync_last_third_s"] < -0.25


def test_voice_late_in_the_file_fails(narrated: dict[str, Any]) -> None:
    report = inspect_video(_narrated_video(narrated, "late", audio_filter="adelay=400:all=1"), narrated["expect"])
    assert not _sync(report).passed
    assert report.metrics["caption_sync_median_s"] == pytest.approx(-0.4, abs=0.02)


def test_caption_sync_without_the_narration_measures_the_file_alone(narrated: dict[str, Any]) -> None:
    voice_only = _narrated_video(narrated, "voice-only", audio=str(narrated["folder"] / "voice.wav"))
    spans = narrated["expect"].caption_spans
    assert measure_caption_sync(voice_only, spans).share_within(0.1) >= 0.95
    late = [(a + 0.4, b + 0.4) for a, b in spans]
    assert measure_caption_sync(voice_only, late).median == pytest.approx(0.4, abs=0.02)
