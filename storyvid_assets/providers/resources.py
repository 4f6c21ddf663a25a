"""The ``cloud`` resource set (``STORYVID_ENV=cloud``): fallback chains over every provider with a key.

A provider joins the chains only when its credentials are in the environment; secrets are passed as
``dg.EnvVar`` so they are read at run time and never stored in run config, logs or metadata. The local,
offline provider always closes each chain, so a channel without a ``providers:`` section and a machine
without keys still makes episodes.

Environment variables:

- ``OPENAI_API_KEY`` (stories, metadata, speech, images), ``ANTHROPIC_API_KEY``, ``MISTRAL_API_KEY``,
  ``ELEVENLABS_API_KEY`` (speech, music), ``AZURE_SPEECH_KEY`` with ``AZURE_SPEECH_REGION``;
  the SDKs' own ``OPENAI_BASE_URL`` / ``ANTHROPIC_BASE_URL`` are honoured.
- ``STORYVID_OLLAMA_URL`` and ``STORYVID_OLLAMA_MODEL``: an OpenAI-compatible local server (Ollama, vLLM).
- ``STORYVID_SDXL_DIR`` (a diffusers SDXL pipeline folder), ``STORYVID_SDXL_DEVICE`` (``cpu`` or ``cuda``).
- ``STORYVID_REDIS_URL``: share circuit-breaker state between run processes.
- ``STORYVID_PRICES_FILE``: a price table to use instead of the packaged ``providers/data/prices.yaml``.
"""

from __future__ import annotations

import os
from typing import Any

import dagster as dg

from storyvid_assets.providers.anthropic_text import AnthropicStoryWriter
from storyvid_assets.providers.azure_speech import AzureSpeech
from storyvid_assets.providers.breaker import CircuitBreaker
from storyvid_assets.providers.budget import CostLedger
from storyvid_assets.providers.cache import SpeechCache
from storyvid_assets.providers.chains import (
    FallbackImageProvider,
    FallbackMusicProvider,
    FallbackSpeechProvider,
    FallbackStoryWriter,
)
from storyvid_assets.providers.elevenlabs_speech import ElevenLabsSpeech
from storyvid_assets.providers.music_service import ElevenLabsMusic
from storyvid_assets.providers.openai_images import OpenAIImages
from storyvid_assets.providers.openai_speech import OpenAISpeech
from storyvid_assets.providers.openai_text import OpenAIStoryWriter, compatible_story_writer, mistral_story_writer
from storyvid_assets.providers.sdxl_images import SDXLImages

LOCAL = "local"


def _has(*names: str) -> bool:
    return all(os.environ.get(name) for name in names)


def story_providers() -> dict[str, Any]:
    providers: dict[str, Any] = {}
    if _has("OPENAI_API_KEY"):
        providers["openai"] = OpenAIStoryWriter(api_key=dg.EnvVar("OPENAI_API_KEY"))
    if _has("ANTHROPIC_API_KEY"):
        providers["anthropic"] = AnthropicStoryWriter(api_key=dg.EnvVar("ANTHROPIC_API_KEY"))
    if _has("MISTRAL_API_KEY"):
        providers["mistral"] = mistral_story_writer(api_key=dg.EnvVar("MISTRAL_API_KEY"))
    if _has("STORYVID_OLLAMA_URL", "STORYVID_OLLAMA_MODEL"):
        providers["ollama"] = compatible_story_writer(
            os.environ["STORYVID_OLLAMA_URL"], os.environ["STORYVID_OLLAMA_MODEL"]
        )
    return providers


def speech_providers() -> dict[str, Any]:
    providers: dict[str, Any] = {}
    if _has("ELEVENLABS_API_KEY"):
        providers["elevenlabs"] = ElevenLabsSpeech(api_key=dg.EnvVar("ELEVENLABS_API_KEY"))
    if _has("OPENAI_API_KEY"):
        providers["openai"] = OpenAISpeech(api_key=dg.EnvVar("OPENAI_API_KEY"))
    if _has("AZURE_SPEECH_KEY", "AZURE_SPEECH_REGION"):
        providers["azure"] = AzureSpeech(
            api_key=dg.EnvVar("AZURE_SPEECH_KEY"), region=os.environ["AZURE_SPEECH_REGION"]
        )
    return providers


def image_providers() -> dict[str, Any]:
    providers: dict[str, Any] = {}
    if _has("OPENAI_API_KEY"):
        providers["openai"] = OpenAIImages(api_key=dg.EnvVar("OPENAI_API_KEY"))
    if _has("STORYVID_SDXL_DIR"):
        device = os.environ.get("STORYVID_SDXL_DEVICE") or "cpu"
        providers["sdxl"] = SDXLImages(
            weights_dir=os.environ["STORYVID_SDXL_DIR"],
            device=device,
            dtype="float16" if device.startswith("cuda") else "float32",
        )
    return providers


def music_providers() -> dict[str, Any]:
    if _has("ELEVENLABS_API_KEY"):
        return {"elevenlabs-music": ElevenLabsMusic(api_key=dg.EnvVar("ELEVENLABS_API_KEY"))}
    return {}


def circuit_breaker() -> CircuitBreaker:
    redis_url = dg.EnvVar("STORYVID_REDIS_URL") if _has("STORYVID_REDIS_URL") else None
    return CircuitBreaker(redis_url=redis_url)


def cloud_resources(**overrides: Any) -> dict[str, Any]:
    """The local set with each provider replaced by a fallback chain: cloud providers first, local last.

    ``overrides`` go to the local set first (so production storage and a custom catalog reach the ledger and
    the speech cache); an override of a provider key replaces that chain.
    """
    from storyvid_assets.resources import local_resources

    base = local_resources(**overrides)
    ledger = CostLedger(catalog_url=base["catalog"].url)
    breaker = circuit_breaker()

    def chain(kind_providers: dict[str, Any], key: str) -> dict[str, Any]:
        providers = {**kind_providers, LOCAL: base[key]}
        return {
            "default_chain": list(providers),
            **{name.replace("-", "_"): p for name, p in providers.items()},
            "ledger": ledger,
            "breaker": breaker,
        }

    chained = {
        "story_writer": FallbackStoryWriter(**chain(story_providers(), "story_writer")),
        "speech_provider": FallbackSpeechProvider(
            **chain(speech_providers(), "speech_provider"), cache=SpeechCache(media_store=base["media_store"])
        ),
        "image_provider": FallbackImageProvider(**chain(image_providers(), "image_provider")),
        "music_provider": FallbackMusicProvider(**chain(music_providers(), "music_provider")),
    }
    return {**base, **{key: value for key, value in chained.items() if key not in overrides}}
