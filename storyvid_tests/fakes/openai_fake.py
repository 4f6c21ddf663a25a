"""A loopback fake of the OpenAI API: chat completions, responses, images and speech.

Speaks the wire protocol the ``openai`` SDK expects (``/v1`` prefix, Bearer auth, ``{"error": {...}}``
errors, ``retry-after``/``retry-after-ms`` on 429s, ``insufficient_quota`` 429s, ``x-request-id``). Also
serves OpenAI-compatible servers (Mistral, Ollama, vLLM) since they speak the same chat protocol.
"""

from __future__ import annotations

import base64
import json
import math
import time
import uuid
import wave
from io import BytesIO
from typing import Any

from storyvid_tests.fakes.ai_content import (
    CLOUD_SAMPLE_RATE,
    genre_from_prompt,
    metadata_json,
    platforms_from_prompt,
    png_bytes,
    speak,
    story_json,
)
from storyvid_tests.fakes.ai_server import (
    FakeAIServer,
    Fault,
    RecordedRequest,
    Reply,
    masked_key,
    retry_headers,
)

TTS_VOICES = ("alloy", "ash", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer")


def tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


class OpenAIFake(FakeAIServer):
    """``base_url`` for the SDK is :attr:`base_url` (it includes ``/v1``)."""

    def __init__(self, api_key: str = "sk-test-openai-0123456789abcdef") -> None:
        super().__init__(api_key)
        self.usage_override: dict[str, tuple[int, int]] = {}  # model -> (input_tokens, output_tokens)
        self.story_scenes = 6
        self.words_per_scene = 60

    @property
    def base_url(self) -> str:
        return self.origin + "/v1"

    def authorized(self, headers: dict[str, str]) -> bool:
        return headers.get("authorization") == f"Bearer {self.api_key}"

    # -- errors --------------------------------------------------------------------------------------------

    def error(self, fault: Fault, request: RecordedRequest) -> Reply | None:
        rid = {"x-request-id": f"req_{uuid.uuid4().hex[:12]}"}
        if fault.kind == "auth":
            given = request.headers.get("authorization", "").removeprefix("Bearer ")
            return Reply.json(
                fault.status or 401,
                {
                    "error": {
                        "message": f"Incorrect API key provided: {masked_key(given or 'none')}. You can find "
                        "your API key at https://platform.openai.com/account/api-keys.",
                        "type": "invalid_request_error",
                        "param": None,
                        "code": "invalid_api_key",
                    }
                },
                **rid,
            )
        if fault.kind == "quota":
            return Reply.json(
                fault.status or 429,
                {
                    "error": {
                        "message": "You exceeded your current quota, please check your plan and billing details.",
                        "type": "insufficient_quota",
                        "param": None,
                        "code": "insufficient_quota",
                    }
                },
                **rid,
            )
        if fault.kind == "rate_limit":
            return Reply.json(
                fault.status or 429,
                {
                    "error": {
                        "message": "Rate limit reached for requests",
                        "type": "requests",
                        "param": None,
                        "code": "rate_limit_exceeded",
                    }
                },
                **rid,
                **retry_headers(fault),
            )
        if fault.kind == "server_error":
            return Reply.json(
                fault.status or 500,
                {
                    "error": {
                        "message": "The server had an error while processing your request. Sorry about that!",
                        "type": "server_error",
                        "param": None,
                        "code": None,
                    }
                },
                **rid,
            )
        return None

    # -- routes --------------------------------------------------------------------------------------------

    def answer(self, request: RecordedRequest, fault: Fault) -> Reply:
        failed = self.error(fault, request)
        if failed is not None:
            return failed
        routes = {
            "/v1/chat/completions": self.chat,
            "/v1/responses": self.responses,
            "/v1/images/generations": self.images,
            "/v1/audio/speech": self.speech,
        }
        route = routes.get(request.path)
        if route is None:
            return Reply.json(
                404,
                {
                    "error": {
                        "message": f"Unknown path {request.path}",
                        "param": None,
                        "type": "invalid_request_error",
                        "code": "unknown_url",
                    }
                },
            )
        return route(request, fault)

    def _content(self, prompt_text: str, fault: Fault) -> tuple[str, bool]:
        """(text, truncated) for a prompt: a story or platform metadata, or broken on purpose."""
        if "Task: platform_metadata" in prompt_text:
            content = metadata_json(platforms_from_prompt(prompt_text))
        else:
            content = story_json(genre_from_prompt(prompt_text), self.story_scenes, self.words_per_scene)
        if fault.kind == "malformed":
            return "Once upon a time there was a lantern. " + content[: len(content) // 3], False
        if fault.kind == "truncated":
            return content[: len(content) // 2], True
        return content, False

    def _usage(self, model: str, prompt_text: str, content: str) -> tuple[int, int]:
        used = self.usage_override.get(model) or (tokens(prompt_text), tokens(content))
        self.record_usage(model=model, input_tokens=used[0], output_tokens=used[1])
        return used

    def chat(self, request: RecordedRequest, fault: Fault) -> Reply:
        body = request.json()
        model = body["model"]
        prompt_text = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        content, truncated = self._content(prompt_text, fault)
        used_in, used_out = self._usage(model, prompt_text, content)
        return Reply.json(
            200,
            {
                "id": f"chatcmpl-{uuid.uuid4().hex[:20]}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content, "refusal": None},
                        "finish_reason": "length" if truncated else "stop",
                    }
                ],
                "usage": {"prompt_tokens": used_in, "completion_tokens": used_out, "total_tokens": used_in + used_out},
            },
            **{"x-request-id": f"req_{uuid.uuid4().hex[:12]}"},
        )

    def responses(self, request: RecordedRequest, fault: Fault) -> Reply:
        body = request.json()
        model = body["model"]
        prompt_text = f"{body.get('instructions', '')}\n{body.get('input', '')}"
        content, truncated = self._content(prompt_text, fault)
        used_in, used_out = self._usage(model, prompt_text, content)
        return Reply.json(
            200,
            {
                "id": f"resp_{uuid.uuid4().hex[:20]}",
                "object": "response",
                "created_at": int(time.time()),
                "status": "incomplete" if truncated else "completed",
                "model": model,
                "incomplete_details": {"reason": "max_output_tokens"} if truncated else None,
                "output": [
                    {
                        "type": "message",
                        "id": f"msg_{uuid.uuid4().hex[:8]}",
                        "status": "completed",
                        "role": "assistant",
                        "content": [{"type": "output_text", "text": content, "annotations": []}],
                    }
                ],
                "usage": {"input_tokens": used_in, "output_tokens": used_out, "total_tokens": used_in + used_out},
            },
        )

    def images(self, request: RecordedRequest, fault: Fault) -> Reply:
        body = request.json()
        width, height = (int(v) for v in str(body.get("size", "1024x1024")).split("x"))
        count = int(body.get("n", 1))
        data = []
        for i in range(count):
            png = png_bytes(width, height, seed=len(self.requests) + i)
            if fault.kind == "malformed":
                png = b"<html>not an image</html>"
            elif fault.kind == "truncated":
                png = png[: len(png) // 2]
            data.append({"b64_json": base64.b64encode(png).decode(), "revised_prompt": f"{body['prompt']} (revised)"})
        self.record_usage(model=body.get("model", "dall-e-2"), images=count)
        return Reply.json(200, {"created": int(time.time()), "data": data})

    def speech(self, request: RecordedRequest, fault: Fault) -> Reply:
        body = request.json()
        spoken = speak(body["input"])
        self.record_usage(model=body["model"], characters=len(body["input"]))
        pcm = spoken.pcm
        if fault.kind == "malformed":
            return Reply(200, b'{"note": "this is not audio"}', content_type="audio/pcm")
        if fault.kind == "truncated":
            return Reply(200, pcm[: len(pcm) // 2], content_type="audio/pcm", declared_length=len(pcm))
        if body.get("response_format") == "wav":
            buffer = BytesIO()
            with wave.open(buffer, "wb") as wav:
                wav.setnchannels(1)
                wav.setsampwidth(2)
                wav.setframerate(CLOUD_SAMPLE_RATE)
                wav.writeframes(pcm)
            return Reply(200, buffer.getvalue(), content_type="audio/wav")
        return Reply(200, pcm, content_type="audio/pcm")

    def story_request_json(self) -> Any:
        return json.loads(self.calls("/chat/completions")[-1].body)

    def usage_total(self, model: str | None = None) -> dict[str, float]:
        total: dict[str, float] = {}
        for entry in self.reported_usage:
            if model and entry["model"] != model:
                continue
            for key, value in entry.items():
                if key != "model":
                    total[key] = total.get(key, 0) + value
        return total

    def reported(self) -> list[dict[str, Any]]:
        return list(self.reported_usage)
