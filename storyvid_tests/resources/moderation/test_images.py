"""Image moderation: the OpenAI endpoint (against the loopback fake) and the offline NudeNet classifier."""

from __future__ import annotations

import base64
import io
import sys
from typing import Any

import httpx
import pytest
from PIL import Image

from storyvid_assets.channels import ModerationSettings, ProviderThresholdSettings
from storyvid_assets.errors import ProviderError
from storyvid_assets.models import ImageStyle
from storyvid_assets.moderation.policy import build_policy
from storyvid_assets.resources.images import ProceduralImages
from storyvid_assets.resources.moderation import (
    NOT_CHECKED,
    ImageToModerate,
    LocalModeration,
    ModerationVerdict,
    OpenAIModeration,
    detection_findings,
    offline,
    verdict_findings,
)
from storyvid_tests.fakes.moderation_fake import API_KEY, FakeModerationServer

GENERAL = build_policy(ModerationSettings(), "general")  # standard preset: mild >= 0.5, severe >= 0.85
KIDS = build_policy(ModerationSettings(), "kids")  # strict preset: mild >= 0.2, severe >= 0.6
REMOTE = "openai moderation (omni-moderation-latest)"


def picture(width: int = 2048, height: int = 2048, shade: int = 90) -> bytes:
    image = Image.new("RGB", (width, height), (shade, 120, 200))
    image.paste((240, 200, 40), (width // 4, height // 4, width // 2, height // 2))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def scenes(count: int, width: int = 2048, height: int = 2048) -> list[ImageToModerate]:
    return [
        ImageToModerate(scene_index=i, png=picture(width, height, 40 * i), prompt=f"scene {i}") for i in range(count)
    ]


def provider(fake: FakeModerationServer, **config: Any) -> OpenAIModeration:
    return OpenAIModeration(api_key=API_KEY, base_url=fake.url, backoff_s=0.01, **config)


def terms(findings: list[Any]) -> set[tuple[int | None, str, str, str, bool]]:
    return {(f.scene_index, f.category, f.term, f.level, f.blocking) for f in findings}


# -- the endpoint -----------------------------------------------------------------------------------------------


def test_flagged_picture_blocks_under_the_strict_preset(fake: FakeModerationServer) -> None:
    fake.flag_images = 1  # only the first picture
    result = provider(fake).moderate_images(scenes(2), KIDS)
    assert result.checked and result.provider == REMOTE
    assert terms(result.findings) == {
        (0, "sexual", "sexual", "severe", True),
        (0, "violence", "violence/graphic", "severe", True),
        (0, "violence", "violence", "mild", True),  # plain violence never exceeds mild
    }
    graphic = next(f for f in result.findings if f.term == "violence/graphic")
    assert (graphic.field, graphic.where, graphic.source, graphic.score) == ("image", "scene 1 image", REMOTE, 0.9)
    # one picture per request (the endpoint's limit), in the multimodal shape, as a PNG data URL
    bodies = [r["body"] for r in fake.requests]
    assert [r["path"] for r in fake.requests] == ["/v1/moderations"] * 2
    for body in bodies:
        assert body["model"] == "omni-moderation-latest"
        (part,) = body["input"]
        assert part["type"] == "image_url" and part["image_url"]["url"].startswith("data:image/png;base64,")


def test_mild_scores_do_not_block_a_standard_channel(fake: FakeModerationServer) -> None:
    fake.flag_images, fake.flag_score = None, 0.55
    standard = provider(fake).moderate_images(scenes(1), GENERAL)
    assert terms(standard.findings) == {
        (0, "sexual", "sexual", "mild", False),
        (0, "violence", "violence/graphic", "mild", False),
        (0, "violence", "violence", "mild", False),
    }
    fake.flag_score = 0.3  # below the standard preset's mild threshold, above the strict one's
    assert provider(fake).moderate_images(scenes(1), GENERAL).findings == []
    strict = provider(fake).moderate_images(scenes(1), KIDS).findings
    assert strict and all(f.blocking and f.level == "mild" for f in strict)


def test_channel_thresholds_override_the_preset(fake: FakeModerationServer) -> None:
    strict_scores = ModerationSettings(provider_thresholds=ProviderThresholdSettings(mild=0.1, severe=0.25))
    policy = build_policy(strict_scores, "general")
    assert (policy.preset_name, policy.provider_thresholds.mild, policy.provider_thresholds.severe) == (
        "standard",
        0.1,
        0.25,
    )
    fake.flag_images, fake.flag_score = None, 0.3
    findings = provider(fake).moderate_images(scenes(1), policy).findings
    assert (0, "sexual", "sexual", "severe", True) in terms(findings)
    assert "scores >= 0.1 are mild, >= 0.25 severe" in next(f.why for f in findings if f.term == "sexual")


def test_rate_limits_and_server_errors_are_retried(fake: FakeModerationServer) -> None:
    fake.failures = [429, 500]
    fake.flag_images = 1
    result = provider(fake).moderate_images(scenes(1), KIDS)
    assert len(fake.requests) == 3 and result.findings  # the third attempt answered, and its verdict counts


def test_a_wrong_key_fails_clearly_without_showing_it(fake: FakeModerationServer) -> None:
    wrong = "sk-wrong-image-key-98765"
    with pytest.raises(ProviderError) as error:
        OpenAIModeration(api_key=wrong, base_url=fake.url).moderate_images(scenes(1), KIDS)
    message = str(error.value)
    assert "HTTP 401" in message and "check the API key" in message and not error.value.retryable
    assert wrong not in message and len(fake.requests) == 1


def test_pictures_are_sent_downscaled(fake: FakeModerationServer) -> None:
    moderation = provider(fake)
    moderation.moderate_images(scenes(1, 2048, 2048) + scenes(1, 2048, 1152) + scenes(1, 300, 200), GENERAL)
    assert fake.images_seen == [(512, 512), (512, 288), (300, 200)]
    sent = base64.b64decode(fake.requests[0]["body"]["input"][0]["image_url"]["url"].split(",", 1)[1])
    assert len(sent) < len(picture()) and Image.open(io.BytesIO(sent)).size == (512, 512)
    assert provider(fake, image_max_side=256).classify_image(picture()) is not None
    assert fake.images_seen[-1] == (256, 256)


def test_undecodable_picture_names_the_scene(fake: FakeModerationServer) -> None:
    broken = ImageToModerate(scene_index=3, png=b"not a picture")
    with pytest.raises(ProviderError, match="scene 4 image cannot be decoded"):
        provider(fake).moderate_images([broken], GENERAL)
    assert fake.requests == []


def test_text_only_categories_are_ignored_for_pictures() -> None:
    verdict = ModerationVerdict.model_validate(
        {
            "flagged": True,
            "categories": {"hate": True, "sexual": False, "illicit": None},
            "category_scores": {"hate": 0.95, "sexual": 0.7, "illicit": 0.9},
            "category_applied_input_types": {"hate": [], "sexual": ["image"], "illicit": []},
        }
    )
    assert verdict.image_scores() == {"sexual": 0.7}
    findings = verdict_findings(verdict, "image", 0, KIDS, REMOTE, scores=verdict.image_scores(), where="scene 1 image")
    assert terms(findings) == {(0, "sexual", "sexual", "severe", True)}


@pytest.mark.parametrize(
    ("parts", "code"),
    [
        ([{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}], "invalid_image_format"),
        ([{"type": "image_url", "image_url": {"url": "data:image/png;base64,%%%"}}], "invalid_base64"),
        ([{"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}], "invalid_image_url"),
        ([{"type": "image_url", "image_url": "data:image/png;base64,AAAA"}], "invalid_value"),
        ([{"type": "image", "image_url": {"url": "x"}}], "invalid_value"),
        (["text", {"type": "text", "text": "x"}], "invalid_value"),
        ("two", "too_many_images"),
        ("jpeg-labelled-png", "invalid_image_format"),
    ],
)
def test_the_fake_rejects_malformed_input_like_the_api(fake: FakeModerationServer, parts: Any, code: str) -> None:
    url = "data:image/png;base64," + base64.b64encode(picture(64, 64)).decode()
    if parts == "two":
        parts = [{"type": "image_url", "image_url": {"url": url}}] * 2
    elif parts == "jpeg-labelled-png":
        parts = [{"type": "image_url", "image_url": {"url": url.replace("image/png", "image/jpeg")}}]
    answer = httpx.post(
        fake.url + "/moderations",
        json={"model": "omni-moderation-latest", "input": parts},
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == code and answer.json()["error"]["type"] == "invalid_request_error"


# -- offline: NudeNet -------------------------------------------------------------------------------------------


def test_detections_map_to_sexual_findings() -> None:
    detections = [
        {"class": "FEMALE_BREAST_EXPOSED", "score": 0.7, "box": [1, 2, 3, 4]},
        {"class": "BUTTOCKS_EXPOSED", "score": 0.3, "box": [1, 2, 3, 4]},
        {"class": "BUTTOCKS_EXPOSED", "score": 0.9, "box": [5, 6, 7, 8]},
        {"class": "MALE_GENITALIA_EXPOSED", "score": 0.1, "box": [5, 6, 7, 8]},
        {"class": "FACE_FEMALE", "score": 0.95, "box": [0, 0, 9, 9]},
        {"class": "FEMALE_BREAST_COVERED", "score": 0.9, "box": [0, 0, 9, 9]},
    ]
    assert offline.detection_scores(detections) == {
        "FEMALE_BREAST_EXPOSED": 0.7,
        "BUTTOCKS_EXPOSED": 0.9,
        "MALE_GENITALIA_EXPOSED": 0.1,
    }
    general = detection_findings(detections, 2, GENERAL)
    assert terms(general) == {
        (2, "sexual", "FEMALE_BREAST_EXPOSED", "mild", False),
        (2, "sexual", "BUTTOCKS_EXPOSED", "mild", False),  # partial nudity stays mild
    }
    assert {(f.field, f.where, f.source) for f in general} == {("image", "scene 3 image", "nudenet")}
    assert terms(detection_findings(detections, 2, KIDS)) == {
        (2, "sexual", "FEMALE_BREAST_EXPOSED", "severe", True),
        (2, "sexual", "BUTTOCKS_EXPOSED", "mild", True),
    }
    explicit = [{"class": "MALE_GENITALIA_EXPOSED", "score": 0.9, "box": [0, 0, 1, 1]}]
    assert terms(detection_findings(explicit, 0, GENERAL)) == {(0, "sexual", "MALE_GENITALIA_EXPOSED", "severe", True)}
    assert detection_findings([], 0, KIDS) == []


def test_nudenet_runs_offline_on_a_procedural_scene() -> None:
    nudenet = pytest.importorskip("nudenet", reason="install the image-moderation extra")
    model = offline.detector()
    assert model is not None and offline.detector() is model  # loaded once per process
    weights = model.onnx_session._model_path
    assert weights.endswith("320n.onnx") and weights.startswith(nudenet.__path__[0])
    scene = ProceduralImages().generate(
        "A brown rabbit in a green scarf reads under a lamplit window", ImageStyle(seed=3), 2048, 2048
    )
    result = LocalModeration().moderate_images([ImageToModerate(scene_index=0, png=scene.png)], KIDS)
    assert result.checked and result.provider == "nudenet" and result.findings == []
    assert "exposed nudity only" in result.note and "violence" in result.note


def test_without_nudenet_the_pictures_are_not_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nudenet", None)  # `import nudenet` now raises ImportError
    result = LocalModeration().moderate_images(scenes(1, 64, 64), KIDS)
    assert (result.checked, result.findings, result.note) == (False, [], NOT_CHECKED)
    assert "image-moderation" in result.note and "OPENAI_API_KEY" in result.note
