"""The episode's soundtrack: narration over music ducked under speech, normalised to -14 LUFS (EBU R128).

Mixed once per episode and shared by every format (the video encodes copy the AAC stream). Normalisation is
two-pass ``loudnorm`` (measure, then apply linearly); the result is measured again with ``ebur128`` and, when
it is still off target, corrected with a plain gain below the true-peak ceiling.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import BaseModel

from storyvid_assets.render.ffmpeg import FFmpegError, run_ffmpeg
from storyvid_assets.render.probe import Loudness, measure_loudness
from storyvid_assets.render.timeline import AudioMix

SAMPLE_RATE = 48000
AAC_BITRATE = "192k"
TRUE_PEAK_MARGIN_DB = 0.5  # aim below the ceiling: AAC encoding moves peaks a little
LOUDNORM_JSON_RE = re.compile(r"\{[^{}]*\"input_i\"[^{}]*\}", re.S)


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


def _loudnorm_stats(log: str) -> dict[str, str]:
    matches = list(LOUDNORM_JSON_RE.finditer(log))
    if not matches:
        raise FFmpegError("loudnorm printed no measurement")
    return json.loads(matches[-1][0])


def mix_audio(mix: AudioMix, duration: float, work_dir: Path) -> MixedAudio:
    """Mix, normalise and encode the soundtrack to ``work_dir/mix.m4a``; returns its measured loudness."""
    raw = work_dir / "mix-raw.wav"
    target_tp = mix.true_peak_ceiling_dbtp - TRUE_PEAK_MARGIN_DB
    norm = f"loudnorm=I={mix.target_lufs}:TP={target_tp}:LRA=20"
    log = run_ffmpeg(
        [
            *_inputs(mix),
            "-filter_complex",
            f"{mix_filter(mix, duration)};[mix]asplit=2[out][measure];[measure]{norm}:print_format=json[measured]",
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
    stats = _loudnorm_stats(log)
    if stats["input_i"] in ("-inf", "inf"):
        raise FFmpegError("the narration is silent: nothing to normalise")
    measured = (
        f":measured_I={stats['input_i']}:measured_TP={stats['input_tp']}:measured_LRA={stats['input_lra']}"
        f":measured_thresh={stats['input_thresh']}:offset={stats['target_offset']}"
    )
    out = work_dir / "mix.m4a"
    _encode(raw, out, f"{norm}{measured}:linear=true,aresample={SAMPLE_RATE}")
    loudness = measure_loudness(out)
    corrected = False
    if not within_target(loudness, mix):
        gain = (
            min(mix.target_lufs - loudness.integrated_lufs, target_tp - loudness.true_peak_dbtp)
            if loudness.true_peak_dbtp > float("-inf")
            else 0.0
        )
        _encode(out, work_dir / "mix-fixed.m4a", f"volume={gain:.2f}dB")
        out = (work_dir / "mix-fixed.m4a").replace(out)
        loudness = measure_loudness(out)
        corrected = True
    raw.unlink(missing_ok=True)
    return MixedAudio(path=str(out), duration=duration, loudness=loudness, corrected=corrected)


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
