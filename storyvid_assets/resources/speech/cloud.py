"""What the cloud speech providers share: one call per scene, validation of the audio, one timed track.

Each scene is spoken by one request. Providers that return word timings (ElevenLabs) hand them over;
for the others the timings are measured by aligning the audio (``alignment.align_scene``). Scenes are
joined with the same pauses and lead-in as the local narrator, so captions line up the same way.
"""

from __future__ import annotations

import io
import wave
from abc import abstractmethod
from dataclasses import dataclass, field

import numpy as np

from storyvid_assets.audio.wav import encode_wav
from storyvid_assets.models import ProviderTier, ProviderUsage, SpeechResult, VoiceSettings
from storyvid_assets.resources.cloud import InvalidOutput, Metered, MeteredProviderError, TierModels, usage
from storyvid_assets.resources.scope import current_scope
from storyvid_assets.resources.speech import SpeechProvider
from storyvid_assets.speech.timing import TimedScene, assemble_scenes, split_words

BASE_RATE_WPM = 165  # VoiceSettings.rate that means "the provider's normal speed"
MIN_SECONDS_PER_WORD = 0.08  # less audio than this per word cannot be the whole text
SILENCE_RMS = 30.0  # int16 RMS below this is silence, not speech


@dataclass
class SceneAudio:
    """One scene as the provider returned it: mono int16 samples, and timings if the provider gave them."""

    samples: np.ndarray
    sample_rate: int
    timed: TimedScene | None = None
    units: dict[str, float] = field(default_factory=dict)


def pcm16_samples(data: bytes, what: str) -> np.ndarray:
    """Little-endian 16-bit mono PCM bytes as samples; raises ``InvalidOutput`` for something else."""
    if len(data) < 2 or len(data) % 2:
        raise InvalidOutput(f"{what}: {len(data)} bytes is not 16-bit PCM audio")
    return np.frombuffer(data, dtype="<i2").copy()


def wav_samples(data: bytes, what: str) -> tuple[np.ndarray, int]:
    """Mono 16-bit WAV bytes as (samples, sample rate); a truncated or foreign file raises ``InvalidOutput``."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise InvalidOutput(f"{what}: the answer is not a WAV file (starts {data[:12]!r})")
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
                raise InvalidOutput(
                    f"{what}: expected mono 16-bit audio, got {wav.getnchannels()} channels "
                    f"of {8 * wav.getsampwidth()}-bit"
                )
            declared = wav.getnframes()
            frames = wav.readframes(declared)
            rate = wav.getframerate()
    except (wave.Error, EOFError) as exc:
        raise InvalidOutput(f"{what}: unreadable WAV ({exc})") from None
    if declared and len(frames) < declared * 2:
        raise InvalidOutput(f"{what}: truncated WAV ({len(frames) // 2} of {declared} frames)")
    return np.frombuffer(frames, dtype="<i2").copy(), rate


def check_speech(samples: np.ndarray, sample_rate: int, text: str, what: str) -> None:
    """Raise ``InvalidOutput`` unless ``samples`` can be the whole of ``text`` spoken."""
    words = len(split_words(text))
    duration = len(samples) / sample_rate
    if duration < MIN_SECONDS_PER_WORD * words:
        raise InvalidOutput(f"{what}: {duration:.2f} s of audio cannot hold {words} words (truncated?)")
    rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if len(samples) else 0.0
    if rms < SILENCE_RMS:
        raise InvalidOutput(f"{what}: the audio is silent")


def speed_for(voice: VoiceSettings, low: float, high: float) -> float:
    """The provider speed factor for the channel's words-per-minute, within the provider's range."""
    return round(min(high, max(low, voice.rate / BASE_RATE_WPM)), 3)


class CloudSpeech(SpeechProvider):
    """A billed text-to-speech service: one model per tier, one request per scene."""

    provider_name: str
    models: TierModels
    default_voice: str  # used unless the channel's providers.voices names one for this provider
    tier: ProviderTier = "premium"
    output_retries: int = 1
    scene_pause_s: float = 0.6
    lead_s: float = 0.3

    @abstractmethod
    def speak_scene(self, text: str, voice: VoiceSettings, voice_id: str, model: str) -> SceneAudio:
        """Speak one scene; raises ``MeteredProviderError`` for an error answer, ``InvalidOutput`` for bad audio."""

    def voice_for(self, requested: str | None = None) -> str:
        return requested or current_scope().providers.voices.get(self.provider_name) or self.default_voice

    def synthesize_metered(
        self, scenes: list[str], voice: VoiceSettings, tier: ProviderTier, voice_id: str | None = None
    ) -> Metered[SpeechResult]:
        from storyvid_assets.speech.alignment import align_scene

        if not scenes:
            raise ValueError("scenes: nothing to narrate; give at least one scene")
        model = self.models.for_tier(tier)
        chosen_voice = self.voice_for(voice_id)
        spent: list[ProviderUsage] = []
        served_units: dict[str, float] = {}
        timed: list[TimedScene] = []
        rate = 0
        for index, text in enumerate(scenes):
            if not split_words(text):
                raise ValueError(f"scenes[{index}] has no words to speak; give every scene some narration text")
            audio = self._scene_with_retries(text, voice, chosen_voice, model, tier, index, spent)
            for unit, amount in audio.units.items():
                served_units[unit] = served_units.get(unit, 0.0) + amount
            if rate and audio.sample_rate != rate:
                raise MeteredProviderError(
                    self.provider_name,
                    f"scene {index} came at {audio.sample_rate} Hz, earlier scenes at {rate} Hz",
                    retryable=False,
                    usage=spent,
                )
            rate = audio.sample_rate
            if audio.timed is not None:
                sentences_here = [s.model_copy(update={"scene_index": index}) for s in audio.timed.sentences]
                timed.append(TimedScene(audio.samples, sentences_here))
            else:
                timed.append(align_scene(text, audio.samples, audio.sample_rate, index))
        track, sentences, spans = assemble_scenes(timed, rate, self.scene_pause_s, self.lead_s)
        spent.append(usage("speech", self.provider_name, model, tier, served_units))
        result = SpeechResult(
            wav=encode_wav(track, rate),
            sample_rate=rate,
            duration=round(len(track) / rate, 3),
            sentences=sentences,
            scenes=spans,
            provider=f"{self.provider_name}:{model}",
            voice=chosen_voice,
        )
        return Metered(result, spent)

    def _scene_with_retries(
        self,
        text: str,
        voice: VoiceSettings,
        voice_id: str,
        model: str,
        tier: ProviderTier,
        index: int,
        spent: list[ProviderUsage],
    ) -> SceneAudio:
        problem = ""
        for _ in range(self.output_retries + 1):
            units = {"characters": float(len(text))}
            try:
                audio = self.speak_scene(text, voice, voice_id, model)
                units = audio.units or units
                check_speech(audio.samples, audio.sample_rate, text, f"scene {index}")
                return SceneAudio(audio.samples, audio.sample_rate, audio.timed, units)
            except MeteredProviderError as exc:
                exc.usage = spent + exc.usage
                raise
            except InvalidOutput as exc:
                problem = str(exc)
                spent.append(usage("speech", self.provider_name, model, tier, units, "invalid", problem))
        raise MeteredProviderError(
            self.provider_name,
            f"no usable audio for scene {index} from {model}: {problem}",
            retryable=True,
            usage=spent,
            invalid_output=True,
        )

    def synthesize(self, scenes: list[str], voice: VoiceSettings) -> SpeechResult:
        metered = self.synthesize_metered(scenes, voice, self.tier)
        for spent in metered.usage:
            current_scope().report(spent)
        return metered.result
