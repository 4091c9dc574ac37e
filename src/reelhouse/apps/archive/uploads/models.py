"""Resumable uploads in progress."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from reelhouse.platform.db import enum_column
from reelhouse.platform.repository import OrgOwned


class UploadStatus(enum.StrEnum):
    open = "open"
    # Open, but its bytes did not hash to the expected SHA-256 at a commit: ranges may be sent
    # again with other bytes, and the next commit checks again.
    mismatched = "mismatched"
    committed = "committed"
    expired = "expired"


class Upload(OrgOwned):
    """A resumable upload in progress: bytes arrive in ranges, then a commit makes the asset."""

    __tablename__ = "uploads"

    filename: Mapped[str] = mapped_column(String(500))
    size: Mapped[int] = mapped_column(BigInteger)
    # What the client says the content hashes to, checked at commit when given.
    expected_sha256: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[UploadStatus] = mapped_column(enum_column(UploadStatus))
    # Received byte ranges, merged: [[start, end_inclusive], ...].
    received: Mapped[list[list[int]]] = mapped_column(JSON, default=list)
    staging_key: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(index=True)
    asset_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    created_by_user_id: Mapped[uuid.UUID | None]
