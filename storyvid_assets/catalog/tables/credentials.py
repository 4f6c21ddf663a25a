"""The credential store's table: rotating platform tokens, encrypted at rest (migration ``0007_credentials``).

``secret`` is a Fernet token (see ``distribution/credentials.py``), never the clear value; ``version`` is the
compare-and-swap counter every write bumps; ``seed_digest`` is a keyed digest of the environment value the row
was seeded from.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storyvid_assets.catalog.base import Base, Timestamped, UTCDateTime


class CredentialRow(Timestamped, Base):
    """One named credential (e.g. ``tiktok/default/refresh_token``) shared by every worker."""

    __tablename__ = "credentials"
    __table_args__ = (UniqueConstraint("name", name="uq_credentials_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    platform: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    secret: Mapped[str] = mapped_column(Text)  # Fernet ciphertext
    version: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    seed_digest: Mapped[str] = mapped_column(String(64))
