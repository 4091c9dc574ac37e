"""Assets: one per distinct content in an organization."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from reelhouse.platform.db import enum_column
from reelhouse.platform.repository import OrgOwned


class AssetStatus(enum.StrEnum):
    pending = "pending"
    indexing = "indexing"
    indexed = "indexed"
    failed = "failed"
    # A server file referenced in place: no location holds it any more, or none unchanged.
    missing = "missing"
    changed = "changed"


class AssetSource(enum.StrEnum):
    upload = "upload"
    ingest = "ingest"
    register = "register"
    scan = "scan"


class Asset(OrgOwned):
    """A file: stored content-addressed, or a server file referenced in place (registered)."""

    __tablename__ = "assets"
    __table_args__ = (
        UniqueConstraint("org_id", "sha256", name="uq_assets_org_id_sha256"),
        Index("ix_assets_org_status", "org_id", "status"),
        Index("ix_assets_org_kind", "org_id", "kind"),
    )

    name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[AssetSource] = mapped_column(enum_column(AssetSource))
    # Exactly one of the two: where the stored bytes are, or the server path referenced in place.
    storage_key: Mapped[str | None] = mapped_column(String(200), index=True)
    path: Mapped[str | None] = mapped_column(Text)
    path_mtime: Mapped[datetime | None]
    media_type: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), default="other")
    status: Mapped[AssetStatus] = mapped_column(enum_column(AssetStatus))
    error: Mapped[str | None] = mapped_column(Text)
    duration_s: Mapped[float | None]
    # When the recording itself began (robot logs, media with a creation time), not the upload.
    recorded_at: Mapped[datetime | None]
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    indexed_at: Mapped[datetime | None]
    created_by_user_id: Mapped[uuid.UUID | None]


class LocationState(enum.StrEnum):
    present = "present"
    missing = "missing"
    changed = "changed"


class AssetLocation(OrgOwned):
    """A server path where an asset's content was found, as it was then (size and mtime), so
    that a file deleted or changed since is noticed before its bytes are served."""

    __tablename__ = "asset_locations"
    __table_args__ = (
        UniqueConstraint("asset_id", "path", name="uq_asset_locations_asset_id_path"),
    )

    asset_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assets.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    mtime: Mapped[datetime]
    state: Mapped[LocationState] = mapped_column(enum_column(LocationState))
    first_seen_at: Mapped[datetime]
    checked_at: Mapped[datetime]
