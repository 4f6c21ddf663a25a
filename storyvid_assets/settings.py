"""Every ``STORYVID_*`` environment variable in one pydantic-settings model; the only module reading the environment.

- ``STORYVID_HOME``: where StoryVid keeps its files (default ``storyvid_home/`` in the repository);
  ``DAGSTER_HOME`` (default ``<home>/dagster``) is the CLI's Dagster instance.
- ``STORYVID_ENV``: the resource set, ``local`` (default), ``cloud``, ``production`` or ``production-cloud``.
- ``STORYVID_CATALOG_URL``: the catalog database (default SQLite in the home).
- ``STORYVID_CHANNELS_DIR``: the channel files (default ``channels/``); ``STORYVID_START_DATE``: first episode day.
- ``STORYVID_S3_BUCKET``, ``STORYVID_S3_PREFIX``, ``STORYVID_S3_ENDPOINT_URL``, ``STORYVID_S3_REGION``: S3 media.
- ``STORYVID_REDIS_URL``: shared circuit-breaker state; ``STORYVID_PRICES_FILE``: a price table of one's own.
- ``STORYVID_OLLAMA_URL`` / ``STORYVID_OLLAMA_MODEL``, ``STORYVID_SDXL_DIR`` / ``STORYVID_SDXL_DEVICE``,
  ``AZURE_SPEECH_REGION``: local and cloud AI providers.
- ``STORYVID_MODERATION``: the moderation provider, ``local`` (word lists; NudeNet for pictures when the
  ``image-moderation`` extra is installed) or ``openai`` (the moderation endpoint, needs ``OPENAI_API_KEY``);
  default ``local`` in the local sets, ``openai`` in the cloud sets when ``OPENAI_API_KEY`` is set.
  ``OPENAI_BASE_URL``: an OpenAI-compatible server for the providers that call the API without the SDK.
- ``STORYVID_EXECUTOR`` (``multiprocess`` or ``celery``) and ``STORYVID_CELERY_CONFIG``: how runs execute.
- ``STORYVID_REVIEW_PASSWORD``: the password ``storyvid review users add`` gives a reviewer.
- ``STORYVID_DAGSTER_URL``: the Dagster webserver the console's runs page talks to (GraphQL), e.g.
  ``http://127.0.0.1:3000``, or ``http://127.0.0.1:3000/dagster`` for one started with ``--path-prefix /dagster``,
  which the console then also serves behind its login at ``/dagster`` (``deploy/README.md``); default: not connected.
- ``STORYVID_CREDENTIALS_KEY``: the Fernet key that encrypts the credential store (rotating platform tokens);
  required in production, else a key file ``<home>/credentials.key`` (mode 0600) is generated on first use.

Provider secrets (API keys, platform tokens) are never read into the model: resources receive them as
``dg.EnvVar`` and :meth:`Settings.has` only tells whether a variable is set. URLs that may hold a password are
``SecretStr``. The environment is parsed once per process (again only when it changes, e.g. under pytest's
``monkeypatch``); bad values raise a :class:`ConfigError` naming the variable and the fix.
"""

from __future__ import annotations

import hashlib
import os
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args

from pydantic import Field, PrivateAttr, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from storyvid_assets.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
PREFIX = "STORYVID_"
HOME_ENV = "STORYVID_HOME"
ENV_ENV = "STORYVID_ENV"
CATALOG_URL_ENV = "STORYVID_CATALOG_URL"
CHANNELS_DIR_ENV = "STORYVID_CHANNELS_DIR"
START_DATE_ENV = "STORYVID_START_DATE"
S3_BUCKET_ENV = "STORYVID_S3_BUCKET"
REDIS_URL_ENV = "STORYVID_REDIS_URL"
EXECUTOR_ENV = "STORYVID_EXECUTOR"
CELERY_CONFIG_ENV = "STORYVID_CELERY_CONFIG"
REVIEW_PASSWORD_ENV = "STORYVID_REVIEW_PASSWORD"
CREDENTIALS_KEY_ENV = "STORYVID_CREDENTIALS_KEY"
METRICS_ENV = "STORYVID_METRICS"
MODERATION_ENV = "STORYVID_MODERATION"
DAGSTER_URL_ENV = "STORYVID_DAGSTER_URL"
Executor = Literal["multiprocess", "celery"]
MetricsChoice = Literal["simulated", "platforms", "csv"]
ModerationChoice = Literal["local", "openai"]
EXECUTORS: tuple[str, ...] = get_args(Executor)

FIXES: dict[str, str] = {
    "start_date": f"give {START_DATE_ENV} as YYYY-MM-DD, e.g. 2026-01-01",
    "executor": f"use one of {EXECUTORS}",
    "metrics": f"set {METRICS_ENV} to simulated, platforms or csv",
    "moderation": f"set {MODERATION_ENV} to local or openai (or unset it for the resource set's default)",
}


class Settings(BaseSettings):
    """StoryVid's configuration from the environment (empty variables count as unset)."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, env_ignore_empty=True, extra="ignore", frozen=True)

    home: Path | None = None
    env: str = "local"
    catalog_url: SecretStr | None = None
    channels_dir: Path | None = None
    start_date: date = date(2026, 1, 1)
    s3_bucket: str | None = None
    s3_prefix: str = "storyvid/media"
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    redis_url: SecretStr | None = None
    prices_file: str | None = None
    ollama_url: str | None = None
    ollama_model: str | None = None
    sdxl_dir: str | None = None
    sdxl_device: str = "cpu"
    azure_speech_region: str | None = Field(default=None, validation_alias="AZURE_SPEECH_REGION")
    executor: Executor = "multiprocess"
    celery_config: Path = REPO_ROOT / "deploy" / "dagster.celery.yaml"
    review_password: SecretStr | None = None
    dagster_url: str | None = None  # the Dagster webserver the console talks to (None: not connected)
    credentials_key: SecretStr | None = None  # Fernet key of the credential store (never logged)
    metrics: MetricsChoice | None = None  # where daily metrics come from (default: simulated locally)
    metrics_inbox: Path | None = None  # folder of CSV exports read by the csv metrics provider
    moderation: ModerationChoice | None = None  # moderation provider (default: decided by the resource set)
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    dagster_home: Path | None = Field(default=None, validation_alias="DAGSTER_HOME")

    _set_variables: frozenset[str] = PrivateAttr(default_factory=frozenset)

    def has(self, *names: str) -> bool:
        """Whether every named variable is set and not empty (credentials are checked, never read)."""
        return all(name in self._set_variables for name in names)

    @property
    def storyvid_home(self) -> Path:
        return (self.home or REPO_ROOT / "storyvid_home").resolve()

    @property
    def production(self) -> bool:
        return self.env.startswith("production")


def variable_of(field: str) -> str:
    """The environment variable behind a field of :class:`Settings`."""
    alias = Settings.model_fields[field].validation_alias
    return alias if isinstance(alias, str) else PREFIX + field.upper()


def _config_error(exc: ValidationError) -> ConfigError:
    err = exc.errors()[0]
    field = str(err["loc"][0]) if err["loc"] else ""
    secret = field in Settings.model_fields and "SecretStr" in str(Settings.model_fields[field].annotation)
    shown = "" if secret else f"{err.get('input')!r}: "
    variable = variable_of(field) if field in Settings.model_fields else field
    fix = FIXES.get(field, f"correct or unset {variable}")
    return ConfigError("environment", variable, shown + err["msg"], fix)


@lru_cache(maxsize=16)
def _settings_for(environment_digest: str) -> Settings:
    try:
        parsed = Settings()
    except ValidationError as exc:
        raise _config_error(exc) from None
    parsed._set_variables = frozenset(name for name, value in os.environ.items() if value)
    return parsed


def settings() -> Settings:
    """This process's settings, parsed once per distinct environment."""
    digest = hashlib.sha256(repr(sorted(os.environ.items())).encode()).hexdigest()
    return _settings_for(digest)


def reset_settings() -> None:
    """Forget the parsed settings (the next :func:`settings` call reads the environment again)."""
    _settings_for.cache_clear()


def storyvid_home() -> Path:
    """``$STORYVID_HOME``, else ``storyvid_home/`` in the repository."""
    return settings().storyvid_home


def stories_dir() -> Path:
    """Operator-supplied scripts: ``<home>/stories/<channel>/<date>.md`` (else the repo's ``stories/``)."""
    home_scripts = storyvid_home() / "stories"
    return home_scripts if home_scripts.exists() else REPO_ROOT / "stories"

