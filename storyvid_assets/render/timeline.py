"""The timeline: everything a video is, decided in one place; the compiler only turns it into ffmpeg.

Scenes follow the narration's scene spans; transitions are centred on the pause between scenes so speech is
never cut; motion (Ken Burns zoom or pan) moves towards each image's subject so it stays in frame in every
aspect ratio; captions are the narration's word timings; cards overlay the first and last seconds (they never
lengthen the video).
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from storyvid_assets.channels import LookSettings
from storyvid_assets.models import Frozen, Narration, SceneImage, SentenceTiming, Story

TransitionKind = Literal["crossfade", "fade_black", "slide"]
MotionKind = Literal["zoom_in", "zoom_out", "pan_left", "pan_right", "pan_up", "pan_down"]
Direction = Literal["left", "right", "up", "down"]

DEFAULT_FOCUS = (0.5, 0.45)  # a little above the centre, where illustrated subjects usually sit
ZOOM_RANGE = (1.0, 1.14)
PAN_ZOOM = 1.12  # zoom held during a pan, so the view can travel without leaving the image
PAN_TRAVEL = 0.14  # how far a pan moves the view, as a fraction of the view size
FADE_IN_S = 0.4  # picture fades in from black at the very start ...
FADE_OUT_S = 0.6  # ... and out at the very end
INTRO_CARD_S = 3.0
END_CARD_S = 3.5
MIN_SCENE_S = 0.6


class Motion(Frozen):
    """A Ken Burns move over one scene's image, independent of the output aspect ratio.

    The view is centred on ``focus`` (normalised image coordinates of the subject), shifted by ``pan`` times
    the progress offset (-0.5 at the start, +0.5 at the end) in units of the view size, and clamped to the image.
    ``zoom`` 1 is the largest view of the output's aspect ratio that fits in the image.
    """

    kind: MotionKind
    focus: tuple[float, float] = DEFAULT_FOCUS
    zoom_start: float = Field(ge=1.0, le=2.0)
    zoom_end: float = Field(ge=1.0, le=2.0)
    pan: tuple[float, float] = (0.0, 0.0)


class Transition(Frozen):
    """How a scene enters; centred on ``at`` (seconds), lasting ``duration``."""

    kind: TransitionKind
    at: float
    duration: float = Field(gt=0.0, le=3.0)
    direction: Direction = "left"

    @property
    def start(self) -> float:
        return self.at - self.duration / 2

    @property
    def end(self) -> float:
        return self.at + self.duration / 2


class TimelineScene(Frozen):
    """One scene on screen from ``start`` to ``end`` (boundaries are transition centres)."""

    index: int
    image_path: str
    image_width: int = Field(gt=0)
    image_height: int = Field(gt=0)
    start: float
    end: float
    motion: Motion
    transition_in: Transition | None = None  # None for the first scene


class CaptionTrack(Frozen):
    """Burned-in captions: the narration's sentences with their word timings."""

    enabled: bool = True
    sentences: list[SentenceTiming] = Field(default_factory=list)
    style: Literal["bold", "clean", "storybook"] = "bold"
    highlight: str = "#FFD23F"


class TitleCard(Frozen):
    """Text overlaid on the picture from ``start`` to ``end`` (intro title, end card)."""

    kind: Literal["intro", "end"]
    title: str
    subtitle: str = ""
    start: float
    end: float


class AudioMix(Frozen):
    """Narration over music; the music ducks under speech and fades in and out; loudness targets."""

    narration_path: str
    music_path: str | None = None
    music_gain_db: float = -20.0
    duck_threshold: float = 0.02  # narration level (linear) above which the music ducks
    duck_ratio: float = 3.0
    music_fade_in_s: float = 1.5
    music_fade_out_s: float = 3.0
    target_lufs: float = -14.0
    lufs_tolerance: float = 1.0
    true_peak_ceiling_dbtp: float = -1.0


class Timeline(Frozen):
    """A whole episode's video, independent of format, frame rate and quality preset."""

    duration: float = Field(gt=0.0)
    scenes: list[TimelineScene] = Field(min_length=1)
    captions: CaptionTrack
    cards: list[TitleCard] = Field(default_factory=list)
    look: LookSettings = LookSettings()
    audio: AudioMix
    fade_in_s: float = FADE_IN_S
    fade_out_s: float = FADE_OUT_S

    @model_validator(mode="after")
    def _scenes_tile(self) -> Timeline:
        if abs(self.scenes[0].start) > 1e-6 or abs(self.scenes[-1].end - self.duration) > 1e-6:
            raise ValueError("scenes must start at 0 and end at the timeline's duration")
        for prev, scene in zip(self.scenes, self.scenes[1:], strict=False):
            if abs(prev.end - scene.start) > 1e-6:
                raise ValueError(f"scene {scene.index} starts at {scene.start}, previous ends at {prev.end}")
            if scene.transition_in is None:
                raise ValueError(f"scene {scene.index} needs a transition_in")
            if scene.transition_in.start < prev.start or scene.transition_in.end > scene.end:
                raise ValueError(f"transition into scene {scene.index} is longer than its neighbours")
        return self

    def intended_dark_intervals(self) -> list[tuple[float, float]]:
        """Where the picture goes dark on purpose (fades), for the black-frame check."""
        spans = [(0.0, self.fade_in_s), (self.duration - self.fade_out_s, self.duration)]
        spans += [
            (s.transition_in.start, s.transition_in.end)
            for s in self.scenes
            if s.transition_in and s.transition_in.kind == "fade_black"
        ]
        return spans


# --------------------------------------------------------------------------- building a timeline


def speech_gap(sentences: list[SentenceTiming], boundary: float) -> tuple[float, float]:
    """The silence around ``boundary``: end of the last word before it and start of the first word after it."""
    words = [w for s in sentences for w in s.words]
    before = max((w.end for w in words if w.end <= boundary + 1e-6), default=boundary)
    after = min((w.start for w in words if w.start >= boundary - 1e-6), default=boundary)
    if after < before:
        return boundary, boundary
    return before, after


def choose_motion(kind: MotionKind, focus: tuple[float, float] | None) -> Motion:
    """The move for ``kind``, aimed at the subject (or a default focus)."""
    focus = focus or DEFAULT_FOCUS
    focus = (min(max(focus[0], 0.0), 1.0), min(max(focus[1], 0.0), 1.0))
    low, high = ZOOM_RANGE
    pans: dict[str, tuple[float, float]] = {
        "pan_left": (-PAN_TRAVEL, 0.0),
        "pan_right": (PAN_TRAVEL, 0.0),
        "pan_up": (0.0, -PAN_TRAVEL),
        "pan_down": (0.0, PAN_TRAVEL),
    }
    if kind == "zoom_in":
        return Motion(kind=kind, focus=focus, zoom_start=low, zoom_end=high)
    if kind == "zoom_out":
        return Motion(kind=kind, focus=focus, zoom_start=high, zoom_end=low)
    return Motion(kind=kind, focus=focus, zoom_start=PAN_ZOOM, zoom_end=PAN_ZOOM, pan=pans[kind])


def motion_sequence(count: int, seed: int) -> list[MotionKind]:
    """Varied moves: zooms and pans alternate, no move repeats its predecessor, the first scene zooms in."""
    rng = random.Random(seed)
    zooms: list[MotionKind] = ["zoom_in", "zoom_out"]
    pans: list[MotionKind] = ["pan_left", "pan_right", "pan_up", "pan_down"]
    kinds: list[MotionKind] = ["zoom_in"]
    for i in range(1, count):
        pool = [k for k in (pans if i % 2 else zooms) if k != kinds[-1]]
        kinds.append(rng.choice(pool))
    return kinds[:count]


def choose_transition(mood: str, beat: str, gap: float, index: int) -> tuple[TransitionKind, float, Direction]:
    """Kind, duration and direction of the transition into a scene, from its mood and beat."""
    directions: list[Direction] = ["left", "up", "right", "down"]
    tense = mood in {"tense", "dark", "scary", "eerie", "ominous", "urgent", "epic"}
    if beat in {"climax", "resolution"} and gap >= 0.35:
        return "fade_black", min(0.8, max(0.35, gap)), "left"
    if tense and index % 2 == 0:
        return "slide", 0.5, directions[(index // 2) % len(directions)]
    return "crossfade", 0.5 if tense else 0.9, "left"


def build_timeline(
    story: Story,
    narration: Narration,
    images: list[tuple[SceneImage, Path]],
    narration_path: Path,
    music_path: Path | None,
    look: LookSettings,
    captions: bool,
    channel_display_name: str,
    music_gain_db: float = -20.0,
    seed: int = 0,
) -> Timeline:
    """The episode's timeline from the story, the measured narration and the scene images."""
    by_index = {image.scene_index: (image, path) for image, path in images}
    spans = sorted(narration.scenes, key=lambda s: s.start)
    missing = [s.scene_index for s in spans if s.scene_index not in by_index]
    if missing:
        raise ValueError(f"scene_images has no image for scenes {missing}; regenerate scene_images")
    duration = narration.duration
    moods = {scene.index: scene for scene in story.scenes}
    boundaries = [0.0]
    for prev, _next in itertools.pairwise(spans):
        before, after = speech_gap(narration.sentences, prev.end)
        boundaries.append((before + after) / 2 if after > before else prev.end)
    boundaries.append(duration)
    kinds = motion_sequence(len(spans), seed)
    scenes: list[TimelineScene] = []
    for i, span in enumerate(spans):
        start, end = boundaries[i], boundaries[i + 1]
        if end - start < MIN_SCENE_S:
            raise ValueError(
                f"scene {span.scene_index} is on screen for only {end - start:.2f} s; each scene needs "
                f"at least {MIN_SCENE_S} s of narration (merge it with a neighbour in the story)"
            )
        image, path = by_index[span.scene_index]
        transition = None
        if i > 0:
            before, after = speech_gap(narration.sentences, start)
            story_scene = moods.get(span.scene_index)
            kind, length, direction = choose_transition(
                story_scene.mood if story_scene else "calm", story_scene.beat if story_scene else "", after - before, i
            )
            room = min(start - boundaries[i - 1], end - start) * 0.8  # never longer than either neighbour
            transition = Transition(kind=kind, at=start, duration=min(length, room), direction=direction)
        scenes.append(
            TimelineScene(
                index=span.scene_index,
                image_path=str(path),
                image_width=image.width,
                image_height=image.height,
                start=start,
                end=end,
                motion=choose_motion(kinds[i], image.focal_point),
                transition_in=transition,
            )
        )
    cards: list[TitleCard] = []
    if look.intro_card:
        cards.append(
            TitleCard(
                kind="intro",
                title=story.title,
                subtitle=channel_display_name,
                start=0.0,
                end=min(INTRO_CARD_S, duration * 0.3),
            )
        )
    if look.end_card:
        cards.append(
            TitleCard(
                kind="end",
                title=channel_display_name,
                subtitle="Thanks for watching",
                start=max(duration - END_CARD_S, duration * 0.7),
                end=duration,
            )
        )
    return Timeline(
        duration=duration,
        scenes=scenes,
        captions=CaptionTrack(
            enabled=captions, sentences=narration.sentences, style=look.caption_style, highlight=look.caption_highlight
        ),
        cards=cards,
        look=look,
        audio=AudioMix(
            narration_path=str(narration_path),
            music_path=str(music_path) if music_path else None,
            music_gain_db=music_gain_db,
        ),
    )
