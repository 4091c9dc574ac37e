"""Outputs: derived files any app writes, and the actions asked on them."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from reelhouse.platform.db import enum_column
from reelhouse.platform.repository import OrgOwned


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
