"""Moderation providers: the local word-list policy by default, an OpenAI-compatible endpoint by choice.

Both return :class:`Finding` objects for a list of text fields. The endpoint provider also runs the local
policy, because personal-data formats, configured real-person names and regional terms are the channel's
own rules that no general model knows.

Pictures (:meth:`ModerationProvider.moderate_images`): the endpoint judges each scene image (one image per
request, a downscaled PNG as a data URL); the local provider uses NudeNet offline when the
``image-moderation`` extra is installed (``offline.py``), and otherwise says the pictures were not checked.

Environment: ``OPENAI_API_KEY`` (or whatever variable the resource's ``api_key`` EnvVar names) for
:class:`OpenAIModeration`; ``STORYVID_MODERATION`` picks the provider (see ``resources/sets.py``).
"""

from __future__ import annotations

import base64
import io
from abc import abstractmethod
from typing import Any

import dagster as dg
import httpx
from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel, Field

from storyvid_assets.errors import ProviderError
from storyvid_assets.moderation.findings import Finding
from storyvid_assets.moderation.policy import TextField, TextPolicy, field_label, scan_fields
from storyvid_assets.reliability import (
    RetryPolicy,
    call_with_retries,
    redact,
    retry_after_s,
    retryable_status,
    secret_value,
)
from storyvid_assets.resources.moderation import offline

PROVIDER = "openai-moderation"

# The endpoint's categories, the policy category each belongs to, and the highest level it can reach:
# "violence" without "graphic" is the peril of any thriller, so it never becomes severe by itself.
OPENAI_CATEGORIES: dict[str, tuple[str, str]] = {
    "sexual": ("sexual", "severe"),
    "sexual/minors": ("sexual", "severe"),
    "hate": ("hate", "severe"),
    "hate/threatening": ("hate", "severe"),
    "harassment": ("hate", "mild"),
    "harassment/threatening": ("hate", "severe"),
    "violence": ("violence", "mild"),
    "violence/graphic": ("violence", "severe"),
    "self-harm": ("self_harm", "mild"),
    "self-harm/intent": ("self_harm", "severe"),
    "self-harm/instructions": ("self_harm", "severe"),
    "illicit": ("illicit", "mild"),
    "illicit/violent": ("illicit", "severe"),
}


# The endpoint's categories whose scores apply to images (its category_applied_input_types say which).
IMAGE_CATEGORIES = ("sexual", "violence", "violence/graphic", "self-harm", "self-harm/intent", "self-harm/instructions")


class ModerationVerdict(BaseModel):
    """One input's result in the moderation endpoint's shape."""

    flagged: bool
    categories: dict[str, bool | None] = Field(default_factory=dict)  # "illicit" may be null
    category_scores: dict[str, float] = Field(default_factory=dict)
    # category -> the input types ("text", "image") its score applies to; absent from some compatible servers
    category_applied_input_types: dict[str, list[str] | None] = Field(default_factory=dict)

    def image_scores(self) -> dict[str, float]:
        """The scores that apply to an image input (all of them when the server does not say)."""
        applied = self.category_applied_input_types
        if not applied:
            return dict(self.category_scores)
        return {name: score for name, score in self.category_scores.items() if "image" in (applied.get(name) or [])}


class ImageToModerate(BaseModel):
    """One scene picture to judge: its encoded bytes and the prompt it was drawn from."""

    scene_index: int
    png: bytes
    prompt: str = ""


class ImageModeration(BaseModel):
    """What an image classifier said about a set of pictures; ``checked`` is False when nothing looked."""

    findings: list[Finding] = Field(default_factory=list)
    checked: bool
    provider: str
    note: str = ""  # e.g. "image content not checked: ..." with the fix


IMAGE_MODERATION_FIX = (
    "set OPENAI_API_KEY (and STORYVID_MODERATION=openai in the local set), or install the offline classifier "
    "with `pip install 'storyvid[image-moderation]'`"
)
NOT_CHECKED = f"image content not checked: no image moderation provider is available ({IMAGE_MODERATION_FIX})"


class ModerationProvider(dg.ConfigurableResource):
    """Finds policy problems in a story's text fields and, where a classifier is available, in its pictures."""

    @abstractmethod
    def moderate(self, texts: list[TextField], policy: TextPolicy) -> list[Finding]:
        """Every finding in ``texts`` under ``policy`` (blocking or not, as the policy says)."""

    def moderate_images(self, images: list[ImageToModerate], policy: TextPolicy) -> ImageModeration:
        """What the pictures show, judged under ``policy``; unchecked when this provider cannot look."""
        return ImageModeration(checked=False, provider=self.provider_name, note=NOT_CHECKED)

    @property
    def provider_name(self) -> str:
        return "local word lists"


class LocalModeration(ModerationProvider):
    """The offline policy: word lists, personal-data patterns and configured names from ``moderation/data``;
    pictures through NudeNet when the ``image-moderation`` extra is installed."""

    def moderate(self, texts: list[TextField], policy: TextPolicy) -> list[Finding]:
        return scan_fields(texts, policy)

    def moderate_images(self, images: list[ImageToModerate], policy: TextPolicy) -> ImageModeration:
        """NudeNet's exposed-nudity detections as ``sexual`` findings; unchecked when NudeNet is not installed."""
        model = offline.detector()
        if model is None:
            return ImageModeration(checked=False, provider=self.provider_name, note=NOT_CHECKED)
        findings: list[Finding] = []
        for image in images:
            try:
                (detections,) = offline.detect(model, [image.png])
            except (OSError, UnidentifiedImageError) as exc:
                message = f"{image_label(image.scene_index)} cannot be decoded: {exc}"
                raise ProviderError(offline.NUDENET, message) from None
            findings += detection_findings(detections, image.scene_index, policy)
        return ImageModeration(findings=findings, checked=True, provider=offline.NUDENET, note=offline.NOTE)


def image_label(scene_index: int) -> str:
    """Where a scene picture's finding is: ``scene 3 image`` for index 2."""
    return f"scene {scene_index + 1} image"


def detection_findings(detections: list[dict[str, Any]], scene_index: int, policy: TextPolicy) -> list[Finding]:
    """NudeNet's detections on one scene picture -> findings under the policy's classifier thresholds."""
    scores = offline.detection_scores(detections)
    verdict = ModerationVerdict(flagged=bool(scores), category_scores=scores)
    return verdict_findings(
        verdict,
        "image",
        scene_index,
        policy,
        offline.NUDENET,
        categories=offline.NUDENET_CATEGORIES,
        where=image_label(scene_index),
    )


def verdict_findings(
    verdict: ModerationVerdict,
    field: str,
    scene_index: int | None,
    policy: TextPolicy,
    provider: str,
    *,
    scores: dict[str, float] | None = None,
    categories: dict[str, tuple[str, str]] = OPENAI_CATEGORIES,
    where: str | None = None,
) -> list[Finding]:
    """Turn one classifier result into findings with the policy's thresholds and blocking levels.

    ``scores`` replaces the verdict's own (e.g. only those that apply to an image); ``categories`` maps the
    classifier's names to (policy category, highest level); ``where`` overrides the label made from ``field``.
    """
    thresholds = policy.provider_thresholds
    findings: list[Finding] = []
    for name, score in sorted((verdict.category_scores if scores is None else scores).items()):
        category, ceiling = categories.get(name, (name.split("/")[0].replace("-", "_"), "severe"))
        if score >= thresholds.severe:
            level = ceiling
        elif score >= thresholds.mild:
            level = "mild"
        else:
            continue
        blocks = policy.blocks(category, level)
        findings.append(
            Finding(
                category=category,
                level=level,
                blocking=blocks,
                what=f"{provider} rates '{name}' at {score:.2f}",
                where=where or field_label(field),
                why=(
                    f"{category} at level {level} is {'blocked' if blocks else 'allowed'} by the {policy.preset_name} "
                    f"preset (scores >= {thresholds.mild} are mild, >= {thresholds.severe} {ceiling})"
                ),
                field=field,
                scene_index=scene_index,
                term=name,
                source=provider,
                score=round(score, 4),
            )
        )
    return findings


class OpenAIModeration(ModerationProvider):
    """``POST {base_url}/moderations`` (OpenAI's moderation API or a compatible server), plus the local policy.

    Text goes in batches of ``batch_size`` strings; each picture goes alone (the endpoint takes one image per
    request), as a PNG data URL downscaled to ``image_max_side`` pixels on its longest side.
    """

    api_key: str
    base_url: str = "https://api.openai.com/v1"
    model: str = "omni-moderation-latest"
    timeout_s: float = 30.0
    batch_size: int = 32
    image_max_side: int = Field(default=512, ge=64, le=2048)
    max_attempts: int = 3
    backoff_s: float = 1.0  # base of the full-jitter exponential backoff
    retry_after_cap_s: float = 30.0  # a longer Retry-After fails the call now instead of waiting

    @property
    def provider_name(self) -> str:
        return f"openai moderation ({self.model})"

    def moderate(self, texts: list[TextField], policy: TextPolicy) -> list[Finding]:
        findings = LocalModeration().moderate(texts, policy)
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start : start + self.batch_size]
            verdicts = self.classify([text for _, _, text in batch])
            for (field, scene_index, _), verdict in zip(batch, verdicts, strict=True):
                findings += verdict_findings(verdict, field, scene_index, policy, self.provider_name)
        return findings

    def moderate_images(self, images: list[ImageToModerate], policy: TextPolicy) -> ImageModeration:
        """One endpoint call per picture; only the scores the endpoint applies to images become findings."""
        findings: list[Finding] = []
        for image in images:
            verdict = self.classify_image(image.png, image_label(image.scene_index))
            findings += verdict_findings(
                verdict,
                "image",
                image.scene_index,
                policy,
                self.provider_name,
                scores=verdict.image_scores(),
                where=image_label(image.scene_index),
            )
        judged = ", ".join(IMAGE_CATEGORIES)
        return ImageModeration(
            findings=findings, checked=True, provider=self.provider_name, note=f"pictures judged for {judged}"
        )

    def classify(self, inputs: list[str]) -> list[ModerationVerdict]:
        """One endpoint call for ``inputs``; retries rate limits, server errors and network failures."""
        return self._request(inputs, len(inputs))

    def classify_image(self, encoded: bytes, label: str = "image") -> ModerationVerdict:
        """One endpoint call for one picture (PNG, JPEG or WebP bytes), sent downscaled as a PNG data URL."""
        url = png_data_url(downscaled_png(encoded, self.image_max_side, label))
        (verdict,) = self._request([{"type": "image_url", "image_url": {"url": url}}], 1)
        return verdict

    def _request(self, inputs: list[str] | list[dict[str, Any]], expected: int) -> list[ModerationVerdict]:
        url = self.base_url.rstrip("/") + "/moderations"
        payload = {"model": self.model, "input": inputs}
        secrets = [secret_value(self.api_key)]

        def post() -> httpx.Response:
            try:
                response = httpx.post(
                    url, json=payload, timeout=self.timeout_s, headers={"Authorization": f"Bearer {secrets[0] or ''}"}
                )
            except httpx.TransportError as exc:
                message = f"cannot reach {url}: {type(exc).__name__}"
                raise ProviderError(PROVIDER, message, retryable=True) from None
            if response.status_code != 200:
                raise _http_error(response, secrets)
            return response

        policy = RetryPolicy(
            max_attempts=self.max_attempts, base_delay_s=self.backoff_s, retry_after_cap_s=self.retry_after_cap_s
        )
        return self._parse(call_with_retries(post, policy), expected)

    @staticmethod
    def _parse(response: httpx.Response, expected: int) -> list[ModerationVerdict]:
        try:
            body: dict[str, Any] = response.json()
            results = [ModerationVerdict.model_validate(r) for r in body["results"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise ProviderError(PROVIDER, f"unexpected response shape: {exc}") from exc
        if len(results) != expected:
            raise ProviderError(PROVIDER, f"{len(results)} results for {expected} inputs")
        return results


def downscaled_png(encoded: bytes, max_side: int, label: str = "image") -> bytes:
    """``encoded`` as a PNG no larger than ``max_side`` on its longest side (smaller pictures stay as they are)."""
    try:
        with Image.open(io.BytesIO(encoded)) as image:
            picture = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    except (OSError, UnidentifiedImageError) as exc:
        raise ProviderError(PROVIDER, f"{label} cannot be decoded as a picture: {exc}") from None
    picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue()


def png_data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _http_error(response: httpx.Response, secrets: list[str | None]) -> ProviderError:
    try:
        message = response.json().get("error", {}).get("message", "")
    except ValueError:
        message = response.text[:200]
    status = response.status_code
    hint = " (check the API key in the environment)" if status in (401, 403) else ""
    return ProviderError(
        PROVIDER,
        redact(f"HTTP {status}: {message}{hint}", secrets),
        retryable=retryable_status(status),
        retry_after=retry_after_s(response.headers),
    )
