"""SDXL through diffusers: a tiny randomly initialised pipeline is saved to disk and loaded by the real code.

The components are SDXL-shaped (UNet with text-time conditioning, two CLIP text encoders, VAE, Euler
scheduler, BPE tokenizers over a tiny vocabulary) but a few kilobytes each, so loading and a two-step
generation take seconds on a CPU. One test on purpose: importing diffusers/torch is the slow part.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from storyvid_assets.errors import ConfigError
from storyvid_assets.models import ImageStyle
from storyvid_assets.resources.images.sdxl import SDXLImages


def tiny_tokenizer(folder: Path):
    from transformers import CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for char in "abcdefghijklmnopqrstuvwxyz0123456789.,'":
        vocab[char] = len(vocab)
        vocab[char + "</w>"] = len(vocab)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    return CLIPTokenizer(
        str(folder / "vocab.json"), str(folder / "merges.txt"), pad_token="<|endoftext|>", model_max_length=77
    )


def save_tiny_sdxl(folder: Path) -> Path:
    import torch
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=32,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=8,
        transformer_layers_per_block=(1, 1),
        projection_class_embeddings_input_dim=80,  # 6 time ids x 8 + the pooled text embedding (32)
        cross_attention_dim=64,  # both text encoders' hidden states side by side (32 + 32)
        norm_num_groups=1,
    )
    vae = AutoencoderKL(
        block_out_channels=[32, 64],
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        down_block_types=["DownEncoderBlock2D"] * 2,
        up_block_types=["UpDecoderBlock2D"] * 2,
        sample_size=128,
    )
    text_config = CLIPTextConfig(
        bos_token_id=0,
        eos_token_id=1,
        pad_token_id=1,
        hidden_size=32,
        intermediate_size=37,
        num_attention_heads=4,
        num_hidden_layers=2,
        vocab_size=100,
        projection_dim=32,
    )
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", steps_offset=1, timestep_spacing="leading"
    )
    tokenizer = tiny_tokenizer(folder / "vocab")
    pipeline = StableDiffusionXLPipeline(
        vae=vae,
        text_encoder=CLIPTextModel(text_config),
        text_encoder_2=CLIPTextModelWithProjection(text_config),
        tokenizer=tokenizer,
        tokenizer_2=tokenizer,
        unet=unet,
        scheduler=scheduler,
    )
    target = folder / "sdxl"
    pipeline.save_pretrained(target)
    return target


def test_tiny_sdxl_pipeline_loads_from_disk_and_draws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # any attempt to reach a hub fails loudly
    with pytest.raises(ConfigError, match="weights_dir"):
        SDXLImages(weights_dir=str(tmp_path / "missing")).generate_metered("a fox", ImageStyle(), 64, 64, "premium")
    weights = save_tiny_sdxl(tmp_path)
    painter = SDXLImages(
        weights_dir=str(weights), generation_size=64, steps_premium=2, steps_budget=1, guidance_scale=1.0
    )
    first = painter.generate_metered("a fox by the harbour", ImageStyle(seed=7), 160, 90, "premium")
    image = Image.open(io.BytesIO(first.result.png))
    assert image.format == "PNG" and image.size == (160, 90)
    assert len(np.unique(np.asarray(image).reshape(-1, 3), axis=0)) > 100  # a real (noisy) picture, not a flat fill
    assert first.result.provider == "sdxl:sdxl-base-1.0"
    assert first.usage[-1].units["images"] == 1.0 and first.usage[-1].units["seconds"] > 0
    again = painter.generate_metered("a fox by the harbour", ImageStyle(seed=7), 160, 90, "premium")
    other = painter.generate_metered("a fox by the harbour", ImageStyle(seed=8), 160, 90, "budget")
    assert again.result.png == first.result.png  # same seed, same picture
    assert other.result.png != first.result.png
