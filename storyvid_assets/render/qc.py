"""Quality control of a rendered file, from measurements (PyAV, ffmpeg ebur128/blackdetect, the decoded audio), never
from trust."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from storyvid_assets.render.captions import parse_ass_events
from storyvid_assets.render.probe import decode_audio, detect_black, measure_loudness, probe_media
from storyvid_assets.speech.sync import IN_SYNC_S, MATCH_WINDOW_S, SyncReport, measure_sync, measure_sync_in_mix

SILENCE_LUFS = -60.0  # integrated loudness below this is "no audio"
BLACK_MIN_S = 0.5
FADE_SLACK_S = 0.25
POS_RE = re.compile(r"\\pos\((-?[\d.]+),(-?[\d.]+)\)")
CAPTION_SYNC_LIMIT_S = 0.25  # no utterance may start further than this from its caption
MIN_MATCHED_SHARE = 0.5  # fewer onsets than this finding a caption start: the captions belong elsewhere
SYNC_SAMPLE_RATE = 16000  # the audio is decoded at this rate for the sync measurement


class QCCheck(BaseModel):
    """One measured property of a rendered file and whether it is within the expectation."""

    check: str
    passed: bool
    detail: str


class QCExpectations(BaseModel):
    """What a rendered file must be."""

    width: int
    height: int
    fps: float
    narration_duration: float
    duration_tolerance: float = 0.25
    video_codec: str = "h264"
    pix_fmt: str = "yuv420p"
    target_lufs: float = -14.0
    lufs_tolerance: float = 1.0
    true_peak_ceiling_dbtp: float = -1.0
    intended_dark: list[tuple[float, float]] = []
    caption_spans: list[tuple[float, float]] = []  # (start, end) of every captioned word; empty: sync not measured
    narration_path: str | None = None  # the clean voice: finds utterances under the music (else energy alone)
    caption_sync_limit_s: float = CAPTION_SYNC_LIMIT_S


class QCReport(BaseModel):
    path: str
    findings: list[QCCheck]
    metrics: dict[str, float] = {}

    @property
    def passed(self) -> bool:
        return all(f.passed for f in self.findings)

    @property
    def failures(self) -> list[QCCheck]:
        return [f for f in self.findings if not f.passed]

    def summary(self) -> str:
        bad = self.failures
        return "all checks passed" if not bad else "; ".join(f"{f.check}: {f.detail}" for f in bad)


def unexpected_black(
    stretches: list[tuple[float, float]],
    intended: list[tuple[float, float]],
    min_duration: float = BLACK_MIN_S,
    slack: float = FADE_SLACK_S,
) -> list[tuple[float, float]]:
    """Black stretches at least ``min_duration`` long that no intended fade (widened by ``slack``) covers."""
    bad = []
    for start, end in stretches:
        if end - start < min_duration:
            continue
        if not any(a - slack <= start and end <= b + slack for a, b in intended):
            bad.append((start, end))
    return bad


def caption_findings(ass_script: str, duration: float, width: int, height: int) -> list[QCCheck]:
    """Every caption/card event inside the video's time span and positioned inside the frame."""
    events = parse_ass_events(ass_script)
    outside_time = [e for e in events if e.start < -1e-6 or e.end > duration + 0.011 or e.end <= e.start]
    outside_frame = []
    for event in events:
        for x, y in POS_RE.findall(event.text):
            if not (0 <= float(x) <= width and 0 <= float(y) <= height):
                outside_frame.append(event)
    return [
        QCCheck(
            check="captions_in_time",
            passed=not outside_time,
            detail=f"{len(events)} cues within 0..{duration:.2f} s"
            if not outside_time
            else f"{len(outside_time)} cues outside 0..{duration:.2f} s, first at "
            f"{outside_time[0].start:.2f}-{outside_time[0].end:.2f} s",
        ),
        QCCheck(
            check="captions_in_frame",
            passed=not outside_frame,
            detail="all cues positioned inside the frame"
            if not outside_frame
            else f"{len(outside_frame)} cues positioned outside {width}x{height}",
        ),
    ]


def measure_caption_sync(
    path: Path, caption_spans: list[tuple[float, float]], narration_path: str | None = None
) -> SyncReport:
    """Utterance onsets in the audio of ``path`` against the caption starts; with the clean narration, each onset
    is found in the narration and located in the file's audio by cross-correlation (music cannot fake one)."""
    audio = decode_audio(path, SYNC_SAMPLE_RATE)
    if narration_path is None:
        return measure_sync(audio, SYNC_SAMPLE_RATE, caption_spans)
    voice = decode_audio(Path(narration_path), SYNC_SAMPLE_RATE)
    return measure_sync_in_mix(audio, voice, SYNC_SAMPLE_RATE, caption_spans)


def sync_metrics(report: SyncReport) -> dict[str, float]:
    """The caption sync numbers a person reads in the check's metadata."""
    first, middle, last = report.thirds()
    return {
        "caption_sync_median_s": round(report.median, 3),
        "caption_sync_p95_s": round(report.p95, 3),
        "caption_sync_worst_s": round(report.worst, 3),
        "caption_sync_within_0_1_s_pct": round(100 * report.share_within(IN_SYNC_S), 1),
        "caption_sync_first_third_s": round(first, 3),
        "caption_sync_middle_third_s": round(middle, 3),
        "caption_sync_last_third_s": round(last, 3),
        "caption_sync_onsets": float(report.matched),
    }


def caption_sync_finding(report: SyncReport, limit: float = CAPTION_SYNC_LIMIT_S) -> QCCheck:
    """Captions in sync with the voice: every matched utterance onset within ``±limit`` of its caption start, and
    at least half of the onsets matched (captions shifted by more than the match window find none)."""
    heard = report.matched + report.unmatched_onsets
    if report.matched == 0:
        return QCCheck(
            check="caption_sync",
            passed=False,
            detail=f"none of {heard} utterance onsets in the audio has a caption start within ±{MATCH_WINDOW_S:g} s "
            f"({report.references} caption starts after a pause): captions and audio do not belong together",
        )
    enough = report.matched >= MIN_MATCHED_SHARE * heard
    passed = abs(report.worst) <= limit + 1e-9 and enough
    detail = f"{report.summary()} (captions minus audio; allowed ±{limit:g} s)"
    if not enough:
        detail += f"; only {report.matched} of {heard} onsets found a caption start"
    return QCCheck(check="caption_sync", passed=passed, detail=detail)


def inspect_video(path: Path, expect: QCExpectations, ass_script: str | None = None) -> QCReport:
    """Measure ``path`` against ``expect``; each property is one finding."""
    info = probe_media(path)
    findings = [
        QCCheck(
            check="codec",
            passed=info.video_codec == expect.video_codec,
            detail=f"video codec {info.video_codec} (want {expect.video_codec})",
        ),
        QCCheck(
            check="pixel_format",
            passed=info.pix_fmt == expect.pix_fmt,
            detail=f"pixel format {info.pix_fmt} (want {expect.pix_fmt})",
        ),
        QCCheck(
            check="resolution",
            passed=(info.width, info.height) == (expect.width, expect.height),
            detail=f"{info.width}x{info.height} (want {expect.width}x{expect.height})",
        ),
        QCCheck(
            check="frame_rate",
            passed=abs(info.fps - expect.fps) < 0.01,
            detail=f"{info.fps:.3f} fps (want {expect.fps:g})",
        ),
    ]
    drift = info.video_duration - expect.narration_duration
    findings.append(
        QCCheck(
            check="duration",
            passed=abs(drift) <= expect.duration_tolerance,
            detail=f"video {info.video_duration:.3f} s vs narration {expect.narration_duration:.3f} s "
            f"(off by {drift:+.3f} s, allowed ±{expect.duration_tolerance} s)",
        )
    )
    if info.audio_codec is None:
        findings.append(QCCheck(check="audio", passed=False, detail="no audio stream"))
    else:
        loud = measure_loudness(path)
        audible = loud.integrated_lufs > SILENCE_LUFS
        findings.append(
            QCCheck(
                check="audio",
                passed=audible,
                detail=f"{info.audio_codec} {info.audio_channels} ch, {loud.integrated_lufs:.1f} LUFS"
                + ("" if audible else " - the audio is silent"),
            )
        )
        in_range = (
            abs(loud.integrated_lufs - expect.target_lufs) <= expect.lufs_tolerance
            and loud.true_peak_dbtp <= expect.true_peak_ceiling_dbtp
        )
        findings.append(
            QCCheck(
                check="loudness",
                passed=in_range,
                detail=f"{loud.integrated_lufs:.1f} LUFS, true peak {loud.true_peak_dbtp:.1f} dBTP (want "
                f"{expect.target_lufs:g}±{expect.lufs_tolerance:g} LUFS, peak <= {expect.true_peak_ceiling_dbtp:g})",
            )
        )
    black = unexpected_black(detect_black(path, BLACK_MIN_S), expect.intended_dark)
    findings.append(
        QCCheck(
            check="black_frames",
            passed=not black,
            detail="no black stretch over 0.5 s outside fades"
            if not black
            else "black picture at " + ", ".join(f"{a:.2f}-{b:.2f} s" for a, b in black),
        )
    )
    if ass_script is not None:
        findings += caption_findings(ass_script, info.video_duration, info.width, info.height)
    metrics: dict[str, float] = {}
    if expect.caption_spans and info.audio_codec is not None:
        sync = measure_caption_sync(path, expect.caption_spans, expect.narration_path)
        findings.append(caption_sync_finding(sync, expect.caption_sync_limit_s))
        metrics.update(sync_metrics(sync))
    return QCReport(path=str(path), findings=findings, metrics=metrics)
