"""Settings: every STORYVID_* variable parsed in one place, secrets only checked for presence."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from storyvid_assets.errors import ConfigError
from storyvid_assets.settings import REPO_ROOT, reset_settings, settings, storyvid_home, variable_of


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("STORYVID_HOME", "STORYVID_ENV", "STORYVID_START_DATE", "STORYVID_EXECUTOR", "STORYVID_CATALOG_URL",
                 "STORYVID_S3_PREFIX", "STORYVID_SDXL_DEVICE", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_and_empty_variables_count_as_unset(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("STORYVID_S3_PREFIX", "")
    values = settings()
    assert values.env == "local" and values.executor == "multiprocess" and values.start_date == date(2026, 1, 1)
    assert values.s3_prefix == "storyvid/media" and values.sdxl_device == "cpu"
    assert storyvid_home() == (REPO_ROOT / "storyvid_home").resolve()
    assert variable_of("s3_prefix") == "STORYVID_S3_PREFIX" and variable_of("dagster_home") == "DAGSTER_HOME"


def test_parsed_once_per_environment(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    first = settings()
    assert settings() is first
    clean_env.setenv("STORYVID_HOME", str(tmp_path))
    assert settings() is not first and storyvid_home() == tmp_path.resolve()
    reset_settings()
    assert settings().home == tmp_path


def test_credentials_are_checked_never_read(clean_env: pytest.MonkeyPatch) -> None:
    secret = "sk-never-in-settings-4242"
    password_url = "postgresql://storyvid:pw-never-shown@db/storyvid"
    assert not settings().has("OPENAI_API_KEY")
    clean_env.setenv("OPENAI_API_KEY", secret)
    clean_env.setenv("STORYVID_CATALOG_URL", password_url)
    values = settings()
    assert values.has("OPENAI_API_KEY") and not values.has("OPENAI_API_KEY", "NO_SUCH_KEY")
    shown = repr(values) + str(values.model_dump()) + values.model_dump_json()
    assert secret not in shown and "pw-never-shown" not in shown
    assert values.catalog_url is not None and values.catalog_url.get_secret_value() == password_url


@pytest.mark.parametrize(
    ("variable", "value", "fix_words"),
    [
        ("STORYVID_EXECUTOR", "kubernetes-please", "multiprocess"),
        ("STORYVID_START_DATE", "2026-13-01", "YYYY-MM-DD"),
    ],
)
def test_bad_values_name_the_variable_and_the_fix(
    clean_env: pytest.MonkeyPatch, variable: str, value: str, fix_words: str
) -> None:
    clean_env.setenv(variable, value)
    with pytest.raises(ConfigError) as error:
        settings()
    assert error.value.field == variable and fix_words in error.value.fix and value in error.value.problem

