"""WAV bytes <-> numpy float arrays (16-bit PCM, mono or stereo)."""

from __future__ import annotations

import io
import wave

import numpy as np


def pcm16(samples: np.ndarray) -> np.ndarray:
    """Samples as little-endian int16: integer samples are already PCM (clipped to its range, never rescaled);
    float samples in [-1, 1] are scaled by 32767, rounded and clipped."""
    data = np.asarray(samples)
    if np.issubdtype(data.dtype, np.integer):
        return np.clip(data, -32768, 32767).astype("<i2")
    return np.clip(np.round(data.astype(np.float64) * 32767.0), -32768, 32767).astype("<i2")


def encode_wav(samples: np.ndarray, sample_rate: int) -> bytes:
    """16-bit PCM WAV bytes from samples of shape ``(n,)`` (mono) or ``(n, channels)``; see ``pcm16``."""
    pcm = pcm16(samples)
    if pcm.ndim not in (1, 2):
        raise ValueError(f"samples must have shape (n,) or (n, channels), got {pcm.shape}")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as wav:
        wav.setnchannels(1 if pcm.ndim == 1 else pcm.shape[1])
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm.tobytes())
    return buf.getvalue()


def decode_wav(data: bytes) -> tuple[np.ndarray, int]:
    """Decode 16-bit PCM WAV bytes to float samples in [-1, 1] and the sample rate."""
    with wave.open(io.BytesIO(data), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise ValueError(f"expected 16-bit PCM WAV, got {8 * wav.getsampwidth()}-bit")
        channels = wav.getnchannels()
        rate = wav.getframerate()
        frames = wav.readframes(wav.getnframes())
    samples = np.frombuffer(frames, dtype="<i2").astype(np.float64) / 32768.0
    if channels > 1:
        samples = samples.reshape(-1, channels)
    return samples, rate


def peak_dbfs(samples: np.ndarray) -> float:
    """Sample peak in dBFS (``-inf`` for silence)."""
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    return float("-inf") if peak == 0 else 20.0 * float(np.log10(peak))
