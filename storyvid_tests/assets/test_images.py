"""The scene_images asset's QC metadata: how distinct the scenes are and which prompt words were drawn."""

from __future__ import annotations

from storyvid_assets.assets.images import distinctness_metadata, words_table
from storyvid_assets.imaging import illustrate
from storyvid_assets.imaging.distinctness import fingerprint
from storyvid_assets.imaging.plan import understood_words


def test_distinctness_metadata_measures_scene_pairs() -> None:
    prompts = ["a fox with a green scarf in a meadow at dawn", "a lighthouse in a storm", "a warm kitchen at night"]
    prints = [fingerprint(illustrate(p, "calm", "bedtime", 7 + i, 96, 96).png) for i, p in enumerate(prompts)]
    meta = distinctness_metadata(prints)
    assert 0 < meta["distinct_min_dhash_bits"] <= meta["distinct_median_dhash_bits"] <= 64
    assert 0 < meta["distinct_median_histogram_distance"] <= 1
    same = distinctness_metadata([prints[0], prints[0]])
    assert same["distinct_median_dhash_bits"] == 0 and same["distinct_median_histogram_distance"] == 0
    assert distinctness_metadata(prints[:1]) == {}


def test_words_table_lists_understood_and_ignored_words() -> None:
    understood, ignored = understood_words("a cheerful brown rabbit with one floppy ear in the warm kitchen")
    assert {"brown", "rabbit", "floppy", "warm", "kitchen"} <= set(understood)
    assert "cheerful" in ignored and "the" not in ignored
    table = words_table([(0, understood, ignored)])
    assert table.splitlines()[2].startswith("| 1 | brown, rabbit") and "cheerful" in table
