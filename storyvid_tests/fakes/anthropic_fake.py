"""A loopback fake of Anthropic's Messages API (``POST /v1/messages``), as the ``anthropic`` SDK speaks it.

``x-api-key`` or ``Authorization: Bearer`` auth (any ``anthropic-version`` accepted);
``{"type": "error", "error": {type, message}}`` errors: 401 ``authentication_error``, 429 ``rate_limit_error``
with ``retry-after``, 500 ``api_error``, 529 ``overloaded_error``; ``stop_reason: max_tokens`` for a truncated
answer.
"""

from __future__ import annotations

import math
import uuid

from storyvid_tests.fakes.ai_content import genre_from_prompt, metadata_json, platforms_from_prompt, story_json
from storyvid_tests.fakes.ai_server import FakeAIServer, Fault, RecordedRequest, Reply, retry_headers


def _error(status: int, kind: str, message: str, **headers: str) -> Reply:
    return Reply.json(
        status,
        {"type": "error", "error": {"type": kind, "message": message}},
        **{"request-id": f"req_{uuid.uuid4().hex[:12]}", **headers},
    )


class AnthropicFake(FakeAIServer):
    """``base_url`` for the SDK is :attr:`origin` (no ``/v1``: the SDK adds it)."""

    def __init__(self, api_key: str = "sk-ant-test-0123456789abcdef") -> None:
        super().__init__(api_key)
        self.usage_override: dict[str, tuple[int, int]] = {}

    def authorized(self, headers: dict[str, str]) -> bool:
        # The docs name x-api-key; anthropic 2.14.0 sends the key as a Bearer token. Accept both.
        given = headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ")
        return given == self.api_key and bool(headers.get("anthropic-version"))

    def answer(self, request: RecordedRequest, fault: Fault) -> Reply:
        if fault.kind == "auth":
            return _error(fault.status or 401, "authentication_error", "invalid x-api-key")
        if fault.kind == "quota":  # Anthropic reports spent credit as a 400 invalid_request_error
            return _error(
                fault.status or 400,
                "invalid_request_error",
                "Your credit balance is too low to access the Anthropic API.",
            )
        if fault.kind == "rate_limit":
            return _error(
                fault.status or 429,
                "rate_limit_error",
                "Number of requests has exceeded your rate limit",
                **retry_headers(fault),
            )
        if fault.kind == "server_error":
            status = fault.status or 529
            return _error(status, "overloaded_error" if status == 529 else "api_error", "Overloaded")
        if request.path != "/v1/messages":
            return _error(404, "not_found_error", f"Unknown path {request.path}")
        body = request.json()
        system = body.get("system", "")
        system = system if isinstance(system, str) else " ".join(b.get("text", "") for b in system)
        prompt = system + "\n" + "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        if "Task: platform_metadata" in prompt:
            text = metadata_json(platforms_from_prompt(prompt))
        else:
            text = story_json(genre_from_prompt(prompt), title="The Owl Who Learned to Sing")
        stop = "end_turn"
        if fault.kind == "malformed":
            text = "Here is your story: " + text[:200]
        elif fault.kind == "truncated":
            text, stop = text[: len(text) // 2], "max_tokens"
        used = self.usage_override.get(body["model"]) or (math.ceil(len(prompt) / 4), math.ceil(len(text) / 4))
        self.record_usage(model=body["model"], input_tokens=used[0], output_tokens=used[1])
        return Reply.json(
            200,
            {
                "id": f"msg_{uuid.uuid4().hex[:20]}",
                "type": "message",
                "role": "assistant",
                "model": body["model"],
                "content": [{"type": "text", "text": text}],
                "stop_reason": stop,
                "stop_sequence": None,
                "usage": {"input_tokens": used[0], "output_tokens": used[1]},
            },
        )
