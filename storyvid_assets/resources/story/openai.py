"""Stories and platform metadata from OpenAI, or any OpenAI-compatible server (Mistral, Ollama, vLLM).

Uses the official ``openai`` SDK: chat completions (default) or the Responses API, with a JSON schema as
structured output where the server supports it. The SDK retries 408/409/429/5xx itself (``max_retries``,
honouring ``Retry-After``); what is left is turned into a ``ProviderError`` without the key in it.
"""

from __future__ import annotations

from typing import Any, Literal

from storyvid_assets.reliability import redact, secret_value
from storyvid_assets.resources.cloud import TierModels, status_error
from storyvid_assets.resources.story.llm import CloudStoryWriter, Completion

OPENAI_MODELS = TierModels(premium="gpt-4o", standard="gpt-4o-mini", budget="gpt-4.1-nano")
MISTRAL_MODELS = TierModels(
    premium="mistral-large-latest", standard="mistral-medium-latest", budget="mistral-small-latest"
)
MISTRAL_BASE_URL = "https://api.mistral.ai/v1"


def openai_error(provider: str, exc: Exception, secrets: list[str | None]) -> Exception:
    """An SDK exception as a ``MeteredProviderError`` (status, error code, message; never the key)."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        body = exc.body if isinstance(exc.body, dict) else {}
        error = body.get("error", body) if isinstance(body, dict) else {}
        error = error if isinstance(error, dict) else {}
        code = error.get("code") or error.get("type")
        message = str(error.get("message") or exc.message)
        return status_error(provider, exc.status_code, str(code) if code else None, message, secrets)
    if isinstance(exc, openai.APIConnectionError):
        return status_error(provider, None, None, f"no answer from the server ({type(exc).__name__})", secrets)
    return status_error(provider, 200, "malformed_response", redact(str(exc), secrets)[:200], secrets)


class OpenAIStoryWriter(CloudStoryWriter):
    """OpenAI (or an OpenAI-compatible server at ``base_url``) writes stories and platform metadata."""

    api_key: str
    base_url: str | None = None  # e.g. https://api.mistral.ai/v1, http://localhost:11434/v1 (Ollama); keep /v1
    provider_name: str = "openai"
    models: TierModels = OPENAI_MODELS
    api: Literal["chat", "responses"] = "chat"
    structured_output: Literal["json_schema", "json_object", "none"] = "json_schema"
    max_tokens_param: Literal["max_completion_tokens", "max_tokens"] = "max_completion_tokens"
    max_retries: int = 2
    timeout_s: float = 120.0

    def _client(self) -> Any:
        import openai

        return openai.OpenAI(
            api_key=secret_value(self.api_key),
            base_url=self.base_url,
            max_retries=self.max_retries,
            timeout=self.timeout_s,
        )

    def complete(self, system: str, user: str, schema_name: str, schema: dict[str, Any], model: str) -> Completion:
        import openai

        try:
            with self._client() as client:
                if self.api == "responses":
                    return self._responses(client, system, user, schema_name, schema, model)
                return self._chat(client, system, user, schema_name, schema, model)
        except (openai.APIError, ValueError) as exc:
            raise openai_error(self.provider_name, exc, [secret_value(self.api_key)]) from None

    def _chat(
        self, client: Any, system: str, user: str, schema_name: str, schema: dict[str, Any], model: str
    ) -> Completion:
        extra: dict[str, Any] = {self.max_tokens_param: self.max_output_tokens}
        if self.structured_output == "json_schema":
            extra["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": schema_name, "schema": schema, "strict": False},
            }
        elif self.structured_output == "json_object":
            extra["response_format"] = {"type": "json_object"}
        response = client.chat.completions.create(
            model=model,
            temperature=self.temperature,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
            **extra,
        )
        units: dict[str, float] = {}
        if response.usage is not None:
            units = {
                "input_tokens": float(response.usage.prompt_tokens or 0),
                "output_tokens": float(response.usage.completion_tokens or 0),
            }
        if not response.choices:
            return Completion(text="", truncated=False, units=units, refusal="the response has no choices")
        choice = response.choices[0]
        message = choice.message
        return Completion(
            text=message.content or "",
            truncated=choice.finish_reason == "length",
            units=units,
            refusal=getattr(message, "refusal", None),
        )

    def _responses(
        self, client: Any, system: str, user: str, schema_name: str, schema: dict[str, Any], model: str
    ) -> Completion:
        extra: dict[str, Any] = {}
        if self.structured_output == "json_schema":
            extra["text"] = {"format": {"type": "json_schema", "name": schema_name, "schema": schema, "strict": False}}
        elif self.structured_output == "json_object":
            extra["text"] = {"format": {"type": "json_object"}}
        response = client.responses.create(
            model=model,
            instructions=system,
            input=user,
            max_output_tokens=self.max_output_tokens,
            temperature=self.temperature,
            **extra,
        )
        units: dict[str, float] = {}
        if response.usage is not None:
            units = {
                "input_tokens": float(response.usage.input_tokens or 0),
                "output_tokens": float(response.usage.output_tokens or 0),
            }
        return Completion(text=response.output_text or "", truncated=response.status == "incomplete", units=units)


def mistral_story_writer(api_key: str, **overrides: Any) -> OpenAIStoryWriter:
    """Mistral through its OpenAI-compatible endpoint."""
    settings: dict[str, Any] = {
        "base_url": MISTRAL_BASE_URL,
        "provider_name": "mistral",
        "models": MISTRAL_MODELS,
        "max_tokens_param": "max_tokens",
        "structured_output": "json_object",
    }
    return OpenAIStoryWriter(api_key=api_key, **{**settings, **overrides})


def compatible_story_writer(
    base_url: str, model: str, provider_name: str = "ollama", api_key: str = "none", **overrides: Any
) -> OpenAIStoryWriter:
    """A self-hosted OpenAI-compatible server (Ollama, vLLM) with one model at every tier."""
    settings: dict[str, Any] = {
        "base_url": base_url,
        "provider_name": provider_name,
        "models": TierModels(premium=model, standard=model, budget=model),
        "max_tokens_param": "max_tokens",
        "structured_output": "json_object",
    }
    return OpenAIStoryWriter(api_key=api_key, **{**settings, **overrides})
