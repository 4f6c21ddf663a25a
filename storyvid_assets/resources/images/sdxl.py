"""Scene images from Stable Diffusion XL with ``diffusers``, loaded from a local weights directory.

``weights_dir`` holds a pipeline saved with ``save_pretrained`` (or a downloaded snapshot of
``stabilityai/stable-diffusion-xl-base-1.0``); it is loaded with ``local_files_only=True``, so nothing is
fetched from a hub at run time. The pipeline is loaded once per process and directory. Tiers trade quality
for time through the number of denoising steps; cost is the generation time at the price table's rate.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from PIL import Image

from storyvid_assets.errors import ConfigError
from storyvid_assets.models import ImageStyle, ProviderTier
from storyvid_assets.resources.cloud import InvalidOutput, TierModels
from storyvid_assets.resources.images.cloud import NEGATIVE_PROMPT, CloudImages

SDXL_MODELS = TierModels(premium="sdxl-base-1.0", standard="sdxl-base-1.0", budget="sdxl-base-1.0")
_PIPELINES: dict[tuple[str, str, str], Any] = {}
_LOCK = threading.Lock()


def load_pipeline(weights_dir: str, device: str, dtype: str) -> Any:
    """The SDXL pipeline in ``weights_dir`` on ``device`` (cached per process); never downloads."""
    key = (str(Path(weights_dir).resolve()), device, dtype)
    with _LOCK:
        if key in _PIPELINES:
            return _PIPELINES[key]
        if not (Path(weights_dir) / "model_index.json").is_file():
            raise ConfigError(
                "SDXL image provider",
                "weights_dir",
                f"{weights_dir!r} holds no diffusers pipeline (no model_index.json)",
                "point STORYVID_SDXL_DIR / weights_dir at a folder saved with save_pretrained, e.g. a "
                "snapshot of stabilityai/stable-diffusion-xl-base-1.0",
            )
        import torch
        from diffusers import StableDiffusionXLPipeline

        pipeline = StableDiffusionXLPipeline.from_pretrained(
            weights_dir, local_files_only=True, dtype=getattr(torch, dtype)
        )
        pipeline = pipeline.to(device)
        pipeline.set_progress_bar_config(disable=True)
        _PIPELINES[key] = pipeline
        return pipeline


class SDXLImages(CloudImages):
    """Stable Diffusion XL on this machine (or its GPU) from local weights."""

    weights_dir: str
    device: str = "cpu"  # "cuda" on a GPU machine
    dtype: str = "float32"  # "float16" on a GPU
    provider_name: str = "sdxl"
    models: TierModels = SDXL_MODELS
    generation_size: int = 1024  # SDXL's native square size; the result is scaled to the size asked for
    steps_premium: int = 40
    steps_standard: int = 25
    steps_budget: int = 12
    guidance_scale: float = 6.0

    def steps_for(self, tier: ProviderTier) -> int:
        return {"premium": self.steps_premium, "standard": self.steps_standard, "budget": self.steps_budget}[tier]

    def render(
        self, prompt: str, style: ImageStyle, model: str, tier: ProviderTier
    ) -> tuple[Image.Image, str | None, dict[str, float]]:
        import torch

        pipeline = load_pipeline(self.weights_dir, self.device, self.dtype)
        started = time.monotonic()
        generator = torch.Generator(device=self.device).manual_seed(style.seed)
        with torch.inference_mode():
            output = pipeline(
                prompt=prompt,
                negative_prompt=NEGATIVE_PROMPT,
                num_inference_steps=self.steps_for(tier),
                guidance_scale=self.guidance_scale,
                width=self.generation_size,
                height=self.generation_size,
                generator=generator,
            )
        seconds = round(time.monotonic() - started, 3)
        if not output.images:
            raise InvalidOutput("the pipeline returned no image")
        image = output.images[0].convert("RGB")
        if image.getextrema() == ((0, 0), (0, 0), (0, 0)):
            raise InvalidOutput("the pipeline returned a black image (NaNs in half precision?)")
        return image, None, {"images": 1.0, "seconds": seconds}

    def failed_units(self, seconds: float) -> dict[str, float]:
        return {"seconds": round(seconds, 3)}
