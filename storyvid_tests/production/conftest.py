"""Fixtures for the production path: an S3-compatible loopback server (moto), a fresh PostgreSQL database for a
Dagster instance, and the environment that deploy/dagster.production.yaml and the `production` set read."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from storyvid_assets.settings import REPO_ROOT
from storyvid_tests.services import PG_HOST, PG_PORT

DEPLOY_DIR = REPO_ROOT / "deploy"
RABBITMQ_HOST, RABBITMQ_PORT = "127.0.0.1", 5672


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "rabbitmq: needs the RabbitMQ server on 127.0.0.1:5672")


@cache
def admin_client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def new_bucket(endpoint: str) -> str:
    """A fresh bucket (moto keeps state per process, so every test gets its own name)."""
    name = f"storyvid-{uuid.uuid4().hex[:12]}"
    admin_client(endpoint).create_bucket(Bucket=name)
    return name


@dataclass(frozen=True)
class ProductionEnv:
    """What a production deployment on this machine looks like: a DAGSTER_HOME, databases and buckets."""

    dagster_home: Path
    db_name: str
    catalog_url: str
    media_bucket: str
    logs_bucket: str
    endpoint: str


@pytest.fixture
def production_env(
    postgres_server: str, aws_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ProductionEnv]:
    """A fresh PostgreSQL database, two buckets, and every variable deploy/README.md tells an operator to set;
    ``$DAGSTER_HOME/dagster.yaml`` is a copy of deploy/dagster.production.yaml."""
    db_name = f"storyvid_prod_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(f"{postgres_server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{db_name}"'))
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(DEPLOY_DIR / "dagster.production.yaml", dagster_home / "dagster.yaml")
    env = ProductionEnv(
        dagster_home=dagster_home,
        db_name=db_name,
        catalog_url=f"{postgres_server}/{db_name}",
        media_bucket=new_bucket(aws_env),
        logs_bucket=new_bucket(aws_env),
        endpoint=aws_env,
    )
    settings: dict[str, Any] = {
        "DAGSTER_HOME": dagster_home,
        "DAGSTER_PG_USERNAME": "postgres",
        "DAGSTER_PG_PASSWORD": "",
        "DAGSTER_PG_HOST": PG_HOST,
        "DAGSTER_PG_PORT": PG_PORT,
        "DAGSTER_PG_DB": db_name,
        "DAGSTER_COMPUTE_LOGS_BUCKET": env.logs_bucket,
        "STORYVID_ENV": "production",
        "STORYVID_HOME": tmp_path / "storyvid_home",
        "STORYVID_CATALOG_URL": env.catalog_url,
        "STORYVID_S3_BUCKET": env.media_bucket,
        "STORYVID_S3_PREFIX": "test/media",
        "STORYVID_S3_ENDPOINT_URL": aws_env,
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, str(value))
    try:
        yield env
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        admin.dispose()
