"""Synthesised music beds: length, level, fades, harmony and mood character."""

from __future__ import annotations

import numpy as np
import pytest

from storyvid_assets.audio.music import MODES, MOODS, SAMPLE_RATE, arrange, compose_music
from storyvid_assets.audio.wav import decode_wav, peak_dbfs
from storyvid_assets.errors import ConfigError, ProviderError
from storyvid_assets.resources.music import SynthMusic

SECONDS = 12.0


def rms_dbfs(x: np.ndarray) -> float:
    return 20.0 * float(np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-12))


def spectral_centroid(x: np.ndarray, sr: int) -> float:
    mono = x.mean(axis=1) if x.ndim == 2 else x
    mag = np.abs(np.fft.rfft(mono))
    freqs = np.fft.rfftfreq(mono.size, 1.0 / sr)
    return float((mag * freqs).sum() / mag.sum())


def onset_strength(x: np.ndarray, sr: int) -> np.ndarray:
    """Spectral flux every 10 ms: how much new energy appears, i.e. where notes start."""
    mono = x.mean(axis=1)[int(2.5 * sr) : int(9.5 * sr)]  # skip the fades
    frames = np.lib.stride_tricks.sliding_window_view(mono, 2048)[:: sr // 100] * np.hanning(2048)
    spectrum = np.log1p(np.abs(np.fft.rfft(frames, axis=1))[:, :500] * 1000)
    rise = np.diff(spectrum, axis=0).clip(min=0)
    flux = rise.sum(axis=1)
    return flux - flux.mean()


def autocorrelation(flux: np.ndarray) -> np.ndarray:
    ac = np.correlate(flux, flux, "full")[flux.size - 1 :]
    return ac / ac[0]


def rhythmic(x: np.ndarray, sr: int) -> float:
    """How strongly note onsets repeat (peak onset autocorrelation at 0.1-1.5 s lags)."""
    return float(autocorrelation(onset_strength(x, sr))[10:150].max())


def beat_period(x: np.ndarray, sr: int) -> float:
    """The most regular spacing of onsets between 0.2 and 1 s, in seconds."""
    ac = autocorrelation(onset_strength(x, sr))
    return (int(np.argmax(ac[20:100])) + 20) / 100


@pytest.fixture(scope="module")
def beds() -> dict[str, np.ndarray]:
    return {mood: compose_music(mood, SECONDS, 7).samples for mood in MOODS}


def test_provider_returns_a_stereo_wav_at_least_as_long_as_asked() -> None:
    result = SynthMusic().compose("calm", 9.3, 1)
    samples, rate = decode_wav(result.wav)
    assert rate == result.sample_rate == SAMPLE_RATE
    assert samples.ndim == 2 and samples.shape[1] == 2
    assert samples.shape[0] / rate >= 9.3
    assert result.duration == pytest.approx(samples.shape[0] / rate)
    assert result.provider == "storyvid-synth"


@pytest.mark.parametrize("mood", MOODS)
def test_every_mood_is_normalised_below_clipping_and_audible(mood: str, beds: dict[str, np.ndarray]) -> None:
    x = beds[mood]
    assert x.shape == (int(np.ceil(SECONDS * SAMPLE_RATE)), 2)
    assert -3.5 < peak_dbfs(x) <= -1.0
    assert -30.0 < rms_dbfs(x) < -9.0


def test_reported_peak_matches_the_wav() -> None:
    result = SynthMusic().compose("epic", 6.0, 2)
    samples, _ = decode_wav(result.wav)
    assert result.peak_dbfs == pytest.approx(peak_dbfs(samples), abs=0.01)
    assert result.peak_dbfs <= -1.0
    assert np.max(np.abs(samples)) < 0.99


@pytest.mark.parametrize("mood", ["calm", "tense"])
def test_fades_in_and_out(mood: str, beds: dict[str, np.ndarray]) -> None:
    x = beds[mood]
    tenth = SAMPLE_RATE // 10
    middle = x[x.shape[0] // 2 - SAMPLE_RATE // 2 : x.shape[0] // 2 + SAMPLE_RATE // 2]
    assert rms_dbfs(x[:tenth]) < rms_dbfs(middle) - 20
    assert rms_dbfs(x[-tenth:]) < rms_dbfs(middle) - 20


def test_moods_sound_different(beds: dict[str, np.ndarray]) -> None:
    centroid = {m: spectral_centroid(x, SAMPLE_RATE) for m, x in beds.items()}
    assert centroid["playful"] > 2 * centroid["dark"]
    assert centroid["dreamy"] > 1.5 * centroid["tense"]
    pulse = {m: rhythmic(x, SAMPLE_RATE) for m, x in beds.items()}
    assert pulse["tense"] > 2 * pulse["dark"]
    assert pulse["playful"] > 2 * pulse["dark"]


@pytest.mark.parametrize("mood", ["calm", "epic", "playful"])
def test_the_beat_is_audible_at_the_arranged_tempo(mood: str, beds: dict[str, np.ndarray]) -> None:
    beat = 60.0 / arrange(mood, 7).tempo
    ratio = beat_period(beds[mood], SAMPLE_RATE) / beat
    assert any(abs(ratio - k) < 0.05 * k for k in (0.5, 1.0, 2.0)), f"onsets repeat every {ratio:.2f} beats"


def test_playful_is_faster_than_calm() -> None:
    assert arrange("playful", 7).tempo > 1.4 * arrange("calm", 7).tempo


def test_notes_stay_in_the_key(beds: dict[str, np.ndarray]) -> None:
    """Most tonal energy (80-1500 Hz) falls on the pitch classes of the arrangement's scale."""
    for mood, x in beds.items():
        arr = arrange(mood, 7)
        scale = {(arr.tonic + step) % 12 for step in MODES[arr.mode]}
        mono = x.mean(axis=1)
        power = np.abs(np.fft.rfft(mono)) ** 2
        freqs = np.fft.rfftfreq(mono.size, 1.0 / SAMPLE_RATE)
        band = (freqs > 80) & (freqs < 1500)
        pitch_class = np.round(69 + 12 * np.log2(freqs[band] / 440.0)).astype(int) % 12
        in_key = power[band][np.isin(pitch_class, list(scale))].sum() / power[band].sum()
        assert in_key > 0.9, f"{mood}: only {in_key:.0%} of the energy is in {arr.key_name}"


def test_same_inputs_same_bed_and_licence_id() -> None:
    a, b = SynthMusic().compose("dreamy", 5.0, 11), SynthMusic().compose("dreamy", 5.0, 11)
    assert a.wav == b.wav
    assert a.licence.licence_id == b.licence.licence_id
    c = SynthMusic().compose("dreamy", 5.0, 12)
    assert c.wav != a.wav
    assert c.licence.licence_id != a.licence.licence_id


def test_licence_evidence_describes_the_piece() -> None:
    result = SynthMusic().compose("melancholy", 5.0, 3)
    licence = result.licence
    arr = arrange("melancholy", 3)
    assert licence.provider == "storyvid-synth"
    assert licence.licence_id.startswith("synth-")
    assert "free to publish" in licence.terms and "no third-party material" in licence.terms
    assert (
        "melancholy" in licence.prompt and arr.key_name in licence.prompt and f"{arr.tempo:.0f} bpm" in licence.prompt
    )
    assert licence.created_at.tzinfo is not None


def test_unknown_mood_names_the_setting_and_the_choices() -> None:
    with pytest.raises(ConfigError) as err:
        SynthMusic().compose("happy", 5.0, 0)
    message = str(err.value)
    assert "music.mood" in message and "'happy'" in message
    assert all(m in message for m in MOODS)


@pytest.mark.parametrize("duration", [0.0, -1.0, float("nan"), 1e9])
def test_impossible_durations_are_refused(duration: float) -> None:
    with pytest.raises(ProviderError, match="duration"):
        SynthMusic().compose("calm", duration, 0)
