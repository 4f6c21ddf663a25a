from __future__ import annotations

from pathlib import Path

import pytest

from storyvid_assets.channels import (
    DEFAULT_CHANNELS_DIR,
    get_channel,
    load_channel_file,
    load_channels,
    reset_channels,
)
from storyvid_assets.errors import ConfigError

GOOD = """
name: tales
display_name: Tales
genres: [fable]
theme_pool: [a fox and a crow]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


def test_shipped_channels_differ_in_character() -> None:
    channels = load_channels()
    assert {"bedtime", "midnight"} <= set(channels)
    assert channels["bedtime"].audience == "kids"
    assert channels["midnight"].audience == "general"
    assert channels["bedtime"].music.mood != channels["midnight"].music.mood


def test_minimal_channel_gets_defaults(tmp_path: Path) -> None:
    channel = load_channel_file(write(tmp_path, "tales", GOOD))
    assert channel.formats == ["16:9", "9:16", "1:1"]
    assert channel.platforms == ["local"]
    assert channel.source_file.endswith("tales.yaml")


@pytest.mark.parametrize(
    ("text", "field", "fix_words"),
    [
        (GOOD + "formats: ['4:3']\n", "formats.0", "16:9"),
        (GOOD.replace("genres: [fable]\n", ""), "genres", "add 'genres'"),
        (GOOD + "audience: adults\n", "audience", "'general' or 'kids'"),
        (GOOD + "schedule: {hour: 7, timezone: Mars/Olympus}\n", "schedule.timezone", "IANA timezone"),
        (GOOD + "narrator: {rate: 5}\n", "narrator.rate", "channels/bedtime.yaml"),
        (GOOD + "colour: blue\n", "colour", "channels/bedtime.yaml"),
    ],
)
def test_bad_channel_names_file_field_and_fix(tmp_path: Path, text: str, field: str, fix_words: str) -> None:
    path = write(tmp_path, "tales", text)
    with pytest.raises(ConfigError) as err:
        load_channel_file(path)
    message = str(err.value)
    assert str(path) in message
    assert f"field '{field}'" in message
    assert fix_words in err.value.fix


def test_malformed_yaml_and_name_mismatch(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_channel_file(write(tmp_path, "broken", "name: [unclosed\n"))
    with pytest.raises(ConfigError, match="differs from the file name"):
        load_channel_file(write(tmp_path, "other", GOOD))


def test_unknown_channel_lists_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown channel 'nope'.*bedtime"):
        get_channel("nope")


def test_empty_channels_dir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="holds no channel files"):
        load_channels(tmp_path)


def test_channels_are_read_once_per_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "tales", GOOD)
    monkeypatch.setenv("STORYVID_CHANNELS_DIR", str(tmp_path))
    assert get_channel("tales").display_name == "Tales"
    write(tmp_path, "tales", GOOD.replace("Tales", "Tales Retold"))
    assert load_channels(tmp_path)["tales"].display_name == "Tales"  # no step re-reads the files
    assert "bedtime" in load_channels(DEFAULT_CHANNELS_DIR)  # another folder, its own channels
    reset_channels()
    assert get_channel("tales").display_name == "Tales Retold"
