"""Assets (one per distinct content in an organization) and their tags."""

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


class Tag(OrgOwned):
    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_tags_org_id_name"),)

    name: Mapped[str] = mapped_column(String(100))


class AssetTag(OrgOwned):
    __tablename__ = "asset_tags"
    __table_args__ = (UniqueConstraint("asset_id", "tag_id", name="uq_asset_tags_asset_tag"),)

    asset_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assets.id", ondelete="CASCADE"), index=True
    )
    tag_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), index=True)


class UploadStatus(enum.StrEnum):
    open = "open"
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


class OutputRole(enum.StrEnum):
    dataset = "dataset"
    manifest = "manifest"
    report = "report"
    sidecar = "sidecar"
    thumbnail = "thumbnail"
    visualization = "visualization"
    model = "model"


class Availability(enum.StrEnum):
    available = "available"
    missing = "missing"
    corrupt = "corrupt"


class Output(OrgOwned):
    """A derived file any app writes (datasets, sidecars, thumbnails, models, ...)."""

    __tablename__ = "outputs"
    __table_args__ = (Index("ix_outputs_org_role", "org_id", "role"),)

    role: Mapped[OutputRole] = mapped_column(enum_column(OutputRole))
    format: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(500))
    media_type: Mapped[str] = mapped_column(String(200))
    storage_key: Mapped[str] = mapped_column(String(200), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    availability: Mapped[Availability] = mapped_column(enum_column(Availability))
    asset_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("assets.id", ondelete="SET NULL"), index=True
    )
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    checked_at: Mapped[datetime | None]


class OutputAction(OrgOwned):
    """An action asked on an output (refresh its metadata, verify its checksum), run as a job."""

    __tablename__ = "output_actions"

    output_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("outputs.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(50))
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
