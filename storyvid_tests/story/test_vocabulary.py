from __future__ import annotations

import pytest

from storyvid_assets.errors import ConfigError
from storyvid_assets.models import StoryRequest
from storyvid_assets.story import rotation, vocabulary
from storyvid_assets.story.writer import draft_scene, plan_story, story_title


def test_each_cast_has_enough_names_for_thirty_distinct_days_and_casts_share_none() -> None:
    pools = {cast: {n.name for n in names} for cast, names in vocabulary.common().names.items()}
    assert all(len(pool) >= 30 for pool in pools.values()), pools
    assert not pools["animal"] & pools["human"]


def test_every_genre_loads_and_says_its_label_and_hashtags() -> None:
    assert {"bedtime", "horror", "mystery", "history", "adventure", "fable"} <= set(vocabulary.available_genres())
    for name in vocabulary.available_genres():
        genre = vocabulary.genre(name)
        assert genre.label and genre.hashtags
        assert genre.kids or genre.kids_fallback, name


def test_a_title_without_the_hero_is_refused() -> None:
    genre = vocabulary.genre("bedtime")
    plot = genre.plots[0].model_copy(update={"titles": ["The Fallen Star"]})
    broken = genre.model_copy(update={"plots": [plot]})
    with pytest.raises(ConfigError) as err:
        vocabulary.check_genre(broken, vocabulary.DATA_DIR / "bedtime.yaml")
    assert err.value.field.endswith("titles.0")


def test_an_opening_that_does_not_name_the_hero_is_refused() -> None:
    genre = vocabulary.genre("fable")
    setup = genre.setup[0].model_copy(update={"lines": ["Long ago the meadow was quiet. {hero} lived there."]})
    with pytest.raises(ConfigError) as err:
        vocabulary.check_genre(genre.model_copy(update={"setup": [setup]}), vocabulary.DATA_DIR / "fable.yaml")
    assert err.value.field == "setup.0.lines.0"


def test_drawable_nouns_fold_plurals_and_synonyms() -> None:
    assert vocabulary.drawable_nouns_in("Two foxes rowed a ship past the cottages in the woods") == [
        "fox",
        "boat",
        "house",
        "forest",
    ]
    assert vocabulary.drawable_nouns_in("nothing to draw here") == []


@pytest.mark.parametrize("name", vocabulary.available_genres())
def test_every_title_twist_and_ending_can_be_told_with_every_wonder(name: str) -> None:
    """The rotation may pair any of a plot's wonders with any title, twist and ending: each pairing must fill."""
    genre = vocabulary.genre(name)
    for audience in ["kids", "general"] if genre.kids else ["general"]:
        kids = audience == "kids"
        request = StoryRequest(
            channel="c", channel_display_name="C", date="2026-05-05", audience=audience, genres=[name], theme_pool=[]
        )
        for plot in [p for p in genre.plots if p.kids or not kids]:
            for wonder in plot.wonders:
                for i, turn in enumerate(rotation.turns(genre, plot, kids)):
                    title = plot.titles[i % len(plot.titles)]
                    plan = plan_story(request, rotation.Pick(plot, wonder, title, turn, name))
                    climax = draft_scene(plan, "climax", turn.twist).text()
                    text = f"{story_title(plan)} {climax} {draft_scene(plan, 'resolution', turn.ending).text()}"
                    where = f"{name}/{plot.key}/{wonder.key}/{turn.twist_id}/{turn.ending_id}"
                    assert "{" not in text and "[" not in text, where
                    if kids:
                        assert not set(vocabulary.words_of(text)) & set(vocabulary.safety().kids_forbidden), where
