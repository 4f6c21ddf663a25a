"""Synthetic episode inputs for renderer tests and the render benchmark (no other provider needed).

Images are gradients with shapes and one bright subject at a known focal point; the narration is speech-like
tone bursts (one per word, pauses between sentences and scenes) with exact word timings; the music is a soft
chord. Everything is seeded, so runs are comparable.
"""

from __future__ import annotations

import hashlib
import math
import random
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from storyvid_assets.audio.wav import encode_wav
from storyvid_assets.models import (
    MediaRef,
    Narration,
    SceneImage,
    SceneSpan,
    SentenceTiming,
    Story,
    WordTiming,
)
from storyvid_assets.models import Scene as StoryScene

SAMPLE_WORDS = [
    "the",
    "little",
    "fox",
    "walked",
    "softly",
    "through",
    "silver",
    "grass",
    "under",
    "a",
    "sleepy",
    "moon",
    "and",
    "every",
    "star",
    "leaned",
    "closer",
    "to",
    "listen",
    "while",
    "the",
    "river",
    "hummed",
    "an",
    "old",
    "song",
    "about",
    "home",
]
SPEECH_RATE = 22050


def _ref(path: Path, content_type: str) -> MediaRef:
    data = path.read_bytes()
    return MediaRef(key=path.name, sha256=hashlib.sha256(data).hexdigest(), bytes=len(data), content_type=content_type)


def synthetic_image(path: Path, size: int, seed: int, focal: tuple[float, float]) -> Path:
    """A painterly-ish test image: gradient sky, soft shapes and a bright subject at ``focal``."""
    rng = random.Random(seed)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    hue = rng.random()
    base = np.stack(
        [
            80 + 120 * (0.5 + 0.5 * np.sin(2 * math.pi * (hue + 0.3 * x + 0.2 * y))),
            60 + 100 * (0.5 + 0.5 * np.sin(2 * math.pi * (hue + 0.33 + 0.25 * y))),
            90 + 130 * (0.5 + 0.5 * np.sin(2 * math.pi * (hue + 0.66 + 0.2 * x - 0.3 * y))),
        ],
        axis=-1,
    )
    image = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(24):
        cx, cy, r = rng.random() * size, rng.random() * size, size * (0.02 + 0.08 * rng.random())
        colour = tuple(rng.randrange(30, 220) for _ in range(3))
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(size / 400))
    draw = ImageDraw.Draw(image)
    fx, fy, r = focal[0] * size, focal[1] * size, size * 0.06
    draw.ellipse(
        [fx - r, fy - r, fx + r, fy + r], fill=(255, 244, 200), outline=(40, 20, 10), width=max(2, size // 200)
    )
    image.save(path, optimize=False, compress_level=1)
    return path


def synthetic_images(folder: Path, count: int, size: int = 2048, seed: int = 1) -> list[tuple[SceneImage, Path]]:
    rng = random.Random(seed)
    made = []
    for i in range(count):
        focal = (round(0.2 + 0.6 * rng.random(), 3), round(0.2 + 0.6 * rng.random(), 3))
        path = synthetic_image(folder / f"scene-{i:02d}.png", size, seed * 100 + i, focal)
        made.append(
            (
                SceneImage(
                    scene_index=i,
                    image=_ref(path, "image/png"),
                    width=size,
                    height=size,
                    prompt=f"synthetic scene {i}",
                    provider="synthetic",
                    focal_point=focal,
                ),
                path,
            )
        )
    return made


def synthetic_timings(scene_count: int, duration: float, seed: int = 1) -> tuple[list[SentenceTiming], list[SceneSpan]]:
    """Word timings filling ``duration`` seconds: ~2.6 words/s, 0.35 s between sentences, 0.7 s between scenes."""
    rng = random.Random(seed)
    sentences: list[SentenceTiming] = []
    spans: list[SceneSpan] = []
    per_scene = duration / scene_count
    t = 0.25
    for scene in range(scene_count):
        scene_start = 0.0 if scene == 0 else spans[-1].end
        scene_end = duration if scene == scene_count - 1 else (scene + 1) * per_scene
        while True:
            words = []
            for _ in range(rng.randint(5, 11)):
                length = 0.18 + 0.3 * rng.random()
                if t + length > scene_end - 0.4:
                    break
                words.append(WordTiming(text=rng.choice(SAMPLE_WORDS), start=round(t, 3), end=round(t + length, 3)))
                t += length + 0.07
            if not words:
                break
            sentences.append(
                SentenceTiming(
                    text=" ".join(w.text for w in words).capitalize() + ".",
                    start=words[0].start,
                    end=words[-1].end,
                    scene_index=scene,
                    words=words,
                )
            )
            t += 0.35
        t = scene_end + 0.35
        spans.append(SceneSpan(scene_index=scene, start=scene_start, end=scene_end))
    return sentences, spans


def speech_like_wav(sentences: list[SentenceTiming], duration: float, sample_rate: int = SPEECH_RATE) -> bytes:
    """Voiced tone bursts (with harmonics and a syllable envelope) exactly where the words are."""
    n = round(duration * sample_rate)
    out = np.zeros(n)
    rng = np.random.default_rng(3)
    for word in (w for s in sentences for w in s.words):
        a, b = round(word.start * sample_rate), min(n, round(word.end * sample_rate))
        t = np.arange(b - a) / sample_rate
        f0 = 110 + 40 * rng.random()
        tone = sum(np.sin(2 * np.pi * f0 * h * t) / h for h in range(1, 6))
        env = np.sin(np.pi * np.linspace(0, 1, b - a)) ** 0.6
        out[a:b] += 0.25 * tone * env
    return encode_wav(np.clip(out, -1, 1), sample_rate)


def music_wav(duration: float, sample_rate: int = 44100) -> bytes:
    """A soft sustained chord with slow tremolo."""
    t = np.arange(round(duration * sample_rate)) / sample_rate
    chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.18, 329.63, 440.0)) / 4
    return encode_wav(0.5 * chord * (0.75 + 0.25 * np.sin(2 * np.pi * 0.2 * t)), sample_rate)


def synthetic_story(scene_count: int, title: str = "The Fox Who Followed the Moon") -> Story:
    beats = ["setup", "inciting_incident", "rising_action", "climax", "resolution"]
    scenes = [
        StoryScene(
            index=i,
            beat=beats[min(i * len(beats) // max(scene_count, 1), len(beats) - 1)],
            narration=f"Scene {i} narration.",
            image_prompt=f"scene {i}",
            mood="calm",
        )
        for i in range(scene_count)
    ]
    return Story(
        title=title,
        logline="A fox follows the moon home.",
        genre="bedtime",
        setting="a meadow",
        characters=[],
        scenes=scenes,
        provider="synthetic",
    )


def synthetic_episode(
    folder: Path, scene_count: int = 8, duration: float = 60.0, image_size: int = 2048, seed: int = 1
) -> tuple[Story, Narration, list[tuple[SceneImage, Path]], Path, Path]:
    """Story, narration (with its WAV), scene images and a music WAV, written to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    sentences, spans = synthetic_timings(scene_count, duration, seed)
    wav = folder / "narration.wav"
    wav.write_bytes(speech_like_wav(sentences, duration))
    music = folder / "music.wav"
    music.write_bytes(music_wav(duration + 2.0))
    captions = folder / "captions.srt"
    captions.write_text("")
    narration = Narration(
        audio=_ref(wav, "audio/wav"),
        duration=duration,
        sample_rate=SPEECH_RATE,
        sentences=sentences,
        scenes=spans,
        srt=_ref(captions, "text/srt"),
        vtt=_ref(captions, "text/vtt"),
        provider="synthetic",
        voice="tones",
    )
    images = synthetic_images(folder, scene_count, image_size, seed)
    return synthetic_story(scene_count), narration, images, wav, music


def channels_with_moderation(home: Path, channel: str, settings: dict[str, Any]) -> Path:
    """A copy of the shipped channel files in ``home`` where ``channel`` has ``moderation: settings``;
    point ``STORYVID_CHANNELS_DIR`` at the returned folder."""
    import yaml

    from storyvid_assets.channels import DEFAULT_CHANNELS_DIR

    folder = home / "channels"
    folder.mkdir(exist_ok=True)
    for path in DEFAULT_CHANNELS_DIR.glob("*.yaml"):
        text = path.read_text()
        if path.stem == channel:
            text += "\n" + yaml.safe_dump({"moderation": settings})
        (folder / path.name).write_text(text)
    return folder
