"""Issue 17's story variety: a year of daily episodes per shipped channel repeats no title and no plot often."""

from __future__ import annotations

import random
import re
from functools import cache

import pytest

from storyvid_assets.assets.story import word_bounds
from storyvid_assets.channels import ChannelConfig
from storyvid_assets.models import StoryRequest
from storyvid_assets.moderation.findings import Finding
from storyvid_assets.moderation.policy import policy_for_channel, scan_fields, story_fields
from storyvid_assets.story import rotation
from storyvid_assets.story import vocabulary as v
from storyvid_assets.story.variety import Told, tell_all, title_skeleton, variety_report
from storyvid_assets.story.writer import Teller, generate_story, plan_story, story_title, tell
from storyvid_tests.story.helpers import dates, request_for, shipped_channels

MAX_TOLD = 6  # issue 17: no plot skeleton more than 6 times a year
TOKEN_RE = re.compile(r"\{[A-Za-z_0-9]+\}|\[[^\[\]]*\]")


def channel_request(channel: ChannelConfig, day: str) -> StoryRequest:
    """The request the story asset sends: the channel's word bounds included."""
    return request_for(channel, day).model_copy(update=word_bounds(channel.target_words))


@cache
def year_of(name: str) -> tuple[ChannelConfig, list[StoryRequest], list[Told]]:
    channel = next(c for c in shipped_channels() if c.name == name)
    requests = [channel_request(channel, day) for day in dates("2026-01-01", 365)]
    return channel, requests, tell_all(requests)


@pytest.mark.parametrize("name", [c.name for c in shipped_channels()])
def test_a_year_of_daily_episodes_repeats_no_title_and_no_skeleton_more_than_six_times(name: str) -> None:
    _, _, told = year_of(name)
    report = variety_report(told)
    assert report.episodes == 365
    assert report.distinct_titles == 365, report
    assert report.most_told_title_skeleton[1] <= MAX_TOLD, report
    assert report.most_told_plot_skeleton[1] <= MAX_TOLD, report


@pytest.mark.parametrize("name", [c.name for c in shipped_channels()])
def test_a_year_of_daily_episodes_keeps_the_word_and_scene_bounds(name: str) -> None:
    _, requests, told = year_of(name)
    for request, episode in zip(requests, told, strict=True):
        story = episode.story
        assert request.min_words <= story.word_count <= request.max_words, (request.date, story.word_count)
        assert request.min_scenes <= len(story.scenes) <= request.max_scenes, request.date


@pytest.mark.parametrize("name", [c.name for c in shipped_channels()])
def test_a_year_of_kids_episodes_uses_no_word_the_kids_rules_forbid(name: str) -> None:
    channel, _, told = year_of(name)
    forbidden = set(v.safety().kids_forbidden)
    for episode in told if channel.audience == "kids" else []:
        story = episode.story
        text = " ".join([story.title, story.logline, *(s.narration + " " + s.image_prompt for s in story.scenes)])
        assert not set(v.words_of(text)) & forbidden, story.title


@pytest.mark.parametrize("name", [c.name for c in shipped_channels()])
def test_a_year_of_daily_episodes_passes_the_channels_moderation_preset(name: str) -> None:
    """The kids channel under the strict preset, the general one under the standard preset.

    A scan takes about 60 ms a story, so the year is sampled: the first day of every plot skeleton (each twist
    and ending) and of every title skeleton (each wonder), whatever else the days vary.
    """
    channel, requests, told = year_of(name)
    policy = policy_for_channel(channel)
    assert (channel.audience == "kids") == (policy.preset_name == "strict")
    firsts: dict[str, int] = {}
    for i, episode in enumerate(told):
        firsts.setdefault(episode.plot_skeleton, i)
        firsts.setdefault(title_skeleton(episode.story), i)
    blocking: dict[str, list[Finding]] = {}  # one scan per distinct text: looks and settings repeat
    for i in sorted(set(firsts.values())):
        for field in story_fields(told[i].story):
            if field[2] not in blocking:
                blocking[field[2]] = [f for f in scan_fields([field], policy) if f.blocking]
            assert blocking[field[2]] == [], (requests[i].date, field)


def template_regex(template: str) -> re.Pattern[str]:
    """A template line as a pattern: literal text kept, every slot and ``[a|b]`` choice any text."""
    parts = TOKEN_RE.split(template)
    literal = [re.escape(p).replace(r"a\ ", r"an?\ ") for p in parts]
    return re.compile(".+?".join(literal), re.IGNORECASE | re.DOTALL)


def first_kept_line(variant: v.Variant) -> str:
    return next(line for line in variant.lines if not line.startswith("?"))


@pytest.mark.parametrize("name", [c.name for c in shipped_channels()])
def test_the_plot_skeleton_names_the_climax_and_ending_the_story_tells(name: str) -> None:
    """The measure is honest: the skeleton's twist and ending are the ones the climax and resolution scenes read."""
    channel = next(c for c in shipped_channels() if c.name == name)
    for day in dates("2026-06-01", 40):
        request = channel_request(channel, day)
        plan = plan_story(request)
        story = tell(plan, request)
        climax, resolution = story.scenes[-2], story.scenes[-1]
        assert (climax.beat, resolution.beat) == ("climax", "resolution")
        turn = plan.pick.turn
        assert template_regex(first_kept_line(turn.twist)).search(climax.narration), (turn.twist_id, climax.narration)
        assert template_regex(first_kept_line(turn.ending)).search(resolution.narration), (
            turn.ending_id,
            resolution.narration,
        )


@pytest.mark.parametrize("name", [c.name for c in shipped_channels()])
@pytest.mark.parametrize("start", ["2027-07-01", "2031-12-31"])
def test_titles_stay_distinct_over_any_window_of_a_year_leap_days_included(name: str, start: str) -> None:
    channel = next(c for c in shipped_channels() if c.name == name)
    titles = [story_title(plan_story(channel_request(channel, day))) for day in dates(start, rotation.YEAR)]
    assert len(set(titles)) == rotation.YEAR


def test_every_title_template_and_wonder_make_a_distinct_title() -> None:
    """The rotation's guarantee rests on titles naming what differs: no two title units read the same."""
    for name in v.available_genres():
        genre = v.genre(name)
        seen: dict[str, str] = {}
        for plot in genre.plots:
            for unit in rotation.title_units(plot, plot.wonders):
                slots = {
                    "hero": "X",
                    "friend": "Y",
                    "his": "his",
                    "wonder_title": unit.wonder.title if unit.wonder else "",
                }
                title = Teller(random.Random(0), slots).fill(unit.template)
                where = f"{name}/{plot.key}/{unit.template}"
                assert title not in seen, f"{where} reads like {seen.get(title)}: {title!r}"
                seen[title] = where


def safe(length: int, dates_apart: int, occurrences: int) -> bool:
    return all((dates_apart * i * length) % 40 for i in range(1, rotation.ceil_div(occurrences, length)))


def test_the_hero_safe_cycle_is_the_longest_that_never_brings_a_title_back_on_the_same_hero() -> None:
    # a plot told every 4th date: 20 of its days apart is 80 dates, a multiple of the 40 names, so 20 is cut to 19
    assert rotation.hero_safe_cycle(20, 4, 40, 92) == 19
    assert rotation.hero_safe_cycle(19, 4, 40, 92) == 19
    for size in range(8, 30):
        for dates_apart in (1, 2, 3, 4, 5, 6, 8):
            length = rotation.hero_safe_cycle(size, dates_apart, 40, 92)
            fitting = [n for n in range(1, size + 1) if safe(n, dates_apart, 92)]
            assert length == (max(fitting) if fitting else size), (size, dates_apart)


def test_themes_narrow_the_rotation_only_when_they_all_name_the_same_plot() -> None:
    genre = v.genre("bedtime")
    keys = [p.key for p in rotation.named_by_all(genre.plots, rotation.plot_keywords, ["a shy owl learning to sing"])]
    assert keys == ["shy_singer"]
    mixed = ["a shy owl learning to sing", "a teddy bear's midnight picnic"]
    assert len(rotation.named_by_all(genre.plots, rotation.plot_keywords, mixed)) == len(genre.plots)


def test_a_day_does_not_depend_on_which_days_were_written_before() -> None:
    channel = shipped_channels()[0]
    request = channel_request(channel, "2026-08-08")
    after_others = generate_story(request)
    rotation.rotation.cache_clear()
    rotation.best_themes.cache_clear()
    assert generate_story(request) == after_others
