"""A YAML file read into a pydantic model; every problem is a ``ConfigError`` naming the file, the field and the fix.

The one loader for channel files, the story vocabulary, the moderation data, the price table and the Celery
config. Messages agree: ``<file>: field '<path.to.field>': <problem>. Fix: <fix>``; problems with the file as a
whole (unreadable, not YAML, not a mapping) name the field ``(file)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from storyvid_assets.errors import ConfigError

M = TypeVar("M", bound=BaseModel)
FILE_FIELD = "(file)"
YAML_SYNTAX_FIX = "fix the YAML syntax"
Fix = str | Callable[[str], str]  # a fix, or the fix for a field path


def read_yaml_mapping(path: Path, file_fix: str) -> dict[str, Any]:
    """The top-level mapping of ``path``; an empty file is an empty mapping."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(str(path), FILE_FIELD, f"cannot be read ({exc.strerror or exc})", file_fix) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(str(path), FILE_FIELD, f"is not valid YAML ({exc})", YAML_SYNTAX_FIX) from exc
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(str(path), FILE_FIELD, f"is not a mapping (it holds a {type(raw).__name__})", file_fix)
    return raw


def validation_error(path: Path | str, exc: ValidationError, fix: Fix) -> ConfigError:
    """The first error of ``exc`` as a ``ConfigError``: dotted field path, pydantic's problem, the fix."""
    err = exc.errors()[0]
    field = ".".join(str(part) for part in err["loc"]) or FILE_FIELD
    hint = fix(field) if callable(fix) else fix
    if err["type"] == "missing":
        hint = f"add '{field}' to the file; {hint}"
    return ConfigError(str(path), field, err["msg"], hint)


def load_yaml_model(
    path: Path, model: type[M], fix: Fix, *, file_fix: str | None = None, defaults: Mapping[str, Any] | None = None
) -> M:
    """Read ``path``, fill in ``defaults`` and validate it as ``model``.

    ``fix`` says how to repair a bad field (a text, or a function of the field path); ``file_fix`` how to repair
    a file that cannot be read or is not a mapping (default: ``fix`` for the whole file).
    """
    whole_file_fix = file_fix or (fix(FILE_FIELD) if callable(fix) else fix)
    raw = {**(defaults or {}), **read_yaml_mapping(path, whole_file_fix)}
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise validation_error(path, exc, fix) from exc
