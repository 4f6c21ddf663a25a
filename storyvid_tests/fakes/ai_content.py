"""What the AI fakes answer with: stories built to the prompt's limits, PNGs, and real synthesized speech.

Speech comes from espeak-ng with a voice different from the one StoryVid's aligner uses as its reference,
at 24 kHz like the cloud services, and the true word timings (espeak-ng's own events) are kept so tests
can check what the providers measure.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from storyvid_assets.models import VoiceSettings, WordTiming
from storyvid_assets.speech.espeak import synthesize_text
from storyvid_assets.speech.timing import speakable_text, time_scene

CLOUD_SAMPLE_RATE = 24_000
FAKE_VOICE = VoiceSettings(voice="en-us+f3", rate=175, pitch=65)  # not the aligner's reference voice

_SENTENCES = [
    "The little lantern glowed beside the quiet harbour while the tide hummed softly against the stones.",
    "Mira counted the boats one by one and whispered a gentle name for each of them.",
    "A silver gull landed on the railing and tilted its head as if it wanted to listen.",
    "Far away the lighthouse blinked twice, and the whole bay seemed to breathe more slowly.",
    "She wrapped her scarf tighter, smiled at the stars, and walked home along the sleepy lane.",
]


def story_text(scenes: int, words_per_scene: int) -> list[str]:
    """``scenes`` narrations of about ``words_per_scene`` words each, from a fixed pool of sentences."""
    words = " ".join(_SENTENCES).split()
    out = []
    for i in range(scenes):
        start = (i * 17) % len(words)
        chunk = [words[(start + k) % len(words)] for k in range(words_per_scene)]
        out.append(" ".join(chunk).rstrip(",.") + ".")
    return out


def story_json(
    genre: str, scenes: int = 6, words_per_scene: int = 60, title: str = "The Lantern by the Harbour"
) -> str:
    narrations = story_text(scenes, words_per_scene)
    beats = ["setup", "inciting_incident"] + ["rising_action"] * max(0, scenes - 4) + ["climax", "resolution"]
    return json.dumps(
        {
            "title": title,
            "logline": "A girl names every boat in the harbour and finds the one that was missing.",
            "genre": genre,
            "setting": "a small harbour town at dusk",
            "characters": [{"name": "Mira", "role": "hero", "description": "a girl in a yellow scarf"}],
            "scenes": [
                {
                    "beat": beats[i],
                    "narration": text,
                    "image_prompt": f"Mira at the harbour, scene {i + 1}",
                    "mood": "calm",
                }
                for i, text in enumerate(narrations)
            ],
        }
    )


def metadata_json(platforms: list[str]) -> str:
    return json.dumps(
        {
            "items": [
                {
                    "platform": p,
                    "title": f"The Lantern by the Harbour ({p})",
                    "description": "A calm story about a girl who names every boat.",
                    "hashtags": ["#calm", "stories"],
                }
                for p in platforms
            ]
        }
    )


def genre_from_prompt(text: str) -> str:
    match = re.search(r"Genre: one of (\[.*?\])", text)
    return json.loads(match.group(1))[0] if match else "bedtime"


def platforms_from_prompt(text: str) -> list[str]:
    match = re.search(r"Platforms: (\[.*?\])", text)
    return json.loads(match.group(1)) if match else ["local"]


def png_bytes(width: int, height: int, seed: int = 0) -> bytes:
    image = Image.new("RGB", (width, height), (20 + seed % 200, 40, 90))
    ImageDraw.Draw(image).ellipse((width // 4, height // 4, 3 * width // 4, 3 * height // 4), fill=(230, 200, 80))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass(frozen=True)
class FakeSpeech:
    """24 kHz int16 speech for a text and the true start/end of each word in it."""

    samples: np.ndarray
    words: list[WordTiming]

    @property
    def pcm(self) -> bytes:
        return self.samples.astype("<i2").tobytes()

    @property
    def duration(self) -> float:
        return len(self.samples) / CLOUD_SAMPLE_RATE


def speak(text: str, voice: VoiceSettings = FAKE_VOICE) -> FakeSpeech:
    """Synthesize ``text`` with espeak-ng, resampled to 24 kHz, with espeak-ng's measured word timings."""
    raw = synthesize_text(speakable_text(text), voice)
    timed = time_scene(text, raw.samples, raw.sample_rate, raw.word_marks, raw.phoneme_marks, 0)
    duration = len(raw.samples) / raw.sample_rate
    target = np.arange(round(duration * CLOUD_SAMPLE_RATE)) / CLOUD_SAMPLE_RATE
    source = np.arange(len(raw.samples)) / raw.sample_rate
    resampled = np.interp(target, source, raw.samples.astype(np.float64))
    samples = np.clip(np.round(resampled), -32768, 32767).astype(np.int16)
    return FakeSpeech(samples, [w for s in timed.sentences for w in s.words])


def character_alignment(text: str, speech: FakeSpeech) -> dict[str, list]:
    """ElevenLabs-style alignment: every character of ``text`` with a start and end time.

    Characters of a word share its span evenly; spaces and punctuation between words fill the gap.
    """
    starts = [0.0] * len(text)
    ends = [0.0] * len(text)
    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    word_spans = [s for s in spans if any(ch.isalnum() for ch in text[s[0] : s[1]])]
    cursor = 0.0
    char_pos = 0
    for (a, b), word in zip(word_spans, speech.words, strict=False):
        for i in range(char_pos, a):  # the gap before the word
            starts[i], ends[i] = cursor, word.start
        # the word's letters share its span; punctuation before/after them takes no time
        core = [i for i in range(a, b) if text[i].isalnum() or text[i] == "'"]
        first, last = core[0], core[-1]
        step = (word.end - word.start) / (last - first + 1)
        for i in range(a, b):
            k = min(max(i - first, 0), last - first + 1)
            starts[i] = round(word.start + k * step, 3) if i <= last else word.end
            ends[i] = round(word.start + (k + 1) * step, 3) if first <= i <= last else starts[i]
        cursor, char_pos = word.end, b
    for i in range(char_pos, len(text)):
        starts[i], ends[i] = cursor, speech.duration
    return {"characters": list(text), "character_start_times_seconds": starts, "character_end_times_seconds": ends}
