from __future__ import annotations

from pathlib import Path

import pytest

from storyvid_assets.channels import (
    DEFAULT_CHANNELS_DIR,
    FIX_HINTS,
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


def commented_block(path: Path, key: str) -> str:
    """The commented-out ``key:`` example of a shipped channel file, uncommented."""
    lines = path.read_text().splitlines()
    start = lines.index(f"# {key}:")
    block = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.startswith("#   "):
            break
        block.append(line)
    return "\n".join(line[2:] for line in block) + "\n"


def test_shipped_optimization_keeps_the_effective_settings() -> None:
    bedtime, midnight = load_channels()["bedtime"], load_channels()["midnight"]
    assert bedtime.optimization.explore == 0.25
    assert bedtime.optimization.tunables == ["music_mood", "narrator_rate", "thumbnail_variant", "posting_hour"]
    assert bedtime.optimization.choices == {"music_mood": ["dreamy", "calm", "playful"],
                                            "narrator_rate": [140, 150, 160]}
    assert (bedtime.narrator.rate, bedtime.music.mood, bedtime.schedule.hour) == (150, "dreamy", 18)
    assert (bedtime.thumbnail_variant, bedtime.target_words) == ("a", None)
    [mood] = bedtime.experiments  # a live A/B test of the music, so the loop has both moods to learn from
    assert (mood.setting, mood.variants, mood.start, mood.alpha) == (
        "music_mood", ["dreamy", "calm"], "2026-09-01", 0.01)
    assert midnight.optimization.enabled and midnight.experiments == []
    assert (midnight.narrator.rate, midnight.music.mood, midnight.schedule.hour) == (170, "tense", 21)


@pytest.mark.parametrize("name", ["midnight"])  # bedtime's experiments section is live (see above)
def test_commented_experiment_examples_are_valid(tmp_path: Path, name: str) -> None:
    shipped = DEFAULT_CHANNELS_DIR / f"{name}.yaml"
    channel = load_channel_file(write(tmp_path, name, shipped.read_text() + commented_block(shipped, "experiments")))
    assert len(channel.experiments) == 2
    assert all(spec.start == "2026-03-01" for spec in channel.experiments)  # unquoted YAML dates are read as text


KIDS = GOOD.replace("genres: [fable]", "genres: [fable, horror]") + "audience: kids\n"


@pytest.mark.parametrize(
    ("text", "field", "problem"),
    [
        (KIDS + "experiments: [{name: mood, setting: music_mood, variants: [calm, dark], start: 2026-03-01}]\n",
         "experiments", "music mood 'dark' is never used on a kids channel"),
        (KIDS + "experiments: [{name: g, setting: genre, variants: [fable, horror], start: 2026-03-01}]\n",
         "experiments", "genre 'horror' is never told on a kids channel"),
        (KIDS + "optimization: {choices: {narrator_rate: [150, 180]}}\n",
         "optimization", "too fast for a kids channel"),
        (GOOD + "experiments: [{name: g, setting: genre, variants: [fable, western], start: 2026-03-01}]\n",
         "experiments", "not one of the channel's genres"),
        (GOOD + "experiments: [{name: r, setting: narrator_rate, variants: [150, fast], start: 2026-03-01}]\n",
         "experiments", "'fast' is not a valid narrator_rate"),
        (GOOD + "experiments: [{name: a, setting: thumbnail_variant, variants: [a, b], start: 2026-03-01},"
                " {name: a, setting: music_mood, variants: [calm, epic], start: 2026-03-01}]\n",
         "experiments", "must be unique"),
        (GOOD + "experiments: [{name: a, setting: thumbnail_variant, variants: [a, b], start: soon}]\n",
         "experiments", "not a YYYY-MM-DD date"),
        (GOOD + "optimization: {choices: {colour: [red]}}\n", "optimization", "'colour' is not a tunable setting"),
        (GOOD + "optimization: {max_step: {music_mood: 1}}\n", "optimization", "not a numeric tunable"),
        (GOOD + "optimization: {policy: {allowed_hours: [6]}, choices: {posting_hour: [6, 9]}}\n",
         "optimization", "posting hour 9 is not one of the channel's allowed hours"),
        (GOOD + "target_words: 20\n", "target_words", "greater than or equal to 150"),
    ],
)
def test_bad_optimization_and_experiments_are_refused(tmp_path: Path, text: str, field: str, problem: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_channel_file(write(tmp_path, "tales", text))
    assert err.value.field == field
    assert problem in err.value.problem
    assert err.value.fix == FIX_HINTS[field]


def test_experiment_variants_are_read_as_their_setting_holds_them(tmp_path: Path) -> None:
    text = GOOD + "experiments: [{name: r, setting: narrator_rate, variants: ['150', 160], start: '2026-03-01'}]\n"
    assert load_channel_file(write(tmp_path, "tales", text)).experiments[0].variants == [150, 160]
