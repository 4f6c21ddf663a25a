"""Azure AI Speech through its REST API: SSML in, 24 kHz 16-bit mono WAV out.

``POST {endpoint}/cognitiveservices/v1`` with ``Ocp-Apim-Subscription-Key``, ``Content-Type:
application/ssml+xml`` and ``X-Microsoft-OutputFormat: riff-24khz-16bit-mono-pcm``; voices from ``GET
{endpoint}/cognitiveservices/voices/list``. The endpoint is ``https://<region>.tts.speech.microsoft.com``.
429 and 5xx are retried here (``Retry-After`` honoured, full-jitter backoff, a total wait budget); the REST
API returns no word timings, so they are measured by aligning the audio (see ``alignment``).
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

import httpx

from storyvid_assets.models import VoiceSettings
from storyvid_assets.reliability import call_with_retries, secret_value
from storyvid_assets.resources.cloud import TierModels, cloud_retry_policy, status_error
from storyvid_assets.resources.speech.cloud import BASE_RATE_WPM, CloudSpeech, SceneAudio, wav_samples

OUTPUT_FORMAT = "riff-24khz-16bit-mono-pcm"
AZURE_MODELS = TierModels(premium="neural", standard="neural", budget="neural")  # one price for neural voices
USER_AGENT = "storyvid"


def azure_endpoint(region: str) -> str:
    return f"https://{region}.tts.speech.microsoft.com"


def ssml(text: str, voice_id: str, voice: VoiceSettings) -> str:
    """SSML for one scene: the voice, the language and the channel's speaking rate as a percentage."""
    rate = round(100 * (voice.rate / BASE_RATE_WPM - 1))
    locale = "-".join(voice_id.split("-")[:2]) if voice_id.count("-") >= 2 else "en-US"
    return (
        f"<speak version='1.0' xml:lang={quoteattr(locale)}><voice name={quoteattr(voice_id)}>"
        f"<prosody rate='{rate:+d}%'>{escape(text)}</prosody></voice></speak>"
    )


def _azure_error(provider: str, response: httpx.Response, secrets: list[str | None]) -> Exception:
    code, message = None, response.text[:300] or response.reason_phrase
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        code, message = body["error"].get("code"), str(body["error"].get("message", message))
    if response.status_code == 403 and "quota" in message.lower():
        code = "quota_exceeded"
    return status_error(
        provider, response.status_code, str(code) if code else None, message, secrets, headers=response.headers
    )


class AzureSpeech(CloudSpeech):
    """Azure neural voices over REST; timings measured by alignment."""

    api_key: str
    region: str = "eastus"
    endpoint: str | None = None  # overrides the region's endpoint (tests, sovereign clouds)
    provider_name: str = "azure"
    models: TierModels = AZURE_MODELS
    default_voice: str = "en-US-JennyNeural"
    max_retries: int = 2
    retry_budget_s: float = 60.0
    timeout_s: float = 60.0

    def _base(self) -> str:
        return (self.endpoint or azure_endpoint(self.region)).rstrip("/")

    def _request(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        secrets = [secret_value(self.api_key)]
        headers = {
            "Ocp-Apim-Subscription-Key": secrets[0] or "",
            "User-Agent": USER_AGENT,
            **kwargs.pop("headers", {}),
        }  # type: ignore[dict-item]

        with httpx.Client(timeout=self.timeout_s) as client:

            def send() -> httpx.Response:
                try:
                    response = client.request(method, self._base() + path, headers=headers, **kwargs)  # type: ignore[arg-type]
                    response.read()
                except httpx.HTTPError as exc:
                    message = f"no answer from the server ({type(exc).__name__})"
                    raise status_error(self.provider_name, None, None, message, secrets) from None
                if response.status_code >= 400:
                    raise _azure_error(self.provider_name, response, secrets)
                return response

            return call_with_retries(send, cloud_retry_policy(self.max_retries, self.retry_budget_s))

    def speak_scene(self, text: str, voice: VoiceSettings, voice_id: str, model: str) -> SceneAudio:
        response = self._request(
            "POST",
            "/cognitiveservices/v1",
            content=ssml(text, voice_id, voice).encode(),
            headers={"Content-Type": "application/ssml+xml", "X-Microsoft-OutputFormat": OUTPUT_FORMAT},
        )
        samples, rate = wav_samples(response.content, "Azure speech")
        return SceneAudio(samples, rate, None, {"characters": float(len(text))})

    def voices(self) -> list[str]:
        listing = self._request("GET", "/cognitiveservices/voices/list").json()
        return [v["ShortName"] for v in listing if isinstance(v, dict) and "ShortName" in v]
