"""Which executor runs the steps of a run: Dagster's default (processes on one machine) or Celery workers.

``STORYVID_EXECUTOR`` picks it: ``multiprocess`` (default) or ``celery``, which uses dagster-celery's
``celery_executor`` configured from ``deploy/dagster.celery.yaml`` (or ``$STORYVID_CELERY_CONFIG``). The broker
and backend URLs in that file come from ``DAGSTER_CELERY_BROKER_URL`` / ``DAGSTER_CELERY_BACKEND_URL``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import BaseModel

from storyvid_assets.errors import ConfigError
from storyvid_assets.settings import CELERY_CONFIG_ENV, settings
from storyvid_assets.yamlfile import load_yaml_model


class CeleryExecution(BaseModel):
    config: dict[str, Any]


class CeleryConfigFile(BaseModel):
    """The part of a dagster-celery YAML file the executor needs (the rest is the worker's)."""

    execution: CeleryExecution


def celery_executor_config(path: Path | None = None) -> dict[str, Any]:
    """The ``execution.config`` block of a dagster-celery worker/executor YAML file (env references kept)."""
    path = path or settings().celery_config
    if not path.is_file():
        raise ConfigError(
            str(path),
            CELERY_CONFIG_ENV,
            "the Celery config file does not exist",
            "point STORYVID_CELERY_CONFIG at a file like deploy/dagster.celery.yaml",
        )
    fix = "put the celery_executor settings under execution: config: (broker, backend, config_source)"
    return load_yaml_model(path, CeleryConfigFile, fix).execution.config


def run_executor() -> dg.ExecutorDefinition | None:
    """The executor chosen by ``$STORYVID_EXECUTOR``; None means Dagster's default multiprocess executor."""
    if settings().executor == "multiprocess":
        return None
    from dagster_celery import celery_executor

    return celery_executor.configured(celery_executor_config(), name="storyvid_celery")
