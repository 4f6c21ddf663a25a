"""One YAML loader: every configuration file reports the same problem the same way (file, field, problem, fix)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import BaseModel

from storyvid_assets.channels import load_channel_file
from storyvid_assets.errors import ConfigError
from storyvid_assets.executors import celery_executor_config
from storyvid_assets.moderation import wordlists
from storyvid_assets.resources.budget import load_price_table
from storyvid_assets.story import vocabulary
from storyvid_assets.yamlfile import FILE_FIELD, YAML_SYNTAX_FIX, load_yaml_model


class Point(BaseModel):
    x: int
    y: int = 0


def moderation_regions(path: Path) -> object:
    return wordlists._validated(wordlists.Regions, path.stem)


def vocabulary_safety(path: Path) -> object:
    return vocabulary._validated(vocabulary.Safety, path.stem)


LOADERS: dict[str, tuple[str, Callable[[Path], object]]] = {
    "channel": ("tales", load_channel_file),
    "prices": ("prices", load_price_table),
    "celery": ("dagster.celery", celery_executor_config),
    "moderation": ("regions", moderation_regions),
    "vocabulary": ("safety", vocabulary_safety),
}


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(wordlists, "DATA_DIR", tmp_path)
    monkeypatch.setattr(vocabulary, "DATA_DIR", tmp_path)
    return tmp_path


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_every_loader_reports_bad_yaml_the_same_way(data_dir: Path, kind: str) -> None:
    # The moderation and vocabulary loaders called a syntax error "cannot be read" and said to restore the file.
    stem, load = LOADERS[kind]
    path = data_dir / f"{stem}.yaml"
    path.write_text("key: [unclosed\n")
    with pytest.raises(ConfigError) as raised:
        load(path)
    assert (raised.value.source, raised.value.field, raised.value.fix) == (str(path), FILE_FIELD, YAML_SYNTAX_FIX)
    assert raised.value.problem.startswith("is not valid YAML")
    assert str(raised.value).startswith(f"{path}: field '(file)': is not valid YAML")


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_every_loader_refuses_a_file_that_is_not_a_mapping(data_dir: Path, kind: str) -> None:
    # The Celery loader failed with an AttributeError on a list.
    stem, load = LOADERS[kind]
    path = data_dir / f"{stem}.yaml"
    path.write_text("- one\n- two\n")
    with pytest.raises(ConfigError) as raised:
        load(path)
    assert (raised.value.field, raised.value.problem) == (FILE_FIELD, "is not a mapping (it holds a list)")
    assert "Fix: " in str(raised.value)


def test_field_paths_are_dotted_and_missing_fields_say_add(tmp_path: Path) -> None:
    path = tmp_path / "point.yaml"
    path.write_text("y: nope\n")
    with pytest.raises(ConfigError) as raised:
        load_yaml_model(path, Point, "see the example")
    assert raised.value.field == "x"
    assert raised.value.fix == "add 'x' to the file; see the example"
    path.write_text("x: 1\ny: nope\n")
    with pytest.raises(ConfigError) as raised:
        load_yaml_model(path, Point, lambda field: f"make {field} a number")
    assert (raised.value.field, raised.value.fix) == ("y", "make y a number")


def test_empty_file_is_an_empty_mapping_and_defaults_fill_in(tmp_path: Path) -> None:
    path = tmp_path / "point.yaml"
    path.write_text("")
    assert load_yaml_model(path, Point, "fix it", defaults={"x": 3}) == Point(x=3)
    path.write_text("x: 5\n")
    assert load_yaml_model(path, Point, "fix it", defaults={"x": 3}) == Point(x=5)


def test_unreadable_file_names_the_file_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_yaml_model(tmp_path / "absent.yaml", Point, "fix it", file_fix="restore the file")
    assert raised.value.field == FILE_FIELD and raised.value.fix == "restore the file"
    assert raised.value.problem.startswith("cannot be read")


def test_a_bad_preset_names_the_preset(data_dir: Path) -> None:
    # presets.yaml was validated preset by preset, so the field path lost the preset's name.
    (data_dir / "presets.yaml").write_text(
        "strict:\n  description: s\n  block: {profanity: loud}\n  provider_thresholds: {mild: 0.1, severe: 0.5}\n"
    )
    with pytest.raises(ConfigError) as raised:
        wordlists.presets.__wrapped__()
    assert raised.value.field == "strict.block.profanity"
    assert raised.value.source == str(data_dir / "presets.yaml")
