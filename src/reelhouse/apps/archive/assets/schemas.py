"""Request and response bodies of the asset routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from reelhouse.apps.archive.assets.models import AssetSource, AssetStatus, LocationState


class AssetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    sha256: str
    size: int
    source: AssetSource
    path: str | None
    media_type: str
    kind: str
    status: AssetStatus
    error: str | None
    duration_s: float | None
    recorded_at: datetime | None
    facts: dict[str, Any]
    tags: list[str] = Field(default_factory=list)
    created_at: datetime
    indexed_at: datetime | None


class AssetLocationRead(BaseModel):
    """A server path holding the asset's content, as it was when last seen there."""

    model_config = ConfigDict(from_attributes=True)

    path: str
    size: int
    mtime: datetime
    state: LocationState
    first_seen_at: datetime
    checked_at: datetime


class AssetDetail(AssetRead):
    """One asset as its own route answers it: with every server path its content lies at."""

    locations: list[AssetLocationRead] = Field(default_factory=list)


class AssetUploaded(AssetDetail):
    duplicate: bool
    index_job_id: uuid.UUID | None


class DialogRegistered(BaseModel):
    """The files chosen in a native dialog, registered in the order chosen."""

    items: list[AssetUploaded]
    cancelled: bool


class RegisterRequest(BaseModel):
    path: str = Field(min_length=1, max_length=4096, description="Absolute path on the server")


class ScanRequest(BaseModel):
    path: str = Field(min_length=1, max_length=4096)
    include: list[str] = Field(default_factory=list, description='Name patterns, e.g. ["*.mp4"]')
    recursive: bool = True


class ProbeResult(BaseModel):
    name: str
    kind: str
    media_type: str
    duration_s: float | None
    facts: dict[str, Any]


class AssetSummary(BaseModel):
    by_status: dict[str, int]
    by_kind: dict[str, int]
    bytes_stored: int
    last_created_at: datetime | None
    last_indexed_at: datetime | None
