"""Scene images from OpenAI's Images API (``POST /v1/images/generations``) as base64 PNGs, via the SDK.

The service draws at most 1024 px on a side for square images; the picture is scaled (Lanczos) to cover the
size the asset asks for.
"""

from __future__ import annotations

import base64
import binascii

from PIL import Image

from storyvid_assets.models import ImageStyle, ProviderTier
from storyvid_assets.reliability import secret_value
from storyvid_assets.resources.cloud import InvalidOutput, TierModels
from storyvid_assets.resources.images.cloud import CloudImages, decode_image
from storyvid_assets.resources.story.openai import openai_error

OPENAI_IMAGE_MODELS = TierModels(premium="gpt-image-1", standard="dall-e-3", budget="dall-e-2")
B64_ONLY_MODELS = ("gpt-image-1",)  # these always answer in base64 and reject response_format


class OpenAIImages(CloudImages):
    """OpenAI image generation (GPT Image / DALL·E), 1024x1024, upscaled to the size asked for."""

    api_key: str
    base_url: str | None = None
    provider_name: str = "openai"
    models: TierModels = OPENAI_IMAGE_MODELS
    size: str = "1024x1024"
    max_retries: int = 2
    timeout_s: float = 180.0

    def render(
        self, prompt: str, style: ImageStyle, model: str, tier: ProviderTier
    ) -> tuple[Image.Image, str | None, dict[str, float]]:
        import openai

        extra = {} if model in B64_ONLY_MODELS else {"response_format": "b64_json"}
        try:
            with openai.OpenAI(
                api_key=secret_value(self.api_key),
                base_url=self.base_url,
                max_retries=self.max_retries,
                timeout=self.timeout_s,
            ) as client:
                response = client.images.generate(
                    model=model,
                    prompt=prompt,
                    n=1,
                    size=self.size,  # type: ignore[arg-type]
                    **extra,
                )
        except (openai.APIError, ValueError) as exc:
            raise openai_error(self.provider_name, exc, [secret_value(self.api_key)]) from None
        if not response.data or not response.data[0].b64_json:
            raise InvalidOutput("the answer holds no b64_json image")
        try:
            data = base64.b64decode(response.data[0].b64_json, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidOutput("b64_json is not base64") from None
        image = decode_image(data, "OpenAI image")
        return image, response.data[0].revised_prompt, {"images": 1.0}
