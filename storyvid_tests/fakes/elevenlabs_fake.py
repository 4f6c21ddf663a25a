"""A loopback fake of ElevenLabs text-to-speech (with timestamps) and the voice list, as its SDK speaks it.

``xi-api-key`` auth; errors as ``{"detail": {"status", "message"}}``: 401 ``invalid_api_key``, 401
``quota_exceeded`` (ElevenLabs reports spent quota as a 401), 429 ``too_many_concurrent_requests`` with
``retry-after``, 500 ``internal_error``; 422 ``{"detail": [...]}`` for a bad body.
"""

from __future__ import annotations

import base64
import json
import re
import uuid

from storyvid_tests.fakes.ai_content import FakeSpeech, character_alignment, speak
from storyvid_tests.fakes.ai_server import FakeAIServer, Fault, RecordedRequest, Reply

VOICES = [
    {"voice_id": "21m00Tcm4TlvDq8EpbTVJ", "name": "Rachel", "category": "premade"},
    {"voice_id": "AZnzlk1XvdvUeBnXmlld", "name": "Domi", "category": "premade"},
]
TTS_PATH = re.compile(r"^/v1/text-to-speech/(?P<voice>[^/]+)/with-timestamps$")


def detail_error(status: int, code: str, message: str, **headers: str) -> Reply:
    return Reply.json(
        status, {"detail": {"status": code, "message": message}}, **{"request-id": uuid.uuid4().hex, **headers}
    )


def elevenlabs_error_reply(fault: Fault) -> Reply | None:
    """The reply for an error fault, shared with the music fake (same service, same error shapes)."""
    if fault.kind == "auth":
        return detail_error(fault.status or 401, "invalid_api_key", "Invalid API key")
    if fault.kind == "quota":
        return detail_error(
            fault.status or 401,
            "quota_exceeded",
            "This request exceeds your quota of 10000. You have 12 credits remaining.",
        )
    if fault.kind == "rate_limit":
        return detail_error(
            fault.status or 429,
            "too_many_concurrent_requests",
            "Too many concurrent requests for your subscription.",
            **{"retry-after": str(fault.retry_after_s)},
        )
    if fault.kind == "server_error":
        return detail_error(fault.status or 500, "internal_error", "An internal error occurred.")
    return None


class ElevenLabsFake(FakeAIServer):
    """``base_url`` for the SDK is :attr:`origin`."""

    def __init__(self, api_key: str = "xi-test-eleven-0123456789abcdef") -> None:
        super().__init__(api_key)
        self.spoken: dict[str, FakeSpeech] = {}  # text -> what the fake said, with the true word timings

    def authorized(self, headers: dict[str, str]) -> bool:
        return headers.get("xi-api-key") == self.api_key

    def answer(self, request: RecordedRequest, fault: Fault) -> Reply:
        failed = elevenlabs_error_reply(fault)
        if failed is not None:
            return failed
        if request.method == "GET" and request.path == "/v1/voices":
            return Reply.json(200, {"voices": VOICES})
        match = TTS_PATH.match(request.path)
        if request.method != "POST" or match is None:
            return Reply.json(404, {"detail": {"status": "not_found", "message": f"no route {request.path}"}})
        body = request.json()
        text = body.get("text")
        if not text or request.query.get("output_format") != ["pcm_24000"]:
            return Reply.json(
                422, {"detail": [{"loc": ["body", "text"], "msg": "field required", "type": "value_error.missing"}]}
            )
        speech = speak(text)
        self.spoken[text] = speech
        self.record_usage(model=body.get("model_id", "eleven_multilingual_v2"), characters=len(text))
        alignment = character_alignment(text, speech)
        audio = speech.pcm
        payload = {
            "audio_base64": base64.b64encode(audio).decode(),
            "alignment": alignment,
            "normalized_alignment": alignment,
        }
        if fault.kind == "malformed":  # the alignment of another text
            payload["alignment"] = character_alignment(text.upper()[::-1], speech)
        elif fault.kind == "truncated":  # the audio stops halfway, the alignment does not
            payload["audio_base64"] = base64.b64encode(audio[: len(audio) // 4 * 2]).decode()
        return Reply(200, json.dumps(payload).encode(), {"request-id": uuid.uuid4().hex})
