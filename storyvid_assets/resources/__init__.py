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
    from storyvid_assets.resources.music import SynthMusic
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
    }
    resources.update(overrides)
    return resources


RESOURCE_SETS = {"local": local_resources}


def build_resources() -> dict[str, Any]:
    env = os.environ.get(ENV_ENV, "local")
    if env not in RESOURCE_SETS:
        raise ValueError(f"{ENV_ENV}={env!r} is not a known environment; use one of {sorted(RESOURCE_SETS)}")
    return RESOURCE_SETS[env]()
