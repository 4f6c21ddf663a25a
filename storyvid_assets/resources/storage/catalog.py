"""The catalog database as a Dagster resource: a SQLAlchemy URL, migrated on first use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from sqlalchemy.orm import Session

from storyvid_assets.catalog.db import migrate, session_scope


class CatalogResource(dg.ConfigurableResource):
    """SQLite file by default; PostgreSQL (or any SQLAlchemy URL) in production."""

    url: str

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        migrate(self.url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction; rolled back if the block raises, so a failed step leaves no partial rows."""
        with session_scope(self.url) as session:
            yield session
