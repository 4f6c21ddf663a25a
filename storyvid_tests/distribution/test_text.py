from __future__ import annotations

import json

import pytest

from storyvid_assets.distribution.limits import metadata_limits, text_length
from storyvid_assets.distribution.text import (
    build_platform_metadata,
    compose_text,
    content_marker,
    find_marker,
    marker_line,
    merge_hashtags,
    normalise_hashtag,
    title_limit,
    truncate,
    upload_marker,
    validate_metadata_item,
    without_marker,
    youtube_tags_length,
)
from storyvid_assets.episode import partition_key
from storyvid_assets.errors import ConfigError
from storyvid_assets.models import MetadataRequest, PlatformMetadataItem, Story, StoryRequest
from storyvid_assets.resources.story import LocalStoryWriter
from storyvid_assets.resources.story.llm import parse_metadata
from storyvid_assets.story.writer import generate_story
from storyvid_tests.distribution.conftest import Media, make_item, make_options

ALL_PLATFORMS = ["local", "youtube", "tiktok", "instagram", "facebook"]
MARKER = "a1b2c3d4e5f60718"


@pytest.fixture(scope="module")
def story() -> Story:
    return generate_story(
        StoryRequest(
            channel="bedtime",
            channel_display_name="Moonlit Bedtime Stories",
            date="2026-01-01",
            audience="kids",
            genres=["bedtime"],
            theme_pool=["a lost star finding its way home"],
        )
    )


def request_for(story: Story, **changes: object) -> MetadataRequest:
    fields = dict(
        story=story,
        channel="bedtime",
        channel_display_name="Moonlit Bedtime Stories",
        audience="kids",
        platforms=ALL_PLATFORMS,
        hashtags=["bedtimestories", "#KidsStories", "sleep stories"],
        content_marker=MARKER,
    )
    return MetadataRequest(**{**fields, **changes})


def test_every_platform_gets_an_item_within_its_limits(story: Story) -> None:
    metadata = build_platform_metadata(request_for(story))
    assert [i.platform for i in metadata.items] == ALL_PLATFORMS
    assert metadata.content_marker == MARKER
    for item in metadata.items:
        assert validate_metadata_item(item, MARKER) == []
        assert item.description.endswith(f"ref:sv-{MARKER}")
        assert story.logline in item.description
        assert item.made_for_kids and item.contains_synthetic_media
        assert story.title in item.title
        assert "#bedtimestories" in item.hashtags and "#kidsstories" in item.hashtags
        assert "#sleepstories" in item.hashtags and "#bedtimestory" in item.hashtags  # channel's, then genre's
        assert len(set(item.hashtags)) == len(item.hashtags)
    youtube = metadata.for_platform("youtube")
    assert youtube.title == f"{story.title} | A Bedtime Story" and youtube.category_id == "1"
    assert metadata.for_platform("tiktok").description.startswith(story.title), "a caption opens with the title"


def test_general_audience_is_not_made_for_kids(story: Story) -> None:
    item = build_platform_metadata(request_for(story, audience="general", platforms=["youtube"])).items[0]
    assert item.made_for_kids is False


ADVERSARIAL = {
    "title": "<script>alert(1)</script> " + "Über-long títle with émoji 🌙🦊 " * 60,
    "logline": "A <b>very</b> long logline, " + "with words and 🌟 emoji and ümlauts " * 900,
}


@pytest.mark.parametrize("platform", ALL_PLATFORMS)
def test_absurdly_long_and_hostile_input_still_fits(story: Story, platform: str) -> None:
    hostile = story.model_copy(update=ADVERSARIAL)
    tags = ["#" + "x" * 300, "##", "1234", *(f"tag{i}" for i in range(80)), "Tag1", "TAG1"]
    item = build_platform_metadata(request_for(hostile, platforms=[platform], hashtags=tags)).items[0]
    limits = metadata_limits(platform)
    assert validate_metadata_item(item, MARKER) == []
    assert text_length(item.title, title_limit(limits).unit) <= title_limit(limits).max
    assert text_length(item.description, limits.text.unit) <= limits.text.max
    assert item.title.endswith("…") and "…" in item.description
    assert find_marker(item.description) == MARKER
    assert len(item.hashtags) <= limits.preferred_hashtags
    assert "#tag1" in item.hashtags and "#1234" not in item.hashtags and "##" not in item.hashtags
    if platform == "youtube":
        assert "<" not in item.title + item.description and ">" not in item.title + item.description
        assert youtube_tags_length(item.hashtags) <= 500


def test_youtube_description_is_measured_in_bytes(story: Story) -> None:
    wide = story.model_copy(update={"logline": "ü" * 4000})  # 8000 bytes, 4000 characters
    item = build_platform_metadata(request_for(wide, platforms=["youtube"])).items[0]
    assert len(item.description.encode()) <= 5000 < len(item.description) * 2
    assert item.description.endswith(f"ref:sv-{MARKER}")


def test_tiktok_caption_is_measured_in_utf16_units(story: Story) -> None:
    emoji = story.model_copy(update={"logline": "🌙 " * 1500})  # each moon is two UTF-16 units
    item = build_platform_metadata(request_for(emoji, platforms=["tiktok"])).items[0]
    assert len(item.description.encode("utf-16-le")) // 2 <= 2200
    assert len(item.description) > 1000


def test_validation_reports_each_violation() -> None:
    bad = PlatformMetadataItem(
        platform="youtube",
        title="<" + "t" * 120,
        description="d" * 5001,
        hashtags=["#ok", "#OK", "not a tag", *(f"#t{i}" for i in range(20))],
        made_for_kids=False,
    )
    problems = " | ".join(validate_metadata_item(bad, MARKER))
    for expected in (
        "title is 121 chars",
        "forbidden characters ['<']",
        "description is 5001 utf8_bytes",
        "malformed",
        "repeat",
        "hashtags, over the limit of 15",
        "lacks the content marker",
    ):
        assert expected in problems, expected
    instagram = PlatformMetadataItem(
        platform="instagram",
        title="t",
        made_for_kids=False,
        hashtags=[],
        description=" ".join(f"#t{i}" for i in range(31)),
    )
    assert any("31 hashtags" in p for p in validate_metadata_item(instagram))


def test_hashtags_and_markers_are_normalised() -> None:
    assert normalise_hashtag("#Bedtime Stories!") == "#bedtimestories"
    assert normalise_hashtag("###") is None and normalise_hashtag("2026") is None
    assert marker_line("sv-abcd1234") == marker_line("abcd1234") == "ref:sv-abcd1234"
    assert find_marker("text\n\nref:sv-abcd1234") == "abcd1234" and find_marker("no marker") is None


def test_truncation_stops_at_a_word_boundary() -> None:
    assert truncate("one two three four", 12, "chars") == "one two…"
    assert truncate("short", 12, "chars") == "short"
    assert truncate("x" * 50, 10, "chars") == "x" * 9 + "…"


@pytest.mark.parametrize(
    ("change", "field"),
    [({"platforms": ["myspace"]}, "platforms"), ({"content_marker": "bad marker!"}, "content_marker")],
)
def test_bad_requests_name_the_field(story: Story, change: dict, field: str) -> None:
    with pytest.raises(ConfigError) as err:
        build_platform_metadata(request_for(story, **change))
    assert err.value.field == field


def test_local_writer_writes_metadata_with_the_builder(story: Story) -> None:
    request = request_for(story)
    assert LocalStoryWriter().write_metadata(request) == build_platform_metadata(request)


def test_text_ends_with_the_marker_and_carries_hashtags_once(media: Media) -> None:
    item = make_item(media, "youtube", "9:16", description="A calm story. #bedtimestories")
    text = compose_text(item, make_options("youtube", "9:16"))
    assert text.text.endswith("sv-20261125-9x16")
    assert text.text.count("#bedtimestories") == 1 and "#kidsstories" in text.text and "#Shorts" in text.text
    assert text.tags == ("bedtimestories", "kidsstories", "Shorts")
    reel = compose_text(make_item(media, "instagram", "9:16"), make_options("instagram", "9:16"))
    assert reel.title == "" and "#Shorts" not in reel.text


def test_an_uploads_text_ends_with_its_own_marker_line_only(media: Media) -> None:
    """Once the upload text kept the episode's ``ref:sv-`` line and appended a bare ``sv-...-9x16`` after it."""
    item = make_item(media, "youtube", "9:16", description=f"A calm story.\n\n{marker_line('sv-20261125')}")
    item = item.model_copy(update={"metadata": item.metadata.model_copy(update={"hashtags": ["bedtimestories"]})})
    text = compose_text(item, make_options("youtube", "9:16"))
    assert text.text == "A calm story.\n\n#bedtimestories #Shorts\n\nref:sv-20261125-9x16"
    assert find_marker(text.text) == "20261125-9x16"


def test_a_tag_inside_a_longer_tag_is_still_added(media: Media) -> None:
    """Once ``#bedtime`` counted as present because the description held ``#bedtimestories``."""
    item = make_item(media, "youtube", "16:9", description="A calm story. #bedtimestories")
    tags = ["bedtime", "bedtimestories"]
    item = item.model_copy(update={"metadata": item.metadata.model_copy(update={"hashtags": tags})})
    text = compose_text(item, make_options("youtube", "16:9"))
    assert "#bedtime" in text.text.split() and text.text.count("#bedtimestories") == 1


def test_one_marker_format() -> None:
    marker = content_marker(str(partition_key("bedtime", "2026-11-25")))
    assert marker == "sv-df949e180caa", "the marker of posts already made: sha256('bedtime|2026-11-25')"
    assert upload_marker(marker, "9:16") == f"{marker}-9x16"
    assert marker_line(upload_marker(marker, "9:16")) == f"ref:{marker}-9x16"
    assert without_marker(f"Text.\n\n{marker_line(marker)}") == "Text."
    assert without_marker("No marker  here ") == "No marker  here "


def test_hashtag_rules() -> None:
    """One rule for every writer: '#', lower case, letters/digits/_ only, not all digits, at most 40, each once."""
    raw = ["Bedtime Stories", "#bedtimestories", "kids-stories!", "2026", "#" + "x" * 41]
    assert merge_hashtags(raw, ["Ünïcode"]) == ["#bedtimestories", "#kidsstories", "#ünïcode"]


def test_model_written_metadata_follows_the_same_rules_as_the_builder(story: Story) -> None:
    """Once the LLM writers kept '#'-less, mixed-case hashtags, 15 per platform, and a bare marker at the end."""
    request = request_for(story, platforms=["youtube", "tiktok", "instagram"])
    answer = {
        "items": [
            {
                "platform": p,
                "title": "<b>Mira</b> and the Harbour " * 10,
                "description": "A calm story about a girl who names every boat. " * 60,
                "hashtags": ["#Calm", "stories", "Bedtime Stories", *(f"t{i}" for i in range(20))],
            }
            for p in ("youtube", "tiktok", "instagram")
        ]
    }
    metadata = parse_metadata(json.dumps(answer), request)
    for item in metadata.items:
        limits = metadata_limits(item.platform)
        assert validate_metadata_item(item, MARKER) == []
        assert item.description.endswith(f"ref:sv-{MARKER}")
        assert item.hashtags[:3] == ["#bedtimestories", "#kidsstories", "#sleepstories"], "the channel's first"
        assert len(item.hashtags) == limits.preferred_hashtags
    tiktok = metadata.for_platform("tiktok")
    assert tiktok.description.startswith(tiktok.title), "a caption opens with the title"
    assert "<" not in metadata.for_platform("youtube").title
