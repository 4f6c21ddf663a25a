"""Music beds synthesised with numpy: a chord progression per mood on a soft pad, a lead line and a bass.

Everything is vectorised per note: pads read band-limited wavetables (a sawtooth seen through a low-pass
filter, built harmonic by harmonic, so nothing aliases), leads and basses are short additive tones. The
mix gets a few stereo echo taps for space, 2 s fade-in, 3 s fade-out and is normalised to -3 dBFS.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from storyvid_assets.errors import ConfigError

SAMPLE_RATE = 44100
TARGET_PEAK_DBFS = -3.0
FADE_IN_S = 2.0
FADE_OUT_S = 3.0
MAX_DURATION_S = 2 * 3600.0
TABLE_SIZE = 2048
PAD_GAIN = 0.09  # per oscillator; the pad sits a few dB under the lead line
SYNTH_VERSION = 1  # bump when the sound changes, so licence ids of old beds stay distinct

MODES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "lydian": (0, 2, 4, 6, 7, 9, 11),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "harmonic minor": (0, 2, 3, 5, 7, 8, 11),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
}
NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII")

Lead = Literal["arpeggio", "melody", "bells", "pulse", "none"]


@dataclass(frozen=True)
class MoodProfile:
    """How one mood sounds: harmony, speed, timbre and what plays over the pad."""

    modes: tuple[str, ...]
    roots: tuple[int, ...]  # MIDI note of the tonic, pad register
    tempo: tuple[float, float]  # beats per minute
    progressions: tuple[tuple[int, ...], ...]  # scale degrees, 0-based
    beats_per_chord: int
    pad_cutoff: float  # Hz, the pad's low-pass corner
    pad_level: float
    pad_attack: float  # seconds
    sevenths: bool
    lead: Lead
    lead_level: float
    lead_octave: int  # octaves above the pad's tonic
    steps_per_beat: int  # lead rhythm grid
    bass_level: float
    boom: bool = False  # a low drum on each bar
    shaker: bool = False


PROFILES: dict[str, MoodProfile] = {
    "calm": MoodProfile(
        modes=("major", "lydian"),
        roots=(55, 57, 60, 62),
        tempo=(64, 76),
        progressions=((0, 4, 5, 3), (0, 3, 5, 4), (0, 5, 3, 4)),
        beats_per_chord=8,
        pad_cutoff=1700,
        pad_level=1.0,
        pad_attack=1.6,
        sevenths=False,
        lead="arpeggio",
        lead_level=0.42,
        lead_octave=1,
        steps_per_beat=1,
        bass_level=0.5,
    ),
    "dreamy": MoodProfile(
        modes=("lydian", "major"),
        roots=(53, 55, 58, 60),
        tempo=(56, 68),
        progressions=((0, 3, 0, 4), (0, 5, 3, 3), (0, 2, 3, 1)),
        beats_per_chord=8,
        pad_cutoff=1300,
        pad_level=1.0,
        pad_attack=2.4,
        sevenths=True,
        lead="bells",
        lead_level=0.5,
        lead_octave=1,
        steps_per_beat=2,
        bass_level=0.4,
    ),
    "tense": MoodProfile(
        modes=("harmonic minor", "phrygian"),
        roots=(50, 52, 53, 55),
        tempo=(92, 108),
        progressions=((0, 0, 5, 4), (0, 1, 0, 1), (0, 5, 1, 4)),
        beats_per_chord=4,
        pad_cutoff=850,
        pad_level=0.6,
        pad_attack=0.9,
        sevenths=False,
        lead="pulse",
        lead_level=0.5,
        lead_octave=0,
        steps_per_beat=2,
        bass_level=0.45,
    ),
    "dark": MoodProfile(
        modes=("phrygian", "minor"),
        roots=(45, 47, 48, 50),
        tempo=(50, 60),
        progressions=((0, 1, 0, 5), (0, 5, 6, 0), (0, 3, 1, 0)),
        beats_per_chord=8,
        pad_cutoff=560,
        pad_level=1.0,
        pad_attack=2.8,
        sevenths=False,
        lead="bells",
        lead_level=0.3,
        lead_octave=0,
        steps_per_beat=1,
        bass_level=0.6,
    ),
    "epic": MoodProfile(
        modes=("minor", "dorian"),
        roots=(50, 52, 55, 57),
        tempo=(80, 96),
        progressions=((0, 5, 2, 6), (0, 5, 3, 6), (0, 3, 5, 4)),
        beats_per_chord=4,
        pad_cutoff=2400,
        pad_level=0.7,
        pad_attack=0.6,
        sevenths=False,
        lead="arpeggio",
        lead_level=0.4,
        lead_octave=1,
        steps_per_beat=2,
        bass_level=0.5,
        boom=True,
    ),
    "playful": MoodProfile(
        modes=("major", "mixolydian"),
        roots=(60, 62, 64, 65),
        tempo=(112, 128),
        progressions=((0, 3, 4, 0), (0, 5, 3, 4), (0, 4, 3, 4)),
        beats_per_chord=4,
        pad_cutoff=2800,
        pad_level=0.5,
        pad_attack=0.25,
        sevenths=False,
        lead="melody",
        lead_level=0.45,
        lead_octave=1,
        steps_per_beat=2,
        bass_level=0.45,
        shaker=True,
    ),
    "melancholy": MoodProfile(
        modes=("minor", "dorian"),
        roots=(52, 53, 55, 57),
        tempo=(60, 72),
        progressions=((0, 5, 3, 4), (0, 3, 6, 2), (0, 6, 5, 4)),
        beats_per_chord=8,
        pad_cutoff=1200,
        pad_level=0.9,
        pad_attack=1.8,
        sevenths=True,
        lead="melody",
        lead_level=0.38,
        lead_octave=1,
        steps_per_beat=1,
        bass_level=0.45,
    ),
}
MOODS: tuple[str, ...] = tuple(PROFILES)


@dataclass(frozen=True)
class Arrangement:
    """The concrete choices for one bed: key, mode, tempo and progression."""

    mood: str
    tonic: int  # MIDI
    mode: str
    tempo: float
    progression: tuple[int, ...]
    seed: int

    @property
    def key_name(self) -> str:
        return f"{NOTE_NAMES[self.tonic % 12]} {self.mode}"

    def describe(self, duration: float) -> str:
        chords = "-".join(ROMAN[d % 7] for d in self.progression)
        return f"{self.mood} bed in {self.key_name}, {self.tempo:.0f} bpm, progression {chords}, {duration:.1f} s"


@dataclass(frozen=True)
class SynthBed:
    """A synthesised music bed: its samples and the arrangement and licence id behind them."""

    samples: np.ndarray  # float32, shape (n, 2), peak at TARGET_PEAK_DBFS
    sample_rate: int
    arrangement: Arrangement
    description: str
    licence_id: str


def unknown_mood(mood: str) -> ConfigError:
    return ConfigError("music settings", "music.mood", f"unknown mood {mood!r}", f"use one of {list(MOODS)}")


def arrange(mood: str, seed: int) -> Arrangement:
    """Pick key, mode, tempo and progression for ``mood`` from ``seed``."""
    profile = PROFILES.get(mood)
    if profile is None:
        raise unknown_mood(mood)
    rng = np.random.default_rng([seed, MOODS.index(mood)])
    return Arrangement(
        mood=mood,
        tonic=int(rng.choice(profile.roots)),
        mode=str(rng.choice(profile.modes)),
        tempo=round(float(rng.uniform(*profile.tempo)), 1),
        progression=profile.progressions[int(rng.integers(len(profile.progressions)))],
        seed=seed,
    )


def midi_hz(note: float) -> float:
    return 440.0 * 2.0 ** ((note - 69) / 12.0)


def degree_note(tonic: int, mode: str, degree: int) -> int:
    """MIDI note of a scale degree (any integer; wraps into higher/lower octaves)."""
    scale = MODES[mode]
    octave, step = divmod(degree, 7)
    return tonic + 12 * octave + scale[step]


def chord_notes(arr: Arrangement, degree: int, sevenths: bool) -> list[int]:
    """Triad (or seventh chord) on ``degree``, voiced close around the pad's register."""
    tones = [degree_note(arr.tonic, arr.mode, degree + k) for k in (0, 2, 4, 6)[: 4 if sevenths else 3]]
    centre = arr.tonic + 5
    voiced = []
    for note in tones:
        while note - centre > 6:
            note -= 12
        while centre - note > 6:
            note += 12
        voiced.append(note)
    return sorted(voiced)


# --------------------------------------------------------------------------- oscillators


_TABLES: dict[tuple[int, int], np.ndarray] = {}


def saw_table(freq: float, cutoff: float, sample_rate: int) -> np.ndarray:
    """One cycle of a sawtooth through a 2-pole low-pass at ``cutoff``, band-limited below Nyquist."""
    key = (round(freq * 4), round(cutoff))
    table = _TABLES.get(key)
    if table is None:
        n_harm = max(1, min(TABLE_SIZE // 2 - 1, int(0.45 * sample_rate / freq)))
        k = np.arange(1, n_harm + 1, dtype=np.float64)
        amp = (1.0 / k) / np.sqrt(1.0 + (k * freq / cutoff) ** 4)
        spectrum = np.zeros(TABLE_SIZE // 2 + 1, np.complex128)
        spectrum[1 : n_harm + 1] = -1j * amp * TABLE_SIZE / 2
        table = np.fft.irfft(spectrum, TABLE_SIZE).astype(np.float32)
        table = np.append(table, table[0])  # guard sample for interpolation
        _TABLES[key] = table
    return table


PHASE_BITS = 20  # fixed-point fraction of the table position


def wavetable(table: np.ndarray, freq: float, n: int, sample_rate: int, phase: float) -> np.ndarray:
    """``n`` samples of ``table`` played at ``freq``: a fixed-point phase accumulator, linear interpolation."""
    step = round(freq * TABLE_SIZE / sample_rate * (1 << PHASE_BITS))
    acc = np.arange(n, dtype=np.int64) * step + round(phase * (1 << PHASE_BITS))
    idx = ((acc >> PHASE_BITS) & (TABLE_SIZE - 1)).astype(np.intp)
    frac = (acc & ((1 << PHASE_BITS) - 1)).astype(np.float32) * np.float32(1.0 / (1 << PHASE_BITS))
    lo = table[idx]
    return lo + (table[idx + 1] - lo) * frac


def envelope(n: int, attack: int, release: int) -> np.ndarray:
    """Raised-cosine attack and release around a flat sustain."""
    env = np.ones(n, np.float32)
    a, r = min(attack, n // 2), min(release, n // 2)
    if a > 0:
        env[:a] = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, a, dtype=np.float32))
    if r > 0:
        env[n - r :] *= 0.5 + 0.5 * np.cos(np.linspace(0, np.pi, r, dtype=np.float32))
    return env


def tone(
    freq: float,
    n: int,
    sample_rate: int,
    partials: tuple[tuple[float, float, float], ...],
    attack: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """An additive note: ``partials`` are (frequency ratio, amplitude, decay time in s); ends with a short release."""
    t = np.arange(n, dtype=np.float32) / sample_rate
    out = np.zeros(n, np.float32)
    for ratio, amp, decay in partials:
        f = freq * ratio
        if f >= 0.45 * sample_rate:
            continue
        out += amp * np.exp(-t / decay) * np.sin(2 * np.pi * f * t + float(rng.uniform(0, 2 * np.pi)))
    return out * envelope(n, int(attack * sample_rate), int(0.02 * sample_rate))


BELL = ((1.0, 1.0, 1.6), (2.0, 0.35, 0.9), (3.01, 0.15, 0.5), (4.2, 0.08, 0.3))
PLUCK = ((1.0, 1.0, 0.5), (2.0, 0.45, 0.3), (3.0, 0.22, 0.18), (4.0, 0.1, 0.12))
SOFT = ((1.0, 1.0, 2.5), (2.0, 0.25, 1.2), (3.0, 0.08, 0.8))
BASS = ((1.0, 1.0, 3.0), (2.0, 0.3, 1.5), (3.0, 0.06, 0.8))


# --------------------------------------------------------------------------- parts


class Mix:
    """A stereo float32 buffer that notes are added into at sample offsets (normalised once at the end)."""

    def __init__(self, n: int) -> None:
        self.buf = np.zeros((n, 2), np.float32)

    def add(self, start: int, mono: np.ndarray, pan: float = 0.0, gain: float = 1.0) -> None:
        """Add ``mono`` at ``start``; ``pan`` in -1 (left) .. 1 (right), constant-power."""
        end = min(self.buf.shape[0], start + mono.size)
        if end <= start:
            return
        seg = mono[: end - start] * gain
        angle = (pan + 1) * np.pi / 4
        self.buf[start:end, 0] += seg * math.cos(angle)
        self.buf[start:end, 1] += seg * math.sin(angle)


def chord_plan(arr: Arrangement, profile: MoodProfile, n: int, sr: int) -> list[tuple[int, int, int]]:
    """``(start sample, length in samples, degree)`` for every chord until the bed is covered."""
    chord_len = round(profile.beats_per_chord * 60.0 / arr.tempo * sr)
    count = n // chord_len + 1
    return [(i * chord_len, chord_len, arr.progression[i % len(arr.progression)]) for i in range(count)]


def render_pad(
    mix: Mix,
    arr: Arrangement,
    profile: MoodProfile,
    chords: list[tuple[int, int, int]],
    sr: int,
    rng: np.random.Generator,
) -> None:
    release = int(1.8 * sr)
    attack = int(profile.pad_attack * sr)
    detune = 2.0 ** (7.0 / 1200.0)  # +-7 cents: slow chorus beating
    for start, length, degree in chords:
        notes = chord_notes(arr, degree, profile.sevenths)
        n = length + release
        env = envelope(n, attack, release)
        for note in notes:
            f = midi_hz(note)
            table = saw_table(f, profile.pad_cutoff, sr)
            for ratio, pan in ((1 / detune, -0.7), (detune, 0.7)):
                voice = wavetable(table, f * ratio, n, sr, float(rng.uniform(0, TABLE_SIZE)))
                mix.add(start, voice * env, pan=pan, gain=profile.pad_level * PAD_GAIN)
        root = degree_note(arr.tonic, arr.mode, degree) - 12
        sub = wavetable(saw_table(midi_hz(root), profile.pad_cutoff * 0.5, sr), midi_hz(root), n, sr, 0.0)
        mix.add(start, sub * env, gain=profile.pad_level * PAD_GAIN * 0.6)


def render_bass(
    mix: Mix,
    arr: Arrangement,
    profile: MoodProfile,
    chords: list[tuple[int, int, int]],
    sr: int,
    rng: np.random.Generator,
) -> None:
    if profile.bass_level <= 0:
        return
    beat = 60.0 / arr.tempo * sr
    for start, length, degree in chords:
        root = degree_note(arr.tonic, arr.mode, degree) - 24
        if profile.beats_per_chord >= 8:  # slow moods: one long note per chord
            hits = [(0.0, float(length), root)]
        else:  # root on the downbeat, fifth on beat 3
            fifth = degree_note(arr.tonic, arr.mode, degree + 4) - 24
            hits = [
                (b * beat, beat * (1.8 if b % 2 == 0 else 0.9), root if b % 4 != 2 else fifth)
                for b in range(profile.beats_per_chord)
            ]
        for offset, dur, note in hits:
            n = int(dur)
            mix.add(start + int(offset), tone(midi_hz(note), n, sr, BASS, 0.03, rng), gain=profile.bass_level * 0.5)


def motif(rng: np.random.Generator, steps: int) -> list[tuple[int, int, int]]:
    """A phrase of ``(step, length in steps, scale degree above the chord root)``: steps, small leaps, resolution."""
    out: list[tuple[int, int, int]] = []
    degree = int(rng.choice([0, 2, 4]))
    step = 0
    while step < steps:
        length = int(rng.choice([1, 1, 2, 2, 3, 4]))
        if rng.random() < 0.8:
            out.append((step, min(length, steps - step), degree))
        move = int(rng.choice([-2, -1, -1, 1, 1, 2, 3]))
        degree = int(np.clip(degree + move, -2, 7))
        if step + length >= steps - 1:
            degree = int(rng.choice([0, 2, 4]))  # resolve onto a chord tone
        step += length
    return out


def render_lead(
    mix: Mix,
    arr: Arrangement,
    profile: MoodProfile,
    chords: list[tuple[int, int, int]],
    sr: int,
    rng: np.random.Generator,
) -> None:
    if profile.lead == "none":
        return
    step_len = 60.0 / arr.tempo / profile.steps_per_beat * sr
    steps = profile.beats_per_chord * profile.steps_per_beat
    octave = 12 * profile.lead_octave
    phrase = motif(rng, steps)
    for i, (start, _length, degree) in enumerate(chords):
        if i % 4 == 0 and i > 0:
            phrase = motif(rng, steps)  # a new phrase every four chords
        notes = chord_notes(arr, degree, profile.sevenths)
        if profile.lead == "arpeggio":
            cycle = [*notes, notes[0] + 12, *notes[::-1][1:-1]] if len(notes) > 2 else notes
            for s in range(steps):
                note = cycle[s % len(cycle)] + octave
                n = int(step_len * 2.5)
                mix.add(
                    start + int(s * step_len),
                    tone(midi_hz(note), n, sr, PLUCK, 0.006, rng),
                    pan=float(rng.uniform(-0.4, 0.4)),
                    gain=profile.lead_level * (1.0 if s % profile.steps_per_beat == 0 else 0.7),
                )
        elif profile.lead == "bells":
            for s in range(0, steps, profile.steps_per_beat):
                if rng.random() < 0.4:
                    note = int(rng.choice(notes)) + octave + 12
                    mix.add(
                        start + int(s * step_len),
                        tone(midi_hz(note), int(3.0 * sr), sr, BELL, 0.004, rng),
                        pan=float(rng.uniform(-0.6, 0.6)),
                        gain=profile.lead_level,
                    )
        elif profile.lead == "pulse":
            root = degree_note(arr.tonic, arr.mode, degree) + octave
            fifth = degree_note(arr.tonic, arr.mode, degree + 4) + octave  # the scale's fifth above: stays in key
            for s in range(steps):
                note = fifth if s % 8 == 6 else root
                accent = 1.0 if s % 4 == 0 else 0.55
                mix.add(
                    start + int(s * step_len),
                    tone(midi_hz(note), int(step_len * 0.9), sr, PLUCK, 0.003, rng),
                    pan=-0.25 if s % 2 else 0.25,
                    gain=profile.lead_level * accent,
                )
        else:  # melody
            for s, length, rel in phrase:
                note = degree_note(arr.tonic, arr.mode, degree + rel) + octave
                n = int(step_len * (length + 1.5))
                partials = PLUCK if profile.steps_per_beat > 1 else SOFT
                mix.add(
                    start + int(s * step_len),
                    tone(midi_hz(note), n, sr, partials, 0.01, rng),
                    pan=0.15,
                    gain=profile.lead_level,
                )


def render_percussion(
    mix: Mix, arr: Arrangement, profile: MoodProfile, n_total: int, sr: int, rng: np.random.Generator
) -> None:
    beat = 60.0 / arr.tempo * sr
    if profile.boom:
        n = int(0.9 * sr)
        t = np.arange(n, dtype=np.float32) / sr
        freq = 45.0 + 40.0 * np.exp(-t / 0.05)
        boom = np.sin(2 * np.pi * np.cumsum(freq) / sr) * np.exp(-t / 0.35)
        for b in range(0, int(n_total / beat), 4):
            mix.add(int(b * beat), boom.astype(np.float32), gain=0.55)
    if profile.shaker:
        n = int(0.09 * sr)
        env = np.exp(-np.arange(n, dtype=np.float32) / (0.02 * sr))
        for b in range(int(n_total / beat * 2)):
            white = rng.standard_normal(n + 2).astype(np.float32)
            hiss = white[2:] - white[:-2]  # x[n] - x[n-2]: a band-pass peaking at a quarter of the rate
            mix.add(int(b * beat / 2), hiss * env, pan=0.35, gain=0.04 if b % 2 else 0.025)


def add_space(buf: np.ndarray, sr: int) -> np.ndarray:
    """Early reflections and a diffuse tail from a handful of cross-fed stereo echo taps."""
    out = buf.copy()
    taps = ((0.113, 0.3, False), (0.171, 0.26, True), (0.247, 0.2, False), (0.331, 0.16, True), (0.467, 0.11, False))
    for delay, gain, cross in taps:
        d = int(delay * sr)
        if d >= buf.shape[0]:
            continue
        for ch in (0, 1):
            src = buf[:-d, 1 - ch] if cross else buf[:-d, ch]
            out[d:, ch] += src * np.float32(gain)
    return out


def apply_fades(buf: np.ndarray, sr: int) -> None:
    n = buf.shape[0]
    fi, fo = min(int(FADE_IN_S * sr), n // 2), min(int(FADE_OUT_S * sr), n // 2)
    if fi > 0:
        buf[:fi] *= (0.5 - 0.5 * np.cos(np.linspace(0, np.pi, fi, dtype=np.float32)))[:, None]
    if fo > 0:
        buf[n - fo :] *= (0.5 + 0.5 * np.cos(np.linspace(0, np.pi, fo, dtype=np.float32)))[:, None]


def normalise(buf: np.ndarray, peak_dbfs: float) -> np.ndarray:
    peak = float(np.max(np.abs(buf))) if buf.size else 0.0
    if peak == 0:
        raise ValueError("synthesised bed is silent")
    return buf * np.float32(10 ** (peak_dbfs / 20.0) / peak)


def licence_id(arr: Arrangement, duration: float, sample_rate: int) -> str:
    params = {
        "mood": arr.mood,
        "tonic": arr.tonic,
        "mode": arr.mode,
        "tempo": arr.tempo,
        "progression": list(arr.progression),
        "seed": arr.seed,
        "duration": round(duration, 3),
        "sample_rate": sample_rate,
        "version": SYNTH_VERSION,
    }
    return "synth-" + hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:20]


def compose_music(mood: str, duration: float, seed: int, sample_rate: int = SAMPLE_RATE) -> SynthBed:
    """A stereo bed of at least ``duration`` seconds in ``mood``; deterministic for ``(mood, duration, seed)``."""
    if mood not in PROFILES:
        raise unknown_mood(mood)
    if not math.isfinite(duration) or duration <= 0 or duration > MAX_DURATION_S:
        raise ValueError(f"music duration must be between 0 and {MAX_DURATION_S:.0f} s, got {duration!r}")
    profile = PROFILES[mood]
    arr = arrange(mood, seed)
    n = math.ceil(duration * sample_rate)
    rng = np.random.default_rng([seed, MOODS.index(mood), 1])
    mix = Mix(n)
    chords = chord_plan(arr, profile, n, sample_rate)
    render_pad(mix, arr, profile, chords, sample_rate, rng)
    render_bass(mix, arr, profile, chords, sample_rate, rng)
    render_lead(mix, arr, profile, chords, sample_rate, rng)
    render_percussion(mix, arr, profile, n, sample_rate, rng)
    buf = add_space(mix.buf, sample_rate)
    apply_fades(buf, sample_rate)
    buf = normalise(buf, TARGET_PEAK_DBFS)
    return SynthBed(buf, sample_rate, arr, arr.describe(n / sample_rate), licence_id(arr, duration, sample_rate))
