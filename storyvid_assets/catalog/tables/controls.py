"""Catalog table of per-channel controls set in the console: the daily schedule switch and budget overrides."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storyvid_assets.catalog.base import Base, UTCDateTime, utcnow


class ChannelControlsRow(Base):
    """One row per channel that an admin changed; a channel without a row runs as its file says.

    ``revision`` grows by one on every change, so a save is a conditional update on the revision it was
    previewed against (two admins saving at once cannot both win)."""

    __tablename__ = "channel_controls"

    channel: Mapped[str] = mapped_column(String(64), primary_key=True)
    schedule_enabled: Mapped[bool] = mapped_column(Boolean, default=True)  # False: the daily schedule skips it
    budgets_usd: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)  # provider -> daily USD (replaces YAML)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(128), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
