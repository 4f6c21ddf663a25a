from __future__ import annotations

from pathlib import Path

import pytest

from storyvid_assets.errors import ConfigError
from storyvid_assets.models import StoryRequest
from storyvid_assets.settings import REPO_ROOT
from storyvid_assets.story import vocabulary
from storyvid_assets.story.script import find_script, parse_script, word_bound_warning

EXAMPLE = REPO_ROOT / "stories" / "bedtime" / "2026-01-01.md"
REQUEST = StoryRequest(
    channel="bedtime",
    channel_display_name="Moonlit",
    date="2026-01-01",
    audience="kids",
    genres=["bedtime"],
    theme_pool=["x"],
)
SENTENCE = "The fox walked past the old lighthouse at night, and the moon watched over the sea."


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bedtime" / "2026-01-01.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_example_becomes_a_scripted_story() -> None:
    story = parse_script(EXAMPLE, REQUEST)
    assert story.title == "The Snow Owl's New Year"
    assert story.source == "script" and story.provider == "script"
    assert 5 <= len(story.scenes) <= 10
    beats = [s.beat for s in story.scenes]
    assert beats[:2] == ["setup", "inciting_incident"] and beats[-2:] == ["climax", "resolution"]
    assert set(beats[2:-2]) == {"rising_action"}
    assert [c.name for c in story.characters] == ["Tilly", "Bram"]
    assert all(vocabulary.drawable_nouns_in(s.image_prompt) for s in story.scenes)
    assert "owl" in story.scenes[0].image_prompt and "at night" in story.scenes[0].image_prompt
    paragraphs = [p for p in EXAMPLE.read_text().split("\n\n")[1:] if p.strip()]
    assert story.text.split() == " ".join(paragraphs).split(), "the operator's words are kept exactly"


def test_many_short_paragraphs_are_merged_and_one_long_one_is_split(tmp_path: Path) -> None:
    many = write(tmp_path, "# Many\n\n" + "\n\n".join(f"Part {i}. {SENTENCE}" for i in range(17)))
    story = parse_script(many, REQUEST)
    assert len(story.scenes) == 10
    one = write(tmp_path, "Just one\n\n" + " ".join([SENTENCE] * 8))
    story = parse_script(one, REQUEST)
    assert len(story.scenes) == 5
    assert all(s.narration.endswith(".") for s in story.scenes), "split at sentence boundaries"


def test_a_run_on_sentence_is_still_divided_into_five_scenes(tmp_path: Path) -> None:
    path = write(tmp_path, "Breathless\n\n" + " ".join(["and the owl flew on"] * 12))
    assert len(parse_script(path, REQUEST).scenes) == 5


def test_a_scene_that_names_nothing_drawable_keeps_the_previous_picture(tmp_path: Path) -> None:
    body = [SENTENCE, "Then it was quiet for a while and nobody said anything at all.", SENTENCE, SENTENCE, SENTENCE]
    story = parse_script(write(tmp_path, "Quiet\n\n" + "\n\n".join(body)), REQUEST)
    assert story.scenes[1].image_prompt == story.scenes[0].image_prompt


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("", "(file)", "empty"),
        ("\n\n   \n", "(file)", "empty"),
        ("# \n\n" + SENTENCE * 5, "title", "empty"),
        (SENTENCE * 8, "title", "characters long"),
        ("A title only\n", "title", "no story"),
        ("Short\n\nToo short to tell.", "body", "fewer than 40"),
        ("Long\n\n" + SENTENCE * 130, "body", "more than 2000"),
    ],
)
def test_bad_scripts_name_the_file_the_field_and_the_fix(tmp_path: Path, text: str, field: str, words: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        parse_script(path, REQUEST)
    assert err.value.source == str(path) and err.value.field == field
    assert words in err.value.problem and err.value.fix


def test_word_range_is_reported_not_enforced() -> None:
    story = parse_script(EXAMPLE, REQUEST)
    assert story.word_count < REQUEST.min_words
    assert "kept as written" in (word_bound_warning(story, REQUEST) or "")
    assert word_bound_warning(story, REQUEST.model_copy(update={"min_words": 100})) is None


def test_find_script_for_that_channel_and_date_only(tmp_path: Path) -> None:
    write(tmp_path, "# Operator's Night\n\n" + "\n\n".join([SENTENCE] * 6))
    found = find_script(REQUEST.channel, REQUEST.date, tmp_path)
    assert found is not None and parse_script(found, REQUEST).title == "Operator's Night"
    assert find_script(REQUEST.channel, "2026-01-02", tmp_path) is None


def test_the_repository_stories_are_found_by_default(storyvid_home: Path) -> None:
    found = find_script(REQUEST.channel, REQUEST.date)
    assert found is not None and parse_script(found, REQUEST).title == "The Snow Owl's New Year"
