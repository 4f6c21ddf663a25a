"""A loopback fake of Azure AI Speech's text-to-speech REST API.

``POST /cognitiveservices/v1`` takes SSML with ``Ocp-Apim-Subscription-Key`` and
``X-Microsoft-OutputFormat`` and returns the audio; ``GET /cognitiveservices/voices/list`` returns the voices.
Errors: 401 for a wrong key, 403 when the quota is used up, 429 with ``Retry-After``, 500/503.
"""

from __future__ import annotations

import io
import wave
import xml.etree.ElementTree as ET

from storyvid_tests.fakes.ai_content import CLOUD_SAMPLE_RATE, FakeSpeech, speak
from storyvid_tests.fakes.ai_server import FakeAIServer, Fault, RecordedRequest, Reply

VOICES = [
    {
        "Name": "Microsoft Server Speech Text to Speech Voice (en-US, JennyNeural)",
        "ShortName": "en-US-JennyNeural",
        "Gender": "Female",
        "Locale": "en-US",
        "VoiceType": "Neural",
    },
    {
        "Name": "Microsoft Server Speech Text to Speech Voice (en-GB, RyanNeural)",
        "ShortName": "en-GB-RyanNeural",
        "Gender": "Male",
        "Locale": "en-GB",
        "VoiceType": "Neural",
    },
]


class AzureSpeechFake(FakeAIServer):
    """Use :attr:`origin` as the provider's ``endpoint``."""

    def __init__(self, api_key: str = "azkey0123456789abcdef0123456789ab") -> None:
        super().__init__(api_key)
        self.spoken: dict[str, FakeSpeech] = {}

    def authorized(self, headers: dict[str, str]) -> bool:
        return headers.get("ocp-apim-subscription-key") == self.api_key

    def answer(self, request: RecordedRequest, fault: Fault) -> Reply:
        if fault.kind == "auth":
            return Reply.json(
                fault.status or 401,
                {
                    "error": {
                        "code": "401",
                        "message": "Access denied due to invalid subscription key or wrong API endpoint.",
                    }
                },
            )
        if fault.kind == "quota":
            return Reply.json(
                fault.status or 403,
                {
                    "error": {
                        "code": "403",
                        "message": "Out of call volume quota. Quota will be replenished in 2.12:42:10.",
                    }
                },
            )
        if fault.kind == "rate_limit":
            return Reply(fault.status or 429, b"", {"Retry-After": str(fault.retry_after_s)}, "text/plain")
        if fault.kind == "server_error":
            return Reply(fault.status or 503, b"Service Unavailable", {}, "text/plain")
        if request.method == "GET" and request.path == "/cognitiveservices/voices/list":
            return Reply.json(200, VOICES)
        if request.method != "POST" or request.path != "/cognitiveservices/v1":
            return Reply(404, b"", {}, "text/plain")
        if request.headers.get("x-microsoft-outputformat") != "riff-24khz-16bit-mono-pcm":
            return Reply(400, b"unsupported output format", {}, "text/plain")
        root = ET.fromstring(request.body.decode())
        text = "".join(root.itertext())
        speech = speak(text)
        self.spoken[text] = speech
        self.record_usage(model="neural", characters=len(text))
        if fault.kind == "malformed":
            return Reply(200, b"<html><body>Gateway says hello</body></html>", {}, "text/html")
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(CLOUD_SAMPLE_RATE)
            wav.writeframes(speech.pcm)
        body = buffer.getvalue()
        if fault.kind == "truncated":  # the header promises more frames than arrive
            body = body[: 44 + (len(body) - 44) // 4 * 2]
        return Reply(200, body, {}, "audio/x-wav")
