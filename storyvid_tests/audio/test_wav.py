"""One WAV encoder for every caller: int16 PCM is written unchanged, float samples are scaled, rounded, clipped."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from storyvid_assets.audio.wav import decode_wav, encode_wav, peak_dbfs


def frames(data: bytes) -> tuple[np.ndarray, int, int]:
    with wave.open(io.BytesIO(data), "rb") as wav:
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        return pcm, wav.getnchannels(), wav.getframerate()


def test_int16_samples_are_written_unchanged() -> None:
    # The speech providers hand over int16 tracks; the second copy of encode_wav wrote them as they are,
    # the float encoder would have scaled them by 32767 and clipped every sample to full scale.
    samples = np.array([0, 1, -1, 1000, -32768, 32767], dtype=np.int16)
    pcm, channels, rate = frames(encode_wav(samples, 22050))
    assert pcm.tolist() == samples.tolist()
    assert (channels, rate) == (1, 22050)


def test_float_samples_are_scaled_rounded_and_clipped() -> None:
    # ... and it cast float samples straight to int16, so a float track in [-1, 1] came out silent.
    samples = np.array([0.0, 0.5, -0.5, 1.0, -1.0, 1.7, -1.7, 0.4 / 32767, 0.6 / 32767])
    pcm, _, _ = frames(encode_wav(samples, 16000))
    assert pcm.tolist() == [0, 16384, -16384, 32767, -32767, 32767, -32768, 0, 1]


def test_stereo_keeps_its_channels_interleaved() -> None:
    left, right = np.full(4, 0.5), np.full(4, -0.25)
    data = encode_wav(np.stack([left, right], axis=1), 44100)
    pcm, channels, _ = frames(data)
    assert channels == 2
    assert pcm.tolist() == [16384, -8192] * 4
    samples, rate = decode_wav(data)
    assert samples.shape == (4, 2) and rate == 44100


def test_more_than_two_dimensions_is_refused() -> None:
    with pytest.raises(ValueError, match=r"shape \(n,\) or \(n, channels\)"):
        encode_wav(np.zeros((2, 2, 2)), 8000)


def test_round_trip_and_peak() -> None:
    tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(8000) / 8000)
    samples, rate = decode_wav(encode_wav(tone, 8000))
    assert rate == 8000
    assert np.max(np.abs(samples - tone)) < 1e-4
    assert peak_dbfs(samples) == pytest.approx(-6.02, abs=0.01)
    assert peak_dbfs(np.zeros(10)) == float("-inf")
