"""A loopback fake of ElevenLabs Music's detailed compose endpoint (``POST /v1/music/detailed``).

Answers ``multipart/mixed``: a JSON part (composition plan and song metadata) and the audio part, with the
song id in the ``song-id`` header; errors as the ElevenLabs API reports them (401 quota / key, 429, 5xx).
The music is a synthesized chord whose length follows ``music_length_ms``.
"""

from __future__ import annotations

import json
import uuid

import numpy as np

from storyvid_tests.fakes.ai_server import FakeAIServer, Fault, RecordedRequest, Reply
from storyvid_tests.fakes.elevenlabs_fake import elevenlabs_error_reply

SAMPLE_RATE = 44_100


def chord(seconds: float, sample_rate: int = SAMPLE_RATE) -> bytes:
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    wave = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.18, 329.63)) / 3
    envelope = 0.6 + 0.4 * np.sin(2 * np.pi * 0.25 * t)
    return (wave * envelope * 0.5 * 32767).astype("<i2").tobytes()


class MusicFake(FakeAIServer):
    """``base_url`` for the SDK is :attr:`origin`."""

    def __init__(self, api_key: str = "xi-test-music-0123456789abcdef") -> None:
        super().__init__(api_key)
        self.song_ids: list[str] = []

    def authorized(self, headers: dict[str, str]) -> bool:
        return headers.get("xi-api-key") == self.api_key

    def answer(self, request: RecordedRequest, fault: Fault) -> Reply:
        failed = elevenlabs_error_reply(fault)
        if failed is not None:
            return failed
        if request.method != "POST" or request.path != "/v1/music/detailed":
            return Reply.json(404, {"detail": {"status": "not_found", "message": f"no route {request.path}"}})
        body = request.json()
        length_ms = int(body.get("music_length_ms") or 30_000)
        if not 10_000 <= length_ms <= 300_000 or not body.get("prompt"):
            return Reply.json(
                422,
                {
                    "detail": [
                        {"loc": ["body", "music_length_ms"], "msg": "must be 10000-300000", "type": "value_error"}
                    ]
                },
            )
        seconds = length_ms / 1000
        self.record_usage(model=body.get("model_id", "music_v1"), seconds=seconds)
        song_id = uuid.uuid4().hex[:20]
        self.song_ids.append(song_id)
        metadata = {
            "composition_plan": {"positive_global_styles": [body["prompt"][:40]], "sections": []},
            "song_metadata": {
                "title": "Harbour Lights",
                "description": body["prompt"],
                "genres": ["ambient"],
                "languages": [],
                "is_explicit": False,
            },
        }
        audio = chord(seconds)
        if fault.kind == "truncated":
            audio = audio[: len(audio) // 10 * 2]
        boundary = f"storyvid{uuid.uuid4().hex[:16]}"
        json_part = json.dumps(metadata).encode()
        if fault.kind == "malformed":
            json_part = b"<not json>"
        payload = (
            f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode()
            + json_part
            + f"\r\n--{boundary}\r\nContent-Type: audio/pcm\r\n"
            f'Content-Disposition: attachment; filename="{song_id}.pcm"\r\n\r\n'.encode()
            + audio
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return Reply(200, payload, {"song-id": song_id}, f"multipart/mixed; boundary={boundary}")
