"""The soundtrack: narration over ducked music, -14 LUFS ±1 and true peak <= -1 dBTP by ffmpeg's own measurement."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from storyvid_assets.audio.wav import encode_wav
from storyvid_assets.render.audio import mix_audio
from storyvid_assets.render.ffmpeg import FFmpegError, ffmpeg_exe
from storyvid_assets.render.probe import measure_loudness
from storyvid_assets.render.timeline import AudioMix
from storyvid_tests.samples import music_wav, speech_like_wav, synthetic_timings

RATE = 22050


def _decode(path: Path, rate: int = 48000) -> np.ndarray:
    raw = subprocess.run(
        [ffmpeg_exe(), "-loglevel", "error", "-i", str(path), "-ac", "1", "-ar", str(rate), "-f", "f32le", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, dtype="<f4")


def _tone_level_db(samples: np.ndarray, freq: float, rate: int = 48000) -> float:
    t = np.arange(len(samples)) / rate
    amplitude = 2 * abs(np.mean(samples * np.exp(-2j * np.pi * freq * t)))
    return 20 * np.log10(max(amplitude, 1e-9))


@pytest.mark.parametrize("music_gain_db", [-20.0, -6.0])
def test_mix_is_normalised_to_target(tmp_path: Path, music_gain_db: float) -> None:
    sentences, _ = synthetic_timings(3, 20.0, seed=2)
    (tmp_path / "voice.wav").write_bytes(speech_like_wav(sentences, 20.0))
    (tmp_path / "music.wav").write_bytes(music_wav(22.0))
    mix = AudioMix(
        narration_path=str(tmp_path / "voice.wav"), music_path=str(tmp_path / "music.wav"), music_gain_db=music_gain_db
    )
    result = mix_audio(mix, 20.0, tmp_path)
    measured = measure_loudness(Path(result.path))  # measured again here, not taken from the result
    assert abs(measured.integrated_lufs - (-14.0)) <= 1.0, measured
    assert measured.true_peak_dbtp <= -1.0, measured
    assert abs(len(_decode(Path(result.path))) / 48000 - 20.0) < 0.05


def test_music_ducks_under_speech_and_fades(tmp_path: Path) -> None:
    t = np.arange(8 * RATE) / RATE
    speaking = (t % 4) < 2  # speech 0-2 s and 4-6 s, silence 2-4 s and 6-8 s
    (tmp_path / "voice.wav").write_bytes(encode_wav(0.5 * np.sin(2 * np.pi * 1000 * t) * speaking, RATE))
    (tmp_path / "music.wav").write_bytes(
        encode_wav(0.5 * np.sin(2 * np.pi * 220 * np.arange(10 * 44100) / 44100), 44100)
    )
    mix = AudioMix(
        narration_path=str(tmp_path / "voice.wav"),
        music_path=str(tmp_path / "music.wav"),
        music_gain_db=-10.0,
        music_fade_in_s=0.5,
        music_fade_out_s=1.0,
    )
    samples = _decode(Path(mix_audio(mix, 8.0, tmp_path).path))

    def music_db(a: float, b: float) -> float:
        return _tone_level_db(samples[int(a * 48000) : int(b * 48000)], 220.0)

    under_speech, in_pause = music_db(4.8, 5.8), music_db(2.9, 3.9)
    assert in_pause - under_speech >= 6.0, (under_speech, in_pause)
    assert music_db(0.0, 0.1) < in_pause - 10  # fade in
    assert music_db(7.85, 8.0) < in_pause - 10  # fade out


def test_silent_narration_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "voice.wav").write_bytes(encode_wav(np.zeros(RATE * 2), RATE))
    with pytest.raises(FFmpegError, match="silent"):
        mix_audio(AudioMix(narration_path=str(tmp_path / "voice.wav")), 2.0, tmp_path)


def test_peaky_narration_is_limited_under_the_ceiling(tmp_path: Path) -> None:
    """Quiet speech with loud clicks: the gain to -14 LUFS would clip the clicks, so the limiter must catch them."""
    t = np.arange(10 * RATE) / RATE
    voice = 0.05 * np.sin(2 * np.pi * 180 * t) * ((t % 1) < 0.6)
    voice[:: RATE // 2] = 0.99  # a full-scale click every half second
    (tmp_path / "voice.wav").write_bytes(encode_wav(voice, RATE))
    result = mix_audio(AudioMix(narration_path=str(tmp_path / "voice.wav")), 10.0, tmp_path)
    measured = measure_loudness(Path(result.path))
    assert abs(measured.integrated_lufs - (-14.0)) <= 1.0, measured
    assert measured.true_peak_dbtp <= -1.0, measured
