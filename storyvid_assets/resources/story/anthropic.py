"""Stories and platform metadata from Anthropic's Messages API, through the official ``anthropic`` SDK."""

from __future__ import annotations

from typing import Any

from storyvid_assets.reliability import redact, secret_value
from storyvid_assets.resources.cloud import TierModels, status_error
from storyvid_assets.resources.story.llm import CloudStoryWriter, Completion

# No cheaper current Claude model than Haiku 4.5 is known here, so standard and budget share it.
ANTHROPIC_MODELS = TierModels(premium="claude-sonnet-4-6", standard="claude-haiku-4-5", budget="claude-haiku-4-5")


def anthropic_error(provider: str, exc: Exception, secrets: list[str | None]) -> Exception:
    import anthropic

    if isinstance(exc, anthropic.APIStatusError):
        body = exc.body if isinstance(exc.body, dict) else {}
        error = body.get("error", {}) if isinstance(body, dict) else {}
        error = error if isinstance(error, dict) else {}
        code = error.get("type")
        return status_error(
            provider, exc.status_code, str(code) if code else None, str(error.get("message") or exc.message), secrets
        )
    if isinstance(exc, anthropic.APIConnectionError):
        return status_error(provider, None, None, f"no answer from the server ({type(exc).__name__})", secrets)
    return status_error(provider, 200, "malformed_response", redact(str(exc), secrets)[:200], secrets)


class AnthropicStoryWriter(CloudStoryWriter):
    """Claude writes stories and platform metadata (JSON asked for in the prompt, validated here)."""

    api_key: str
    base_url: str | None = None
    provider_name: str = "anthropic"
    models: TierModels = ANTHROPIC_MODELS
    max_retries: int = 2
    timeout_s: float = 120.0

    def complete(self, system: str, user: str, schema_name: str, schema: dict[str, Any], model: str) -> Completion:
        import anthropic

        try:
            with anthropic.Anthropic(
                api_key=secret_value(self.api_key),
                base_url=self.base_url,
                max_retries=self.max_retries,
                timeout=self.timeout_s,
            ) as client:
                response = client.messages.create(
                    model=model,
                    max_tokens=self.max_output_tokens,
                    system=system,
                    messages=[{"role": "user", "content": user}],
                )
        except (anthropic.APIError, ValueError) as exc:
            raise anthropic_error(self.provider_name, exc, [secret_value(self.api_key)]) from None
        units: dict[str, float] = {}
        if response.usage is not None:
            units = {
                "input_tokens": float(response.usage.input_tokens or 0),
                "output_tokens": float(response.usage.output_tokens or 0),
            }
        text = "".join(getattr(block, "text", "") for block in response.content or [] if block.type == "text")
        refusal = "stop_reason refusal" if response.stop_reason == "refusal" else None
        return Completion(text=text, truncated=response.stop_reason == "max_tokens", units=units, refusal=refusal)
