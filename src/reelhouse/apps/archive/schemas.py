"""Request and response bodies of the archive routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from reelhouse.apps.archive.models import (
    AssetSource,
    AssetStatus,
    Availability,
    OutputRole,
)


def normalize_tag_name(value: str) -> str:
    """Tags compare lower-case with single spaces: "Night  Drive" and "night drive" are one tag."""
    name = " ".join(value.split()).lower()
    if not name:
        raise ValueError("a tag name needs at least one visible character")
    return name


TagName = Annotated[str, Field(max_length=100), AfterValidator(normalize_tag_name)]


class TagRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    created_at: datetime


class TagWithCount(TagRead):
    asset_count: int


class TagCreate(BaseModel):
    name: TagName


class TagRef(BaseModel):
    """A tag by id, or by name (created if it does not exist yet)."""

    tag_id: uuid.UUID | None = None
    name: TagName | None = None


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


class AssetUploaded(AssetRead):
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
