"""Text moderation providers: the local word-list policy by default, an OpenAI-compatible endpoint by choice.

Both return :class:`Finding` objects for a list of text fields. The endpoint provider also runs the local
policy, because personal-data formats, configured real-person names and regional terms are the channel's
own rules that no general model knows.

Environment: ``OPENAI_API_KEY`` (or whatever variable the resource's ``api_key`` EnvVar names) for
:class:`OpenAIModeration`.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

import dagster as dg
import httpx
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


class ModerationVerdict(BaseModel):
    """One input's result in the moderation endpoint's shape."""

    flagged: bool
    categories: dict[str, bool] = Field(default_factory=dict)
    category_scores: dict[str, float] = Field(default_factory=dict)


class ModerationProvider(dg.ConfigurableResource):
    """Finds policy problems in a story's text fields."""

    @abstractmethod
    def moderate(self, texts: list[TextField], policy: TextPolicy) -> list[Finding]:
        """Every finding in ``texts`` under ``policy`` (blocking or not, as the policy says)."""

    @property
    def provider_name(self) -> str:
        return "local word lists"


class LocalModeration(ModerationProvider):
    """The offline policy: word lists, personal-data patterns and configured names from ``moderation/data``."""

    def moderate(self, texts: list[TextField], policy: TextPolicy) -> list[Finding]:
        return scan_fields(texts, policy)


def verdict_findings(
    verdict: ModerationVerdict, field: str, scene_index: int | None, policy: TextPolicy, provider: str
) -> list[Finding]:
    """Turn one endpoint result into findings with the policy's thresholds and blocking levels."""
    thresholds = policy.provider_thresholds
    findings: list[Finding] = []
    for name, score in sorted(verdict.category_scores.items()):
        category, ceiling = OPENAI_CATEGORIES.get(name, (name.split("/")[0].replace("-", "_"), "severe"))
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
                where=field_label(field),
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
    """``POST {base_url}/moderations`` (OpenAI's moderation API or a compatible server), plus the local policy."""

    api_key: str
    base_url: str = "https://api.openai.com/v1"
    model: str = "omni-moderation-latest"
    timeout_s: float = 30.0
    batch_size: int = 32
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

    def classify(self, inputs: list[str]) -> list[ModerationVerdict]:
        """One endpoint call for ``inputs``; retries rate limits, server errors and network failures."""
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
        return self._parse(call_with_retries(post, policy), len(inputs))

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
