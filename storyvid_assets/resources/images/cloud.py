"""What the cloud image providers share: the prompt, checking the PNG, and fitting it to the size asked."""

from __future__ import annotations

import io
import time
from abc import abstractmethod

from PIL import Image, UnidentifiedImageError

from storyvid_assets.models import GeneratedImage, ImageStyle, ProviderTier, ProviderUsage
from storyvid_assets.resources.cloud import InvalidOutput, Metered, MeteredProviderError, TierModels, usage
from storyvid_assets.resources.images import ImageProvider
from storyvid_assets.resources.scope import current_scope

NEGATIVE_PROMPT = "text, letters, watermark, signature, blurry, deformed, extra limbs"


def styled_prompt(prompt: str, style: ImageStyle) -> str:
    return (
        f"{prompt.rstrip('.')}. Storybook illustration for a {style.genre} story, {style.mood} mood, "
        "soft painterly light, rich colour, no text or lettering."
    )


def decode_image(data: bytes, what: str) -> Image.Image:
    """The image in ``data``; a truncated or foreign file raises ``InvalidOutput``."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise InvalidOutput(f"{what}: not a readable image ({type(exc).__name__})") from None
    return image.convert("RGB")


def fit_png(image: Image.Image, width: int, height: int) -> bytes:
    """``image`` scaled to cover ``width`` x ``height`` (Lanczos), centre-cropped, as PNG."""
    scale = max(width / image.width, height / image.height)
    if scale != 1.0:
        image = image.resize(
            (max(width, round(image.width * scale)), max(height, round(image.height * scale))), Image.Resampling.LANCZOS
        )
    left, top = (image.width - width) // 2, (image.height - height) // 2
    image = image.crop((left, top, left + width, top + height))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class CloudImages(ImageProvider):
    """A billed image generator: one model (or quality) per tier."""

    provider_name: str
    models: TierModels
    tier: ProviderTier = "premium"
    output_retries: int = 1

    @abstractmethod
    def render(
        self, prompt: str, style: ImageStyle, model: str, tier: ProviderTier
    ) -> tuple[Image.Image, str | None, dict[str, float]]:
        """(image, revised prompt, usage units) for one prompt; ``InvalidOutput`` for a bad answer."""

    def generate_metered(
        self, prompt: str, style: ImageStyle, width: int, height: int, tier: ProviderTier
    ) -> Metered[GeneratedImage]:
        model = self.models.for_tier(tier)
        spent: list[ProviderUsage] = []
        problem = ""
        for _ in range(self.output_retries + 1):
            started = time.monotonic()
            try:
                image, revised, units = self.render(styled_prompt(prompt, style), style, model, tier)
            except MeteredProviderError as exc:
                exc.usage = spent + exc.usage
                raise
            except InvalidOutput as exc:
                problem = str(exc)
                spent.append(
                    usage(
                        "images",
                        self.provider_name,
                        model,
                        tier,
                        {"images": 1.0, **self.failed_units(time.monotonic() - started)},
                        "invalid",
                        problem,
                    )
                )
                continue
            spent.append(usage("images", self.provider_name, model, tier, units))
            png = fit_png(image, width, height)
            return Metered(
                GeneratedImage(
                    png=png,
                    width=width,
                    height=height,
                    provider=f"{self.provider_name}:{model}",
                    revised_prompt=revised,
                ),
                spent,
            )
        raise MeteredProviderError(
            self.provider_name,
            f"no usable image from {model}: {problem}",
            retryable=True,
            usage=spent,
            invalid_output=True,
        )

    def failed_units(self, seconds: float) -> dict[str, float]:
        """Extra units a failed render still used (compute time for local generators)."""
        return {}

    def generate(self, prompt: str, style: ImageStyle, width: int, height: int) -> GeneratedImage:
        metered = self.generate_metered(prompt, style, width, height, self.tier)
        for spent in metered.usage:
            current_scope().report(spent)
        return metered.result
