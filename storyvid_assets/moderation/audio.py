"""Narration and music checks: silence gaps, clipping, durations, and licence problems as findings."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from storyvid_assets.audio.wav import decode_wav, peak_dbfs
from storyvid_assets.distribution.licence import LicenceProblem
from storyvid_assets.moderation.findings import Finding

FRAME_S = 0.02
SILENCE_DBFS = -50.0  # a 20 ms frame quieter than this is silence
MAX_GAP_S = 2.5  # longest silence allowed inside the narration
MAX_LEADING_S = 1.5
MAX_TRAILING_S = 3.0
CLIP_LEVEL = 0.999  # |sample| at or above this is at full scale
CLIP_RUN = 3  # consecutive full-scale samples make an audible flat top
WPM_RATIO_RANGE = (0.5, 2.0)  # measured / expected duration from the voice's words per minute
WORD_COVERAGE_RANGE = (0.85, 1.15)  # timed words / story words
DURATION_TOLERANCE_S = 0.1
MAX_MUSIC_TAIL_S = 30.0
PEAK_TOLERANCE_DB = 0.5


@dataclass(frozen=True)
class AudioAnalysis:
    duration: float
    peak_dbfs: float
    clipped_runs: list[float]  # start time of each flat-topped run
    clipped_samples: int
    silences: list[tuple[float, float]]  # (start, end) of every silent stretch


def _mono(samples: np.ndarray) -> np.ndarray:
    return samples if samples.ndim == 1 else np.max(np.abs(samples), axis=1)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) index pairs of the True runs of a boolean array."""
    if not mask.any():
        return []
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))


def analyse_wav(data: bytes) -> AudioAnalysis:
    samples, rate = decode_wav(data)
    mono = _mono(samples)
    duration = len(mono) / rate
    clipped = np.abs(mono) >= CLIP_LEVEL
    flat_tops = [s / rate for s, e in _runs(clipped) if e - s >= CLIP_RUN]
    frame = max(1, int(rate * FRAME_S))
    usable = len(mono) // frame * frame
    frames = mono[:usable].reshape(-1, frame) if usable else np.zeros((0, frame))
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1)) if len(frames) else np.zeros(0)
    with np.errstate(divide="ignore"):
        level = 20 * np.log10(np.maximum(rms, 1e-12))
    silences = [(s * frame / rate, e * frame / rate) for s, e in _runs(level < SILENCE_DBFS)]
    return AudioAnalysis(
        duration=duration,
        peak_dbfs=peak_dbfs(samples),
        clipped_runs=flat_tops,
        clipped_samples=int(clipped.sum()),
        silences=silences,
    )


def _finding(
    category: str,
    what: str,
    where: str,
    why: str,
    *,
    time_s: float | None = None,
    end_time_s: float | None = None,
    score: float | None = None,
    field: str = "audio",
) -> Finding:
    return Finding(
        category=category,
        level="severe",
        blocking=True,
        what=what,
        where=where,
        why=why,
        field=field,
        time_s=None if time_s is None else round(time_s, 3),
        end_time_s=None if end_time_s is None else round(end_time_s, 3),
        score=None if score is None else round(score, 4),
        source="audio check",
    )


def clipping_findings(analysis: AudioAnalysis, label: str) -> list[Finding]:
    if not analysis.clipped_runs:
        return []
    first = ", ".join(f"{t:.2f} s" for t in analysis.clipped_runs[:5])
    return [
        _finding(
            f"{label}_clipping",
            f"{len(analysis.clipped_runs)} clipped stretch(es), {analysis.clipped_samples} samples at full scale",
            f"{label} at {first}" + (" …" if len(analysis.clipped_runs) > 5 else ""),
            f"{CLIP_RUN}+ consecutive samples at full scale are audible distortion",
            time_s=analysis.clipped_runs[0],
            score=float(analysis.clipped_samples),
        )
    ]


def silence_findings(analysis: AudioAnalysis, max_gap_s: float = MAX_GAP_S) -> list[Finding]:
    findings: list[Finding] = []
    for start, end in analysis.silences:
        length = end - start
        at_start, at_end = start <= 0.0, end >= analysis.duration - FRAME_S
        if at_start and at_end:
            findings.append(
                _finding(
                    "narration_silence",
                    "the narration is silent from start to end",
                    f"narration 0.00-{analysis.duration:.2f} s",
                    "there is no speech to publish",
                    time_s=0.0,
                    end_time_s=end,
                    score=length,
                )
            )
        elif at_start and length > MAX_LEADING_S:
            findings.append(
                _finding(
                    "narration_silence",
                    f"{length:.2f} s of silence before the first word",
                    f"narration 0.00-{end:.2f} s",
                    f"more than {MAX_LEADING_S} s loses viewers",
                    time_s=start,
                    end_time_s=end,
                    score=length,
                )
            )
        elif at_end and length > MAX_TRAILING_S:
            findings.append(
                _finding(
                    "narration_silence",
                    f"{length:.2f} s of silence after the last word",
                    f"narration {start:.2f}-{end:.2f} s",
                    f"more than {MAX_TRAILING_S} s is dead air",
                    time_s=start,
                    end_time_s=end,
                    score=length,
                )
            )
        elif not (at_start or at_end) and length > max_gap_s:
            findings.append(
                _finding(
                    "narration_silence",
                    f"{length:.2f} s silence gap",
                    f"narration {start:.2f}-{end:.2f} s",
                    f"gaps over {max_gap_s} s inside the narration sound broken",
                    time_s=start,
                    end_time_s=end,
                    score=length,
                )
            )
    return findings


def narration_duration_findings(
    analysis: AudioAnalysis,
    declared_duration: float,
    story_words: int,
    timed_words: int,
    words_per_minute: int,
    last_word_end: float,
) -> list[Finding]:
    """Duration consistent with the stored audio, with the story's length and with the voice's rate."""
    findings: list[Finding] = []
    if abs(analysis.duration - declared_duration) > DURATION_TOLERANCE_S:
        findings.append(
            _finding(
                "narration_duration",
                f"manifest says {declared_duration:.2f} s, audio is {analysis.duration:.2f} s",
                "narration manifest",
                "captions and video are timed from the manifest",
                score=analysis.duration,
            )
        )
    if last_word_end > analysis.duration + DURATION_TOLERANCE_S:
        findings.append(
            _finding(
                "narration_duration",
                f"the last word is timed at {last_word_end:.2f} s, after the audio ends",
                f"narration {analysis.duration:.2f} s",
                "word timings must lie inside the audio",
                time_s=last_word_end,
            )
        )
    expected = story_words / words_per_minute * 60.0 if words_per_minute else 0.0
    if expected:
        ratio = analysis.duration / expected
        lo, hi = WPM_RATIO_RANGE
        if not lo <= ratio <= hi:
            findings.append(
                _finding(
                    "narration_duration",
                    f"{analysis.duration:.1f} s for {story_words} words is {ratio:.2f}x the "
                    f"{expected:.1f} s expected at {words_per_minute} words per minute",
                    "whole narration",
                    f"a duration outside {lo}-{hi}x of the expected one means missing or garbled speech",
                    score=ratio,
                )
            )
    if story_words:
        coverage = timed_words / story_words
        lo, hi = WORD_COVERAGE_RANGE
        if not lo <= coverage <= hi:
            findings.append(
                _finding(
                    "narration_duration",
                    f"{timed_words} timed words for a {story_words}-word story",
                    "word timings",
                    f"coverage {coverage:.2f} outside {lo}-{hi}: words were skipped or invented",
                    score=coverage,
                )
            )
    return findings


def music_findings(
    analysis: AudioAnalysis, declared_duration: float, declared_peak_dbfs: float, narration_duration: float
) -> list[Finding]:
    findings = clipping_findings(analysis, "music")
    if analysis.duration + DURATION_TOLERANCE_S < narration_duration:
        findings.append(
            _finding(
                "music_length",
                f"music is {analysis.duration:.2f} s, narration {narration_duration:.2f} s",
                f"music end at {analysis.duration:.2f} s",
                "the bed must last as long as the narration",
                time_s=analysis.duration,
                score=analysis.duration,
            )
        )
    elif analysis.duration > narration_duration + MAX_MUSIC_TAIL_S:
        findings.append(
            _finding(
                "music_length",
                f"music is {analysis.duration - narration_duration:.1f} s longer than the narration",
                "music tail",
                f"a tail over {MAX_MUSIC_TAIL_S} s means the wrong track",
                score=analysis.duration,
            )
        )
    if abs(analysis.duration - declared_duration) > DURATION_TOLERANCE_S:
        findings.append(
            _finding(
                "music_length",
                f"manifest says {declared_duration:.2f} s, audio is {analysis.duration:.2f} s",
                "music manifest",
                "the mix is timed from the manifest",
                score=analysis.duration,
            )
        )
    if np.isfinite(analysis.peak_dbfs) and abs(analysis.peak_dbfs - declared_peak_dbfs) > PEAK_TOLERANCE_DB:
        findings.append(
            _finding(
                "music_level",
                f"peak is {analysis.peak_dbfs:.2f} dBFS, manifest says {declared_peak_dbfs:.2f} dBFS",
                "music manifest",
                "mix levels are set from the declared peak",
                score=analysis.peak_dbfs,
            )
        )
    return findings


def music_licence_findings(problems: list[LicenceProblem]) -> list[Finding]:
    """The music's licence problems (the rule lives in ``distribution.licence``) as blocking findings."""
    return [
        Finding(
            category="music_licence",
            level="severe",
            blocking=True,
            what=problem.what,
            where=f"{problem.subject} licence evidence" if problem.field != "catalog" else "catalog media_assets",
            why="music without valid licence evidence cannot be published",
            field=problem.field,
            source="catalog" if problem.field == "catalog" else "audio check",
        )
        for problem in problems
    ]
