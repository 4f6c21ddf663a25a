"""Shared fixtures: a temporary StoryVid home, catalogs on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from storyvid_tests.distribution.matrix_report import (  # noqa: F401  (hooks, found by name)
    pytest_runtest_logreport,
    pytest_terminal_summary,
)
from storyvid_tests.services import PG_HOST, PG_PORT, REDIS_HOST, REDIS_PORT, require_service


@pytest.fixture
def storyvid_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ``STORYVID_HOME`` for one test; the catalog defaults to SQLite inside it."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("STORYVID_HOME", str(home))
    monkeypatch.delenv("STORYVID_CATALOG_URL", raising=False)
    monkeypatch.delenv("STORYVID_ENV", raising=False)
    return home


@pytest.fixture
def sqlite_catalog_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'catalog.db'}"


@pytest.fixture(scope="session")
def postgres_server() -> str:
    require_service("PostgreSQL", PG_HOST, PG_PORT)
    return f"postgresql+psycopg2://postgres@{PG_HOST}:{PG_PORT}"


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the real server, dropped afterwards."""
    name = f"storyvid_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(f"{postgres_server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{postgres_server}/{name}"
    finally:
        from storyvid_assets.catalog.db import get_engine

        get_engine(f"{postgres_server}/{name}").dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def redis_url() -> str:
    require_service("Redis", REDIS_HOST, REDIS_PORT)
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/0"


@pytest.fixture
def episode_resources(storyvid_home: Path) -> dict[str, Any]:
    """The local resource set with small, fast render settings (full output sizes, draft quality, 10 fps)."""
    from storyvid_assets.resources.renderer import FFmpegRenderer
    from storyvid_assets.resources.sets import local_resources

    return local_resources(renderer=FFmpegRenderer(preset="draft", fps=10))


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A real S3 wire-protocol server (moto) on a free loopback port, for the whole session."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, moto_endpoint: str) -> str:
    """Fake credentials and the moto endpoint for every boto3 client (AWS_ENDPOINT_URL_S3); returns the endpoint."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_endpoint)
    return moto_endpoint
