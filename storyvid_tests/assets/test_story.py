from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg

from storyvid_assets.assets.story import story
from storyvid_assets.episode import ATTEMPT_TAG, partition_key
from storyvid_assets.models import Story
from storyvid_assets.resources.sets import local_resources

SCRIPT = "# The Owl Who Counted Stars\n\n" + "\n\n".join(
    f"Paragraph {i}: the little owl named Hoot watched the moon over the quiet forest and counted the stars "
    "one by one until the night grew soft and still." for i in range(8)
)


def materialize_story(partition: tuple[str, str], tags: dict[str, str] | None = None) -> tuple[Story, Any]:
    resources = local_resources()
    needed = {k: resources[k] for k in ("story_writer", "catalog", "media_store", "manifest_io_manager")}
    result = dg.materialize([story], resources=needed, partition_key=partition_key(*partition), tags=tags)
    assert result.success
    return result.output_for_node("story"), result.asset_materializations_for_node("story")[0]


def test_operator_script_replaces_the_generated_story(storyvid_home: Path) -> None:
    script = storyvid_home / "stories" / "midnight" / "2026-11-10.md"
    script.parent.mkdir(parents=True)
    script.write_text(SCRIPT)
    scripted, event = materialize_story(("midnight", "2026-11-10"))
    assert scripted.source == "script" and scripted.title == "The Owl Who Counted Stars"
    assert 5 <= len(scripted.scenes) <= 10
    assert "owl" in scripted.scenes[0].image_prompt.lower()
    assert event.metadata["script"].value == str(script)
    generated, _ = materialize_story(("midnight", "2026-11-11"))
    assert generated.source == "generated"


def test_attempt_tag_makes_a_different_story_and_preview_metadata(storyvid_home: Path) -> None:
    first, event = materialize_story(("bedtime", "2026-11-12"))
    second, _ = materialize_story(("bedtime", "2026-11-12"), tags={ATTEMPT_TAG: "2"})
    assert (first.attempt, second.attempt) == (1, 2)
    assert first.text != second.text
    assert event.metadata["preview"].value.startswith(f"# {first.title}")
    assert event.metadata["word_count"].value == first.word_count
    assert (storyvid_home / "media" / "bedtime" / "2026-11-12" / "story" / "attempt-2" / "story.md").exists()
