"""Asset metadata made for a person looking at the UI: file facts and tiny inline previews."""

from __future__ import annotations

import base64
import io
from typing import Any

import dagster as dg
from PIL import Image

from storyvid_assets.models import MediaRef
from storyvid_assets.resources.storage.media_store import MediaStore


def media_metadata(store: MediaStore, ref: MediaRef, prefix: str = "") -> dict[str, Any]:
    """Path, checksum and size of a stored file, for the asset's metadata."""
    return {
        f"{prefix}path": dg.MetadataValue.path(str(store.local_path(ref.key))),
        f"{prefix}sha256": dg.MetadataValue.text(ref.sha256),
        f"{prefix}bytes": dg.MetadataValue.int(ref.bytes),
    }


def inline_thumbnail_md(png_or_jpeg: bytes, caption: str = "", max_px: int = 160) -> str:
    """A tiny inline image as markdown (metadata lives in the event log, so keep it small)."""
    image = Image.open(io.BytesIO(png_or_jpeg)).convert("RGB")
    image.thumbnail((max_px, max_px))
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=60)
    data = base64.b64encode(buf.getvalue()).decode()
    return f"![{caption}](data:image/jpeg;base64,{data})"
