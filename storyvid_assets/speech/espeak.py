"""espeak-ng through ctypes, using the library and voice data shipped in the ``espeakng-loader`` wheel.

libespeak-ng keeps process-global state (one voice, one parameter set, one callback), so every call
takes one lock and the library is initialised once per process, on first use (never at import).
Synthesis runs in synchronous mode: ``espeak_Synth`` returns after the callback has received all audio
and the word/phoneme events, whose audio positions are the measured timings.
"""

from __future__ import annotations

import ctypes
import itertools
import threading
from ctypes import CFUNCTYPE, POINTER, Structure, Union, c_char, c_char_p, c_int, c_short, c_size_t, c_uint, c_void_p
from dataclasses import dataclass, field
from pathlib import Path

import espeakng_loader
import numpy as np

from storyvid_assets.audio.wav import encode_wav
from storyvid_assets.errors import ConfigError, ProviderError
from storyvid_assets.models import SpeechResult, VoiceSettings
from storyvid_assets.speech.timing import Mark, TimedScene, assemble_scenes, speakable_text, split_words, time_scene

PROVIDER = "espeak-ng"

# speak_lib.h (API revision 12)
AUDIO_OUTPUT_SYNCHRONOUS = 2
POS_CHARACTER = 1
espeakCHARS_UTF8 = 1
espeakINITIALIZE_PHONEME_EVENTS = 0x0001
espeakINITIALIZE_DONT_EXIT = 0x8000
espeakEVENT_LIST_TERMINATED = 0
espeakEVENT_WORD = 1
espeakEVENT_SENTENCE = 2
espeakEVENT_END = 5
espeakEVENT_MSG_TERMINATED = 6
espeakEVENT_PHONEME = 7
espeakRATE = 1
espeakPITCH = 3
EE_OK = 0

BUFFER_MS = 200  # audio handed to the callback per call; larger means fewer Python calls
MBROLA_PREFIX = "mb/"  # mbrola voices need the separate mbrola program, which is not shipped
VARIANT_DIR = "!v"  # voice variants ("en-us+f3"): files under espeak-ng-data/voices/!v


class _EventId(Union):
    _fields_ = [("number", c_int), ("name", c_char_p), ("string", c_char * 8)]


class _Event(Structure):
    _fields_ = [
        ("type", c_int),
        ("unique_identifier", c_uint),
        ("text_position", c_int),  # 1-based character (not byte) position in the UTF-8 input
        ("length", c_int),
        ("audio_position", c_int),  # milliseconds from the start of this espeak_Synth call's audio, truncated
        ("sample", c_int),  # the same position in samples: exact
        ("user_data", c_void_p),
        ("id", _EventId),
    ]


class _Voice(Structure):
    _fields_ = [
        ("name", c_char_p),
        ("languages", c_char_p),  # priority byte + language, repeated; c_char_p stops at the first one
        ("identifier", c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", c_int),
        ("spare", c_void_p),
    ]


_SynthCallback = CFUNCTYPE(c_int, POINTER(c_short), c_int, POINTER(_Event))


@dataclass(frozen=True)
class EspeakVoice:
    name: str  # "English (America)"
    identifier: str  # "gmw/en-US"
    language: str  # "en-us": the id channels use in ``narrator.voice``


@dataclass
class RawSynthesis:
    """What one ``espeak_Synth`` call produced: 16-bit samples and the events, times relative to them."""

    samples: np.ndarray
    sample_rate: int
    word_marks: list[Mark] = field(default_factory=list)
    phoneme_marks: list[Mark] = field(default_factory=list)
    sentence_marks: list[Mark] = field(default_factory=list)
    clause_ends: int = 0
    finished: bool = False


@dataclass
class _Collector:
    tag: int
    sample_rate: int
    chunks: list[bytes] = field(default_factory=list)
    word_marks: list[Mark] = field(default_factory=list)
    phoneme_marks: list[Mark] = field(default_factory=list)
    sentence_marks: list[Mark] = field(default_factory=list)
    clause_ends: int = 0
    finished: bool = False
    error: BaseException | None = None


class _Engine:
    """The loaded library, initialised once; use only while holding ``_LOCK``."""

    def __init__(self) -> None:
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [c_int, c_int, c_char_p, c_int]
        lib.espeak_Initialize.restype = c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [c_char_p]
        lib.espeak_SetVoiceByName.restype = c_int
        lib.espeak_SetParameter.argtypes = [c_int, c_int, c_int]
        lib.espeak_SetParameter.restype = c_int
        lib.espeak_Synth.argtypes = [c_void_p, c_size_t, c_uint, c_int, c_uint, c_uint, POINTER(c_uint), c_void_p]
        lib.espeak_Synth.restype = c_int
        lib.espeak_Synchronize.argtypes = []
        lib.espeak_Synchronize.restype = c_int
        lib.espeak_ListVoices.argtypes = [c_void_p]
        lib.espeak_ListVoices.restype = POINTER(POINTER(_Voice))
        options = espeakINITIALIZE_PHONEME_EVENTS | espeakINITIALIZE_DONT_EXIT
        rate = lib.espeak_Initialize(
            AUDIO_OUTPUT_SYNCHRONOUS, BUFFER_MS, espeakng_loader.get_data_path().encode(), options
        )
        if rate <= 0:
            raise ProviderError(PROVIDER, f"espeak_Initialize failed (returned {rate}); reinstall espeakng-loader")
        self.lib = lib
        self.sample_rate = int(rate)
        self.collector: _Collector | None = None
        self._tags = itertools.count(1)
        self._callback = _SynthCallback(self._on_synth)  # kept referenced: the library holds a raw pointer
        lib.espeak_SetSynthCallback(self._callback)
        self.voices = self._list_voices()
        variant_dir = Path(espeakng_loader.get_data_path()) / "voices" / VARIANT_DIR
        self.variants = frozenset(p.name for p in variant_dir.iterdir() if p.is_file())

    def _list_voices(self) -> list[EspeakVoice]:
        table = self.lib.espeak_ListVoices(None)
        voices = []
        for i in itertools.count():
            if not table[i]:
                break
            entry = table[i].contents
            identifier = (entry.identifier or b"").decode()
            languages = entry.languages or b""
            if identifier.startswith(MBROLA_PREFIX) or len(languages) < 2:
                continue
            voices.append(EspeakVoice((entry.name or b"").decode(), identifier, languages[1:].decode().lower()))
        return voices

    def _on_synth(self, wav: ctypes._Pointer, count: int, events: ctypes._Pointer) -> int:
        collector = self.collector
        if collector is None:
            return 0
        try:
            if not wav:
                collector.finished = True  # synchronous mode signals the end with a NULL buffer
            elif count > 0:
                collector.chunks.append(ctypes.string_at(wav, count * 2))
            i = 0
            while events[i].type != espeakEVENT_LIST_TERMINATED:
                self._record(collector, events[i])
                i += 1
        except BaseException as exc:  # an exception must not unwind through C: stop synthesis, re-raise later
            collector.error = exc
            return 1
        return 0

    @staticmethod
    def _record(collector: _Collector, event: _Event) -> None:
        if event.user_data != collector.tag:
            return
        # The sample index, not the millisecond field: that one is truncated, so every mark would be up to 1 ms early.
        mark_time = event.sample / collector.sample_rate
        position = event.text_position - 1
        if event.type == espeakEVENT_WORD:
            collector.word_marks.append(Mark(position, mark_time))
        elif event.type == espeakEVENT_PHONEME:
            name = bytes(event.id.string).split(b"\0", 1)[0].decode("utf-8", "replace")
            collector.phoneme_marks.append(Mark(position, mark_time, name))
        elif event.type == espeakEVENT_SENTENCE:
            collector.sentence_marks.append(Mark(position, mark_time))
        elif event.type == espeakEVENT_END:
            collector.clause_ends += 1
        elif event.type == espeakEVENT_MSG_TERMINATED:
            collector.finished = True

    def set_voice(self, voice: VoiceSettings) -> None:
        spoken_name = resolve_voice(self.voices, self.variants, voice.voice)
        if self.lib.espeak_SetVoiceByName(spoken_name.encode()) != EE_OK:
            raise _unknown_voice(voice.voice, self.voices)
        for parameter, value in ((espeakRATE, voice.rate), (espeakPITCH, voice.pitch)):
            if self.lib.espeak_SetParameter(parameter, value, 0) != EE_OK:
                raise ProviderError(PROVIDER, f"espeak_SetParameter({parameter}, {value}) failed")

    def synthesize(self, text: str) -> RawSynthesis:
        collector = _Collector(tag=next(self._tags), sample_rate=self.sample_rate)
        data = text.encode("utf-8")
        self.collector = collector
        try:
            code = self.lib.espeak_Synth(
                ctypes.create_string_buffer(data),
                len(data) + 1,
                0,
                POS_CHARACTER,
                0,
                espeakCHARS_UTF8,
                None,
                c_void_p(collector.tag),
            )
            if code != EE_OK:
                raise ProviderError(PROVIDER, f"espeak_Synth failed with code {code}")
            self.lib.espeak_Synchronize()
        finally:
            self.collector = None
        if collector.error is not None:
            raise ProviderError(PROVIDER, f"synthesis callback failed: {collector.error!r}") from collector.error
        if not collector.finished:
            raise ProviderError(PROVIDER, "synthesis stopped before the end of the text")
        samples = np.frombuffer(b"".join(collector.chunks), dtype="<i2").copy()
        return RawSynthesis(
            samples,
            self.sample_rate,
            collector.word_marks,
            collector.phoneme_marks,
            collector.sentence_marks,
            collector.clause_ends,
            collector.finished,
        )


_LOCK = threading.RLock()
_ENGINE: _Engine | None = None


def _engine() -> _Engine:
    """The process's engine; call with ``_LOCK`` held."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = _Engine()
    return _ENGINE


def _unknown_voice(requested: str, voices: list[EspeakVoice]) -> ConfigError:
    english = sorted(v.language for v in voices if v.language.startswith("en"))
    return ConfigError(
        "channel narrator settings",
        "narrator.voice",
        f"espeak-ng has no voice {requested!r}",
        f"use a voice id from EspeakSpeech().voices(), e.g. one of {english}, optionally with '+<variant>' "
        "from EspeakSpeech().variants() such as 'en-us+f3'",
    )


def resolve_voice(voices: list[EspeakVoice], variants: frozenset[str], requested: str) -> str:
    """The name to hand ``espeak_SetVoiceByName`` for ``requested`` (language id, identifier or voice name,
    with an optional ``+variant``); raises ``ConfigError`` naming ``narrator.voice`` if there is none.

    espeak-ng itself ignores an unknown variant silently, so variants are checked against the data files.
    """
    base, plus, variant = requested.strip().partition("+")
    lookup: dict[str, str] = {}
    for voice in voices:
        for key in (voice.language, voice.identifier.lower(), voice.name.lower()):
            lookup.setdefault(key, voice.identifier)
    identifier = lookup.get(base.lower())
    if identifier is None or (plus and variant not in variants):
        raise _unknown_voice(requested, voices)
    return identifier + (f"+{variant}" if variant else "")


def list_voices() -> list[EspeakVoice]:
    """espeak-ng's voices (mbrola voices left out: they need a program that is not installed)."""
    with _LOCK:
        return list(_engine().voices)


def list_variants() -> list[str]:
    """Voice variants that can follow a voice id after ``+`` (``en-us+f3``)."""
    with _LOCK:
        return sorted(_engine().variants)


def synthesize_text(text: str, voice: VoiceSettings) -> RawSynthesis:
    """Speak ``text`` with ``voice``: 16-bit mono samples and the word/phoneme/sentence events."""
    with _LOCK:
        engine = _engine()
        engine.set_voice(voice)
        return engine.synthesize(text)


@dataclass(frozen=True)
class EspeakNarration:
    """A narration and how its word starts were found (see ``timing.word_starts``)."""

    result: SpeechResult
    shared_words: int  # placed at a measured phoneme onset inside a run espeak-ng spoke as one word
    interpolated_words: int  # placed in proportion to letters (no phoneme boundary available)


def narrate(scenes: list[str], voice: VoiceSettings, scene_pause: float = 0.6, lead: float = 0.3) -> EspeakNarration:
    """Speak each scene with one ``espeak_Synth`` call and join them into one timed track."""
    if not scenes:
        raise ValueError("scenes: nothing to narrate; give at least one scene")
    for index, text in enumerate(scenes):
        if not split_words(text):
            raise ValueError(f"scenes[{index}] has no words to speak; give every scene some narration text")
    timed: list[TimedScene] = []
    with _LOCK:
        engine = _engine()
        engine.set_voice(voice)
        for index, text in enumerate(scenes):
            raw = engine.synthesize(speakable_text(text))
            timed.append(time_scene(text, raw.samples, raw.sample_rate, raw.word_marks, raw.phoneme_marks, index))
        sample_rate = engine.sample_rate
    track, sentences, spans = assemble_scenes(timed, sample_rate, scene_pause, lead)
    result = SpeechResult(
        wav=encode_wav(track, sample_rate),
        sample_rate=sample_rate,
        duration=round(len(track) / sample_rate, 3),
        sentences=sentences,
        scenes=spans,
        provider=PROVIDER,
        voice=voice.voice,
    )
    return EspeakNarration(result, sum(t.shared_words for t in timed), sum(t.interpolated_words for t in timed))
