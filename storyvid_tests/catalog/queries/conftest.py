"""A migrated SQLite catalog for the query tests."""

from __future__ import annotations

import pytest

from storyvid_assets.catalog.db import migrate


@pytest.fixture
def url(sqlite_catalog_url: str) -> str:
    migrate(sqlite_catalog_url)
    return sqlite_catalog_url
