"""The deploy/ files parse with the schemas of the libraries that read them: Dagster's instance schema,
dagster-postgres, dagster-aws's S3ComputeLogManager, dagster-k8s's K8sRunLauncher and dagster-celery's executor."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml
from dagster._config import process_config
from dagster._core.instance.config import dagster_instance_config

from storyvid_assets.errors import ConfigError
from storyvid_assets.executors import celery_executor_config, run_executor
from storyvid_tests.production.conftest import DEPLOY_DIR

INSTANCE_FILES = ["dagster.production.yaml", "dagster.k8s.yaml"]
SHARED_SECTIONS = ["storage", "compute_logs", "run_coordinator", "concurrency", "run_monitoring", "telemetry"]
DEPLOYMENT_ENV = {
    "DAGSTER_PG_USERNAME": "storyvid",
    "DAGSTER_PG_PASSWORD": "pw",
    "DAGSTER_PG_HOST": "db.internal",
    "DAGSTER_PG_DB": "dagster",
    "DAGSTER_PG_PORT": "5432",
    "DAGSTER_COMPUTE_LOGS_BUCKET": "storyvid-logs",
    "STORYVID_JOB_IMAGE": "registry.example.com/storyvid:1.0.0",
    "DAGSTER_K8S_NAMESPACE": "storyvid",
    "DAGSTER_CELERY_BROKER_URL": "redis://127.0.0.1:6379/1",
    "DAGSTER_CELERY_BACKEND_URL": "redis://127.0.0.1:6379/2",
}


@pytest.fixture
def deployment_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in DEPLOYMENT_ENV.items():
        monkeypatch.setenv(name, value)


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load((DEPLOY_DIR / name).read_text())


def configurable_class(section: dict[str, Any]) -> Any:
    return getattr(importlib.import_module(section["module"]), section["class"])


@pytest.mark.parametrize("name", INSTANCE_FILES)
def test_instance_files_validate_against_dagster_and_plugin_schemas(deployment_env: None, name: str) -> None:
    config, _ = dagster_instance_config(str(DEPLOY_DIR), name)  # Dagster's instance schema, env resolved
    assert config["storage"]["postgres"]["postgres_db"]["hostname"] == {"env": "DAGSTER_PG_HOST"}
    for section in ("compute_logs", "run_coordinator", "run_launcher"):
        if section not in config:
            continue
        cls = configurable_class(config[section])
        result = process_config(cls.config_type(), config[section].get("config") or {})
        assert result.success, f"{name} {section}: {[e.message for e in result.errors or []]}"
    from dagster_postgres.utils import pg_config, pg_url_from_config

    storage = process_config(pg_config(), config["storage"]["postgres"])
    assert storage.success
    assert pg_url_from_config(storage.value) == "postgresql://storyvid:pw@db.internal:5432/dagster"


def test_k8s_file_differs_from_production_only_by_run_launcher(deployment_env: None) -> None:
    production, k8s = load("dagster.production.yaml"), load("dagster.k8s.yaml")
    assert {key: k8s[key] for key in SHARED_SECTIONS} == {key: production[key] for key in SHARED_SECTIONS}
    assert set(k8s) - set(SHARED_SECTIONS) == {"run_launcher"} and "run_launcher" not in production
    launcher = k8s["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_k8s", "K8sRunLauncher")
    processed = process_config(configurable_class(launcher).config_type(), launcher["config"]).value
    assert processed["job_image"] == "registry.example.com/storyvid:1.0.0"
    assert processed["job_namespace"] == "storyvid"
    assert processed["postgres_password_secret"] == "storyvid-postgresql"
    assert processed["env_secrets"] == ["storyvid-secrets"]


def test_concurrency_uses_the_1_13_settings_not_the_coordinator_limit() -> None:
    for name in INSTANCE_FILES:
        config = load(name)
        assert "config" not in config["run_coordinator"]  # combining both limits is an error in Dagster 1.13
        assert config["concurrency"]["runs"]["max_concurrent_runs"] > 0


def test_celery_file_parses_with_the_dagster_celery_schema(deployment_env: None) -> None:
    from dagster_celery.cli import get_validated_config

    config = get_validated_config(str(DEPLOY_DIR / "dagster.celery.yaml"))  # what `dagster-celery worker` runs
    assert config["broker"] == "redis://127.0.0.1:6379/1"
    assert config["backend"] == "redis://127.0.0.1:6379/2"
    assert config["config_source"]["worker_prefetch_multiplier"] == 1
    assert celery_executor_config() == load("dagster.celery.yaml")["execution"]["config"]


def test_celery_file_without_broker_variable_fails_naming_it(
    deployment_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagster_celery import celery_executor

    monkeypatch.delenv("DAGSTER_CELERY_BROKER_URL")
    result = process_config(celery_executor.config_schema.config_type, celery_executor_config())
    assert not result.success
    assert "DAGSTER_CELERY_BROKER_URL" in result.errors[0].message  # never a silent fallback broker


def test_run_executor_follows_storyvid_executor(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("STORYVID_EXECUTOR", raising=False)
    assert run_executor() is None
    monkeypatch.setenv("STORYVID_EXECUTOR", "celery")
    executor = run_executor()
    assert isinstance(executor, dg.ExecutorDefinition) and executor.name == "storyvid_celery"
    monkeypatch.setenv("STORYVID_EXECUTOR", "kubernetes-please")
    with pytest.raises(ConfigError, match="STORYVID_EXECUTOR"):
        run_executor()
    monkeypatch.setenv("STORYVID_EXECUTOR", "celery")
    monkeypatch.setenv("STORYVID_CELERY_CONFIG", str(tmp_path / "missing.yaml"))
    with pytest.raises(ConfigError, match="does not exist"):
        run_executor()
