"""The `production` resource set: PostgreSQL catalog and S3 media from the environment, local providers."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from storyvid_assets.errors import ConfigError
from storyvid_assets.resources.sets import (
    RESOURCE_SETS,
    build_resources,
    local_resources,
    production_resources,
    production_storage_resources,
)
from storyvid_assets.resources.storage.manifest_io import ManifestIOManager
from storyvid_assets.resources.storage.media_store import LocalMediaStore
from storyvid_assets.resources.storage.s3_media_store import S3MediaStore

PG_URL = "postgresql+psycopg2://storyvid:s3cret-pw@db.internal:5432/storyvid"


@pytest.fixture
def production_vars(storyvid_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYVID_CATALOG_URL", PG_URL)
    monkeypatch.setenv("STORYVID_S3_BUCKET", "storyvid-media")
    monkeypatch.delenv("STORYVID_S3_PREFIX", raising=False)
    monkeypatch.setenv("STORYVID_S3_ENDPOINT_URL", "http://127.0.0.1:9000")
    monkeypatch.setenv("STORYVID_S3_REGION", "eu-west-1")


def test_production_is_local_providers_on_postgres_and_s3(production_vars: None, storyvid_home: Path) -> None:
    resources = production_resources()
    local = local_resources()
    assert set(resources) == set(local)
    store = resources["media_store"]
    assert isinstance(store, S3MediaStore) and not isinstance(local["media_store"], S3MediaStore)
    assert (store.bucket, store.prefix) == ("storyvid-media", "storyvid/media")
    assert (store.s3.endpoint_url, store.s3.region_name) == ("http://127.0.0.1:9000", "eu-west-1")
    assert Path(store.cache_dir) == storyvid_home / "s3-cache"
    manifests = resources["manifest_io_manager"]
    assert isinstance(manifests, ManifestIOManager) and manifests.media_store is store
    # The catalog URL (it holds the password) stays an environment reference, not a value in the config.
    catalog_url = resources["catalog"].url
    assert isinstance(catalog_url, dg.EnvVar) and catalog_url.get_value() == PG_URL
    for name in ("story_writer", "speech_provider", "image_provider", "music_provider", "renderer", "publisher"):
        assert type(resources[name]) is type(local[name])


def test_build_resources_picks_production_from_storyvid_env(
    production_vars: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORYVID_ENV", "production")
    assert "production" in RESOURCE_SETS
    assert isinstance(build_resources()["media_store"], S3MediaStore)


def test_storage_composes_with_any_provider_set(production_vars: None) -> None:
    combined = local_resources(**production_storage_resources())
    assert isinstance(combined["media_store"], S3MediaStore)
    assert combined["manifest_io_manager"].media_store is combined["media_store"]
    override = production_resources(media_store=LocalMediaStore(root="/tmp/x"))
    assert isinstance(override["media_store"], LocalMediaStore)


def test_production_cloud_is_the_cloud_chains_on_production_storage(
    production_vars: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORYVID_ENV", "production-cloud")
    resources = build_resources()
    cloud = RESOURCE_SETS["cloud"]()
    assert isinstance(resources["media_store"], S3MediaStore)
    assert resources["manifest_io_manager"].media_store is resources["media_store"]
    for name in ("story_writer", "speech_provider", "image_provider", "music_provider"):
        assert type(resources[name]) is type(cloud[name])


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("STORYVID_CATALOG_URL", None, "is not set"),
        ("STORYVID_CATALOG_URL", "sqlite:////tmp/catalog.db", "is not a postgresql"),
        ("STORYVID_CATALOG_URL", "mysql://storyvid:s3cret-pw@db/storyvid", "is not a postgresql"),
        ("STORYVID_S3_BUCKET", None, "is not set"),
    ],
)
def test_missing_or_wrong_settings_name_the_variable(
    production_vars: None, monkeypatch: pytest.MonkeyPatch, variable: str, value: str | None, problem: str
) -> None:
    if value is None:
        monkeypatch.delenv(variable)
    else:
        monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=problem) as error:
        production_resources()
    assert error.value.field == variable and "Fix:" in str(error.value)
    assert "s3cret-pw" not in str(error.value)
