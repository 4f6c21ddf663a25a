"""Which executor runs the steps of a run: Dagster's default (processes on one machine) or Celery workers.

``STORYVID_EXECUTOR`` picks it: ``multiprocess`` (default) or ``celery``, which uses dagster-celery's
``celery_executor`` configured from ``deploy/dagster.celery.yaml`` (or ``$STORYVID_CELERY_CONFIG``). The broker
and backend URLs in that file come from ``DAGSTER_CELERY_BROKER_URL`` / ``DAGSTER_CELERY_BACKEND_URL``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dagster as dg
import yaml

from storyvid_assets.errors import ConfigError
from storyvid_assets.settings import REPO_ROOT

EXECUTOR_ENV = "STORYVID_EXECUTOR"
CELERY_CONFIG_ENV = "STORYVID_CELERY_CONFIG"
DEFAULT_CELERY_CONFIG = REPO_ROOT / "deploy" / "dagster.celery.yaml"
EXECUTORS = ("multiprocess", "celery")


def celery_config_path() -> Path:
    return Path(os.environ.get(CELERY_CONFIG_ENV) or DEFAULT_CELERY_CONFIG)


def celery_executor_config(path: Path | None = None) -> dict[str, Any]:
    """The ``execution.config`` block of a dagster-celery worker/executor YAML file (env references kept)."""
    path = path or celery_config_path()
    if not path.is_file():
        raise ConfigError(
            str(path),
            CELERY_CONFIG_ENV,
            "the Celery config file does not exist",
            "point STORYVID_CELERY_CONFIG at a file like deploy/dagster.celery.yaml",
        )
    document = yaml.safe_load(path.read_text()) or {}
    config = (document.get("execution") or {}).get("config")
    if not isinstance(config, dict):
        raise ConfigError(
            str(path),
            "execution.config",
            "missing",
            "put the celery_executor settings under execution: config: (broker, backend, config_source)",
        )
    return config


def run_executor() -> dg.ExecutorDefinition | None:
    """The executor chosen by ``$STORYVID_EXECUTOR``; None means Dagster's default multiprocess executor."""
    name = os.environ.get(EXECUTOR_ENV) or "multiprocess"
    if name not in EXECUTORS:
        raise ConfigError("environment", EXECUTOR_ENV, f"{name!r} is not an executor", f"use one of {EXECUTORS}")
    if name == "multiprocess":
        return None
    from dagster_celery import celery_executor

    return celery_executor.configured(celery_executor_config(), name="storyvid_celery")
