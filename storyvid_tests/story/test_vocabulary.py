from __future__ import annotations

import pytest

from storyvid_assets.errors import ConfigError
from storyvid_assets.story import vocabulary


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
