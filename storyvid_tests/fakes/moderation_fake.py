"""A loopback fake of OpenAI's ``POST /v1/moderations``: text and multimodal (image) input, real wire format.

Usage::

    with FakeModerationServer() as fake:
        provider = OpenAIModeration(api_key=fake.api_key, base_url=fake.url)  # fake.url ends in /v1
        fake.flag_images = 1  # the next image input scores 0.9 for violence/graphic and sexual
        ...
        fake.requests  # [{"path", "auth", "body"}, ...] in arrival order

Steering (set the attributes at any time):

- ``flag_images``: flag the next N image inputs (``None``: every one; ``0``, the default: none). A flagged
  image scores ``flag_score`` (0.9) for ``sexual``, ``violence`` and ``violence/graphic``.
- ``failures``: status codes the next requests get, in order, before answers resume: 429 (with
  ``Retry-After: retry_after``), 500, 503, ...
- text is scored by keywords (:func:`score_text`): "gutted" is graphic violence, "scary" is mild violence.

Like the real API it answers 401 for a wrong key (echoing it masked), 400 for a malformed input (a mixed list,
an unknown part type, an image that is not a base64 ``data:`` URL of a PNG/JPEG/GIF/WebP that decodes, more than
one image per request, images for a text-only model), one result per string for text input and one result
for a multimodal list, with ``flagged``, ``categories``, ``category_scores`` and
``category_applied_input_types``.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import Image, UnidentifiedImageError

from storyvid_tests.fakes.ai_server import masked_key

API_KEY = "sk-test-not-a-real-key"
CATEGORIES = [
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
]
# What the real endpoint scores on images; the rest apply to text only.
IMAGE_CATEGORIES = {
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "violence",
    "violence/graphic",
}
FLAGGED_IMAGE_CATEGORIES = ("sexual", "violence", "violence/graphic")
IMAGE_MEDIA_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}
DATA_URL = re.compile(r"data:(?P<media>image/[a-z]+);base64,(?P<data>.+)", re.DOTALL)
BASELINE = 0.001
FLAG_AT = 0.5  # the fake's own "flagged" cut-off for categories[...]


class BadRequest(Exception):
    """A malformed request: answered 400 ``invalid_request_error`` with this message and code."""

    def __init__(self, message: str, code: str = "invalid_value") -> None:
        super().__init__(message)
        self.code = code


def score_text(text: str) -> dict[str, float]:
    """The fake model for text: keyword-driven scores, so tests can steer them."""
    scores = dict.fromkeys(CATEGORIES, BASELINE)
    if "gutted" in text:
        scores["violence"], scores["violence/graphic"] = 0.97, 0.91
    if "scary" in text:
        scores["violence"] = 0.6
    return scores


def decode_image_url(url: Any) -> Image.Image:
    """The picture in a ``data:image/...;base64,...`` URL, or :class:`BadRequest` like the real API."""
    if not isinstance(url, str) or not url:
        raise BadRequest("image_url.url must be a non-empty string")
    if url.startswith(("http://", "https://")):
        raise BadRequest("this fake only accepts base64 data URLs (it never fetches)", "invalid_image_url")
    match = DATA_URL.fullmatch(url)
    if match is None:
        raise BadRequest("image_url.url must be a URL or a data:image/<type>;base64,<data> URL", "invalid_image_url")
    expected = IMAGE_MEDIA_TYPES.get(match["media"])
    if expected is None:
        raise BadRequest(f"unsupported image type {match['media']}; use png, jpeg, gif or webp", "invalid_image_format")
    try:
        raw = base64.b64decode(match["data"], validate=True)
        with Image.open(io.BytesIO(raw)) as image:
            image.load()
            picture = image.copy()
            found = image.format
    except (binascii.Error, ValueError) as exc:
        raise BadRequest(f"image data is not valid base64: {exc}", "invalid_base64") from None
    except (OSError, UnidentifiedImageError):
        raise BadRequest("image data could not be decoded as an image", "invalid_image_format") from None
    if found != expected:
        raise BadRequest(f"data URL says {match['media']} but the data is {found}", "invalid_image_format")
    return picture


class FakeModerationServer:
    """OpenAI's moderation endpoint on 127.0.0.1 (ephemeral port); use as a context manager."""

    def __init__(self, api_key: str = API_KEY) -> None:
        self.api_key = api_key
        self.requests: list[dict[str, Any]] = []  # {"path", "auth", "body"}; body is the parsed JSON (or None)
        self.failures: list[int] = []  # status codes to answer before succeeding
        self.retry_after = "0"  # Retry-After on forced 429s (seconds)
        self.flag_images: int | None = 0  # flag the next N image inputs; None: all
        self.flag_score = 0.9
        self.images_seen: list[tuple[int, int]] = []  # (width, height) of each valid image received
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL for the provider (``.../v1``)."""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def start(self) -> FakeModerationServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> FakeModerationServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the model -----------------------------------------------------------------------------------------

    def _image_flagged(self) -> bool:
        with self._lock:
            if self.flag_images is None:
                return True
            if self.flag_images > 0:
                self.flag_images -= 1
                return True
            return False

    def _score_image(self, picture: Image.Image) -> dict[str, float]:
        with self._lock:
            self.images_seen.append(picture.size)
        scores = dict.fromkeys(CATEGORIES, 0.0)  # text-only categories do not score images
        for name in IMAGE_CATEGORIES:
            scores[name] = BASELINE
        if self._image_flagged():
            for name in FLAGGED_IMAGE_CATEGORIES:
                scores[name] = self.flag_score
        return scores

    @staticmethod
    def _result(scores: dict[str, float], applied: dict[str, list[str]]) -> dict[str, Any]:
        categories = {name: score >= FLAG_AT for name, score in scores.items()}
        return {
            "flagged": any(categories.values()),
            "categories": categories,
            "category_scores": scores,
            "category_applied_input_types": applied,
        }

    def results(self, body: Any) -> list[dict[str, Any]]:
        """The ``results`` for a request body, or :class:`BadRequest`."""
        if not isinstance(body, dict) or "input" not in body:
            raise BadRequest("'input' is a required property", "missing_required_parameter")
        model = body.get("model", "omni-moderation-latest")
        given = body["input"]
        if isinstance(given, str):
            given = [given]
        if not isinstance(given, list) or not given:
            raise BadRequest("'input' must be a string, a non-empty array of strings or of input objects")
        if all(isinstance(item, str) for item in given):
            return [self._result(score_text(text), {k: ["text"] for k in CATEGORIES}) for text in given]
        if not all(isinstance(item, dict) for item in given):
            raise BadRequest("'input' must not mix strings and input objects")
        return [self._multimodal(given, str(model))]

    def _multimodal(self, parts: list[dict[str, Any]], model: str) -> dict[str, Any]:
        texts: list[str] = []
        pictures: list[Image.Image] = []
        for index, part in enumerate(parts):
            kind = part.get("type")
            if kind == "text":
                if not isinstance(part.get("text"), str):
                    raise BadRequest(f"input[{index}].text must be a string")
                texts.append(part["text"])
            elif kind == "image_url":
                image_url = part.get("image_url")
                if not isinstance(image_url, dict):
                    raise BadRequest(f"input[{index}].image_url must be an object with a 'url'")
                pictures.append(decode_image_url(image_url.get("url")))
            else:
                raise BadRequest(f"input[{index}].type must be 'text' or 'image_url', not {kind!r}")
        if pictures and not model.startswith("omni-moderation"):
            raise BadRequest(f"model {model} does not accept images; use omni-moderation-latest", "model_not_supported")
        if len(pictures) > 1:
            raise BadRequest(f"Number of images ({len(pictures)}) exceeds maximum of 1", "too_many_images")
        scores = dict.fromkeys(CATEGORIES, 0.0)
        applied: dict[str, list[str]] = {name: [] for name in CATEGORIES}
        for text in texts:
            for name, score in score_text(text).items():
                scores[name] = max(scores[name], score)
                applied[name] = sorted({*applied[name], "text"})
        for picture in pictures:
            for name, score in self._score_image(picture).items():
                scores[name] = max(scores[name], score)
                if name in IMAGE_CATEGORIES:
                    applied[name] = sorted({*applied[name], "image"})
        return self._result(scores, applied)

    # -- HTTP ----------------------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                auth = self.headers.get("Authorization")
                with fake._lock:
                    fake.requests.append({"path": self.path, "auth": auth, "body": body})
                if self.path.rstrip("/") != "/v1/moderations":
                    return self._error(404, f"Unknown path {self.path}", "unknown_url")
                if auth != f"Bearer {fake.api_key}":
                    given = (auth or "").removeprefix("Bearer ")
                    return self._error(401, f"Incorrect API key provided: {masked_key(given)}.", "invalid_api_key")
                with fake._lock:
                    status = fake.failures.pop(0) if fake.failures else None
                if status == 429:
                    return self._error(
                        429, "Rate limit reached", "rate_limit_exceeded", {"Retry-After": fake.retry_after}
                    )
                if status is not None:
                    return self._error(status, "The server had an error while processing your request.", None)
                if body is None:
                    return self._error(400, "We could not parse the JSON body of your request.", "invalid_json")
                try:
                    results = fake.results(body)
                except BadRequest as bad:
                    return self._error(400, str(bad), bad.code, param="input")
                self._send(
                    200, {"id": "modr-1", "model": body.get("model", "omni-moderation-latest"), "results": results}
                )

            def _error(
                self,
                status: int,
                message: str,
                code: str | None,
                headers: dict[str, str] | None = None,
                param: str | None = None,
            ) -> None:
                kind = "invalid_request_error" if status < 500 else "server_error"
                error = {"message": message, "type": kind, "param": param, "code": code}
                self._send(status, {"error": error}, headers)

            def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler
