"""Caption sync measured from the audio: utterance onsets after a pause, matched to the caption starts.

The audio side knows nothing of the text. An energy envelope (RMS of short frames) is compared with a
threshold set from the recording itself (``BELOW_SPEECH_DB`` under its loud frames, but ``ABOVE_FLOOR_DB``
over its quiet ones); a stretch of at least ``MIN_PAUSE_S`` under it is a pause, and the first loud frame
after a pause is an utterance onset. The caption side is a list of timed spans (words or cues): a span that
starts at least ``REFERENCE_GAP_S`` after the previous one ended is an utterance start. Onsets and starts are
paired in order within ``MATCH_WINDOW_S`` (``match_onsets``); the offset is caption minus audio, so a negative
offset means the captions lead the voice. Under music, energy cannot tell a note from a soft consonant:
``measure_sync_in_mix`` finds the onsets in the clean voice and locates them in the mix by cross-correlation.

Frame times are counted in whole samples: a "5 ms" frame is 110 samples at 22050 Hz (4.989 ms), and
counting it as 5 ms reads a clock 0.23 % slow, an apparent drift of 0.14 s per minute.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel

FRAME_S = 0.005
MIN_PAUSE_S = 0.15  # silence at least this long before an onset
REFERENCE_GAP_S = 0.1  # a caption gap this long marks an utterance start (looser than the audio's, on purpose)
BELOW_SPEECH_DB = 30.0  # threshold: this far below the speech level ...
ABOVE_FLOOR_DB = 10.0  # ... but at least this far above the floor
SPEECH_PERCENTILE = 95.0
FLOOR_PERCENTILE = 10.0
MIN_BURST_S = 0.02  # louder stretches shorter than this (clicks) do not end a pause
MATCH_WINDOW_S = 1.0
IN_SYNC_S = 0.1
TEMPLATE_S = (0.25, 1.0)  # the voice from this long before an onset to this long after is looked for in a mix
LAG_SEARCH_S = 1.0  # ... this far either side of where the narration has it
MIN_CORRELATION = 0.5  # a weaker match is not the voice


class SyncReport(BaseModel):
    """Offsets (caption start minus audio onset, seconds) of the matched onsets, in time order."""

    onsets: list[float]  # audio onsets that found a caption start
    offsets: list[float]
    unmatched_onsets: int
    references: int  # utterance starts on the caption side

    @property
    def matched(self) -> int:
        return len(self.offsets)

    @property
    def median(self) -> float:
        return float(np.median(self.offsets)) if self.offsets else 0.0

    @property
    def p95(self) -> float:
        """95th percentile of the absolute offset."""
        return float(np.percentile(np.abs(self.offsets), 95)) if self.offsets else 0.0

    @property
    def worst(self) -> float:
        """The offset furthest from zero, with its sign."""
        return max(self.offsets, key=abs) if self.offsets else 0.0

    def share_within(self, tolerance: float = IN_SYNC_S) -> float:
        """Fraction of matched onsets whose offset is within ``±tolerance``."""
        return float(np.mean(np.abs(self.offsets) <= tolerance + 1e-9)) if self.offsets else 0.0

    def thirds(self) -> tuple[float, float, float]:
        """Median offset in the first, middle and last third of the time the onsets cover."""
        if not self.onsets:
            return (0.0, 0.0, 0.0)
        times, offsets = np.asarray(self.onsets), np.asarray(self.offsets)
        span = max(times[-1] - times[0], 1e-9)
        part = np.minimum((3 * (times - times[0]) / span).astype(int), 2)
        medians = [float(np.median(offsets[part == k])) if np.any(part == k) else 0.0 for k in range(3)]
        return medians[0], medians[1], medians[2]

    def summary(self) -> str:
        first, middle, last = self.thirds()
        return (
            f"{self.matched} onsets: median {self.median:+.3f} s, p95 {self.p95:.3f} s, worst {self.worst:+.3f} s, "
            f"{100 * self.share_within():.0f} % within ±{IN_SYNC_S:g} s; by thirds {first:+.3f} / {middle:+.3f} / "
            f"{last:+.3f} s"
        )


def frame_levels(samples: np.ndarray, sample_rate: int, frame_s: float = FRAME_S) -> tuple[np.ndarray, float]:
    """Level (dB) of each frame of mono ``samples`` and the frame's true length in seconds (whole samples)."""
    signal = samples.astype(np.float64)
    frame = max(1, round(frame_s * sample_rate))
    count = len(signal) // frame
    rms = np.sqrt((signal[: count * frame].reshape(count, frame) ** 2).mean(axis=1))
    return 20.0 * np.log10(rms + 1e-12), frame / sample_rate


def speech_threshold(levels: np.ndarray) -> float:
    """The level between pause and speech: ``BELOW_SPEECH_DB`` under the loud frames, above the floor."""
    if levels.size == 0:
        return 0.0
    speech = float(np.percentile(levels, SPEECH_PERCENTILE))
    floor = float(np.percentile(levels, FLOOR_PERCENTILE))
    return max(speech - BELOW_SPEECH_DB, floor + ABOVE_FLOOR_DB)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of equal values: (starts, lengths, values)."""
    if mask.size == 0:
        return np.array([], int), np.array([], int), np.array([], bool)
    change = np.flatnonzero(mask[1:] != mask[:-1]) + 1
    starts = np.concatenate(([0], change))
    lengths = np.diff(np.concatenate((starts, [mask.size])))
    return starts, lengths, mask[starts]


def utterance_onsets(
    samples: np.ndarray, sample_rate: int, min_pause: float = MIN_PAUSE_S, frame_s: float = FRAME_S
) -> list[float]:
    """Times (s) where sound starts after at least ``min_pause`` under the speech threshold (or the start)."""
    levels, frame_s = frame_levels(samples, sample_rate, frame_s)
    starts, lengths, values = _runs(levels >= speech_threshold(levels))
    values = values & (lengths >= max(1, round(MIN_BURST_S / frame_s)))  # a click is part of the pause around it
    pause_frames = round(min_pause / frame_s)
    onsets: list[float] = []
    quiet = pause_frames  # the start of the audio counts as a pause
    for start, length, is_loud in zip(starts, lengths, values, strict=True):
        if not is_loud:
            quiet += int(length)
            continue
        if quiet >= pause_frames:
            onsets.append(round(float(start) * frame_s, 5))
        quiet = 0
    return onsets


def utterance_starts(spans: Sequence[tuple[float, float]], min_gap: float = REFERENCE_GAP_S) -> list[float]:
    """Starts of the spans (taken in time order) that begin at least ``min_gap`` after everything before ended."""
    starts: list[float] = []
    previous_end: float | None = None
    for start, end in sorted(spans):
        if previous_end is None or start - previous_end >= min_gap - 1e-9:
            starts.append(float(start))
        previous_end = end if previous_end is None else max(previous_end, end)
    return starts


def _pair_in_order(times: list[float], refs: list[float], window: float) -> list[tuple[int, int]]:
    """Order-keeping pairs (onset index, start index) of least cost: distance per pair, ``window / 2`` per
    onset or start left alone, no pair further apart than ``window``."""
    n, m = len(times), len(refs)
    skip = window / 2
    cost = [[skip * (i + j) if i == 0 or j == 0 else 0.0 for j in range(m + 1)] for i in range(n + 1)]
    move = [[2 if i == 0 else 1 for _ in range(m + 1)] for i in range(n + 1)]  # 0: pair, 1: onset alone, 2: start
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            distance = abs(refs[j - 1] - times[i - 1])
            best, step = cost[i - 1][j] + skip, 1
            if cost[i][j - 1] + skip < best:
                best, step = cost[i][j - 1] + skip, 2
            if distance <= window and cost[i - 1][j - 1] + distance < best:
                best, step = cost[i - 1][j - 1] + distance, 0
            cost[i][j], move[i][j] = best, step
    pairs: list[tuple[int, int]] = []
    i, j = n, m
    while i > 0 or j > 0:
        step = move[i][j] if i and j else (1 if i else 2)
        if step == 0:
            pairs.append((i - 1, j - 1))
        i, j = (i - 1 if step != 2 else i), (j - 1 if step != 1 else j)
    return pairs[::-1]


def match_onsets(onsets: Sequence[float], references: Sequence[float], window: float = MATCH_WINDOW_S) -> SyncReport:
    """Pair onsets with reference starts in order (no two pairs cross), each used at most once and only within
    ``window``, minimising the summed distance plus ``window / 2`` for every onset or start left alone: under a
    uniform shift every onset pairs with its own start, not with a neighbour that happens to be nearer.

    Points more than ``window`` apart from everything before them start a new, independent group.
    """
    times = sorted(float(t) for t in onsets)
    refs = sorted(float(r) for r in references)
    points = sorted([(t, 0, i) for i, t in enumerate(times)] + [(r, 1, j) for j, r in enumerate(refs)])
    groups: list[list[tuple[float, int, int]]] = []
    for point in points:
        if groups and point[0] - groups[-1][-1][0] <= window:
            groups[-1].append(point)
        else:
            groups.append([point])
    pairs: list[tuple[int, int]] = []
    for group in groups:
        onset_ids = [k for _, side, k in group if side == 0]
        ref_ids = [k for _, side, k in group if side == 1]
        local = _pair_in_order([times[k] for k in onset_ids], [refs[k] for k in ref_ids], window)
        pairs.extend((onset_ids[i], ref_ids[j]) for i, j in local)
    return SyncReport(
        onsets=[times[i] for i, _ in pairs],
        offsets=[round(refs[j] - times[i], 4) for i, j in pairs],
        unmatched_onsets=len(times) - len(pairs),
        references=len(refs),
    )


def measure_sync(
    samples: np.ndarray,
    sample_rate: int,
    spans: Sequence[tuple[float, float]],
    min_pause: float = MIN_PAUSE_S,
    window: float = MATCH_WINDOW_S,
) -> SyncReport:
    """How far the caption ``spans`` ((start, end) seconds) sit from the utterance onsets heard in ``samples``."""
    return match_onsets(utterance_onsets(samples, sample_rate, min_pause), utterance_starts(spans), window)


def voice_lag(
    mix: np.ndarray, voice: np.ndarray, sample_rate: int, at: float, search: float = LAG_SEARCH_S
) -> tuple[float, float]:
    """Where the voice around ``at`` (seconds into ``voice``) lies in ``mix``, both at ``sample_rate``:
    (seconds later than in ``voice``, normalised cross-correlation of the best match)."""
    a = max(0, round((at - TEMPLATE_S[0]) * sample_rate))
    b = min(len(voice), round((at + TEMPLATE_S[1]) * sample_rate))
    template = voice[a:b].astype(np.float64)
    template -= template.mean() if template.size else 0.0
    lo = max(0, a - round(search * sample_rate))
    region = mix[lo : min(len(mix), b + round(search * sample_rate))].astype(np.float64)
    if template.size == 0 or len(region) < template.size or not np.any(template):
        return 0.0, 0.0
    n = 1 << (len(region) + template.size - 1).bit_length()
    valid = len(region) - template.size + 1
    corr = np.fft.irfft(np.fft.rfft(region, n) * np.conj(np.fft.rfft(template, n)), n)[:valid]
    energy = np.concatenate(([0.0], np.cumsum(region**2)))
    window_energy = energy[template.size : template.size + valid] - energy[:valid]
    score = corr / (np.sqrt(np.maximum(window_energy, 1e-12)) * np.sqrt(np.sum(template**2)))
    best = int(np.argmax(score))
    return (lo + best - a) / sample_rate, float(score[best])


def measure_sync_in_mix(
    mix: np.ndarray,
    voice: np.ndarray,
    sample_rate: int,
    spans: Sequence[tuple[float, float]],
    min_pause: float = MIN_PAUSE_S,
    window: float = MATCH_WINDOW_S,
) -> SyncReport:
    """``measure_sync`` for a soundtrack where the voice shares the audio with music (``mix``), given the clean
    ``voice`` at the same ``sample_rate``.

    Energy alone cannot tell a note of the music from a soft consonant, so the onsets are found in the clean voice
    and then located in ``mix`` by cross-correlation (each onset's neighbourhood, searched ``±LAG_SEARCH_S``): the
    offsets are caption start minus onset in ``mix``. An onset whose voice is not found in ``mix`` (correlation
    under ``MIN_CORRELATION``) is left unmatched.
    """
    clean = match_onsets(utterance_onsets(voice, sample_rate, min_pause), utterance_starts(spans), window)
    onsets, offsets = [], []
    for onset, offset in zip(clean.onsets, clean.offsets, strict=True):
        lag, score = voice_lag(mix, voice, sample_rate, onset)
        if score >= MIN_CORRELATION:
            onsets.append(round(onset + lag, 5))
            offsets.append(round(offset - lag, 4))
    return SyncReport(
        onsets=onsets,
        offsets=offsets,
        unmatched_onsets=clean.unmatched_onsets + clean.matched - len(onsets),
        references=clean.references,
    )
