"""Resources: one interface per provider kind; which implementation runs is configuration.

``STORYVID_ENV`` picks the resource set (``local`` by default). Environment variables (parsed in ``settings.py``):
``STORYVID_HOME`` (files), ``STORYVID_CATALOG_URL`` (catalog database URL, default SQLite in the home).

``STORYVID_MODERATION`` picks the moderation provider in every set: ``local`` (word lists, and NudeNet for the
pictures when the ``image-moderation`` extra is installed) or ``openai`` (OpenAI's moderation endpoint for text
and pictures, plus the word lists; needs ``OPENAI_API_KEY``, honours ``OPENAI_BASE_URL``). Unset: ``local`` in
the local sets, ``openai`` in the cloud sets when ``OPENAI_API_KEY`` is set.

The ``cloud`` set: fallback chains over every provider with a key. Environment variables:

- ``OPENAI_API_KEY`` (stories, metadata, speech, images, moderation), ``ANTHROPIC_API_KEY``, ``MISTRAL_API_KEY``,
  ``ELEVENLABS_API_KEY`` (speech, music), ``AZURE_SPEECH_KEY`` with ``AZURE_SPEECH_REGION``;
  the SDKs' own ``OPENAI_BASE_URL`` / ``ANTHROPIC_BASE_URL`` are honoured.
- ``STORYVID_OLLAMA_URL`` and ``STORYVID_OLLAMA_MODEL``: an OpenAI-compatible local server (Ollama, vLLM).
- ``STORYVID_SDXL_DIR`` (a diffusers SDXL pipeline folder), ``STORYVID_SDXL_DEVICE`` (``cpu`` or ``cuda``).
- ``STORYVID_REDIS_URL``: share circuit-breaker state between run processes.
- ``STORYVID_PRICES_FILE``: a price table to use instead of the packaged ``resources/data/prices.yaml``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dagster as dg

from storyvid_assets.resources.budget import CostLedger
from storyvid_assets.resources.chains import ProviderBreakers
from storyvid_assets.resources.images.chain import FallbackImageProvider
from storyvid_assets.resources.images.openai import OpenAIImages
from storyvid_assets.resources.images.sdxl import SDXLImages
from storyvid_assets.resources.music.chain import FallbackMusicProvider
from storyvid_assets.resources.music.elevenlabs import ElevenLabsMusic
from storyvid_assets.resources.speech.azure import AzureSpeech
from storyvid_assets.resources.speech.cache import SpeechCache
from storyvid_assets.resources.speech.chain import FallbackSpeechProvider
from storyvid_assets.resources.speech.elevenlabs import ElevenLabsSpeech
from storyvid_assets.resources.speech.openai import OpenAISpeech
from storyvid_assets.resources.storage.catalog import CatalogResource
from storyvid_assets.resources.story.anthropic import AnthropicStoryWriter
from storyvid_assets.resources.story.chain import FallbackStoryWriter
from storyvid_assets.resources.story.openai import OpenAIStoryWriter, compatible_story_writer, mistral_story_writer
from storyvid_assets.settings import (
    CATALOG_URL_ENV,
    ENV_ENV,
    MODERATION_ENV,
    REDIS_URL_ENV,
    S3_BUCKET_ENV,
    settings,
    storyvid_home,
)

if TYPE_CHECKING:
    from storyvid_assets.resources.moderation import ModerationProvider


def catalog_resource() -> CatalogResource:
    """The catalog at ``$STORYVID_CATALOG_URL`` (kept out of logs as an EnvVar), else SQLite in the home."""
    if settings().catalog_url:
        return CatalogResource(url=dg.EnvVar(CATALOG_URL_ENV))
    return CatalogResource(url=f"sqlite:///{storyvid_home() / 'catalog.db'}")


def local_resources(**overrides: Any) -> dict[str, Any]:
    """Everything offline: procedural writer, espeak-ng, procedural images, synthesized music, local library."""
    # Imported here so that importing one resource module does not load every provider.
    from storyvid_assets.resources.images import ProceduralImages
    from storyvid_assets.resources.music import SynthMusic
    from storyvid_assets.resources.platforms import platform_resources
    from storyvid_assets.resources.publisher import LocalPublisher
    from storyvid_assets.resources.renderer import FFmpegRenderer
    from storyvid_assets.resources.speech import EspeakSpeech
    from storyvid_assets.resources.storage.manifest_io import ManifestIOManager
    from storyvid_assets.resources.storage.media_store import LocalMediaStore
    from storyvid_assets.resources.story import LocalStoryWriter

    home = storyvid_home()
    media_store = LocalMediaStore(root=str(home / "media"))
    resources: dict[str, Any] = {
        "media_store": media_store,
        "manifest_io_manager": ManifestIOManager(media_store=media_store),
        "catalog": catalog_resource(),
        "story_writer": LocalStoryWriter(),
        "speech_provider": EspeakSpeech(),
        "image_provider": ProceduralImages(),
        "music_provider": SynthMusic(),
        "renderer": FFmpegRenderer(),
        "publisher": LocalPublisher(root=str(home / "library")),
        "moderation_provider": moderation_provider(cloud=False),
        "metrics_provider": metrics_provider(),
        **platform_resources(),  # YouTube/Instagram/TikTok/Facebook; skipped when their credentials are absent
    }
    resources.update(overrides)
    return resources


def moderation_provider(cloud: bool) -> ModerationProvider:
    """``STORYVID_MODERATION``: ``local`` or ``openai``; unset, ``openai`` only in a cloud set with a key."""
    from storyvid_assets.errors import ConfigError
    from storyvid_assets.resources.moderation import LocalModeration, OpenAIModeration

    env = settings()
    has_key = env.has("OPENAI_API_KEY")
    choice = env.moderation or ("openai" if cloud and has_key else "local")
    if choice == "local":
        return LocalModeration()
    if not has_key:
        raise ConfigError(
            "environment",
            MODERATION_ENV,
            "is openai but OPENAI_API_KEY is not set",
            f"set OPENAI_API_KEY (and OPENAI_BASE_URL for a compatible server), or set {MODERATION_ENV}=local",
        )
    base_url = {"base_url": env.openai_base_url} if env.openai_base_url else {}
    return OpenAIModeration(api_key=dg.EnvVar("OPENAI_API_KEY"), **base_url)


def metrics_provider() -> Any:
    """``STORYVID_METRICS``: simulated (default in the local set), platforms (default elsewhere) or csv."""
    from storyvid_assets.resources.metrics import CsvMetrics, SimulatedAudience
    from storyvid_assets.resources.metrics.platforms import PlatformMetrics

    env = settings()
    choice = env.metrics or ("simulated" if env.env == "local" else "platforms")
    if choice == "csv":
        return CsvMetrics(inbox=str(env.metrics_inbox or storyvid_home() / "analytics" / "inbox"))
    return PlatformMetrics() if choice == "platforms" else SimulatedAudience()


def production_storage_resources() -> dict[str, Any]:
    """PostgreSQL catalog and S3 media (with the manifest IO manager on it), configured from the environment.

    Needs ``STORYVID_CATALOG_URL`` (postgresql://...) and ``STORYVID_S3_BUCKET``; optional ``STORYVID_S3_PREFIX``
    (default ``storyvid/media``), ``STORYVID_S3_ENDPOINT_URL`` (MinIO etc.), ``STORYVID_S3_REGION``. Credentials
    come from the default AWS chain. Combine with any provider set: ``some_set(**production_storage_resources())``.
    """
    from dagster_aws.s3 import S3Resource

    from storyvid_assets.errors import ConfigError
    from storyvid_assets.resources.storage.manifest_io import ManifestIOManager
    from storyvid_assets.resources.storage.s3_media_store import S3MediaStore

    env = settings()
    fix_url = f"set {CATALOG_URL_ENV}=postgresql+psycopg2://USER:PASSWORD@HOST:5432/DB"
    if env.catalog_url is None:
        raise ConfigError("environment", CATALOG_URL_ENV, "is not set; the production catalog is PostgreSQL", fix_url)
    if not env.catalog_url.get_secret_value().startswith("postgresql"):
        raise ConfigError("environment", CATALOG_URL_ENV, "is not a postgresql:// URL", fix_url)
    if env.s3_bucket is None:
        raise ConfigError(
            "environment",
            S3_BUCKET_ENV,
            "is not set; production media live in S3",
            f"set {S3_BUCKET_ENV} to an existing bucket (and AWS credentials)",
        )
    media_store = S3MediaStore(
        s3=S3Resource(endpoint_url=env.s3_endpoint_url, region_name=env.s3_region),
        bucket=env.s3_bucket,
        prefix=env.s3_prefix,
        cache_dir=str(storyvid_home() / "s3-cache"),
    )
    return {
        "media_store": media_store,
        "manifest_io_manager": ManifestIOManager(media_store=media_store),
        "catalog": CatalogResource(url=dg.EnvVar(CATALOG_URL_ENV)),
    }


def production_resources(**overrides: Any) -> dict[str, Any]:
    """The local (offline) providers on production storage: PostgreSQL catalog, S3 media."""
    return local_resources(**{**production_storage_resources(), **overrides})


def production_cloud_resources(**overrides: Any) -> dict[str, Any]:
    """The cloud provider chains on production storage: PostgreSQL catalog, S3 media."""
    return cloud_resources(**{**production_storage_resources(), **overrides})


LOCAL = "local"


def story_providers() -> dict[str, Any]:
    providers: dict[str, Any] = {}
    env = settings()
    if env.has("OPENAI_API_KEY"):
        providers["openai"] = OpenAIStoryWriter(api_key=dg.EnvVar("OPENAI_API_KEY"))
    if env.has("ANTHROPIC_API_KEY"):
        providers["anthropic"] = AnthropicStoryWriter(api_key=dg.EnvVar("ANTHROPIC_API_KEY"))
    if env.has("MISTRAL_API_KEY"):
        providers["mistral"] = mistral_story_writer(api_key=dg.EnvVar("MISTRAL_API_KEY"))
    if env.ollama_url and env.ollama_model:
        providers["ollama"] = compatible_story_writer(env.ollama_url, env.ollama_model)
    return providers


def speech_providers() -> dict[str, Any]:
    providers: dict[str, Any] = {}
    env = settings()
    if env.has("ELEVENLABS_API_KEY"):
        providers["elevenlabs"] = ElevenLabsSpeech(api_key=dg.EnvVar("ELEVENLABS_API_KEY"))
    if env.has("OPENAI_API_KEY"):
        providers["openai"] = OpenAISpeech(api_key=dg.EnvVar("OPENAI_API_KEY"))
    if env.has("AZURE_SPEECH_KEY") and env.azure_speech_region:
        providers["azure"] = AzureSpeech(api_key=dg.EnvVar("AZURE_SPEECH_KEY"), region=env.azure_speech_region)
    return providers


def image_providers() -> dict[str, Any]:
    providers: dict[str, Any] = {}
    env = settings()
    if env.has("OPENAI_API_KEY"):
        providers["openai"] = OpenAIImages(api_key=dg.EnvVar("OPENAI_API_KEY"))
    if env.sdxl_dir:
        providers["sdxl"] = SDXLImages(
            weights_dir=env.sdxl_dir,
            device=env.sdxl_device,
            dtype="float16" if env.sdxl_device.startswith("cuda") else "float32",
        )
    return providers


def music_providers() -> dict[str, Any]:
    if settings().has("ELEVENLABS_API_KEY"):
        return {"elevenlabs-music": ElevenLabsMusic(api_key=dg.EnvVar("ELEVENLABS_API_KEY"))}
    return {}


def circuit_breaker() -> ProviderBreakers:
    redis_url = dg.EnvVar(REDIS_URL_ENV) if settings().redis_url else None
    return ProviderBreakers(redis_url=redis_url)


def cloud_resources(**overrides: Any) -> dict[str, Any]:
    """The local set with each provider replaced by a fallback chain: cloud providers first, local last.

    ``overrides`` go to the local set first (so production storage and a custom catalog reach the ledger and
    the speech cache); an override of a provider key replaces that chain.
    """
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
        "moderation_provider": moderation_provider(cloud=True),
    }
    return {**base, **{key: value for key, value in chained.items() if key not in overrides}}


RESOURCE_SETS = {
    "local": local_resources,
    "production": production_resources,
    "cloud": cloud_resources,
    "production-cloud": production_cloud_resources,
}


def build_resources() -> dict[str, Any]:
    env = settings().env
    if env not in RESOURCE_SETS:
        raise ValueError(f"{ENV_ENV}={env!r} is not a known environment; use one of {sorted(RESOURCE_SETS)}")
    return RESOURCE_SETS[env]()
