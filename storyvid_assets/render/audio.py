"""The episode's soundtrack: narration over music ducked under speech, normalised to -14 LUFS (EBU R128).

Mixed once per episode and shared by every format (the video encodes copy the AAC stream). Normalisation is
measured, not estimated: ``ebur128`` measures the mix, a linear gain (plus a limiter only when the gain would push
peaks past the ceiling) brings it to the target, and ``ebur128`` measures the encoded result again. This is ~2x
faster than two-pass ``loudnorm``, whose analysis resamples to 192 kHz.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from storyvid_assets.render.ffmpeg import FFmpegError, run_ffmpeg
from storyvid_assets.render.probe import Loudness, measure_loudness, parse_ebur128
from storyvid_assets.render.timeline import AudioMix

SAMPLE_RATE = 48000
AAC_BITRATE = "192k"
TRUE_PEAK_MARGIN_DB = 0.5  # aim below the ceiling: AAC encoding moves peaks a little
SILENCE_LUFS = -69.0  # ebur128 reports -70 LUFS for digital silence


class MixedAudio(BaseModel):
    path: str
    duration: float
    loudness: Loudness
    corrected: bool = False  # a second, plain gain correction was needed


def mix_filter(mix: AudioMix, duration: float) -> str:
    """The filtergraph from inputs ``0:a`` (narration) and ``1:a`` (music, optional) to ``[mix]``."""
    fmt = f"aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo"
    voice = f"[0:a]{fmt},apad=whole_dur={duration:.4f},atrim=0:{duration:.4f}"
    if mix.music_path is None:
        return f"{voice}[mix]"
    fade_out_start = max(0.0, duration - mix.music_fade_out_s)
    return ";".join(
        [
            f"{voice},asplit=2[voice][key]",
            f"[1:a]{fmt},volume={mix.music_gain_db:.2f}dB,apad=whole_dur={duration:.4f},atrim=0:{duration:.4f},"
            f"afade=t=in:d={mix.music_fade_in_s:.2f},afade=t=out:st={fade_out_start:.3f}:d={mix.music_fade_out_s:.2f}[bed]",
            f"[bed][key]sidechaincompress=threshold={mix.duck_threshold}:ratio={mix.duck_ratio}:attack=20:release=400"
            f":makeup=1[ducked]",
            "[voice][ducked]amix=inputs=2:duration=first:normalize=0[mix]",
        ]
    )


def _inputs(mix: AudioMix) -> list[str]:
    args = ["-i", mix.narration_path]
    if mix.music_path is not None:
        args += ["-i", mix.music_path]
    return args


def normalise_filter(measured: Loudness, mix: AudioMix) -> str:
    """A plain gain to the target loudness, plus a peak limiter when that gain would push peaks over the ceiling."""
    gain = mix.target_lufs - measured.integrated_lufs
    target_tp = mix.true_peak_ceiling_dbtp - TRUE_PEAK_MARGIN_DB
    steps = [f"volume={gain:.2f}dB"]
    if measured.true_peak_dbtp + gain > target_tp:
        # alimiter limits sample peaks; inter-sample peaks can be ~0.5 dB higher, hence the extra margin
        steps.append(f"alimiter=limit={10 ** ((target_tp - 0.5) / 20):.4f}:level=false:attack=2:release=60")
    return ",".join(steps)


def mix_audio(mix: AudioMix, duration: float, work_dir: Path) -> MixedAudio:
    """Mix, normalise and encode the soundtrack to ``work_dir/mix.m4a``; returns its measured loudness.

    One pass mixes and measures (EBU R128 integrated loudness and true peak), a second applies the gain (and a
    limiter if needed) while encoding AAC; the result is measured again and corrected once if still off target.
    """
    raw = work_dir / "mix-raw.wav"
    log = run_ffmpeg(
        [
            *_inputs(mix),
            "-filter_complex",
            f"{mix_filter(mix, duration)};[mix]asplit=2[out][measure];"
            "[measure]ebur128=peak=true:framelog=quiet[measured]",
            "-map",
            "[out]",
            "-c:a",
            "pcm_f32le",
            "-y",
            str(raw),
            "-map",
            "[measured]",
            "-f",
            "null",
            "-",
        ]
    )
    measured = parse_ebur128(log)
    if measured.integrated_lufs <= SILENCE_LUFS:
        raise FFmpegError("the narration is silent: nothing to normalise")
    out = work_dir / "mix.m4a"
    _encode(raw, out, normalise_filter(measured, mix))
    loudness = measure_loudness(out)
    corrected = False
    if not within_target(loudness, mix):
        _encode(raw, work_dir / "mix-fixed.m4a", normalise_filter(_expected_input(measured, loudness, mix), mix))
        out = (work_dir / "mix-fixed.m4a").replace(out)
        loudness = measure_loudness(out)
        corrected = True
    raw.unlink(missing_ok=True)
    return MixedAudio(path=str(out), duration=duration, loudness=loudness, corrected=corrected)


def _expected_input(measured: Loudness, result: Loudness, mix: AudioMix) -> Loudness:
    """The input measurement corrected by how far the first attempt landed from the target (limiting, AAC)."""
    miss = result.integrated_lufs - mix.target_lufs
    overshoot = max(0.0, result.true_peak_dbtp - (mix.true_peak_ceiling_dbtp - TRUE_PEAK_MARGIN_DB))
    return measured.model_copy(
        update={
            "integrated_lufs": measured.integrated_lufs + miss,
            "true_peak_dbtp": measured.true_peak_dbtp + overshoot,
        }
    )


def _encode(source: Path, target: Path, audio_filter: str) -> None:
    run_ffmpeg(
        [
            "-i",
            str(source),
            "-af",
            audio_filter,
            "-ar",
            str(SAMPLE_RATE),
            "-c:a",
            "aac",
            "-b:a",
            AAC_BITRATE,
            "-y",
            str(target),
        ]
    )


def within_target(loudness: Loudness, mix: AudioMix) -> bool:
    """Integrated loudness within tolerance of the target and true peak at or below the ceiling."""
    return (
        abs(loudness.integrated_lufs - mix.target_lufs) <= mix.lufs_tolerance
        and loudness.true_peak_dbtp <= mix.true_peak_ceiling_dbtp
    )
