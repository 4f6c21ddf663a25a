"""Word timings for speech that came without them (OpenAI TTS, Azure's REST API), measured by alignment.

The text is spoken again locally by espeak-ng, whose word timings are exact for its own audio; both
recordings become MFCC frames (normalised per recording, so two different voices compare), dynamic time
warping finds the best monotonic match between them, and each word's start and end are carried over
through that match onto the provider's audio (ends then trimmed of trailing silence in the samples).
This is the method of forced aligners such as aeneas: times come from the audio, not from text length.
"""

from __future__ import annotations

import numpy as np

from storyvid_assets.models import SentenceTiming, VoiceSettings, WordTiming
from storyvid_assets.speech.timing import TimedScene, speakable_text, time_scene, trimmed_end

REFERENCE_VOICE = VoiceSettings(voice="en-us", rate=165, pitch=50)
MAX_FRAMES = 2500  # longer audio gets a longer hop so the DTW matrix stays small
MEL_BANDS = 26
MFCC_COUNT = 13
MAX_FREQ_HZ = 8000.0


def _mel(hz: np.ndarray | float) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)


def _mel_filterbank(sample_rate: int, n_fft: int) -> np.ndarray:
    top = min(MAX_FREQ_HZ, sample_rate / 2)
    points = np.linspace(_mel(0.0), _mel(top), MEL_BANDS + 2)
    hz = 700.0 * (10 ** (points / 2595.0) - 1.0)
    bins = np.floor((n_fft + 1) * hz / sample_rate).astype(int)
    bank = np.zeros((MEL_BANDS, n_fft // 2 + 1))
    for m in range(1, MEL_BANDS + 1):
        left, centre, right = bins[m - 1], bins[m], bins[m + 1]
        for k in range(left, centre):
            bank[m - 1, k] = (k - left) / max(1, centre - left)
        for k in range(centre, right):
            bank[m - 1, k] = (right - k) / max(1, right - centre)
    return bank


def mfcc(samples: np.ndarray, sample_rate: int, hop_s: float, window_s: float = 0.025) -> np.ndarray:
    """MFCC frames (``frames x 13``, first coefficient dropped, mean/variance normalised) every ``hop_s``."""
    signal = samples.astype(np.float64) / 32768.0
    signal = np.append(signal[0] if len(signal) else 0.0, signal[1:] - 0.97 * signal[:-1])
    hop = max(1, round(hop_s * sample_rate))
    window = max(hop, round(window_s * sample_rate))
    count = max(1, 1 + (len(signal) - window) // hop) if len(signal) >= window else 1
    padded = np.pad(signal, (0, max(0, (count - 1) * hop + window - len(signal))))
    index = np.arange(window)[None, :] + hop * np.arange(count)[:, None]
    frames = padded[index] * np.hamming(window)
    n_fft = 1 << (window - 1).bit_length()
    power = np.abs(np.fft.rfft(frames, n_fft)) ** 2 / n_fft
    energies = np.log(power @ _mel_filterbank(sample_rate, n_fft).T + 1e-10)
    k = np.arange(MEL_BANDS)
    dct = np.cos(np.pi / MEL_BANDS * (k[None, :] + 0.5) * np.arange(MFCC_COUNT + 1)[:, None])
    coefficients = (energies @ dct.T)[:, 1:]
    std = coefficients.std(axis=0)
    return (coefficients - coefficients.mean(axis=0)) / np.where(std > 1e-9, std, 1.0)


def dtw_path(reference: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cheapest monotonic path through the frame-distance matrix: (reference frames, target frames).

    Each row is filled at once: with ``a_j = min(D[i-1, j-1], D[i-1, j])`` and row prefix sums ``S``,
    ``D[i, j] = S_j + min_{k<=j}(a_k - S_{k-1})``, a running minimum.
    """
    n, m = len(reference), len(target)
    squared = (reference**2).sum(axis=1)[:, None] + (target**2).sum(axis=1)[None, :] - 2.0 * reference @ target.T
    cost = np.sqrt(np.maximum(squared, 0.0))
    total = np.empty((n, m))
    total[0] = np.cumsum(cost[0])
    for i in range(1, n):
        above = total[i - 1]
        diagonal = np.concatenate(([np.inf], above[:-1]))
        entry = np.minimum(above, diagonal)
        prefix = np.cumsum(cost[i])
        before = np.concatenate(([0.0], prefix[:-1]))
        total[i] = prefix + np.minimum.accumulate(entry - before)
    i, j = n - 1, m - 1
    path_i, path_j = [i], [j]
    while i > 0 or j > 0:
        if i == 0:
            j -= 1
        elif j == 0:
            i -= 1
        else:
            options = (total[i - 1, j - 1], total[i - 1, j], total[i, j - 1])
            step = int(np.argmin(options))
            if step == 0:
                i, j = i - 1, j - 1
            elif step == 1:
                i -= 1
            else:
                j -= 1
        path_i.append(i)
        path_j.append(j)
    return np.array(path_i[::-1]), np.array(path_j[::-1])


def align_scene(
    text: str, samples: np.ndarray, sample_rate: int, scene_index: int, reference_voice: VoiceSettings = REFERENCE_VOICE
) -> TimedScene:
    """Sentences and word timings for ``samples`` (speech of ``text`` by any voice), measured by alignment."""
    from storyvid_assets.speech.espeak import synthesize_text

    reference = synthesize_text(speakable_text(text), reference_voice)
    known = time_scene(
        text, reference.samples, reference.sample_rate, reference.word_marks, reference.phoneme_marks, scene_index
    )
    duration_ref = len(reference.samples) / reference.sample_rate
    duration = len(samples) / sample_rate
    hop = max(0.01, max(duration, duration_ref) / MAX_FRAMES)
    ref_frames = mfcc(reference.samples, reference.sample_rate, hop)
    target_frames = mfcc(samples, sample_rate, hop)
    path_ref, path_target = dtw_path(ref_frames, target_frames)
    first = np.full(len(ref_frames), -1)
    last = np.full(len(ref_frames), -1)
    for r, t in zip(path_ref, path_target, strict=True):
        if first[r] < 0:
            first[r] = t
        last[r] = t

    def carried(seconds: float, use_last: bool) -> float:
        frame = min(len(ref_frames) - 1, max(0, round(seconds / hop)))
        return min(duration, float((last if use_last else first)[frame]) * hop)

    sentences = []
    for sentence in known.sentences:
        words = []
        for word in sentence.words:
            start = carried(word.start, use_last=False)
            end = max(start + 0.001, carried(word.end, use_last=True))
            end = max(start + 0.001, trimmed_end(samples, sample_rate, start, end))
            words.append(WordTiming(text=word.text, start=round(start, 3), end=round(end, 3)))
        for k in range(1, len(words)):  # keep words in order after rounding
            if words[k].start < words[k - 1].start:
                words[k] = words[k].model_copy(update={"start": words[k - 1].start})
        sentences.append(
            SentenceTiming(
                text=sentence.text,
                start=words[0].start,
                end=max(w.end for w in words),
                scene_index=scene_index,
                words=words,
            )
        )
    return TimedScene(samples.astype(np.int16, copy=False), sentences)
