"""Shared pieces of the asset bodies: which episode a run is making, and metadata for the UI."""

import base64
import io
from typing import Any

import dagster as dg
from PIL import Image
from pydantic import BaseModel, ConfigDict

from storyvid_assets.assets.partitions import episode_key
from storyvid_assets.catalog.queries.episodes import current_attempt
from storyvid_assets.channels import ChannelConfig, get_channel
from storyvid_assets.models import MediaRef
from storyvid_assets.resources.storage.catalog import CatalogResource
from storyvid_assets.resources.storage.media_store import MediaStore, media_key

ATTEMPT_TAG = "storyvid/attempt"
ASSET_GROUP = "episode"


class Episode(BaseModel):
    """The episode a step is working on: channel settings, date and attempt."""

    model_config = ConfigDict(frozen=True)

    channel: ChannelConfig
    date: str
    attempt: int

    @property
    def seed(self) -> int:
        """A stable seed for (channel, date, attempt)."""
        import hashlib

        digest = hashlib.sha256(f"{self.channel.name}|{self.date}|{self.attempt}".encode()).digest()
        return int.from_bytes(digest[:4], "big")

    def media_key(self, asset: str, name: str) -> str:
        return media_key(self.channel.name, self.date, asset, self.attempt, name)


def attempt_from_tags(tags: dict[str, str]) -> int | None:
    raw = tags.get(ATTEMPT_TAG)
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"run tag {ATTEMPT_TAG}={raw!r} must be a positive whole number")
    return int(raw)


def current_episode(context: dg.AssetExecutionContext, catalog: CatalogResource) -> Episode:
    """Resolve the partition to an :class:`Episode`; the attempt comes from the run tag or the catalog."""
    ep = episode_key(context.partition_key)
    channel = get_channel(ep.channel)
    attempt = attempt_from_tags(dict(context.run.tags))
    if attempt is None:
        with catalog.session() as session:
            attempt = current_attempt(session, ep.channel, ep.date)
    return Episode(channel=channel, date=ep.date, attempt=attempt)


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
