"""The text policy: true positives through obfuscations, presets, regions, names, and no false positives."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from storyvid_assets.channels import ChannelConfig, ModerationSettings, load_channels
from storyvid_assets.models import Character, Scene, Story, StoryRequest
from storyvid_assets.moderation.findings import Finding
from storyvid_assets.moderation.policy import (
    TextPolicy,
    build_policy,
    policy_for_channel,
    scan_fields,
    scan_text,
    story_fields,
)
from storyvid_assets.resources.story import LocalStoryWriter

GENERAL = build_policy(ModerationSettings(), "general")
KIDS = build_policy(ModerationSettings(), "kids")


def blocking_in(text: str, policy: TextPolicy = GENERAL) -> list[Finding]:
    return [f for f in scan_text(text, policy) if f.blocking]


@pytest.mark.parametrize(
    ("text", "category", "matched"),
    [
        ("What the fuck was that?", "profanity", "fuck"),
        ("It was FUCKING cold.", "profanity", "FUCKING"),
        ("that motherfucker ran", "profanity", "motherfucker"),
        ("you f*ck, you f**k", "profanity", "f*ck"),
        ("What the f u c k", "profanity", "f u c k"),
        ("s.h.i.t happens", "profanity", "s.h.i.t"),
        ("holy sh1t", "profanity", "sh1t"),
        ("$hit", "profanity", "$hit"),
        ("fuuuuuck", "profanity", "fuuuuuck"),
        ("b!tches everywhere", "profanity", "b!tches"),
        ("fück", "profanity", "fück"),
        ("fu\u200bck", "profanity", "fu\u200bck"),
        ("fu\u0441k", "profanity", "fu\u0441k"),  # Cyrillic с
        ("ＦＵＣＫ", "profanity", "ＦＵＣＫ"),
        ("a dirty nigger", "hate", "nigger"),
        ("f4ggot", "hate", "f4ggot"),
        ("he shouted sieg heil", "hate", "sieg heil"),
        ("they watched porn", "sexual", "porn"),
        ("a blow job", "sexual", "blow job"),
        ("she was masturbating", "sexual", "masturbating"),
        ("the raped girl", "sexual", "raped"),
        ("his entrails spilled out", "violence", "entrails"),
        ("he slit her throat", "violence", "slit her throat"),
        ("the decapitated guard", "violence", "decapitated"),
        ("he was beaten to death", "violence", "beaten to death"),
        ("I want to kill myself tonight", "self_harm", "kill myself"),
        ("just kys", "self_harm", "kys"),
        ("I keep cutting myself", "self_harm", "cutting myself"),
    ],
)
def test_blocks_on_a_general_channel(text: str, category: str, matched: str) -> None:
    found = blocking_in(text)
    assert any(f.category == category and f.matched == matched for f in found), found


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("write to jane.doe@example.com today", "email address"),
        ("mail jane at example dot com", "spelled-out email address"),
        ("call (555) 123-4567", "US phone number"),
        ("call +44 20 7946 0958 now", "international phone number"),
        ("ring 07700 900123", "UK phone number"),
        ("she lived at 221 Baker Street", "US street address"),
        ("post it to SW1A 1AA", "UK postcode"),
        ("card 4111 1111 1111 1111", "payment card number"),
        ("SSN 078-05-1120", "US social security number"),
    ],
)
def test_personal_data_blocks(text: str, kind: str) -> None:
    found = blocking_in(text)
    assert [f.term for f in found if f.category == "personal_data"] == [kind], found


def test_card_numbers_must_pass_luhn() -> None:
    assert blocking_in("order 4111 1111 1111 1112 shipped") == []


def test_finding_says_what_where_and_why_with_offsets() -> None:
    story = make_story(["The owl slept.", "Then the fox said fuck and ran to 12 Willow Lane."])
    found = [f for f in scan_fields(story_fields(story), GENERAL) if f.blocking]
    assert [f.category for f in found] == ["profanity", "personal_data"]
    word = found[0]
    narration = story.scenes[1].narration
    assert narration[word.start : word.end] == word.matched == "fuck"
    assert (word.field, word.scene_index) == ("scenes[1].narration", 1)
    assert word.where == f"scene 2 narration, characters {word.start}-{word.end}"
    assert "blocked by the standard preset" in word.why and "profanity.yaml" in word.why
    assert "fuck" in (word.excerpt or "")


def test_title_and_image_prompts_are_checked() -> None:
    story = make_story(["A calm night."], title="The Shit Tree", prompt="a gory scene, entrails")
    fields = {f.field for f in scan_fields(story_fields(story), GENERAL) if f.blocking}
    assert fields == {"title", "scenes[0].image_prompt"}


@pytest.mark.parametrize(
    "text",
    [
        "the wolf killed the deer",
        "blood on the snow",
        "damn it",
        "a terrified scream",
        "Go to hell",
        "you stupid idiot",
        "they fell in love and had sex",
    ],
)
def test_mild_content_passes_general_but_blocks_kids(text: str) -> None:
    assert blocking_in(text, GENERAL) == []
    notes = scan_text(text, GENERAL)
    assert notes and all("allowed by the standard preset" in f.why for f in notes)
    assert blocking_in(text, KIDS), text


def test_kids_channels_are_always_strict() -> None:
    kids = ChannelConfig(name="k", display_name="K", audience="kids", genres=["bedtime"], theme_pool=["x"])
    assert policy_for_channel(kids).preset_name == "strict"
    general = ChannelConfig(
        name="g", display_name="G", genres=["horror"], theme_pool=["x"], moderation=ModerationSettings(preset="strict")
    )
    assert policy_for_channel(general).preset_name == "strict"
    with pytest.raises(ValueError, match="not allowed for audience 'kids'"):
        ChannelConfig(
            name="k",
            display_name="K",
            audience="kids",
            genres=["bedtime"],
            theme_pool=["x"],
            moderation=ModerationSettings(preset="standard"),
        )


def test_regions_switch_regional_lists_and_formats() -> None:
    uk = build_policy(ModerationSettings(regions=["uk"]), "general")
    us = build_policy(ModerationSettings(regions=["us"]), "general")
    de = build_policy(ModerationSettings(regions=["de"]), "general")
    assert blocking_in("what a tosser", uk) and not blocking_in("what a tosser", us)
    assert blocking_in("post it to SW1A 1AA", uk) and not blocking_in("post it to SW1A 1AA", us)
    assert blocking_in("call (555) 123-4567", us) and not blocking_in("call (555) 123-4567", uk)
    assert blocking_in("sie riefen juden raus", de) and not blocking_in("sie riefen juden raus", uk)
    with pytest.raises(ValueError, match="unknown region"):
        ModerationSettings(regions=["atlantis"])


def test_configured_real_person_names() -> None:
    named = build_policy(ModerationSettings(real_person_names=["Taylor Swift"]), "general")
    for text in ["He met Taylor Swift.", "taylor swift's manager", "T4ylor Sw1ft sang", "TAYLOR  SWIFT"]:
        assert [f.category for f in blocking_in(text, named)] == ["real_person"], text
    assert blocking_in("a swift taylor stitched", named) == []
    assert blocking_in("He met Taylor Swift.", GENERAL) == []


def test_channel_extra_and_allowed_terms() -> None:
    policy = build_policy(ModerationSettings(extra_terms={"profanity": ["glorp"]}, allow_terms=["hell"]), "kids")
    assert [f.matched for f in blocking_in("oh glorping heck", policy)] == ["glorping"]
    assert blocking_in("a hell of a day", policy) == []
    with pytest.raises(ValueError, match="unknown categories"):
        ModerationSettings(extra_terms={"rudeness": ["x"]})


@pytest.mark.parametrize(
    "text",
    [
        "Scunthorpe United won.",
        "We assess the class as they pass.",
        "He'll say hello to the shell.",
        "A cocktail of grapes, cumin and rapeseed.",
        "The dog sniggered.",
        "A chink of light fell on the dyke.",
        "Shiitake mushrooms in Essex.",
        "The therapist analysed the document.",
        "She pricked up her ears.",
        "The stars died away at dawn",
        "The skilled gunner",
        "He wound the clock.",
    ],
)
def test_clean_sentences_do_not_block(text: str) -> None:
    assert blocking_in(text, GENERAL) == []


@pytest.mark.parametrize(
    "text",
    [
        "Scunthorpe United won.",
        "We assess the class as they pass.",
        "He'll say hello to the shell.",
        "A cocktail of grapes, cumin and rapeseed.",
        "The dog sniggered.",
        "She pricked up her ears.",
    ],
)
def test_clean_sentences_do_not_block_kids(text: str) -> None:
    assert blocking_in(text, KIDS) == []


@pytest.mark.parametrize("channel_name", sorted(load_channels()))
def test_no_false_positives_on_generated_stories(channel_name: str) -> None:
    """At least 30 stories per shipped channel, as the local writer makes them, pass the channel's policy."""
    channel = load_channels()[channel_name]
    policy = policy_for_channel(channel)
    writer = LocalStoryWriter()
    for i in range(32):
        day = (date(2026, 2, 1) + timedelta(days=5 * i)).isoformat()
        story = writer.write_story(
            StoryRequest(
                channel=channel.name,
                channel_display_name=channel.display_name,
                date=day,
                attempt=1 + i % 3,
                language=channel.language,
                audience=channel.audience,
                genres=channel.genres,
                theme_pool=channel.theme_pool,
            )
        )
        blocking = [f for f in scan_fields(story_fields(story), policy) if f.blocking]
        assert blocking == [], f"{channel.name} {day}: {story.title}"


def make_story(narrations: list[str], title: str = "A Quiet Night", prompt: str = "a fox under the moon") -> Story:
    return Story(
        title=title,
        logline="A fox finds a star.",
        genre="bedtime",
        setting="a wood",
        characters=[Character(name="Pip", role="hero", description="a small fox")],
        scenes=[Scene(index=i, beat="setup", narration=n, image_prompt=prompt) for i, n in enumerate(narrations)],
        provider="test",
    )
