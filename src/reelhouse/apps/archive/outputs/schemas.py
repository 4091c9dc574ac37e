"""Request and response bodies of the output routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from reelhouse.apps.archive.outputs.models import Availability, OutputRole


class OutputRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    role: OutputRole
    format: str
    name: str
    media_type: str
    size: int
    sha256: str
    availability: Availability
    asset_id: uuid.UUID | None
    job_id: uuid.UUID | None
    facts: dict[str, Any]
    created_at: datetime
    checked_at: datetime | None
    content_url: str = ""


class OutputActionCreate(BaseModel):
    action: str = Field(description="refresh_metadata or verify_checksum")


class OutputActionRead(BaseModel):
    id: uuid.UUID
    output_id: uuid.UUID
    action: str
    job_id: uuid.UUID | None
    status: str
    result: Any | None
    error: str | None
    created_at: datetime


class OutputSummary(BaseModel):
    by_role: dict[str, int]
    by_availability: dict[str, int]
    bytes_stored: int
    last_created_at: datetime | None
