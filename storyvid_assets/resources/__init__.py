"""Resources: one interface per provider kind; which implementation runs is configuration.

``STORYVID_ENV`` picks the resource set (``local`` by default). Environment variables read here:
``STORYVID_HOME`` (files), ``STORYVID_CATALOG_URL`` (catalog database URL, default SQLite in the home).
"""

from __future__ import annotations

import os
from typing import Any

import dagster as dg

from storyvid_assets.resources.catalog import CatalogResource
from storyvid_assets.settings import ENV_ENV, storyvid_home

CATALOG_URL_ENV = "STORYVID_CATALOG_URL"


def catalog_resource() -> CatalogResource:
    """The catalog at ``$STORYVID_CATALOG_URL`` (kept out of logs as an EnvVar), else SQLite in the home."""
    if os.environ.get(CATALOG_URL_ENV):
        return CatalogResource(url=dg.EnvVar(CATALOG_URL_ENV))
    return CatalogResource(url=f"sqlite:///{storyvid_home() / 'catalog.db'}")


def local_resources(**overrides: Any) -> dict[str, Any]:
    """Everything offline: procedural writer, espeak-ng, procedural images, synthesized music, local library."""
    # Imported here so that importing one resource module does not load every provider.
    from storyvid_assets.resources.images import ProceduralImages
    from storyvid_assets.resources.manifest_io import ManifestIOManager
    from storyvid_assets.resources.media_store import LocalMediaStore
    from storyvid_assets.resources.moderation import LocalModeration
    from storyvid_assets.resources.music import SynthMusic
    from storyvid_assets.resources.platforms import platform_resources
    from storyvid_assets.resources.publisher import LocalPublisher
    from storyvid_assets.resources.renderer import FFmpegRenderer
    from storyvid_assets.resources.speech import EspeakSpeech
    from storyvid_assets.resources.story_writer import LocalStoryWriter

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
        "moderation_provider": LocalModeration(),
        **platform_resources(),  # YouTube/Instagram/TikTok/Facebook; skipped when their credentials are absent
    }
    resources.update(overrides)
    return resources


S3_BUCKET_ENV, S3_PREFIX_ENV = "STORYVID_S3_BUCKET", "STORYVID_S3_PREFIX"
S3_ENDPOINT_ENV, S3_REGION_ENV = "STORYVID_S3_ENDPOINT_URL", "STORYVID_S3_REGION"


def production_storage_resources() -> dict[str, Any]:
    """PostgreSQL catalog and S3 media (with the manifest IO manager on it), configured from the environment.

    Needs ``STORYVID_CATALOG_URL`` (postgresql://...) and ``STORYVID_S3_BUCKET``; optional ``STORYVID_S3_PREFIX``
    (default ``storyvid/media``), ``STORYVID_S3_ENDPOINT_URL`` (MinIO etc.), ``STORYVID_S3_REGION``. Credentials
    come from the default AWS chain. Combine with any provider set: ``some_set(**production_storage_resources())``.
    """
    from dagster_aws.s3 import S3Resource

    from storyvid_assets.errors import ConfigError
    from storyvid_assets.resources.manifest_io import ManifestIOManager
    from storyvid_assets.resources.s3_media_store import S3MediaStore

    fix_url = f"set {CATALOG_URL_ENV}=postgresql+psycopg2://USER:PASSWORD@HOST:5432/DB"
    if not os.environ.get(CATALOG_URL_ENV):
        raise ConfigError("environment", CATALOG_URL_ENV, "is not set; the production catalog is PostgreSQL", fix_url)
    if not os.environ[CATALOG_URL_ENV].startswith("postgresql"):
        raise ConfigError("environment", CATALOG_URL_ENV, "is not a postgresql:// URL", fix_url)
    if not os.environ.get(S3_BUCKET_ENV):
        raise ConfigError(
            "environment",
            S3_BUCKET_ENV,
            "is not set; production media live in S3",
            f"set {S3_BUCKET_ENV} to an existing bucket (and AWS credentials)",
        )
    media_store = S3MediaStore(
        s3=S3Resource(
            endpoint_url=os.environ.get(S3_ENDPOINT_ENV) or None, region_name=os.environ.get(S3_REGION_ENV) or None
        ),
        bucket=os.environ[S3_BUCKET_ENV],
        prefix=os.environ.get(S3_PREFIX_ENV) or "storyvid/media",
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


def cloud_resources(**overrides: Any) -> dict[str, Any]:
    """Cloud AI providers (those with keys in the environment) in fallback chains ending with the local ones."""
    from storyvid_assets.providers.resources import cloud_resources as build_cloud

    return build_cloud(**overrides)


def production_cloud_resources(**overrides: Any) -> dict[str, Any]:
    """The cloud provider chains on production storage: PostgreSQL catalog, S3 media."""
    return cloud_resources(**{**production_storage_resources(), **overrides})


RESOURCE_SETS = {
    "local": local_resources,
    "production": production_resources,
    "cloud": cloud_resources,
    "production-cloud": production_cloud_resources,
}


def build_resources() -> dict[str, Any]:
    env = os.environ.get(ENV_ENV, "local")
    if env not in RESOURCE_SETS:
        raise ValueError(f"{ENV_ENV}={env!r} is not a known environment; use one of {sorted(RESOURCE_SETS)}")
    return RESOURCE_SETS[env]()
