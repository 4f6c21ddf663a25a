"""Caption sync benchmark (``python benchmarks/caption_sync.py``): how far the captions sit from the voice.

For each shipped channel and ``--dates`` days: the local writer's story, narrated by espeak-ng with the channel's
narrator, then mixed under the channel's music bed as an episode's soundtrack is (AAC, -14 LUFS). Measured with
``speech.sync``: utterance onsets after a pause against the caption starts (word timings), in the narration alone
and in the mixed soundtrack (onsets found in the clean voice, located in the mix by cross-correlation, as
``video_qc`` does). Also printed: the same narration read with a clock that counts each 110-sample frame as 5 ms,
which is how a 0.23 % "drift" appears in 22050 Hz audio that has none.

Writes ``benchmarks/results/caption_sync.json``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from storyvid_assets.audio.music import compose_music
from storyvid_assets.audio.wav import decode_wav, encode_wav
from storyvid_assets.channels import ChannelConfig, load_channels
from storyvid_assets.models import StoryRequest
from storyvid_assets.render.audio import mix_audio
from storyvid_assets.render.probe import decode_audio
from storyvid_assets.render.timeline import AudioMix
from storyvid_assets.resources.speech import EspeakSpeech
from storyvid_assets.speech import sync
from storyvid_assets.story.writer import generate_story

RESULTS = Path(__file__).parent / "results" / "caption_sync.json"
MIX_RATE = 16000


def _numbers(report: sync.SyncReport) -> dict[str, Any]:
    first, middle, last = report.thirds()
    return {
        "onsets": report.matched,
        "unmatched_onsets": report.unmatched_onsets,
        "median_s": round(report.median, 3),
        "p95_abs_s": round(report.p95, 3),
        "worst_s": round(report.worst, 3),
        "within_0_1_s_pct": round(100 * report.share_within(0.1), 1),
        "within_0_25_s_pct": round(100 * report.share_within(0.25), 1),
        "thirds_s": [round(first, 3), round(middle, 3), round(last, 3)],
    }


def _five_ms_clock(samples: np.ndarray, rate: int, spans: list[tuple[float, float]]) -> sync.SyncReport:
    """The measurement with frames of ``round(0.005 * rate)`` samples counted as exactly 5 ms each."""
    scale = sync.FRAME_S / (round(sync.FRAME_S * rate) / rate)
    onsets = [t * scale for t in sync.utterance_onsets(samples, rate)]
    return sync.match_onsets(onsets, sync.utterance_starts(spans))


def measure_episode(channel: ChannelConfig, day: str, work: Path) -> dict[str, Any]:
    request = StoryRequest(
        channel=channel.name,
        channel_display_name=channel.display_name,
        date=day,
        language=channel.language,
        audience=channel.audience,
        genres=channel.genres,
        theme_pool=channel.theme_pool,
    )
    story = generate_story(request)
    spoken = EspeakSpeech().synthesize([s.narration for s in story.scenes], channel.narrator)
    samples, rate = decode_wav(spoken.wav)
    spans = [(w.start, w.end) for s in spoken.sentences for w in s.words]
    voice_path, music_path = work / "voice.wav", work / "music.wav"
    voice_path.write_bytes(spoken.wav)
    bed = compose_music(channel.music.mood, spoken.duration + 2, seed=1)
    music_path.write_bytes(encode_wav(bed.samples, bed.sample_rate))
    peak = 20 * float(np.log10(max(float(np.max(np.abs(bed.samples))), 1e-9)))
    gain = channel.music.volume_db - min(peak, 0.0)
    mixed = mix_audio(
        AudioMix(narration_path=str(voice_path), music_path=str(music_path), music_gain_db=gain), spoken.duration, work
    )
    in_mix = sync.measure_sync_in_mix(
        decode_audio(Path(mixed.path), MIX_RATE), decode_audio(voice_path, MIX_RATE), MIX_RATE, spans
    )
    return {
        "channel": channel.name,
        "date": day,
        "title": story.title,
        "duration_s": spoken.duration,
        "narration": _numbers(sync.measure_sync(samples, rate, spans)),
        "mixed_soundtrack": _numbers(in_mix),
        "narration_read_with_5ms_clock": _numbers(_five_ms_clock(samples, rate, spans)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dates", type=int, default=2, help="days per channel, from --start")
    parser.add_argument("--start", default="2026-01-01")
    args = parser.parse_args()
    first = date.fromisoformat(args.start)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for channel in load_channels().values():
            for k in range(args.dates):
                row = measure_episode(channel, (first + timedelta(days=k)).isoformat(), Path(tmp))
                rows.append(row)
                for label in ("narration", "mixed_soundtrack", "narration_read_with_5ms_clock"):
                    n = row[label]
                    print(
                        f"{row['channel']:>9} {row['date']} {row['duration_s']:6.1f} s {label:>30}: thirds "
                        f"{n['thirds_s'][0]:+.3f} / {n['thirds_s'][1]:+.3f} / {n['thirds_s'][2]:+.3f} s, worst "
                        f"{n['worst_s']:+.3f} s, {n['within_0_1_s_pct']:.0f} % within ±0.1 s ({n['onsets']} onsets)"
                    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=1) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
